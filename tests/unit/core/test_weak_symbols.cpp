// One module, three ways of reading its symbols -- live from the kernel's
// symbol table at load time, from /proc/kallsyms (`lifetrace list`) and from
// the file (`lifetrace classify`) -- must give one language. Weak symbols
// (nm 'W'/'w', 'V'/'v') were once counted as functions live and as "other"
// in kallsyms, which split this module's answer in two.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "classify/elf_module.h"
#include "classify/kallsyms.h"
#include "core/correlator.h"
#include "core/records.h"

using namespace lifetrace;
using namespace lifetrace::test;

namespace {

// weak_mod's symbols as the kernel's typetab and /proc/kallsyms type them.
struct Sym {
  char type;
  std::string name;
};
const std::vector<Sym> kWeakMod = {
    {'T', "_RNvCs5rV5HccVfry_8weak_mod7rs_part"},
    {'W', "weak_helper"},
    {'w', "weak_init"},
    {'D', "__this_module"},
    {'v', "weak_table"},
};

}  // namespace

TEST_CASE("weak symbols get one language live, in list and in classify", "[classify][weak]") {
  // Live: the symbol batch the BPF walk sends, then do_init_module.
  std::vector<SymbolEntry> batch;
  for (const auto& s : kWeakMod) batch.push_back({s.type, false, s.name});
  Correlator c;
  c.feed(load_enter(1, 100, "weak_mod.ko"));
  c.feed(symbols(100, 0xa000, batch));
  const auto events = c.feed(mod_init(2, 100, 0xa000, "weak_mod"));
  REQUIRE(events.size() == 1);
  const classify::Language live = events[0].language;

  // lifetrace list: the same symbols as /proc/kallsyms lines.
  std::string kallsyms;
  for (const auto& s : kWeakMod) {
    kallsyms += "ffffffffc0000000 " + std::string(1, s.type) + " " + s.name + "\t[weak_mod]\n";
  }
  const auto listed = classify::classify_kallsyms(kallsyms);
  REQUIRE(listed.count("weak_mod") == 1);

  // lifetrace classify: the module file (weak C functions, a Rust one).
  const auto file = classify::classify_file(std::string(LT_ELF_DIR) + "/weak/weak_mod.ko");
  REQUIRE(file.error.empty());

  CHECK(live == classify::Language::mixed);
  CHECK(listed.at("weak_mod").language == live);
  CHECK(file.result.language == live);
}

TEST_CASE("the nm type letters map to symbol kinds once, for every source", "[classify]") {
  using classify::SymKind;
  auto [type, kind, defined] = GENERATE(table<char, SymKind, bool>({
      {'t', SymKind::func, true},
      {'T', SymKind::func, true},
      {'w', SymKind::func, true},
      {'W', SymKind::func, true},
      {'d', SymKind::object, true},
      {'D', SymKind::object, true},
      {'b', SymKind::object, true},
      {'B', SymKind::object, true},
      {'r', SymKind::object, true},
      {'R', SymKind::object, true},
      {'v', SymKind::object, true},
      {'V', SymKind::object, true},
      {'a', SymKind::other, true},
      {'A', SymKind::other, true},
      {'n', SymKind::other, true},
      {'?', SymKind::other, true},
      {'U', SymKind::other, false},
      {'u', SymKind::other, false},
  }));
  CAPTURE(type);
  CHECK(classify::symbol_kind(type) == kind);
  CHECK(classify::symbol_defined(type) == defined);
}
