# Scenario for Debian trixie (6.12): the common steps. Also run with LT_ARGS=--attach=kprobe
# (run-guest.sh --lifetrace-args) to cover the kprobe/raw_tp twins.
# shellcheck shell=sh
# shellcheck disable=SC1091
. /lt/lib.sh
. /lt/common.sh

lt_start
common_steps
lt_stop
lt_finish
