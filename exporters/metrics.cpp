#include "exporters/metrics.h"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include "exporters/metric_names.h"

namespace lifetrace {

using classify::Language;
namespace m = metrics;

namespace {

constexpr Language kLanguageOrder[] = {Language::unknown, Language::c, Language::rust,
                                       Language::mixed};
constexpr const char* kResultNames[] = {"live", "init_failed", "load_failed"};
enum Result : std::size_t { kLive = 0, kInitFailed = 1, kLoadFailed = 2 };

std::size_t idx(Language l) { return static_cast<std::size_t>(l); }
std::string lang(Language l) { return std::string(classify::to_string(l)); }
double seconds(std::uint64_t ns) { return static_cast<double>(ns) / 1e9; }

// The buckets of every duration histogram (load, init, unload, each load phase).
const prometheus::Histogram::BucketBoundaries& duration_buckets() {
  static const prometheus::Histogram::BucketBoundaries b(std::begin(m::kDurationBuckets),
                                                         std::end(m::kDurationBuckets));
  return b;
}

}  // namespace

std::string signed_label(std::optional<bool> sig_ok) {
  if (!sig_ok) return "unknown";
  return *sig_ok ? "true" : "false";
}

namespace {

// Something read from the BPF side when Prometheus scrapes, so nothing has to
// poll the maps. Called from the exporter's threads; after the source is
// cleared (the tracer is gone), the last values read stay.
template <typename T>
class ScrapeSource {
 public:
  void set(std::function<T()> source) {
    std::lock_guard lock(mu_);
    source_ = std::move(source);
  }
  T read() const {
    std::lock_guard lock(mu_);
    if (source_) last_ = source_();
    return last_;
  }

 private:
  mutable std::mutex mu_;
  std::function<T()> source_;
  mutable T last_{};
};

}  // namespace

// The lost counters: the BPF side's per-CPU counters plus the daemon's own drops.
class Metrics::LostCollector final : public prometheus::Collectable {
 public:
  LostCollector(const std::atomic<std::uint64_t>& undecodable,
                const std::atomic<std::uint64_t>& client_drops)
      : undecodable_(undecodable), client_drops_(client_drops) {}

  void set_source(std::function<LostCounters()> source) { source_.set(std::move(source)); }

  std::vector<prometheus::MetricFamily> Collect() const override {
    const LostCounters bpf = source_.read();
    prometheus::MetricFamily f;
    f.name = m::kEventsLost.name;
    f.help = m::kEventsLost.help;
    f.type = prometheus::MetricType::Counter;
    const auto add = [&f](std::string reason, std::uint64_t v) {
      prometheus::ClientMetric c;
      c.label.push_back({"reason", std::move(reason)});
      c.counter.value = static_cast<double>(v);
      f.metric.push_back(std::move(c));
    };
    for (int i = 0; i < LT_LOST_MAX; ++i) {
      add(std::string(lost_reason_name(i)), bpf[static_cast<std::size_t>(i)]);
    }
    add(m::kLostUndecodable, undecodable_.load());
    add(m::kLostFollowClientQueue, client_drops_.load());
    return {std::move(f)};
  }

 private:
  const std::atomic<std::uint64_t>& undecodable_;
  const std::atomic<std::uint64_t>& client_drops_;
  ScrapeSource<LostCounters> source_;
};

// Denied load/unload attempts, per syscall and uid, as the BPF side counts them.
class Metrics::DeniedCollector final : public prometheus::Collectable {
 public:
  void set_source(std::function<DeniedCounts()> source) { source_.set(std::move(source)); }

  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::MetricFamily f;
    f.name = m::kSyscallsDenied.name;
    f.help = m::kSyscallsDenied.help;
    f.type = prometheus::MetricType::Counter;
    for (const auto& d : source_.read()) {
      prometheus::ClientMetric c;
      c.label.push_back({"syscall", syscall_name(d.syscall)});
      c.label.push_back({"uid", std::to_string(d.uid)});
      c.counter.value = static_cast<double>(d.attempts);
      f.metric.push_back(std::move(c));
    }
    return {std::move(f)};
  }

 private:
  ScrapeSource<DeniedCounts> source_;
};

// Reads the kernel's per-program miss counters when Prometheus scrapes. Series appear once
// the tracer has attached (one per attached probe and cause the kernel counts).
class Metrics::MissesCollector final : public prometheus::Collectable {
 public:
  void set_source(std::function<std::vector<ProgramMisses>()> source) {
    source_.set(std::move(source));
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    const std::vector<ProgramMisses> now = source_.read();
    prometheus::MetricFamily f;
    f.name = m::kProgramMisses.name;
    f.help = m::kProgramMisses.help;
    f.type = prometheus::MetricType::Counter;
    for (const auto& p : now) {
      prometheus::ClientMetric c;
      c.label.push_back({"cause", std::string(to_string(p.cause))});
      c.label.push_back({"probe", p.probe});
      c.counter.value = static_cast<double>(p.count);
      f.metric.push_back(std::move(c));
    }
    return {std::move(f)};
  }

 private:
  ScrapeSource<std::vector<ProgramMisses>> source_;
};

void Metrics::set_program_misses_source(std::function<std::vector<ProgramMisses>()> source) {
  misses_->set_source(std::move(source));
}

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      lost_(std::make_shared<LostCollector>(undecodable_, client_drops_)),
      denied_(std::make_shared<DeniedCollector>()),
      misses_(std::make_shared<MissesCollector>()) {
  auto& reg = *registry_;
  loads_ = &prometheus::BuildCounter()
                .Name(m::kModuleLoads.name)
                .Help(m::kModuleLoads.help)
                .Register(reg);
  unloads_ = &prometheus::BuildCounter()
                  .Name(m::kModuleUnloads.name)
                  .Help(m::kModuleUnloads.help)
                  .Register(reg);
  init_duration_ = &prometheus::BuildHistogram()
                        .Name(m::kInitDuration.name)
                        .Help(m::kInitDuration.help)
                        .Register(reg);
  load_duration_ = &prometheus::BuildHistogram()
                        .Name(m::kLoadDuration.name)
                        .Help(m::kLoadDuration.help)
                        .Register(reg);
  modules_loaded_ = &prometheus::BuildGauge()
                         .Name(m::kModulesLoaded.name)
                         .Help(m::kModulesLoaded.help)
                         .Register(reg);
  module_info_ =
      &prometheus::BuildGauge().Name(m::kModuleInfo.name).Help(m::kModuleInfo.help).Register(reg);
  init_last_ = &prometheus::BuildGauge()
                    .Name(m::kInitLastDuration.name)
                    .Help(m::kInitLastDuration.help)
                    .Register(reg);
  attached_ = &prometheus::BuildGauge()
                   .Name(m::kProgramAttached.name)
                   .Help(m::kProgramAttached.help)
                   .Register(reg);
  build_info_ =
      &prometheus::BuildGauge().Name(m::kBuildInfo.name).Help(m::kBuildInfo.help).Register(reg);
  builtin_ = &prometheus::BuildGauge()
                  .Name(m::kBuiltinModules.name)
                  .Help(m::kBuiltinModules.help)
                  .Register(reg);
  rust_crates_ = &prometheus::BuildGauge()
                      .Name(m::kKernelRustCrate.name)
                      .Help(m::kKernelRustCrate.help)
                      .Register(reg);
  requests_ = &prometheus::BuildCounter()
                   .Name(m::kModuleRequests.name)
                   .Help(m::kModuleRequests.help)
                   .Register(reg)
                   .Add({});
  changed_while_down_ = &prometheus::BuildCounter()
                             .Name(m::kModulesChangedWhileDown.name)
                             .Help(m::kModulesChangedWhileDown.help)
                             .Register(reg);
  for (const char* c : {"loaded", "unloaded", "reloaded"})
    changed_while_down_->Add({{"change", c}});
  follow_clients_ = &prometheus::BuildGauge()
                         .Name(m::kFollowClients.name)
                         .Help(m::kFollowClients.help)
                         .Register(reg)
                         .Add({});
  auto& events =
      prometheus::BuildCounter().Name(m::kEvents.name).Help(m::kEvents.help).Register(reg);
  auto& anomalies = prometheus::BuildCounter()
                        .Name(m::kCorrelatorAnomalies.name)
                        .Help(m::kCorrelatorAnomalies.help)
                        .Register(reg);
  evicted_ = &anomalies.Add({{"anomaly", "evicted"}});
  orphans_ = &anomalies.Add({{"anomaly", "orphan_record"}});
  partial_tables_ = &anomalies.Add({{"anomaly", "partial_symbol_table"}});
  auto& request_links = prometheus::BuildCounter()
                            .Name(m::kModuleRequestLinks.name)
                            .Help(m::kModuleRequestLinks.help)
                            .Register(reg);
  requests_linked_ = &request_links.Add({{"result", "linked"}});
  requests_expired_ = &request_links.Add({{"result", "expired"}});

  const auto& buckets = duration_buckets();
  for (Language l : kLanguageOrder) {
    const std::size_t i = idx(l);
    for (std::size_t r = 0; r < kResults; ++r) {
      loads_by_[i][r] = &loads_->Add({{"language", lang(l)}, {"result", kResultNames[r]}});
    }
    unloads_by_[i] = &unloads_->Add({{"language", lang(l)}});
    init_by_[i] = &init_duration_->Add({{"language", lang(l)}}, buckets);
    load_by_[i] = &load_duration_->Add({{"language", lang(l)}}, buckets);
    loaded_by_[i] = &modules_loaded_->Add({{"language", lang(l)}});
  }
  for (EventKind k : kAllEventKinds) {
    events_by_[k] = &events.Add({{"event", std::string(to_string(k))}});
  }

  phase_duration_ = &prometheus::BuildHistogram()
                         .Name(m::kLoadPhaseDuration.name)
                         .Help(m::kLoadPhaseDuration.help)
                         .Register(reg);
  duplicates_ = &prometheus::BuildCounter()
                     .Name(m::kDuplicateLoads.name)
                     .Help(m::kDuplicateLoads.help)
                     .Register(reg);
  for (const char* reason : {"already_loaded", "already_loading"})
    duplicates_->Add({{"reason", reason}});
  failed_read_bytes_ = &prometheus::BuildCounter()
                            .Name(m::kFailedLoadReadBytes.name)
                            .Help(m::kFailedLoadReadBytes.help)
                            .Register(reg);
}

// Phase names come from the kernel side's fixed list (core/phases.cpp) and failing steps from
// the same list plus already_loaded/already_loading, so these children stay few.
void Metrics::on_phases(const Event& e) {
  const auto& buckets = duration_buckets();
  if (e.phases) {
    for (const auto& p : *e.phases) {
      auto [it, inserted] = phase_by_.try_emplace(p.name, nullptr);
      if (inserted) it->second = &phase_duration_->Add({{"phase", p.name}}, buckets);
      it->second->Observe(seconds(p.ns));
    }
  }
  if (e.kind != EventKind::load_failed) return;
  const std::string step = e.failed_in.value_or("unknown");
  if (step == "already_loaded" || step == "already_loading")
    duplicates_->Add({{"reason", step}}).Increment();
  if (e.read_bytes && *e.read_bytes > 0)
    failed_read_bytes_->Add({{"failed_in", step}}).Increment(static_cast<double>(*e.read_bytes));
}

Metrics::~Metrics() = default;

std::vector<std::weak_ptr<prometheus::Collectable>> Metrics::collectables() const {
  return {registry_, lost_, denied_, misses_};
}

std::string Metrics::serialize() const {
  auto families = registry_->Collect();
  for (auto& f : lost_->Collect()) families.push_back(std::move(f));
  for (auto& f : denied_->Collect()) families.push_back(std::move(f));
  for (auto& f : misses_->Collect()) families.push_back(std::move(f));
  return prometheus::TextSerializer().Serialize(families);
}

void Metrics::set_build_info(const std::string& version, const std::string& libbpf_version,
                             const std::string& kernel_release) {
  build_info_
      ->Add({{"version", version},
             {"libbpf_version", libbpf_version},
             {"kernel_release", kernel_release}})
      .Set(1);
  std::lock_guard lock(landing_mutex_);
  landing_.version = version;
  landing_.kernel_release = kernel_release;
}

void Metrics::set_builtin(const classify::BuiltinReport& report) {
  std::array<double, kLanguages> n{};
  for (const auto& mod : report.modules) n[idx(mod.language)] += 1;
  // The children are made here, not at start: until the report is computed (after
  // READY=1) the family has no series rather than zeros that would be wrong.
  for (Language l : kLanguageOrder) builtin_->Add({{"language", lang(l)}}).Set(n[idx(l)]);
  unsigned series = 0;
  for (const auto& c : report.crates) {
    if (series++ >= m::kMaxCrateSeries) break;  // bounded cardinality
    rust_crates_->Add({{"crate", c.name}}).Set(1);
  }
}

LandingPageInfo Metrics::landing_page_info(const std::string& telemetry_path) const {
  LandingPageInfo info;
  {
    std::lock_guard lock(landing_mutex_);
    info = landing_;
  }
  info.telemetry_path = telemetry_path;
  for (auto l : kLanguageOrder) {
    // The gauges, not loaded_: they are atomic, loaded_ belongs to the event loop.
    info.loaded.emplace_back(lang(l), static_cast<std::size_t>(loaded_by_[idx(l)]->Value()));
  }
  return info;
}

void Metrics::set_attach_results(const std::vector<AttachResult>& results) {
  {
    std::lock_guard lock(landing_mutex_);
    landing_.probes = results;
  }
  for (const auto& r : results) {
    attached_->Add({{"probe", r.probe}, {"program", r.program.empty() ? "none" : r.program}})
        .Set(r.attached ? 1 : 0);
  }
}

void Metrics::set_bpf_lost_source(std::function<LostCounters()> source) {
  lost_->set_source(std::move(source));
}

void Metrics::set_denied_source(std::function<DeniedCounts()> source) {
  denied_->set_source(std::move(source));
}

void Metrics::set_correlator_stats(const CorrelatorStats& s) {
  const auto advance = [](prometheus::Counter* c, std::uint64_t now, std::uint64_t& seen) {
    if (now > seen) c->Increment(static_cast<double>(now - seen));
    seen = now;
  };
  advance(evicted_, s.evicted, stats_seen_.evicted);
  advance(orphans_, s.orphan_records, stats_seen_.orphan_records);
  advance(partial_tables_, s.partial_symbol_tables, stats_seen_.partial_symbol_tables);
  advance(requests_linked_, s.requests_linked, stats_seen_.requests_linked);
  advance(requests_expired_, s.requests_expired, stats_seen_.requests_expired);
}

void Metrics::set_follow_clients(std::size_t n) { follow_clients_->Set(static_cast<double>(n)); }

std::size_t Metrics::loaded_count(Language l) const {
  std::size_t n = 0;
  for (const auto& [name, mod] : loaded_) n += mod.language == l ? 1 : 0;
  return n;
}

void Metrics::seed_inventory(const std::vector<classify::ModuleInfo>& modules,
                             bool kernel_signs_modules) {
  for (const auto& mod : modules) {
    std::optional<bool> sig;
    if (kernel_signs_modules) sig = mod.taints.find('E') == std::string::npos;
    mark_loaded(mod.name, mod.language, mod.taints, signed_label(sig),
                mod.provenance ? mod.provenance->signer : std::string());
  }
  update_loaded_gauges();
}

void Metrics::mark_loaded(const std::string& module, Language language, const std::string& taints,
                          const std::string& sig, const std::string& signer) {
  // The signer as libkmod reads it from the module's file (live events only); bounded: one
  // series per module, the name cut at 64 bytes (sanitized where it was read).
  prometheus::Labels labels{{"module", module},
                            {"language", lang(language)},
                            {"taints", taints},
                            {"signed", sig},
                            {"signer", signer.substr(0, 64)}};
  auto [it, inserted] = loaded_.try_emplace(module);
  Loaded& l = it->second;
  if (!inserted && l.info_labels == labels) return;
  if (l.info) module_info_->Remove(l.info);
  l.language = language;
  l.info_labels = labels;
  l.info = &module_info_->Add(labels);
  l.info->Set(1);
}

void Metrics::mark_gone(const std::string& module) {
  auto it = loaded_.find(module);
  if (it == loaded_.end()) return;  // e.g. freed after a failed init: never live
  if (it->second.info) module_info_->Remove(it->second.info);
  loaded_.erase(it);
}

void Metrics::update_loaded_gauges() {
  std::array<std::size_t, kLanguages> n{};
  for (const auto& [name, mod] : loaded_) ++n[idx(mod.language)];
  for (std::size_t i = 0; i < kLanguages; ++i) loaded_by_[i]->Set(static_cast<double>(n[i]));
}

void Metrics::on_event(const Event& e) {
  if (auto it = events_by_.find(e.kind); it != events_by_.end()) it->second->Increment();
  const std::size_t li = idx(e.language) < kLanguages ? idx(e.language) : 0;

  switch (e.kind) {
    case EventKind::init_done:
      if (e.init_ns) {
        init_by_[li]->Observe(seconds(*e.init_ns));
        if (!e.module.empty()) {
          auto [it, inserted] = init_last_by_.try_emplace(e.module, nullptr);
          if (inserted) it->second = &init_last_->Add({{"module", e.module}});
          it->second->Set(seconds(*e.init_ns));
        }
      }
      break;

    case EventKind::live: {
      on_phases(e);
      loads_by_[li][kLive]->Increment();
      if (e.load_ns) load_by_[li]->Observe(seconds(*e.load_ns));
      if (!e.module.empty()) {
        mark_loaded(e.module, e.language, e.taints.value_or(""), signed_label(e.sig_ok),
                    e.signer.value_or(""));
        update_loaded_gauges();
      }
      break;
    }

    case EventKind::load_failed:
      on_phases(e);
      // A 6.6+ duplicate that waited for another load and got its success (ret 0) failed
      // nothing: it is counted as a duplicate only.
      if (e.ret.value_or(-1) != 0)
        loads_by_[li][e.stage == Stage::init ? kInitFailed : kLoadFailed]->Increment();
      break;

    case EventKind::unload_done:
      if (e.ret && *e.ret == 0) unloads_by_[li]->Increment();
      break;

    case EventKind::freed:
      if (!e.module.empty()) {
        mark_gone(e.module);
        update_loaded_gauges();
      }
      break;

    case EventKind::request: requests_->Increment(); break;

    // The loaded gauges were seeded from the inventory at start; this only counts the change.
    case EventKind::changed_while_down:
      if (e.change) changed_while_down_->Add({{"change", *e.change}}).Increment();
      break;

    case EventKind::load_start:
    case EventKind::init_start:
    case EventKind::unload_start:
    case EventKind::denied:  // counted exactly at scrape time (DeniedCollector)
      break;
  }
}

}  // namespace lifetrace
