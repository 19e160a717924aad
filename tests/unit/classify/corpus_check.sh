#!/usr/bin/env bash
# Accuracy of the classifier over every module Debian ships, plus the
# fixture modules of tests/fixtures when they can be built.
#
#   corpus_check.sh CHECKER REPO_ROOT WORKDIR
#
# CHECKER is the lifetrace_classify_corpus binary. Kernels come from
# tests/vm/kernels.sh (cached under ${LIFETRACE_CACHE:-~/.cache/lifetrace}).
# Expected: in Debian's 6.1 (bookworm) and 6.12 (trixie) every module is C;
# in 7.2 (sid) exactly qt2025 and ax88796b_rust are Rust, drm is mixed and
# every other module is C. Override one suite's expectation with e.g.
#   LIFETRACE_CORPUS_EXPECT_sid="--expect rust=a,b --expect mixed=c"
# Exit: 0 all as expected, 1 a module misclassified or unreadable (named in
# the output), 77 (CTest: skipped) when no kernel could be obtained at all.
set -uo pipefail

checker=${1:?usage: corpus_check.sh CHECKER REPO_ROOT WORKDIR}
root=${2:?usage: corpus_check.sh CHECKER REPO_ROOT WORKDIR}
work=${3:?usage: corpus_check.sh CHECKER REPO_ROOT WORKDIR}
kernels=$root/tests/vm/kernels.sh
mkdir -p "$work"

if [[ ! -f $kernels ]]; then
  echo "corpus: SKIPPED: $kernels does not exist"
  exit 77
fi

default_expect() {
  case $1 in
    sid) echo "--expect rust=qt2025,ax88796b_rust --expect mixed=drm" ;;
    *) echo "" ;;
  esac
}

failed=0 checked=0 unavailable=() bookworm_kver=""
for suite in bookworm trixie sid; do
  env_file=$work/$suite.env
  if ! bash "$kernels" --env-file "$env_file" "$suite" > /dev/null 2> "$work/$suite.log"; then
    echo "corpus: $suite: cannot obtain the kernel (see $work/$suite.log):"
    tail -n 3 "$work/$suite.log" | sed 's/^/  /'
    unavailable+=("$suite")
    continue
  fi
  # shellcheck disable=SC1090
  (
    source "$env_file"
    var=LIFETRACE_CORPUS_EXPECT_$suite
    expect=${!var-$(default_expect "$suite")}
    echo "corpus: $suite: $KVER from $MODDIR"
    # shellcheck disable=SC2086
    "$checker" --label "$suite $KVER" $expect "$MODDIR"
  )
  rc=$?
  checked=$((checked + 1))
  ((rc == 0)) || failed=1
  if [[ $suite == bookworm ]]; then
    bookworm_kver=$(sed -n 's/^KVER=//p' "$env_file" | tr -d "'\"")
  fi
done

# Fixture modules (built against the bookworm kernel's headers).
build=$root/tests/fixtures/build.sh
if [[ -f $build && -n $bookworm_kver ]]; then
  fx=$work/fixtures
  if bash "$build" "$fx" "$bookworm_kver" > "$work/fixtures.log" 2>&1; then
    "$checker" --label "fixtures $bookworm_kver" \
      --expect rust=lt_rust_init --expect mixed=lt_mixed "$fx" || failed=1
    checked=$((checked + 1))
  else
    echo "corpus: fixtures: SKIPPED: tests/fixtures/build.sh failed (see $work/fixtures.log):"
    tail -n 3 "$work/fixtures.log" | sed 's/^/  /'
  fi
elif [[ ! -f $build ]]; then
  echo "corpus: fixtures: SKIPPED: tests/fixtures/build.sh does not exist"
fi

if ((failed)); then
  echo "corpus: FAILED"
  exit 1
fi
if ((checked == 0)); then
  echo "corpus: SKIPPED: no kernel could be obtained"
  exit 77
fi
if ((${#unavailable[@]})); then
  echo "corpus: PARTIAL: not checked: ${unavailable[*]}"
  exit 77
fi
echo "corpus: OK"
