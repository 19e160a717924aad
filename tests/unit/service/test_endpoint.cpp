// The metrics endpoint's pieces: the listen address parser, the router (auth,
// landing page, metrics, 404/405, headers, gzip) without sockets, and the
// endpoint on an event loop: a timer only while a connection is open.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <string>
#include <thread>

#include "exporters/basic_auth.h"
#include "service/endpoint.h"
#include "service/landing.h"
#include "service/served_endpoint.h"
#include "util/fd.h"

using namespace lifetrace;

namespace {

// bcrypt of "pw", cost 4 (fast), made with Python's crypt.crypt("pw", mksalt(METHOD_BLOWFISH,
// rounds=16)).
const std::string kHash = "$2b$04$pSnWbQberGQ//aPbUf3Pd.MOTGwvZErJbq33lT7n3NMK5Dsfidl9.";

std::string gunzip(const std::string& z) {
  z_stream s{};
  REQUIRE(inflateInit2(&s, 15 + 16) == Z_OK);
  std::string out(1 << 20, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(z.data()));
  s.avail_in = static_cast<uInt>(z.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&s, Z_FINISH);
  out.resize(s.total_out);
  inflateEnd(&s);
  CHECK(rc == Z_STREAM_END);
  return out;
}

Routes routes() {
  Routes r;
  r.telemetry_path = "/metrics";
  r.metrics_text = [] { return std::string("lifetrace_up 1\n"); };
  r.landing_page = [] { return std::string("<html>landing</html>"); };
  r.headers = {{"X-Frame-Options", "deny"}};
  return r;
}

std::string header(const HttpResponse& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "(none)";
}

}  // namespace

TEST_CASE("listen addresses in Prometheus style", "[endpoint]") {
  using K = ListenAddress::Kind;
  auto [text, kind, host, port] = GENERATE(table<std::string, K, std::string, int>({
      {":9477", K::any_ipv4, "", 9477},
      {"127.0.0.1:0", K::ipv4, "127.0.0.1", 0},
      {"[::1]:9477", K::ipv6, "::1", 9477},
      {"[::]:65535", K::ipv6, "::", 65535},
      {"localhost:9477", K::name, "localhost", 9477},
  }));
  CAPTURE(text);
  auto parsed = parse_listen_address(text);
  if (auto* p = std::get_if<Problem>(&parsed)) FAIL(p->message);
  const auto& a = std::get<ListenAddress>(parsed);
  CHECK(a.kind == kind);
  CHECK(a.host == host);
  CHECK(a.port == port);
}

TEST_CASE("listen addresses that are refused say why", "[endpoint]") {
  auto [text, why] = GENERATE(table<std::string, std::string>({
      {"9477", "no port"},
      {":", "\"\" is not a port"},
      {":65536", "\"65536\" is not a port"},
      {":94x7", "\"94x7\" is not a port"},
      {"::1:9477", "must be in brackets"},
      {"[::1]9477", "port after the brackets"},
      {"[::g]:9477", "\"::g\" is not an IPv6 address"},
  }));
  CAPTURE(text);
  auto parsed = parse_listen_address(text);
  REQUIRE(std::holds_alternative<Problem>(parsed));
  const auto& p = std::get<Problem>(parsed);
  CHECK_THAT(p.message, Catch::StartsWith("cannot serve metrics on \"" + text + "\": "));
  CHECK_THAT(p.message, Catch::Contains(why));
  CHECK_FALSE(p.hint.empty());
}

TEST_CASE("the router: pages and 404 and 405 and HEAD with the configured headers", "[endpoint]") {
  const Routes r = routes();
  auto [method, path, status, type, body] =
      GENERATE(table<std::string, std::string, int, std::string, std::string>({
          {"GET", "/metrics", 200, "text/plain; version=0.0.4; charset=utf-8", "lifetrace_up 1\n"},
          {"HEAD", "/metrics", 200, "text/plain; version=0.0.4; charset=utf-8", "lifetrace_up 1\n"},
          {"GET", "/", 200, "text/html; charset=utf-8", "<html>landing</html>"},
          {"HEAD", "/", 200, "text/html; charset=utf-8", "<html>landing</html>"},
          {"GET", "/nothing", 404, "text/plain; charset=utf-8", "Not Found\n"},
          {"POST", "/nothing", 404, "text/plain; charset=utf-8", "Not Found\n"},
          {"GET", "/metrics/", 404, "text/plain; charset=utf-8", "Not Found\n"},
          {"POST", "/metrics", 405, "text/plain; charset=utf-8", "Method Not Allowed\n"},
          {"DELETE", "/", 405, "text/plain; charset=utf-8", "Method Not Allowed\n"},
          {"OPTIONS", "/metrics", 405, "text/plain; charset=utf-8", "Method Not Allowed\n"},
      }));
  CAPTURE(method, path);
  HttpRequest q;
  q.method = method;
  q.path = path;
  const HttpResponse a = route(r, q);
  CHECK(a.status == status);
  CHECK(a.content_type == type);
  CHECK(a.body == body);
  CHECK(header(a, "X-Frame-Options") == "deny");
  CHECK(header(a, "Allow") == (status == 405 ? "GET, HEAD" : "(none)"));
  CHECK(header(a, "Content-Encoding") == "(none)");
}

TEST_CASE("the router asks for credentials on every path before anything else", "[endpoint]") {
  Routes r = routes();
  r.auth = std::make_shared<const BasicAuth>(std::map<std::string, std::string>{{"u", kHash}});
  for (const char* path : {"/", "/metrics", "/nothing"}) {
    for (const char* method : {"GET", "POST"}) {
      CAPTURE(path, method);
      HttpRequest q;
      q.method = method;
      q.path = path;
      const HttpResponse a = route(r, q);
      CHECK(a.status == 401);
      CHECK(header(a, "WWW-Authenticate") == "Basic realm=\"lifetrace\", charset=\"UTF-8\"");
      CHECK(header(a, "X-Frame-Options") == "deny");
    }
  }
  const std::string wrong = "Basic dTp3cm9uZw==";  // u:wrong
  const std::string right = "Basic dTpwdw==";      // u:pw
  HttpRequest q;
  q.method = "GET";
  q.path = "/metrics";
  q.authorization = wrong.c_str();
  CHECK(route(r, q).status == 401);
  q.authorization = right.c_str();
  CHECK(route(r, q).status == 200);
  q.path = "/nothing";
  CHECK(route(r, q).status == 404);
}

TEST_CASE("a flood of wrong passwords gets 429 instead of holding up the loop", "[endpoint]") {
  Routes r = routes();
  r.auth = std::make_shared<const BasicAuth>(std::map<std::string, std::string>{{"u", kHash}});
  const std::string right = "Basic dTpwdw==";      // u:pw
  const std::string wrong = "Basic dTp3cm9uZw==";  // u:wrong
  HttpRequest q;
  q.method = "GET";
  q.path = "/metrics";
  q.authorization = right.c_str();
  REQUIRE(route(r, q).status == 200);  // one hash: 3 left this second
  q.authorization = wrong.c_str();
  int denied = 0, busy = 0;
  for (int i = 0; i < 20; ++i) {
    const HttpResponse a = route(r, q);
    if (a.status == 401) ++denied;
    if (a.status == 429) {
      ++busy;
      CHECK(header(a, "Retry-After") == "1");
      CHECK(header(a, "X-Frame-Options") == "deny");
    }
  }
  CHECK(denied == 3);  // the budget (the loop takes well under 250 ms: no refill)
  CHECK(busy == 17);
  q.authorization = right.c_str();
  CHECK(route(r, q).status == 200);  // the remembered password needs no hash
}

TEST_CASE("the metrics are gzipped when the client accepts it", "[endpoint]") {
  CHECK(accepts_gzip("gzip"));
  CHECK(accepts_gzip("deflate, gzip;q=1.0, *;q=0.5"));
  CHECK(accepts_gzip("identity, *"));
  CHECK(accepts_gzip("GZIP"));
  CHECK_FALSE(accepts_gzip(nullptr));
  CHECK_FALSE(accepts_gzip(""));
  CHECK_FALSE(accepts_gzip("identity"));
  CHECK_FALSE(accepts_gzip("gzip;q=0"));
  CHECK_FALSE(accepts_gzip("gzip;q=0, *"));
  CHECK_FALSE(accepts_gzip("br, *;q=0"));
  Routes r = routes();
  std::string big;
  for (int i = 0; i < 2000; ++i) big += "lifetrace_x{n=\"" + std::to_string(i) + "\"} 1\n";
  r.metrics_text = [&big] { return big; };
  HttpRequest q;
  q.method = "GET";
  q.path = "/metrics";
  q.accept_encoding = "gzip";
  const HttpResponse a = route(r, q);
  CHECK(header(a, "Content-Encoding") == "gzip");
  CHECK(header(a, "Vary") == "Accept-Encoding");
  CHECK(a.body.size() < big.size() / 4);
  CHECK(gunzip(a.body) == big);
  q.path = "/";  // only the metrics
  CHECK(header(route(r, q), "Content-Encoding") == "(none)");
}

TEST_CASE("an idle endpoint has no timer: only an open connection arms one", "[endpoint][http]") {
  Metrics m;
  EndpointOptions o;
  o.listen_address = "127.0.0.1:0";
  test::ServedEndpoint served(o, m);
  served.pause();
  CHECK(served.endpoint().connections() == 0);
  CHECK_FALSE(served.endpoint().timer_armed());
  served.resume();
  {
    util::Fd c = test::connect_local(served.port());
    // Until the loop has accepted it.
    for (int i = 0; i < 100; ++i) {
      served.pause();
      const bool open = served.endpoint().connections() == 1;
      served.resume();
      if (open) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    served.pause();
    CHECK(served.endpoint().connections() == 1);
    CHECK(served.endpoint().timer_armed());  // its idle timeout
    served.resume();
  }
  // Closed by the client: once the loop has seen it, no connection and no timer.
  bool idle = false;
  for (int i = 0; i < 100 && !idle; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    served.pause();
    idle = served.endpoint().connections() == 0 && !served.endpoint().timer_armed();
    served.resume();
  }
  CHECK(idle);
}

TEST_CASE("the endpoint listens on IPv6 and reports the port the kernel chose",
          "[endpoint][http]") {
  util::Fd probe(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  if (!probe || bind(probe.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    WARN("no IPv6 loopback here: not checked");
    return;
  }
  Metrics m;
  EndpointOptions o;
  o.listen_address = "[::1]:0";
  test::ServedEndpoint served(o, m);
  CHECK(served.port() > 0);
  util::Fd c(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  a.sin6_port = htons(static_cast<std::uint16_t>(served.port()));
  REQUIRE(connect(c.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  const std::string req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(write(c.get(), req.data(), req.size()) == static_cast<ssize_t>(req.size()));
  char buf[64] = {};
  const timeval tv{5, 0};
  setsockopt(c.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  REQUIRE(read(c.get(), buf, sizeof(buf) - 1) > 0);
  CHECK(std::string(buf).rfind("HTTP/1.1 200", 0) == 0);
}
