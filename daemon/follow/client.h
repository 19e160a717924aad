// `lifetrace --follow` as a client of a running daemon's follow socket (the
// protocol is output/follow_protocol.h). The client applies --json,
// --module, --event and --utc itself, so its output is the same as
// standalone mode's.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <variant>

#include "app/cli.h"
#include "core/filter.h"
#include "core/problem.h"
#include "util/fd.h"

namespace lifetrace {

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

// Connects to the daemon's socket at `path`: monostate when no daemon is
// there (nothing listens, or root could trace standalone), the connection, or
// why connecting to a daemon that is there failed.
std::variant<std::monostate, util::Fd, Problem> connect_daemon(const std::string& path);

// Follows through the daemon at o.follow_socket. nullopt: no daemon listens
// there (run standalone); otherwise the process exit code.
std::optional<int> follow_via_daemon(const Options& o);

}  // namespace lifetrace
