// One /proc/modules line: parsed or refused, never a crash; the fields kept
// are sanitized and the JSON (as `lifetrace list --json` prints it) is valid.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "classify/inventory.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lifetrace::classify;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  ModuleInfo m;
  if (!parse_proc_modules_line(line, m)) return 0;
  lifetrace::fuzz::check_sanitized(m.name);
  lifetrace::fuzz::check_sanitized(m.state);
  lifetrace::fuzz::check_sanitized(m.taints);
  for (const auto& h : m.holders) lifetrace::fuzz::check_sanitized(h);
  lifetrace::fuzz::check_json(to_json(m));
  return 0;
}
