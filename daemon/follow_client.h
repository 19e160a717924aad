// `lifetrace --follow` as a client of a running daemon's follow socket (see
// follow_server.h for the protocol). The client applies --json, --module,
// --event and --utc itself, so its output is the same as standalone mode's.
#pragma once

#include <cstdio>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "cli.h"
#include "event.h"
#include "format.h"

namespace lifetrace {

// Rebuilds an Event from the object to_json(e, clock) made. Times come back
// as realtime: the result's mono_ns is the wall-clock time in ns, so format
// it with WallClock(0). Returns nullopt (and sets *error) for an object that
// is not an event.
std::optional<Event> event_from_json(const nlohmann::json& j, std::string* error = nullptr);

// Parses "2026-11-22T15:04:05.123456789Z" (rfc3339_ns's output) to ns since the epoch.
std::optional<std::int64_t> parse_rfc3339_ns(const std::string& s);

// Turns the daemon's lines into the user's output, one line at a time.
class FollowClientPrinter {
 public:
  FollowClientPrinter(const Options& o, std::FILE* out, std::FILE* err)
      : json_(o.json), utc_(o.utc), filter_(o.module_globs, o.events), out_(out), err_(err) {}
  enum class Status { ok, stopping, bad };
  Status on_line(const std::string& line);
  std::uint64_t printed() const { return printed_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  bool json_, utc_;
  EventFilter filter_;
  std::FILE* out_;
  std::FILE* err_;
  std::uint64_t printed_ = 0;
  std::uint64_t dropped_ = 0;
};

// Follows through the daemon at o.follow_socket. nullopt: no daemon listens
// there (run standalone); otherwise the process exit code.
std::optional<int> follow_via_daemon(const Options& o);

}  // namespace lifetrace
