#!/usr/bin/env bash
# Self-test of lifetrace-vm-storm-check, without qemu: a recorded storm on 7.2 (testdata/sid-storm:
# a real run in which the kernel skipped 4 program runs and 4 events are missing; the NDJSON
# is cut down to event, module and time) must pass, and each broken copy must fail with its reason.
#
#   tests/vm/storm-checker-selftest.sh CHECKER
set -euo pipefail

checker=${1:?usage: storm-checker-selftest.sh PATH/TO/lifetrace-vm-storm-check}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
good=$here/testdata/sid-storm
run_checker() { "$checker" --dir "$1" --run sid.storm >"$2" 2>&1; }
# shellcheck source=tests/vm/selftest-lib.sh
. "$here/selftest-lib.sh"
variant() { variant_of "$@"; }

variant good lifetrace.ndjson ''
expect good 0 '[sid.storm] storm: every missing event is counted'

# The same events, but lifetrace did not say what the kernel skipped.
variant uncounted lifetrace.stderr '/program_skipped/d'
expect uncounted 1 'events vanished without a cause'

# Two more loads without live than skipped runs on the load path can explain.
variant vanished lifetrace.ndjson '/"event":"live","module":"dummy"/{x;s/^/x/;/^xx\{0,1\}$/{x;d};x}'
expect vanished 1 'loads miss events, but lifetrace counted only 2 skipped runs on the load path'

variant duplicate lifetrace.ndjson '0,/"event":"freed","module":"minix"/{/"event":"freed","module":"minix"/p}'
expect duplicate 1 'minix: 19 freed events for 18 successful operations (duplicates?)'

variant no_summary lifetrace.stderr '/runs the kernel skipped/d'
expect no_summary 1 "no 'runs the kernel skipped: N in all' line at exit"

variant no_workers scenario.log '/STORM module=/d'
expect no_workers 1 'scenario.log has 0 STORM lines'

finish
