#include "exporters/web_config.h"

#include <yaml.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "exporters/basic_auth.h"
#include "util/text.h"

namespace lifetrace {

namespace {

// Go's crypto/tls CipherSuites() (the secure TLS 1.0-1.2 suites) and OpenSSL's names for them.
constexpr std::array<std::pair<std::string_view, std::string_view>, 14> kCipherSuites{{
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
}};

// The response headers exporter-toolkit allows, in the order they are sent.
constexpr std::array<std::string_view, 5> kHeaders{"Content-Security-Policy", "X-Frame-Options",
                                                   "X-Content-Type-Options", "X-XSS-Protection",
                                                   "Strict-Transport-Security"};

// The document as a tree, from libyaml's loader (libyaml-dev is Multi-Arch:
// same, so the arm64 cross build has it beside the native one; yaml-cpp's -dev
// package is not). Scalars keep their text: the keys below decide the types.
struct Node {
  enum class Kind { null, scalar, sequence, mapping } kind = Kind::null;
  std::string value;                                // scalar
  std::vector<Node> items;                          // sequence
  std::vector<std::pair<std::string, Node>> pairs;  // mapping (keys are scalars)
  bool IsNull() const { return kind == Kind::null; }
  bool IsScalar() const { return kind == Kind::scalar; }
  bool IsSequence() const { return kind == Kind::sequence; }
  bool IsMap() const { return kind == Kind::mapping; }
};

struct YamlError {
  std::string what;
};

// Aliases can make a small file a huge (or, pointing at an ancestor, endless)
// tree: both are refused.
constexpr int kMaxDepth = 16;
constexpr std::size_t kMaxNodes = 10000;

Node convert(yaml_document_t* doc, yaml_node_t* n, int depth, std::size_t& count) {
  if (++count > kMaxNodes || depth > kMaxDepth) {
    throw YamlError{"too large or too deeply nested (aliases?)"};
  }
  Node out;
  switch (n->type) {
    case YAML_SCALAR_NODE: {
      out.value.assign(reinterpret_cast<const char*>(n->data.scalar.value), n->data.scalar.length);
      const bool plain = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
      const bool null_word = out.value.empty() || out.value == "~" || out.value == "null" ||
                             out.value == "Null" || out.value == "NULL";
      out.kind = plain && null_word ? Node::Kind::null : Node::Kind::scalar;
      break;
    }
    case YAML_SEQUENCE_NODE:
      out.kind = Node::Kind::sequence;
      for (auto* i = n->data.sequence.items.start; i < n->data.sequence.items.top; ++i) {
        out.items.push_back(convert(doc, yaml_document_get_node(doc, *i), depth + 1, count));
      }
      break;
    case YAML_MAPPING_NODE: {
      out.kind = Node::Kind::mapping;
      std::set<std::string> seen;
      for (auto* p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; ++p) {
        yaml_node_t* k = yaml_document_get_node(doc, p->key);
        if (!k || k->type != YAML_SCALAR_NODE) throw YamlError{"a key is not a string"};
        std::string key(reinterpret_cast<const char*>(k->data.scalar.value), k->data.scalar.length);
        if (!seen.insert(key).second) {
          throw YamlError{"key \"" + key + "\" appears twice (line " +
                          std::to_string(k->start_mark.line + 1) + ")"};
        }
        out.pairs.emplace_back(
            key, convert(doc, yaml_document_get_node(doc, p->value), depth + 1, count));
      }
      break;
    }
    default: break;
  }
  return out;
}

Node load_yaml(const std::string& text) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) throw YamlError{"out of memory"};
  std::unique_ptr<yaml_parser_t, void (*)(yaml_parser_t*)> parser_guard(&parser,
                                                                        yaml_parser_delete);
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  yaml_document_t doc;
  if (!yaml_parser_load(&parser, &doc)) {
    std::string what = parser.problem ? parser.problem : "cannot be parsed";
    if (parser.context) what = std::string(parser.context) + ": " + what;
    throw YamlError{what + " at line " + std::to_string(parser.problem_mark.line + 1) +
                    ", column " + std::to_string(parser.problem_mark.column + 1)};
  }
  std::unique_ptr<yaml_document_t, void (*)(yaml_document_t*)> doc_guard(&doc,
                                                                         yaml_document_delete);
  yaml_node_t* root = yaml_document_get_root_node(&doc);
  if (!root) return Node{};  // an empty file: nothing configured
  std::size_t count = 0;
  return convert(&doc, root, 0, count);
}

// Thrown while walking the document; turned into a Problem at the top.
struct ConfigError {
  std::string key;  // e.g. "tls_server_config.min_version"
  std::string what;
  std::string hint;
};

std::string in_quotes(const std::string& s) { return "\"" + util::sanitize(s) + "\""; }

std::string join(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

// Each key of the map `node` at `where`, with the node itself ("" for the root).
template <typename F>
void for_each_key(const Node& node, const std::string& where, F&& f) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    throw ConfigError{where.empty() ? "(top level)" : where, "must be a mapping of keys to values",
                      "see docs/daemon.md for the file's layout"};
  }
  for (const auto& [key, value] : node.pairs) f(key, value, join(where, key));
}

std::string scalar(const Node& n, const std::string& key) {
  if (!n.IsScalar()) throw ConfigError{key, "must be a string", ""};
  return n.value;
}

bool boolean(const Node& n, const std::string& key) {
  const std::string v = scalar(n, key);
  if (v == "true") return true;
  if (v == "false") return false;
  throw ConfigError{key, "must be true or false, not " + in_quotes(v), ""};
}

[[noreturn]] void unknown(const std::string& key) {
  throw ConfigError{key, "is not a web configuration key",
                    "check the spelling against exporter-toolkit's web-configuration.md; "
                    "docs/daemon.md lists the keys lifetrace reads"};
}

[[noreturn]] void unsupported(const std::string& key, const std::string& why) {
  throw ConfigError{key, "is not supported by lifetrace: " + why,
                    "remove it; docs/daemon.md lists what lifetrace's HTTP server (civetweb) "
                    "can honour"};
}

std::string read_file(const std::string& base_dir, const std::string& name,
                      const std::string& key) {
  if (name.empty()) throw ConfigError{key, "is empty", "name a PEM file"};
  std::filesystem::path p(name);
  if (p.is_relative()) p = std::filesystem::path(base_dir) / p;
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    throw ConfigError{key, "cannot read " + in_quotes(p.string()) + ": " + std::strerror(errno),
                      "relative names are taken from the config file's directory; the daemon "
                      "must be able to read the file"};
  }
  std::ostringstream s;
  s << in.rdbuf();
  if (s.str().find("-----BEGIN ") == std::string::npos) {
    throw ConfigError{key, in_quotes(p.string()) + " is not a PEM file (no -----BEGIN line)",
                      "give the certificate or key in PEM form (openssl x509/pkey -outform PEM)"};
  }
  return s.str();
}

int tls_version(const Node& n, const std::string& key) {
  const std::string v = scalar(n, key);
  if (v == "TLS10") return 10;
  if (v == "TLS11") return 11;
  if (v == "TLS12") return 12;
  if (v == "TLS13") return 13;
  throw ConfigError{key, "is " + in_quotes(v) + ", not a TLS version",
                    "use TLS10, TLS11, TLS12 or TLS13"};
}

// A PEM given inline (`cert`) or as a file (`cert_file`), not both.
struct PemSource {
  std::optional<std::string> inline_pem;
  std::optional<std::string> file;
  std::string value(const std::string& parent, const std::string& inline_key,
                    const std::string& file_key, const std::string& base_dir) const {
    if (inline_pem && file) {
      throw ConfigError{join(parent, inline_key),
                        "and " + file_key + " are both set; give one of them", ""};
    }
    if (inline_pem) return *inline_pem;
    if (file) return read_file(base_dir, *file, join(parent, file_key));
    return {};
  }
  bool set() const { return inline_pem || file; }
};

TlsServerConfig parse_tls(const Node& node, const std::string& where, const std::string& base_dir) {
  TlsServerConfig tls;
  PemSource cert, key, ca;
  std::string client_auth = "NoClientCert";
  std::optional<int> max_version;
  for_each_key(node, where, [&](const std::string& k, const Node& v, const std::string& at) {
    if (k == "cert") {
      cert.inline_pem = scalar(v, at);
    } else if (k == "key") {
      key.inline_pem = scalar(v, at);
    } else if (k == "client_ca") {
      ca.inline_pem = scalar(v, at);
    } else if (k == "cert_file") {
      cert.file = scalar(v, at);
    } else if (k == "key_file") {
      key.file = scalar(v, at);
    } else if (k == "client_ca_file") {
      ca.file = scalar(v, at);
    } else if (k == "client_auth_type") {
      client_auth = scalar(v, at);
    } else if (k == "min_version") {
      tls.min_version = tls_version(v, at);
    } else if (k == "max_version") {
      max_version = tls_version(v, at);
    } else if (k == "cipher_suites") {
      if (!v.IsSequence()) throw ConfigError{at, "must be a list of cipher suite names", ""};
      for (const auto& item : v.items) {
        const std::string name = scalar(item, at);
        auto openssl = openssl_cipher_name(name);
        if (!openssl) {
          throw ConfigError{at, in_quotes(name) + " is not one of Go's TLS 1.0-1.2 cipher suites",
                            "use names from Go's tls.CipherSuites(), e.g. "
                            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (TLS 1.3's suites are not "
                            "configurable)"};
        }
        tls.cipher_suites.push_back(*openssl);
      }
    } else if (k == "prefer_server_cipher_suites") {
      unsupported(at, "civetweb does not choose who prefers a cipher suite");
    } else if (k == "curve_preferences") {
      unsupported(at, "civetweb cannot set the ECDHE curves");
    } else if (k == "client_allowed_sans") {
      unsupported(at, "civetweb cannot match client certificate SANs");
    } else {
      unknown(at);
    }
  });
  if (!cert.set()) {
    throw ConfigError{join(where, "cert_file"), "is missing",
                      "TLS needs the server's certificate and key: set cert_file and key_file"};
  }
  if (!key.set()) {
    throw ConfigError{join(where, "key_file"), "is missing",
                      "TLS needs the server's certificate and key: set cert_file and key_file"};
  }
  tls.cert_pem = cert.value(where, "cert", "cert_file", base_dir);
  tls.key_pem = key.value(where, "key", "key_file", base_dir);
  tls.client_ca_pem = ca.value(where, "client_ca", "client_ca_file", base_dir);
  const std::string auth_key = join(where, "client_auth_type");
  if (client_auth == "NoClientCert") {
    tls.client_auth = ClientAuth::none;
  } else if (client_auth == "VerifyClientCertIfGiven") {
    tls.client_auth = ClientAuth::verify_if_given;
  } else if (client_auth == "RequireAndVerifyClientCert") {
    tls.client_auth = ClientAuth::require_and_verify;
  } else if (client_auth == "RequestClientCert" || client_auth == "RequireAnyClientCert") {
    unsupported(auth_key, in_quotes(client_auth) +
                              " (a client certificate that is not verified) cannot be set in "
                              "civetweb; use RequireAndVerifyClientCert");
  } else {
    throw ConfigError{auth_key, "is " + in_quotes(client_auth) + ", not a client auth type",
                      "use NoClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert"};
  }
  if (tls.client_auth != ClientAuth::none && tls.client_ca_pem.empty()) {
    throw ConfigError{join(where, "client_ca_file"), "is missing",
                      "verifying client certificates needs the CA that signs them"};
  }
  if (tls.client_auth == ClientAuth::none && !tls.client_ca_pem.empty()) {
    throw ConfigError{join(where, "client_ca_file"), "is set but client_auth_type is NoClientCert",
                      "set client_auth_type: RequireAndVerifyClientCert to use it"};
  }
  if (max_version) {
    if (*max_version < tls.min_version) {
      throw ConfigError{join(where, "max_version"), "is below min_version", ""};
    }
    if (*max_version != 13) {
      unsupported(join(where, "max_version"),
                  "civetweb 1.15 can set a minimum TLS version only (TLS13 is the maximum)");
    }
  }
  return tls;
}

void parse_http(const Node& node, const std::string& where, WebConfig& c) {
  for_each_key(node, where, [&](const std::string& k, const Node& v, const std::string& at) {
    if (k == "http2") {
      if (boolean(v, at)) unsupported(at, "civetweb serves HTTP/1.1 only; set http2: false");
    } else if (k == "headers") {
      std::map<std::string, std::string> given;
      for_each_key(v, at, [&](const std::string& h, const Node& hv, const std::string& hat) {
        bool known = false;
        for (auto name : kHeaders) known = known || name == h;
        if (!known) {
          throw ConfigError{hat, "is not a header exporter-toolkit lets you set",
                            "use Content-Security-Policy, X-Frame-Options, "
                            "X-Content-Type-Options, X-XSS-Protection or "
                            "Strict-Transport-Security"};
        }
        const std::string value = hv.IsNull() ? "" : scalar(hv, hat);
        if (value.find_first_of("\r\n") != std::string::npos) {
          throw ConfigError{hat, "contains a line break", ""};
        }
        if (h == "X-Frame-Options" && !value.empty() && value != "deny" && value != "sameorigin") {
          throw ConfigError{hat, "is " + in_quotes(value) + "; accepted: deny, sameorigin", ""};
        }
        if (h == "X-Content-Type-Options" && !value.empty() && value != "nosniff") {
          throw ConfigError{hat, "is " + in_quotes(value) + "; accepted: nosniff", ""};
        }
        if (!value.empty()) given[h] = value;
      });
      c.headers.clear();
      for (auto name : kHeaders) {
        auto it = given.find(std::string(name));
        if (it != given.end()) c.headers.emplace_back(it->first, it->second);
      }
    } else {
      unknown(at);
    }
  });
}

void parse_users(const Node& node, const std::string& where, WebConfig& c) {
  for_each_key(node, where, [&](const std::string& user, const Node& v, const std::string& at) {
    if (user.empty() || user.find(':') != std::string::npos) {
      throw ConfigError{at, "is not a usable user name (empty, or contains ':')", ""};
    }
    const std::string hash = v.IsNull() ? "" : scalar(v, at);
    if (!bcrypt_hash_valid(hash)) {
      throw ConfigError{at, "is not a bcrypt hash",
                        "hash the password with bcrypt, e.g. htpasswd -nBC 10 \"\" | tr -d ':\\n' "
                        "(a $2y$ or $2b$ string of 60 characters)"};
    }
    c.users[user] = hash;
  });
}

}  // namespace

std::optional<std::string> openssl_cipher_name(std::string_view go_name) {
  for (const auto& [go, openssl] : kCipherSuites) {
    if (go == go_name) return std::string(openssl);
  }
  return std::nullopt;
}

std::variant<WebConfig, Problem> parse_web_config(const std::string& text, const std::string& path,
                                                  const std::string& base_dir) {
  const std::string file = "web config " + util::sanitize(path);
  try {
    const Node root = load_yaml(text);
    WebConfig c;
    for_each_key(root, "", [&](const std::string& k, const Node& v, const std::string& at) {
      if (k == "tls_server_config") {
        if (!v.IsNull()) c.tls = parse_tls(v, at, base_dir);
      } else if (k == "http_server_config") {
        parse_http(v, at, c);
      } else if (k == "basic_auth_users") {
        parse_users(v, at, c);
      } else if (k == "rate_limit") {
        unsupported(at, "civetweb has no request rate limiter");
      } else {
        unknown(at);
      }
    });
    return c;
  } catch (const ConfigError& e) {
    return Problem{file + ": " + util::sanitize(e.key) + " " + e.what,
                   e.hint.empty() ? "fix the key, or start without --web.config.file" : e.hint};
  } catch (const YamlError& e) {
    return Problem{file + ": not valid YAML: " + util::sanitize(e.what),
                   "check the indentation and quoting at that line and column"};
  }
}

std::variant<WebConfig, Problem> load_web_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Problem{"cannot read web config " + util::sanitize(path) + ": " + std::strerror(errno),
                   "check the --web.config.file path and that the daemon may read it"};
  }
  std::ostringstream s;
  s << in.rdbuf();
  const auto dir = std::filesystem::path(path).parent_path();
  return parse_web_config(s.str(), path, dir.empty() ? "." : dir.string());
}

std::vector<std::string> civetweb_tls_options(const TlsServerConfig& tls,
                                              const std::string& cert_and_key_path,
                                              const std::string& ca_path) {
  // civetweb 1.15's ssl_protocol_version: 2 = TLS 1.0 and later, 3 = 1.1+, 4 = 1.2+, 5 = 1.3.
  std::vector<std::string> o{"ssl_certificate", cert_and_key_path, "ssl_protocol_version",
                             std::to_string(tls.min_version - 8)};
  if (!tls.cipher_suites.empty()) {
    std::string list;
    for (const auto& s : tls.cipher_suites) list += (list.empty() ? "" : ":") + s;
    o.insert(o.end(), {"ssl_cipher_list", list});
  }
  switch (tls.client_auth) {
    case ClientAuth::none: o.insert(o.end(), {"ssl_verify_peer", "no"}); break;
    case ClientAuth::verify_if_given: o.insert(o.end(), {"ssl_verify_peer", "optional"}); break;
    case ClientAuth::require_and_verify: o.insert(o.end(), {"ssl_verify_peer", "yes"}); break;
  }
  if (tls.client_auth != ClientAuth::none) {
    // Only the configured CA: not the system's trust store too.
    o.insert(o.end(), {"ssl_ca_file", ca_path, "ssl_default_verify_paths", "no"});
  }
  return o;
}

}  // namespace lifetrace
