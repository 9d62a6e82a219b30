# Shared by the tests that boot a root file system with `systemd-nspawn --boot` (sourced, bash).
# Before sourcing: `name` (the test's name for its messages). Provides $work (a scratch dir,
# removed on exit), $root (where the caller puts the root file system), $leader (the container's
# PID 1 once booted), and the functions below. The boot, power-off and clean-up sequence is the
# one tests/image/unit_nspawn_test.sh uses.

skip() { echo "$name: SKIP: $*"; exit 77; }
fail() { echo "$name: FAIL: $*" >&2; exit 1; }
started=$(date +%s.%N)
lap=$started
timing() {
  local now
  now=$(date +%s.%N)
  awk -v name="$name" -v step="$1" -v a="$lap" -v b="$now" -v s="$started" \
    'BEGIN { printf "%s: %-30s %6.1f s (total %5.1f s)\n", name, step, b - a, b - s }'
  lap=$now
}

# Skips (77) where a container cannot boot (nested in nspawn, unprivileged) or a tool is missing.
nspawn_require_host() {
  local virt cap_effective tool
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
  [ "$(id -u)" -eq 0 ] || skip "needs root (mmdebstrap, mounts, systemd-nspawn)"
  for tool in "$@"; do
    command -v "$tool" >/dev/null || skip "$tool missing (image/deps test installs it)"
  done
}

work=$(mktemp -d /var/tmp/lifeboat-nspawn.XXXXXX)
root=$work/root
machine=lifeboat-test-$$
nspawn_pid=""
leader=""
nspawn_cleanup() {
  local status=$?
  set +e
  if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
    wait_nspawn_exit() { timeout "$stop_seconds_max" tail --pid="$nspawn_pid" -f /dev/null; }
    if [ -n "$leader" ] && timeout 10 nsenter -t "$leader" -a systemctl poweroff 2>/dev/null; then
      wait_nspawn_exit
    fi
    if kill -0 "$nspawn_pid" 2>/dev/null; then
      echo "$name: the container did not power off: SIGKILL to its PID 1" >&2
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
  rm -rf --one-file-system "$work"
  exit "$status"
}
trap nspawn_cleanup EXIT
trap 'exit 130' INT TERM

inside() { nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

# Boots $root (extra systemd-nspawn options in "$@") and waits until systemd is up.
nspawn_boot() {
  systemd-nspawn -q --register=no --keep-unit --boot --private-network --machine="$machine" \
    "$@" -D "$root" </dev/null >"$work/boot.log" 2>&1 &
  nspawn_pid=$!
  local deadline=$((SECONDS + boot_seconds_max)) state=""
  # The container's PID 1 (systemd) is systemd-nspawn's child.
  until [ -n "$leader" ] && [ "$(cat "/proc/$leader/comm" 2>/dev/null)" = systemd ]; do
    kill -0 "$nspawn_pid" 2>/dev/null || fail "systemd-nspawn exited while booting"
    [ $SECONDS -lt $deadline ] || fail "no systemd in the container after ${boot_seconds_max}s"
    leader=$(cat /proc/"$nspawn_pid"/task/*/children 2>/dev/null | awk '{ print $1 }')
    sleep 0.1
  done
  until [ "$state" = running ] || [ "$state" = degraded ]; do
    kill -0 "$nspawn_pid" 2>/dev/null || fail "systemd-nspawn exited while booting"
    [ $SECONDS -lt $deadline ] || fail "the container did not boot in ${boot_seconds_max}s: '$state'"
    state=$(inside systemctl is-system-running 2>/dev/null) || true
    [ "$state" = running ] || [ "$state" = degraded ] || sleep 0.1
  done
  [ "$state" = running ] ||
    echo "$name: boot degraded: $(inside systemctl --failed --no-legend --plain)"
}

# Waits until 127.0.0.1:PORT in the container answers an SMTP 220 banner.
wait_for_banner() {
  local port=$1 deadline=$((SECONDS + serve_seconds_max)) banner=""
  until [[ $banner == 220* ]]; do
    if [ $SECONDS -ge $deadline ] || inside systemctl -q is-failed lifeboat; then
      inside journalctl -u lifeboat --no-pager -n 30 >&2 || true
      fail "no 220 from 127.0.0.1:$port (service $(inside systemctl is-active lifeboat))"
    fi
    banner=$(inside bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && IFS= read -r -t 5 line <&3 &&
      printf '%s\n' \"\$line\"" 2>/dev/null | tr -d '\r') || true
    [[ $banner == 220* ]] || sleep 0.1
  done
  echo "$name: SMTP: $banner"
}

main_pid() { inside systemctl show -p MainPID --value lifeboat; }

# The unit's sandbox as systemd applies it, and what the kernel applies to the running node.
check_sandbox() {
  local show status
  show=$(inside systemctl show lifeboat -p User -p NoNewPrivileges -p ProtectSystem \
    -p ProtectHome -p PrivateTmp -p PrivateDevices -p CapabilityBoundingSet \
    -p AmbientCapabilities -p RestrictAddressFamilies -p MemoryDenyWriteExecute \
    -p RestrictNamespaces -p SystemCallArchitectures)
  echo "$show" | sed "s/^/$name:   /"
  local expected
  for expected in User=lifeboat NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
    PrivateDevices=yes CapabilityBoundingSet=cap_net_bind_service \
    AmbientCapabilities=cap_net_bind_service 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
    MemoryDenyWriteExecute=yes RestrictNamespaces=yes SystemCallArchitectures=native; do
    grep -qx "$expected" <<<"$show" || fail "systemctl show: expected '$expected'"
  done
  [[ " $(inside systemctl show -p SystemCallFilter --value lifeboat) " == *" accept4 "* ]] ||
    fail "no @system-service allow list"
  status=$(inside cat "/proc/$(main_pid)/status")
  grep -qP '^Seccomp:\t2$' <<<"$status" || fail "the node runs without a seccomp filter"
  grep -qP '^NoNewPrivs:\t1$' <<<"$status" || fail "the node runs without no_new_privs"
  grep -qP '^CapEff:\t0000000000000400$' <<<"$status" || fail "capabilities: $(grep Cap <<<"$status")"
  local uid
  uid=$(awk '/^Uid:/ { print $2 }' <<<"$status")
  [ "$uid" != 0 ] && [ "$(inside stat -c %U "/proc/$(main_pid)")" = lifeboat ] ||
    fail "the node does not run as lifeboat (uid $uid)"
  echo "$name: runs as lifeboat (uid $uid), seccomp on, no_new_privs, CapEff 0x400"
}

check_security_exposure() {
  local max=$1 security exposure
  security=$(inside systemd-analyze security --no-pager lifeboat.service)
  exposure=$(sed -n 's/.*Overall exposure level for lifeboat.service: \([0-9.]*\).*/\1/p' \
    <<<"$security")
  [ -n "$exposure" ] || { echo "$security"; fail "no exposure level in systemd-analyze security"; }
  echo "$name: systemd-analyze security: exposure $exposure (at most $max)"
  awk -v e="$exposure" -v m="$max" 'BEGIN { exit !(e <= m) }' ||
    { echo "$security"; fail "exposure $exposure above $max"; }
}

nspawn_poweroff() {
  inside systemctl poweroff
  local deadline=$((SECONDS + stop_seconds_max))
  while kill -0 "$nspawn_pid" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || fail "the container did not power off in ${stop_seconds_max}s"
    sleep 0.1
  done
  wait "$nspawn_pid" || true
  nspawn_pid=""
}
