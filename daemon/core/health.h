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
// The kernel does not run a BPF program that is re-entered on the same CPU; it only counts
// the skipped run. Every skipped run of one of our programs is a record that never existed.
enum class MissCause {
  recursion,      // bpf_prog_info.recursion_misses: the program (fentry/fexit: this one;
                  // tracepoint/kprobe: any, via bpf_prog_active) was already running here
  kprobe_missed,  // the kprobe itself was not hit (kprobe re-entered), from the perf link info
};
// "recursion", "kprobe_missed": the {cause} label of lifetrace_bpf_program_misses_total.
std::string_view to_string(MissCause c);

struct ProgramMisses {
  std::string probe;    // AttachResult::probe
  std::string program;  // the BPF program attached for it
  MissCause cause = MissCause::recursion;
  std::uint64_t count = 0;  // since the program was loaded
};

}  // namespace lifetrace
