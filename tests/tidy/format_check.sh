#!/usr/bin/env bash
# Every C++ source follows the repository's .clang-format (STYLE.md rule 15).
# usage: format_check.sh ROOT
set -euo pipefail
cd "${1:?usage: format_check.sh ROOT}"
command -v clang-format >/dev/null || { echo "format_check: clang-format is not installed" >&2; exit 1; }
mapfile -t files < <(git ls-files -- '*.cc' '*.h' 2>/dev/null | grep -v '^tests/tidy/fixtures/' || true)
if [ ${#files[@]} -eq 0 ]; then
  mapfile -t files < <(find appliance eventlog modules simulator tests -name '*.cc' -o -name '*.h' |
                       grep -v '^tests/tidy/fixtures/')
fi
clang-format --dry-run --Werror "${files[@]}"
echo "format_check: ${#files[@]} files formatted"
