// The metrics endpoint: libmicrohttpd on the listen address, driven by the
// daemon's own event loop — no HTTP thread, and no wake-up while no client is
// connected. MHD runs in external mode with its own epoll set, whose descriptor
// the EventLoop watches (MHD_run() when it is readable); a timerfd is armed
// only while MHD has a deadline (MHD_get_timeout(): open connections, each
// with an idle timeout) and disarmed otherwise. Requests are answered by
// route() (service/landing.h): landing page at `/`, metrics at the telemetry
// path, and — from --web.config.file — basic auth on every path and the
// configured response headers. TLS is GnuTLS through MHD: certificate and key
// handed over in memory, versions, suites and curves as a GnuTLS priority
// string (exporters/web_config.h), client certificates verified per request
// against the configured CA only (docs/daemon.md "Securing the endpoint").
// Needs no BPF and no root, so the tests start it as it is (tests/web/).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/problem.h"
#include "exporters/web_config.h"
#include "service/landing.h"
#include "util/event_loop.h"
#include "util/fd.h"

struct MHD_Daemon;
struct MHD_Connection;

namespace prometheus {
class Collectable;
}  // namespace prometheus

namespace lifetrace {

// Bounds that keep one slow or flooding client from hurting the daemon: at
// most this many connections at once (further ones wait in the listen
// backlog), of which this many from one address, each closed after this long
// without progress; a request's headers must fit in MHD's per-connection
// memory pool (MHD_OPTION_CONNECTION_MEMORY_LIMIT, 32 KiB: larger gets 431).
inline constexpr unsigned kEndpointMaxConnections = 64;
inline constexpr unsigned kEndpointMaxConnectionsPerAddress = 32;
inline constexpr unsigned kEndpointIdleTimeoutSeconds = 5;
inline constexpr std::size_t kEndpointConnectionMemory = 32 * 1024;

// A Prometheus-style listen address: ":9477" (every IPv4 address, as before),
// "127.0.0.1:0", "[::1]:9477", "localhost:9477" (a name is resolved when
// binding). Port 0: the kernel chooses (MetricsEndpoint::ports() says which).
struct ListenAddress {
  enum class Kind { any_ipv4, ipv4, ipv6, name } kind = Kind::any_ipv4;
  std::string host;  // as given, without brackets; empty for any_ipv4
  std::uint16_t port = 0;
};
std::variant<ListenAddress, Problem> parse_listen_address(const std::string& address);

struct EndpointOptions {
  std::string listen_address;  // parse_listen_address()'s forms
  std::string telemetry_path = "/metrics";
  std::optional<WebConfig> web;  // nullopt: plain HTTP, no authentication
};

class MetricsEndpoint {
 public:
  // Listens and puts itself on `loop` (which must outlive it), or says why it
  // cannot. `landing_page` renders `/` (unless the telemetry path is `/`).
  static std::variant<std::unique_ptr<MetricsEndpoint>, Problem> start(
      const EndpointOptions& o,
      const std::vector<std::weak_ptr<prometheus::Collectable>>& collectables,
      std::function<std::string()> landing_page, util::EventLoop& loop);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  std::vector<int> ports() const { return {port_}; }
  // "https" or "http", for log lines.
  const char* scheme() const { return tls_ ? "https" : "http"; }
  // Connections open now, and whether the timer is armed (only while there
  // are): what the tests read to check that an idle endpoint wakes nothing.
  unsigned connections() const;
  bool timer_armed() const { return timer_armed_; }

  // MHD's request callback lands here: true once a response is queued, false
  // to close the connection without one (a refused client certificate).
  bool handle_request(MHD_Connection* c, const char* url, const char* method);
  struct StartLog;  // MHD's messages while it starts (endpoint.cpp)

 private:
  explicit MetricsEndpoint(util::EventLoop& loop);
  void run();  // MHD_run(), then the timer as MHD_get_timeout() says
  void set_timer(bool arm, unsigned long long ms);
  bool client_certificate_ok(MHD_Connection* c) const;

  util::EventLoop& loop_;
  std::unique_ptr<StartLog> log_;  // MHD's logger's argument: lives as long as MHD
  Routes routes_;
  ClientAuth client_auth_ = ClientAuth::none;
  std::vector<std::string> client_allowed_sans_;
  bool tls_ = false;
  int port_ = 0;
  MHD_Daemon* mhd_ = nullptr;
  int mhd_epoll_ = -1;  // MHD's own epoll set (it closes it)
  util::Fd timer_;
  bool timer_armed_ = false;
  bool watching_ = false;
};

}  // namespace lifetrace
