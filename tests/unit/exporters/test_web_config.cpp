// --web.config.file: every key of the exporter-toolkit format, honoured or
// refused by name; bad YAML, bad hashes, missing files; bcrypt checks and the
// Authorization header (exporters/web_config.h, exporters/basic_auth.h). The
// end-to-end TLS scrapes are tests/web/run.sh (CTest web.tls).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "exporters/basic_auth.h"
#include "exporters/web_config.h"

using namespace lifetrace;

namespace {

// bcrypt of "correct horse" at cost 4, made with Python's crypt module.
const std::string kHash2b = "$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e";
const std::string kHash2y = "$2y$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e";

// A directory with a (textual) certificate, key and CA; removed afterwards.
struct ConfigDir {
  std::filesystem::path dir;
  ConfigDir() {
    char tmpl[] = "/tmp/lt-webcfg-XXXXXX";
    dir = mkdtemp(tmpl);
    for (const char* f : {"server.crt", "server.key", "ca.crt"}) {
      std::ofstream(dir / f) << "-----BEGIN TEST-----\n" << f << "\n-----END TEST-----\n";
    }
    std::ofstream(dir / "not-pem.txt") << "hello\n";
  }
  ~ConfigDir() { std::filesystem::remove_all(dir); }
  std::variant<WebConfig, Problem> parse(const std::string& yaml) const {
    return parse_web_config(yaml, "web.yml", dir.string());
  }
};

WebConfig ok(const std::variant<WebConfig, Problem>& r) {
  if (auto* p = std::get_if<Problem>(&r)) FAIL(p->message);
  return std::get<WebConfig>(r);
}

Problem refused(const std::variant<WebConfig, Problem>& r) {
  REQUIRE(std::holds_alternative<Problem>(r));
  return std::get<Problem>(r);
}

const std::string kTls = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";

}  // namespace

TEST_CASE("an empty web config turns nothing on", "[web]") {
  ConfigDir d;
  const auto c = ok(d.parse(""));
  CHECK_FALSE(c.tls);
  CHECK(c.users.empty());
  CHECK(c.headers.empty());
  CHECK_FALSE(ok(d.parse("# only a comment\n")).tls);
}

TEST_CASE("every supported key is read", "[web]") {
  ConfigDir d;
  const auto r = d.parse(
      "tls_server_config:\n"
      "  cert_file: server.crt\n"
      "  key_file: " +
      (d.dir / "server.key").string() +  // absolute names work too
      "\n"
      "  client_auth_type: RequireAndVerifyClientCert\n"
      "  client_ca_file: ca.crt\n"
      "  client_allowed_sans: [prometheus.example, 10.0.0.1]\n"
      "  min_version: TLS13\n"
      "  max_version: TLS13\n"
      "  cipher_suites:\n"
      "    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n"
      "    - TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256\n"
      "  prefer_server_cipher_suites: false\n"
      "  curve_preferences: [X25519, CurveP256]\n"
      "http_server_config:\n"
      "  http2: false\n"
      "  headers:\n"
      "    Strict-Transport-Security: max-age=63072000\n"
      "    X-Content-Type-Options: nosniff\n"
      "    X-Frame-Options: sameorigin\n"
      "    X-XSS-Protection: '1; mode=block'\n"
      "    Content-Security-Policy: default-src 'self'\n"
      "basic_auth_users:\n"
      "  alice: " +
      kHash2y + "\n  bob: '" + kHash2b + "'\n");
  const auto c = ok(r);
  REQUIRE(c.tls);
  CHECK(c.tls->cert_pem.find("server.crt") != std::string::npos);
  CHECK(c.tls->key_pem.find("server.key") != std::string::npos);
  CHECK(c.tls->client_ca_pem.find("ca.crt") != std::string::npos);
  CHECK(c.tls->client_auth == ClientAuth::require_and_verify);
  CHECK(c.tls->client_allowed_sans == std::vector<std::string>{"prometheus.example", "10.0.0.1"});
  CHECK(c.tls->min_version == 13);
  CHECK(c.tls->max_version == 13);
  CHECK(c.tls->cipher_suites ==
        std::vector<std::string>{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                                 "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"});
  CHECK_FALSE(c.tls->prefer_server_cipher_suites);
  CHECK(c.tls->curve_preferences == std::vector<std::string>{"X25519", "CurveP256"});
  CHECK(c.tls->priorities ==
        "NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:+ECDHE-RSA:-CIPHER-ALL:+AES-128-GCM:"
        "+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1");
  using H = std::pair<std::string, std::string>;
  CHECK(c.headers == std::vector<H>{{"Content-Security-Policy", "default-src 'self'"},
                                    {"X-Frame-Options", "sameorigin"},
                                    {"X-Content-Type-Options", "nosniff"},
                                    {"X-XSS-Protection", "1; mode=block"},
                                    {"Strict-Transport-Security", "max-age=63072000"}});
  CHECK(c.users.size() == 2);
  CHECK(c.users.at("alice") == kHash2y);
  CHECK(c.users.at("bob") == kHash2b);
}

TEST_CASE("inline PEMs and the defaults", "[web]") {
  ConfigDir d;
  const auto& c =
      ok(d.parse("tls_server_config:\n  cert: |\n    -----BEGIN CERTIFICATE-----\n    x\n"
                 "  key: \"-----BEGIN PRIVATE KEY-----\"\n"
                 "  client_auth_type: VerifyClientCertIfGiven\n"
                 "  client_ca: \"-----BEGIN CERTIFICATE-----\"\n"));
  REQUIRE(c.tls);
  CHECK(c.tls->cert_pem == "-----BEGIN CERTIFICATE-----\nx\n");
  CHECK(c.tls->key_pem == "-----BEGIN PRIVATE KEY-----");
  CHECK(c.tls->client_auth == ClientAuth::verify_if_given);
  const auto defaults = ok(d.parse(kTls));
  REQUIRE(defaults.tls);
  CHECK(defaults.tls->min_version == 12);  // exporter-toolkit's default, TLS12
  CHECK(defaults.tls->client_auth == ClientAuth::none);
  CHECK(defaults.tls->max_version == 13);
  CHECK(defaults.tls->cipher_suites.empty());
  CHECK(defaults.tls->prefer_server_cipher_suites);  // as exporter-toolkit
  CHECK(defaults.tls->priorities ==
        "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3:%SERVER_PRECEDENCE");
}

TEST_CASE("unknown, unsupported and invalid keys are refused by name", "[web]") {
  ConfigDir d;
  auto [yaml, key_and_why] = GENERATE(table<std::string, std::string>({
      {"tls_server_confg: {}\n", "tls_server_confg is not a web configuration key"},
      {kTls + "  certfile: x\n", "tls_server_config.certfile is not a web configuration key"},
      {kTls + "  prefer_server_cipher_suites: yes please\n",
       "tls_server_config.prefer_server_cipher_suites must be true or false"},
      {kTls + "  curve_preferences: [X448]\n",
       "tls_server_config.curve_preferences \"X448\" is not one of Go's curves"},
      {kTls + "  curve_preferences: X25519\n",
       "tls_server_config.curve_preferences must be a list"},
      {kTls + "  client_allowed_sans: [a]\n",
       "tls_server_config.client_allowed_sans is set but client_auth_type is NoClientCert"},
      {kTls + "  client_allowed_sans: a\n", "tls_server_config.client_allowed_sans must be a list"},
      {kTls + "  client_auth_type: RequireAnyClientCert\n",
       "tls_server_config.client_auth_type is not supported"},
      {kTls + "  client_auth_type: RequestClientCert\n",
       "tls_server_config.client_auth_type is not supported"},
      {kTls + "  client_auth_type: Sometimes\n",
       "tls_server_config.client_auth_type is \"Sometimes\", not a client auth type"},
      {kTls + "  client_auth_type: RequireAndVerifyClientCert\n",
       "tls_server_config.client_ca_file is missing"},
      {kTls + "  client_ca_file: ca.crt\n", "tls_server_config.client_ca_file is set but"},
      {kTls + "  min_version: TLS14\n", "tls_server_config.min_version is \"TLS14\", not a TLS"},
      {kTls + "  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "
              "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n",
       "tls_server_config.cipher_suites cannot be enforced exactly: GnuTLS allows every "
       "combination of the key exchanges, ciphers and MACs listed, so it would also allow "
       "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
      {kTls + "  cipher_suites: [TLS_RSA_WITH_AES_128_CBC_SHA]\n",
       "tls_server_config.cipher_suites leaves TLS 1.3 without a suite"},
      {kTls + "  min_version: TLS13\n  max_version: TLS12\n",
       "tls_server_config.max_version is below min_version"},
      {kTls + "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
       "tls_server_config.cipher_suites \"TLS_AES_128_GCM_SHA256\" is not one of Go's"},
      {kTls + "  cipher_suites: TLS_RSA_WITH_AES_128_CBC_SHA\n",
       "tls_server_config.cipher_suites must be a list"},
      {kTls + "  cert: \"-----BEGIN X\"\n", "tls_server_config.cert and cert_file are both set"},
      {"tls_server_config:\n  key_file: server.key\n", "tls_server_config.cert_file is missing"},
      {"tls_server_config:\n  cert_file: server.crt\n", "tls_server_config.key_file is missing"},
      {"http_server_config:\n  http2: true\n", "http_server_config.http2 is not supported"},
      {"http_server_config:\n  http2: maybe\n", "http_server_config.http2 must be true or false"},
      {"http_server_config:\n  headers:\n    Server: x\n",
       "http_server_config.headers.Server is not a header"},
      {"http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
       "http_server_config.headers.X-Frame-Options is \"allow\""},
      {"http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n",
       "http_server_config.headers.X-Content-Type-Options is \"sniff\""},
      {"http_server_config:\n  port: 1\n", "http_server_config.port is not a web configuration"},
      {"rate_limit:\n  interval: 1s\n  burst: 5\n", "rate_limit is not supported"},
      {"basic_auth_users:\n  alice: plaintext\n", "basic_auth_users.alice is not a bcrypt hash"},
      {"basic_auth_users:\n  alice:\n", "basic_auth_users.alice is not a bcrypt hash"},
      {"basic_auth_users:\n  alice: $1$abc$def\n", "basic_auth_users.alice is not a bcrypt hash"},
      {"basic_auth_users:\n  alice: " + kHash2b.substr(0, 59) + "\n",
       "basic_auth_users.alice is not a bcrypt hash"},
      {"basic_auth_users:\n  'a:b': " + kHash2b + "\n", "basic_auth_users.a:b is not a usable"},
      {"basic_auth_users: [alice]\n", "basic_auth_users must be a mapping"},
      {"- a\n- b\n", "(top level) must be a mapping"},
  }));
  CAPTURE(yaml);
  const Problem p = refused(d.parse(yaml));
  CHECK_THAT(p.message, Catch::Contains("web config web.yml: " + key_and_why));
  CHECK_FALSE(p.hint.empty());
}

TEST_CASE("bad YAML names the line", "[web]") {
  ConfigDir d;
  auto [yaml, what] = GENERATE(table<std::string, std::string>({
      {"tls_server_config: [unclosed\n", "line 2"},
      {"a: b\n c: d\n", "line 2"},
      {"basic_auth_users:\n  alice: x\n  alice: y\n", "\"alice\" appears twice (line 3)"},
      {"a: &x [*x]\n", "too large or too deeply nested"},
  }));
  CAPTURE(yaml);
  const Problem p = refused(d.parse(yaml));
  CHECK_THAT(p.message, Catch::StartsWith("web config web.yml: not valid YAML: "));
  CHECK_THAT(p.message, Catch::Contains(what));
}

TEST_CASE("missing and unreadable files are named", "[web]") {
  ConfigDir d;
  Problem p =
      refused(d.parse("tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n"));
  CHECK_THAT(p.message, Catch::Contains("tls_server_config.cert_file cannot read \"" +
                                        (d.dir / "nope.crt").string() + "\""));
  CHECK_THAT(p.message, Catch::Contains("No such file or directory"));
  p = refused(d.parse("tls_server_config:\n  cert_file: not-pem.txt\n  key_file: server.key\n"));
  CHECK_THAT(p.message, Catch::Contains("is not a PEM file"));
  p = refused(load_web_config((d.dir / "absent.yml").string()));
  CHECK_THAT(p.message, Catch::StartsWith("cannot read web config " +
                                          (d.dir / "absent.yml").string() + ": No such file"));
  // A file on disk: relative names are taken from its directory, not the working directory.
  std::ofstream(d.dir / "web.yml") << kTls;
  const auto c = ok(load_web_config((d.dir / "web.yml").string()));
  REQUIRE(c.tls);
  CHECK(c.tls->cert_pem.find("server.crt") != std::string::npos);
}

TEST_CASE("versions and cipher suites become a GnuTLS priority string", "[web]") {
  auto [min, max, suites, want] = GENERATE(table<int, int, std::vector<std::string>, std::string>({
      {12, 13, {}, "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3"},
      {10, 12, {}, "NORMAL:-VERS-ALL:+VERS-TLS1.0:+VERS-TLS1.1:+VERS-TLS1.2"},
      {13, 13, {}, "NORMAL:-VERS-ALL:+VERS-TLS1.3"},
      // One suite; TLS 1.3 keeps the one listed cipher.
      {12,
       13,
       {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
       "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3:-KX-ALL:+ECDHE-ECDSA:-CIPHER-ALL:"
       "+AES-256-GCM:-MAC-ALL:+AEAD"},
      // A full product: 2 key exchanges x 2 ciphers, in the order listed.
      {12,
       12,
       {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
       "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-RSA:+ECDHE-ECDSA:-CIPHER-ALL:"
       "+AES-128-CBC:+AES-256-CBC:-MAC-ALL:+SHA1"},
      // GCM and CBC mixed: the crossed combinations (GCM+SHA1, CBC+AEAD) exist in no suite.
      {12,
       13,
       {"TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_128_GCM_SHA256"},
       "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3:-KX-ALL:+RSA:-CIPHER-ALL:+AES-128-CBC:"
       "+AES-128-GCM:-MAC-ALL:+SHA1:+AEAD"},
      // Two key exchanges x two ciphers, of which RSA+ChaCha20 is no suite at all: exact.
      {12,
       13,
       {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
       "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3:-KX-ALL:+ECDHE-RSA:+RSA:-CIPHER-ALL:"
       "+CHACHA20-POLY1305:+AES-128-GCM:-MAC-ALL:+AEAD"},
  }));
  CAPTURE(min, max, suites);
  TlsServerConfig t;
  t.min_version = min;
  t.max_version = max;
  t.cipher_suites = suites;
  t.prefer_server_cipher_suites = false;
  auto p = gnutls_priorities(t);
  if (auto* problem = std::get_if<Problem>(&p)) FAIL(problem->message);
  CHECK(std::get<std::string>(p) == want);
  t.prefer_server_cipher_suites = true;
  CHECK(std::get<std::string>(gnutls_priorities(t)) == want + ":%SERVER_PRECEDENCE");
}

TEST_CASE("Go's cipher suite names in GnuTLS's terms", "[web]") {
  CHECK(gnutls_suite("TLS_RSA_WITH_AES_256_GCM_SHA384") ==
        GnutlsSuite{"RSA", "AES-256-GCM", "AEAD"});
  CHECK(gnutls_suite("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256") ==
        GnutlsSuite{"ECDHE-ECDSA", "CHACHA20-POLY1305", "AEAD"});
  CHECK(gnutls_suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA") ==
        GnutlsSuite{"ECDHE-RSA", "AES-128-CBC", "SHA1"});
  CHECK_FALSE(gnutls_suite("TLS_RSA_WITH_RC4_128_SHA"));
  CHECK_FALSE(gnutls_suite("TLS_AES_128_GCM_SHA256"));  // TLS 1.3: not configurable
}

TEST_CASE("bcrypt hashes are checked with libxcrypt, $2b$ and $2y$ alike", "[web]") {
  CHECK(bcrypt_hash_valid(kHash2b));
  CHECK(bcrypt_hash_valid(kHash2y));
  CHECK(bcrypt_matches("correct horse", kHash2b));
  CHECK(bcrypt_matches("correct horse", kHash2y));
  CHECK_FALSE(bcrypt_matches("correct horsE", kHash2b));
  CHECK_FALSE(bcrypt_matches("", kHash2b));
  CHECK_FALSE(bcrypt_matches(std::string("correct horse\0x", 15), kHash2b));
  CHECK_FALSE(bcrypt_matches("correct horse", "$1$saltsalt$abcdefghijklmnopqrstuv"));
  CHECK_FALSE(bcrypt_hash_valid("$2b$99$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e"));
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "abcd"));
}

TEST_CASE("at most 4 password checks are hashed a second", "[web]") {
  BasicAuth auth({{"alice", kHash2b}});
  using std::chrono::milliseconds;
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  const char* wrong = "Basic YWxpY2U6d3Jvbmc=";  // alice:wrong
  const char* nobody = "Basic Ym9iOndyb25n";     // bob:wrong (no such user: hashed too)
  CHECK(auth.check(wrong, t0) == AuthCheck::denied);
  CHECK(auth.check(nobody, t0) == AuthCheck::denied);
  CHECK(auth.check(wrong, t0 + milliseconds(10)) == AuthCheck::denied);
  CHECK(auth.check(wrong, t0 + milliseconds(20)) == AuthCheck::denied);
  CHECK(auth.check(wrong, t0 + milliseconds(30)) == AuthCheck::busy);
  CHECK(auth.check(nobody, t0 + milliseconds(40)) == AuthCheck::busy);
  CHECK(auth.check(nullptr, t0 + milliseconds(40)) == AuthCheck::denied);  // nothing to hash
  // A quarter of a second later one check is allowed again, then none.
  CHECK(auth.check(wrong, t0 + milliseconds(300)) == AuthCheck::denied);
  CHECK(auth.check(wrong, t0 + milliseconds(300)) == AuthCheck::busy);
  // After a second the whole burst is back (not more).
  int hashed = 0;
  for (int i = 0; i < 10; ++i)
    hashed += auth.check(wrong, t0 + std::chrono::seconds(5)) != AuthCheck::busy;
  CHECK(hashed == 4);
}

TEST_CASE("the Authorization header", "[web]") {
  using P = std::pair<std::string, std::string>;
  CHECK(parse_basic_authorization("Basic YWxpY2U6czNjcmV0") == P{"alice", "s3cret"});
  CHECK(parse_basic_authorization("basic YWxpY2U6czNjcmV0") == P{"alice", "s3cret"});
  CHECK(parse_basic_authorization("Basic YTpiOmM=") == P{"a", "b:c"});  // ':' in the password
  CHECK(parse_basic_authorization("Basic Ong=") == P{"", "x"});
  CHECK_FALSE(parse_basic_authorization("Bearer YWxpY2U6czNjcmV0"));
  CHECK_FALSE(parse_basic_authorization("Basic YWxpY2U"));   // not a multiple of 4
  CHECK_FALSE(parse_basic_authorization("Basic YWxp!2U6"));  // not base64
  CHECK_FALSE(parse_basic_authorization("Basic YWxpY2U="));  // no ':'
  CHECK_FALSE(parse_basic_authorization("Basic YQ==YQ=="));  // data after padding
  CHECK_FALSE(parse_basic_authorization(""));

  BasicAuth auth({{"alice", kHash2y}});
  CHECK(auth.allows("Basic YWxpY2U6Y29ycmVjdCBob3JzZQ=="));    // alice:correct horse
  CHECK(auth.allows("Basic YWxpY2U6Y29ycmVjdCBob3JzZQ=="));    // again (the remembered match)
  CHECK_FALSE(auth.allows("Basic YWxpY2U6Y29ycmVjdCBob3Jz"));  // alice:correct hors
  CHECK_FALSE(auth.allows("Basic Ym9iOmNvcnJlY3QgaG9yc2U="));  // bob:correct horse
  CHECK_FALSE(auth.allows(nullptr));
  CHECK_FALSE(auth.allows("Basic"));
}
