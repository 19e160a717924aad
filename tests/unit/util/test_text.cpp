// util::sanitize: what passes, what is escaped, and that nothing is lost.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "util/text.h"

using lifetrace::util::is_sanitized;
using lifetrace::util::sanitize;
using lifetrace::util::unsanitize;

namespace {

// Valid UTF-8 with no byte below 0x20, no DEL and no C1 control (in their
// raw, not escaped, form): what every medium accepts.
bool printable_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<uint8_t>(s[i]);
    if (b < 0x20 || b == 0x7F) return false;
    if (b == 0xC2 && i + 1 < s.size() && static_cast<uint8_t>(s[i + 1]) <= 0x9F) return false;
  }
  return is_sanitized(s);
}

}  // namespace

TEST_CASE("sanitize: printable UTF-8 passes and everything else becomes an xHH escape",
          "[util][text]") {
  auto [what, in, out] = GENERATE(table<std::string, std::string, std::string>({
      // unchanged
      {"empty", "", ""},
      {"ascii", "nf_tables", "nf_tables"},
      {"punctuation", "a-b_c.d/e:f [g] {h} \"i\" 'j' ~", "a-b_c.d/e:f [g] {h} \"i\" 'j' ~"},
      {"2-byte", "caf\xC3\xA9", "caf\xC3\xA9"},
      {"3-byte", "\xE2\x82\xAC 5", "\xE2\x82\xAC 5"},
      {"4-byte", "\xF0\x9F\xA6\x80", "\xF0\x9F\xA6\x80"},
      {"U+00A0 (first after C1)", "\xC2\xA0", "\xC2\xA0"},
      {"U+FFFD", "\xEF\xBF\xBD", "\xEF\xBF\xBD"},
      {"U+10FFFF", "\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"},
      {"U+200E LRM is a mark, not a control", "\xE2\x80\x8E", "\xE2\x80\x8E"},
      {"U+2027 next to the separators", "\xE2\x80\xA7", "\xE2\x80\xA7"},
      {"U+202F", "\xE2\x80\xAF", "\xE2\x80\xAF"},
      {"U+2065 (unassigned)", "\xE2\x81\xA5", "\xE2\x81\xA5"},
      {"U+206A", "\xE2\x81\xAA", "\xE2\x81\xAA"},
      // backslash
      {"backslash", "a\\b", "a\\\\b"},
      {"looks like an escape", "\\x41", "\\\\x41"},
      // C0, DEL
      {"NUL", std::string("a\0b", 3), "a\\x00b"},
      {"tab", "a\tb", "a\\x09b"},
      {"newline", "line1\nline2", "line1\\x0Aline2"},
      {"CR", "a\rb", "a\\x0Db"},
      {"journal priority after newline", "x\n<3>fake", "x\\x0A<3>fake"},
      {"ESC", "\x1B[2J", "\\x1B[2J"},
      {"0x1F", "\x1F", "\\x1F"},
      {"DEL", "\x7F", "\\x7F"},
      // C1 (U+0080..U+009F, encoded C2 80..C2 9F)
      {"U+0080", "\xC2\x80", "\\xC2\\x80"},
      {"U+009B CSI",
       "\xC2\x9B"
       "31m",
       "\\xC2\\x9B"
       "31m"},
      {"U+009F", "\xC2\x9F", "\\xC2\\x9F"},
      // separators and bidi controls
      {"U+2028 LS", "\xE2\x80\xA8", "\\xE2\\x80\\xA8"},
      {"U+2029 PS", "\xE2\x80\xA9", "\\xE2\\x80\\xA9"},
      {"U+202A LRE", "\xE2\x80\xAA", "\\xE2\\x80\\xAA"},
      {"U+202E RLO",
       "a\xE2\x80\xAE"
       "cba",
       "a\\xE2\\x80\\xAE"
       "cba"},
      {"U+2066 LRI", "\xE2\x81\xA6", "\\xE2\\x81\\xA6"},
      {"U+2069 PDI", "\xE2\x81\xA9", "\\xE2\\x81\\xA9"},
      // invalid UTF-8, one escape per byte
      {"0xFF", "mod\xFF.ko", "mod\\xFF.ko"},
      {"0xFE", "\xFE", "\\xFE"},
      {"stray continuation", "\x80", "\\x80"},
      {"two continuations", "a\x80\xBF", "a\\x80\\xBF"},
      {"C0 lead (overlong)", "\xC0\xAF", "\\xC0\\xAF"},
      {"C1 lead (overlong)", "\xC1\xBF", "\\xC1\\xBF"},
      {"overlong 3-byte", "\xE0\x80\xAF", "\\xE0\\x80\\xAF"},
      {"overlong 4-byte", "\xF0\x8F\xBF\xBF", "\\xF0\\x8F\\xBF\\xBF"},
      {"surrogate D800", "\xED\xA0\x80", "\\xED\\xA0\\x80"},
      {"surrogate DFFF", "\xED\xBF\xBF", "\\xED\\xBF\\xBF"},
      {"above U+10FFFF", "\xF4\x90\x80\x80", "\\xF4\\x90\\x80\\x80"},
      {"F5 lead", "\xF5\x80\x80\x80", "\\xF5\\x80\\x80\\x80"},
      {"truncated 2-byte at end", "a\xC3", "a\\xC3"},
      {"truncated 3-byte at end", "\xE2\x82", "\\xE2\\x82"},
      {"truncated 4-byte at end", "\xF0\x9F\xA6", "\\xF0\\x9F\\xA6"},
      {"truncated then ASCII",
       "\xE2\x82"
       "A",
       "\\xE2\\x82"
       "A"},
      {"lead then a new lead", "\xC3\xC3\xA9", "\\xC3\xC3\xA9"},
      {"Rust symbol with a bad suffix", "_RNvCs1_4core3foo.llvm.\xFF",
       "_RNvCs1_4core3foo.llvm.\\xFF"},
  }));
  CAPTURE(what, in);
  const std::string got = sanitize(in);
  CHECK(got == out);
  CHECK(is_sanitized(got));
  CHECK(printable_utf8(got));
  std::string back;
  REQUIRE(unsanitize(got, back));
  CHECK(back == in);
  CHECK((got == in) == (in.find_first_of("\\") == std::string::npos && is_sanitized(in)));
}

TEST_CASE("sanitize: every single byte and every byte pair round-trip", "[util][text]") {
  std::string back;
  for (int a = 0; a < 256; ++a) {
    const std::string one(1, static_cast<char>(a));
    CAPTURE(a);
    const std::string s1 = sanitize(one);
    CHECK(printable_utf8(s1));
    REQUIRE(unsanitize(s1, back));
    CHECK(back == one);
    CHECK((s1 == one) == (a >= 0x20 && a < 0x7F && a != '\\'));
    for (int b = 0; b < 256; ++b) {
      const std::string two{static_cast<char>(a), static_cast<char>(b)};
      const std::string s2 = sanitize(two);
      if (!printable_utf8(s2) || !unsanitize(s2, back) || back != two) {
        CAPTURE(b, s2);
        FAIL("pair does not round-trip");
      }
    }
  }
}

TEST_CASE("is_sanitized and unsanitize reject what sanitize never produces", "[util][text]") {
  auto [what, text, sanitized, decodes] = GENERATE(table<std::string, std::string, bool, bool>({
      {"plain", "abc", true, true},
      {"escaped backslash", "a\\\\b", true, true},
      {"escaped byte", "\\xFF", true, true},
      {"lower-case hex", "\\xff", true, true},
      {"lone backslash", "a\\b", false, false},
      {"backslash at end", "a\\", false, false},
      {"short \\x", "\\xF", false, false},
      {"bad hex", "\\xG0", false, false},
      {"raw newline", "a\nb", false, true},
      {"raw C1", "\xC2\x85", false, true},
      {"raw RLO", "\xE2\x80\xAE", false, true},
      {"raw invalid byte", "\xFF", false, true},
  }));
  CAPTURE(what, text);
  CHECK(is_sanitized(text) == sanitized);
  std::string out;
  CHECK(unsanitize(text, out) == decodes);
}

TEST_CASE("split_fields splits /proc lines at runs of spaces and tabs", "[text]") {
  using V = std::vector<std::string_view>;
  CHECK(lifetrace::util::split_fields("dummy 16384 0 - Live 0x0") ==
        V{"dummy", "16384", "0", "-", "Live", "0x0"});
  CHECK(lifetrace::util::split_fields("  a\t\tb  ") == V{"a", "b"});
  CHECK(lifetrace::util::split_fields("").empty());
  CHECK(lifetrace::util::split_fields(" \t ").empty());
}
