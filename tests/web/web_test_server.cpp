// The metrics endpoint exactly as the daemon builds it (service/endpoint.h),
// on an EventLoop as the daemon's, with a populated Metrics object and no BPF,
// for tests/web/run.sh:
//
//   lifetrace_web_test_server [--web.config.file FILE] [--web.listen-address ADDR]
//
// Prints "port N SCHEME" once listening, then serves until its standard input
// closes (or SIGTERM). A bad config file is reported as the daemon reports it
// (message, HINT) and exits 1.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "exporters/landing_page.h"
#include "exporters/metrics.h"
#include "service/endpoint.h"
#include "util/event_loop.h"

using namespace lifetrace;

int main(int argc, char** argv) {
  std::string config;
  EndpointOptions o;
  o.listen_address = "127.0.0.1:0";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--web.config.file") == 0) {
      config = argv[i + 1];
    } else if (std::strcmp(argv[i], "--web.listen-address") == 0) {
      o.listen_address = argv[i + 1];
    } else {
      std::cerr << "usage: " << argv[0] << " [--web.config.file FILE] [--web.listen-address A]\n";
      return 2;
    }
  }
  if (!config.empty()) {
    auto web = load_web_config(config);
    if (auto* p = std::get_if<Problem>(&web)) {
      std::cerr << p->message << "\nHINT: " << p->hint << "\n";
      return 1;
    }
    o.web = std::get<WebConfig>(web);
  }
  util::EventLoop loop;
  if (!loop.ok() || !loop.watch_signals({SIGINT, SIGTERM}, [&loop](int) { loop.stop(0); })) {
    std::cerr << loop.error() << "\n";
    return 1;
  }
  Metrics metrics;
  metrics.set_build_info("0.0.0-test", "1.0", "6.1.0-test");
  auto started = MetricsEndpoint::start(
      o, metrics.collectables(),
      [&metrics] { return render_landing_page(metrics.landing_page_info("/metrics")); }, loop);
  if (auto* p = std::get_if<Problem>(&started)) {
    std::cerr << p->message << "\nHINT: " << p->hint << "\n";
    return 1;
  }
  auto& ep = std::get<std::unique_ptr<MetricsEndpoint>>(started);
  std::cout << "port " << ep->ports().at(0) << " " << ep->scheme() << std::endl;
  loop.watch(STDIN_FILENO, [&loop] {
    char buf[256];
    if (read(STDIN_FILENO, buf, sizeof(buf)) <= 0) loop.stop(0);
  });
  const int rc = loop.run();
  ep.reset();
  return rc;
}
