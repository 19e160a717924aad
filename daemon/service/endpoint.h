// The metrics endpoint: prometheus-cpp's Exposer (civetweb) on the listen
// address, with the landing page at `/`, and — from --web.config.file — TLS,
// basic auth on every path and the configured response headers
// (docs/daemon.md "Securing the endpoint"). Needs no BPF and no root, so the
// tests start it as it is (tests/web/).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/problem.h"
#include "exporters/web_config.h"

namespace prometheus {
class Collectable;
class Exposer;
}  // namespace prometheus

namespace lifetrace {

class GuardRegistration;
class LandingPage;

struct EndpointOptions {
  std::string listen_address;  // Prometheus style: ":9477", "127.0.0.1:0", "[::1]:9477"
  std::string telemetry_path = "/metrics";
  std::optional<WebConfig> web;  // nullopt: plain HTTP, no authentication
};

// Makes OpenSSL usable by civetweb: Debian 12's civetweb 1.15 dlopen()s
// "libssl.so" and "libcrypto.so" (names only libssl-dev installs) and looks up
// SSL_get_peer_certificate, which OpenSSL 3 no longer exports — its TLS server
// crashes on the first connection. This loads lifetrace's two compatibility
// libraries (service/tls_compat/), whose SONAMEs are those names, so civetweb's
// dlopen finds them and, through them, OpenSSL 3. Looks beside the binary
// (lifetrace-tls/, the build tree), in ../LIBDIR/lifetrace from the binary,
// then in the configured prefix's LIBDIR/lifetrace.
// Returns the Problem to report when they cannot be loaded.
std::optional<Problem> load_tls_libraries();

class MetricsEndpoint {
 public:
  // Listens, or says why it cannot. `landing_page` renders `/` (unless the
  // telemetry path is `/`).
  static std::variant<std::unique_ptr<MetricsEndpoint>, Problem> start(
      const EndpointOptions& o,
      const std::vector<std::weak_ptr<prometheus::Collectable>>& collectables,
      std::function<std::string()> landing_page);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  std::vector<int> ports() const;
  // "https" or "http", for log lines.
  const char* scheme() const { return tls_ ? "https" : "http"; }

 private:
  MetricsEndpoint() = default;
  bool tls_ = false;
  // Destroyed in reverse: the server stops (and its threads are joined) before
  // the page and the guard it calls into go away.
  std::unique_ptr<GuardRegistration> guard_;
  std::unique_ptr<LandingPage> landing_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace lifetrace
