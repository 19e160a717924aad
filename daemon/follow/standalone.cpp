#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "app/session.h"
#include "core/filter.h"
#include "follow/client.h"
#include "follow/follow.h"
#include "output/event_json.h"
#include "output/report.h"
#include "output/text.h"
#include "util/event_loop.h"

namespace lifetrace {

int run_follow(const Options& o, const KernelFeatures& f) {
  // A running daemon serves the same events over its follow socket: no
  // second set of BPF programs, and no root needed.
  if (!o.standalone) {
    if (auto rc = follow_via_daemon(o)) return *rc;
  }
  TerminalLogger log(stderr, o.verbose);
  if (auto p = check_kernel(o, f)) {
    log.problem(*p);
    return 1;
  }

  EventPipeline pipeline;
  pipeline.on_undecodable = [&](const std::string& why) {
    if (pipeline.undecodable() <= 5) log.warning("undecodable record: " + why);
  };
  const EventFilter filter(o.module_globs, o.events);
  const WallClock clock = WallClock::now();
  pipeline.add_consumer([&](const Event& e) {
    if (!filter.matches(e)) return;
    const std::string line = o.json ? json_line(e, clock) : format_line(e, clock, o.utc);
    std::fputs(line.c_str(), stdout);
    std::fputc('\n', stdout);
  });

  auto started = start_session(o, f, pipeline, log);
  if (auto* p = std::get_if<Problem>(&started)) {
    log.problem(*p);
    return 1;
  }
  Tracer& tracer = *std::get<Session>(started).tracer;
  log.info("ready: " + std::get<Session>(started).status + "; Ctrl-C to stop");

  // SIGINT/SIGTERM end the loop after what is waiting has been read.
  util::EventLoop loop;
  LostCounters reported_lost{};
  ReportedMisses reported_misses;
  auto last_health = std::chrono::steady_clock::time_point{};
  const bool watching = loop.watch_signals({SIGINT, SIGTERM}, [&](int) { loop.stop(0); }) &&
                        loop.watch(tracer.epoll_fd(), [] {});
  if (!watching) {
    log.error(loop.error());
    return 1;
  }
  loop.after_each([&] {
    if (int err = tracer.consume(); err < 0 && err != -EINTR) {
      log.error(std::string("reading the ring buffer: ") + std::strerror(-err));
      loop.stop(1);
      return;
    }
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
      loop.stop(0);  // the reader went away (EPIPE): nothing left to do
      return;
    }
    // Say so soon after the kernel side drops anything, not only at exit -- but at most once
    // a second: reading the per-CPU `lost` map is a bpf() syscall that raises the CPU's
    // bpf_prog_active while it copies (bpf_disable_instrumentation), and if it is preempted
    // there (7.2's lazy preemption) the kernel skips every tracepoint and kprobe program
    // that fires on that CPU meanwhile. The storm could not show a difference:
    // such skips also happen without these reads.
    const auto now = std::chrono::steady_clock::now();
    if (now - last_health < std::chrono::seconds(1)) return;
    last_health = now;
    for (const auto& m : describe_lost(tracer.lost(), reported_lost)) log.warning(m);
    for (const auto& m : describe_misses(tracer.program_misses(), reported_misses)) log.warning(m);
  });
  const int rc = loop.run();
  if (!loop.error().empty()) log.error(loop.error());

  for (const auto& m : describe_lost(tracer.lost(), reported_lost)) log.warning(m);
  for (const auto& m : describe_denied(tracer.denied())) log.warning(m);
  const auto misses = tracer.program_misses();
  for (const auto& m : describe_misses(misses, reported_misses)) log.warning(m);
  log.info(misses_summary(misses));
  if (pipeline.undecodable())
    log.warning(std::to_string(pipeline.undecodable()) + " undecodable records");
  return rc;
}

}  // namespace lifetrace
