#include "follow.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "fd.h"
#include "loop.h"
#include "follow_client.h"
#include "format.h"
#include "inventory_feed.h"
#include "pipeline.h"
#include "tracer.h"

namespace lifetrace {

void report_problem(const Problem& p) {
  std::fprintf(stderr, "lifetrace: error: %s\n", p.message.c_str());
  if (!p.hint.empty()) std::fprintf(stderr, "HINT: %s\n", p.hint.c_str());
}

namespace {

void warn(const std::string& m) { std::fprintf(stderr, "lifetrace: warning: %s\n", m.c_str()); }

}  // namespace

int run_follow(const Options& o, const KernelFeatures& f) {
  // A running daemon serves the same events over its follow socket: no
  // second set of BPF programs, and no root needed.
  if (!o.standalone) {
    if (auto rc = follow_via_daemon(o)) return *rc;
  }
  set_libbpf_verbose(o.verbose);
  if (auto p = preflight(f)) {
    report_problem(*p);
    return 1;
  }

  // Signals arrive through a signalfd in the same epoll set: no handler
  // races, and SIGINT/SIGTERM drain the ring buffer before exiting.
  Fd sigfd = signal_fd({SIGINT, SIGTERM});

  EventPipeline pipeline;
  pipeline.on_undecodable = [&](const std::string& why) {
    if (pipeline.undecodable() <= 5) warn("undecodable record: " + why);
  };
  const EventFilter filter(o.module_globs, o.events);
  const WallClock clock = WallClock::now();
  pipeline.add_consumer([&](const Event& e) {
    if (!filter.matches(e)) return;
    const std::string line = o.json ? json_line(e, clock) : format_line(e, clock, o.utc);
    std::fputs(line.c_str(), stdout);
    std::fputc('\n', stdout);
  });
  const std::size_t known = seed_known_modules(pipeline.correlator(), o.procfs, o.sysfs, warn).size();

  TracerOptions topts;
  topts.mode = o.attach;
  topts.strict = o.strict;
  topts.ringbuf_bytes = o.ringbuf_bytes;
  auto started = Tracer::start(f, topts, [&](std::span<const std::byte> d) { pipeline.on_record(d); });
  if (auto* p = std::get_if<Problem>(&started)) {
    report_problem(*p);
    return 1;
  }
  auto& tracer = *std::get<std::unique_ptr<Tracer>>(started);

  for (const auto& r : tracer.attach_results()) {
    if (!r.attached) {
      warn("probe " + r.probe + " not attached: " + r.error);
    } else if (o.verbose) {
      std::fprintf(stderr, "lifetrace: probe %s: %s %s\n", r.probe.c_str(), r.flavor.c_str(),
                   r.program.c_str());
    }
  }
  std::fprintf(stderr,
               "lifetrace: ready: %zu of %zu probes attached (%s), %zu modules already loaded; "
               "Ctrl-C to stop\n",
               tracer.attached_count(), tracer.attach_results().size(),
               attached_flavors(tracer.attach_results()).c_str(), known);

  Fd ep(epoll_create1(EPOLL_CLOEXEC));
  epoll_watch(ep.get(), tracer.epoll_fd());
  epoll_watch(ep.get(), sigfd.get());

  int rc = 0;
  LostCounters reported_lost{};
  for (bool running = true; running;) {
    epoll_event events[4];
    const int n = epoll_wait(ep.get(), events, 4, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "lifetrace: error: epoll_wait: %s\n", std::strerror(errno));
      rc = 1;
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == sigfd.get()) running = false;
    }
    if (int err = tracer.consume(); err < 0 && err != -EINTR) {
      std::fprintf(stderr, "lifetrace: error: reading the ring buffer: %s\n", std::strerror(-err));
      rc = 1;
      break;
    }
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
      // The reader went away (EPIPE): nothing left to do.
      break;
    }
    // Say so as soon as the kernel side drops anything, not only at exit.
    for (const auto& m : describe_lost(tracer.lost(), reported_lost)) warn(m);
  }

  for (const auto& m : describe_lost(tracer.lost(), reported_lost)) warn(m);
  if (pipeline.undecodable()) warn(std::to_string(pipeline.undecodable()) + " undecodable records");
  return rc;
}

}  // namespace lifetrace
