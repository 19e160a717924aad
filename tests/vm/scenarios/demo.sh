# Demo for scripts/demo.sh (7.2 kernel): lifetrace --follow in human form on the console while
# real Rust, mixed and C modules load and unload. Not checked by lifetrace-vm-check.
# lt-modules: qt2025 ax88796b_rust drm dummy kvm-intel
# shellcheck shell=sh
# shellcheck disable=SC1091
. /lt/lib.sh
# shellcheck disable=SC2034  # read by lt_start in lib.sh
LT_FORMAT=human

say() { echo ">>> $*" >/dev/lt-console; log "$*"; }

say "lifetrace demo on Linux $(uname -r): starting lifetrace --follow"
lt_start
sleep 1
say "qt2025: an in-tree Rust PHY driver"
load 0 finit "$(ko qt2025)"
sleep 1
say "ax88796b_rust: another Rust PHY driver"
load 0 finit "$(ko ax88796b_rust)"
sleep 1
say "drm: C with a Rust part (the panic QR code encoder)"
load 0 finit "$(ko drm)"
sleep 1
say "dummy: a plain C network driver"
load 0 finit "$(ko dummy)"
sleep 1
say "dummy again: fails before init with EEXIST"
load EEXIST finit "$(ko dummy)"
sleep 1
say "kvm-intel without kvm: unknown symbols, ENOENT"
load ENOENT finit "$(ko kvm-intel)"
sleep 1
say "unloading them"
unload dummy drm ax88796b_rust qt2025
sleep 1
lt_stop
say "done; powering off"
lt_finish
