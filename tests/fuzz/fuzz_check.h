// Properties every fuzz target checks on what the classifier keeps or prints.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/text.h"

namespace lifetrace::fuzz {

// Stops the run (libFuzzer saves the input) with a message.
[[noreturn]] inline void fail(const char* what, std::string_view text) {
  std::fprintf(stderr, "fuzz property violated: %s: \"%.*s\"\n", what,
               static_cast<int>(text.size()), text.data());
  std::abort();
}

// A kept or printed string: a possible output of util::sanitize().
inline void check_sanitized(std::string_view s) {
  if (!util::is_sanitized(s)) fail("not sanitized", s);
}

// A JSON document: dump() throws on invalid UTF-8 (the bug this guards
// against); the text must have no raw control byte.
inline void check_json(const nlohmann::json& j) {
  const std::string text = j.dump();
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7F) fail("control byte in JSON", text);
  }
}

}  // namespace lifetrace::fuzz
