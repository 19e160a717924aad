// Rendering events for people (one line each) and machines (NDJSON).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "event.h"

namespace lifetrace {

// Maps the kernel's CLOCK_MONOTONIC timestamps to wall-clock time.
class WallClock {
 public:
  // Samples CLOCK_REALTIME and CLOCK_MONOTONIC now.
  static WallClock now();
  explicit WallClock(std::int64_t realtime_minus_monotonic_ns) : offset_(realtime_minus_monotonic_ns) {}
  std::int64_t to_realtime_ns(std::uint64_t mono_ns) const {
    return static_cast<std::int64_t>(mono_ns) + offset_;
  }

 private:
  std::int64_t offset_;
};

// "2026-11-22T15:04:05.123456789Z"
std::string rfc3339_ns(std::int64_t realtime_ns);

// "1.234 ms", "17 us", "2.5 s": a duration for people.
std::string human_duration(std::uint64_t ns);

// "12.3 KiB"
std::string human_bytes(std::uint64_t bytes);

nlohmann::json to_json(const Event& e, const WallClock& clock);

// One NDJSON line (no newline): to_json, with invalid UTF-8 replaced rather
// than thrown on (module names and parameters are kernel bytes).
std::string json_line(const Event& e, const WallClock& clock);

// One line, columns: time, event, module, language, pid/comm, details.
std::string format_line(const Event& e, const WallClock& clock, bool utc = false);

}  // namespace lifetrace
