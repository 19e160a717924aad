#include "service/daemon.h"

#include <bpf/libbpf.h>
#include <signal.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <systemd/sd-daemon.h>
// Without it sd_journal_sendv adds CODE_FILE/LINE/FUNC naming send_to_journal, not the event.
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>

#include "app/session.h"
#include "classify/builtin.h"
#include "exporters/landing_page.h"
#include "exporters/metrics.h"
#include "output/event_json.h"
#include "output/follow_protocol.h"
#include "output/journal_fields.h"
#include "output/report.h"
#include "output/text.h"
#include "service/endpoint.h"
#include "service/follow_server.h"
#include "service/load_history.h"
#include "service/module_state.h"
#include "util/event_loop.h"
#include "util/fd.h"
#include "version.h"

namespace lifetrace {

LogLevel event_log_level(const Event& e) { return event_priority(e); }

int send_to_journal(const std::vector<std::string>& fields) {
  std::vector<iovec> iov;
  iov.reserve(fields.size());
  for (const auto& f : fields) iov.push_back({const_cast<char*>(f.data()), f.size()});
  return sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

namespace {

// The daemon's parts, built in order by run() (exporter, tracer, follow
// server, watchdog) and torn down by shutdown() or, on a failed start, by
// their destructors in reverse order of declaration.
class Daemon {
 public:
  Daemon(const Options& o, const KernelFeatures& f) : o_(o), f_(f), log_(stderr) {
    // Started by systemd with stderr on the journal: events as structured entries.
    if (stream_is_journal(stderr)) log_.set_sink(send_to_journal);
  }
  int run();

 private:
  bool fail(const Problem& p) {
    log_.problem(p);
    sd_notifyf(0, "STATUS=Failed: %s", p.message.c_str());
    return false;
  }
  bool start_exporter();
  void connect_pipeline();
  bool start_tracing();
  bool start_follow_server();
  bool start_watchdog();
  void report_changes_while_down();
  void publish_builtin();
  void save_module_state();
  void on_signal(int signo);
  std::string where() const;
  void shutdown();

  const Options& o_;
  const KernelFeatures& f_;
  JournalLogger log_;
  Metrics metrics_;
  const WallClock clock_ = WallClock::now();
  EventPipeline pipeline_;
  Session session_;
  // Before the endpoint, which is on it: the loop outlives what it watches.
  util::EventLoop loop_;
  // Declared after the session: on every path the exporter, whose scrapes
  // read the tracer's counters, goes away before the tracer does.
  std::unique_ptr<MetricsEndpoint> endpoint_;
  std::unique_ptr<FollowServer> server_;
  LoadHistory history_;  // for `lifetrace blame` and `plot`, over the follow socket
  util::Fd watchdog_;
  std::unique_ptr<ModuleStateFile> state_;  // --state.file; null for none
  ModuleSet saved_at_start_;                // the state file's set when the daemon started
  bool had_state_ = false;                  // false: first start, nothing to compare with
  bool modules_changed_ = false;            // the module set may differ from the file's
  bool state_write_failed_ = false;         // logged once
  std::map<std::string, classify::Language> languages_;  // from the inventory and live events
  ReportedMisses reported_misses_;  // program runs the kernel skipped, already logged
  std::chrono::steady_clock::time_point last_misses_check_{};
};

bool Daemon::start_exporter() {
  // Before anything is attached: a port that cannot be bound, or a bad web
  // config, is a configuration error to report first.
  if (o_.listen_address.empty()) return true;
  EndpointOptions eo;
  eo.listen_address = o_.listen_address;
  eo.telemetry_path = o_.telemetry_path;
  if (!o_.web_config_file.empty()) {
    auto web = load_web_config(o_.web_config_file);
    if (auto* p = std::get_if<Problem>(&web)) return fail(*p);
    eo.web = std::move(std::get<WebConfig>(web));
  }
  auto started = MetricsEndpoint::start(
      eo, metrics_.collectables(),
      [this] { return render_landing_page(metrics_.landing_page_info(o_.telemetry_path)); }, loop_);
  if (auto* p = std::get_if<Problem>(&started)) return fail(*p);
  endpoint_ = std::move(std::get<std::unique_ptr<MetricsEndpoint>>(started));
  return true;
}

void Daemon::connect_pipeline() {
  pipeline_.on_undecodable = [this](const std::string& why) {
    metrics_.add_undecodable(1);
    if (pipeline_.undecodable() <= 5) log_.warning("undecodable record: " + why);
  };
  pipeline_.add_consumer([this](const Event& e) { metrics_.on_event(e); });
  pipeline_.add_consumer([this](const Event& e) {
    const bool was_full = history_.not_kept() > 0;
    history_.on_event(e, clock_);
    if (!was_full && history_.not_kept() > 0) {  // said once: blame and plot count the rest
      log_.notice("the history of loads for `lifetrace blame` and `plot` is full: the first " +
                  std::to_string(LoadHistory::kKeepFirst) + " loads and the latest " +
                  std::to_string(LoadHistory::kKeepLast) +
                  " are kept, the ones in between dropped and counted");
    }
  });
  pipeline_.add_consumer([this](const Event& e) {
    if (server_ && server_->clients()) server_->broadcast(json_line(e, clock_));
  });
  pipeline_.add_consumer([this](const Event& e) {
    // The line is the fallback if journald cannot take the entry.
    const std::string line = "event: " + format_line(e, clock_, /*utc=*/true);
    log_.entry(event_priority(e), line,
               log_.structured() ? journal_fields(e, clock_) : std::vector<std::string>{});
  });
  pipeline_.add_consumer([this](const Event& e) {
    // The set of loaded modules may have changed: saved after this wake-up's events.
    switch (e.kind) {
      case EventKind::live:
        if (!e.module.empty()) languages_[e.module] = e.language;
        modules_changed_ = true;
        break;
      case EventKind::freed:
      case EventKind::unload_done:
      case EventKind::load_failed: modules_changed_ = true; break;
      default: break;
    }
  });
}

bool Daemon::start_tracing() {
  auto started = start_session(o_, f_, pipeline_, log_);
  if (auto* p = std::get_if<Problem>(&started)) return fail(*p);
  session_ = std::move(std::get<Session>(started));
  metrics_.set_attach_results(session_.tracer->attach_results());
  metrics_.set_bpf_lost_source([t = session_.tracer.get()] { return t->lost(); });
  metrics_.set_denied_source([t = session_.tracer.get()] { return t->denied(); });
  metrics_.set_program_misses_source([t = session_.tracer.get()] { return t->program_misses(); });
  const bool signs = std::filesystem::exists(std::filesystem::path(o_.sysfs) /
                                             "module/module/parameters/sig_enforce");
  metrics_.seed_inventory(session_.modules, signs);
  for (const auto& m : session_.modules) languages_[m.name] = m.language;
  {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    history_.start(rfc3339_ns(static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec),
                   session_.modules);
  }
  if (!o_.state_file.empty()) {
    state_ = std::make_unique<ModuleStateFile>(o_.state_file);
    std::string error;
    if (auto saved = state_->load(&error)) {
      saved_at_start_ = std::move(*saved);
      had_state_ = true;
    } else if (!error.empty()) {
      log_.problem({"cannot compare the loaded modules with the last run: " + error,
                    "the file is rewritten now; remove it if this repeats"});
    }
  }
  return loop_.watch(session_.tracer->epoll_fd(), [] {}) || fail({loop_.error(), ""});
}

bool Daemon::start_follow_server() {
  if (o_.follow_socket.empty()) return true;
  FollowServerOptions so;
  so.path = o_.follow_socket;
  so.group = o_.follow_group;
  auto listening = FollowServer::listen(so, follow_protocol::hello_line(kVersion, session_.status));
  if (auto* p = std::get_if<Problem>(&listening)) return fail(*p);
  server_ = std::move(std::get<std::unique_ptr<FollowServer>>(listening));
  if (!server_->warning().empty()) log_.warning(server_->warning());
  server_->on_drop = [this](std::uint64_t n) { metrics_.add_follow_client_drops(n); };
  server_->on_clients = [this](std::size_t n) {
    metrics_.set_follow_clients(n);
    log_.debug("follow clients: " + std::to_string(n));
  };
  server_->on_refused = [this](const std::string& why) { log_.debug(why); };
  server_->history = [this] { return history_.answer(); };
  return loop_.watch(server_->fd(), [this] { server_->handle(); }) || fail({loop_.error(), ""});
}

bool Daemon::start_watchdog() {
  // Pinged from the event loop, so a loop that hangs gets the service restarted.
  std::uint64_t wd_usec = 0;
  if (sd_watchdog_enabled(0, &wd_usec) <= 0 || wd_usec == 0) return true;
  watchdog_.reset(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  const std::uint64_t half = wd_usec / 2;
  itimerspec its{};
  its.it_interval.tv_sec = static_cast<time_t>(half / 1'000'000);
  its.it_interval.tv_nsec = static_cast<long>((half % 1'000'000) * 1000);
  its.it_value = its.it_interval;
  timerfd_settime(watchdog_.get(), 0, &its, nullptr);
  return loop_.watch(watchdog_.get(), [this] {
    std::uint64_t ticks = 0;
    if (read(watchdog_.get(), &ticks, sizeof(ticks)) > 0) sd_notify(0, "WATCHDOG=1");
  }) || fail({loop_.error(), ""});
}

void Daemon::save_module_state() {
  modules_changed_ = false;
  if (!state_) return;
  // /proc/modules itself, not a set kept from events: what the next start compares with.
  std::string error;
  if (auto names = live_module_names(o_.procfs, &error)) {
    ModuleSet set;
    for (const auto& name : *names) {
      auto it = languages_.find(name);
      set[name] = {module_sysfs_ino(o_.sysfs, name),
                   it == languages_.end() ? classify::Language::unknown : it->second};
    }
    if (state_->save(set, &error)) {
      state_write_failed_ = false;
      return;
    }
  }
  if (state_write_failed_) return;  // said once until it works again
  state_write_failed_ = true;
  const bool no_dir = !std::filesystem::is_directory(state_->path().parent_path());
  const std::string message =
      "cannot keep the set of loaded modules in " + state_->path().string() + ": " + error;
  if (no_dir) {  // `lifetrace daemon` run by hand: expected, not a warning
    log_.notice(message);
    log_.notice(
        "HINT: create the directory (the unit's StateDirectory=lifetrace does) or pass "
        "--state.file= to keep none; modules changed while the daemon is down are then "
        "not reported");
  } else {
    log_.problem({message, "check the state directory's owner, mode and free space"});
  }
}

void Daemon::report_changes_while_down() {
  if (!state_) return;
  ModuleSet now;
  for (const auto& m : session_.modules) {
    if (m.state == "Live") now[m.name] = {module_sysfs_ino(o_.sysfs, m.name), m.language};
  }
  if (had_state_) {
    const auto changes = changes_while_down(saved_at_start_, now);
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    const auto mono = static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
                      static_cast<std::uint64_t>(ts.tv_nsec);
    for (const auto& c : changes) {
      Event e;
      e.kind = EventKind::changed_while_down;
      e.mono_ns = mono;
      e.module = c.module;
      e.language = c.language;
      e.change = c.change;
      for (const auto& m : session_.modules) {
        if (m.name != c.module || c.change == "unloaded") continue;
        e.taints = m.taints;
        e.size_bytes = m.size_bytes;
      }
      pipeline_.emit(e);
    }
    std::size_t n[3] = {};
    for (const auto& c : changes) ++n[c.change == "loaded" ? 0 : c.change == "unloaded" ? 1 : 2];
    log_.info("modules changed while lifetrace was down: " + std::to_string(n[0]) + " loaded, " +
              std::to_string(n[1]) + " unloaded, " + std::to_string(n[2]) + " reloaded (from " +
              state_->path().string() + ")");
  } else {
    log_.info("no saved module state (" + state_->path().string() +
              "): first start, nothing to compare");
  }
  save_module_state();
}

// What is built into the kernel, for lifetrace_builtin_modules and
// lifetrace_kernel_rust_crate_info. Not needed to trace, so computed after READY=1: it streams all
// of /proc/kallsyms (seconds under emulation). Events that arrive meanwhile wait in the ring
// buffer; the series appear once set.
void Daemon::publish_builtin() {
  const auto start = std::chrono::steady_clock::now();
  std::string error;  // no kallsyms: the tracer would have failed first; say it anyway
  const auto report = classify::read_builtin_report(o_.procfs, {}, &error);
  metrics_.set_builtin(report);
  if (!error.empty()) log_.warning("built-in modules: " + error);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  log_.debug("built-in modules: " + std::to_string(report.modules.size()) + " modules, " +
             std::to_string(report.crates.size()) + " Rust crates in vmlinux (" +
             std::to_string(ms.count()) + " ms)");
}

void Daemon::on_signal(int signo) {
  if (signo == SIGHUP) {
    log_.notice("SIGHUP: nothing to reload");
    return;
  }
  log_.info(std::string("stopping on ") + sigabbrev_np(signo));
  loop_.stop(0);
}

std::string Daemon::where() const {
  std::string w;
  if (endpoint_) {
    const auto ports = endpoint_->ports();
    w += std::string("; metrics on ") + endpoint_->scheme() + "://" + o_.listen_address +
         o_.telemetry_path;
    if (!ports.empty()) w += " (port " + std::to_string(ports.front()) + ")";
  }
  if (server_) w += "; follow socket " + server_->path();
  return w;
}

void Daemon::shutdown() {
  sd_notify(0, "STOPPING=1\nSTATUS=Detaching");
  Tracer& tracer = *session_.tracer;
  tracer.consume();  // what arrived before the signal still counts
  if (server_) server_->stopping();
  LostCounters none{};
  for (const auto& m : describe_lost(tracer.lost(), none)) log_.warning(m);
  for (const auto& m : describe_denied(tracer.denied())) log_.warning(m);
  const auto misses = tracer.program_misses();
  for (const auto& m : describe_misses(misses, reported_misses_)) log_.warning(m);
  log_.info(misses_summary(misses));
  metrics_.set_bpf_lost_source(nullptr);
  metrics_.set_denied_source(nullptr);
  metrics_.set_program_misses_source(nullptr);
  endpoint_.reset();  // no scrape may run while the programs are detached
  save_module_state();
  session_.tracer.reset();  // detaches every program and frees the maps
  server_.reset();          // removes the socket file
  log_.info("stopped; every probe detached");
}

int Daemon::run() {
  log_.info(std::string("starting lifetrace ") + kVersion + " on Linux " + f_.kernel_release());
  if (auto p = check_kernel(o_, f_)) {
    fail(*p);
    return 1;
  }
  if (!loop_.ok()) {
    fail({loop_.error(), ""});
    return 1;
  }
  metrics_.set_build_info(kVersion, libbpf_version_string(), f_.kernel_release());
  connect_pipeline();
  if (!loop_.watch_signals({SIGINT, SIGTERM, SIGHUP}, [this](int s) { on_signal(s); }) ||
      !start_exporter() || !start_tracing() || !start_follow_server() || !start_watchdog()) {
    return 1;
  }

  report_changes_while_down();
  log_.info("ready: " + session_.status + where());
  sd_notifyf(0, "READY=1\nSTATUS=%s", session_.status.c_str());
  publish_builtin();

  loop_.after_each([this] {
    if (int err = session_.tracer->consume(); err < 0 && err != -EINTR) {
      log_.error(std::string("reading the ring buffer: ") + std::strerror(-err));
      loop_.stop(1);
      return;
    }
    metrics_.set_correlator_stats(pipeline_.correlator().stats());
    if (modules_changed_) save_module_state();
    // Runs the kernel skipped are lost events: log them when they happen (checked at most
    // once a second: one bpf() call per program).
    const auto now = std::chrono::steady_clock::now();
    if (now - last_misses_check_ < std::chrono::seconds(1)) return;
    last_misses_check_ = now;
    for (const auto& m : describe_misses(session_.tracer->program_misses(), reported_misses_)) {
      log_.warning(m);
    }
  });
  const int rc = loop_.run();
  if (!loop_.error().empty()) log_.error(loop_.error());
  shutdown();
  return rc;
}

}  // namespace

int run_daemon(const Options& o, const KernelFeatures& f) { return Daemon(o, f).run(); }

}  // namespace lifetrace
