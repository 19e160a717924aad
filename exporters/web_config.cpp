#include "exporters/web_config.h"

#include <gnutls/gnutls.h>
#include <yaml.h>

#include <algorithm>
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

// Go's crypto/tls CipherSuites() (the secure TLS 1.0-1.2 suites) in GnuTLS's priority terms.
struct GoSuite {
  std::string_view go;
  GnutlsSuite gnutls;
};
constexpr std::array<GoSuite, 14> kCipherSuites{{
    {"TLS_RSA_WITH_AES_128_CBC_SHA", {"RSA", "AES-128-CBC", "SHA1"}},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", {"RSA", "AES-256-CBC", "SHA1"}},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", {"RSA", "AES-128-GCM", "AEAD"}},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", {"RSA", "AES-256-GCM", "AEAD"}},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", {"ECDHE-ECDSA", "AES-128-CBC", "SHA1"}},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", {"ECDHE-ECDSA", "AES-256-CBC", "SHA1"}},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", {"ECDHE-RSA", "AES-128-CBC", "SHA1"}},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", {"ECDHE-RSA", "AES-256-CBC", "SHA1"}},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", {"ECDHE-ECDSA", "AES-128-GCM", "AEAD"}},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", {"ECDHE-RSA", "AES-128-GCM", "AEAD"}},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", {"ECDHE-ECDSA", "AES-256-GCM", "AEAD"}},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", {"ECDHE-RSA", "AES-256-GCM", "AEAD"}},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", {"ECDHE-ECDSA", "CHACHA20-POLY1305", "AEAD"}},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", {"ECDHE-RSA", "CHACHA20-POLY1305", "AEAD"}},
}};

// Go's tls.CurveID names (exporter-toolkit's curve_preferences) as GnuTLS groups.
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kCurves{{
    {"CurveP256", "GROUP-SECP256R1"},
    {"CurveP384", "GROUP-SECP384R1"},
    {"CurveP521", "GROUP-SECP521R1"},
    {"X25519", "GROUP-X25519"},
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
                    "remove it; docs/daemon.md lists what lifetrace's HTTP server "
                    "(libmicrohttpd with GnuTLS) can honour"};
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

// Appends `v` to `list` unless it is there already (first mention decides the order).
void add_once(std::vector<std::string_view>& list, std::string_view v) {
  if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
}

std::string go_name_of(const GnutlsSuite& s, const char* gnutls_name) {
  for (const auto& g : kCipherSuites) {
    if (g.gnutls == s) return std::string(g.go);
  }
  return std::string("GnuTLS's ") + (gnutls_name ? gnutls_name : "?");
}

// See gnutls_priorities() in the header. `where` is the tls_server_config key.
std::string build_priorities(const TlsServerConfig& tls, const std::string& where) {
  std::string p = "NORMAL:-VERS-ALL";
  for (int v = tls.min_version; v <= tls.max_version; ++v) {
    p += ":+VERS-TLS1." + std::to_string(v - 10);
  }
  std::vector<GnutlsSuite> wanted;
  if (!tls.cipher_suites.empty()) {
    std::vector<std::string_view> kx, cipher, mac;
    for (const auto& name : tls.cipher_suites) {
      const auto s = gnutls_suite(name);
      if (!s) throw ConfigError{join(where, "cipher_suites"), in_quotes(name) + " is unknown", ""};
      wanted.push_back(*s);
      add_once(kx, s->kx);
      add_once(cipher, s->cipher);
      add_once(mac, s->mac);
    }
    p += ":-KX-ALL";
    for (auto k : kx) p += ":+" + std::string(k);
    p += ":-CIPHER-ALL";
    for (auto c : cipher) p += ":+" + std::string(c);
    p += ":-MAC-ALL";
    for (auto m : mac) p += ":+" + std::string(m);
  }
  if (!tls.curve_preferences.empty()) {
    p += ":-GROUP-ALL";
    for (const auto& curve : tls.curve_preferences) {
      for (const auto& [go, group] : kCurves) {
        if (go == curve) p += ":+" + std::string(group);
      }
    }
  }
  if (tls.prefer_server_cipher_suites) p += ":%SERVER_PRECEDENCE";

  // What GnuTLS makes of it: the suites it would negotiate, by protocol.
  gnutls_priority_t cache = nullptr;
  const char* bad = nullptr;
  if (const int rc = gnutls_priority_init(&cache, p.c_str(), &bad); rc < 0) {
    throw ConfigError{where,
                      "cannot be expressed for GnuTLS: it refuses the priority string \"" + p +
                          "\" at \"" + util::sanitize(bad ? bad : "") + "\" (" +
                          gnutls_strerror(rc) + ")",
                      "report this with the web config; meanwhile remove cipher_suites or "
                      "curve_preferences"};
  }
  std::unique_ptr<gnutls_priority_st, void (*)(gnutls_priority_t)> guard(cache,
                                                                         gnutls_priority_deinit);
  std::vector<std::string> extra;
  std::size_t tls13 = 0;
  for (unsigned i = 0;; ++i) {
    unsigned index = 0;
    const int rc = gnutls_priority_get_cipher_suite_index(cache, i, &index);
    if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
    if (rc < 0) continue;  // a suite this GnuTLS does not implement
    unsigned char id[2];
    gnutls_kx_algorithm_t k{};
    gnutls_cipher_algorithm_t c{};
    gnutls_mac_algorithm_t m{};
    gnutls_protocol_t min{};
    const char* name = gnutls_cipher_suite_info(index, id, &k, &c, &m, &min);
    if (!name) continue;
    if (min >= GNUTLS_TLS1_3) {
      ++tls13;
      continue;
    }
    if (wanted.empty()) continue;
    const char* kn = gnutls_kx_get_name(k);
    const char* cn = gnutls_cipher_get_name(c);
    const char* mn = gnutls_mac_get_name(m);
    const GnutlsSuite got{kn ? kn : "", cn ? cn : "", mn ? mn : ""};
    if (std::find(wanted.begin(), wanted.end(), got) == wanted.end()) {
      extra.push_back(go_name_of(got, name));
    }
  }
  if (!extra.empty()) {
    std::string list;
    for (const auto& e : extra) list += (list.empty() ? "" : ", ") + e;
    throw ConfigError{join(where, "cipher_suites"),
                      "cannot be enforced exactly: GnuTLS allows every combination of the key "
                      "exchanges, ciphers and MACs listed, so it would also allow " +
                          list,
                      "add those suites to the list, or list fewer key exchanges or ciphers "
                      "(docs/daemon.md, \"Securing the endpoint\")"};
  }
  if (tls.max_version >= 13 && tls13 == 0) {
    throw ConfigError{
        join(where, "cipher_suites"),
        "leaves TLS 1.3 without a suite: GnuTLS takes TLS 1.3's suites from the same ciphers, and "
        "none listed is AES-128-GCM, AES-256-GCM or CHACHA20-POLY1305",
        "list a GCM or ChaCha20-Poly1305 suite too, or set max_version: TLS12"};
  }
  return p;
}

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
        if (!gnutls_suite(name)) {
          throw ConfigError{at, in_quotes(name) + " is not one of Go's TLS 1.0-1.2 cipher suites",
                            "use names from Go's tls.CipherSuites(), e.g. "
                            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (TLS 1.3's suites are not "
                            "configurable)"};
        }
        if (std::find(tls.cipher_suites.begin(), tls.cipher_suites.end(), name) ==
            tls.cipher_suites.end()) {
          tls.cipher_suites.push_back(name);
        }
      }
    } else if (k == "prefer_server_cipher_suites") {
      tls.prefer_server_cipher_suites = boolean(v, at);
    } else if (k == "curve_preferences") {
      if (!v.IsSequence()) throw ConfigError{at, "must be a list of curve names", ""};
      for (const auto& item : v.items) {
        const std::string name = scalar(item, at);
        bool known = false;
        for (const auto& c : kCurves) known = known || c.first == name;
        if (!known) {
          throw ConfigError{at, in_quotes(name) + " is not one of Go's curves",
                            "use CurveP256, CurveP384, CurveP521 or X25519"};
        }
        tls.curve_preferences.push_back(name);
      }
    } else if (k == "client_allowed_sans") {
      if (!v.IsSequence()) throw ConfigError{at, "must be a list of names", ""};
      for (const auto& item : v.items) {
        const std::string san = scalar(item, at);
        if (san.empty()) throw ConfigError{at, "has an empty name", ""};
        tls.client_allowed_sans.push_back(san);
      }
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
                              " (a client certificate that is not verified) is not accepted; "
                              "use RequireAndVerifyClientCert");
  } else {
    throw ConfigError{auth_key, "is " + in_quotes(client_auth) + ", not a client auth type",
                      "use NoClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert"};
  }
  if (tls.client_auth != ClientAuth::none && tls.client_ca_pem.empty()) {
    throw ConfigError{join(where, "client_ca_file"), "is missing",
                      "verifying client certificates needs the CA that signs them"};
  }
  if (tls.client_auth == ClientAuth::none && !tls.client_allowed_sans.empty()) {
    throw ConfigError{join(where, "client_allowed_sans"),
                      "is set but client_auth_type is NoClientCert",
                      "set client_auth_type: RequireAndVerifyClientCert to use it"};
  }
  if (tls.client_auth == ClientAuth::none && !tls.client_ca_pem.empty()) {
    throw ConfigError{join(where, "client_ca_file"), "is set but client_auth_type is NoClientCert",
                      "set client_auth_type: RequireAndVerifyClientCert to use it"};
  }
  if (max_version) {
    if (*max_version < tls.min_version) {
      throw ConfigError{join(where, "max_version"), "is below min_version", ""};
    }
    tls.max_version = *max_version;
  }
  tls.priorities = build_priorities(tls, where);
  return tls;
}

void parse_http(const Node& node, const std::string& where, WebConfig& c) {
  for_each_key(node, where, [&](const std::string& k, const Node& v, const std::string& at) {
    if (k == "http2") {
      if (boolean(v, at)) {
        unsupported(at, "libmicrohttpd serves HTTP/1.1 only; set http2: false");
      }
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

std::optional<GnutlsSuite> gnutls_suite(std::string_view go_name) {
  for (const auto& s : kCipherSuites) {
    if (s.go == go_name) return s.gnutls;
  }
  return std::nullopt;
}

std::variant<std::string, Problem> gnutls_priorities(const TlsServerConfig& tls) {
  try {
    return build_priorities(tls, "tls_server_config");
  } catch (const ConfigError& e) {
    return Problem{util::sanitize(e.key) + " " + e.what, e.hint};
  }
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
        unsupported(at,
                    "lifetrace has no request rate limiter (connections are bounded, "
                    "docs/daemon.md)");
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

}  // namespace lifetrace
