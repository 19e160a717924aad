// Events as structured journal entries: one pure mapping from an Event to the
// "NAME=value" fields sd_journal_sendv(3) takes, so that
// `journalctl -u lifetrace LIFETRACE_MODULE=dummy` finds a module's events and
// journal-upload carries them across a fleet (docs/daemon.md#journal-fields).
//
// Every optional field of the Event (for_each_optional_field in core/event.h,
// the list the JSON codec walks) becomes LIFETRACE_<KEY>: a new field reaches
// the journal with no edit here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "output/log.h"
#include "output/time.h"

namespace lifetrace {

// "LIFETRACE_" + `key` upper-cased, every character other than A-Z, 0-9 and
// '_' as '_', cut to the journal's 64 characters.
std::string journal_field_name(std::string_view key);

// journald's rule for a field a client may send: 1-64 characters of A-Z, 0-9
// and '_', not starting with '_' (trusted fields) or a digit.
bool valid_journal_field_name(std::string_view name);

// The priority of an event: failures (load_failed, an unload or init that
// returned an error) warning; denied attempts and modules changed while the
// daemon was down notice; live and freed info; the intermediate steps debug.
LogLevel event_priority(const Event& e);

// A MESSAGE_ID per event kind (32 hex digits, fixed forever), so that
// `journalctl MESSAGE_ID=...` finds one kind across every host.
std::string_view event_message_id(EventKind k);

// "load_failed"/"init_failed"/"live" for loads (the metrics' result label),
// "ok"/"failed" for init_done and unload_done, "denied"; "" when an event has
// no result.
std::string_view event_result(const Event& e);

// Every field of the entry for `e`, each "NAME=value": MESSAGE (the human
// line, as --follow prints it, in UTC), PRIORITY, MESSAGE_ID,
// SYSLOG_IDENTIFIER, LIFETRACE_EVENT/MODULE/LANGUAGE/RESULT/TIME, the
// requester (LIFETRACE_PID, _TID, _UID, _COMM, _CGROUP_ID, _REQUESTER) when
// known, LIFETRACE_ERRNO (name) and LIFETRACE_ERRNO_NUMBER for a negative
// return, and LIFETRACE_<KEY> for every optional field that is set.
std::vector<std::string> journal_fields(const Event& e, const WallClock& clock);

}  // namespace lifetrace
