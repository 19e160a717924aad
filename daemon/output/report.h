// How lifetrace words its own health for people: probes attached or not,
// records lost. The same words on a terminal and in the journal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/health.h"
#include "output/log.h"

namespace lifetrace {

// One line per reason that lost records since `reported`, which is then
// brought up to date: "3 records lost (ringbuf_full), 7 in all; HINT: ...".
std::vector<std::string> describe_lost(const LostCounters& now, LostCounters& reported);

// One line per uid and syscall: "1000 init_module calls by uid 1000 were
// refused at the permission check" -- the totals, said when tracing ends.
std::vector<std::string> describe_denied(const DeniedCounts& denied);
// Counts already reported, by "probe/cause".
using ReportedMisses = std::map<std::string, std::uint64_t>;

// One line per probe and cause whose count of skipped runs grew since `reported`, which is
// then brought up to date:
// "3 events lost (program_skipped) at probe do_init_module_enter: the kernel skipped 3 runs of
//  do_init_module_fentry (recursion), 5 in all; HINT: ..."
std::vector<std::string> describe_misses(const std::vector<ProgramMisses>& now,
                                         ReportedMisses& reported);
// At exit: "runs the kernel skipped: 0 in all (counted for 12 programs: recursion 12, kprobe_missed
// 0)"
std::string misses_summary(const std::vector<ProgramMisses>& now);

// "tracepoint,fentry,fexit,tp_btf": the flavours that did attach, in order.
std::string attached_flavors(const std::vector<AttachResult>& results);

// A warning for every probe that is not attached; a debug line for each
// that is, with the program and why it was chosen.
void report_attach(const std::vector<AttachResult>& results, Logger& log);

// "12 of 12 probes attached (tracepoint,fentry,fexit), 87 modules loaded at start"
std::string ready_status(const std::vector<AttachResult>& results, std::size_t modules_at_start);

}  // namespace lifetrace
