// The start-up cost breakdown -v prints: each program's share of the load call, from the
// kernel's per-program load stamps.
#include <catch2/catch.hpp>

#include "kernel/tracer.h"

namespace lifetrace {
namespace {

ProgramLoadCost prog(const char* name, std::uint64_t at, std::uint32_t insns = 0) {
  ProgramLoadCost c;
  c.program = name;
  c.load_time_ns = at;
  c.verified_insns = insns;
  return c;
}

TEST_CASE("each program's load lasts until the next one's begins, the last until the end") {
  // Given out of order, as libbpf's program order need not be the load order.
  const auto costs = program_load_costs(
      {prog("b", 3'000'000, 40), prog("a", 1'000'000, 10), prog("c", 10'000'000, 7)}, 12'000'000);
  REQUIRE(costs.size() == 3);
  CHECK(costs[0].program == "a");
  CHECK(costs[0].duration_ns == 2'000'000);
  CHECK(costs[1].program == "b");
  CHECK(costs[1].duration_ns == 7'000'000);
  CHECK(costs[2].program == "c");
  CHECK(costs[2].duration_ns == 2'000'000);
}

TEST_CASE("a missing stamp or an end before the last start gives no duration, not a wrap") {
  const auto costs = program_load_costs({prog("a", 0), prog("b", 5'000'000)}, 4'000'000);
  REQUIRE(costs.size() == 2);
  CHECK(costs[0].duration_ns == 0);  // no stamp of its own
  CHECK(costs[1].duration_ns == 0);  // the end is before its start
}

TEST_CASE("the -v line lists the programs slowest first with share and verified insns") {
  const auto costs = program_load_costs(
      {prog("small", 1'000'000, 12), prog("big", 2'000'000, 5000), prog("old", 8'000'000)},
      10'000'000);
  const auto line = format_load_costs(costs, 12'000'000);
  CHECK(line ==
        "load: the kernel loaded 3 programs in 9 ms of the load call's 12 ms: big 6 ms (66%, "
        "5000 insns), old 2 ms (22%), small 1 ms (11%, 12 insns)");
}

TEST_CASE("without any duration the line still names the programs") {
  const auto line = format_load_costs(program_load_costs({prog("a", 0, 3)}, 0), 0);
  CHECK(line ==
        "load: the kernel loaded 1 programs in 0 ms of the load call's 0 ms: a 0 ms (3 insns)");
}

}  // namespace
}  // namespace lifetrace
