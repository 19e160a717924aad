// Times as lifetrace shows them: the kernel's CLOCK_MONOTONIC stamps mapped
// to wall-clock time, and RFC 3339 with nanoseconds in both directions.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>

namespace lifetrace {

// Maps the kernel's CLOCK_MONOTONIC timestamps to wall-clock time.
class WallClock {
 public:
  // Samples CLOCK_REALTIME and CLOCK_MONOTONIC now.
  static WallClock now();
  explicit WallClock(std::int64_t realtime_minus_monotonic_ns)
      : offset_(realtime_minus_monotonic_ns) {}
  std::int64_t to_realtime_ns(std::uint64_t mono_ns) const {
    return static_cast<std::int64_t>(mono_ns) + offset_;
  }

 private:
  std::int64_t offset_;
};

// Whole seconds and the nanoseconds past them (0..999999999, also before 1970).
struct SplitTime {
  std::time_t secs;
  long nanos;
};
SplitTime split_ns(std::int64_t realtime_ns);

// "2026-11-22T15:04:05.123456789Z"
std::string rfc3339_ns(std::int64_t realtime_ns);

// The inverse of rfc3339_ns: ns since the epoch, nullopt for anything else.
std::optional<std::int64_t> parse_rfc3339_ns(const std::string& s);

}  // namespace lifetrace
