// The classification rule, symbol by symbol.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "classify/classify.h"

using namespace lifetrace::classify;

namespace {
Symbol fn(std::string_view n) { return {n, SymKind::func, true}; }
Symbol obj(std::string_view n) { return {n, SymKind::object, true}; }
Symbol undef(std::string_view n) { return {n, SymKind::other, false}; }

constexpr const char* kRustFn =
    "_RNvXs_Cs1lago9ikuyD_6qt2025NtB4_9PhyQT2025NtNtNtCsdJ13ReMSUMg_6kernel3net3phy6Driver5probe";
constexpr const char* kRustFnPfx =
    "__pfx__RNvXs_Cs1lago9ikuyD_6qt2025NtB4_9PhyQT2025NtNtNtCsdJ13ReMSUMg_6kernel3net3phy6Driver5"
    "probe";
constexpr const char* kRustStatic = "_RNvCs1lago9ikuyD_6qt202511THIS_MODULE";
constexpr const char* kKernelImport = "_RNvNtNtCsdJ13ReMSUMg_6kernel4time5delay6fsleep";
}  // namespace

TEST_CASE("rule: which symbol sets give which language", "[classifier]") {
  struct Case {
    const char* what;
    std::vector<Symbol> symbols;
    bool rustc_comment;
    Language expected;
  };
  auto c = GENERATE_COPY(values<Case>({
      {"nothing at all", {}, false, Language::unknown},
      {"plain C module",
       {fn("foo_probe"), fn("foo_init"), fn("init_module"), obj("__this_module")},
       false,
       Language::c},
      {"C module with only boilerplate and data",
       {fn("init_module"), obj("tuner_table")},
       false,
       Language::c},
      {"C functions that merely start with _R",
       {fn("_Reset_counter"), fn("_RX_handler"), fn("_RNvoid_poke"), fn("init_module")},
       false,
       Language::c},
      {"Rust module: mangled functions, plain init/cleanup, padding",
       {fn(kRustFn), fn(kRustFnPfx), fn("init_module"), fn("cleanup_module"),
        fn("__pfx_init_module"), fn("__cfi_cleanup_module"), obj(kRustStatic), obj("__this_module"),
        fn(".Ltmp0"), undef(kKernelImport), undef("__x86_return_thunk")},
       true,
       Language::rust},
      {"Rust module seen through kallsyms after init (no .comment, no imports)",
       {fn(kRustFn), fn("cleanup_module"), fn("__pfx_cleanup_module")},
       false,
       Language::rust},
      {"Rust module whose only Rust function symbol is the panic handler",
       {fn("rust_begin_unwind"), fn("init_module")},
       false,
       Language::rust},
      {"Rust statics only", {obj(kRustStatic), fn("init_module")}, false, Language::rust},
      {"no functions, but rustc wrote .comment", {fn("init_module")}, true, Language::rust},
      {"no functions, but Rust imports",
       {fn("init_module"), undef(kKernelImport)},
       false,
       Language::rust},
      {"C with a Rust part linked in (drm + drm_panic_qr)",
       {fn("drm_core_init"), fn("drm_panic_qr_generate"), fn(kRustFn), fn("__pfx_drm_core_init")},
       true,
       Language::mixed},
      {"C functions and rustc's .comment only (Rust fully inlined)",
       {fn("drm_core_init"), fn("init_module")},
       true,
       Language::mixed},
      {"C functions calling into Rust",
       {fn("glue_init"), undef(kKernelImport)},
       false,
       Language::mixed},
      {"legacy-mangled Rust",
       {fn("_ZN10legacy_mod6helper17h0123456789abcdefE"), fn("init_module")},
       false,
       Language::rust},
      {"padding of a C function is not C code on its own",
       {fn("__pfx_foo"), fn("__cfi_foo"), fn(kRustFn)},
       false,
       Language::rust},
      {"modpost/kbuild generated functions are not C code",
       {fn(kRustFn), fn("__UNIQUE_ID_x"), fn("__initcall_foo"), fn("__exitcall_foo"),
        fn("__ksymtab_foo"), fn("__kstrtab_foo"), fn("__crc_foo"), fn("__param_foo"),
        fn("__mod_device_table__24__kmod_qt2025__mdio__TABLE"), fn(".LBB0_1")},
       false,
       Language::rust},
      {"undefined C imports do not make a module C",
       {undef("printk"), undef("kmalloc")},
       false,
       Language::c},
  }));
  CAPTURE(c.what);
  Result r = classify_symbols(c.symbols, c.rustc_comment);
  CHECK(to_string(r.language) == to_string(c.expected));
}

TEST_CASE("evidence counts", "[classifier]") {
  Classifier c;
  c.add(fn(kRustFn));
  c.add(fn(kRustFnPfx));
  c.add(obj(kRustStatic));
  c.add(fn("init_module"));
  c.add(fn("__pfx_init_module"));
  c.add(fn("helper_in_c"));
  c.add(undef(kKernelImport));
  c.add(undef("printk"));
  c.add({"_ZN4core9panicking5panic17h0123456789abcdefE", SymKind::func, true});
  c.add({"_RNvNtCsbDqzXfLQacH_4core9panick", SymKind::func, true, /*truncated=*/true});
  c.add({"_RNvNtCsbDqzXfLQacH_4core9panick", SymKind::func, true, /*truncated=*/false});
  c.set_rustc_comment(true);
  c.set_init_symbol("init_module");
  Result r = c.finish();
  const Evidence& e = r.evidence;
  CHECK(e.symbols == 11);
  CHECK(e.defined_functions == 8);
  CHECK(e.c_functions == 2);  // helper_in_c + the untruncated, therefore invalid, name
  CHECK(e.rust_v0 == 3);      // function, static, truncated function
  CHECK(e.rust_legacy == 1);
  CHECK(e.rust_undefined == 1);
  CHECK(e.rustc_comment);
  CHECK(e.init_symbol == "init_module");
  REQUIRE(e.examples.size() == 3);
  CHECK(e.examples[0] == kRustFn);
  CHECK(e.examples[1] == kRustStatic);
  CHECK(r.language == Language::mixed);
  CHECK(Classifier().finish().language == Language::unknown);
  CHECK(Classifier().finish().evidence.symbols == 0);
}

TEST_CASE("examples fall back to imported Rust symbols", "[classifier]") {
  Classifier c;
  c.add(fn("init_module"));
  c.add(undef(kKernelImport));
  Result r = c.finish();
  CHECK(r.language == Language::rust);
  REQUIRE(r.evidence.examples.size() == 1);
  CHECK(r.evidence.examples[0] == kKernelImport);
}

TEST_CASE("a Rust-mangled init symbol is Rust evidence", "[classifier]") {
  Classifier c;
  c.set_init_symbol(
      "_RNvXNvCs1lago9ikuyD_6qt20251__NtB4_6ModuleNtCsdJ13ReMSUMg_6kernel6Module4init");
  CHECK(c.finish().language == Language::rust);
}

TEST_CASE("boilerplate and runtime names", "[classifier]") {
  for (const char* n : {"init_module", "cleanup_module", "__this_module", "__pfx_foo", "__cfi_foo",
                        "__UNIQUE_ID_modinfo_330", "__ksymtab_foo", "__kstrtab_foo", "__crc_foo",
                        "__param_str_delay_ms", "__mod_pci__e1000_device_table", "__exitcall_x",
                        "__initcall__kmod_x", ".Ltmp0", "orc_header", "____versions"}) {
    CAPTURE(n);
    CHECK(is_boilerplate(n));
  }
  for (const char* n : {"foo_init", "_Reset_counter", "init_module_helper", "my__pfx_thing"}) {
    CAPTURE(n);
    CHECK_FALSE(is_boilerplate(n));
  }
  for (const char* n :
       {"rust_begin_unwind", "rust_eh_personality", "__rust_alloc", "__rg_oom", "__rdl_alloc"}) {
    CAPTURE(n);
    CHECK(is_rust_runtime(n));
  }
  CHECK_FALSE(is_rust_runtime("rust_helper_cpu_relax"));  // C helpers for Rust live in vmlinux
  CHECK_FALSE(is_rust_runtime("trust_begin"));
}

TEST_CASE("language names round-trip", "[classifier]") {
  for (Language l : {Language::unknown, Language::c, Language::rust, Language::mixed}) {
    Language back = Language::unknown;
    REQUIRE(parse_language(to_string(l), back));
    CHECK(back == l);
  }
  Language dummy;
  CHECK_FALSE(parse_language("fortran", dummy));
}

TEST_CASE("to_json carries the language and the evidence", "[classifier]") {
  Classifier c;
  c.add(fn(kRustFn));
  c.add(fn("init_module"));
  c.set_rustc_comment(true);
  c.set_init_symbol("init_module");
  nlohmann::json j = to_json(c.finish());
  CHECK(j["language"] == "rust");
  CHECK(j["symbols"] == 2);
  CHECK(j["rust_v0"] == 1);
  CHECK(j["rust_legacy"] == 0);
  CHECK(j["rust_undefined"] == 0);
  CHECK(j["c_functions"] == 0);
  CHECK(j["rustc_comment"] == true);
  CHECK(j["init_symbol"] == "init_module");
  CHECK(j["examples"] == nlohmann::json::array({kRustFn}));
  CHECK_FALSE(to_json(c.finish().evidence).contains("language"));
}
