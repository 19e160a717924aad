// What is linked into the kernel: crates of v0 names, the modules.builtin*
// parsers (hostile input), and the report `lifetrace list --builtin` prints.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "classify/builtin.h"
#include "util/text.h"

using namespace lifetrace::classify;
namespace fs = std::filesystem;

TEST_CASE("the crate of a v0 symbol", "[builtin]") {
  auto [name, crate] = GENERATE(table<std::string, std::string>({
      // nested paths down to the crate root
      {"_RNvNtCsbDqzXfLQacH_4core9panicking5panic", "core"},
      // an inherent impl: the impl path's crate
      {"_RNvMs2_Cs5rV5HccVfry_12drm_panic_qrNtB5_10EncodedMsg3new", "drm_panic_qr"},
      // generic arguments: the path they apply to
      {"_RINvNtCs1_4core3ptr13drop_in_placeNtCs2_6kernel5ErrorE", "core"},
      // a trait impl whose self type is written with a backref
      {"_RNvXs_NtCs1_6kernel3fooNtB4_3BarNtNtCs2_4core3fmt7Display3fmt", "kernel"},
      // <Type as Trait>: the type's crate; for a basic type, the trait's
      {"_RNvYNtCs1_6kernel5ErrorNtNtCs2_4core3fmt5Debug3fmt", "kernel"},
      {"_RNvYhNtNtCs2_4core3fmt5Debug3fmt", "core"},
      {"_RNvYRShNtNtCs2_5alloc3foo3Bar3baz", "alloc"},
      // an instantiating crate and a vendor suffix do not change the crate
      {"_RNvCs1234_6qt20254init.llvm.123", "qt2025"},
      // not v0: no crate
      {"_RasMessage", ""},
      {"_ZN4core9panicking5panic17h0123456789abcdefE", ""},
      {"_RNvCsbDqzXfLQacH_4core9panicking5panic", ""},
      {"", ""},
  }));
  CAPTURE(name);
  if (!crate.empty()) REQUIRE(rust_mangling(name) == Mangling::rust_v0);
  CHECK(rust_crate(name) == crate);
}

TEST_CASE("modules.builtin: names, repeats and junk", "[builtin]") {
  const std::string text =
      "kernel/drivers/net/phy/qt2025.ko\n"
      "kernel/fs/ext-4.ko\r\n"
      "kernel/drivers/net/phy/qt2025.ko\n"
      "garbage\n"
      ".ko\n"
      "kernel/evil\x1b[2J\xff.ko\n"
      "\n";
  auto names = parse_modules_builtin(text);
  REQUIRE(names.size() == 3);
  CHECK(names[0] == "qt2025");
  CHECK(names[1] == "ext_4");
  CHECK(names[2] == "evil\\x1B[2J\\xFF");
  for (const auto& n : names) CHECK(lifetrace::util::is_sanitized(n));
}

TEST_CASE("modules.builtin.modinfo: NUL-separated module.key=value", "[builtin]") {
  const std::string text = std::string("qt2025.file=drivers/net/phy/qt2025\0", 35) +
                           std::string("qt2025.license=GPL\0", 19) +
                           std::string("qt2025.alias=first\0qt2025.alias=second\0", 39) +
                           std::string("nodot=value\0.key=x\0m.=x\0m.k\0", 28) +
                           "bad.description=line\nbreak" + std::string(2000, 'x');
  auto mi = parse_builtin_modinfo(text);
  REQUIRE(mi.count("qt2025"));
  CHECK(mi["qt2025"]["file"] == "drivers/net/phy/qt2025");
  CHECK(mi["qt2025"]["license"] == "GPL");
  CHECK(mi["qt2025"]["alias"] == "first");
  CHECK(mi.size() == 2);  // qt2025 and bad
  const std::string& d = mi["bad"]["description"];
  CHECK(d.rfind("line\\x0Abreak", 0) == 0);
  CHECK(d.size() <= kMaxBuiltinValue + 3);
}

TEST_CASE("modules.builtin.ranges: anchors, ranges and bad lines", "[builtin]") {
  const std::string text =
      ".text 00000000-00000000 = _text\n"
      ".text 0000baf0-0000cb10 amd_uncore\n"
      ".text 008e9630-008ea610 snd_a snd_b snd_c\n"
      ".data 00000000-00000000 = _sdata\n"
      ".text 00000010-00000005 backwards\n"
      ".text zz-10 nothex\n"
      "text 0-1 nodot\n"
      ".text 0-1\n";
  auto r = parse_builtin_ranges(text);
  CHECK(r.anchors.at(".text") == "_text");
  CHECK(r.anchors.at(".data") == "_sdata");
  REQUIRE(r.ranges.size() == 2);
  CHECK(r.ranges[0].start == 0xbaf0);
  CHECK(r.ranges[0].end == 0xcb10);
  CHECK(r.ranges[1].modules == std::vector<std::string>{"snd_a", "snd_b", "snd_c"});
  CHECK(r.bad_lines == 4);
}

namespace {
// vmlinux with core, drm_panic_qr and qt2025 crates, C code, a C symbol that
// starts with _R, and one module symbol (not vmlinux).
const char* kKallsyms =
    "ffffffff81000000 T _text\n"
    "ffffffff81000100 T startup_64\n"
    "ffffffff81001000 t _RNvNtCsbDqzXfLQacH_4core9panicking5panic\n"
    "ffffffff81001040 T _RNvNtCsbDqzXfLQacH_4core3fmt5write\n"
    "ffffffff81001100 t _RNvMs2_Cs5rV5HccVfry_12drm_panic_qrNtB5_10EncodedMsg3new\n"
    "ffffffff81001200 r _RNvCs5rV5HccVfry_12drm_panic_qr5TABLE\n"
    "ffffffff81001300 T _RasMessage\n"
    "ffffffff81002000 t qt_helper\n"
    "ffffffff81002100 t _RNvCs1234_6qt20254init\n"
    "ffffffff81003000 T some_c_func\n"
    "ffffffff81003100 T other_c_func\n"
    "ffffffffc0004000 t _RNvCs9_5dummy4xmit\t[dummy]\n";
const char* kBuiltin =
    "kernel/drivers/net/phy/qt2025.ko\nkernel/drivers/net/dummy.ko\nkernel/fs/ext-4.ko\n";

const BuiltinModule& module(const BuiltinReport& r, const std::string& name) {
  for (const auto& m : r.modules)
    if (m.name == name) return m;
  FAIL("no built-in module " << name);
  throw;
}
const RustCrate& crate(const BuiltinReport& r, const std::string& name) {
  for (const auto& c : r.crates)
    if (c.name == name) return c;
  FAIL("no crate " << name);
  throw;
}
}  // namespace

TEST_CASE("builtin report: crates, sizes and languages without ranges", "[builtin]") {
  BuiltinInputs in;
  in.kallsyms = kKallsyms;
  in.modules_builtin = std::string_view(kBuiltin);
  const auto r = builtin_report(in);
  CHECK(r.kernel_has_rust);
  CHECK(r.addresses_visible);
  CHECK(r.rust_symbols == 5);  // the module's symbol and _RasMessage are not counted
  REQUIRE(r.crates.size() == 3);
  const auto& core = crate(r, "core");
  CHECK(core.symbols == 2);
  CHECK(core.functions == 2);
  CHECK(core.text_bytes == 0x40 + 0xc0);
  const auto& qr = crate(r, "drm_panic_qr");
  CHECK(qr.symbols == 2);  // the function and the object
  CHECK(qr.functions == 1);
  CHECK(qr.text_bytes == 0x100);
  CHECK(qr.module.empty());
  CHECK(crate(r, "qt2025").module == "qt2025");
  CHECK(crate(r, "qt2025").text_bytes == 0xf00);

  REQUIRE(r.modules.size() == 3);
  CHECK(module(r, "qt2025").language == Language::rust);
  CHECK(module(r, "qt2025").evidence_source == "crate");
  // Rust is in the kernel and nothing locates dummy's code: unknown, not c.
  CHECK(module(r, "dummy").language == Language::unknown);
  CHECK(module(r, "ext_4").evidence_source.empty());

  const auto j = to_json(crate(r, "core"));
  CHECK(j["builtin"] == true);
  CHECK(j["crate"] == "core");
  CHECK(j["language"] == "rust");
  CHECK(j["symbols"] == 2);
  CHECK(j["text_bytes"] == 0x100);
  const auto s = summary_json(r);
  CHECK(s["kernel_rust"] == true);
  CHECK(s["rust"] == 1);
  CHECK(s["unknown"] == 2);
}

TEST_CASE("builtin report: modules located through the ranges", "[builtin]") {
  BuiltinInputs in;
  in.kallsyms = kKallsyms;
  in.modules_builtin = std::string_view(kBuiltin);
  const std::string ranges =
      ".text 00000000-00000000 = _text\n"
      ".text 00002000-00002200 qt2025\n"
      ".text 00003000-00003100 ext_4 dummy\n";
  in.ranges = std::string_view(ranges);
  const auto r = builtin_report(in);
  const auto& qt = module(r, "qt2025");
  CHECK(qt.language == Language::mixed);  // qt_helper is C, init is Rust
  CHECK(qt.evidence_source == "ranges");
  CHECK(qt.evidence.c_functions == 1);
  CHECK(qt.evidence.rust_v0 == 1);
  CHECK(module(r, "dummy").language == Language::c);
  CHECK(module(r, "dummy").evidence.c_functions == 1);  // some_c_func, not other_c_func
  CHECK(module(r, "ext_4").language == Language::c);
  CHECK(to_json(qt)["rust_v0"] == 1);
}

TEST_CASE("builtin report: a kernel without Rust, addresses hidden", "[builtin]") {
  BuiltinInputs in;
  const std::string ks =
      "0000000000000000 T _text\n"
      "0000000000000000 T _RasMessage\n"
      "0000000000000000 t dummy_xmit\n";
  in.kallsyms = ks;
  in.modules_builtin = std::string_view(kBuiltin);
  const std::string ranges = ".text 00000000-00000000 = _text\n.text 0-10 dummy\n";
  in.ranges = std::string_view(ranges);
  const auto r = builtin_report(in);
  CHECK_FALSE(r.kernel_has_rust);
  CHECK_FALSE(r.addresses_visible);
  CHECK(r.crates.empty());
  for (const auto& m : r.modules) {
    CAPTURE(m.name);
    CHECK(m.language == Language::c);
    CHECK(m.evidence_source == "no_rust_in_kernel");
  }
  REQUIRE_FALSE(r.warnings.empty());
  CHECK(r.warnings.back().find("hides addresses") != std::string::npos);
}

TEST_CASE("list --builtin reads a fake tree", "[builtin]") {
  const fs::path dir = fs::temp_directory_path() / ("lt-builtin-" + std::to_string(::getpid()));
  fs::create_directories(dir / "proc");
  fs::create_directories(dir / "mod");
  std::ofstream(dir / "proc" / "kallsyms") << kKallsyms;
  std::ofstream(dir / "mod" / "modules.builtin") << kBuiltin;
  std::ofstream(dir / "mod" / "modules.builtin.modinfo")
      << std::string("qt2025.file=drivers/net/phy/qt2025\0qt2025.description=QT2025 PHY\0", 65);

  std::ostringstream out, err;
  REQUIRE(run_list_builtin(true, dir / "proc", dir / "mod", out, err) == 0);
  std::istringstream lines(out.str());
  std::string line;
  int modules = 0, crates = 0, summaries = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    CHECK(j["builtin"] == true);
    if (j.contains("crate")) ++crates;
    if (j.contains("module") && !j.contains("crate")) ++modules;
    if (j.contains("summary")) ++summaries;
    if (j.value("module", "") == "qt2025" && !j.contains("crate")) {
      CHECK(j["description"] == "QT2025 PHY");
      CHECK(j["file"] == "drivers/net/phy/qt2025");
    }
  }
  CHECK(modules == 3);
  CHECK(crates == 3);
  CHECK(summaries == 1);
  CHECK(err.str().empty());

  std::ostringstream text, err2;
  REQUIRE(run_list_builtin(false, dir / "proc", dir / "mod", text, err2) == 0);
  CHECK(text.str().find("3 built-in modules: 0 c, 1 rust, 0 mixed, 2 unknown") !=
        std::string::npos);
  CHECK(text.str().find("Rust in the kernel image (CONFIG_RUST): 5 v0 symbols in 3 crates") !=
        std::string::npos);

  std::ostringstream out3, err3;
  CHECK(run_list_builtin(false, dir / "nowhere", dir / "mod", out3, err3) == 1);
  CHECK(err3.str().find("HINT:") != std::string::npos);
  fs::remove_all(dir);
}
