// Writes the SVG and the trace of a History built here (tests/plot/check-plot.sh
// checks them): 24 loads in 3 s, C, Rust, mixed and unknown, with measured
// phases, with only init_ns, failed before and in init, names an attacker
// could choose, and modules loaded before the daemon.
//
// Usage: lifetrace_plot_sample OUT.svg OUT.json
#include <cstdio>
#include <fstream>
#include <string>

#include "output/timeline.h"

using namespace lifetrace;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s OUT.svg OUT.json\n", argv[0]);
    return 2;
  }
  constexpr std::uint64_t kMs = 1'000'000;
  const std::uint64_t t0 = 1'764'777'600ULL * 1'000'000'000ULL;  // 2025-12-03T16:00:00Z
  History h;
  h.frame.since = "2025-12-03T15:59:59.000000000Z";
  h.frame.max_loads = 2048;
  h.frame.not_kept = 0;
  const classify::Language langs[] = {classify::Language::c, classify::Language::rust,
                                      classify::Language::mixed, classify::Language::unknown};
  for (int i = 0; i < 24; ++i) {
    Event e;
    e.kind = EventKind::live;
    e.module = "mod_" + std::to_string(i);
    e.language = langs[i % 4];
    e.pid = 300 + static_cast<std::uint32_t>(i);
    e.comm = "systemd-udevd";
    e.load_ns = (20 + 37 * static_cast<std::uint64_t>(i % 7)) * kMs;
    e.mono_ns = t0 + static_cast<std::uint64_t>(i) * 120 * kMs + *e.load_ns;
    if (i % 3 == 0) {
      e.phases = Phases{{"read", *e.load_ns / 5},
                        {"signature", *e.load_ns / 10},
                        {"layout", *e.load_ns / 4},
                        {"symbols", *e.load_ns / 8},
                        {"init", *e.load_ns / 5}};
      e.phase_coverage = 0.875;
    } else {
      e.init_ns = *e.load_ns / 3;
    }
    if (i == 5) {
      e.kind = EventKind::load_failed;
      e.ret = -17;
      e.stage = Stage::before_init;
      e.failed_in = "already_loaded";
      e.init_ns.reset();
    }
    if (i == 11) {
      e.kind = EventKind::load_failed;
      e.ret = -22;
      e.stage = Stage::init;
    }
    if (i == 7) e.module = "</text><script>alert('x')</script>&amp;\"";
    if (i == 8) e.module = "bad\xff\x01utf8\xe2\x80\xae";  // invalid UTF-8, a control, RLO
    if (i == 9) {
      e.requester_pid = 1;
      e.requester_comm = "kworker/u4:1";
      e.requested_name = "fs-<minix>";
    }
    h.loads.push_back(e);
  }
  h.frame.loads = h.loads.size();
  h.preloaded = {{"virtio_blk", classify::Language::c},
                 {"ext4", classify::Language::c},
                 {"a&b<c>", classify::Language::rust}};
  h.frame.preloaded = h.preloaded.size();
  std::ofstream(argv[1]) << render_svg(h);
  std::ofstream(argv[2]) << render_trace(h);
  return 0;
}
