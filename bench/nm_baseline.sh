#!/usr/bin/env bash
# The baseline classify_bench compares against: what one would write in a
# shell. For every module file (paths on stdin, one per line): decompress it
# to a temporary file with the matching tool (nm cannot read xz/zstd/gzip),
# then count the defined symbols whose name starts with _R:
#     nm FILE | grep -c '^[0-9a-f ]* [tTdDbBrR] _R'
# Prints "COUNT PATH" per file. With JOBS > 1 the files are spread over JOBS
# parallel shells with xargs -P, like lifetrace's thread pool.
#   nm_baseline.sh [JOBS] < files.txt
set -u
jobs=${1:-1}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nm_baseline.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export tmp

count_one() {
  local f=$1 t=$tmp/$BASHPID.ko
  case $f in
    *.ko.xz) xz -dc -- "$f" > "$t" ;;
    *.ko.zst) zstd -dcq -- "$f" > "$t" ;;
    *.ko.gz) gzip -dc -- "$f" > "$t" ;;
    *) t=$f ;;
  esac
  printf '%s %s\n' "$(nm -- "$t" 2>/dev/null | grep -c '^[0-9a-f ]* [tTdDbBrR] _R')" "$f"
}
export -f count_one

if ((jobs <= 1)); then
  while IFS= read -r f; do count_one "$f"; done
else
  # 64 files per shell: the per-file work stays the same as above.
  xargs -d '\n' -n 64 -P "$jobs" bash -c 'for f; do count_one "$f"; done' _
fi
