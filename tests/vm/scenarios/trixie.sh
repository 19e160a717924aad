# Scenario for Debian trixie (6.12): the common steps. Also run with LT_ARGS=--attach=kprobe
# (run-guest.sh --lifetrace-args) to cover the kprobe/raw_tp twins. Then drm: a large module
# (about 3 500 symbols), whose phases must cover 90 % of its load.
# lt-modules: drm
# shellcheck shell=sh
# shellcheck disable=SC1091
. /lt/lib.sh
. /lt/common.sh

lt_start
common_steps

step drm_live
load 0 finit "$(ko drm)"
step drm_unload
unload drm

lt_stop
lt_finish
