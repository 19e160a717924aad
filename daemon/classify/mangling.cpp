// Structural recognisers for Rust symbol manglings.
//
// v0 (RFC 2603, the scheme Rust-for-Linux builds with): a small recursive
// descent parser over the grammar. It does not demangle; it only answers
// "is this a well-formed v0 name?" so that a C identifier that merely starts
// with "_R" (_Reset_counter, _RX_handler) is not mistaken for Rust code.
//
// Grammar summary (see docs/classification.md for the reference):
//   symbol      = "_R" path [instantiating-crate = path] [("." | "$") suffix]
//   path        = "C" identifier                    crate root
//               | "M" [disamb] path type             inherent impl
//               | "X" [disamb] path type path        trait impl
//               | "Y" type path                      trait definition
//               | "N" namespace path identifier      nested path
//               | "I" path {generic-arg} "E"         generic args
//               | "B" base62                         backref
//   identifier  = [disamb] ["u"] decimal ["_"] bytes
//   disamb      = "s" base62
//   generic-arg = "L" base62 | "K" const | type
//   type        = basic (a b c d e f h i j l m n o p s t u v x y z)
//               | "A" type const | "S" type | "T" {type} "E"
//               | ("R" | "Q") ["L" base62] type | ("P" | "O") type
//               | "F" fn-sig | "D" dyn-bounds "L" base62 | path | backref
//   fn-sig      = ["G" base62] ["U"] ["K" ("C" | undisambiguated-ident)]
//                 {type} "E" type
//   dyn-bounds  = ["G" base62] {path {"p" undisambiguated-ident type}} "E"
//   const       = int-type ["n"] {hex} "_" | "b" bool | "c" char | "p"
//               | "e" {hex hex} "_" | ("R" | "Q") const
//               | ("A" | "T") {const} "E"
//               | "V" path ("U" | "T" {const} "E" | "S" {identifier const} "E")
//               | backref
// A backref must point strictly before its own "B" tag, at the start of a
// path, type or const that is already complete (positions count from just
// after "_R"), so it can never refer to an element that contains it.
#include "classify/classify.h"

#include <array>
#include <cstring>
#include <vector>

namespace lifetrace::classify {
namespace {

constexpr int kMaxDepth = 200;
constexpr uint64_t kMaxIdentLen = 1u << 20;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }
bool is_ident_byte(char c) { return is_digit(c) || is_lower(c) || is_upper(c) || c == '_'; }

int digit62(char c) {
  if (is_digit(c)) return c - '0';
  if (is_lower(c)) return c - 'a' + 10;
  if (is_upper(c)) return c - 'A' + 36;
  return -1;
}

bool is_basic_type(char c) {
  switch (c) {
    case 'a':
    case 'b':
    case 'c':
    case 'd':
    case 'e':
    case 'f':
    case 'h':
    case 'i':
    case 'j':
    case 'l':
    case 'm':
    case 'n':
    case 'o':
    case 'p':
    case 's':
    case 't':
    case 'u':
    case 'v':
    case 'x':
    case 'y':
    case 'z': return true;
    default: return false;
  }
}

bool is_path_tag(char c) {
  return c == 'C' || c == 'M' || c == 'X' || c == 'Y' || c == 'N' || c == 'I' || c == 'B';
}

// Parses the part of a v0 symbol after "_R". Every method returns false on
// the first failure; `eof_` tells whether that failure was running off the
// end of the input (acceptable for a truncated name) or a grammar violation.
class V0Parser {
 public:
  V0Parser(std::string_view s, unsigned char* starts) : s_(s), starts_(starts) {}

  bool symbol() {
    if (s_.empty() || !is_upper(s_[0])) return bad();
    if (!path()) return false;
    if (pos_ < s_.size() && is_upper(s_[pos_]) && !path()) return false;  // instantiating crate
    if (pos_ == s_.size()) return true;
    if (s_[pos_] == '.' || s_[pos_] == '$') return true;  // vendor-specific suffix
    return bad();
  }

  bool eof() const { return eof_; }

 private:
  bool bad() { return false; }
  bool need() {
    if (pos_ < s_.size()) return true;
    eof_ = true;
    return false;
  }
  bool eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  struct Depth {
    explicit Depth(int& d) : d_(d) { ++d_; }
    ~Depth() { --d_; }
    Depth(const Depth&) = delete;
    Depth& operator=(const Depth&) = delete;
    int& d_;
  };

  bool base62(uint64_t* out = nullptr) {
    uint64_t v = 0;
    bool any = false;
    for (;;) {
      if (!need()) return false;
      char c = s_[pos_++];
      if (c == '_') break;
      int d = digit62(c);
      if (d < 0) return bad();
      if (v > (UINT64_MAX - 61) / 62) return bad();
      v = v * 62 + static_cast<uint64_t>(d);
      any = true;
    }
    if (out) *out = any ? v + 1 : 0;
    return true;
  }

  bool decimal(uint64_t& v) {
    if (!need()) return false;
    char c = s_[pos_];
    if (!is_digit(c)) return bad();
    ++pos_;
    v = static_cast<uint64_t>(c - '0');
    if (c == '0') return true;
    while (pos_ < s_.size() && is_digit(s_[pos_])) {
      v = v * 10 + static_cast<uint64_t>(s_[pos_] - '0');
      if (v > kMaxIdentLen) return bad();
      ++pos_;
    }
    return true;
  }

  bool disambiguator_opt() { return eat('s') ? base62() : true; }

  bool undisambiguated_identifier() {
    eat('u');  // punycode marker; the encoded bytes are still [A-Za-z0-9_]
    uint64_t len = 0;
    if (!decimal(len)) return false;
    eat('_');
    size_t avail = s_.size() - pos_;
    size_t take = len < avail ? static_cast<size_t>(len) : avail;
    for (size_t i = 0; i < take; ++i)
      if (!is_ident_byte(s_[pos_ + i])) return bad();
    if (len > avail) {
      pos_ = s_.size();
      eof_ = true;
      return false;
    }
    pos_ += take;
    return true;
  }

  bool identifier() { return disambiguator_opt() && undisambiguated_identifier(); }

  bool backref() {  // the 'B' has been consumed
    size_t tag = pos_ - 1;
    uint64_t target = 0;
    if (!base62(&target)) return false;
    if (target >= tag || !starts_[target]) return bad();
    return true;
  }

  bool lifetime_opt() { return eat('L') ? base62() : true; }
  bool binder_opt() { return eat('G') ? base62() : true; }

  // A backref may only name an element that is complete: one that starts
  // earlier and has already been parsed in full (so it cannot contain the
  // backref itself, which would make the name infinitely recursive).
  template <typename F>
  bool element(F&& parse) {
    const size_t start = pos_;
    if (!parse()) return false;
    starts_[start] = 1;
    return true;
  }

  bool path() {
    return element([this] { return path_body(); });
  }
  bool type() {
    return element([this] { return type_body(); });
  }
  bool konst() {
    return element([this] { return const_body(); });
  }

  bool path_body() {
    Depth guard(depth_);
    if (depth_ > kMaxDepth) return bad();
    if (!need()) return false;
    char tag = s_[pos_++];
    switch (tag) {
      case 'C': return identifier();
      case 'M': return disambiguator_opt() && path() && type();
      case 'X': return disambiguator_opt() && path() && type() && path();
      case 'Y': return type() && path();
      case 'N': {
        if (!need()) return false;
        char ns = s_[pos_++];
        if (!is_lower(ns) && !is_upper(ns)) return bad();
        return path() && identifier();
      }
      case 'I':
        if (!path()) return false;
        while (!eat('E')) {
          if (!need() || !generic_arg()) return false;
        }
        return true;
      case 'B': return backref();
      default: return bad();
    }
  }

  bool generic_arg() {
    if (eat('L')) return base62();
    if (eat('K')) return konst();
    return type();
  }

  bool type_body() {
    Depth guard(depth_);
    if (depth_ > kMaxDepth) return bad();
    if (!need()) return false;
    char c = s_[pos_];
    if (is_basic_type(c)) {
      ++pos_;
      return true;
    }
    if (is_path_tag(c)) return path();
    ++pos_;
    switch (c) {
      case 'A': return type() && konst();
      case 'S':
      case 'P':
      case 'O': return type();
      case 'T':
        while (!eat('E')) {
          if (!need() || !type()) return false;
        }
        return true;
      case 'R':
      case 'Q': return lifetime_opt() && type();
      case 'F': return fn_sig();
      case 'D':
        if (!dyn_bounds()) return false;
        if (!need()) return false;
        if (!eat('L')) return bad();
        return base62();
      default: return bad();
    }
  }

  bool fn_sig() {
    if (!binder_opt()) return false;
    eat('U');
    if (eat('K')) {
      if (!need()) return false;
      if (!eat('C') && !undisambiguated_identifier()) return false;
    }
    while (!eat('E')) {
      if (!need() || !type()) return false;
    }
    return type();
  }

  bool dyn_bounds() {
    if (!binder_opt()) return false;
    while (!eat('E')) {
      if (!need() || !path()) return false;
      while (eat('p')) {
        if (!undisambiguated_identifier() || !type()) return false;
      }
    }
    return true;
  }

  // {hex} "_" ; returns the value (saturated) for bool/char checks.
  bool const_data(uint64_t* value = nullptr) {
    uint64_t v = 0;
    for (;;) {
      if (!need()) return false;
      char c = s_[pos_++];
      if (c == '_') break;
      if (!is_hex(c)) return bad();
      uint64_t d =
          is_digit(c) ? static_cast<uint64_t>(c - '0') : static_cast<uint64_t>(c - 'a' + 10);
      v = v > (UINT64_MAX >> 4) ? UINT64_MAX : (v << 4) | d;
    }
    if (value) *value = v;
    return true;
  }

  bool const_body() {
    Depth guard(depth_);
    if (depth_ > kMaxDepth) return bad();
    if (!need()) return false;
    char c = s_[pos_];
    if (c == 'B') {
      ++pos_;
      return backref();
    }
    ++pos_;
    uint64_t v = 0;
    switch (c) {
      case 'p':  // placeholder
        return true;
      case 'h':
      case 't':
      case 'm':
      case 'y':
      case 'o':
      case 'j':  // unsigned
        return const_data();
      case 'a':
      case 's':
      case 'l':
      case 'x':
      case 'n':
      case 'i':  // signed
        eat('n');
        return const_data();
      case 'b':
        if (!const_data(&v)) return false;
        return v <= 1 ? true : bad();
      case 'c':
        if (!const_data(&v)) return false;
        return (v <= 0x10FFFF && (v < 0xD800 || v > 0xDFFF)) ? true : bad();
      case 'e': {  // str: hex-encoded bytes
        size_t start = pos_;
        if (!const_data()) return false;
        return ((pos_ - 1 - start) % 2 == 0) ? true : bad();
      }
      case 'R':
      case 'Q': return konst();
      case 'A':
      case 'T':
        while (!eat('E')) {
          if (!need() || !konst()) return false;
        }
        return true;
      case 'V':
        if (!path()) return false;
        if (!need()) return false;
        if (eat('U')) return true;
        if (eat('T')) {
          while (!eat('E')) {
            if (!need() || !konst()) return false;
          }
          return true;
        }
        if (eat('S')) {
          while (!eat('E')) {
            if (!need() || !identifier() || !konst()) return false;
          }
          return true;
        }
        return bad();
      default: return bad();
    }
  }

  std::string_view s_;
  unsigned char* starts_;
  size_t pos_ = 0;
  int depth_ = 0;
  bool eof_ = false;
};

bool is_v0(std::string_view sym, bool truncated) {
  std::string_view inner = sym.substr(2);
  std::array<unsigned char, 1024> small{};
  std::vector<unsigned char> big;
  unsigned char* starts = small.data();
  if (inner.size() > small.size()) {
    big.assign(inner.size(), 0);
    starts = big.data();
  }
  V0Parser p(inner, starts);
  if (p.symbol()) return true;
  return truncated && p.eof() && !inner.empty();
}

bool is_legacy(std::string_view s, bool truncated) {
  // _ZN {decimal bytes} E [.suffix], last component h<16 hex>, >= 2 components
  size_t pos = 3;
  int components = 0;
  bool hash_last = false;
  for (;;) {
    if (pos >= s.size()) return truncated && components >= 1;
    char c = s[pos];
    if (c == 'E') {
      ++pos;
      break;
    }
    if (!is_digit(c) || c == '0') return false;
    uint64_t len = 0;
    while (pos < s.size() && is_digit(s[pos])) {
      len = len * 10 + static_cast<uint64_t>(s[pos] - '0');
      if (len > kMaxIdentLen) return false;
      ++pos;
    }
    size_t avail = s.size() - pos;
    size_t take = len < avail ? static_cast<size_t>(len) : avail;
    for (size_t i = 0; i < take; ++i) {
      char b = s[pos + i];
      if (!is_ident_byte(b) && b != '$' && b != '.') return false;
    }
    if (len > avail) return truncated && components >= 1;
    hash_last = false;
    if (len == 17 && s[pos] == 'h') {
      hash_last = true;
      for (size_t i = 1; i < 17; ++i)
        if (!is_hex(s[pos + i])) hash_last = false;
    }
    pos += take;
    ++components;
  }
  if (components < 2 || !hash_last) return false;
  return pos == s.size() || s[pos] == '.';
}

}  // namespace

std::string_view to_string(Mangling m) {
  switch (m) {
    case Mangling::rust_v0: return "rust_v0";
    case Mangling::rust_legacy: return "rust_legacy";
    case Mangling::none: break;
  }
  return "none";
}

Mangling rust_mangling(std::string_view symbol, bool truncated) {
  if (symbol.size() < 3 || symbol[0] != '_') return Mangling::none;
  if (symbol[1] == 'R') return is_v0(symbol, truncated) ? Mangling::rust_v0 : Mangling::none;
  if (symbol[1] == 'Z' && symbol[2] == 'N')
    return is_legacy(symbol, truncated) ? Mangling::rust_legacy : Mangling::none;
  return Mangling::none;
}

}  // namespace lifetrace::classify
