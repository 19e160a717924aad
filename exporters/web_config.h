// `--web.config.file`: the metrics endpoint's TLS, headers and basic-auth users,
// in the format of Prometheus' exporter-toolkit (node_exporter's
// web-configuration.md), as far as libmicrohttpd and GnuTLS can honour it. Every key is
// either honoured or refused with an error naming it — never ignored
// (docs/daemon.md lists which are which).
//
// The file is read once, at start-up; certificates and keys are read with it
// (relative paths are taken from the config file's directory, as the toolkit
// does). Changing either needs a restart.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/problem.h"

namespace lifetrace {

// Go's crypto/tls ClientAuthType values that lifetrace enforces.
enum class ClientAuth {
  none,                // NoClientCert
  verify_if_given,     // VerifyClientCertIfGiven
  require_and_verify,  // RequireAndVerifyClientCert
};

struct TlsServerConfig {
  std::string cert_pem;  // the server's certificate (chain), PEM
  std::string key_pem;   // its private key, PEM
  ClientAuth client_auth = ClientAuth::none;
  std::string client_ca_pem;  // the CAs client certificates must chain to
  // If set, a client certificate must also carry one of these subject
  // alternative names (DNS name, e-mail address, URI or IP address, as text).
  std::vector<std::string> client_allowed_sans;
  int min_version = 12;  // TLS 1.x: 10, 11, 12 or 13 (toolkit default TLS12)
  int max_version = 13;  // the same; toolkit default TLS13
  // Go's names of the TLS <= 1.2 suites allowed, in order; empty: GnuTLS's defaults.
  std::vector<std::string> cipher_suites;
  bool prefer_server_cipher_suites = true;     // the toolkit's default
  std::vector<std::string> curve_preferences;  // Go's names (CurveP256, X25519, ...), in order
  // All of the above that GnuTLS decides, as its priority string (gnutls_priorities()).
  std::string priorities;
};

struct WebConfig {
  std::optional<TlsServerConfig> tls;
  // Response headers (http_server_config.headers), in a fixed order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::map<std::string, std::string> users;  // basic_auth_users: user -> bcrypt hash
};

// Reads and checks the file; the Problem names the file, the key and what to do.
std::variant<WebConfig, Problem> load_web_config(const std::string& path);

// The same from text already read; files named in it are read relative to
// `base_dir`. `path` is only used in messages.
std::variant<WebConfig, Problem> parse_web_config(const std::string& text, const std::string& path,
                                                  const std::string& base_dir);

// One of Go's TLS 1.0-1.2 cipher suites (tls.CipherSuites()) in GnuTLS's
// priority-string terms: key exchange, cipher and MAC ("AEAD" for GCM and
// ChaCha20-Poly1305), e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 ->
// {"ECDHE-RSA", "AES-128-GCM", "AEAD"}.
struct GnutlsSuite {
  std::string_view kx, cipher, mac;
  bool operator==(const GnutlsSuite&) const = default;
};
std::optional<GnutlsSuite> gnutls_suite(std::string_view go_name);

// The GnuTLS priority string for `tls`'s versions, cipher suites, curves and
// preference (MHD_OPTION_HTTPS_PRIORITIES), checked with the GnuTLS linked in:
// a priority string allows every combination of its key exchanges, ciphers
// and MACs, so a list of suites that is not such a product (say
// ECDHE-RSA+AES-128-GCM and ECDHE-ECDSA+AES-256-GCM, which would also allow
// the two crossed suites) is refused — the Problem names
// tls_server_config.cipher_suites and the suites it would add — rather than
// allowing more than listed. TLS 1.3's suites follow the ciphers listed (GnuTLS
// has one cipher list for both); with none of them usable for TLS 1.3 while
// max_version allows it, that is refused too.
std::variant<std::string, Problem> gnutls_priorities(const TlsServerConfig& tls);

}  // namespace lifetrace
