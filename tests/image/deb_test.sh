#!/usr/bin/env bash
# Builds the .deb with CPack and checks what a security auditor would: the binary and the unit are
# in it, the unit runs as its own user with NoNewPrivileges, ProtectSystem=strict, the data dir as
# the only persistent writable path (a private /tmp besides) and CAP_NET_BIND_SERVICE as its only
# capability, and systemd accepts it.
#
# usage: deb_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: deb_test.sh BUILD_DIR}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "deb_test: FAIL: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
deb=$(ls "$work"/out/lifeboat_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no lifeboat_*.deb produced"

dpkg-deb -c "$deb" >"$work/contents"
grep -q '\./usr/bin/lifeboat$' "$work/contents" || fail "/usr/bin/lifeboat missing from the package"
grep -q '\./usr/lib/systemd/system/lifeboat.service$\|\./lib/systemd/system/lifeboat.service$' \
  "$work/contents" || fail "systemd unit missing from the package"
grep -q '\./usr/share/lifeboat/webmail/index\.html$' "$work/contents" ||
  fail "the webmail UI (/usr/share/lifeboat/webmail) missing from the package"
dpkg-deb -I "$deb" postinst >/dev/null || fail "postinst (service user creation) missing"
dpkg-deb -f "$deb" Depends | grep -q 'libleveldb' || fail "shlibdeps did not record libleveldb"

dpkg-deb -x "$deb" "$work/root"
unit=$(find "$work/root" -name lifeboat.service | head -1)
expect() { grep -qx "$1" "$unit" || fail "unit lacks '$1'"; }
expect 'User=lifeboat'
expect 'NoNewPrivileges=yes'
expect 'ProtectSystem=strict'
expect 'StateDirectory=lifeboat'
expect 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE'
expect 'AmbientCapabilities=CAP_NET_BIND_SERVICE'
# A system call outside the filter fails with EPERM instead of killing the node with SIGSYS.
expect 'SystemCallErrorNumber=EPERM'
# The data dir is the only persistent writable path: no other ReadWritePaths. /tmp is the unit's
# own empty one (PrivateTmp, issue #15's sandboxing list), gone when the service stops.
expect 'PrivateTmp=yes'
! grep -qE '^ReadWritePaths' "$unit" || fail "unit opens another writable path"

# systemd's own verdict, with ExecStart pointed at the extracted binary so verify can find it.
sed "s#^ExecStart=/usr/bin/lifeboat#ExecStart=$work/root/usr/bin/lifeboat#" "$unit" >"$work/lifeboat.service"
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify "$work/lifeboat.service" >"$work/verify.log" 2>&1 ||
    { cat "$work/verify.log"; fail "systemd-analyze verify"; }
fi
"$work/root/usr/bin/lifeboat" version >/dev/null || fail "packaged binary does not run"
echo "deb_test: $(basename "$deb") ok"
