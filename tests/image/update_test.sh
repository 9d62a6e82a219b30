#!/usr/bin/env bash
# Firmware-style updates on a directory of slots, with the real programs: bundles made by
# image/make-bundle, applied by `lifeboat update`, boots simulated by `lifeboat-slot select`.
# 1. A bundle whose node never passes its health check (no confirm) boots kSlotTriesMax (3) times
#    on slot B, then the selector goes back to slot A by itself.
# 2. The same bundle applied again and confirmed: slot B holds exactly the image, stays active.
# 3. Tampered bundles (one byte flipped in each part, truncated, signed by another key, unsigned)
#    are refused and leave every file of the slots directory as it was, with no partial file.
# 4. The operator's rollback: refused towards a slot without an image; else the other slot boots.
#
# usage: update_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: update_test.sh BUILD_DIR}" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
lifeboat=$build/appliance/lifeboat
slot=$build/image/slot/lifeboat-slot
readonly tries_max=3  # kSlotTriesMax, image/slot/slot_state.h
fail() { echo "update_test: FAIL: $*" >&2; exit 1; }
for tool in openssl tar; do command -v $tool >/dev/null || fail "$tool missing"; done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
slots=$work/slots
mkdir "$slots"
update() { "$lifeboat" update --slots "$slots" --key "$work/key.pem" "$@"; }

openssl genpkey -algorithm ed25519 -out signing.pem
openssl pkey -in signing.pem -pubout -out key.pem
openssl genpkey -algorithm ed25519 -out other.pem
# Two "root file systems" of a size that is not a multiple of 512: the tar padding is exercised.
head -c 1000001 /dev/urandom >image-v2
head -c 700003 /dev/urandom >image-v3
"$repo/image/make-bundle" --key signing.pem --version 2.0 image-v2 v2.bundle >/dev/null
"$repo/image/make-bundle" --key signing.pem --version 3.0 image-v3 v3.bundle >/dev/null

# --- 1. Applied, never confirmed: back to A by itself --------------------------------------------
update apply v2.bundle | grep -q 'version 2.0 installed in slot B' || fail "apply v2"
update status | grep -qx 'state: on trial, 3 boots left before falling back to A' ||
  fail "status after apply: $(update status)"
for boot in $(seq 1 $tries_max); do
  [ "$("$slot" --slots "$slots" select)" = B ] || fail "boot $boot of the trial is not slot B"
done
[ "$("$slot" --slots "$slots" select 2>"$work/select.err")" = A ] ||
  fail "slot A does not boot once B's tries ran out"
grep -q 'ran out of tries' "$work/select.err" || fail "the fallback is not reported"
update status | grep -qx 'active: A' || fail "status after the fallback: $(update status)"
update status | grep -qx 'state: confirmed' || fail "A is not confirmed after the fallback"
[ "$("$slot" --slots "$slots" select)" = A ] || fail "slot A does not stay"
echo "update_test: unconfirmed slot B: $tries_max boots, then slot A by itself"

# --- 2. Applied and confirmed ---------------------------------------------------------------------
update apply v2.bundle >/dev/null || fail "apply v2 again"
[ "$("$slot" --slots "$slots" select)" = B ] || fail "slot B does not boot"
"$slot" --slots "$slots" confirm >/dev/null
for boot in $(seq 1 $((tries_max + 1))); do
  [ "$("$slot" --slots "$slots" select)" = B ] || fail "confirmed slot B did not stay"
done
cmp -s image-v2 "$slots/B.img" || fail "slot B does not hold the bundle's image"
update status | grep -qx 'slot B: 2.0' || fail "status does not show slot B's version"
echo "update_test: A -> B applied, verified byte for byte, confirmed, stays"

# --- 3. Tampered bundles: refused, nothing written ------------------------------------------------
snapshot() { (cd "$slots" && find . -printf '%p %s %T@ %m\n' | sort && sha256sum ./* | sort); }
before=$(snapshot)
refused() {  # BUNDLE WHAT [KEY]
  local out
  if out=$("$lifeboat" update --slots "$slots" --key "${3:-$work/key.pem}" apply "$1" 2>&1); then
    fail "$2: applied"
  fi
  grep -q 'refused\|bad public key' <<<"$out" || fail "$2: not refused as a bundle: $out"
  [ "$(snapshot)" = "$before" ] || fail "$2: the slots directory changed"
  echo "update_test: refused, nothing written: $2: ${out#lifeboat: }" | cut -c1-150
}
flip() {  # OFFSET OUT
  cp v3.bundle "$2"
  local byte
  byte=$(od -An -tu1 -j "$1" -N1 v3.bundle | tr -d ' ')
  printf "$(printf '\\%03o' $((byte ^ 1)))" | dd of="$2" bs=1 seek="$1" conv=notrunc 2>/dev/null
}
size=$(stat -c %s v3.bundle)
image_end=$((512 * 5 + 700003))  # three headers, manifest and signature blocks, the image
# Offsets: a header's name, size and checksum; the manifest; the signature; the image (first,
# middle, last byte); the image's padding; the end-of-archive blocks; the last byte of the file.
for offset in 0 130 150 512 600 1100 1536 1590 2100 2560 $((2560 + 350000)) $((image_end - 1)) \
  $((image_end + 100)) $((image_end + 413)) $((image_end + 1000)) $((size - 1)); do
  [ "$offset" -lt "$size" ] || continue
  flip "$offset" flipped.bundle
  refused flipped.bundle "byte $offset flipped"
done
for length in 100 1024 2600 $((size / 2)) $((image_end - 1)) $((image_end + 700)) $((size - 1)); do
  head -c "$length" v3.bundle >truncated.bundle
  refused truncated.bundle "truncated to $length bytes"
done
openssl pkey -in other.pem -pubout -out other-key.pem
refused v3.bundle "verified with another key" "$work/other-key.pem"
"$repo/image/make-bundle" --key other.pem --version 3.0 image-v3 other.bundle >/dev/null
refused other.bundle "signed by another key"
mkdir unsigned && tar -xf v3.bundle -C unsigned && head -c 64 /dev/zero >unsigned/manifest.sig &&
  tar --format=ustar --blocking-factor=1 -C unsigned -cf unsigned.bundle manifest manifest.sig rootfs.img
refused unsigned.bundle "zero signature"
refused /dev/null "empty file"
refused "$work/key.pem" "not a bundle"
[ -z "$(find "$slots" -name '*.partial' -o -name '*.new')" ] || fail "partial files left"

# --- 4. Operator rollback -------------------------------------------------------------------------
! update rollback 2>/dev/null || fail "rollback to slot A, which holds no image"
update apply v3.bundle | grep -q 'version 3.0 installed in slot A' || fail "apply v3"
! update apply v2.bundle 2>/dev/null || fail "a second update during A's trial"
"$slot" --slots "$slots" confirm >/dev/null
update rollback | grep -q 'slot B is active and confirmed' || fail "rollback"
[ "$("$slot" --slots "$slots" select)" = B ] || fail "slot B does not boot after the rollback"
echo "update_test: operator rollback A -> B; none towards an empty slot or during a trial"
echo "update_test: ok"
