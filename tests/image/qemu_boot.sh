#!/usr/bin/env bash
# The DR VM: boots image/build's qcow2 under qemu (TCG: no KVM here) by direct kernel boot with
# the image's own kernel and initramfs, and waits, at most boot_seconds_max, for the node's SMTP
# 220 through a user-network port forward from the host. Not in the default suite (minutes of
# emulated boot); run it by hand:
#
#   image/build /var/tmp/lb-image && tests/image/qemu_boot.sh /var/tmp/lb-image
#
# The image's disks are not written: the root boots from a qcow2 overlay of root.qcow2; the data
# and config disks are made here, the config disk with a test seed (SMTP open to the user
# network's 10.0.2.0/24, from which forwarded connections come).
# no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer check can fail and panic.
set -euo pipefail
image=$(cd "${1:?usage: qemu_boot.sh IMAGE_OUT_DIR}" && pwd)
readonly boot_seconds_max=600 memory_megabytes=1024
fail() { echo "qemu_boot: FAIL: $*" >&2; exit 1; }
for tool in qemu-system-x86_64 qemu-img mkfs.ext4 openssl python3; do
  command -v "$tool" >/dev/null || fail "$tool missing (image/deps image)"
done
for file in root.qcow2 vmlinuz initrd.img rootfs.tar.zst; do
  [ -f "$image/$file" ] || fail "no $image/$file: run image/build first"
done
work=$(mktemp -d /var/tmp/lifeboat-qemu.XXXXXX)
qemu_pid=""
cleanup() {
  local status=$?
  [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null
  if [ "$status" -ne 0 ] && [ -f "$work/console.log" ]; then
    echo "--- VM console (last 40 lines)" >&2
    tail -40 "$work/console.log" >&2
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

qemu-img create -q -f qcow2 -b "$image/root.qcow2" -F qcow2 "$work/root.qcow2"
mkdir -p "$work/seed/tls" "$work/data" "$work/seed/slots"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mx.lifeboat.test \
  -keyout "$work/seed/tls/key.pem" -out "$work/seed/tls/cert.pem" 2>/dev/null
cat >"$work/seed/seed.env" <<'SEED'
NODE_ID=qemu-1
CLUSTER_ID=qemu-test
HOSTNAME=mx.lifeboat.test
DOMAINS=lifeboat.test
MAIL_NETWORKS=10.0.2.0/24
SEED
# The service user's ids, from the image's passwd.
owner=$(zstd -q -d -c "$image/rootfs.tar.zst" | tar -xOf - ./etc/passwd |
  awk -F: '$1 == "lifeboat" { print $3 ":" $4 }')
mkfs.ext4 -q -F -L lb-data -E "root_owner=$owner" -d "$work/data" "$work/data.raw" 256M
mkfs.ext4 -q -F -L lb-config -d "$work/seed" "$work/config.raw" 64M
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

started=$SECONDS
qemu-system-x86_64 -accel tcg -m "$memory_megabytes" -smp 2 -nodefaults -display none \
  -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
  -append "root=/dev/vda ro console=ttyS0 panic=-1 no_timer_check" -no-reboot \
  -drive "file=$work/root.qcow2,if=virtio,format=qcow2" \
  -drive "file=$work/data.raw,if=virtio,format=raw" \
  -drive "file=$work/config.raw,if=virtio,format=raw" \
  -netdev "user,id=net0,hostfwd=tcp:127.0.0.1:$port-:25" -device virtio-net-pci,netdev=net0 \
  -serial "file:$work/console.log" </dev/null >"$work/qemu.log" 2>&1 &
qemu_pid=$!
echo "qemu_boot: booting (TCG), SMTP forwarded from 127.0.0.1:$port"
banner=""
until [[ $banner == 220* ]]; do
  kill -0 "$qemu_pid" 2>/dev/null || { cat "$work/qemu.log" >&2; fail "qemu exited"; }
  [ $((SECONDS - started)) -lt $boot_seconds_max ] || fail "no SMTP 220 in ${boot_seconds_max}s"
  # qemu accepts the forwarded connection before the guest listens; then it closes at once.
  banner=$(timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && IFS= read -r -t 8 line <&3 &&
    printf '%s' \"\$line\"" 2>/dev/null | tr -d '\r') || true
  [[ $banner == 220* ]] || sleep 2
done
echo "qemu_boot: SMTP: $banner"
echo "qemu_boot: booted to a serving node in $((SECONDS - started)) s (TCG)"
