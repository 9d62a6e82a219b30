#!/bin/sh
# start_samba.sh DIR: provisions a Samba AD DC (realm CORP.EXAMPLE.TEST, domain CORP) in DIR and
# starts it on 127.0.0.1 (ports 389/636/88... are fixed: one DC at a time, ctest RESOURCE_LOCK
# samba). TLS uses DIR/ca.pem + a certificate for 127.0.0.1 so clients verify it. The
# Administrator password is in DIR/admin.secret (mode 0600). Writes DIR/samba.pid once LDAP
# answers; exit 0 = up. Restart an already provisioned DIR with: start_samba.sh DIR --start-only
set -eu
D=$1
MODE=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
for tool in samba samba-tool ldapsearch openssl; do
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
    echo "missing $tool: apt-get install -y samba winbind krb5-user ldb-tools smbclient" \
         "ldap-utils openssl" >&2
    exit 2
  fi
done
SAMBA=$(command -v samba || echo /usr/sbin/samba)
if [ "$MODE" != "--start-only" ]; then
  mkdir -p "$D/cache" "$D/log" "$D/run"
  sh "$HERE/make_test_ca.sh" "$D"
  PW='Lifeboat-Test-1!'
  printf '%s' "$PW" > "$D/admin.secret"
  chmod 600 "$D/admin.secret"
  samba-tool domain provision --targetdir="$D" --realm=CORP.EXAMPLE.TEST --domain=CORP \
    --server-role=dc --dns-backend=NONE --adminpass="$PW" --use-rfc2307 --host-name=dc1 \
    --host-ip=127.0.0.1 --option="interfaces=lo" --option="bind interfaces only=yes" \
    > "$D/provision.log" 2>&1 || { cat "$D/provision.log" >&2; exit 1; }
  # No password expiry or complexity surprises in a test domain.
  samba-tool domain passwordsettings set -H "$D/private/sam.ldb" --complexity=off \
    --min-pwd-age=0 --max-pwd-age=0 >> "$D/provision.log" 2>&1
  sed -i "/^\[global\]/a\\
\tlog file = $D/log/samba.log\\
\tpid directory = $D/run\\
\twinbindd socket directory = $D/run/winbindd\\
\tntp signd socket directory = $D/run/ntp_signd\\
\tserver services = rpc, ldap, cldap, kdc, drepl, kcc\\
\ttls enabled = yes\\
\ttls keyfile = $D/server.key\\
\ttls certfile = $D/server.pem\\
\ttls cafile = $D/ca.pem" "$D/etc/smb.conf"
fi
# Samba tells systemd when its services listen (sd_notify READY=1); start_ready.py binds the
# NOTIFY_SOCKET and waits for that (bounded), then one search proves LDAP answers.
python3 "$HERE/start_ready.py" --pidfile "$D/samba.pid" --log "$D/samba.out" --timeout 60 \
  --notify -- "$SAMBA" -s "$D/etc/smb.conf" -F --no-process-group -M single -d 1
if ! LDAPTLS_CACERT="$D/ca.pem" ldapsearch -x -ZZ -H ldap://127.0.0.1 \
     -D Administrator@corp.example.test -y "$D/admin.secret" -b "" -s base \
     defaultNamingContext >/dev/null 2>"$D/ldapsearch.err"; then
  echo "samba said it was ready but LDAP did not answer:" >&2
  cat "$D/ldapsearch.err" >&2
  tail -30 "$D/samba.out" >&2
  exit 1
fi
