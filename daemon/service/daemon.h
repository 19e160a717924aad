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

// Runs the daemon; returns the process exit code.
int run_daemon(const Options& o, const KernelFeatures& f);

}  // namespace lifetrace
