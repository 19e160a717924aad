#include "output/time.h"

#include <array>
#include <cstdio>
#include <ctime>

namespace lifetrace {

WallClock WallClock::now() {
  timespec rt{}, mono{};
  clock_gettime(CLOCK_REALTIME, &rt);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  const auto ns = [](const timespec& t) {
    return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
  };
  return WallClock(ns(rt) - ns(mono));
}

SplitTime split_ns(std::int64_t realtime_ns) {
  SplitTime t{static_cast<std::time_t>(realtime_ns / 1'000'000'000),
              static_cast<long>(realtime_ns % 1'000'000'000)};
  if (t.nanos < 0) {
    t.nanos += 1'000'000'000;
    --t.secs;
  }
  return t;
}

std::string rfc3339_ns(std::int64_t realtime_ns) {
  const auto [secs, nanos] = split_ns(realtime_ns);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 64> buf{};
  const std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf.data() + n, buf.size() - n, ".%09ldZ", nanos);
  return buf.data();
}

std::optional<std::int64_t> parse_rfc3339_ns(const std::string& s) {
  // YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ
  std::tm tm{};
  int year = 0, mon = 0, day = 0, h = 0, m = 0, sec = 0;
  char frac[16] = {};
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%9[0-9]Z", &year, &mon, &day, &h, &m, &sec,
                  frac) != 7) {
    return std::nullopt;
  }
  // Inside what ns since the epoch can hold (1970..2262), and a real clock reading.
  if (year < 1970 || year > 2261 || mon < 1 || mon > 12 || day < 1 || day > 31 || h < 0 || h > 23 ||
      m < 0 || m > 59 || sec < 0 || sec > 60) {
    return std::nullopt;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  const std::time_t t = timegm(&tm);
  std::string f(frac);
  f.resize(9, '0');
  return static_cast<std::int64_t>(t) * 1'000'000'000 + std::stoll(f);
}

}  // namespace lifetrace
