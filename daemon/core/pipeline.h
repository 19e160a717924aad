// Records in, events out: decoding and correlation, shared by --follow and
// the daemon, which differ only in what consumes the events.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/correlator.h"
#include "core/event.h"

namespace lifetrace {

class EventPipeline {
 public:
  void on_record(std::span<const std::byte> data);
  // An event that did not come from a record (e.g. the daemon's
  // changed_while_down at start-up), to every consumer.
  void emit(const Event& e) {
    for (auto& c : consumers_) c(e);
  }
  Correlator& correlator() { return correlator_; }
  void add_consumer(std::function<void(const Event&)> f) { consumers_.push_back(std::move(f)); }
  // Called on each event before the consumers see it: adds what is read
  // outside core (the module file's provenance; app/session.cpp sets it).
  std::function<void(Event&)> enrich;
  // Called for each record that cannot be decoded, with the reason.
  std::function<void(const std::string&)> on_undecodable;
  std::uint64_t undecodable() const { return undecodable_; }

 private:
  Correlator correlator_;
  std::vector<std::function<void(const Event&)>> consumers_;
  std::uint64_t undecodable_ = 0;
};

}  // namespace lifetrace
