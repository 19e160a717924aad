// Names of the phases of a load and what a load's LT_REC_PHASES record means for its events
// (issue 12, docs/phases.md). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/event.h"

namespace lifetrace {

// "read", "signature", ... for enum lt_phase; "phase<N>" for an id this build does not know.
std::string phase_name(std::uint32_t phase);

// What a load's phases record says, decoded (core/record.h fills it).
struct LoadPhases {
  std::uint64_t span_ns = 0;
  std::uint64_t read_bytes = 0;
  std::uint32_t syscall = 0;
  std::uint32_t flags = 0;   // LT_PHF_*
  std::uint32_t failed = 0;  // enum lt_phase, 0: none
  std::int32_t failed_ret = 0;
  Phases phases;  // named, in the order first entered; phases that took 0 ns are kept
};

// The step a failed load failed in: the phase that returned the error, sharpened where the
// kernel inlined the step into load_module and the error says which one it was (EEXIST:
// already_loaded, EBUSY: already_loading, ENOENT after symbol lookups: symbols). nullopt when
// nothing says.
std::optional<std::string> failure_step(const LoadPhases& p, std::int64_t ret);

// A finit_module that waited in idempotent_init_module (6.6+) for another thread's load of the
// same file and never loaded anything itself.
bool duplicate_waiter(const LoadPhases& p);

// Puts the phases on a live or load_failed event: phases (a waiter's wait renamed
// already_loading), phase_coverage against the event's load_ns, failed_in, read_bytes.
void apply_phases(Event& e, const LoadPhases& p);

}  // namespace lifetrace
