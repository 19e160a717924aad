/* Attacker-chosen bytes in the names a module file carries. gen_elf.sh
 * replaces the markers in the object file with bytes a compiler would not
 * emit (same length, so the ELF layout is unchanged):
 *   LTMARKAA -> "\xFF\x1B[2J\n\t\xC2"  in the function init_module aliases,
 *   LTMARKBB -> "\xFF\xFE\x1B]0;\x07\\" in the vendor suffix of a Rust symbol,
 *   LTMARKCC -> "\xFF\r\n<3>ok"       in the module name (.modinfo and struct module). */
#include "module_stub.h"
LT_MODULE("hostile_LTMARKCC")

__attribute__((noinline)) int lt_rust_part(int x) __asm__(
    "_RNvCs1a2b3c4d5e6_11hostile_mod5probe.llvm.LTMARKBB");
__attribute__((noinline)) int lt_rust_part(int x) { return x * 7; }

__attribute__((noinline)) static int lt_init(void) __asm__("lt_init_LTMARKAA");
__attribute__((noinline)) static int lt_init(void) { return lt_rust_part(0); }
int init_module(void) __attribute__((alias("lt_init_LTMARKAA")));
