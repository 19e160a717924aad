#include "output/report.h"

#include <algorithm>

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
