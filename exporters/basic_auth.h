// HTTP basic authentication against bcrypt hashes (web config's
// basic_auth_users). The hashes are checked with libxcrypt's crypt_rn(), which
// implements bcrypt under the prefixes $2b$, $2y$ (the same algorithm, the
// name htpasswd writes) and $2a$ — see crypt(5) of Debian's libcrypt1; the
// result is compared in constant time.
#pragma once

#include <chrono>
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

// The users one endpoint accepts. A bcrypt check costs tens of milliseconds
// at cost 10, so the last password that matched for each user is kept and
// compared (in constant time) before hashing again, as exporter-toolkit
// caches successful checks. An unknown user costs one bcrypt check too, so
// timing does not tell which users exist.
//
// The daemon checks on its one event-loop thread, where every bcrypt check
// holds up everything else (ring buffer, follow clients): so at most
// kMaxPasswordChecksPerSecond checks are hashed a second (a token bucket,
// that many in a burst); beyond that a request that needs hashing is answered
// `busy` at once, without hashing. A remembered password still matches then,
// so a flood of wrong passwords does not lock out a scraper already seen.
enum class AuthCheck { allowed, denied, busy };

class BasicAuth {
 public:
  static constexpr double kMaxPasswordChecksPerSecond = 4;

  explicit BasicAuth(std::map<std::string, std::string> users);
  // `authorization`: the request's Authorization header, or nullptr; `now`
  // for the budget (the tests pass their own clock).
  AuthCheck check(const char* authorization, std::chrono::steady_clock::time_point now =
                                                 std::chrono::steady_clock::now()) const;
  bool allows(const char* authorization) const {
    return check(authorization) == AuthCheck::allowed;
  }

 private:
  std::map<std::string, std::string> users_;  // user -> bcrypt hash
  std::string dummy_hash_;                    // checked for unknown users
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::string> accepted_;  // user -> password that matched
  mutable double tokens_ = kMaxPasswordChecksPerSecond;  // bcrypt checks allowed now
  mutable std::chrono::steady_clock::time_point refilled_{};
};

}  // namespace lifetrace
