// Lines a follow client reads from the daemon's socket (or from whatever
// listens there): parsing never crashes, and an event that parses comes back
// from its own JSON unchanged. The same bytes as a request line a client sends
// the daemon (group members are untrusted): parsed without a crash, and a
// request that parses is one the daemon writes the same way.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "fuzz_check.h"
#include "output/event_json.h"
#include "output/follow_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lifetrace;
  const std::string line(reinterpret_cast<const char*>(data), size);
  const auto msg = follow_protocol::parse_line(line);
  if (const auto* e = std::get_if<Event>(&msg)) {
    const auto j = to_json(*e, WallClock(0));
    const auto again = event_from_json(j);
    if (!again) fuzz::fail("an event does not parse from its own JSON", j.dump());
    if (to_json(*again, WallClock(0)) != j)
      fuzz::fail("an event changes on a round trip", j.dump());
  }
  std::string why;
  if (const auto req = follow_protocol::parse_request(line, &why)) {
    const std::string canonical = follow_protocol::request_line(*req);
    if (follow_protocol::parse_request(canonical, nullptr) != req)
      fuzz::fail("a request does not parse from its own line", canonical);
  } else if (why.empty()) {
    fuzz::fail("a refused request without a reason", line);
  }
  return 0;
}
