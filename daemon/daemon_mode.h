// `lifetrace daemon`: attach once, take the inventory, then serve Prometheus
// metrics and follow-socket clients until SIGTERM (docs/daemon.md).
#pragma once

#include <cstdio>
#include <string>

#include "cli.h"
#include "event.h"
#include "kernel_features.h"

namespace lifetrace {

// sd-daemon(3) priorities, used as "<N>" prefixes on stderr so journald
// keeps each line's level.
enum class LogLevel : int { err = 3, warning = 4, notice = 5, info = 6, debug = 7 };
// "<6>lifetrace: message\n" on `out`.
void daemon_log(std::FILE* out, LogLevel level, const std::string& message);

// The level at which the daemon logs an event (live/freed: info, failures:
// warning, the intermediate steps: debug).
LogLevel event_log_level(const Event& e);

// civetweb's listening_ports form of a Prometheus-style listen address:
// ":9477" -> "9477" (every IPv4 address), "host:port" and "[v6]:port" as is.
std::string civetweb_listen_address(const std::string& address);

// Runs the daemon; returns the process exit code.
int run_daemon(const Options& o, const KernelFeatures& f);

}  // namespace lifetrace
