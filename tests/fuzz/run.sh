#!/usr/bin/env bash
# Builds the libFuzzer targets in their own build directory (clang, ASan,
# UBSan; -O1 as libFuzzer advises, line tables only: quicker to build than
# -O2 -g) and runs each for SECONDS (default 45). Fails on any finding: the
# input is saved under build-fuzz/fuzz/artifacts/TARGET/.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
# Environment: BUILD_DIR (default build-fuzz), JOBS (default 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-45}
shift || true
build=${BUILD_DIR:-build-fuzz}
targets=("$@")
((${#targets[@]})) || targets=(module mangling kallsyms proc_modules sanitize record follow_protocol builtin)

CC=clang CXX=clang++ cmake -S . -B "$build" -DLIFETRACE_FUZZ=ON -DLIFETRACE_VM_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target lifetrace_fuzz

status=0
for t in "${targets[@]}"; do
  work=$build/fuzz/corpus/$t artifacts=$build/fuzz/artifacts/$t
  mkdir -p "$work" "$artifacts"
  # Inputs that once failed (tests/fuzz/regressions/TARGET/) must pass first.
  shopt -s nullglob
  saved=(tests/fuzz/regressions/$t/*)
  shopt -u nullglob
  if ((${#saved[@]})) && ! "$build/fuzz_$t" "${saved[@]}" >"$build/fuzz/$t.regressions.log" 2>&1; then
    echo "!! fuzz_$t fails on a saved regression input; see $build/fuzz/$t.regressions.log" >&2
    tail -n 20 "$build/fuzz/$t.regressions.log" >&2
    status=1
  fi
  echo "== fuzz_$t for ${seconds}s (${#saved[@]} regression inputs replayed)"
  if ! "$build/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" "tests/fuzz/corpus/$t" \
      >"$build/fuzz/$t.log" 2>&1; then
    echo "!! fuzz_$t found a problem; see $build/fuzz/$t.log and $artifacts/" >&2
    tail -n 40 "$build/fuzz/$t.log" >&2
    status=1
  fi
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$build/fuzz/$t.log" | tr '\n' ' '
  echo
done
exit $status
