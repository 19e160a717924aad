# Scenario for Debian bookworm (6.1): the common steps, then the out-of-tree fixtures from
# tests/fixtures (given to run-guest.sh with --extra; they land in /extra).
# shellcheck shell=sh
# shellcheck disable=SC1091
. /lt/lib.sh
. /lt/common.sh

lt_start
common_steps

# Runs in $(...): a missing fixture is reported on stderr; its load then fails and is counted.
fixture() {
  [ -f "/extra/$1.ko" ] || log "fixture $1.ko is missing from /extra (run-guest.sh --extra)" >&2
  echo "/extra/$1.ko"
}

# A slow init: msleep(200) in init; lifetrace must report init_ns close to 200 ms.
step lt_slow_live
load 0 finit "$(fixture lt_slow)" delay_ms=200
# An init that returns -ENODEV.
step lt_enodev_init_fails
load ENODEV finit "$(fixture lt_enodev)"
# Rust init_module, then C init calling Rust, then C with _R-looking names (init_module syscall).
step lt_rust_init_live
load 0 finit "$(fixture lt_rust_init)"
step lt_mixed_live
load 0 init "$(fixture lt_mixed)"
step lt_cnames_live
load 0 finit "$(fixture lt_cnames)"
agree "$(fixture lt_slow)" "$(fixture lt_rust_init)" "$(fixture lt_mixed)" "$(fixture lt_cnames)"
step fixtures_unload
unload lt_slow lt_rust_init lt_mixed lt_cnames

lt_stop
lt_finish
