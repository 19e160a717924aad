// Events for people: one line each, and the units they are shown in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/event.h"
#include "output/time.h"

namespace lifetrace {

// "1.234 ms", "17 us", "2.5 s": a duration for people.
std::string human_duration(std::uint64_t ns);

// "12.3 KiB"
std::string human_bytes(std::uint64_t bytes);

// "phases=init:62%,load_module:20%,read:9% covered=94%": the three biggest phases of a load
// with their share of load_ns, and the share all phases cover (docs/phases.md).
std::string phases_summary(const Phases& phases, std::optional<std::uint64_t> load_ns,
                           std::optional<double> coverage);

// One line, columns: time, event, module, language, pid/comm, details.
std::string format_line(const Event& e, const WallClock& clock, bool utc = false);

}  // namespace lifetrace
