// HTTP basic authentication against bcrypt hashes (web config's
// basic_auth_users). The hashes are checked with libxcrypt's crypt_rn(), which
// implements bcrypt under the prefixes $2b$, $2y$ (the same algorithm, the
// name htpasswd writes) and $2a$ — see crypt(5) of Debian's libcrypt1; the
// result is compared in constant time.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace lifetrace {

// True if `hash` is a bcrypt hash libxcrypt accepts ($2a$/$2b$/$2y$, cost
// 04-31, 53 characters of salt and hash).
bool bcrypt_hash_valid(const std::string& hash);

// True if `password` hashes to `hash`. Never true for an invalid hash.
bool bcrypt_matches(std::string_view password, const std::string& hash);

// Compares without an early exit (the time depends on the lengths only).
bool constant_time_equal(std::string_view a, std::string_view b);

// user and password from an Authorization header "Basic base64(user:pass)";
// nullopt if it is absent or malformed.
std::optional<std::pair<std::string, std::string>> parse_basic_authorization(
    std::string_view header);

// The users one endpoint accepts. Thread-safe (civetweb's worker threads call
// allows()). A bcrypt check costs tens of milliseconds at cost 10, so the last
// password that matched for each user is kept and compared (in constant time)
// before hashing again, as exporter-toolkit caches successful checks. An
// unknown user costs one bcrypt check too, so timing does not tell which
// users exist.
class BasicAuth {
 public:
  explicit BasicAuth(std::map<std::string, std::string> users);
  // `authorization`: the request's Authorization header, or nullptr.
  bool allows(const char* authorization) const;

 private:
  std::map<std::string, std::string> users_;  // user -> bcrypt hash
  std::string dummy_hash_;                    // checked for unknown users
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::string> accepted_;  // user -> password that matched
};

}  // namespace lifetrace
