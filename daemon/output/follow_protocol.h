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
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "core/event.h"

namespace lifetrace::follow_protocol {

inline constexpr int kVersion = 1;

// The lines the daemon sends, without the trailing newline.
std::string hello_line(const std::string& version, const std::string& status);
std::string dropped_line(std::uint64_t n);
std::string stopping_line();
std::string error_line(const std::string& message);

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
using Message = std::variant<Hello, Dropped, Stopping, Error, Event, Unknown, Malformed>;

// Parses one line (without '\n') the daemon sent. An Event's times come
// back as realtime (see event_from_json).
Message parse_line(const std::string& line);

}  // namespace lifetrace::follow_protocol
