#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (README's test command runs this
# after scripts/install-deps.sh --tests):
#   1. everything -- unit tests, the layering check, the classification corpus,
#      the real-kernel tier in qemu, the service guests -- built with warnings
#      as errors (build/);
#   2. the unit tier once more, built with AddressSanitizer and
#      UndefinedBehaviorSanitizer (build-sanitize/);
#   3. every libFuzzer target for LIFETRACE_FUZZ_SECONDS (default 40) s, with
#      clang, ASan and UBSan (build-fuzz/; tests/fuzz/README.md has longer runs).
# Downloads (kernels, images) are cached outside the repository, in
# ${LIFETRACE_CACHE:-~/.cache/lifetrace}.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs=$(nproc)
step() { printf '\n=== run-tests: %s (%s)\n' "$1" "$(date +%T)"; }

step "build with -DLIFETRACE_WERROR=ON"
cmake -S . -B build -DLIFETRACE_WERROR=ON
cmake --build build -j"$jobs"

step "unit tier under ASan+UBSan"
cmake -S . -B build-sanitize -DLIFETRACE_WERROR=ON -DLIFETRACE_ASAN=ON -DLIFETRACE_UBSAN=ON \
  -DLIFETRACE_VM_TESTS=OFF
cmake --build build-sanitize -j"$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-sanitize -L unit --output-on-failure

step "fuzz targets, ${LIFETRACE_FUZZ_SECONDS:-40} s each"
tests/fuzz/run.sh "${LIFETRACE_FUZZ_SECONDS:-40}"

step "every test"
ctest --test-dir build --output-on-failure
