// `lifetrace --follow`: attach, then print lifecycle events until interrupted.
#pragma once

#include <cstdio>
#include <functional>

#include "cli.h"
#include "correlator.h"
#include "kernel_features.h"
#include "format.h"

namespace lifetrace {

// Turns raw ring-buffer records into printed events. Separate from the
// event loop so tests can drive it with encoded records.
class EventPrinter {
 public:
  EventPrinter(const Options& o, WallClock clock, std::FILE* out)
      : json_(o.json), utc_(o.utc), filter_(o.module_globs, o.events), clock_(clock), out_(out) {}

  void on_record(std::span<const std::byte> data);
  Correlator& correlator() { return correlator_; }
  std::uint64_t decode_errors() const { return decode_errors_; }
  std::uint64_t printed() const { return printed_; }
  // Observers get every event, filtered or not (metrics, follow clients).
  void add_observer(std::function<void(const Event&)> f) { observers_.push_back(std::move(f)); }

 private:
  bool json_, utc_;
  EventFilter filter_;
  WallClock clock_;
  std::FILE* out_;
  Correlator correlator_;
  std::vector<std::function<void(const Event&)>> observers_;
  std::uint64_t decode_errors_ = 0;
  std::uint64_t printed_ = 0;
};

// Runs the whole follow command; returns the process exit code.
int run_follow(const Options& o, const KernelFeatures& f);

// "lifetrace: error: ...\nHINT: ..." on stderr.
void report_problem(const Problem& p);

}  // namespace lifetrace
