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
      "  min_version: TLS13\n"
      "  max_version: TLS13\n"
      "  cipher_suites:\n"
      "    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n"
      "    - TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256\n"
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
  CHECK(c.tls->min_version == 13);
  CHECK(c.tls->cipher_suites ==
        std::vector<std::string>{"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"});
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
  CHECK(defaults.tls->cipher_suites.empty());
}

TEST_CASE("unknown, unsupported and invalid keys are refused by name", "[web]") {
  ConfigDir d;
  auto [yaml, key_and_why] = GENERATE(table<std::string, std::string>({
      {"tls_server_confg: {}\n", "tls_server_confg is not a web configuration key"},
      {kTls + "  certfile: x\n", "tls_server_config.certfile is not a web configuration key"},
      {kTls + "  prefer_server_cipher_suites: true\n",
       "tls_server_config.prefer_server_cipher_suites is not supported"},
      {kTls + "  curve_preferences: [X25519]\n", "tls_server_config.curve_preferences is not"},
      {kTls + "  client_allowed_sans: [a]\n", "tls_server_config.client_allowed_sans is not"},
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
      {kTls + "  max_version: TLS12\n", "tls_server_config.max_version is not supported"},
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

TEST_CASE("the config becomes civetweb's TLS options", "[web]") {
  TlsServerConfig t;
  CHECK(civetweb_tls_options(t, "/proc/self/fd/5", "") ==
        std::vector<std::string>{"ssl_certificate", "/proc/self/fd/5", "ssl_protocol_version", "4",
                                 "ssl_verify_peer", "no"});
  t.min_version = 13;
  t.cipher_suites = {"AES128-SHA", "ECDHE-RSA-AES128-GCM-SHA256"};
  t.client_auth = ClientAuth::require_and_verify;
  CHECK(civetweb_tls_options(t, "/c", "/ca") ==
        std::vector<std::string>{"ssl_certificate", "/c", "ssl_protocol_version", "5",
                                 "ssl_cipher_list", "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256",
                                 "ssl_verify_peer", "yes", "ssl_ca_file", "/ca",
                                 "ssl_default_verify_paths", "no"});
  t.client_auth = ClientAuth::verify_if_given;
  t.min_version = 10;
  const auto o = civetweb_tls_options(t, "/c", "/ca");
  CHECK(o[3] == "2");
  CHECK(o[7] == "optional");
  CHECK(openssl_cipher_name("TLS_RSA_WITH_AES_256_GCM_SHA384") == "AES256-GCM-SHA384");
  CHECK_FALSE(openssl_cipher_name("TLS_RSA_WITH_RC4_128_SHA"));
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
