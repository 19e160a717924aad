// Which kernel functions time the phases of a load (issue 12, docs/phases.md): a table of
// candidates per phase and the pure choice of those this kernel lets us probe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernel/kernel_features.h"
#include "kernel/probes.h"

namespace lifetrace {

// One group of alternatives for one phase: the first function of `functions` this kernel
// has is probed. A phase may have several groups (independent steps of the same phase).
struct PhaseCandidate {
  const char* function;
  std::uint32_t ret;  // LT_PHC_RET_* (0: the return value says nothing)
};
struct PhaseGroup {
  std::uint32_t phase;  // enum lt_phase
  std::vector<PhaseCandidate> functions;
};

// Every group, roughly in the kernel's order.
const std::vector<PhaseGroup>& phase_table();

// One kernel function to probe: the symbol as kallsyms spells it (maybe "name.isra.0") and the
// BPF cookie of both its attachments.
struct PhaseTarget {
  std::uint32_t phase = 0;
  std::string function;
  std::uint64_t cookie = 0;
};

struct PhaseChoice {
  bool enabled = false;
  std::string reason;  // why not, or which phases this kernel shows
  std::vector<PhaseTarget> targets;
  std::vector<std::uint32_t> phases_missing;  // phases with no probe-able function here
  // Attach every target through one kprobe.multi and one kretprobe.multi link (the
  // per-function links stay the fallback if those fail).
  bool multi = false;
};

// The programs used for every target (one kprobe, one kretprobe).
inline constexpr const char* kPhaseEnterProgram = "load_phase_enter";
inline constexpr const char* kPhaseExitProgram = "load_phase_exit";
// The same for kprobe.multi links.
inline constexpr const char* kPhaseEnterMultiProgram = "load_phase_enter_multi";
inline constexpr const char* kPhaseExitMultiProgram = "load_phase_exit_multi";

// Pure: which functions to probe on this kernel. Needs kprobes and bpf_get_attach_cookie()
// (5.15+); --attach=fentry (no kprobes wanted) turns phases off.
PhaseChoice choose_phase_targets(const KernelFeatures& f, AttachMode mode);

}  // namespace lifetrace
