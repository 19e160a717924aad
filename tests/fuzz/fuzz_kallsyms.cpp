// /proc/kallsyms text: every line parsed, every module classified; module
// names and kept symbols are sanitized and the JSON is valid.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "classify/kallsyms.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lifetrace::classify;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    KallsymsEntry e;
    if (parse_kallsyms_line(text.substr(pos, nl - pos), e)) {
      if (e.name.empty())
        lifetrace::fuzz::fail("empty symbol name accepted", text.substr(pos, nl - pos));
      (void)symbol_kind(e.type);
    }
    pos = nl + 1;
  }
  for (const auto& [module, result] : classify_kallsyms(text)) {
    lifetrace::fuzz::check_sanitized(module);
    nlohmann::json j = to_json(result);
    j["module"] = module;
    lifetrace::fuzz::check_json(j);
  }
  return 0;
}
