// What is built into the kernel: the parsers of modules.builtin,
// modules.builtin.modinfo and modules.builtin.ranges, and the report built
// from them and a kallsyms text (crates of v0 names, ranges placed at
// addresses). The input is those four texts separated by lines "----".
// Never a crash; every kept string sanitized; every JSON object valid.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "classify/builtin.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lifetrace::classify;
  using lifetrace::fuzz::check_json;
  using lifetrace::fuzz::check_sanitized;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  for (int i = 0; i < 3; ++i) {
    const size_t sep = rest.find("\n----\n");
    if (sep == std::string_view::npos) break;
    parts.push_back(rest.substr(0, sep));
    rest.remove_prefix(sep + 6);
  }
  parts.push_back(rest);

  BuiltinInputs in;
  in.kallsyms = parts[0];
  if (parts.size() > 1) in.modules_builtin = parts[1];
  if (parts.size() > 2) in.modinfo = parts[2];
  if (parts.size() > 3) in.ranges = parts[3];

  // Each parser alone, on every part (any file can hold anything).
  for (std::string_view p : parts) {
    for (const auto& n : parse_modules_builtin(p)) check_sanitized(n);
    for (const auto& [mod, keys] : parse_builtin_modinfo(p)) {
      check_sanitized(mod);
      for (const auto& [k, v] : keys) {
        check_sanitized(k);
        check_sanitized(v);
        if (v.size() > 4 * kMaxBuiltinValue) lifetrace::fuzz::fail("modinfo value not cut", v);
      }
    }
    const BuiltinRanges r = parse_builtin_ranges(p);
    for (const auto& [sec, anchor] : r.anchors) {
      check_sanitized(sec);
      check_sanitized(anchor);
    }
    for (const auto& range : r.ranges) {
      check_sanitized(range.section);
      if (range.end < range.start) lifetrace::fuzz::fail("range ends before it starts", p);
      for (const auto& m : range.modules) check_sanitized(m);
    }
  }

  const BuiltinReport rep = builtin_report(in);
  for (const auto& m : rep.modules) {
    check_sanitized(m.name);
    check_json(to_json(m));
  }
  for (const auto& c : rep.crates) {
    check_sanitized(c.name);
    if (c.symbols == 0 || c.functions > c.symbols) lifetrace::fuzz::fail("crate counts", c.name);
    check_json(to_json(c));
  }
  for (const auto& w : rep.warnings) check_sanitized(w);
  check_json(summary_json(rep));
  return 0;
}
