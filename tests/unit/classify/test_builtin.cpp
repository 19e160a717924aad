// What is linked into the kernel: crates of v0 names, the modules.builtin*
// parsers (hostile input), and the report `lifetrace list --builtin` prints.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "classify/builtin.h"
#include "classify/kallsyms.h"
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

// ---------------------------------------------------------------------------
// The streamed report against a reference: the report as it was computed
// before it was streamed (the whole kallsyms text held, every vmlinux symbol
// in a vector, a sorted address vector), kept here as the specification. Only
// change: ranges that start at the same address keep their file order
// (stable_sort; std::sort left it unspecified).
namespace {

std::string reference_json(const BuiltinInputs& in) {
  BuiltinReport rep;
  rep.have_kallsyms = !in.kallsyms.empty();
  struct Sym {
    uint64_t address;
    char type;
    std::string_view name;
  };
  std::vector<Sym> syms;
  size_t pos = 0;
  while (pos < in.kallsyms.size()) {
    size_t nl = in.kallsyms.find('\n', pos);
    if (nl == std::string_view::npos) nl = in.kallsyms.size();
    std::string_view line = in.kallsyms.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    KallsymsEntry e;
    if (!parse_kallsyms_line(line, e) || !e.module.empty()) continue;
    syms.push_back({e.address, e.type, e.name});
    if (e.address != 0) rep.addresses_visible = true;
  }
  std::vector<uint64_t> addrs;
  for (const auto& s : syms) addrs.push_back(s.address);
  std::sort(addrs.begin(), addrs.end());
  addrs.erase(std::unique(addrs.begin(), addrs.end()), addrs.end());
  auto size_of = [&](uint64_t a) -> uint64_t {
    auto it = std::upper_bound(addrs.begin(), addrs.end(), a);
    return it == addrs.end() ? 0 : *it - a;
  };
  std::map<std::string, RustCrate, std::less<>> crates;
  for (const auto& s : syms) {
    if (symbol_kind(s.type) == SymKind::other || rust_mangling(s.name) != Mangling::rust_v0)
      continue;
    ++rep.rust_symbols;
    const std::string crate = rust_crate(s.name);
    if (crate.empty() || (crates.size() >= 4096 && !crates.count(crate))) continue;
    auto& c = crates[crate];
    c.name = lifetrace::util::sanitize(crate);
    ++c.symbols;
    if (symbol_kind(s.type) == SymKind::func) {
      ++c.functions;
      if (rep.addresses_visible) c.text_bytes = c.text_bytes.value_or(0) + size_of(s.address);
    }
  }
  rep.kernel_has_rust = rep.rust_symbols > 0;
  std::map<std::string, Classifier, std::less<>> located;
  if (in.ranges) {
    const BuiltinRanges ranges = parse_builtin_ranges(*in.ranges);
    if (ranges.bad_lines)
      rep.warnings.push_back("modules.builtin.ranges: " + std::to_string(ranges.bad_lines) +
                             " lines not understood");
    if (!rep.addresses_visible) {
      rep.warnings.push_back("hidden");
    } else {
      std::map<std::string, uint64_t> anchor_addr;
      for (const auto& [section, sym] : ranges.anchors) {
        for (const auto& s : syms)
          if (lifetrace::util::sanitize(s.name) == sym) {
            anchor_addr[section] = s.address;
            break;
          }
        if (!anchor_addr.count(section)) rep.warnings.push_back("anchor " + sym + " " + section);
      }
      struct Abs {
        uint64_t start, end;
        const BuiltinRange* r;
      };
      std::vector<Abs> abs;
      for (const auto& r : ranges.ranges) {
        auto a = anchor_addr.find(r.section);
        if (a == anchor_addr.end()) continue;
        abs.push_back({a->second + r.start, a->second + r.end, &r});
        for (const auto& m : r.modules) located[m];
      }
      std::stable_sort(abs.begin(), abs.end(),
                       [](const Abs& x, const Abs& y) { return x.start < y.start; });
      for (const auto& s : syms) {
        auto it = std::upper_bound(abs.begin(), abs.end(), s.address,
                                   [](uint64_t a, const Abs& r) { return a < r.start; });
        for (int back = 0; back < 4 && it != abs.begin(); ++back) {
          --it;
          if (s.address >= it->start && s.address < it->end)
            for (const auto& m : it->r->modules)
              located[m].add(Symbol{s.name, symbol_kind(s.type), true});
        }
      }
    }
  }
  // The modules' part is shared code in builtin_report: here only what
  // kallsyms decides, per located module and per crate.
  nlohmann::json j;
  for (auto& [name, c] : crates) rep.crates.push_back(c);
  j["summary"] = summary_json(rep);
  for (auto& [name, c] : crates) j["crates"].push_back(to_json(c));
  for (const auto& [name, c] : located) {
    auto r = to_json(c.finish().evidence);
    r["name"] = name;
    j["located"].push_back(r);
  }
  j["warnings"] = rep.warnings.size();
  return j.dump();
}

// The same view of the streamed report (modules located through the ranges
// are those with "ranges" evidence; every ranges module is in modules.builtin
// in the generated inputs).
std::string streamed_json(const BuiltinReport& rep) {
  nlohmann::json j;
  BuiltinReport counts = rep;
  counts.modules.clear();
  counts.have_modules_builtin = counts.have_modinfo = counts.have_ranges = false;
  j["summary"] = summary_json(counts);
  for (auto c : rep.crates) {
    c.module.clear();
    j["crates"].push_back(to_json(c));
  }
  for (const auto& m : rep.modules) {
    if (m.evidence_source.rfind("ranges", 0) != 0) continue;
    auto o = to_json(m.evidence);  // the language follows from it ("ranges,crate" changes it)
    o["name"] = m.name;
    j["located"].push_back(o);
  }
  j["warnings"] = rep.warnings.size();
  return j.dump();
}

// A kallsyms text as the kernel could write it, or worse: few distinct
// addresses (runs of aliases), Rust names of three crates, C names, the
// anchors, module lines; ascending or shuffled; sometimes all addresses zero.
struct Generated {
  std::string kallsyms;
  std::string ranges;
  std::string builtin;
  bool wraps = false;  // a range wraps around from its anchor: always two passes
};

Generated generate(std::mt19937_64& rng, bool ascending, bool hidden) {
  const std::vector<std::string> names = {
      "_text",
      "_sdata",
      "startup_64",
      "c_func",
      "c_other",
      "__pfx_c_func",
      "init_module",
      "rust_begin_unwind",
      "_RasMessage",
      "_RNvNtCsbDqzXfLQacH_4core9panicking5panic",
      "_RNvNtCsbDqzXfLQacH_4core3fmt5write",
      "_RNvMs2_Cs5rV5HccVfry_12drm_panic_qrNtB5_10EncodedMsg3new",
      "_RNvCs1234_6qt20254init",
      "_RNvCs9_6kernel5print",
      "odd\xff\x1bname",
  };
  const std::string types = "TtTtDdrRbBAWwU?";
  const std::vector<std::string> mods = {"qt2025", "dummy", "ext_4", "snd_a", "snd_b"};
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  struct Line {
    uint64_t address;
    std::string text;
  };
  std::vector<Line> lines;
  const size_t n = 20 + pick(200);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t address = hidden ? 0 : 0xffffffff81000000ull + 0x10 * pick(24);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(address));
    std::string line =
        std::string(buf) + ' ' + types[pick(types.size())] + ' ' + names[pick(names.size())];
    if (pick(10) == 0) line += "\t[" + mods[pick(mods.size())] + "]";
    if (pick(20) == 0) line += '\r';
    lines.push_back({address, line});
  }
  if (ascending)
    std::stable_sort(lines.begin(), lines.end(),
                     [](const Line& a, const Line& b) { return a.address < b.address; });
  Generated g;
  for (const auto& l : lines) g.kallsyms += l.text + '\n';
  if (pick(4) == 0) g.kallsyms += "garbage line\n";
  if (pick(2) == 0) g.kallsyms.pop_back();  // no final newline

  if (pick(3) != 0) g.ranges += ".text 00000000-00000000 = _text\n";
  if (pick(2) == 0) g.ranges += ".data 00000000-00000000 = _sdata\n";
  if (pick(8) == 0) g.ranges += ".bss 00000000-00000000 = nowhere\n";
  if (pick(10) == 0) g.ranges += ".text 0-1\n";  // a bad line
  const size_t nr = pick(12);
  for (size_t i = 0; i < nr; ++i) {
    const char* section = pick(3) == 0 ? ".data" : ".text";
    uint64_t start = 0x10 * pick(24);
    uint64_t end = start + 0x10 * pick(6);
    if (pick(20) == 0) {  // wraps around past 2^64 to just below its anchor
      start = 0 - 0x10 * (1 + pick(8));
      end = start + 0x10 * pick(4);
      g.wraps = true;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s %08llx-%08llx", section,
                  static_cast<unsigned long long>(start), static_cast<unsigned long long>(end));
    std::string line = buf;
    const size_t k = 1 + pick(3);
    for (size_t m = 0; m < k; ++m) line += ' ' + mods[pick(mods.size())];
    g.ranges += line + '\n';
  }
  for (const auto& m : mods) g.builtin += "kernel/x/" + m + ".ko\n";
  return g;
}

}  // namespace

TEST_CASE("builtin report: streamed, the same as the whole-text reference", "[builtin]") {
  auto [ascending, hidden] = GENERATE(table<bool, bool>({
      {true, false},   // the kernel's order: one pass
      {false, false},  // shuffled: the second pass
      {true, true},    // kptr_restrict: all zero
      {false, true},
  }));
  CAPTURE(ascending, hidden);
  std::mt19937_64 rng(ascending * 2 + hidden + 1);
  for (int round = 0; round < 300; ++round) {
    const Generated g = generate(rng, ascending, hidden);
    CAPTURE(round, g.kallsyms, g.ranges);
    BuiltinInputs in;
    in.kallsyms = g.kallsyms;
    in.modules_builtin = std::string_view(g.builtin);
    if (round % 5 != 0) in.ranges = std::string_view(g.ranges);
    int passes = 0;
    const BuiltinReport streamed = builtin_report(
        [&](const LineFn& line, std::string*) {
          ++passes;
          for_each_line(g.kallsyms, line);
          return true;
        },
        in);
    CHECK(streamed_json(streamed) == reference_json(in));
    CHECK(builtin_report(in).warnings == streamed.warnings);
    if (hidden || (ascending && !(g.wraps && in.ranges))) CHECK(passes == 1);
  }
}

TEST_CASE("builtin report: one pass in the kernel's order, two otherwise", "[builtin]") {
  BuiltinInputs in;
  in.modules_builtin = std::string_view(kBuiltin);
  const std::string ranges =
      ".text 00000000-00000000 = _text\n"
      ".text 00002000-00002200 qt2025\n";
  in.ranges = std::string_view(ranges);
  // kKallsyms ascends (its module symbol is not vmlinux's); the same lines
  // with the last two vmlinux ones swapped do not.
  std::string swapped = kKallsyms;
  const std::string a = "ffffffff81003000 T some_c_func\n";
  const std::string b = "ffffffff81003100 T other_c_func\n";
  swapped.replace(swapped.find(a), a.size() + b.size(), b + a);
  for (const std::string& text : {std::string(kKallsyms), swapped}) {
    int passes = 0;
    std::vector<size_t> lines;
    const auto r = builtin_report(
        [&](const LineFn& line, std::string*) {
          ++passes;
          lines.push_back(0);
          for_each_line(text, [&](std::string_view l) {
            ++lines.back();
            line(l);
          });
          return true;
        },
        in);
    CHECK(passes == (text == kKallsyms ? 1 : 2));
    for (size_t n : lines) CHECK(n == 12);
    CHECK(crate(r, "core").text_bytes == 0x40 + 0xc0);
    CHECK(crate(r, "qt2025").text_bytes == 0xf00);
    CHECK(module(r, "qt2025").language == Language::mixed);
    CHECK(module(r, "qt2025").evidence_source == "ranges");
  }
  // 20 000 symbols at one address (more than one run keeps for the ranges):
  // ascending, yet a second pass; the same result as the reference.
  std::string aliases = "ffffffff81000000 T _text\n";
  for (int i = 0; i < 20000; ++i) aliases += "ffffffff81002000 t alias_" + std::to_string(i) + "\n";
  aliases += kKallsyms;
  int passes = 0;
  BuiltinInputs many = in;
  many.kallsyms = aliases;
  const auto r = builtin_report(
      [&](const LineFn& line, std::string*) {
        ++passes;
        for_each_line(aliases, line);
        return true;
      },
      many);
  CHECK(passes == 2);
  CHECK(streamed_json(r) == reference_json(many));
  CHECK(module(r, "qt2025").evidence.c_functions == 20001);  // the aliases and qt_helper

  // A source that fails: no report, the source's reason.
  std::string error;
  const auto failed = builtin_report(
      [](const LineFn& line, std::string* why) {
        line("ffffffff81000000 T _text");
        *why = "kallsyms: Input/output error";
        return false;
      },
      in, &error);
  CHECK(error == "kallsyms: Input/output error");
  CHECK(failed.modules.empty());
  CHECK_FALSE(failed.have_kallsyms);
}
