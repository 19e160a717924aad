// The follow socket's protocol, both ends in one place (the daemon writes
// these lines in service/follow_server.cpp, `lifetrace --follow` reads them
// in follow/client.cpp).
//
// One direction, NDJSON, each line ending in '\n' on the wire:
//   {"lifetrace_follow":1,"version":V,"status":S}   hello, first line
//   <event>                                          exactly what --follow --json prints
//   {"lifetrace_dropped":N}      N events were dropped for this client (it read too slowly)
//   {"lifetrace_stopping":true}  the daemon exits; nothing follows
//   {"lifetrace_error":MESSAGE}  the daemon refuses this client; it closes the connection
// Control objects are the ones whose keys start with "lifetrace_".
//
// A client may instead ask for the loads since the daemon started (what
// `lifetrace blame` and `lifetrace plot` show): it sends one request line, at
// most kMaxRequestBytes with its '\n', before reading anything,
//   {"request":"history"}
// and gets, after the hello (and possibly events broadcast before the daemon
// read the request, which it ignores):
//   {"lifetrace_history":{"loads":N,"preloaded":P,"not_kept":D,"max_loads":M,"since":T}}
//   {"lifetrace_preloaded":{"module":NAME,"language":L}}   P times: loaded before the daemon
//   <live or load_failed event>                            N times, oldest first
//   {"lifetrace_history_end":N}
// then EOF. A line that is not a request gets a lifetrace_error and EOF.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "core/event.h"

namespace lifetrace::follow_protocol {

inline constexpr int kVersion = 1;
// A request line, '\n' included, is at most this long.
inline constexpr std::size_t kMaxRequestBytes = 256;

// The lines the daemon sends, without the trailing newline.
std::string hello_line(const std::string& version, const std::string& status);
std::string dropped_line(std::uint64_t n);
std::string stopping_line();
std::string error_line(const std::string& message);

// What a client may ask for (the first and only line it sends).
enum class Request { history };
std::string request_line(Request r);
// nullopt (and *why) for a line that is not a request this daemon knows.
std::optional<Request> parse_request(const std::string& line, std::string* why);

// The history's frame: how many of each kind follow, and what was not kept.
struct HistoryStart {
  std::uint64_t loads = 0;      // event lines that follow
  std::uint64_t preloaded = 0;  // preloaded lines that follow
  std::uint64_t not_kept = 0;   // loads the daemon saw but no longer keeps (bounded history)
  std::uint64_t max_loads = 0;  // the bound
  std::string since;            // RFC 3339: when the daemon started tracing
};
// A module that was loaded when the daemon started: no timings.
struct Preloaded {
  std::string module;
  classify::Language language = classify::Language::unknown;
};
struct HistoryEnd {
  std::uint64_t loads = 0;
};
std::string history_start_line(const HistoryStart& h);
std::string preloaded_line(const Preloaded& p);
std::string history_end_line(std::uint64_t loads);

struct Hello {
  int protocol = 0;
  std::string version;
  std::string status;
};
struct Dropped {
  std::uint64_t count = 0;
};
struct Stopping {};
struct Error {
  std::string message;
};
// A JSON object the client does not understand (e.g. from a newer daemon):
// worth a warning, not the end of the session.
struct Unknown {
  std::string why;
};
// Not a JSON object at all: the peer does not speak this protocol.
struct Malformed {
  std::string why;
};
using Message = std::variant<Hello, Dropped, Stopping, Error, Event, HistoryStart, Preloaded,
                             HistoryEnd, Unknown, Malformed>;

// Parses one line (without '\n') the daemon sent. An Event's times come
// back as realtime (see event_from_json).
Message parse_line(const std::string& line);

}  // namespace lifetrace::follow_protocol
