// The loads a daemon has seen, as `lifetrace blame` and `lifetrace plot` show
// them: the model built from the daemon's history answer
// (output/follow_protocol.h) and its pure renderers — a table like
// `systemd-analyze blame`, its JSON, an SVG timeline like `systemd-analyze
// plot`, and Chrome trace-event JSON for Perfetto's UI. No sockets, no clocks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/event.h"
#include "output/follow_protocol.h"

namespace lifetrace {

// What a history request returned. `loads` are live and load_failed events
// with realtime times (event_from_json), oldest first.
struct History {
  follow_protocol::HistoryStart frame;
  std::vector<follow_protocol::Preloaded> preloaded;
  std::vector<Event> loads;
};

// One load, ready to draw.
struct LoadView {
  const Event* end = nullptr;  // the live or load_failed event
  std::int64_t start_ns = 0;   // realtime: the load syscall's entry (end time - load_ns)
  std::uint64_t load_ns = 0;
  bool failed = false;
  // The bar, in order, summing to load_ns: the measured phases and "other"
  // for what they do not cover; without phases (a kernel or build that does
  // not time them) "before_init" = load_ns - init_ns and "init" = init_ns,
  // or one "load" (failed: "before_init") segment.
  Phases bars;
  bool phases_measured = false;  // bars come from the event's phases
};

LoadView view_of(const Event& e);
// The views of every load, in the history's order.
std::vector<LoadView> views_of(const History& h);

// "ok" for a live load; "EEXIST in already_loaded", "ENOENT before_init":
// the errno and where the load failed.
std::string result_text(const Event& e);
// "modprobe/223", plus " for kworker/u4:1/45 (fs-minix)" when the kernel asked.
std::string requester_text(const Event& e);
// The n biggest bars, biggest first: "read 120.1 ms, init 3.808 ms".
std::string biggest_phases(const LoadView& v, std::size_t n = 3);

// `lifetrace blame`: slowest first, then the modules loaded before the daemon.
std::string render_blame(const History& h);
// `lifetrace blame --json`: one object (documented in docs/daemon.md).
std::string render_blame_json(const History& h);

// `lifetrace plot`: a standalone SVG document.
std::string render_svg(const History& h);
// `lifetrace plot --format trace`: Chrome trace-event JSON (object form).
std::string render_trace(const History& h);

// Text made safe for XML character data and attribute values: & < > " '
// escaped; invalid UTF-8, the characters XML 1.0 forbids, C1 controls, line
// separators and bidi controls replaced by U+FFFD.
std::string xml_escape(const std::string& s);

}  // namespace lifetrace
