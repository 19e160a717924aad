#include "exporters/basic_auth.h"

#include <crypt.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace lifetrace {

namespace {

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 with padding (RFC 4648 section 4), as RFC 7617 uses.
std::optional<std::string> base64_decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      const char c = in[i + j];
      if (c == '=' && i + 4 == in.size() && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return std::nullopt;  // data after '='
      v[j] = base64_value(c);
      if (v[j] < 0) return std::nullopt;
    }
    const unsigned n =
        (unsigned(v[0]) << 18) | (unsigned(v[1]) << 12) | (unsigned(v[2]) << 6) | unsigned(v[3]);
    out.push_back(char((n >> 16) & 0xff));
    if (pad < 2) out.push_back(char((n >> 8) & 0xff));
    if (pad < 1) out.push_back(char(n & 0xff));
  }
  return out;
}

// "$2b$NN$" + 53 characters, NN the cost 04-31 (crypt_checksalt() does not check it).
bool is_bcrypt_prefix(const std::string& hash) {
  if (hash.size() != 60 || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' || hash[6] != '$')
    return false;
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') return false;
  if (hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9') return false;
  const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  return cost >= 4 && cost <= 31;
}

}  // namespace

bool bcrypt_hash_valid(const std::string& hash) {
  return is_bcrypt_prefix(hash) && crypt_checksalt(hash.c_str()) == CRYPT_SALT_OK;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

bool bcrypt_matches(std::string_view password, const std::string& hash) {
  if (!bcrypt_hash_valid(hash)) return false;
  // bcrypt reads a NUL-terminated phrase: one with a NUL in it cannot be what was hashed.
  if (password.find('\0') != std::string_view::npos) return false;
  const std::string phrase(password);
  auto data = std::make_unique<crypt_data>();  // ~32 KiB: not on a worker's stack
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* out = crypt_rn(phrase.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  return out != nullptr && constant_time_equal(out, hash);
}

std::optional<std::pair<std::string, std::string>> parse_basic_authorization(
    std::string_view header) {
  constexpr std::string_view kScheme = "basic ";
  if (header.size() < kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {  // the scheme is case-insensitive
    char c = header[i];
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    if (c != kScheme[i]) return std::nullopt;
  }
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  auto decoded = base64_decode(token);
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(decoded->substr(0, colon), decoded->substr(colon + 1));
}

BasicAuth::BasicAuth(std::map<std::string, std::string> users) : users_(std::move(users)) {
  // A valid hash of nothing anyone can send (a NUL is refused before hashing),
  // with the cost of the configured ones, so an unknown user takes as long.
  std::string salt_prefix = "$2b$10$";
  if (!users_.empty()) salt_prefix = users_.begin()->second.substr(0, 7);
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  const int cost = std::stoi(salt_prefix.substr(4, 2));
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, setting,
                       sizeof(setting))) {
    auto data = std::make_unique<crypt_data>();
    std::memset(data.get(), 0, sizeof(crypt_data));
    if (const char* h =
            crypt_rn("lifetrace: no such user", setting, data.get(), sizeof(crypt_data)))
      dummy_hash_ = h;
  }
}

AuthCheck BasicAuth::check(const char* authorization,
                           std::chrono::steady_clock::time_point now) const {
  if (!authorization) return AuthCheck::denied;
  auto creds = parse_basic_authorization(authorization);
  if (!creds) return AuthCheck::denied;
  const auto& [user, password] = *creds;
  const auto it = users_.find(user);
  std::lock_guard lock(mutex_);
  if (it != users_.end()) {
    const auto seen = accepted_.find(user);
    if (seen != accepted_.end() && constant_time_equal(seen->second, password)) {
      return AuthCheck::allowed;
    }
  }
  // A hash is needed: within the budget?
  if (refilled_ == std::chrono::steady_clock::time_point{}) refilled_ = now;
  const std::chrono::duration<double> elapsed = now - refilled_;
  if (elapsed.count() > 0) {
    tokens_ = std::min(kMaxPasswordChecksPerSecond,
                       tokens_ + elapsed.count() * kMaxPasswordChecksPerSecond);
    refilled_ = now;
  }
  if (tokens_ < 1) return AuthCheck::busy;
  tokens_ -= 1;
  if (it == users_.end()) {
    bcrypt_matches(password, dummy_hash_);  // the same work as for a known user
    return AuthCheck::denied;
  }
  if (!bcrypt_matches(password, it->second)) return AuthCheck::denied;
  accepted_[user] = password;
  return AuthCheck::allowed;
}

}  // namespace lifetrace
