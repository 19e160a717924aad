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
# The compact reporter prints each message on one line.
run_checker() {
  local dir=$1 out=$2
  shift 2
  "$checker" --dir "$dir" --kernel trixie -r compact "$@" >"$out" 2>&1
}
# shellcheck source=tests/vm/selftest-lib.sh
. "$here/selftest-lib.sh"

# variant NAME SED-SCRIPT: a copy of the good results with lifetrace.ndjson edited.
variant() { variant_of "$1" lifetrace.ndjson "$2"; }

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

# Denied attempts: every one counted in the exit summary, none of the flood's strings shown.
variant_of uncounted_denied lifetrace.stderr '/denied: .* init_module calls/d'
expect uncounted_denied 1 "lifetrace's stderr should say 'denied:" '[denied]'
variant forged 's/"comm":"ltload"/"comm":"FORGED"/'
expect forged 1 "the flood's strings reached lifetrace's events" '[denied]'
variant flood_as_load '0,/"event":"denied"/s/"event":"denied"/"event":"load_failed"/'
expect flood_as_load 1 'a lifecycle event from the flooding uid 1000' '[denied]'

# The run's flavour: a .nosyscalltp run (lifetrace --no-syscall-tracepoints -v) must follow the
# syscalls without any tracepoint, and -v must name the fallback programs.
variant tracepoints_in_nosyscalltp ''
expect tracepoints_in_nosyscalltp 1 'attached flavours (tracepoint,fentry,fexit,tp_btf,kprobe) should not include tracepoint' \
  '[attach]' --kernel trixie.nosyscalltp
variant_of nosyscalltp_silent lifetrace.stderr 's/(tracepoint,fentry,fexit,tp_btf,kprobe)/(fentry,fexit,tp_btf,kprobe)/'
expect nosyscalltp_silent 1 "lifetrace -v should say 'probe init_module_enter: fentry init_module_enter_fentry" \
  '[attach]' --kernel trixie.nosyscalltp
expect nosyscalltp_silent 1 'should include tracepoint' '[attach]'
# Built-in modules (issue 13): lifetrace and the guest's own count must agree.
variant_of builtin_count scenario.log 's/^BUILTIN modules_builtin .*/BUILTIN modules_builtin 7/'
expect builtin_count 1 'sum["modules"] == *builtin_files' '[builtin]'
variant_of builtin_crate scenario.log '$a BUILTIN kallsyms crate core 524'
expect builtin_crate 1 'lt_crates == awk_crates' '[builtin]'
variant_of builtin_language scenario.log '0,/"language":"c","license"/s//"language":"unknown","license"/'
expect builtin_language 1 'lang == "c"' '[builtin]'
# Provenance on live events: an in-tree module's signer, and a file hash.
variant no_signer '0,/"event":"live".*"module":"dummy"/s/"signer":"[^"]*",//'
expect no_signer 1 'e.j.value("signer", "").empty()' '[provenance]'
variant bad_sha '0,/"sha256":"[0-9a-f]*"/s//"sha256":"xyz"/'
expect bad_sha 1 'regex_match' '[provenance]'
# The request chain (issue 12): a requested load without its request's fields, with another
# requester, and a load nobody asked for that claims a request.
variant no_chain '/"event":"live".*"module":"minix"/s/"request_id":[0-9]*,//'
expect no_chain 1 'step request_minix (minix): live should carry request_id 2' '[chain]'
variant wrong_requester '/"event":"load_start".*"module":"veth"/s/"requester_comm":"ip"/"requester_comm":"modprobe"/'
expect wrong_requester 1 'step request_veth (veth): load_start should carry requester_comm ip' '[chain]'
variant unrequested_chain '0,/"event":"live".*"module":"dummy"/s/"event":"live",/"event":"live","request_id":1,/'
expect unrequested_chain 1 'live was not requested, yet carries a request_id' '[chain]'

# Phases of every load (issue 12): present, summing to no more than load_ns, coverage as stated
# and at least 90 % for kvm_intel, the failing step named.
variant no_phases '/"errno":"EOPNOTSUPP".*"event":"load_failed"/s/"phases":\[[^]]*\],//'
expect no_phases 1 "step kvm_intel_init_fails (kvm_intel): load_failed has no 'phases'" '[phases]'
variant wrong_failed_in '0,/"failed_in":"already_loaded"/s//"failed_in":"load_module"/'
expect wrong_failed_in 1 "step dummy_eexist_init (dummy): load_failed 'failed_in' should be \"already_loaded\"" '[phases]'
variant phases_over_load '/"event":"live".*"module":"veth"/s/"load_ns":[0-9]*/"load_ns":1000/'
expect phases_over_load 1 'more than load_ns 1000' '[phases]'
variant low_coverage '/"errno":"ENOENT".*"event":"load_failed"/s/"phase_coverage":[0-9.e-]*/"phase_coverage":0.5/'
expect low_coverage 1 "step kvm_intel_enoent (kvm_intel): 'phase_coverage' 0.5 is not the phases' share" '[phases]'
variant uncovered '/"errno":"ENOENT".*"event":"load_failed"/{s/"phase_coverage":[0-9.e-]*/"phase_coverage":0.5/;s/"load_ns":\([0-9]*\)/"load_ns":\10/}'
expect uncovered 1 'expected 0.9 at least' '[phases]'
variant no_wasted_bytes '/"errno":"EINVAL".*"event":"load_failed"/s/"read_bytes":[0-9]*,//'
expect no_wasted_bytes 1 "step dummy_einval (dummy): load_failed should say how many bytes were read for nothing" '[phases]'

finish
