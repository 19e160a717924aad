#!/usr/bin/env bash
# One command to watch lifetrace on a real kernel, even on a host without loadable modules:
# builds lifetrace if needed, fetches Debian sid's 7.2 kernel (cached), boots it in qemu (TCG)
# and shows `lifetrace --follow` live on the console while real Rust (qt2025, ax88796b_rust),
# mixed C + Rust (drm) and C (dummy) modules load and unload.
#
#   scripts/demo.sh
#
# Environment: LIFETRACE_BUILD_DIR (default: build), LIFETRACE_CACHE (kernel cache).
# Needs: scripts/install-deps.sh --tests. Takes about a minute with a warm cache.
set -euo pipefail

prog=${0##*/}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
note() { printf '%s: %s\n' "$prog" "$*" >&2; }

suite=sid   # the Debian kernel with CONFIG_RUST=y and in-tree Rust modules
while (($#)); do
  case $1 in
    -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

build=${LIFETRACE_BUILD_DIR:-$repo/build}
if [[ ! -x $build/lifetrace ]]; then
  if [[ ! -f $build/CMakeCache.txt ]]; then
    note "configuring $build"
    cmake -S "$repo" -B "$build" >/dev/null || die "cmake configure failed; run scripts/install-deps.sh --tests first"
  fi
  note "building lifetrace in $build"
  cmake --build "$build" --target lifetrace -j"$(nproc)" || die "building lifetrace failed"
fi

out=$(mktemp -d "${TMPDIR:-/tmp}/lifetrace-demo.XXXXXX")
note "fetching the $suite kernel (cached after the first time)"
"$repo/tests/vm/kernels.sh" --env-file "$out/kernel.env" "$suite" >/dev/null

note "booting; lifetrace's output follows (lines starting with >>> say what the demo does)"
rc=0
"$repo/tests/vm/run-guest.sh" --kernel-env "$out/kernel.env" --scenario "$repo/tests/vm/scenarios/demo.sh" \
  --out "$out/guest" --lifetrace "$build/lifetrace" --show-console --timeout 300 || rc=$?
echo
if ((rc)); then
  note "the demo did not run cleanly; lifetrace's stderr and the guest's logs are in $out/guest"
  exit "$rc"
fi
note "done; the guest's logs (console, dmesg, lifetrace's output) are in $out/guest"
