/* C module with a Rust part linked in (like drm.ko with drm_panic_qr). */
#include "module_stub.h"
LT_MODULE("mixed_mod")

__asm__(
    ".pushsection .comment\n"
    ".asciz \"rustc version 1.85.0 (4d91de4e4 2025-02-17)\"\n"
    ".popsection");

__attribute__((noinline)) static int qr_encode(int x) __asm__(
    "_RNvMs2_Cs5rV5HccVfry_12drm_panic_qrNtB5_10EncodedMsg3new");
__attribute__((noinline)) static int qr_encode(int x) { return x ^ 0x55; }
/* #[no_mangle] extern "C" entry of the Rust part: a plain name. */
int drm_panic_qr_generate(int x) { return qr_encode(x); }

static int mixed_init(void) { return drm_panic_qr_generate(1) - 0x54; }
int init_module(void) __attribute__((alias("mixed_init")));
