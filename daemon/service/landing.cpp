#include "service/landing.h"

#include <zlib.h>

#include <cctype>
#include <cstdlib>

#include "exporters/basic_auth.h"

namespace lifetrace {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

HttpResponse text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

}  // namespace

bool accepts_gzip(const char* accept_encoding) {
  if (!accept_encoding) return false;
  std::string_view rest(accept_encoding);
  bool star = false, gzip_listed = false, gzip_ok = false;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const auto semi = item.find(';');
    const std::string coding = lower(trim(item.substr(0, semi)));
    bool zero = false;  // q=0: "not acceptable"
    if (semi != std::string_view::npos) {
      const std::string params = lower(trim(item.substr(semi + 1)));
      if (params.rfind("q=", 0) == 0) zero = std::strtod(params.c_str() + 2, nullptr) <= 0.0;
    }
    if (coding == "gzip" || coding == "x-gzip") {
      gzip_listed = true;
      gzip_ok = !zero;
    } else if (coding == "*") {
      star = !zero;
    }
  }
  return gzip_listed ? gzip_ok : star;
}

std::string gzip(std::string_view text) {
  z_stream z{};
  // 15 + 16: a gzip header and trailer rather than zlib's.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return {};
  }
  std::string out(deflateBound(&z, static_cast<uLong>(text.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

HttpResponse route(const Routes& routes, const HttpRequest& request) {
  HttpResponse r;
  const bool head = request.method == "HEAD";
  const bool get = head || request.method == "GET";
  const AuthCheck auth =
      routes.auth ? routes.auth->check(request.authorization) : AuthCheck::allowed;
  if (auth == AuthCheck::busy) {
    // Too many password checks this second (BasicAuth): no hashing for this one.
    r = text(429, "Too Many Requests\n");
    r.headers.emplace_back("Retry-After", "1");
  } else if (auth == AuthCheck::denied) {
    r = text(401, "Unauthorized\n");
    r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"lifetrace\", charset=\"UTF-8\"");
  } else if (request.path == routes.telemetry_path && routes.metrics_text) {
    if (!get) {
      r = text(405, "Method Not Allowed\n");
      r.headers.emplace_back("Allow", "GET, HEAD");
    } else {
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      r.body = routes.metrics_text();
      if (accepts_gzip(request.accept_encoding)) {
        if (std::string z = gzip(r.body); !z.empty()) {
          r.body = std::move(z);
          r.headers.emplace_back("Content-Encoding", "gzip");
        }
      }
      r.headers.emplace_back("Vary", "Accept-Encoding");
    }
  } else if (request.path == "/" && routes.landing_page) {
    if (!get) {
      r = text(405, "Method Not Allowed\n");
      r.headers.emplace_back("Allow", "GET, HEAD");
    } else {
      r.content_type = "text/html; charset=utf-8";
      r.body = routes.landing_page();
    }
  } else {
    r = text(404, "Not Found\n");
  }
  for (const auto& h : routes.headers) r.headers.push_back(h);
  return r;
}

}  // namespace lifetrace
