#!/bin/sh
# start_slapd.sh DIR PORT: a private OpenLDAP slapd on ldaps://127.0.0.1:PORT with its data,
# config and TLS material in DIR. Suffix dc=example,dc=test, rootdn cn=admin,dc=example,dc=test,
# password in DIR/admin.secret (mode 0600). Overlays: memberof, refint (member/manager follow
# renames, as AD's links do). Writes DIR/slapd.pid once slapd answers; exit 0 = up.
set -eu
D=$1
PORT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
for tool in slapd ldapsearch openssl; do
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
    echo "missing $tool: apt-get install -y slapd ldap-utils openssl" >&2
    exit 2
  fi
done
SLAPD=$(command -v slapd || echo /usr/sbin/slapd)
mkdir -p "$D/db"
sh "$HERE/make_test_ca.sh" "$D"
printf 'secret-%s' "$PORT" > "$D/admin.secret"
chmod 600 "$D/admin.secret"
PW=$(cat "$D/admin.secret")
cp "$HERE/lifeboat-test.schema" "$D/"
cat > "$D/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include $D/lifeboat-test.schema
pidfile $D/slapd.pid
argsfile $D/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
moduleload refint
TLSCACertificateFile $D/ca.pem
TLSCertificateFile $D/server.pem
TLSCertificateKeyFile $D/server.key
sizelimit unlimited
database mdb
suffix "dc=example,dc=test"
rootdn "cn=admin,dc=example,dc=test"
rootpw $PW
directory $D/db
maxsize 1073741824
index objectClass eq
index entryUUID eq
index modifyTimestamp eq
overlay memberof
overlay refint
refint_attributes member manager
CONF
# -d none: in the foreground, printing only what slapd logs at any level, among it "slapd
# starting" once its listeners are open (servers/slapd/daemon.c). start_ready.py waits for that
# line (bounded), then one search proves the server answers.
python3 "$HERE/start_ready.py" --pidfile "$D/slapd.pid" --log "$D/slapd.log" --timeout 30 \
  --line "slapd starting" -- "$SLAPD" -f "$D/slapd.conf" -h "ldaps://127.0.0.1:$PORT/" -d none
if ! LDAPTLS_CACERT="$D/ca.pem" ldapsearch -x -H "ldaps://127.0.0.1:$PORT" -b "" -s base \
     namingContexts >/dev/null 2>"$D/ldapsearch.err"; then
  echo "slapd said it started but did not answer on port $PORT:" >&2
  cat "$D/ldapsearch.err" "$D/slapd.log" >&2
  exit 1
fi
