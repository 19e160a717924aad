/* An ordinary C module, with C identifiers that merely start with _R. */
#include "module_stub.h"
LT_MODULE("c_mod")

static int counter;
int _Reset_counter(void) {
  counter = 0;
  return counter;
}
int _RX_handler(int irq) { return irq + counter; }
int _RNvoid_poke(int v) {
  counter = v;
  return v;
} /* _RNv prefix, not v0 */
__attribute__((noinline)) static int c_mod_work(int x) { return _RX_handler(x) * 2; }

static int c_mod_init(void) { return c_mod_work(_Reset_counter()); }
static void c_mod_exit(void) { counter = 1; }
int init_module(void) __attribute__((alias("c_mod_init")));
void cleanup_module(void) __attribute__((alias("c_mod_exit")));
