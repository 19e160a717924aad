#include "service/landing.h"

#include <CivetServer.h>
#include <civetweb.h>

#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "exporters/basic_auth.h"

namespace lifetrace {

namespace {

std::mutex g_mutex;
std::map<int, std::function<std::string()>> g_pages;          // by listening port
std::map<int, std::shared_ptr<const RequestGuard>> g_guards;  // by listening port
std::shared_ptr<const RequestGuard> g_unbound;                // see GuardRegistration

std::string header_lines(const RequestGuard* guard) {
  std::string h;
  if (!guard) return h;
  for (const auto& [name, value] : guard->headers) h += name + ": " + value + "\r\n";
  return h;
}

int respond(mg_connection* conn, int status, const char* reason, const char* type,
            const std::string& extra, const std::string& body, bool head) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n%sContent-Length: %zu\r\n"
            "Connection: close\r\n\r\n",
            status, reason, type, extra.c_str(), body.size());
  if (!head) mg_write(conn, body.data(), body.size());
  return status;  // answered: civetweb neither looks further nor sends anything
}

int begin_request(mg_connection* conn) {
  const mg_request_info* ri = mg_get_request_info(conn);
  if (!ri) return 0;
  std::shared_ptr<const RequestGuard> guard;
  std::function<std::string()> page;
  {
    std::lock_guard lock(g_mutex);
    if (auto g = g_guards.find(ri->server_port); g != g_guards.end()) {
      guard = g->second;
    } else {
      guard = g_unbound;
    }
    if (auto it = g_pages.find(ri->server_port); it != g_pages.end()) page = it->second;
  }
  const bool head = ri->request_method && std::strcmp(ri->request_method, "HEAD") == 0;
  const std::string extra = header_lines(guard.get());
  if (guard && guard->auth && !guard->auth->allows(mg_get_header(conn, "Authorization"))) {
    return respond(conn, 401, "Unauthorized", "text/plain; charset=utf-8",
                   "WWW-Authenticate: Basic realm=\"lifetrace\", charset=\"UTF-8\"\r\n" + extra,
                   "Unauthorized\n", head);
  }
  const bool get = head || (ri->request_method && std::strcmp(ri->request_method, "GET") == 0);
  if (!get || !ri->local_uri) return 0;
  if (page && std::strcmp(ri->local_uri, "/") == 0) {
    return respond(conn, 200, "OK", "text/html; charset=utf-8", extra, page(), head);
  }
  if (guard && guard->metrics_text && guard->telemetry_path == ri->local_uri) {
    return respond(conn, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", extra,
                   guard->metrics_text(), head);
  }
  return 0;
}

}  // namespace

const CivetCallbacks* LandingPage::callbacks() {
  static const CivetCallbacks cb = [] {
    CivetCallbacks c;
    c.begin_request = begin_request;
    return c;
  }();
  return &cb;
}

LandingPage::LandingPage(std::vector<int> ports, std::function<std::string()> page)
    : ports_(std::move(ports)) {
  std::lock_guard lock(g_mutex);
  for (int p : ports_) g_pages[p] = page;
}

LandingPage::~LandingPage() {
  std::lock_guard lock(g_mutex);
  for (int p : ports_) g_pages.erase(p);
}

GuardRegistration::GuardRegistration(std::shared_ptr<const RequestGuard> guard)
    : guard_(std::move(guard)) {
  std::lock_guard lock(g_mutex);
  g_unbound = guard_;
}

void GuardRegistration::bind(const std::vector<int>& ports) {
  std::lock_guard lock(g_mutex);
  ports_ = ports;
  for (int p : ports_) g_guards[p] = guard_;
  if (g_unbound == guard_) g_unbound.reset();
}

GuardRegistration::~GuardRegistration() {
  std::lock_guard lock(g_mutex);
  for (int p : ports_) g_guards.erase(p);
  if (g_unbound == guard_) g_unbound.reset();
}

}  // namespace lifetrace
