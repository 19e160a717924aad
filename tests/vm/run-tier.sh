#!/usr/bin/env bash
# Driver for lifetrace's real-kernel tier; CTest calls it (tests/vm/CMakeLists.txt), people can too.
#
#   tests/vm/run-tier.sh kernels OUT [KERNEL...]   download/unpack bookworm, trixie, sid and
#                                                  bullseye, or
#                                                  the KERNELs given (SUITE or SUITE.arm64)
#                                                  (tests/vm/kernels.sh) -> OUT/kernels/KERNEL.env
#   tests/vm/run-tier.sh fixtures OUT              build tests/fixtures for the bookworm kernel
#                                                  -> OUT/fixtures/*.ko
#   tests/vm/run-tier.sh run RUN OUT --lifetrace BIN --checker BIN
#                                                  boot RUN's kernel with its scenario, then check
#                                                  the results with lifetrace-vm-check
#
# RUN is bullseye, bookworm, trixie or sid, optionally with .kprobe (the same scenario with
# lifetrace --attach=kprobe; CTest runs trixie.kprobe, bookworm.kprobe and bullseye.kprobe), .nosyscalltp (the
# same scenario with lifetrace --no-syscall-tracepoints -v: load and unload followed through the
# syscalls' entry functions; CTest runs trixie.nosyscalltp and sid.nosyscalltp), .storm (the
# parallel load/unload storm, scenarios/storm.sh, checked by the --checker given, which must
# then be lifetrace-vm-storm-check; .storm.kprobe: the storm with --attach=kprobe, by hand)
# and/or .arm64 (the suite's arm64 kernel in qemu-system-aarch64, with an arm64 lifetrace from
# cmake/toolchain-aarch64.cmake; CTest runs sid.arm64). An .arm64 run fetches its kernel itself
# and exits with 77 (CTest: skipped) when the arm64 lifetrace or qemu-system-aarch64 is missing.
# On arm64 the scenario skips the kvm steps (KVM is built into arm64 kernels), and the checker,
# told the run's name, expects none.
# Results of a run go to OUT/RUN/ (see tests/vm/run-guest.sh). The checker runs even when the
# guest reported a problem, so its assertion messages show what lifetrace got wrong.
set -euo pipefail

prog=${0##*/}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
note() { printf '%s: %s\n' "$prog" "$*" >&2; }
usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2; }

(($# >= 2)) || usage
cmd=$1
shift
if [[ $cmd == run ]]; then
  run=$1
  shift
fi
out=${1:?missing OUT directory}
shift
mkdir -p "$out"

# fetch_kernel OUT KERNEL: KERNEL is SUITE or SUITE.arm64 -> OUT/kernels/KERNEL.env
fetch_kernel() {
  local kout=$1 kernel=$2 suite=${2%%.*} arch=amd64 t0
  [[ $kernel != *.arm64* ]] || arch=arm64
  mkdir -p "$kout/kernels"
  t0=$(date +%s)
  "$here/kernels.sh" --arch "$arch" --env-file "$kout/kernels/$kernel.env" "$suite" >/dev/null \
    2>"$kout/kernels/$kernel.log" \
    || { cat "$kout/kernels/$kernel.log" >&2; die "could not get the $suite ($arch) kernel (log above)"; }
  # shellcheck disable=SC1090
  # shellcheck disable=SC2153  # KVER comes from the env file
  note "$kernel: $(. "$kout/kernels/$kernel.env" && echo "$KVER") ($(($(date +%s) - t0)) s)"
}

case $cmd in
  kernels)
    kernels=("$@")
    ((${#kernels[@]})) || kernels=(bookworm trixie sid bullseye)
    for k in "${kernels[@]}"; do fetch_kernel "$out" "$k"; done
    ;;

  fixtures)
    env=$out/kernels/bookworm.env
    [[ -f $env ]] || die "$env is missing: run '$prog kernels $out' first"
    build=$repo/tests/fixtures/build.sh
    [[ -x $build ]] || die "$build does not exist yet; the bookworm run needs the fixture modules"
    # shellcheck disable=SC1090
    kver=$(. "$env" && echo "$KVER")
    "$build" "$out/fixtures" "$kver"
    ;;

  run)
    lifetrace="" checker=""
    while (($#)); do
      case $1 in
        --lifetrace) lifetrace=${2:?}; shift 2 ;;
        --checker) checker=${2:?}; shift 2 ;;
        *) die "unknown argument '$1'" ;;
      esac
    done
    suite=${run%%.*}
    variant=${run#"$suite"}
    lt_flags=() stop=()
    arch=amd64
    storm=""
    for v in $(tr '.' ' ' <<<"$variant"); do
      case $v in
        # The kprobe runs also stop lifetrace with SIGTERM instead of SIGINT.
        kprobe) lt_flags+=(--attach=kprobe) stop=(--stop-signal TERM) ;;
        # Load and unload followed without the syscall tracepoints, as on a kernel built
        # without CONFIG_FTRACE_SYSCALLS; -v names the programs chosen (the checker reads it).
        nosyscalltp) lt_flags+=(--no-syscall-tracepoints -v) ;;
        arm64) arch=arm64 ;;
        storm) storm=1 ;;
        *) die "unknown run variant '.$v' in '$run' (known: .kprobe, .nosyscalltp, .storm, .arm64)" ;;
      esac
    done
    lt_args=("${stop[@]}")
    ((${#lt_flags[@]} == 0)) || lt_args+=(--lifetrace-args "${lt_flags[*]}")
    if [[ $arch == arm64 ]]; then
      # Optional: skipped (77) rather than failed where nobody built for arm64.
      if [[ -z $lifetrace || ! -x $lifetrace ]]; then
        note "SKIP $run: no arm64 lifetrace at '${lifetrace}'. Build one: scripts/install-deps.sh --arm64;" \
             "cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake -DLIFETRACE_TESTS=OFF;" \
             "cmake --build build-arm64 -j2"
        exit 77
      fi
      if ! command -v qemu-system-aarch64 >/dev/null; then
        note "SKIP $run: qemu-system-aarch64 is not installed (scripts/install-deps.sh --arm64)"
        exit 77
      fi
    fi
    [[ -n $lifetrace && -x $lifetrace ]] || die "the lifetrace binary '${lifetrace}' does not exist; build it (cmake --build BUILD --target lifetrace)"
    [[ -n $checker && -x $checker ]] || die "the checker '${checker}' does not exist; build it (cmake --build BUILD --target lifetrace-vm-check)"
    kernel=$suite
    [[ $arch == amd64 ]] || kernel=$suite.$arch
    env=$out/kernels/$kernel.env
    scenario=$here/scenarios/$suite.sh
    [[ -z $storm ]] || scenario=$here/scenarios/storm.sh
    if [[ $arch != amd64 ]]; then
      # Not part of vm.kernels (most runs never need it); cached, so cheap when warm.
      fetch_kernel "$out" "$kernel"
    fi
    [[ -f $env ]] || die "$env is missing: run '$prog kernels $out' first (CTest: vm.kernels)"
    extras=()
    if [[ $suite == bookworm && $variant != .storm* ]]; then
      shopt -s nullglob
      kos=("$out"/fixtures/*.ko)
      shopt -u nullglob
      ((${#kos[@]})) || die "no fixture modules in $out/fixtures: run '$prog fixtures $out' first (CTest: vm.fixtures)"
      for ko in "${kos[@]}"; do extras+=(--extra "$ko"); done
    fi
    guest_rc=0
    "$here/run-guest.sh" --kernel-env "$env" --scenario "$scenario" --out "$out/$run" \
      --lifetrace "$lifetrace" "${lt_args[@]}" "${extras[@]}" --timeout "${LIFETRACE_VM_TIMEOUT:-400}" \
      || guest_rc=$?
    check_rc=0
    if [[ -n $storm ]]; then
      "$checker" --dir "$out/$run" --run "$run" || check_rc=$?
    elif [[ $arch == amd64 ]]; then
      "$checker" --dir "$out/$run" --kernel "$run" '~[language]' || check_rc=$?
    else
      # No separate .language test for these runs: [language] is checked here.
      "$checker" --dir "$out/$run" --kernel "$run" || check_rc=$?
    fi
    if ((guest_rc || check_rc)); then
      die "$run failed (guest: $guest_rc, checker: $check_rc); results in $out/$run"
    fi
    ;;

  *) usage ;;
esac
