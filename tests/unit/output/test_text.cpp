#include <catch2/catch.hpp>
#include <cstdint>

#include "output/event_json.h"
#include "output/text.h"

using namespace lifetrace;

TEST_CASE("RFC 3339 with nanoseconds, in UTC", "[format]") {
  CHECK(rfc3339_ns(0) == "1970-01-01T00:00:00.000000000Z");
  CHECK(rfc3339_ns(1'795'000'000'123'456'789LL) == "2026-11-18T11:06:40.123456789Z");
  CHECK(rfc3339_ns(-1) == "1969-12-31T23:59:59.999999999Z");
}

TEST_CASE("errno names and taint letters", "[format]") {
  auto [ret, name] = GENERATE(table<long, std::string>({{-17, "EEXIST"},
                                                        {-22, "EINVAL"},
                                                        {-2, "ENOENT"},
                                                        {-19, "ENODEV"},
                                                        {-95, "EOPNOTSUPP"},
                                                        {-1, "EPERM"},
                                                        {-61, "ENODATA"},
                                                        {-100000, "E100000"},
                                                        // fuzz_record: -INT64_MIN overflowed
                                                        {INT64_MIN, "E9223372036854775808"},
                                                        {-5'000'000'000, "E5000000000"}}));
  CAPTURE(ret);
  CHECK(errno_name(ret) == name);
  CHECK(module_taint_letters(0) == "");
  CHECK(module_taint_letters((1ULL << 12) | (1ULL << 13)) == "OE");
  CHECK(module_taint_letters(1ULL) == "P");
  // The kernel's order (kernel/panic.c taint_flags[]), as /proc/modules prints them.
  CHECK(module_taint_letters((1ULL << 13) | (1ULL << 12) | (1ULL << 10) | (1ULL << 1)) == "FCOE");
  CHECK(module_taint_letters((1ULL << 17) | (1ULL << 18) | (1ULL << 19)) == "TNJ");
}

TEST_CASE("module names from file names, as modprobe spells them", "[format]") {
  CHECK(module_name_from_file("/lib/modules/x/kvm-intel.ko.xz") == "kvm_intel");
  CHECK(module_name_from_file("dummy.ko") == "dummy");
  CHECK(module_name_from_file("qt2025.ko.zst") == "qt2025");
  CHECK(module_name_from_file("memfd:x") == "");
  CHECK(module_name_from_file(".ko") == "");
}

TEST_CASE("JSON carries the documented field names", "[format][json]") {
  Event e;
  e.kind = EventKind::load_failed;
  e.mono_ns = 5;
  e.module = "dummy";
  e.pid = 42;
  e.comm = "insmod";
  e.uid = 0;
  e.ret = -17;
  e.stage = Stage::before_init;
  e.load_ns = 1234;
  e.params = "numdummies=1";
  auto j = to_json(e, WallClock(1'000'000'000));
  CHECK(j["time"] == "1970-01-01T00:00:01.000000005Z");
  CHECK(j["event"] == "load_failed");
  CHECK(j["module"] == "dummy");
  CHECK(j["pid"] == 42);
  CHECK(j["comm"] == "insmod");
  CHECK(j["uid"] == 0);
  CHECK(j["ret"] == -17);
  CHECK(j["errno"] == "EEXIST");
  CHECK(j["stage"] == "before_init");
  CHECK(j["load_ns"] == 1234);
  CHECK(j["language"] == "unknown");
  CHECK(j["params"] == "numdummies=1");
  CHECK_FALSE(j.contains("init_ns"));
  CHECK_FALSE(j.contains("exit_ns"));
}

TEST_CASE("JSON survives bytes that are not UTF-8", "[format][json]") {
  Event e;
  e.module = "bad\xff";
  e.params = std::string("x=\xc3", 3);
  const std::string s =
      to_json(e, WallClock(0)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  CHECK(s.find("bad") != std::string::npos);
}

TEST_CASE("one readable line per event", "[format]") {
  Event e;
  e.kind = EventKind::init_done;
  e.mono_ns = 0;
  e.module = "lt_slow";
  e.language = classify::Language::c;
  e.pid = 7;
  e.comm = "insmod";
  e.ret = 0;
  e.init_ns = 200'345'000;
  const std::string line = format_line(e, WallClock(0), true);
  CHECK_THAT(line, Catch::StartsWith("00:00:00.000000 init_done    lt_slow"));
  CHECK_THAT(line, Catch::Contains(" c "));
  CHECK_THAT(line, Catch::Contains("7/insmod"));
  CHECK_THAT(line, Catch::Contains("ret=0"));
  CHECK_THAT(line, Catch::Contains("init=200.345 ms"));

  e.kind = EventKind::load_failed;
  e.ret = -17;
  e.stage = Stage::before_init;
  CHECK_THAT(format_line(e, WallClock(0), true),
             Catch::Contains("ret=-17 (EEXIST) stage=before_init"));
}

TEST_CASE("a denied attempt says who, which call and how many", "[format]") {
  Event e;
  e.kind = EventKind::denied;
  e.pid = 4242;
  e.uid = 1000;
  e.comm = "flood";
  e.syscall = "init_module";
  e.ret = -1;
  e.attempts = 250;
  const std::string line = format_line(e, WallClock(0), true);
  CHECK_THAT(line, Catch::StartsWith("00:00:00.000000 denied       ?"));
  CHECK_THAT(line, Catch::Contains("4242/flood"));
  CHECK_THAT(line, Catch::Contains("ret=-1 (EPERM) syscall=init_module uid=1000 attempts=250"));
  CHECK(to_json(e, WallClock(0)).at("attempts") == 250);
}

TEST_CASE("a load the kernel asked for shows who asked and for what", "[format][chain]") {
  Event e;
  e.kind = EventKind::live;
  e.module = "af_packet";
  e.language = classify::Language::c;
  e.pid = 311;
  e.comm = "modprobe";
  e.ret = 0;
  e.load_ns = 3'000'000;
  e.request_id = 7;
  e.requested_name = "net-pf-17";
  e.requester_pid = 99;
  e.requester_comm = "ip";
  const std::string line = format_line(e, WallClock(0), true);
  CHECK_THAT(line, Catch::Contains("311/modprobe"));
  CHECK_THAT(line, Catch::EndsWith("load=3.000 ms requested by ip[99] as net-pf-17 (#7)"));
  auto j = to_json(e, WallClock(0));
  CHECK(j.at("request_id") == 7);
  CHECK(j.at("requested_name") == "net-pf-17");
  CHECK(j.at("requester_pid") == 99);
  CHECK(j.at("requester_comm") == "ip");

  Event req;
  req.kind = EventKind::request;
  req.module = "net-pf-17";
  req.pid = 99;
  req.comm = "ip";
  req.wait = true;
  req.request_id = 7;
  req.requested_name = "net-pf-17";
  req.requester_pid = 99;
  req.requester_comm = "ip";
  CHECK_THAT(format_line(req, WallClock(0), true),
             Catch::EndsWith("99/ip                wait (#7)"));

  Event plain = e;
  plain.request_id.reset();
  CHECK_THAT(format_line(plain, WallClock(0), true), !Catch::Contains("requested by"));
}

TEST_CASE("the human line shows a load's three biggest phases and the failing step", "[format]") {
  Event e;
  e.kind = EventKind::live;
  e.module = "drm";
  e.pid = 7;
  e.comm = "modprobe";
  e.ret = 0;
  e.load_ns = 100'000'000;
  e.phases = Phases{{"read", 10'000'000},
                    {"load_module", 30'000'000},
                    {"signature", 1'000'000},
                    {"init", 50'000'000},
                    {"finalize", 4'000'000}};
  e.phase_coverage = 0.95;
  e.read_bytes = 2'000'000;
  const std::string line = format_line(e, WallClock(0), true);
  CHECK_THAT(line, Catch::Contains("phases=init:50%,load_module:30%,read:10% covered=95%"));
  CHECK_THAT(line, !Catch::Contains("read=1.9 MiB"));  // read for something: not shown

  e.kind = EventKind::load_failed;
  e.ret = -17;
  e.stage = Stage::before_init;
  e.failed_in = "already_loaded";
  e.phases = Phases{{"read", 1'000'000}, {"load_module", 2'000'000}};
  e.load_ns = 4'000'000;
  e.phase_coverage = 0.75;
  const std::string failed = format_line(e, WallClock(0), true);
  CHECK_THAT(failed, Catch::Contains("stage=before_init failed_in=already_loaded"));
  CHECK_THAT(failed, Catch::Contains("phases=load_module:50%,read:25% covered=75%"));
  CHECK_THAT(failed, Catch::Contains("read=1.9 MiB"));
}
