# Scenario for Debian 11 bullseye (5.10): the common steps, then drm (about 3 500 symbols: the
# symbol walk without bpf_loop() goes through many of its 256-symbol chunks) and tcp_bic (small,
# through init_module), whose live language must agree with `lifetrace list` and
# `lifetrace classify`. 5.10 has no Rust in its modules (Rust-for-Linux came in 6.1).
# lt-modules: drm tcp_bic
# shellcheck shell=sh
# shellcheck disable=SC1091
. /lt/lib.sh
. /lt/common.sh

# -v: the chosen programs and why go to stderr, which the checker reads ([probes]).
lt_start -v
common_steps

step drm_live
load 0 finit "$(ko drm)"
step tcp_bic_live
load 0 init "$(ko tcp_bic)"
agree "$(ko drm)" "$(ko tcp_bic)"
step c_unload
unload drm tcp_bic

lt_stop
lt_finish
