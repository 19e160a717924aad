#include "output/report.h"

#include <algorithm>
#include <set>

#include "core/event.h"

namespace lifetrace {

std::vector<std::string> describe_lost(const LostCounters& now, LostCounters& reported) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < now.size(); ++i) {
    if (now[i] <= reported[i]) continue;
    std::string m = std::to_string(now[i] - reported[i]) + " records lost (" +
                    std::string(lost_reason_name(static_cast<int>(i))) + "), " +
                    std::to_string(now[i]) + " in all";
    if (i == LT_LOST_RINGBUF_FULL || i == LT_LOST_SYMBOLS_RINGBUF) {
      m += "; HINT: a larger --ringbuf-size keeps up with bursts";
    }
    out.push_back(std::move(m));
    reported[i] = now[i];
  }
  return out;
}

std::vector<std::string> describe_denied(const DeniedCounts& denied) {
  std::vector<std::string> out;
  for (const auto& d : denied) {
    out.push_back("denied: " + std::to_string(d.attempts) + " " + syscall_name(d.syscall) +
                  " calls by uid " + std::to_string(d.uid) +
                  " were refused at the permission check");
  }
  return out;
}

std::vector<std::string> describe_misses(const std::vector<ProgramMisses>& now,
                                         ReportedMisses& reported) {
  std::vector<std::string> out;
  for (const auto& m : now) {
    const std::string key = m.probe + "/" + std::string(to_string(m.cause));
    auto& seen = reported[key];
    if (m.count <= seen) continue;
    const std::uint64_t n = m.count - seen;
    std::string s = std::to_string(n) + (n == 1 ? " event" : " events") +
                    " lost (program_skipped) at probe " + m.probe + ": the kernel skipped " +
                    std::to_string(n) + (n == 1 ? " run of " : " runs of ") + m.program + " (" +
                    std::string(to_string(m.cause)) + "), " + std::to_string(m.count) +
                    " in all; HINT: ";
    if (m.cause == MissCause::recursion) {
      s += "the kernel does not run a BPF program on a CPU where it (or, for tracepoints and "
           "kprobes, any such program) is already running, e.g. preempted; parallel module "
           "loads make this likely, and those events are missing";
    } else {
      s += "the kprobe was hit while another kprobe was running and the kernel skipped it; "
           "--attach=fentry avoids kprobes";
    }
    out.push_back(std::move(s));
    seen = m.count;
  }
  return out;
}

std::string misses_summary(const std::vector<ProgramMisses>& now) {
  std::uint64_t total = 0, recursion = 0, kprobe = 0;
  std::set<std::string> programs;
  for (const auto& m : now) {
    total += m.count;
    programs.insert(m.program);
    (m.cause == MissCause::recursion ? recursion : kprobe) += 1;
  }
  return "runs the kernel skipped: " + std::to_string(total) + " in all (counted for " +
         std::to_string(programs.size()) + " programs: recursion " + std::to_string(recursion) +
         ", kprobe_missed " + std::to_string(kprobe) + ")";
}

std::string attached_flavors(const std::vector<AttachResult>& results) {
  std::vector<std::string> seen;
  for (const auto& r : results) {
    if (r.attached && std::find(seen.begin(), seen.end(), r.flavor) == seen.end()) {
      seen.push_back(r.flavor);
    }
  }
  std::string s;
  for (const auto& f : seen) s += (s.empty() ? "" : ",") + f;
  return s;
}

void report_attach(const std::vector<AttachResult>& results, Logger& log) {
  for (const auto& r : results) {
    if (!r.attached) {
      log.warning("probe " + r.probe + " not attached: " + r.error);
    } else {
      log.debug("probe " + r.probe + ": " + r.flavor + " " + r.program +
                (r.reason.empty() ? "" : " (" + r.reason + ")"));
    }
  }
}

std::string ready_status(const std::vector<AttachResult>& results, std::size_t modules_at_start) {
  const auto attached = std::count_if(results.begin(), results.end(),
                                      [](const AttachResult& r) { return r.attached; });
  return std::to_string(attached) + " of " + std::to_string(results.size()) + " probes attached (" +
         attached_flavors(results) + "), " + std::to_string(modules_at_start) +
         " modules loaded at start";
}

}  // namespace lifetrace
