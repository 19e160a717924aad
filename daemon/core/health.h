// What the tracer reports about itself: which probes are attached and how
// many records the kernel side could not deliver. Plain data, shared by the
// loader (kernel/) that fills it and the sinks (output/, exporters/) that show it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lifetrace.h"

namespace lifetrace {

struct AttachResult {
  std::string probe;
  std::string program;  // empty when no twin was usable
  std::string flavor;
  bool attached = false;
  bool required = false;
  std::string error;   // why it is not attached
  std::string reason;  // why this program was chosen (or none)
};

// Records lost by the kernel side, by enum lt_lost_reason, summed over CPUs.
using LostCounters = std::array<std::uint64_t, LT_LOST_MAX>;

// "ringbuf_full", ...: the {reason} label values of lifetrace_events_lost_total.
std::string_view lost_reason_name(int reason);

// Load/unload calls the kernel refused at the permission check, per uid and
// syscall, as the BPF side counts them (every attempt, not only the reported ones).
struct DeniedCount {
  std::uint32_t uid = 0;
  std::uint32_t syscall = 0;  // enum lt_load_syscall
  std::uint64_t attempts = 0;
};
using DeniedCounts = std::vector<DeniedCount>;

}  // namespace lifetrace
