# Scenario for Debian bookworm (6.1): the common steps, then the out-of-tree fixtures from
# tests/fixtures (given to run-guest.sh with --extra; they land in /extra), and drm.
# lt-modules: drm
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

# drm: a large module (about 3 500 symbols), whose phases must cover 90 % of its load.
step drm_live
load 0 finit "$(ko drm)"
step drm_unload
unload drm

# A nested request chain: `mount -t ltreq` makes the kernel ask for fs-ltreq; modprobe loads
# lt_request (put into the module tree here, with its alias), whose init asks for fs-minix on
# that modprobe's thread; a second modprobe loads minix before lt_request's init returns.
# lifetrace-vm-check [chain] wants the inner request's requester to be the first modprobe.
step request_nested
mkdir -p "$MODDIR/extra" /mnt/ltreq
cp "$(fixture lt_request)" "$MODDIR/extra/lt_request.ko"
echo "extra/lt_request.ko:" >>"$MODDIR/modules.dep"
echo "alias fs-ltreq lt_request" >>"$MODDIR/modules.alias"
if mount -t ltreq /dev/null /mnt/ltreq 2>/dev/null; then
  fail "mount -t ltreq succeeded"
fi
expect_loaded lt_request minix
step nested_unload
unload lt_request minix

lt_stop
lt_finish
