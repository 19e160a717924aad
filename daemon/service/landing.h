// The page at `/` of the metrics endpoint (exporters/landing_page.h renders it),
// and the guard every request passes first (basic auth and response headers
// from --web.config.file, service/endpoint.h).
//
// prometheus-cpp 1.0.1's Exposer serves only registered collectables, and its
// CivetServer is private; but its constructor takes civetweb callbacks. Their
// begin_request hook sees every request first, on every path: it refuses a
// request without valid credentials (401), answers GET/HEAD `/`, and leaves
// every other path to the Exposer's handlers. The hook is a plain function, so
// pages and guards live in a process-wide table keyed by listening port.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

struct CivetCallbacks;

namespace lifetrace {

class BasicAuth;

class LandingPage {
 public:
  // The callbacks to give prometheus::Exposer's constructor.
  static const CivetCallbacks* callbacks();

  // Serves `page()` (called per request, from the server's threads) at `/` on
  // these ports, until destroyed.
  LandingPage(std::vector<int> ports, std::function<std::string()> page);
  ~LandingPage();
  LandingPage(const LandingPage&) = delete;
  LandingPage& operator=(const LandingPage&) = delete;

 private:
  std::vector<int> ports_;
};

// What every request must pass, and what every response lifetrace writes carries.
struct RequestGuard {
  std::shared_ptr<const BasicAuth> auth;                     // null: no authentication
  std::vector<std::pair<std::string, std::string>> headers;  // added to each response
  // When set, the hook serves the telemetry path itself (so the headers reach
  // it too): prometheus-cpp writes its own response lines and cannot add any.
  std::string telemetry_path;
  std::function<std::string()> metrics_text;
};

// Puts `guard` on an endpoint. From construction until bind() it applies to
// every port that has no guard of its own — the Exposer starts listening
// before its ports are known, and no request may slip through in between;
// bind() narrows it to the endpoint's ports. Removed when destroyed.
class GuardRegistration {
 public:
  explicit GuardRegistration(std::shared_ptr<const RequestGuard> guard);
  void bind(const std::vector<int>& ports);
  ~GuardRegistration();
  GuardRegistration(const GuardRegistration&) = delete;
  GuardRegistration& operator=(const GuardRegistration&) = delete;

 private:
  std::shared_ptr<const RequestGuard> guard_;
  std::vector<int> ports_;
};

}  // namespace lifetrace
