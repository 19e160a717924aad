# Scenario for Debian sid (7.2, CONFIG_RUST=y): the common steps, then real in-tree Rust modules
# (qt2025, ax88796b_rust) and drm, which is C with a Rust part (its panic QR encoder).
# lt-modules: qt2025 ax88796b_rust drm
# shellcheck shell=sh
# shellcheck disable=SC1091
. /lt/lib.sh
. /lt/common.sh

lt_start
common_steps

step qt2025_live
load 0 finit "$(ko qt2025)"
step ax88796b_rust_live
load 0 init "$(ko ax88796b_rust)"
step drm_live
load 0 finit "$(ko drm)"
agree "$(ko qt2025)" "$(ko ax88796b_rust)" "$(ko drm)"
step rust_unload
unload qt2025 ax88796b_rust drm

lt_stop
lt_finish
