#include "service/daemon.h"

#include <bpf/libbpf.h>
#include <signal.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "app/session.h"
#include "exporters/landing_page.h"
#include "exporters/metrics.h"
#include "output/event_json.h"
#include "output/follow_protocol.h"
#include "output/report.h"
#include "output/text.h"
#include "service/endpoint.h"
#include "service/follow_server.h"
#include "util/event_loop.h"
#include "util/fd.h"
#include "version.h"

namespace lifetrace {

LogLevel event_log_level(const Event& e) {
  switch (e.kind) {
    case EventKind::live:
    case EventKind::freed: return LogLevel::info;
    case EventKind::load_failed:
    case EventKind::denied:  // at most one per uid and syscall every 5 s (BPF side)
      return LogLevel::warning;
    default: return LogLevel::debug;
  }
}

std::string civetweb_listen_address(const std::string& address) {
  if (!address.empty() && address.front() == ':') return address.substr(1);
  return address;
}

std::vector<std::string> exporter_options(const std::string& listen_address) {
  return {"listening_ports",    civetweb_listen_address(listen_address),
          "num_threads",        std::to_string(kExporterThreads),
          "request_timeout_ms", std::to_string(kExporterRequestTimeoutMs)};
}

namespace {

// The daemon's parts, built in order by run() (exporter, tracer, follow
// server, watchdog) and torn down by shutdown() or, on a failed start, by
// their destructors in reverse order of declaration.
class Daemon {
 public:
  Daemon(const Options& o, const KernelFeatures& f) : o_(o), f_(f), log_(stderr) {}
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
  // Declared after the session: on every path the exporter, whose scrapes
  // read the tracer's counters, goes away before the tracer does.
  std::unique_ptr<MetricsEndpoint> endpoint_;
  std::unique_ptr<FollowServer> server_;
  util::EventLoop loop_;
  util::Fd watchdog_;
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
  auto started = MetricsEndpoint::start(eo, metrics_.collectables(), [this] {
    return render_landing_page(metrics_.landing_page_info(o_.telemetry_path));
  });
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
    if (server_ && server_->clients()) server_->broadcast(json_line(e, clock_));
  });
  pipeline_.add_consumer([this](const Event& e) {
    log_.write(event_log_level(e), "event: " + format_line(e, clock_, /*utc=*/true));
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
  endpoint_.reset();        // no scrape may run while the programs are detached
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

  log_.info("ready: " + session_.status + where());
  sd_notifyf(0, "READY=1\nSTATUS=%s", session_.status.c_str());

  loop_.after_each([this] {
    if (int err = session_.tracer->consume(); err < 0 && err != -EINTR) {
      log_.error(std::string("reading the ring buffer: ") + std::strerror(-err));
      loop_.stop(1);
      return;
    }
    metrics_.set_correlator_stats(pipeline_.correlator().stats());
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
