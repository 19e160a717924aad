/* A module whose C functions are all weak symbols (nm and the kernel's
 * typetab say 'W'/'w'), beside one Rust function: C and Rust, so "mixed",
 * whichever way its symbols are read (live, /proc/kallsyms, the file). */
#include "module_stub.h"
LT_MODULE("weak_mod")

__attribute__((noinline)) int rs_part(int x) __asm__("_RNvCs5rV5HccVfry_8weak_mod7rs_part");
__attribute__((noinline)) int rs_part(int x) { return x + 1; }
__attribute__((weak, noinline)) int weak_helper(int x) { return rs_part(x) * 2; }
__attribute__((weak)) int weak_init(void) { return weak_helper(1) - 4; }
