// `--web.config.file`: the metrics endpoint's TLS, headers and basic-auth users,
// in the format of Prometheus' exporter-toolkit (node_exporter's
// web-configuration.md), as far as civetweb 1.15 can honour it. Every key is
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

// Go's crypto/tls ClientAuthType values that civetweb can enforce.
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
  int min_version = 12;       // TLS 1.x: 10, 11, 12 or 13 (toolkit default TLS12)
  // OpenSSL names of the TLS <= 1.2 suites allowed (from Go's names), in order;
  // empty: OpenSSL's defaults.
  std::vector<std::string> cipher_suites;
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

// Go's name of a TLS 1.0-1.2 cipher suite (e.g.
// "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256") as OpenSSL spells it
// ("ECDHE-RSA-AES128-GCM-SHA256"); nullopt if Go's list has no such suite.
std::optional<std::string> openssl_cipher_name(std::string_view go_name);

// civetweb options for a TLS endpoint, given where the combined certificate and
// key PEM and the client CA PEM can be read (paths the caller keeps valid while
// civetweb starts; `ca_path` unused without client certificates).
std::vector<std::string> civetweb_tls_options(const TlsServerConfig& tls,
                                              const std::string& cert_and_key_path,
                                              const std::string& ca_path);

}  // namespace lifetrace
