#!/usr/bin/env bash
# Driver for lifetrace's real-kernel tier; CTest calls it (tests/vm/CMakeLists.txt), people can too.
#
#   tests/vm/run-tier.sh kernels OUT               download/unpack bookworm, trixie and sid
#                                                  (tests/vm/kernels.sh) -> OUT/kernels/SUITE.env
#   tests/vm/run-tier.sh fixtures OUT              build tests/fixtures for the bookworm kernel
#                                                  -> OUT/fixtures/*.ko
#   tests/vm/run-tier.sh run RUN OUT --lifetrace BIN --checker BIN
#                                                  boot RUN's kernel with its scenario, then check
#                                                  the results with lifetrace-vm-check
#
# RUN is bookworm, trixie or sid, optionally with .kprobe (the same scenario with
# lifetrace --attach=kprobe; CTest runs trixie.kprobe and bookworm.kprobe) or .storm (the
# parallel load/unload storm, scenarios/storm.sh, checked by the --checker given, which must
# then be lifetrace-vm-storm-check; .storm.kprobe: the storm with --attach=kprobe, by hand).
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

case $cmd in
  kernels)
    mkdir -p "$out/kernels"
    for suite in bookworm trixie sid; do
      t0=$(date +%s)
      "$here/kernels.sh" --env-file "$out/kernels/$suite.env" "$suite" >/dev/null 2>"$out/kernels/$suite.log" \
        || { cat "$out/kernels/$suite.log" >&2; die "could not get the $suite kernel (log above)"; }
      # shellcheck disable=SC1090
      # shellcheck disable=SC2153  # KVER comes from the env file
      note "$suite: $(. "$out/kernels/$suite.env" && echo "$KVER") ($(($(date +%s) - t0)) s)"
    done
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
    [[ -n $lifetrace && -x $lifetrace ]] || die "the lifetrace binary '${lifetrace}' does not exist; build it (cmake --build BUILD --target lifetrace)"
    [[ -n $checker && -x $checker ]] || die "the checker '${checker}' does not exist; build it (cmake --build BUILD --target lifetrace-vm-check)"
    suite=${run%%.*}
    variant=${run#"$suite"}
    lt_args=()
    case $variant in
      "") ;;
      # The kprobe runs also stop lifetrace with SIGTERM instead of SIGINT.
      .kprobe) lt_args=(--lifetrace-args --attach=kprobe --stop-signal TERM) ;;
      .storm) ;;
      .storm.kprobe) lt_args=(--lifetrace-args --attach=kprobe) ;;
      *) die "unknown run variant '$variant' in '$run' (known: .kprobe, .storm, .storm.kprobe)" ;;
    esac
    scenario=$here/scenarios/$suite.sh
    [[ $variant == .storm* ]] && scenario=$here/scenarios/storm.sh
    env=$out/kernels/$suite.env
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
    if [[ $variant == .storm* ]]; then
      "$checker" --dir "$out/$run" --run "$run" || check_rc=$?
    else
      "$checker" --dir "$out/$run" --kernel "$run" '~[language]' || check_rc=$?
    fi
    if ((guest_rc || check_rc)); then
      die "$run failed (guest: $guest_rc, checker: $check_rc); results in $out/$run"
    fi
    ;;

  *) usage ;;
esac
