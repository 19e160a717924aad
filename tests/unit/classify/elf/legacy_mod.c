/* Rust code with legacy (_ZN...17h<hash>E) mangling. */
#include "module_stub.h"
LT_MODULE("legacy_mod")

__attribute__((noinline)) int legacy_helper(int x) __asm__(
    "_ZN10legacy_mod6helper17h0123456789abcdefE");
__attribute__((noinline)) int legacy_helper(int x) { return x + 1; }
int init_module(void) { return legacy_helper(-1); }
