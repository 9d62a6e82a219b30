#!/usr/bin/env bash
# The appliance image booted by a real systemd: builds it with image/build (a seed with the
# webmail on), unpacks its rootfs.tar.zst and boots it with `systemd-nspawn --boot`, read-only,
# with its own network (loopback only) and directories standing in for the data and config
# partitions; then checks, inside the container, that
# - the seed set the node up: lifeboat-setup ran, the firewall is loaded (policy drop), SMTP on
#   port 25 answers 220 and the webmail's HTTPS on 443 completes a TLS handshake;
# - only the allowed ports listen (ss -ltn): 25 and 443 on all addresses, the admin API on
#   loopback, nothing else;
# - the service runs unprivileged with the unit's sandboxing (systemctl show, /proc status), and
#   `systemd-analyze security` rates it at most 2.0;
# - the image is locked down: root file system read-only, root's password locked, every getty
#   masked, no sshd, no apt, no compiler, no man pages.
# Exits 77 (skipped) where containers cannot nest or without root.
#
# usage: image_nspawn_test.sh BUILD_DIR     (environment: LIFEBOAT_IMAGE_DEB, LIFEBOAT_IMAGE_DIR)
set -euo pipefail
build=$(cd "${1:?usage: image_nspawn_test.sh BUILD_DIR}" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
readonly boot_seconds_max=90 serve_seconds_max=60 stop_seconds_max=30
readonly exposure_max=2.0
name=image_nspawn_test
source "$repo/tests/image/nspawn_lib.sh"
nspawn_require_host mmdebstrap systemd-nspawn nsenter cpack openssl mkfs.ext4 qemu-img zstd ss

# --- Build the image with a seed -----------------------------------------------------------------
seed=$work/seed
mkdir -p "$seed/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mx.lifeboat.test \
  -keyout "$seed/tls/key.pem" -out "$seed/tls/cert.pem" 2>/dev/null || fail "openssl"
cat >"$seed/seed.env" <<'SEED'
# The test's seed: the webmail on, SMTP and HTTPS from one documentation network.
NODE_ID=image-test-1
CLUSTER_ID=image-test
HOSTNAME=mx.lifeboat.test
DOMAINS=lifeboat.test
MAIL_NETWORKS=192.0.2.0/24,2001:db8::/32
CLUSTER_NETWORKS=198.51.100.0/24
WEBMAIL=yes
WEBMAIL_ORIGIN=https://mail.lifeboat.test
JOIN_TOKEN=test-join-token-0123456789
SEED
# LIFEBOAT_IMAGE_DEB: build the image from that package instead of BUILD_DIR's cpack.
# LIFEBOAT_IMAGE_DIR: boot image/build's outputs there instead of building (the seed is the
# test's all the same: it goes on the stand-in config partition).
images=${LIFEBOAT_IMAGE_DIR:-$work/out}
if [ -z "${LIFEBOAT_IMAGE_DIR:-}" ]; then
  package=(--build-dir "$build")
  [ -z "${LIFEBOAT_IMAGE_DEB:-}" ] || package=(--deb "$LIFEBOAT_IMAGE_DEB")
  "$repo/image/build" "$images" "${package[@]}" --seed "$seed" >"$work/build.log" 2>&1 ||
    { tail -40 "$work/build.log"; fail "image/build"; }
  grep -A12 '^output ' "$work/build.log" | sed "s/^/$name: /"
  timing "image built"
fi

# --- Unpack: the root, and directories for the data and config partitions ------------------------
mkdir -p "$root" "$work/data" "$work/config"
zstd -q -d -c "$images/rootfs.tar.zst" | tar --numeric-owner --xattrs -xpf - -C "$root"
cp -a "$seed/." "$work/config/"
mkdir -p "$work/config/slots"
lifeboat_owner=$(awk -F: '$1 == "lifeboat" { print $3 ":" $4 }' "$root/etc/passwd")
chown "$lifeboat_owner" "$work/data"
chmod 0700 "$work/data"
timing "image unpacked"

nspawn_boot --read-only --bind="$work/data:/var/lib/lifeboat" --bind="$work/config:/config"
timing "container booted"

# --- The node, set up from the seed --------------------------------------------------------------
[ "$(inside systemctl is-active lifeboat-setup)" = active ] ||
  { inside journalctl -u lifeboat-setup --no-pager >&2; fail "lifeboat-setup did not succeed"; }
[ "$(inside systemctl is-active nftables)" = active ] || fail "nftables.service is not active"
ruleset=$(inside nft list ruleset)
grep -q 'hook input priority filter; policy drop;' <<<"$ruleset" || fail "no input policy drop"
grep -q 'elements = { 192.0.2.0/24 }' <<<"$ruleset" || fail "the seed's mail network is not loaded"
echo "$name: firewall loaded: input policy drop, mail networks from the seed"
wait_for_banner 25
https=$(echo | nsenter -t "$leader" -n timeout 10 openssl s_client -connect 127.0.0.1:443 \
  -servername mail.lifeboat.test 2>&1) || true
grep -q 'subject=CN = mx.lifeboat.test' <<<"$https" ||
  { echo "$https" | tail -5; fail "no TLS handshake on 443 with the seed's certificate"; }
echo "$name: HTTPS: TLS handshake on 443 with the seed's certificate"
timing "serving"

# --- Only the allowed ports listen ---------------------------------------------------------------
listening=$(inside ss -ltnH | awk '{ print $4 }' | sort -u)
echo "$name: listening: $(paste -sd' ' <<<"$listening")"
expected=$(printf '%s\n' 0.0.0.0:25 0.0.0.0:443 127.0.0.1:9025 | sort)
[ "$listening" = "$expected" ] || fail "listening sockets: '$listening', expected '$expected'"
[ -z "$(inside ss -lunH | awk '$4 !~ /:68$|:546$/')" ] ||
  fail "UDP listeners beyond DHCP: $(inside ss -lunH)"

# --- The sandbox ---------------------------------------------------------------------------------
check_sandbox
check_security_exposure "$exposure_max"

# --- Locked down ---------------------------------------------------------------------------------
inside findmnt -n -o OPTIONS / | grep -qE '(^|,)ro(,|$)' || fail "the root is not read-only"
! inside touch /usr/lib/lifeboat/probe 2>/dev/null || fail "the root file system is writable"
[[ $(inside getent shadow root | cut -d: -f2) == '!'* ]] || fail "root's password is not locked"
for unit in getty@tty1.service serial-getty@ttyS0.service console-getty.service; do
  [ "$(inside systemctl is-enabled "$unit" 2>/dev/null)" = masked ] || fail "$unit not masked"
done
for program in sshd apt apt-get gcc cc c++ make; do
  ! inside sh -c "command -v $program" >/dev/null || fail "$program is in the image"
done
[ -z "$(ls -A "$root/usr/share/man" 2>/dev/null)" ] || fail "man pages in the image"
[ -f "$root/etc/sysctl.d/90-lifeboat-hardening.conf" ] || fail "no sysctl hardening file"
grep -q '^domains = \["lifeboat.test"\]' "$root/run/lifeboat/etc/lifeboat.toml" 2>/dev/null ||
  inside grep -q '^domains = \["lifeboat.test"\]' /etc/lifeboat/lifeboat.toml ||
  fail "the generated config does not hold the seed's domains"
echo "$name: read-only root, root locked, gettys masked, no sshd/apt/compiler/man pages"
timing "lockdown checked"

nspawn_poweroff
timing "container powered off"
echo "$name: ok"
