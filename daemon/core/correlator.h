// The pure state machine that turns raw kernel records into lifecycle events.
//
//   load_start -> init_start -> init_done -> live | load_failed(init) -> freed
//   load_start -> load_failed(before_init)
//   unload_start -> freed -> unload_done
//
// Loads are correlated by thread (the syscall runs do_init_module on the
// caller's thread) and modules by their struct module address. A load the
// kernel asked for is linked to its request through the usermode helper that
// runs modprobe (the request chain: request -> helper exec -> loads). No I/O, no
// clocks: everything it knows arrives through feed(), so tests drive it with
// any interleaving.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "classify/classify.h"
#include "core/event.h"
#include "core/record.h"

namespace lifetrace {

struct CorrelatorStats {
  std::uint64_t records = 0;
  std::uint64_t events = 0;
  std::uint64_t orphan_records = 0;         // records about something we never saw start
  std::uint64_t evicted = 0;                // stale entries dropped to bound memory
  std::uint64_t partial_symbol_tables = 0;  // modules classified from a cut-short table
  // The request chain:
  std::uint64_t requests_linked = 0;    // requests whose modprobe was seen starting
  std::uint64_t requests_expired = 0;   // requests no modprobe start matched in time
  std::uint64_t unmatched_helpers = 0;  // modprobe starts with no pending request of that name
  std::uint64_t chained_loads = 0;      // loads that carry a request's fields
};

class Correlator {
 public:
  // Upper bound on tracked in-flight loads, unloads and pending symbol
  // tables; the oldest entry is evicted beyond it (counted in stats()).
  static constexpr std::size_t kMaxInflight = 4096;

  // The request chain's bounds. A request waits at most kRequestTtlNs for the
  // usermode helper that runs modprobe for it (it starts within milliseconds
  // unless the kernel's helpers are disabled), and at most kMaxPendingRequests
  // wait at once (the kernel allows 50 concurrent modprobes); a modprobe's
  // loads are linked for kHelperTtlNs after it started, for at most
  // kMaxHelpers modprobes. The oldest goes first beyond a bound (stats()).
  static constexpr std::size_t kMaxPendingRequests = 1024;
  static constexpr std::size_t kMaxHelpers = 1024;
  static constexpr std::uint64_t kRequestTtlNs = 10'000'000'000ULL;
  static constexpr std::uint64_t kHelperTtlNs = 120'000'000'000ULL;

  // Tell the correlator about a module already loaded when tracing started
  // (from the inventory), so later events carry its language.
  void add_known_module(const std::string& name, classify::Language language,
                        std::uint64_t loaded_mono_ns = 0);

  // Feed one record; returns the events it completes (zero or more).
  std::vector<Event> feed(const Record& r);

  // Language currently known for a module name (unknown if none).
  classify::Language language_of(const std::string& name) const;

  const CorrelatorStats& stats() const { return stats_; }
  std::size_t inflight() const {
    return loads_.size() + unloads_.size() + symbols_.size() + modules_.size();
  }
  // Requests waiting for their modprobe, and modprobes whose loads are linked.
  std::size_t pending_requests() const { return requests_.size(); }
  std::size_t helpers() const { return helpers_.size(); }

 private:
  // The request a load was made for: copied onto each of its events.
  struct Chain {
    std::uint64_t id = 0;
    std::string requested_name;
    std::uint32_t requester_pid = 0;
    std::string requester_comm;
  };
  struct PendingRequest {
    Chain chain;
    std::uint64_t ts_ns = 0;
  };
  struct Helper {
    Chain chain;
    std::uint64_t exec_ns = 0;
  };

  struct Load {
    std::uint64_t start_ns = 0;
    std::uint32_t syscall = 0;
    std::string name_hint;  // from the init_module image or the finit_module file
    std::string params;
    std::uint64_t mod = 0;  // once do_init_module is seen
    bool failure_reported = false;
    bool live_reported = false;
    // A failing do_init_module frees the module before it returns; its
    // freed event waits here so that load_failed comes first.
    std::optional<Event> deferred_freed;
    std::optional<Chain> chain;        // a load modprobe made for a request
    std::uint64_t len = 0;             // init_module: the image's length
    std::optional<LoadPhases> phases;  // LT_REC_PHASES, just before the load's end
  };
  struct Module {
    std::string name;
    classify::Language language = classify::Language::unknown;
    std::uint64_t load_start_ns = 0;  // 0 = unknown (loaded before us)
    std::uint64_t initcall_start_ns = 0;
    std::optional<std::uint64_t> init_ns;  // its init's time, once init_done came
    std::uint64_t taints = 0;
    std::uint64_t size = 0;
    std::optional<bool> sig_ok;  // absent when the kernel does not check signatures
    std::optional<Chain> chain;  // while its load runs (init_done, live/load_failed)
  };
  struct Unload {
    std::uint64_t start_ns = 0;
    std::string name;
    classify::Language language = classify::Language::unknown;
    std::uint64_t freed_ns = 0;
  };

  Event make(EventKind kind, const RecordHeader& h) const;
  void flush_deferred_free(Load& l, std::vector<Event>& out);
  Module* module_by_name(const std::string& name);
  template <typename Map>
  void bound(Map& m);

  void on(const RecordHeader& h, const LoadEnter& b, std::vector<Event>& out);
  void on(const RecordHeader& h, const LoadExit& b, std::vector<Event>& out);
  void on(const RecordHeader& h, const SymbolBatch& b, std::vector<Event>& out);
  void on(const RecordHeader& h, const ModInit& b, std::vector<Event>& out);
  void on(const RecordHeader& h, const InitcallStart& b, std::vector<Event>& out);
  void on(const RecordHeader& h, const InitcallDone& b, std::vector<Event>& out);
  void on(const RecordHeader& h, const ModInitDone& b, std::vector<Event>& out);
  void on(const RecordHeader& h, const UnloadEnter& b, std::vector<Event>& out);
  void on(const RecordHeader& h, const UnloadExit& b, std::vector<Event>& out);
  void on(const RecordHeader& h, const ModFree& b, std::vector<Event>& out);
  void on(const RecordHeader& h, const Request& b, std::vector<Event>& out);
  void on(const RecordHeader& h, const Denied& b, std::vector<Event>& out);
  void on(const RecordHeader& h, const UmhExec& b, std::vector<Event>& out);

  // The request chain (core/correlator.cpp, its own section).
  static void stamp(Event& e, const std::optional<Chain>& chain);
  void expire_chain(std::uint64_t now_ns);
  std::optional<Chain> chain_for_load(const RecordHeader& h);
  // Phases of a load (issue 12): kept on the load, put on its live or load_failed event.
  void on(const RecordHeader& h, const LoadPhases& b, std::vector<Event>& out);
  void add_phases(Event& e, const Load& l) const;

  std::map<std::uint32_t, Load> loads_;                    // by thread
  std::map<std::uint32_t, Unload> unloads_;                // by thread
  std::map<std::uint64_t, Module> modules_;                // by struct module address
  std::map<std::uint64_t, classify::Classifier> symbols_;  // by address, until MOD_INIT
  std::unordered_map<std::string, Module> known_;          // loaded before we started, by name
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t>
      denied_seen_;                          // (uid, syscall) -> total
  std::deque<PendingRequest> requests_;      // oldest first
  std::map<std::uint32_t, Helper> helpers_;  // by the modprobe's pid
  std::uint64_t next_request_id_ = 1;
  CorrelatorStats stats_;
};

}  // namespace lifetrace
