#!/usr/bin/env bash
# The shipped systemd unit, run by a real systemd: builds the .deb with CPack, installs it in a
# Debian 12 root filesystem with systemd, boots that with systemd-nspawn (its own network: only
# loopback), starts lifeboat.service with a minimal config and checks, inside the container, that
# - the node serves: SMTP on 127.0.0.1:25 answers 220 (port 25: CAP_NET_BIND_SERVICE works);
# - the sandbox is the one the unit states (systemctl show, /proc/MAINPID/status: seccomp on,
#   no_new_privs, CAP_NET_BIND_SERVICE the only capability), and the projection thread runs at
#   niceness 19 under the system call filter (the bug: @resources held setpriority, SIGSYS at start);
# - `systemd-analyze security` rates it at most 2.0;
# - with setpriority denied by a drop-in, the node still serves and logs the refusal once
#   (SystemCallErrorNumber=EPERM), and without that line it dies of SIGSYS, as the bug did.
#
# The root filesystem (mmdebstrap, about 30 s to 3 min) is cached under
# /var/tmp/lifeboat-test-cache, keyed by its package list (systemd and the .deb's dependencies);
# each run boots a throwaway overlay of it. Exits 77 (skipped) where containers cannot nest.
#
# usage: unit_nspawn_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: unit_nspawn_test.sh BUILD_DIR}" && pwd)
cache=${LIFEBOAT_TEST_CACHE:-/var/tmp/lifeboat-test-cache}
readonly boot_seconds_max=60 serve_seconds_max=60 stop_seconds_max=30
readonly exposure_max=2.0

skip() { echo "unit_nspawn_test: SKIP: $*"; exit 77; }
fail() { echo "unit_nspawn_test: FAIL: $*" >&2; exit 1; }
started=$(date +%s.%N)
lap=$started
timing() {
  local now
  now=$(date +%s.%N)
  awk -v step="$1" -v a="$lap" -v b="$now" -v s="$started" \
    'BEGIN { printf "unit_nspawn_test: %-34s %6.1f s (total %5.1f s)\n", step, b - a, b - s }'
  lap=$now
}

# --- Can this machine boot a container? -----------------------------------------------------
# systemd-nspawn cannot start inside a systemd-nspawn container (the "fresh" test machine,
# ../shared/tools/fresh/README.md) nor inside an unprivileged one. A privileged Docker-style
# container, where this test is run (it reports "docker"), boots containers fine.
virt=$(systemd-detect-virt --container 2>/dev/null || true)
case "$virt" in
  none | "") ;;
  systemd-nspawn) skip "inside a systemd-nspawn container: nested containers do not work" ;;
  *)
    cap_effective=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
    # CAP_SYS_ADMIN is bit 21: mounts and namespaces, which systemd-nspawn needs.
    (((0x$cap_effective >> 21) & 1)) ||
      skip "inside an unprivileged $virt container: nested containers do not work"
    ;;
esac

[ "$(id -u)" -eq 0 ] || skip "needs root (mmdebstrap, overlay mounts, systemd-nspawn)"
for tool in mmdebstrap systemd-nspawn nsenter cpack openssl; do
  command -v "$tool" >/dev/null || skip "$tool missing (image/deps test installs it)"
done

work=$(mktemp -d /var/tmp/lifeboat-nspawn.XXXXXX)
root=$work/root
machine=lifeboat-test-$$
nspawn_pid=""
leader=""
mounted=0
cleanup() {
  local status=$?
  set +e
  if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
    # A clean power-off first; if systemd cannot take it (not up yet, stuck), SIGKILL to the
    # container's PID 1 ends its whole PID namespace and systemd-nspawn with it.
    # Waits for systemd-nspawn to exit, at most stop_seconds_max (tail --pid returns when it does).
    wait_nspawn_exit() { timeout "$stop_seconds_max" tail --pid="$nspawn_pid" -f /dev/null; }
    if [ -n "$leader" ] && timeout 10 nsenter -t "$leader" -a systemctl poweroff 2>/dev/null; then
      wait_nspawn_exit
    fi
    if kill -0 "$nspawn_pid" 2>/dev/null; then
      echo "unit_nspawn_test: the container did not power off: SIGKILL to its PID 1" >&2
      [ -n "$leader" ] && kill -KILL "$leader" 2>/dev/null
      wait_nspawn_exit
      kill -KILL "$nspawn_pid" 2>/dev/null
    fi
    wait "$nspawn_pid" 2>/dev/null
  fi
  if [ "$status" -ne 0 ] && [ -f "$work/boot.log" ]; then
    echo "--- container console (last 30 lines)" >&2
    tail -30 "$work/boot.log" >&2
  fi
  [ "$mounted" -eq 1 ] && { umount "$root" || umount -l "$root"; }
  rm -rf --one-file-system "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- The package ------------------------------------------------------------------------------
(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log"; fail "cpack"; }
deb=$(ls "$work"/out/lifeboat_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no lifeboat_*.deb produced"
timing "cpack"

# --- The root filesystem: Debian 12, systemd, the package's dependencies ------------------------
# Cached by image/rootfs-cache (shared with image/build), keyed by its package list.
cached_before=$(ls -d "$cache"/rootfs-* 2>/dev/null | wc -l)
base=$(LIFEBOAT_TEST_CACHE=$cache "$(dirname "$0")/../../image/rootfs-cache" "$deb") ||
  fail "image/rootfs-cache"
if [ "$(ls -d "$cache"/rootfs-* | wc -l)" -gt "$cached_before" ]; then
  timing "root filesystem (built)"
else
  timing "root filesystem (cached)"
fi

# A throwaway layer over the cached tree (a copy where overlayfs is not available).
mkdir -p "$work/upper" "$work/overlay-work" "$root"
if mount -t overlay overlay \
  -o "lowerdir=$base,upperdir=$work/upper,workdir=$work/overlay-work" "$root" 2>/dev/null; then
  mounted=1
else
  cp -a "$base/." "$root/"
fi

# Install the package and a minimal config: SMTP on loopback port 25, a self-signed certificate.
mkdir -p "$root/root/payload"
cp "$deb" "$root/root/payload/lifeboat.deb"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mx.lifeboat.test \
  -keyout "$root/root/payload/key.pem" -out "$root/root/payload/cert.pem" 2>/dev/null ||
  fail "openssl could not make a certificate"
cat >"$root/root/payload/lifeboat.toml" <<'TOML'
[node]
id = "nspawn-1"
cluster_id = "nspawn-test"
data_dir = "/var/lib/lifeboat"

[tls]
certificate = "/etc/lifeboat/tls/cert.pem"
private_key = "/etc/lifeboat/tls/key.pem"

[smtp]
listen = "127.0.0.1:25"
hostname = "mx.lifeboat.test"
domains = ["lifeboat.test"]
disk_reserve_bytes = 67108864
TOML
systemd-nspawn -q --register=no --keep-unit --pipe --machine="$machine" -D "$root" /bin/sh -ec '
  cd /root/payload
  dpkg -i lifeboat.deb >/dev/null
  install -d -m 0750 -o root -g lifeboat /etc/lifeboat/tls
  install -m 0644 cert.pem /etc/lifeboat/tls/cert.pem
  install -m 0640 -g lifeboat key.pem /etc/lifeboat/tls/key.pem
  install -m 0640 -g lifeboat lifeboat.toml /etc/lifeboat/lifeboat.toml
  rm -rf /root/payload' </dev/null >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; fail "installing the package in the container"; }
timing "package installed"

# --- Boot ----------------------------------------------------------------------------------------
systemd-nspawn -q --register=no --keep-unit --boot --private-network --machine="$machine" \
  -D "$root" </dev/null >"$work/boot.log" 2>&1 &
nspawn_pid=$!
deadline=$((SECONDS + boot_seconds_max))
# The container's PID 1 (systemd) is systemd-nspawn's child.
until [ -n "$leader" ] && [ "$(cat "/proc/$leader/comm" 2>/dev/null)" = systemd ]; do
  kill -0 "$nspawn_pid" 2>/dev/null || fail "systemd-nspawn exited while booting"
  [ $SECONDS -lt $deadline ] || fail "no systemd in the container after ${boot_seconds_max}s"
  leader=$(cat /proc/"$nspawn_pid"/task/*/children 2>/dev/null | awk '{ print $1 }')
  sleep 0.1
done
inside() { nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
# Until systemd answers on its bus and has reached its default target.
state=""
until [ "$state" = running ] || [ "$state" = degraded ]; do
  kill -0 "$nspawn_pid" 2>/dev/null || fail "systemd-nspawn exited while booting"
  [ $SECONDS -lt $deadline ] || fail "the container did not boot in ${boot_seconds_max}s: '$state'"
  state=$(inside systemctl is-system-running 2>/dev/null) || true
  [ "$state" = running ] || [ "$state" = degraded ] || sleep 0.1
done
[ "$state" = running ] ||
  echo "unit_nspawn_test: boot degraded: $(inside systemctl --failed --no-legend --plain)"
timing "container booted"

# --- Start the node and wait for its SMTP banner -------------------------------------------------
smtp_banner() {
  inside bash -c 'exec 3<>/dev/tcp/127.0.0.1/25 && IFS= read -r -t 5 line <&3 &&
    printf "%s\n" "$line"' 2>/dev/null | tr -d '\r'
}
# Waits until SMTP answers 220; fails with the journal if the service fails or time runs out.
wait_for_banner() {
  local deadline=$((SECONDS + serve_seconds_max)) banner=""
  local restarts
  restarts=$(inside systemctl show -p NRestarts --value lifeboat)
  until [[ $banner == 220* ]]; do
    # Restart=on-failure hides a node that dies at start: a restart counts as failing.
    if [ $SECONDS -ge $deadline ] || inside systemctl -q is-failed lifeboat ||
      [ "$(inside systemctl show -p NRestarts --value lifeboat)" != "$restarts" ]; then
      inside journalctl -u lifeboat --no-pager -n 30 >&2 || true
      fail "no 220 from 127.0.0.1:25 in the container (service $(inside systemctl is-active \
        lifeboat), restarted $(inside systemctl show -p NRestarts --value lifeboat) times)"
    fi
    banner=$(smtp_banner) || true
    [[ $banner == 220* ]] || sleep 0.1
  done
  echo "unit_nspawn_test: SMTP: $banner"
}
main_pid() { inside systemctl show -p MainPID --value lifeboat; }
# The niceness (field 19 of /proc/PID/task/TID/stat) of the node's projection thread.
projection_niceness() {
  inside sh -c 'for task in /proc/'"$(main_pid)"'/task/*; do
    [ "$(cat "$task/comm")" = lb-projections ] || continue
    sed "s/.*) //" "$task/stat" | cut -d" " -f17
  done'
}

inside systemctl start lifeboat
wait_for_banner
timing "lifeboat.service serving"
[ "$(inside systemctl is-active lifeboat)" = active ] || fail "lifeboat.service is not active"

# --- The sandbox, as systemd applies it ----------------------------------------------------------
show=$(inside systemctl show lifeboat -p User -p NoNewPrivileges -p ProtectSystem -p ProtectHome \
  -p CapabilityBoundingSet -p AmbientCapabilities -p PrivateDevices -p RestrictNamespaces \
  -p SystemCallErrorNumber -p SystemCallArchitectures -p StateDirectory)
echo "$show" | sed 's/^/unit_nspawn_test:   /'
expect_shown() { grep -qx "$1" <<<"$show" || fail "systemctl show: expected '$1'"; }
expect_shown 'User=lifeboat'
expect_shown 'NoNewPrivileges=yes'
expect_shown 'ProtectSystem=strict'
expect_shown 'ProtectHome=yes'
expect_shown 'CapabilityBoundingSet=cap_net_bind_service'
expect_shown 'AmbientCapabilities=cap_net_bind_service'
expect_shown 'PrivateDevices=yes'
expect_shown 'RestrictNamespaces=yes'
expect_shown 'SystemCallErrorNumber=1' # EPERM: systemd 252 shows the number
expect_shown 'SystemCallArchitectures=native'
expect_shown 'StateDirectory=lifeboat'
# The allow list: setpriority back in, the rest of @resources and @privileged out.
filter=" $(inside systemctl show -p SystemCallFilter --value lifeboat) "
[[ $filter != " ~"* ]] || fail "SystemCallFilter is not an allow list"
for call in setpriority read write epoll_wait accept4 fsync; do
  [[ $filter == *" $call "* ]] || fail "SystemCallFilter does not allow $call"
done
for call in setrlimit sched_setscheduler sched_setaffinity ioprio_set setuid chroot mount; do
  [[ $filter != *" $call "* ]] || fail "SystemCallFilter allows $call"
done
# What the kernel applies to the running node.
status=$(inside cat "/proc/$(main_pid)/status")
grep -qP '^Seccomp:\t2$' <<<"$status" || fail "the node runs without a seccomp filter"
grep -qP '^NoNewPrivs:\t1$' <<<"$status" || fail "the node runs without no_new_privs"
# CAP_NET_BIND_SERVICE is bit 10.
grep -qP '^CapEff:\t0000000000000400$' <<<"$status" || fail "capabilities: $(grep Cap <<<"$status")"
[ "$(inside stat -c %U "/proc/$(main_pid)")" = lifeboat ] || fail "the node does not run as lifeboat"
niceness=$(projection_niceness)
[ "$niceness" = 19 ] || fail "projection thread niceness '$niceness', expected 19"
echo "unit_nspawn_test: seccomp on, no_new_privs, CapEff 0x400, projection thread at nice $niceness"
! inside journalctl -u lifeboat --no-pager | grep -q 'kept at normal priority' ||
  fail "the node reports a refused niceness under the shipped unit"

security=$(inside systemd-analyze security --no-pager lifeboat.service)
exposure=$(sed -n 's/.*Overall exposure level for lifeboat.service: \([0-9.]*\).*/\1/p' \
  <<<"$security")
[ -n "$exposure" ] || { echo "$security"; fail "no exposure level in systemd-analyze security"; }
echo "unit_nspawn_test: systemd-analyze security: exposure $exposure (at most $exposure_max)"
awk -v e="$exposure" -v m="$exposure_max" 'BEGIN { exit !(e <= m) }' ||
  { echo "$security"; fail "exposure $exposure above $exposure_max"; }
timing "sandbox checked"

# --- setpriority refused: EPERM is survived and logged once; SIGSYS (the bug) kills -------------
dropin=/run/systemd/system/lifeboat.service.d
inside mkdir -p "$dropin"
printf '[Service]\nSystemCallFilter=~setpriority\n' | inside tee "$dropin/deny-setpriority.conf" \
  >/dev/null
inside systemctl daemon-reload
inside systemctl restart lifeboat
wait_for_banner
invocation=$(inside systemctl show -p InvocationID --value lifeboat)
deadline=$((SECONDS + serve_seconds_max))
until [ "$(inside journalctl --no-pager _SYSTEMD_INVOCATION_ID="$invocation" |
  grep -c 'kept at normal priority')" -ge 1 ]; do
  [ $SECONDS -lt $deadline ] || fail "the refused niceness was not logged"
  sleep 0.1
done
refusals=$(inside journalctl --no-pager _SYSTEMD_INVOCATION_ID="$invocation" |
  grep 'kept at normal priority')
[ "$(wc -l <<<"$refusals")" -eq 1 ] || fail "the refusal was logged more than once: $refusals"
grep -q 'Operation not permitted' <<<"$refusals" || fail "the refusal does not say EPERM: $refusals"
niceness=$(projection_niceness)
[ "$niceness" = 0 ] || fail "projection thread niceness '$niceness' with setpriority denied"
echo "unit_nspawn_test: setpriority denied (EPERM): serving, nice $niceness, logged once"

printf '[Service]\nSystemCallErrorNumber=\n' | inside tee "$dropin/kill-on-syscall.conf" >/dev/null
inside systemctl daemon-reload
inside systemctl restart lifeboat
deadline=$((SECONDS + serve_seconds_max))
until [ "$(inside systemctl show -p ExecMainStatus --value lifeboat)" = 31 ]; do
  [ $SECONDS -lt $deadline ] || fail "without SystemCallErrorNumber the node was not killed by SIGSYS"
  sleep 0.1
done
echo "unit_nspawn_test: setpriority denied with SIGSYS (the bug): the node dies of signal 31"
inside systemctl stop lifeboat
timing "failure modes checked"

inside systemctl poweroff
deadline=$((SECONDS + stop_seconds_max))
while kill -0 "$nspawn_pid" 2>/dev/null; do
  [ $SECONDS -lt $deadline ] || fail "the container did not power off in ${stop_seconds_max}s"
  sleep 0.1
done
wait "$nspawn_pid" || true
nspawn_pid=""
timing "container powered off"
echo "unit_nspawn_test: $(basename "$deb") ok"
