#!/usr/bin/env bash
# Formats every C, C++ and BPF source of lifetrace with clang-format (the
# .clang-format files: Google-based C++, kernel style for bpf/ and the test
# fixtures). --check changes nothing and fails, listing the files that are
# not formatted.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cf=$(command -v clang-format || command -v clang-format-14 || true)
[[ -n "$cf" ]] || { echo "format.sh: clang-format is not installed (apt-get install clang-format)" >&2; exit 2; }
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.c' '*.h' '*.cpp' '*.hpp')
if [[ "${1:-}" == "--check" ]]; then
  bad=()
  for f in "${files[@]}"; do
    [[ -f "$f" ]] || continue
    "$cf" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
  if ((${#bad[@]})); then
    printf 'format.sh: not formatted (run scripts/format.sh):\n'; printf '  %s\n' "${bad[@]}"
    exit 1
  fi
  echo "format.sh: ${#files[@]} files formatted"
else
  "$cf" -i "${files[@]}"
fi
