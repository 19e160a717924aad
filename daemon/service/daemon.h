// `lifetrace daemon`: attach once, take the inventory, then serve Prometheus
// metrics and follow-socket clients until SIGTERM (docs/daemon.md).
#pragma once

#include <string>
#include <vector>

#include "app/cli.h"
#include "core/event.h"
#include "kernel/kernel_features.h"
#include "output/log.h"

namespace lifetrace {

// The level at which the daemon logs an event (live/freed: info, failures:
// warning, the intermediate steps: debug).
LogLevel event_log_level(const Event& e);

// civetweb's listening_ports form of a Prometheus-style listen address:
// ":9477" -> "9477" (every IPv4 address), "host:port" and "[v6]:port" as is.
std::string civetweb_listen_address(const std::string& address);

// The metrics endpoint's HTTP server settings (civetweb options for
// prometheus::Exposer): enough worker threads, and a request timeout, so that
// slow or half-open clients cannot stall every scrape (docs/daemon.md).
inline constexpr int kExporterThreads = 8;
inline constexpr int kExporterRequestTimeoutMs = 5000;
std::vector<std::string> exporter_options(const std::string& listen_address);

// Runs the daemon; returns the process exit code.
int run_daemon(const Options& o, const KernelFeatures& f);

}  // namespace lifetrace
