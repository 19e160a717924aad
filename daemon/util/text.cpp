#include "util/text.h"

#include <cstdint>

namespace lifetrace::util {
namespace {

uint8_t byte_at(std::string_view s, size_t i) { return static_cast<uint8_t>(s[i]); }

bool in(uint8_t b, uint8_t lo, uint8_t hi) { return b >= lo && b <= hi; }

// Length of the well-formed UTF-8 sequence starting at s[i] (Unicode 15,
// table 3-7), and its code point; 0 if the byte at i does not start one.
size_t decode(std::string_view s, size_t i, char32_t& cp) {
  const uint8_t b0 = byte_at(s, i);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  size_t len = 0;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (in(b0, 0xC2, 0xDF)) {
    len = 2;
  } else if (b0 == 0xE0) {
    len = 3, lo = 0xA0;  // no overlongs
  } else if (in(b0, 0xE1, 0xEC) || in(b0, 0xEE, 0xEF)) {
    len = 3;
  } else if (b0 == 0xED) {
    len = 3, hi = 0x9F;  // no surrogates
  } else if (b0 == 0xF0) {
    len = 4, lo = 0x90;  // no overlongs
  } else if (in(b0, 0xF1, 0xF3)) {
    len = 4;
  } else if (b0 == 0xF4) {
    len = 4, hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;  // 80..C1, F5..FF never start a sequence
  }
  if (s.size() - i < len) return 0;
  if (!in(byte_at(s, i + 1), lo, hi)) return 0;
  for (size_t k = 2; k < len; ++k)
    if (!in(byte_at(s, i + k), 0x80, 0xBF)) return 0;
  char32_t v = b0 & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) v = (v << 6) | (byte_at(s, i + k) & 0x3F);
  cp = v;
  return len;
}

// Code points that are valid but must not reach a terminal or a log line.
bool must_escape(char32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||  // C0, DEL, C1
         cp == 0x2028 || cp == 0x2029 ||                           // line/paragraph separators
         (cp >= 0x202A && cp <= 0x202E) ||                         // LRE RLE PDF LRO RLO
         (cp >= 0x2066 && cp <= 0x2069);                           // LRI RLI FSI PDI
}

bool plain_ascii(uint8_t b) { return b >= 0x20 && b < 0x7F && b != '\\'; }

}  // namespace

void put_hex(std::string& out, unsigned char b) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += "\\x";
  out += kHex[b >> 4];
  out += kHex[b & 0xF];
}

std::string format_ms(std::uint64_t ns) {
  return std::to_string((ns + 500'000) / 1'000'000) + " ms";
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string sanitize(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size() && plain_ascii(byte_at(bytes, i))) ++i;
  std::string out(bytes.substr(0, i));
  if (i == bytes.size()) return out;
  out.reserve(bytes.size() + 16);
  while (i < bytes.size()) {
    const uint8_t b = byte_at(bytes, i);
    if (plain_ascii(b)) {
      out += static_cast<char>(b);
      ++i;
      continue;
    }
    if (b == '\\') {
      out += "\\\\";
      ++i;
      continue;
    }
    char32_t cp = 0;
    const size_t len = decode(bytes, i, cp);
    if (len == 0) {
      put_hex(out, b);  // one byte of invalid UTF-8; resynchronise on the next
      ++i;
    } else if (must_escape(cp)) {
      for (size_t k = 0; k < len; ++k) put_hex(out, byte_at(bytes, i + k));
      i += len;
    } else {
      out.append(bytes.substr(i, len));
      i += len;
    }
  }
  return out;
}

bool is_sanitized(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const uint8_t b = byte_at(text, i);
    if (plain_ascii(b)) {
      ++i;
      continue;
    }
    if (b == '\\') {
      if (i + 1 < text.size() && text[i + 1] == '\\') {
        i += 2;
        continue;
      }
      if (i + 3 < text.size() && text[i + 1] == 'x' && hex_value(text[i + 2]) >= 0 &&
          hex_value(text[i + 3]) >= 0) {
        i += 4;
        continue;
      }
      return false;
    }
    char32_t cp = 0;
    const size_t len = decode(text, i, cp);
    if (len == 0 || must_escape(cp)) return false;
    i += len;
  }
  return true;
}

bool unsanitize(std::string_view text, std::string& out) {
  out.clear();
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '\\') {
      out += '\\';
      i += 1;
      continue;
    }
    if (i + 3 < text.size() && text[i + 1] == 'x') {
      const int hi = hex_value(text[i + 2]);
      const int lo = hex_value(text[i + 3]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>((hi << 4) | lo);
        i += 3;
        continue;
      }
    }
    return false;
  }
  return true;
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace lifetrace::util
