// The page at `/` of the metrics endpoint (exporters/landing_page.h renders it).
//
// prometheus-cpp 1.0.1's Exposer serves only registered collectables, and its
// CivetServer is private; but its constructor takes civetweb callbacks. Their
// begin_request hook sees every request first: it answers GET/HEAD `/` and
// leaves every other path to the Exposer's handlers. The hook is a plain
// function, so the pages live in a process-wide table keyed by listening port.
#pragma once

#include <functional>
#include <string>
#include <vector>

struct CivetCallbacks;

namespace lifetrace {

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

}  // namespace lifetrace
