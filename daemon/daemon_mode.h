// `lifetrace daemon`: attach once, take the inventory, then serve Prometheus
// metrics and follow-socket clients until SIGTERM (docs/daemon.md).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "cli.h"
#include "correlator.h"
#include "format.h"
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

// Records in, events out to every consumer: decoding and correlation as in
// standalone mode, without printing. The daemon's event loop owns one.
class DaemonPipeline {
 public:
  void on_record(std::span<const std::byte> data);
  Correlator& correlator() { return correlator_; }
  void add_consumer(std::function<void(const Event&)> f) { consumers_.push_back(std::move(f)); }
  // Called for each record that cannot be decoded, with the reason.
  std::function<void(const std::string&)> on_undecodable;
  std::uint64_t undecodable() const { return undecodable_; }

 private:
  Correlator correlator_;
  std::vector<std::function<void(const Event&)>> consumers_;
  std::uint64_t undecodable_ = 0;
};

// Runs the daemon; returns the process exit code.
int run_daemon(const Options& o, const KernelFeatures& f);

}  // namespace lifetrace
