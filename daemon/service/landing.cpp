#include "service/landing.h"

#include <CivetServer.h>
#include <civetweb.h>

#include <cstring>
#include <map>
#include <memory>
#include <mutex>

namespace lifetrace {

namespace {

std::mutex g_mutex;
std::map<int, std::function<std::string()>> g_pages;  // by listening port

int begin_request(mg_connection* conn) {
  const mg_request_info* ri = mg_get_request_info(conn);
  if (!ri || !ri->local_uri || std::strcmp(ri->local_uri, "/") != 0) return 0;
  const bool head = std::strcmp(ri->request_method, "HEAD") == 0;
  if (!head && std::strcmp(ri->request_method, "GET") != 0) return 0;
  std::function<std::string()> page;
  {
    std::lock_guard lock(g_mutex);
    auto it = g_pages.find(ri->server_port);
    if (it == g_pages.end()) return 0;
    page = it->second;
  }
  const std::string body = page();
  mg_printf(conn,
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            "Content-Length: %zu\r\nConnection: close\r\n\r\n",
            body.size());
  if (!head) mg_write(conn, body.data(), body.size());
  return 200;  // answered: civetweb neither looks further nor sends anything
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

}  // namespace lifetrace
