// lifetrace's Prometheus metrics: fed with lifecycle events by the daemon's
// event loop, read by the exporter's HTTP threads.
//
// Pure bookkeeping on top of prometheus-cpp's registry: no BPF, no sockets,
// so the unit tests drive it with Events. Label children with a fixed set of
// values (language x result, event kinds) are created once in the
// constructor; only per-module series are created when a module appears.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "classify/builtin.h"
#include "classify/classify.h"
#include "classify/inventory.h"
#include "core/correlator.h"
#include "core/event.h"
#include "core/health.h"
#include "exporters/landing_page.h"

namespace lifetrace {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // What an exporter serves: the registry and the scrape-time collector of
  // lost-record counters. Register every one of them.
  std::vector<std::weak_ptr<prometheus::Collectable>> collectables() const;

  // The Prometheus text exposition of everything (for tests and debugging).
  std::string serialize() const;

  void set_build_info(const std::string& version, const std::string& libbpf_version,
                      const std::string& kernel_release);
  void set_attach_results(const std::vector<AttachResult>& results);

  // The modules loaded when lifetrace started. `kernel_signs_modules`: the
  // kernel checks module signatures, so a module without the 'E' taint has a
  // valid signature.
  void seed_inventory(const std::vector<classify::ModuleInfo>& modules, bool kernel_signs_modules);

  // What is linked into the kernel: built-in modules by language, one info
  // series per Rust crate in vmlinux. Called once, once the report is
  // computed; both families have no series before.
  void set_builtin(const classify::BuiltinReport& report);

  // One lifecycle event, filtered or not. Called from the event loop only.
  void on_event(const Event& e);

  // Scrape-time sources of lost-record counts. The source is called from the
  // exporter's threads; clear it (nullptr) before what it reads goes away.
  void set_bpf_lost_source(std::function<LostCounters()> source);
  void set_denied_source(std::function<DeniedCounts()> source);
  // Scrape-time source of the kernel's counts of skipped program runs (same rules).
  void set_program_misses_source(std::function<std::vector<ProgramMisses>()> source);
  void add_undecodable(std::uint64_t n) { undecodable_ += n; }
  // The correlator's running totals (CorrelatorStats); called from the event loop.
  void set_correlator_stats(const CorrelatorStats& s);
  void add_follow_client_drops(std::uint64_t n) { client_drops_ += n; }
  void set_follow_clients(std::size_t n);

  // What the page at `/` shows (version, kernel, attach results, modules
  // loaded by language). Safe to call from the exporter's threads.
  LandingPageInfo landing_page_info(const std::string& telemetry_path) const;

  // Bookkeeping, for tests.
  std::size_t loaded_count(classify::Language l) const;
  bool is_loaded(const std::string& module) const { return loaded_.count(module) != 0; }

 private:
  class LostCollector;
  class DeniedCollector;
  class MissesCollector;
  struct Loaded {
    classify::Language language = classify::Language::unknown;
    prometheus::Gauge* info = nullptr;
    prometheus::Labels info_labels;
  };
  void mark_loaded(const std::string& module, classify::Language language,
                   const std::string& taints, const std::string& sig, const std::string& signer);
  void mark_gone(const std::string& module);
  void update_loaded_gauges();

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<LostCollector> lost_;
  std::shared_ptr<DeniedCollector> denied_;
  std::shared_ptr<MissesCollector> misses_;
  std::atomic<std::uint64_t> undecodable_{0};
  std::atomic<std::uint64_t> client_drops_{0};

  prometheus::Family<prometheus::Counter>* loads_;
  prometheus::Family<prometheus::Counter>* unloads_;
  prometheus::Family<prometheus::Histogram>* init_duration_;
  prometheus::Family<prometheus::Histogram>* load_duration_;
  prometheus::Family<prometheus::Gauge>* modules_loaded_;
  prometheus::Family<prometheus::Gauge>* module_info_;
  prometheus::Family<prometheus::Gauge>* init_last_;
  prometheus::Family<prometheus::Histogram>* phase_duration_;
  prometheus::Family<prometheus::Counter>* duplicates_;
  prometheus::Family<prometheus::Counter>* failed_read_bytes_;
  prometheus::Family<prometheus::Gauge>* attached_;
  prometheus::Family<prometheus::Gauge>* build_info_;
  prometheus::Family<prometheus::Gauge>* builtin_;
  prometheus::Family<prometheus::Gauge>* rust_crates_;
  prometheus::Counter* requests_;
  prometheus::Family<prometheus::Counter>* changed_while_down_;
  prometheus::Gauge* follow_clients_;
  prometheus::Counter* evicted_;
  prometheus::Counter* orphans_;
  prometheus::Counter* partial_tables_;
  prometheus::Counter* requests_linked_;
  prometheus::Counter* requests_expired_;
  CorrelatorStats stats_seen_;

  // Children created once, indexed by language (and result, event kind).
  static constexpr std::size_t kLanguages = 4;
  static constexpr std::size_t kResults = 3;  // live, init_failed, load_failed
  std::array<std::array<prometheus::Counter*, kResults>, kLanguages> loads_by_{};
  std::array<prometheus::Counter*, kLanguages> unloads_by_{};
  std::array<prometheus::Histogram*, kLanguages> init_by_{};
  std::array<prometheus::Histogram*, kLanguages> load_by_{};
  std::array<prometheus::Gauge*, kLanguages> loaded_by_{};
  std::map<EventKind, prometheus::Counter*> events_by_;
  // Phases of loads (issue 12): children by phase name and failing step, made when first seen.
  void on_phases(const Event& e);
  std::map<std::string, prometheus::Histogram*> phase_by_;

  mutable std::mutex landing_mutex_;  // guards landing_ (read by HTTP threads)
  LandingPageInfo landing_;           // version, kernel and probes; counts come from loaded_by_

  std::map<std::string, Loaded> loaded_;                    // by module name
  std::map<std::string, prometheus::Gauge*> init_last_by_;  // by module name
};

// "true", "false" or "unknown", as in lifetrace_module_info's signed label.
std::string signed_label(std::optional<bool> sig_ok);

}  // namespace lifetrace
