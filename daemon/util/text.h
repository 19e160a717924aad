// Text from outside the process (file names, ELF symbol names, /proc and /sys
// contents) made safe to print anywhere: JSON, a terminal, a journal line, a
// Prometheus label. Escape once, where the bytes are read.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lifetrace::util {

// Returns `bytes` as valid UTF-8 with nothing a terminal, a log line or a JSON
// encoder could act on:
//   - well-formed, printable UTF-8 is copied unchanged;
//   - a backslash becomes "\\";
//   - each byte that is not part of a well-formed UTF-8 sequence (stray
//     continuation bytes, bad lead bytes, overlong forms, surrogates, code
//     points above U+10FFFF, sequences cut short) becomes "\xHH";
//   - each byte of these code points becomes "\xHH" too: C0 controls
//     (U+0000-U+001F, including \t \n \r ESC), DEL (U+007F), C1 controls
//     (U+0080-U+009F), the line and paragraph separators (U+2028, U+2029)
//     and the bidirectional controls (U+202A-U+202E, U+2066-U+2069).
// HH is two upper-case hex digits. Example: "a\nb\xFF\\" -> "a\x0Ab\xFF\\\\"
// (as C string literals: "a\nb\xff\\" -> "a\\x0Ab\\xFF\\\\").
//
// The escaping is lossless: unsanitize() reads "\\" as one backslash and
// "\xHH" as the byte HH, and gives back the original bytes exactly. No other
// backslash sequence can appear in the output.
std::string sanitize(std::string_view bytes);

// True if `text` could have come out of sanitize(): valid UTF-8, none of the
// code points listed above, and every backslash starts "\\" or "\xHH".
// sanitize(s) == s exactly when s is plain printable text without backslashes.
bool is_sanitized(std::string_view text);

// The inverse of sanitize(). Returns false (and leaves `out` unspecified) if
// `text` contains a backslash that is neither "\\" nor "\xHH".
bool unsanitize(std::string_view text, std::string& out);

// The fields of a /proc-style line: the runs of characters between spaces and tabs (no empty
// fields). The views point into `line`.
std::vector<std::string_view> split_fields(std::string_view line);

// Appends "\xHH" (upper-case hex) for byte `b`: the one spelling of an escaped byte.
void put_hex(std::string& out, unsigned char b);

// 0..15 for a hex digit (either case), -1 for anything else.
int hex_value(char c);

// "12 ms": a duration in nanoseconds, rounded to the millisecond (the -v notes on start-up costs).
std::string format_ms(std::uint64_t ns);

}  // namespace lifetrace::util
