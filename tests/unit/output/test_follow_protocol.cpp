// The follow socket's lines, written by one end and read by the other.
#include <catch2/catch.hpp>

#include <string>
#include <type_traits>

#include "output/event_json.h"
#include "output/follow_protocol.h"

using namespace lifetrace;
namespace proto = lifetrace::follow_protocol;

TEST_CASE("every control line the daemon writes is read back as itself", "[protocol]") {
  auto hello = proto::parse_line(proto::hello_line("0.1.0", "12 of 12 probes attached"));
  REQUIRE(std::holds_alternative<proto::Hello>(hello));
  CHECK(std::get<proto::Hello>(hello).protocol == proto::kVersion);
  CHECK(std::get<proto::Hello>(hello).version == "0.1.0");
  CHECK(std::get<proto::Hello>(hello).status == "12 of 12 probes attached");

  auto dropped = proto::parse_line(proto::dropped_line(42));
  REQUIRE(std::holds_alternative<proto::Dropped>(dropped));
  CHECK(std::get<proto::Dropped>(dropped).count == 42);

  CHECK(std::holds_alternative<proto::Stopping>(proto::parse_line(proto::stopping_line())));

  auto error = proto::parse_line(proto::error_line("too many follow clients"));
  REQUIRE(std::holds_alternative<proto::Error>(error));
  CHECK(std::get<proto::Error>(error).message == "too many follow clients");

  for (const std::string& line : {proto::hello_line("v", "s"), proto::dropped_line(1),
                                  proto::stopping_line(), proto::error_line("e")}) {
    CAPTURE(line);
    CHECK(line.find('\n') == std::string::npos);
  }
}

TEST_CASE("an event line is the --json line, and comes back as the event", "[protocol]") {
  Event e;
  e.kind = EventKind::load_failed;
  e.module = "kvm_intel";
  e.ret = -95;
  e.stage = Stage::init;
  const auto msg = proto::parse_line(json_line(e, WallClock(0)));
  REQUIRE(std::holds_alternative<Event>(msg));
  CHECK(std::get<Event>(msg).module == "kvm_intel");
  CHECK(std::get<Event>(msg).stage == Stage::init);
  CHECK(std::get<Event>(msg).ret == -95);
}

TEST_CASE("lines from elsewhere are unknown or malformed, never a crash", "[protocol]") {
  auto [line, malformed] = GENERATE(table<std::string, bool>({
      {"", true},
      {"not json", true},
      {"[1,2,3]", true},
      {"\"a string\"", true},
      {"{\"lifetrace_follow\":\"x\"}", false},
      {"{\"lifetrace_dropped\":-1}", false},
      {"{\"event\":\"nope\",\"time\":\"1970-01-01T00:00:00.000000000Z\"}", false},
      {"{\"event\":\"live\",\"time\":\"1970-01-01T00:00:00.000000000Z\",\"stage\":\"later\"}",
       false},
      {"{\"event\":\"live\",\"time\":\"1970-01-01T00:00:00.000000000Z\",\"ret\":\"x\"}", false},
      {"{\"something\":\"new\"}", false},
      // Found by fuzz_follow_protocol: numbers JSON holds as floats or out of range were cast
      // (undefined behaviour); now they make the line unknown.
      {"{\"event\":\"live\",\"time\":\"2026-01-01T00:00:00.000000000Z\",\"ret\":-9.5e22}", false},
      {"{\"event\":\"live\",\"time\":\"2026-01-01T00:00:00.000000000Z\",\"pid\":-1}", false},
      {"{\"event\":\"live\",\"time\":\"2026-01-01T00:00:00.000000000Z\",\"flags\":1e40}", false},
      // And in the history frame's counts (fuzz_follow_protocol again, 2026-12-07).
      {"{\"lifetrace_history\":{\"loads\":1,\"max_loads\":2048777777777777777777777777777}}",
       false},
      {"{\"lifetrace_history\":{\"loads\":-1}}", false},
      {"{\"lifetrace_history\":{\"not_kept\":2.5}}", false},
      {"{\"lifetrace_follow\":4294967297}", false},
  }));
  CAPTURE(line);
  const auto msg = proto::parse_line(line);
  if (malformed) {
    CHECK(std::holds_alternative<proto::Malformed>(msg));
  } else {
    CHECK(std::holds_alternative<proto::Unknown>(msg));
  }
}

TEST_CASE("times outside 1970..2261 do not parse", "[protocol]") {
  // Found by tests/fuzz/fuzz_follow_protocol (tests/fuzz/regressions/follow_protocol):
  // a year like -999 overflowed the ns arithmetic (undefined behaviour).
  auto [text, ok] = GENERATE(table<std::string, bool>({
      {"2026-11-18T11:06:40.123456789Z", true},
      {"1970-01-01T00:00:00.000000000Z", true},
      {"1013-12-03T10:00:00.000000000Z", false},
      {"-999-12-03T10:00:00.000000000Z", false},
      {"2262-04-12T00:00:00.000000000Z", false},
      {"2026-13-01T00:00:00.000000000Z", false},
      {"2026-01-01T24:00:00.000000000Z", false},
  }));
  CAPTURE(text);
  CHECK(parse_rfc3339_ns(text).has_value() == ok);
}
