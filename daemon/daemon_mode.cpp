#include "daemon_mode.h"

#include <bpf/libbpf.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>
#include <prometheus/exposer.h>

#include "classify/inventory.h"
#include "fd.h"
#include "follow_server.h"
#include "format.h"
#include "inventory_feed.h"
#include "loop.h"
#include "metrics.h"
#include "pipeline.h"
#include "tracer.h"
#include "version.h"

namespace lifetrace {

void daemon_log(std::FILE* out, LogLevel level, const std::string& message) {
  std::fprintf(out, "<%d>lifetrace: %s\n", static_cast<int>(level), message.c_str());
  std::fflush(out);
}

LogLevel event_log_level(const Event& e) {
  switch (e.kind) {
    case EventKind::live:
    case EventKind::freed:
      return LogLevel::info;
    case EventKind::load_failed:
      return LogLevel::warning;
    default:
      return LogLevel::debug;
  }
}

std::string civetweb_listen_address(const std::string& address) {
  if (!address.empty() && address.front() == ':') return address.substr(1);
  return address;
}

namespace {

void log(LogLevel l, const std::string& m) { daemon_log(stderr, l, m); }

void log_problem(const Problem& p) {
  log(LogLevel::err, "error: " + p.message);
  if (!p.hint.empty()) log(LogLevel::err, "HINT: " + p.hint);
  sd_notifyf(0, "STATUS=Failed: %s", p.message.c_str());
}

}  // namespace

int run_daemon(const Options& o, const KernelFeatures& f) {
  set_libbpf_verbose(o.verbose);
  log(LogLevel::info, std::string("starting lifetrace ") + kVersion + " on Linux " + f.kernel_release());
  if (auto p = preflight(f)) {
    log_problem(*p);
    return 1;
  }

  Fd sigfd = signal_fd({SIGINT, SIGTERM, SIGHUP}, SFD_NONBLOCK);

  Metrics metrics;
  metrics.set_build_info(kVersion, libbpf_version_string(), f.kernel_release());

  // The exporter first: a port that cannot be bound is a configuration
  // error to report before anything is attached.
  std::unique_ptr<prometheus::Exposer> exposer;
  if (!o.listen_address.empty()) {
    const std::string addr = civetweb_listen_address(o.listen_address);
    try {
      exposer = std::make_unique<prometheus::Exposer>(addr, 2);
    } catch (const std::exception& e) {
      log_problem({"cannot serve metrics on " + o.listen_address + ": " + e.what(),
                   "is another process listening on that port (ss -ltnp)? Choose another with "
                   "--web.listen-address, e.g. 127.0.0.1:9477"});
      return 1;
    }
    for (const auto& c : metrics.collectables()) exposer->RegisterCollectable(c, o.telemetry_path);
  }

  const WallClock clock = WallClock::now();
  EventPipeline pipeline;
  std::unique_ptr<FollowServer> server;
  pipeline.on_undecodable = [&](const std::string& why) {
    metrics.add_undecodable(1);
    if (pipeline.undecodable() <= 5) log(LogLevel::warning, "warning: undecodable record: " + why);
  };
  pipeline.add_consumer([&](const Event& e) { metrics.on_event(e); });
  pipeline.add_consumer([&](const Event& e) {
    if (server && server->clients()) {
      server->broadcast(json_line(e, clock));
    }
  });
  pipeline.add_consumer([&](const Event& e) {
    log(event_log_level(e), "event: " + format_line(e, clock, /*utc=*/true));
  });

  TracerOptions topts;
  topts.mode = o.attach;
  topts.strict = o.strict;
  topts.ringbuf_bytes = o.ringbuf_bytes;
  auto started = Tracer::start(f, topts, [&](std::span<const std::byte> d) { pipeline.on_record(d); });
  if (auto* p = std::get_if<Problem>(&started)) {
    log_problem(*p);
    return 1;
  }
  std::unique_ptr<Tracer> tracer = std::move(std::get<std::unique_ptr<Tracer>>(started));
  metrics.set_attach_results(tracer->attach_results());
  for (const auto& r : tracer->attach_results()) {
    if (!r.attached) {
      log(LogLevel::warning, "warning: probe " + r.probe + " not attached: " + r.error);
    } else {
      log(LogLevel::debug, "probe " + r.probe + ": " + r.flavor + " " + r.program);
    }
  }
  metrics.set_bpf_lost_source([t = tracer.get()] { return t->lost(); });

  // The inventory after attaching: a module loaded in between is both in the
  // inventory and in the ring buffer, and the metrics count it once.
  const auto modules = seed_known_modules(pipeline.correlator(), o.procfs, o.sysfs,
                                          [](const std::string& w) { log(LogLevel::warning, "warning: " + w); });
  const bool signs = std::filesystem::exists(std::filesystem::path(o.sysfs) / "module/module/parameters/sig_enforce");
  metrics.seed_inventory(modules, signs);

  const std::string status = std::to_string(tracer->attached_count()) + " of " +
                             std::to_string(tracer->attach_results().size()) + " probes attached (" +
                             attached_flavors(tracer->attach_results()) + "), " +
                             std::to_string(modules.size()) + " modules loaded at start";
  if (!o.follow_socket.empty()) {
    FollowServerOptions so;
    so.path = o.follow_socket;
    so.group = o.follow_group;
    const nlohmann::json hello{{"lifetrace_follow", 1}, {"version", kVersion}, {"status", status}};
    auto listening = FollowServer::listen(so, hello.dump());
    if (auto* p = std::get_if<Problem>(&listening)) {
      log_problem(*p);
      return 1;
    }
    server = std::move(std::get<std::unique_ptr<FollowServer>>(listening));
    if (!server->warning().empty()) log(LogLevel::warning, "warning: " + server->warning());
    server->on_drop = [&](std::uint64_t n) { metrics.add_follow_client_drops(n); };
    server->on_clients = [&](std::size_t n) {
      metrics.set_follow_clients(n);
      log(LogLevel::debug, "follow clients: " + std::to_string(n));
    };
  }

  Fd ep(epoll_create1(EPOLL_CLOEXEC));
  epoll_watch(ep.get(), tracer->epoll_fd());
  epoll_watch(ep.get(), sigfd.get());
  if (server) epoll_watch(ep.get(), server->fd());

  // The watchdog is pinged from this loop, so a loop that hangs gets the
  // service restarted.
  Fd watchdog;
  std::uint64_t wd_usec = 0;
  if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0) {
    watchdog.reset(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    const std::uint64_t half = wd_usec / 2;
    itimerspec its{};
    its.it_interval.tv_sec = static_cast<time_t>(half / 1'000'000);
    its.it_interval.tv_nsec = static_cast<long>((half % 1'000'000) * 1000);
    its.it_value = its.it_interval;
    timerfd_settime(watchdog.get(), 0, &its, nullptr);
    epoll_watch(ep.get(), watchdog.get());
  }

  std::string where;
  if (exposer) {
    const auto ports = exposer->GetListeningPorts();
    where += "; metrics on " + o.listen_address + o.telemetry_path;
    if (!ports.empty()) where += " (port " + std::to_string(ports.front()) + ")";
  }
  if (server) where += "; follow socket " + server->path();
  log(LogLevel::info, "ready: " + status + where);
  sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str());

  int rc = 0;
  for (bool running = true; running;) {
    epoll_event events[8];
    const int n = epoll_wait(ep.get(), events, 8, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log(LogLevel::err, std::string("error: epoll_wait: ") + std::strerror(errno));
      rc = 1;
      break;
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == sigfd.get()) {
        signalfd_siginfo si{};
        while (read(sigfd.get(), &si, sizeof(si)) == static_cast<ssize_t>(sizeof(si))) {
          if (si.ssi_signo == SIGHUP) {
            log(LogLevel::notice, "SIGHUP: nothing to reload");
          } else {
            log(LogLevel::info, std::string("stopping on ") + sigabbrev_np(static_cast<int>(si.ssi_signo)));
            running = false;
          }
        }
      } else if (watchdog && fd == watchdog.get()) {
        std::uint64_t ticks = 0;
        if (read(watchdog.get(), &ticks, sizeof(ticks)) > 0) sd_notify(0, "WATCHDOG=1");
      } else if (server && fd == server->fd()) {
        server->handle();
      }
    }
    if (int err = tracer->consume(); err < 0 && err != -EINTR) {
      log(LogLevel::err, std::string("error: reading the ring buffer: ") + std::strerror(-err));
      rc = 1;
      break;
    }
  }

  sd_notify(0, "STOPPING=1\nSTATUS=Detaching");
  tracer->consume();  // what arrived before the signal still counts
  if (server) server->stopping();
  LostCounters none{};
  for (const auto& m : describe_lost(tracer->lost(), none)) log(LogLevel::warning, "warning: " + m);
  metrics.set_bpf_lost_source(nullptr);
  exposer.reset();  // no scrape may run while the programs are detached
  tracer.reset();   // detaches every program and frees the maps
  server.reset();   // removes the socket file
  log(LogLevel::info, "stopped; every probe detached");
  return rc;
}

}  // namespace lifetrace
