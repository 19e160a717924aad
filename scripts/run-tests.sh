#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (README's test command runs this
# after scripts/install-deps.sh --tests --arm64):
#   1. everything -- unit tests, the layering check, the classification corpus,
#      the real-kernel tier in qemu, the service guests -- built with warnings
#      as errors (build/);
#   2. the unit tier once more, built with AddressSanitizer and
#      UndefinedBehaviorSanitizer (build-sanitize/);
#   3. lifetrace cross-built for arm64 (build-arm64/), which the real-kernel tier boots on
#      Debian's arm64 kernel in qemu-system-aarch64 (vm.sid.arm64*; required here, not skipped);
#   4. every libFuzzer target for LIFETRACE_FUZZ_SECONDS (default 40) s, with
#      clang, ASan and UBSan (build-fuzz/; tests/fuzz/README.md has longer runs).
# Downloads (kernels, images) are cached outside the repository, in
# ${LIFETRACE_CACHE:-~/.cache/lifetrace}.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs=$(nproc)
step() { printf '\n=== run-tests: %s (%s)\n' "$1" "$(date +%T)"; }

step "build with -DLIFETRACE_WERROR=ON"
cmake -S . -B build -DLIFETRACE_WERROR=ON -DLIFETRACE_ARM64_REQUIRED=ON
cmake --build build -j"$jobs"

step "arm64 cross build"
cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake \
  -DLIFETRACE_TESTS=OFF -DLIFETRACE_WERROR=ON
cmake --build build-arm64 -j"$jobs" --target lifetrace

step "unit tier under ASan+UBSan"
# -O0 -g1: compiling with the sanitizers at -O2 -g took 4x as long per file (81 s against 20 s
# for tests/unit/exporters/test_metrics.cpp) and made this the longest step; the unit tier
# itself runs in about a minute either way, and line tables are enough for the reports.
cmake -S . -B build-sanitize -DLIFETRACE_WERROR=ON -DLIFETRACE_ASAN=ON -DLIFETRACE_UBSAN=ON \
  -DLIFETRACE_VM_TESTS=OFF -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" \
  -DCMAKE_C_FLAGS_DEBUG="-O0 -g1"
cmake --build build-sanitize -j"$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-sanitize -L unit --output-on-failure

step "fuzz targets, ${LIFETRACE_FUZZ_SECONDS:-40} s each"
tests/fuzz/run.sh "${LIFETRACE_FUZZ_SECONDS:-40}"

step "every test"
ctest --test-dir build --output-on-failure
