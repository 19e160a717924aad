#!/usr/bin/env bash
# The footprint benchmark: boots Debian kernels in qemu (TCG) and, in one boot per kernel,
# measures lifetrace --follow, the lifetrace daemon and bpftrace (the same attach points) side
# by side: start to ready, resident memory idle / while tracing / peak, idle context switches,
# and the time a drm and a dummy load take, against loads with no tracer in the same boot.
#
# Usage: bench/footprint/run.sh [--lifetrace BIN] [--out DIR] [--reps N] [--idle SEC]
#                               [--phases "none follow daemon bpftrace none"] [SUITE...]
#   SUITE       Debian suites to boot (default: bookworm sid — 6.1 and 7.2)
#   --lifetrace default build/lifetrace
#   --out       default build/footprint; per suite a directory with run-guest.sh's files,
#               and table.txt, the printed table
#   --reps      loads per module and phase (default 7); the median is reported
#   --idle      seconds of idle observation per tracer (default 30)
#   --check     exit 1 unless every target of bench/README.md is met (see report.awk)
#
# Not part of the test command (one boot takes 5-10 minutes under TCG); report.awk is
# tested on recorded output by the CTest bench.footprint.report.
set -euo pipefail
prog=${0##*/}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
note() { printf '%s: %s\n' "$prog" "$*" >&2; }

lifetrace=$repo/build/lifetrace out=$repo/build/footprint reps=7 idle=30 phases="" check=0
suites=()
while (($#)); do
  case $1 in
    --lifetrace) lifetrace=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --reps) reps=${2:?}; shift 2 ;;
    --idle) idle=${2:?}; shift 2 ;;
    --phases) phases=${2:?}; shift 2 ;;
    --check) check=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) suites+=("$1"); shift ;;
  esac
done
((${#suites[@]})) || suites=(bookworm sid)
[[ -x $lifetrace ]] || die "$lifetrace is not built
HINT: cmake --build build --target lifetrace"
command -v gcc >/dev/null || die "gcc not found (scripts/install-deps.sh)"

cache=${LIFETRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lifetrace}
mkdir -p "$out" "$cache/tools"
ltfoot=$cache/tools/ltfoot-$(sha256sum "$here/ltfoot.c" | cut -c1-16)
if [[ ! -x $ltfoot ]]; then
  gcc -static -O2 -Wall -Wextra -o "$ltfoot.$$" "$here/ltfoot.c" || die "cannot build ltfoot.c"
  mv "$ltfoot.$$" "$ltfoot"
fi
tree=$("$here/bpftrace-tree.sh") || die "no bpftrace for the guest"
work=$(mktemp -d "${TMPDIR:-/tmp}/footprint.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$ltfoot" "$work/ltfoot"
{
  echo "FOOT_REPS=$reps"
  echo "FOOT_IDLE=$idle"
  [[ -z $phases ]] || printf 'FOOT_PHASES=%q\n' "$phases"
} >"$work/foot.conf"

rc=0
for suite in "${suites[@]}"; do
  "$repo/tests/vm/kernels.sh" --env-file "$work/$suite.env" "$suite" >/dev/null
  dir=$out/$suite
  note "$suite: booting (about $((idle * 3 / 60 + 6)) minutes under TCG)"
  if ! "$repo/tests/vm/run-guest.sh" --kernel-env "$work/$suite.env" \
      --scenario "$here/guest.sh" --out "$dir" --lifetrace "$lifetrace" \
      --extra "$work/ltfoot" --extra "$here/lifecycle.bt" --extra "$work/foot.conf" \
      --tree "$tree" --timeout 2400 --qemu-arg -m --qemu-arg 2G; then
    note "$suite: the guest reported failures (see $dir/scenario.log)"
    rc=1
  fi
  awk -v check="$check" -f "$here/report.awk" "$dir/scenario.log" | tee "$dir/table.txt" || rc=1
done
exit "$rc"
