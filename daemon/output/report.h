// How lifetrace words its own health for people: probes attached or not,
// records lost. The same words on a terminal and in the journal.
#pragma once

#include <cstddef>
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

// "tracepoint,fentry,fexit,tp_btf": the flavours that did attach, in order.
std::string attached_flavors(const std::vector<AttachResult>& results);

// A warning for every probe that is not attached; a debug line for each
// that is, with the program and why it was chosen.
void report_attach(const std::vector<AttachResult>& results, Logger& log);

// "12 of 12 probes attached (tracepoint,fentry,fexit), 87 modules loaded at start"
std::string ready_status(const std::vector<AttachResult>& results, std::size_t modules_at_start);

}  // namespace lifetrace
