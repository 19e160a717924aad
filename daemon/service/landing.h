// What the metrics endpoint answers (service/endpoint.h asks, from
// libmicrohttpd's request handler on the daemon's event loop): basic auth on
// every path first (429 with Retry-After when too many passwords need hashing
// this second, exporters/basic_auth.h), the landing page at `/` (exporters/landing_page.h renders
// it), the metrics at the telemetry path (gzip when the client accepts it, as
// prometheus-cpp's Exposer did), 404 for any other path, 405 with `Allow` for
// a method other than GET or HEAD, and the configured response headers
// (--web.config.file, docs/daemon.md "Securing the endpoint") on every
// response. No sockets: the unit tests call it directly.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lifetrace {

class BasicAuth;

struct HttpRequest {
  std::string_view method;                // "GET", "HEAD", ...
  std::string_view path;                  // without the query string
  const char* authorization = nullptr;    // the Authorization header, if any
  const char* accept_encoding = nullptr;  // the Accept-Encoding header, if any
};

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::string body;  // for HEAD too: the server sends its length, not the bytes
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
};

struct Routes {
  std::string telemetry_path = "/metrics";
  std::function<std::string()> metrics_text;  // the text exposition
  std::function<std::string()> landing_page;  // empty: `/` is 404 (or the telemetry path)
  std::shared_ptr<const BasicAuth> auth;      // null: no authentication
  std::vector<std::pair<std::string, std::string>> headers;  // added to each response
};

HttpResponse route(const Routes& routes, const HttpRequest& request);

// True if an Accept-Encoding value accepts gzip ("gzip", "gzip;q=0.5", "*"),
// false for none or "gzip;q=0".
bool accepts_gzip(const char* accept_encoding);

// `text` as a gzip member (RFC 1952); empty if zlib fails.
std::string gzip(std::string_view text);

}  // namespace lifetrace
