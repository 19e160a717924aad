// Events for people: one line each, and the units they are shown in.
#pragma once

#include <cstdint>
#include <string>

#include "core/event.h"
#include "output/time.h"

namespace lifetrace {

// "1.234 ms", "17 us", "2.5 s": a duration for people.
std::string human_duration(std::uint64_t ns);

// "12.3 KiB"
std::string human_bytes(std::uint64_t bytes);

// One line, columns: time, event, module, language, pid/comm, details.
std::string format_line(const Event& e, const WallClock& clock, bool utc = false);

}  // namespace lifetrace
