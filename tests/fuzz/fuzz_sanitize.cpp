// util::sanitize: the output is valid UTF-8 without control characters, it is
// recognised by is_sanitized(), and unsanitize() gives the input back.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lifetrace;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string out = util::sanitize(in);
  fuzz::check_sanitized(out);
  for (size_t i = 0; i < out.size(); ++i) {
    const auto b = static_cast<unsigned char>(out[i]);
    if (b < 0x20 || b == 0x7F) fuzz::fail("C0 control or DEL in the output", out);
    if (b == 0xC2 && i + 1 < out.size() && static_cast<unsigned char>(out[i + 1]) <= 0x9F)
      fuzz::fail("C1 control in the output", out);
  }
  // An independent UTF-8 validator: nlohmann::json refuses invalid UTF-8.
  fuzz::check_json(nlohmann::json(out));
  std::string back;
  if (!util::unsanitize(out, back) || back != in) fuzz::fail("does not round-trip", out);
  // Clean text is left alone; anything else is changed.
  const bool clean = in.find('\\') == std::string_view::npos && util::is_sanitized(in);
  if (clean != (out == in)) fuzz::fail("clean text changed or dirty text unchanged", out);
  // unsanitize() on arbitrary text never crashes, and accepts every sanitized text.
  std::string ignored;
  if (util::is_sanitized(in) && !util::unsanitize(in, ignored))
    fuzz::fail("is_sanitized but not decodable", in);
  return 0;
}
