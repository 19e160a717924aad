#!/usr/bin/env bash
# Self-test of lifetrace-vm-check, without qemu: the recorded trixie results in testdata/trixie
# (a real lifetrace run, with its events in the contract's order) must pass, and each broken copy
# of them must fail with a message that names the step and the event.
#
#   tests/vm/checker-selftest.sh CHECKER
set -euo pipefail

checker=${1:?usage: checker-selftest.sh PATH/TO/lifetrace-vm-check}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
good=$here/testdata/trixie
work=$(mktemp -d "${TMPDIR:-/tmp}/lifetrace-vm-selftest.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0 passes=0

# expect NAME WANT_RC MESSAGE-SUBSTRING [CHECKER ARGS...]: runs the checker on $work/NAME.
expect() {
  local name=$1 want=$2 msg=$3 rc=0
  shift 3
  # The compact reporter prints each message on one line.
  "$checker" --dir "$work/$name" --kernel trixie -r compact "$@" >"$work/$name.out" 2>&1 || rc=$?
  if [[ $rc -ne $want ]]; then
    echo "FAIL $name: exit $rc, expected $want"; sed 's/^/  | /' "$work/$name.out" | tail -n 20
    failures=$((failures + 1))
  elif [[ -n $msg ]] && ! grep -qF -- "$msg" "$work/$name.out"; then
    echo "FAIL $name: no message containing: $msg"; sed 's/^/  | /' "$work/$name.out" | tail -n 20
    failures=$((failures + 1))
  else
    echo "ok   $name"
    passes=$((passes + 1))
  fi
}

# variant NAME SED-SCRIPT: a copy of the good results with lifetrace.ndjson edited.
variant() {
  cp -r "$good" "$work/$1"
  sed -i -e "$2" "$work/$1/lifetrace.ndjson"
}

variant good ''
expect good 0 '' '~[language]'
expect good 0 '' '[language]'

variant no_live '/"event":"live".*"module":"dummy"/d'
expect no_live 1 '[trixie] step dummy_live (dummy): missing event live(module=dummy)'

variant wrong_errno '0,/"errno":"EEXIST"/s//"errno":"EBUSY"/'
expect wrong_errno 1 "step dummy_eexist_init (dummy): load_failed 'errno' should be \"EEXIST\""

variant wrong_stage '/"errno":"EOPNOTSUPP".*"event":"load_failed"/s/"stage":"init"/"stage":"before_init"/'
expect wrong_stage 1 "step kvm_intel_init_fails (kvm_intel): load_failed 'stage' should be \"init\""

# freed reported before load_failed for an init that fails.
variant freed_first '/"event":"freed".*"module":"kvm_intel"/{h;d};/"event":"load_failed".*"module":"kvm_intel".*"stage":"init"/{G}'
sed -i -e '/"event":"load_failed".*"stage":"init"/{N;s/\(.*\)\n\(.*\)/\2\n\1/}' "$work/freed_first/lifetrace.ndjson"
expect freed_first 1 'step kvm_intel_init_fails (kvm_intel): missing event freed(module=kvm_intel)'

variant extra_event '/"event":"live".*"module":"veth"/p'
expect extra_event 1 'step request_minix (minix): unexpected event before this step'

variant no_request '/"event":"request".*"rtnl-link-veth"/d'
expect no_request 1 'step request_veth (veth): missing event request(module=rtnl-link-veth)'

variant zero_init '/"event":"init_done".*"module":"minix"/s/"init_ns":[0-9]*/"init_ns":0/'
expect zero_init 1 "step request_minix (minix): init_done 'init_ns' is 0"

variant bad_line '3a this is not json'
expect bad_line 1 'lifetrace.ndjson line 4 is not JSON'

variant bad_time '1s/"time":"[^"]*"/"time":"yesterday"/'
expect bad_time 1 "'time' is missing or not RFC 3339 with nanoseconds"

variant wrong_language '/"event":"live".*"module":"dummy"/s/"language":"c"/"language":"rust"/'
expect wrong_language 1 "live 'language' is \"rust\", expected \"c\"" '[language]'

echo "$passes passed, $failures failed"
((failures == 0))
