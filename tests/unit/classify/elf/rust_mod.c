/* Shaped like a Rust-for-Linux module (e.g. qt2025): every function has a
 * v0-mangled name except the #[no_mangle] init_module/cleanup_module, objtool
 * adds __pfx_ padding symbols, statics are mangled too, kernel-crate symbols
 * are imported, and rustc left its line in .comment. */
#include "module_stub.h"
LT_MODULE("rust_mod")

__asm__(
    ".pushsection .comment\n"
    ".asciz \"rustc version 1.85.0 (4d91de4e4 2025-02-17)\"\n"
    ".popsection");

extern void lt_call_printk(const char*) __asm__("_RNvNtCsdJ13ReMSUMg_6kernel5print11call_printk");
extern int lt_register(void*) __asm__(
    "_RNvMs3_NtNtCsdJ13ReMSUMg_6kernel3net3phyNtB5_12Registration8register");

const char lt_this_module_ref[] __asm__("_RNvCs1a2b3c4d5e6_8rust_mod11THIS_MODULE") = "rust_mod";

__attribute__((noinline)) int lt_probe(int x) __asm__(
    "_RNvXs_Cs1a2b3c4d5e6_8rust_modNtB4_9PhyDriverNtNtNtCsdJ13ReMSUMg_"
    "6kernel3net3phy6Driver5probe");
__attribute__((noinline)) int lt_probe(int x) { return x * 3; }

__attribute__((noinline)) static int lt_poll(int x) __asm__(
    "_RINvNtNtCsdJ13ReMSUMg_6kernel2io4poll17read_poll_timeoutNCNvCs1a2b3c4d5e6_8rust_mod5probe0E"
    "BW_");
__attribute__((noinline)) static int lt_poll(int x) { return x + lt_probe(x); }

/* objtool's function padding symbols duplicate the functions. */
void lt_pfx_probe(void) __asm__(
    "__pfx__RNvXs_Cs1a2b3c4d5e6_8rust_modNtB4_9PhyDriverNtNtNtCsdJ13ReMSUMg_"
    "6kernel3net3phy6Driver5probe");
void lt_pfx_probe(void) {}
void lt_pfx_init(void) __asm__("__pfx_init_module");
void lt_pfx_init(void) {}

__attribute__((section(".init.text"))) int init_module(void) {
  lt_call_printk("rust_mod: hello");
  return lt_register(0) + lt_poll(1);
}
__attribute__((section(".exit.text"))) void cleanup_module(void) {}
