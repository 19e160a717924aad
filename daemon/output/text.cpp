#include "output/text.h"

#include <ctime>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>

namespace lifetrace {

std::string human_duration(std::uint64_t ns) {
  std::array<char, 32> buf{};
  const double v = static_cast<double>(ns);
  if (ns < 1'000) {
    std::snprintf(buf.data(), buf.size(), "%" PRIu64 " ns", ns);
  } else if (ns < 1'000'000) {
    std::snprintf(buf.data(), buf.size(), "%.1f us", v / 1e3);
  } else if (ns < 1'000'000'000) {
    std::snprintf(buf.data(), buf.size(), "%.3f ms", v / 1e6);
  } else {
    std::snprintf(buf.data(), buf.size(), "%.3f s", v / 1e9);
  }
  return buf.data();
}

std::string human_bytes(std::uint64_t bytes) {
  std::array<char, 32> buf{};
  if (bytes < 1024) {
    std::snprintf(buf.data(), buf.size(), "%" PRIu64 " B", bytes);
  } else if (bytes < 1024 * 1024) {
    std::snprintf(buf.data(), buf.size(), "%.1f KiB", static_cast<double>(bytes) / 1024.0);
  } else {
    std::snprintf(buf.data(), buf.size(), "%.1f MiB", static_cast<double>(bytes) / 1048576.0);
  }
  return buf.data();
}

std::string phases_summary(const Phases& phases, std::optional<std::uint64_t> load_ns,
                           std::optional<double> coverage) {
  // The three biggest, biggest first, with their share of the load (of the phases' sum when
  // the load's duration is unknown).
  std::vector<const Phase*> top;
  std::uint64_t sum = 0;
  for (const auto& p : phases) {
    top.push_back(&p);
    sum += p.ns;
  }
  std::stable_sort(top.begin(), top.end(),
                   [](const Phase* a, const Phase* b) { return a->ns > b->ns; });
  if (top.size() > 3) top.resize(3);
  const double whole = static_cast<double>(load_ns.value_or(sum));
  std::string s = "phases=";
  for (std::size_t i = 0; i < top.size(); ++i) {
    const int pct =
        whole > 0 ? static_cast<int>(100.0 * static_cast<double>(top[i]->ns) / whole + 0.5) : 0;
    s += (i ? "," : "") + top[i]->name + ":" + std::to_string(pct) + "%";
  }
  if (coverage) s += " covered=" + std::to_string(static_cast<int>(*coverage * 100.0 + 0.5)) + "%";
  return s;
}

std::string format_line(const Event& e, const WallClock& clock, bool utc) {
  const auto [secs, nanos] = split_ns(clock.to_realtime_ns(e.mono_ns));
  std::tm tm{};
  if (utc) {
    gmtime_r(&secs, &tm);
  } else {
    localtime_r(&secs, &tm);
  }
  std::array<char, 160> head{};
  std::array<char, 16> hms{};
  std::strftime(hms.data(), hms.size(), "%H:%M:%S", &tm);
  // No task at all (changed_while_down, found at the daemon's start): "-".
  const std::string who = e.pid == 0 && e.comm.empty() ? "-" : std::to_string(e.pid) + "/" + e.comm;
  std::snprintf(head.data(), head.size(), "%s.%06ld %-12s %-18s %-7s %-20s", hms.data(),
                nanos / 1000, std::string(to_string(e.kind)).c_str(),
                e.module.empty() ? "?" : e.module.c_str(),
                std::string(classify::to_string(e.language)).c_str(), who.c_str());
  std::string line = head.data();
  const auto add = [&line](const std::string& s) {
    line += ' ';
    line += s;
  };
  if (e.ret) {
    if (*e.ret < 0) {
      add("ret=" + std::to_string(*e.ret) + " (" + errno_name(*e.ret) + ")");
    } else if (e.kind == EventKind::init_done) {
      add("ret=" + std::to_string(*e.ret));
    }
  }
  if (e.stage) add("stage=" + std::string(to_string(*e.stage)));
  if (e.failed_in) add("failed_in=" + *e.failed_in);
  if (e.init_ns) add("init=" + human_duration(*e.init_ns));
  if (e.load_ns) add("load=" + human_duration(*e.load_ns));
  if (e.exit_ns) add("teardown=" + human_duration(*e.exit_ns));
  if (e.lifetime_ns) add("lifetime=" + human_duration(*e.lifetime_ns));
  if (e.size_bytes && e.kind != EventKind::load_start) add("size=" + human_bytes(*e.size_bytes));
  if (e.taints && !e.taints->empty()) add("taints=" + *e.taints);
  if (e.sig_ok) add(*e.sig_ok ? "signed" : "unsigned");
  if (e.kind == EventKind::load_start) {
    if (e.file && !e.file->empty()) add("file=" + *e.file);
    if (e.params && !e.params->empty()) add("params=\"" + *e.params + "\"");
  }
  if (e.init_symbol) add("entry=" + *e.init_symbol);
  if (e.phases && !e.phases->empty()) add(phases_summary(*e.phases, e.load_ns, e.phase_coverage));
  if (e.kind == EventKind::load_failed && e.read_bytes && *e.read_bytes > 0)
    add("read=" + human_bytes(*e.read_bytes));
  if (e.classification) {
    const auto& ev = e.classification->evidence;
    add("rust_syms=" + std::to_string(ev.rust_v0 + ev.rust_legacy) +
        " c_funcs=" + std::to_string(ev.c_functions));
  }
  if (e.kind == EventKind::denied) {
    if (e.syscall) add("syscall=" + *e.syscall);
    add("uid=" + std::to_string(e.uid));
    if (e.attempts) add("attempts=" + std::to_string(*e.attempts));
  }
  if (e.change) add("change=" + *e.change);
  if (e.forced && *e.forced) add("forced");
  if (e.wait) add(*e.wait ? "wait" : "nowait");
  // The request chain: the request's number, and on the loads it caused who asked and for what.
  if (e.request_id) {
    const std::string id = "(#" + std::to_string(*e.request_id) + ")";
    if (e.kind == EventKind::request) {
      add(id);
    } else {
      add("requested by " + e.requester_comm.value_or("?") + "[" +
          (e.requester_pid ? std::to_string(*e.requester_pid) : "?") + "] as " +
          e.requested_name.value_or("?") + " " + id);
    }
  }
  return line;
}

}  // namespace lifetrace
