#!/usr/bin/env bash
# The builds a packager or a new user makes, none of them with the presets' -Werror: a plain
# Release build (-O3), a plain Debug build, and one with Debian's dpkg-buildflags (-O2 -g,
# -fstack-protector-strong, _FORTIFY_SOURCE=2, -Wformat -Werror=format-security, relro/now).
# Each must compile and link every target; the warnings each printed are counted and listed.
# Not part of tests/run (three full builds take about 20 minutes on two cores).
#
# usage: tests/fresh/standard_builds.sh [release|debug|dpkg ...]   (default: all three)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
"$top/image/deps" build
root=${LIFEBOAT_BUILDS_DIR:-/var/tmp/lifeboat-standard-builds}
mkdir -p "$root"
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(release debug dpkg)

status=0
for kind in "${kinds[@]}"; do
  dir="$root/$kind"
  rm -rf "$dir"
  case "$kind" in
    release) args=(-DCMAKE_BUILD_TYPE=Release) ;;
    debug) args=(-DCMAKE_BUILD_TYPE=Debug) ;;
    dpkg)
      # As debhelper's cmake step passes them: the flags in the environment, no build type.
      export DEB_BUILD_MAINT_OPTIONS=hardening=+all
      eval "$(dpkg-buildflags --export=sh)"
      # CMake reads CFLAGS, CXXFLAGS and LDFLAGS, not CPPFLAGS: debhelper folds it in the same way.
      export CFLAGS="$CPPFLAGS $CFLAGS" CXXFLAGS="$CPPFLAGS $CXXFLAGS"
      args=(-DCMAKE_BUILD_TYPE=None) ;;
    *) echo "usage: standard_builds.sh [release|debug|dpkg ...]" >&2; exit 2 ;;
  esac
  started=$SECONDS
  if cmake -S "$top" -B "$dir" -G Ninja "${args[@]}" >"$root/$kind.log" 2>&1 &&
     cmake --build "$dir" -j "$(nproc)" >>"$root/$kind.log" 2>&1; then
    verdict=ok
  else
    verdict=FAILED
    status=1
  fi
  warnings=$(grep -c 'warning:' "$root/$kind.log" || true)
  echo "standard_builds: $kind: $verdict in $((SECONDS - started)) s, $warnings warnings (log: $root/$kind.log)"
  grep 'warning:' "$root/$kind.log" | sort | uniq -c | sort -rn | head -20 || true
  [ "$verdict" = ok ] || tail -n 30 "$root/$kind.log"
  unset CFLAGS CXXFLAGS CPPFLAGS LDFLAGS FFLAGS FCFLAGS OBJCFLAGS OBJCXXFLAGS DEB_BUILD_MAINT_OPTIONS
done
exit $status
