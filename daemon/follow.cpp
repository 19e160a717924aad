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
#include "inventory_feed.h"
#include "tracer.h"

namespace lifetrace {

void report_problem(const Problem& p) {
  std::fprintf(stderr, "lifetrace: error: %s\n", p.message.c_str());
  if (!p.hint.empty()) std::fprintf(stderr, "HINT: %s\n", p.hint.c_str());
}

void EventPrinter::on_record(std::span<const std::byte> data) {
  auto decoded = decode_record(data);
  if (auto* err = std::get_if<DecodeError>(&decoded)) {
    if (++decode_errors_ <= 5) {
      std::fprintf(stderr, "lifetrace: warning: undecodable record: %s\n", err->message.c_str());
    }
    return;
  }
  for (const Event& e : correlator_.feed(std::get<Record>(decoded))) {
    for (auto& obs : observers_) obs(e);
    if (!filter_.matches(e)) continue;
    const std::string line = json_ ? to_json(e, clock_).dump(-1, ' ', false,
                                                             nlohmann::json::error_handler_t::replace)
                                   : format_line(e, clock_, utc_);
    std::fputs(line.c_str(), out_);
    std::fputc('\n', out_);
    ++printed_;
  }
}

namespace {

std::string flavor_summary(const std::vector<AttachResult>& results) {
  std::string s;
  for (const auto& r : results) {
    if (!r.attached) continue;
    if (s.find(r.flavor) != std::string::npos) continue;
    if (!s.empty()) s += ",";
    s += r.flavor;
  }
  return s;
}

// Warns about records lost since the last call (by reason) and remembers them.
void warn_lost(const LostCounters& now, LostCounters& reported) {
  for (std::size_t i = 0; i < now.size(); ++i) {
    if (now[i] <= reported[i]) continue;
    std::fprintf(stderr, "lifetrace: warning: %llu records lost (%s), %llu in all%s\n",
                 static_cast<unsigned long long>(now[i] - reported[i]),
                 std::string(lost_reason_name(static_cast<int>(i))).c_str(),
                 static_cast<unsigned long long>(now[i]),
                 i == LT_LOST_RINGBUF_FULL || i == LT_LOST_SYMBOLS_RINGBUF
                     ? "; HINT: a larger --ringbuf-size keeps up with bursts"
                     : "");
    reported[i] = now[i];
  }
}

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

  EventPrinter printer(o, WallClock::now(), stdout);
  std::size_t known = seed_known_modules(printer.correlator(), o.procfs, o.sysfs);

  TracerOptions topts;
  topts.mode = o.attach;
  topts.strict = o.strict;
  topts.ringbuf_bytes = o.ringbuf_bytes;
  auto started = Tracer::start(f, topts, [&](std::span<const std::byte> d) { printer.on_record(d); });
  if (auto* p = std::get_if<Problem>(&started)) {
    report_problem(*p);
    return 1;
  }
  auto& tracer = *std::get<std::unique_ptr<Tracer>>(started);

  for (const auto& r : tracer.attach_results()) {
    if (!r.attached) {
      std::fprintf(stderr, "lifetrace: warning: probe %s not attached: %s\n", r.probe.c_str(),
                   r.error.c_str());
    } else if (o.verbose) {
      std::fprintf(stderr, "lifetrace: probe %s: %s %s\n", r.probe.c_str(), r.flavor.c_str(),
                   r.program.c_str());
    }
  }
  std::fprintf(stderr,
               "lifetrace: ready: %zu of %zu probes attached (%s), %zu modules already loaded; "
               "Ctrl-C to stop\n",
               tracer.attached_count(), tracer.attach_results().size(),
               flavor_summary(tracer.attach_results()).c_str(), known);

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
    warn_lost(tracer.lost(), reported_lost);
  }

  warn_lost(tracer.lost(), reported_lost);
  if (printer.decode_errors()) {
    std::fprintf(stderr, "lifetrace: warning: %llu undecodable records\n",
                 static_cast<unsigned long long>(printer.decode_errors()));
  }
  return rc;
}

}  // namespace lifetrace
