// The Event <-> JSON codec, both directions in one place: `--follow --json`,
// the daemon's follow socket and its client all speak it. Adding an Event
// field means adding it here (to_json and event_from_json) and in core/event.h.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/event.h"
#include "output/time.h"

namespace lifetrace {

nlohmann::json to_json(const Event& e, const WallClock& clock);

// One NDJSON line (no newline): to_json, with invalid UTF-8 replaced rather
// than thrown on (module names and parameters are kernel bytes).
std::string json_line(const Event& e, const WallClock& clock);

// Rebuilds an Event from the object to_json(e, clock) made. Times come back
// as realtime: the result's mono_ns is the wall-clock time in ns, so format
// it with WallClock(0). Returns nullopt (and sets *error) for an object that
// is not an event.
std::optional<Event> event_from_json(const nlohmann::json& j, std::string* error = nullptr);

}  // namespace lifetrace
