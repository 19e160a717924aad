// How lifetrace words lost records and program runs the kernel skipped (issue 9).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "output/report.h"

using namespace lifetrace;

TEST_CASE("records lost in the ring buffer are reported once, with a HINT", "[report]") {
  LostCounters now{}, reported{};
  now[LT_LOST_RINGBUF_FULL] = 3;
  auto lines = describe_lost(now, reported);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] ==
        "3 records lost (ringbuf_full), 3 in all; HINT: a larger --ringbuf-size keeps up with "
        "bursts");
  CHECK(describe_lost(now, reported).empty());
}

TEST_CASE("skipped program runs are lost events, by probe and cause", "[report]") {
  std::vector<ProgramMisses> now = {
      {"do_init_module_enter", "do_init_module_fentry", MissCause::recursion, 3},
      {"free_module", "free_module_fentry", MissCause::recursion, 0},
      {"do_one_initcall_exit", "do_one_initcall_kretprobe", MissCause::kprobe_missed, 1},
  };
  ReportedMisses reported;
  auto lines = describe_misses(now, reported);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].rfind(
            "3 events lost (program_skipped) at probe do_init_module_enter: the kernel skipped 3 "
            "runs of do_init_module_fentry (recursion), 3 in all; HINT: the kernel does not run a "
            "BPF program on a CPU where it",
            0) == 0);
  CHECK(lines[1].rfind(
            "1 event lost (program_skipped) at probe do_one_initcall_exit: the kernel skipped 1 "
            "run of do_one_initcall_kretprobe (kprobe_missed), 1 in all; HINT: ",
            0) == 0);
  CHECK(lines[1].find("--attach=fentry") != std::string::npos);

  SECTION("only what grew is reported again, with the running total") {
    CHECK(describe_misses(now, reported).empty());
    now[0].count = 5;
    lines = describe_misses(now, reported);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].rfind("2 events lost (program_skipped) at probe do_init_module_enter: the "
                         "kernel skipped 2 runs of do_init_module_fentry (recursion), 5 in all;",
                         0) == 0);
  }
  SECTION("one line, no newline: a journal entry each") {
    for (const auto& l : lines) CHECK(l.find('\n') == std::string::npos);
  }
}

TEST_CASE("the exit summary says how many programs the kernel counts skips for", "[report]") {
  const std::vector<ProgramMisses> now = {
      {"do_init_module_enter", "do_init_module_kprobe", MissCause::recursion, 2},
      {"do_init_module_enter", "do_init_module_kprobe", MissCause::kprobe_missed, 1},
      {"free_module", "free_module_fentry", MissCause::recursion, 0},
  };
  CHECK(misses_summary(now) ==
        "runs the kernel skipped: 3 in all (counted for 2 programs: recursion 2, kprobe_missed 1)");
  CHECK(misses_summary({}) ==
        "runs the kernel skipped: 0 in all (counted for 0 programs: recursion 0, kprobe_missed 0)");
}
