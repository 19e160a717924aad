/* What kbuild's generated NAME.mod.c contributes to every module: a struct
 * module whose name sits at offset 24 on 64-bit (12 on 32-bit), and a
 * .modinfo entry. Only the layout matters to the classifier. */
#define LT_MODULE(modname)                                                                \
  struct lt_module_stub {                                                                 \
    char head[sizeof(void*) == 8 ? 24 : 12];                                              \
    char name[64 - sizeof(unsigned long)];                                                \
  };                                                                                      \
  __attribute__((section(".gnu.linkonce.this_module"),                                    \
                 used)) struct lt_module_stub __this_module = {{0}, modname};             \
  __attribute__((section(".modinfo"), used, aligned(1))) static const char lt_modinfo[] = \
      "license=GPL\0name=" modname "\0vermagic=test";
