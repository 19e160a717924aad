#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <tuple>

#include "core/correlator.h"
#include "core/records.h"

using namespace lifetrace;
using namespace lifetrace::test;

namespace {

struct Run {
  Correlator c;
  std::vector<Event> events;
  void feed(const Record& r) {
    for (auto& e : c.feed(r)) events.push_back(std::move(e));
  }
  std::vector<std::string> kinds(const std::string& module = "") const {
    std::vector<std::string> out;
    for (const auto& e : events)
      if (module.empty() || e.module == module) out.emplace_back(to_string(e.kind));
    return out;
  }
  const Event& last(EventKind k, const std::string& module) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it)
      if (it->kind == k && it->module == module) return *it;
    FAIL("no " << to_string(k) << " event for " << module);
    throw std::logic_error("unreachable");
  }
};

constexpr lt_u64 kMs = 1'000'000;
constexpr lt_u64 kDummy = 0xffffffffc0100000ULL;
constexpr lt_u64 kSlow = 0xffffffffc0200000ULL;

}  // namespace

TEST_CASE("a successful load: load_start, init_start, init_done, live", "[correlator]") {
  Run r;
  r.feed(load_enter(1 * kMs, 100, "dummy.ko", "numdummies=1"));
  r.feed(mod_init(2 * kMs, 100, kDummy, "dummy", 1ULL << 12));
  r.feed(initcall(3 * kMs, 100, kDummy, false));
  r.feed(initcall(5 * kMs, 100, kDummy, true, 0));
  r.feed(init_done(6 * kMs, 100, kDummy, 0));
  r.feed(load_exit(7 * kMs, 100, 0));

  CHECK(r.kinds() == std::vector<std::string>{"load_start", "init_start", "init_done", "live"});
  CHECK(r.events[0].module == "dummy");
  CHECK(r.events[0].params == "numdummies=1");
  CHECK(r.events[1].taints == "O");
  CHECK(r.events[1].size_bytes == 5120u);
  CHECK(r.events[1].sig_ok == false);
  const Event& done = r.last(EventKind::init_done, "dummy");
  CHECK(done.init_ns == 2 * kMs);  // initcall only, not do_init_module
  CHECK(done.ret == 0);
  CHECK(r.last(EventKind::live, "dummy").load_ns == 5 * kMs);
  CHECK(r.last(EventKind::live, "dummy").init_ns == 2 * kMs);  // blame splits the load by it
  CHECK(r.c.inflight() == 1);                                  // the live module stays known
}

TEST_CASE("failures at each stage carry the right stage and errno", "[correlator]") {
  SECTION("before init: duplicate load") {
    Run r;
    r.feed(load_enter(1 * kMs, 7, "dummy.ko"));
    r.feed(load_exit(2 * kMs, 7, -17));
    REQUIRE(r.kinds() == std::vector<std::string>{"load_start", "load_failed"});
    const Event& f = r.events[1];
    CHECK(f.module == "dummy");
    CHECK(f.stage == Stage::before_init);
    CHECK(f.ret == -17);
    CHECK_FALSE(f.init_ns.has_value());  // no init ran
    CHECK(errno_name(*f.ret) == "EEXIST");
    CHECK(f.load_ns == 1 * kMs);
  }
  SECTION("in init: init returns -ENODEV, module freed") {
    Run r;
    r.feed(load_enter(1 * kMs, 8, "lt_enodev.ko"));
    r.feed(symbols(8, kSlow, {{'t', false, "lt_enodev_init"}}));
    r.feed(mod_init(2 * kMs, 8, kSlow, "lt_enodev"));
    r.feed(initcall(3 * kMs, 8, kSlow, false));
    r.feed(initcall(4 * kMs, 8, kSlow, true, -19));
    // The kernel frees the module inside do_init_module, before it returns.
    r.feed(mod_free(5 * kMs, 8, kSlow, "lt_enodev"));
    r.feed(init_done(6 * kMs, 8, kSlow, -19));
    r.feed(load_exit(7 * kMs, 8, -19));
    CHECK(r.kinds() == std::vector<std::string>{"load_start", "init_start", "init_done",
                                                "load_failed", "freed"});
    const Event& f = r.last(EventKind::load_failed, "lt_enodev");
    CHECK(f.stage == Stage::init);
    CHECK(f.init_ns == 1 * kMs);
    CHECK(errno_name(*f.ret) == "ENODEV");
    CHECK(f.language == classify::Language::c);
    CHECK(r.last(EventKind::init_done, "lt_enodev").ret == -19);
    CHECK(r.last(EventKind::freed, "lt_enodev").lifetime_ns == 4 * kMs);
    CHECK(r.c.inflight() == 0);
  }
  SECTION("in init, freed, and do_init_module's exit probe missing: the syscall flushes") {
    Run r;
    r.feed(load_enter(1 * kMs, 8, "lt_enodev.ko"));
    r.feed(mod_init(2 * kMs, 8, kSlow, "lt_enodev"));
    r.feed(mod_free(5 * kMs, 8, kSlow, "lt_enodev"));
    r.feed(load_exit(7 * kMs, 8, -19));
    CHECK(r.kinds() ==
          std::vector<std::string>{"load_start", "init_start", "load_failed", "freed"});
    CHECK(r.c.inflight() == 0);
  }
  SECTION("in init, when do_init_module's exit probe is missing: the syscall tells") {
    Run r;
    r.feed(load_enter(1 * kMs, 9, "kvm-intel.ko"));
    r.feed(mod_init(2 * kMs, 9, kSlow, "kvm_intel"));
    r.feed(load_exit(3 * kMs, 9, -95));
    const Event& f = r.last(EventKind::load_failed, "kvm_intel");
    CHECK(f.stage == Stage::init);
    CHECK(errno_name(*f.ret) == "EOPNOTSUPP");
  }
  SECTION("unknown symbol: ENOENT before init, name from the file") {
    Run r;
    r.feed(load_enter(1 * kMs, 10, "kvm-intel.ko.xz"));
    r.feed(load_exit(2 * kMs, 10, -2));
    CHECK(r.last(EventKind::load_failed, "kvm_intel").stage == Stage::before_init);
  }
}

TEST_CASE("interleaved parallel loads are kept apart by thread and address", "[correlator]") {
  Run r;
  r.feed(load_enter(1 * kMs, 100, "dummy.ko"));
  r.feed(load_enter(2 * kMs, 200, "lt_slow.ko", "delay_ms=200"));
  r.feed(mod_init(3 * kMs, 200, kSlow, "lt_slow"));
  r.feed(mod_init(4 * kMs, 100, kDummy, "dummy"));
  r.feed(initcall(5 * kMs, 200, kSlow, false));
  r.feed(initcall(6 * kMs, 100, kDummy, false));
  r.feed(initcall(7 * kMs, 100, kDummy, true, 0));
  r.feed(init_done(8 * kMs, 100, kDummy, 0));
  r.feed(initcall(205 * kMs, 200, kSlow, true, 0));
  r.feed(init_done(206 * kMs, 200, kSlow, 0));
  r.feed(load_exit(9 * kMs, 100, 0));
  r.feed(load_exit(207 * kMs, 200, 0));

  CHECK(r.kinds("dummy") ==
        std::vector<std::string>{"load_start", "init_start", "init_done", "live"});
  CHECK(r.kinds("lt_slow") ==
        std::vector<std::string>{"load_start", "init_start", "init_done", "live"});
  CHECK(r.last(EventKind::init_done, "lt_slow").init_ns == 200 * kMs);
  CHECK(r.last(EventKind::init_done, "dummy").init_ns == 1 * kMs);
  CHECK(r.last(EventKind::live, "lt_slow").load_ns == 204 * kMs);
}

TEST_CASE("unload: unload_start, freed, unload_done with durations", "[correlator]") {
  Run r;
  r.feed(load_enter(1 * kMs, 100, "dummy.ko"));
  r.feed(mod_init(2 * kMs, 100, kDummy, "dummy"));
  r.feed(init_done(3 * kMs, 100, kDummy, 0));
  r.feed(load_exit(4 * kMs, 100, 0));
  r.feed(unload_enter(1000 * kMs, 300, "dummy", 0x800 /* O_NONBLOCK */));
  r.feed(mod_free(1003 * kMs, 300, kDummy, "dummy"));
  r.feed(unload_exit(1004 * kMs, 300, 0));

  CHECK(r.kinds() == std::vector<std::string>{"load_start", "init_start", "live", "unload_start",
                                              "freed", "unload_done"});
  CHECK(r.last(EventKind::unload_start, "dummy").forced == false);
  CHECK(r.last(EventKind::freed, "dummy").lifetime_ns == 1002 * kMs);
  CHECK(r.last(EventKind::unload_done, "dummy").exit_ns == 3 * kMs);
  CHECK(r.last(EventKind::unload_done, "dummy").ret == 0);
  CHECK(r.c.inflight() == 0);
}

TEST_CASE("modules loaded before lifetrace started keep their language", "[correlator]") {
  Run r;
  r.c.add_known_module("qt2025", classify::Language::rust);
  r.feed(unload_enter(1 * kMs, 5, "qt2025"));
  r.feed(mod_free(2 * kMs, 5, 0xffffffffc0900000ULL, "qt2025"));
  r.feed(unload_exit(3 * kMs, 5, 0));
  for (const auto& e : r.events) {
    CAPTURE(to_string(e.kind));
    CHECK(e.module == "qt2025");
    CHECK(e.language == classify::Language::rust);
  }
  CHECK_FALSE(r.last(EventKind::freed, "qt2025").lifetime_ns.has_value());
}

TEST_CASE("a failed unload reports its errno and frees nothing", "[correlator]") {
  Run r;
  r.feed(unload_enter(1 * kMs, 5, "kvm"));
  r.feed(unload_exit(2 * kMs, 5, -11));
  CHECK(r.kinds() == std::vector<std::string>{"unload_start", "unload_done"});
  CHECK(errno_name(*r.events[1].ret) == "EAGAIN");
  CHECK_FALSE(r.events[1].exit_ns.has_value());
}

TEST_CASE("records for things that started before us are not invented", "[correlator]") {
  Run r;
  r.feed(initcall(1 * kMs, 1, kDummy, true, 0));
  r.feed(init_done(2 * kMs, 1, kDummy, 0));
  r.feed(load_exit(3 * kMs, 1, 0));
  CHECK(r.events.empty());
  CHECK(r.c.stats().orphan_records == 3);
  r.feed(load_exit(4 * kMs, 2, -17));  // but a failure is still worth telling
  REQUIRE(r.events.size() == 1);
  CHECK(r.events[0].kind == EventKind::load_failed);
}

TEST_CASE("request events carry the requested name", "[correlator]") {
  Run r;
  r.feed(request(1, 50, "fs-cramfs"));
  REQUIRE(r.events.size() == 1);
  CHECK(r.events[0].kind == EventKind::request);
  CHECK(r.events[0].module == "fs-cramfs");
  CHECK(r.events[0].wait == true);
  CHECK(r.events[0].comm == "mount");
}

TEST_CASE("symbols sent before do_init_module classify the module on init_start", "[correlator]") {
  using E = SymbolEntry;
  auto lang = GENERATE(table<std::string, std::vector<E>>({
      {"c",
       {{'t', false, "dummy_init_module"}, {'T', false, "init_module"}, {'U', false, "printk"}}},
      {"rust",
       {{'T', false, "init_module"}, {'t', false, "_RNvCs1HC4kC3QldC_15lt_rust_init_rs6report"}}},
      {"mixed",
       {{'t', false, "lt_mixed_init"}, {'t', false, "_RNvCshHKlkNkMfpo_11lt_mixed_rs3mix"}}},
      {"c", {{'T', false, "_RX_handler"}, {'T', false, "_Reset_counter"}}},
  }));
  CAPTURE(std::get<0>(lang));
  Run r;
  r.feed(load_enter(1, 100, "m.ko"));
  r.feed(symbols(100, kDummy, std::get<1>(lang)));
  r.feed(mod_init(2, 100, kDummy, "m"));
  r.feed(init_done(3, 100, kDummy, 0));
  const Event& start = r.last(EventKind::init_start, "m");
  REQUIRE(start.classification.has_value());
  CHECK(classify::to_string(start.language) == std::get<0>(lang));
  CHECK(classify::to_string(r.last(EventKind::live, "m").language) == std::get<0>(lang));
}

TEST_CASE("state stays bounded when closing records never arrive", "[correlator]") {
  Run r;
  for (lt_u32 tid = 1; tid <= Correlator::kMaxInflight + 100; ++tid) {
    r.feed(load_enter(tid, tid, "dummy.ko"));
  }
  CHECK(r.c.inflight() <= Correlator::kMaxInflight);
  CHECK(r.c.stats().evicted == 100);
}

TEST_CASE("init_module failures before init are named from the image", "[correlator]") {
  auto e = raw(LT_REC_LOAD_ENTER, 1, 77);
  e.load_enter.syscall = LT_SYS_INIT_MODULE;
  e.load_enter.len = 28000;
  std::strncpy(e.load_enter.name, "dummy", sizeof(e.load_enter.name) - 1);
  Run r;
  r.feed(decode(e));
  auto x = raw(LT_REC_LOAD_EXIT, 2, 77);
  x.load_exit.syscall = LT_SYS_INIT_MODULE;
  x.load_exit.ret = -17;
  r.feed(decode(x));
  CHECK(r.kinds("dummy") == std::vector<std::string>{"load_start", "load_failed"});
  CHECK(r.events[0].syscall == "init_module");
  CHECK(r.events[0].size_bytes == 28000u);
  CHECK(r.events[1].syscall == "init_module");
}

TEST_CASE("live carries the module's taints and signature state", "[correlator]") {
  Run r;
  r.feed(load_enter(1, 100, "lt_slow.ko"));
  r.feed(mod_init(2, 100, kDummy, "lt_slow", (1ULL << 12) | (1ULL << 13)));  // O, E
  r.feed(init_done(3, 100, kDummy, 0));
  const Event& live = r.last(EventKind::live, "lt_slow");
  CHECK(live.taints == "OE");
  CHECK(live.sig_ok == false);
}

TEST_CASE("a symbol table cut short is flagged in the evidence and counted", "[correlator]") {
  auto e = raw(LT_REC_MOD_INIT, 2, 100);
  e.mod_init.mod = kDummy;
  e.mod_init.nsyms = LT_MAX_SYMBOLS + 10;  // the walk stops at its limit
  e.mod_init.nsyms_sent = 3;               // and one of the three names sent was lost
  std::strncpy(e.mod_init.name, "huge", sizeof(e.mod_init.name) - 1);
  Run r;
  r.feed(load_enter(1, 100, "huge.ko"));
  r.feed(symbols(100, kDummy, {{'t', false, "huge_init"}, {'T', false, "huge_probe"}}));
  r.feed(decode(e));
  const Event& start = r.last(EventKind::init_start, "huge");
  REQUIRE(start.classification);
  CHECK(start.classification->evidence.symbols_unread == 11);
  CHECK_THAT(start.classification->evidence.note,
             Catch::Contains("10 over the walk's limit, 1 lost"));
  CHECK(r.c.stats().partial_symbol_tables == 1);
}

TEST_CASE("an unreadable symbol table gives unknown with the reason, never a guess",
          "[correlator]") {
  auto e = raw(LT_REC_MOD_INIT, 2, 100);
  e.h.flags = LT_F_NO_KALLSYMS;
  e.mod_init.mod = kDummy;
  std::strncpy(e.mod_init.name, "blind", sizeof(e.mod_init.name) - 1);
  Run r;
  r.feed(load_enter(1, 100, "blind.ko"));
  r.feed(decode(e));
  const Event& start = r.last(EventKind::init_start, "blind");
  CHECK(start.language == classify::Language::unknown);
  REQUIRE(start.classification);
  CHECK_THAT(start.classification->evidence.note, Catch::Contains("not readable"));
}

TEST_CASE("denied attempts are their own event, with the attempts each report covers",
          "[correlator]") {
  Run r;
  r.feed(denied(1, 500, 1000, LT_SYS_INIT_MODULE, 1));
  r.feed(denied(2, 500, 1000, LT_SYS_INIT_MODULE, 250));  // 249 more in the BPF side's window
  r.feed(denied(3, 501, 1001, LT_SYS_DELETE_MODULE, 1));  // another uid, another syscall
  REQUIRE(r.events.size() == 3);
  for (const auto& e : r.events) CHECK(e.kind == EventKind::denied);
  CHECK(r.events[0].attempts == 1u);
  CHECK(r.events[1].attempts == 249u);
  CHECK(r.events[1].uid == 1000u);
  CHECK(r.events[1].syscall == "init_module");
  CHECK(r.events[1].ret == -1);
  CHECK(r.events[2].syscall == "delete_module");
  CHECK(r.events[2].attempts == 1u);
  // Nothing about a lifecycle: no load is in flight because of them.
  CHECK(r.c.inflight() == 0);
}

// ---- phases of a load (issue 12) -------------------------------------------------------------

TEST_CASE("live carries the load's phases with their coverage and the bytes read", "[correlator]") {
  Run r;
  r.feed(load_enter(1 * kMs, 100, "dummy.ko"));
  r.feed(mod_init(3 * kMs, 100, kDummy, "dummy"));
  r.feed(phases(10 * kMs, 100,
                {{LT_PH_READ, 1 * kMs},
                 {LT_PH_LOAD_MODULE, 2 * kMs},
                 {LT_PH_SIGNATURE, kMs / 2},
                 {LT_PH_INIT, 4 * kMs},
                 {LT_PH_FINALIZE, kMs / 2}},
                0, 12345, 9 * kMs));
  r.feed(init_done(11 * kMs, 100, kDummy, 0));
  r.feed(load_exit(12 * kMs, 100, 0));
  const Event& live = r.last(EventKind::live, "dummy");
  REQUIRE(live.phases);
  CHECK(*live.phases == Phases{{"read", 1 * kMs},
                               {"load_module", 2 * kMs},
                               {"signature", kMs / 2},
                               {"init", 4 * kMs},
                               {"finalize", kMs / 2}});
  REQUIRE(live.load_ns == 10 * kMs);
  CHECK(live.phase_coverage == Approx(0.8));  // 8 ms of 10
  CHECK(live.read_bytes == 12345u);
  CHECK_FALSE(live.failed_in);
  CHECK(r.kinds("dummy") == std::vector<std::string>{"load_start", "init_start", "live"});
}

TEST_CASE("load_failed names the step that failed", "[correlator]") {
  // {phases sent, failing phase, errno} -> failed_in
  using Row = std::tuple<std::vector<std::pair<lt_u8, lt_u64>>, lt_u8, int, std::string>;
  auto [sent, failed, err, want] =
      GENERATE(table<std::vector<std::pair<lt_u8, lt_u64>>, lt_u8, int, std::string>({
          Row{{{LT_PH_READ, kMs}, {LT_PH_LOAD_MODULE, kMs}, {LT_PH_PARAMS, kMs}},
              LT_PH_PARAMS,
              EINVAL,
              "params"},
          // 6.1: the duplicate check is inlined into load_module; EEXIST says which check it was.
          Row{{{LT_PH_READ, kMs}, {LT_PH_LOAD_MODULE, kMs}},
              LT_PH_LOAD_MODULE,
              EEXIST,
              "already_loaded"},
          // 6.12: module_patient_check_exists has a symbol of its own.
          Row{{{LT_PH_READ, kMs}, {LT_PH_LOAD_MODULE, kMs}, {LT_PH_DUPLICATE_CHECK, 1}},
              LT_PH_DUPLICATE_CHECK,
              EBUSY,
              "already_loading"},
          // Unknown symbol: simplify_symbols is inlined, the lookups before it are not.
          Row{{{LT_PH_READ, kMs}, {LT_PH_LOAD_MODULE, kMs}, {LT_PH_SYMBOLS, kMs}},
              LT_PH_LOAD_MODULE,
              ENOENT,
              "symbols"},
          Row{{{LT_PH_READ, kMs}, {LT_PH_LOAD_MODULE, kMs}, {LT_PH_SIGNATURE, kMs}},
              LT_PH_SIGNATURE,
              EKEYREJECTED,
              "signature"},
          Row{{{LT_PH_READ, kMs}}, LT_PH_READ, EFBIG, "read"},
          // An error nothing attributes stays unattributed.
          Row{{{LT_PH_READ, kMs}, {LT_PH_LOAD_MODULE, kMs}}, 0, ENOMEM, ""},
      }));
  CAPTURE(want, err);
  Run r;
  r.feed(load_enter(1 * kMs, 100, "dummy.ko"));
  r.feed(phases(5 * kMs, 100, sent, failed, 4096, 4 * kMs));
  r.feed(load_exit(6 * kMs, 100, -err));
  const Event& f = r.last(EventKind::load_failed, "dummy");
  CHECK(f.failed_in.value_or("") == want);
  CHECK(f.stage == Stage::before_init);
  CHECK(f.read_bytes == 4096u);  // read for nothing
  REQUIRE(f.phases);
  CHECK(f.phases->size() == sent.size());
  REQUIRE(f.phase_coverage);
  CHECK(*f.phase_coverage <= 1.0);
}

TEST_CASE("an init that fails is the failing step of load_failed(init)", "[correlator]") {
  Run r;
  r.feed(load_enter(1 * kMs, 100, "kvm-intel.ko"));
  r.feed(mod_init(2 * kMs, 100, kDummy, "kvm_intel"));
  r.feed(initcall(3 * kMs, 100, kDummy, false));
  r.feed(initcall(4 * kMs, 100, kDummy, true, -95));
  r.feed(phases(5 * kMs, 100,
                {{LT_PH_LOAD_MODULE, 1 * kMs}, {LT_PH_INIT, kMs}, {LT_PH_FINALIZE, 1}},
                LT_PH_INIT));
  r.feed(init_done(5 * kMs, 100, kDummy, -95));
  r.feed(load_exit(6 * kMs, 100, -95));
  const Event& f = r.last(EventKind::load_failed, "kvm_intel");
  CHECK(f.stage == Stage::init);
  CHECK(f.failed_in == "init");
  CHECK(r.kinds("kvm_intel") ==
        std::vector<std::string>{"load_start", "init_start", "init_done", "load_failed"});
}

TEST_CASE("init_module's image counts as read unless its copy failed", "[correlator]") {
  Run r;
  auto e = raw(LT_REC_LOAD_ENTER, 1 * kMs, 100);
  e.load_enter.syscall = LT_SYS_INIT_MODULE;
  e.load_enter.len = 777;
  std::strncpy(e.load_enter.name, "dummy", sizeof(e.load_enter.name) - 1);
  r.feed(decode(e));
  r.feed(phases(2 * kMs, 100, {{LT_PH_LOAD_MODULE, kMs}}, LT_PH_LOAD_MODULE, 0, 0,
                LT_SYS_INIT_MODULE));
  auto x = raw(LT_REC_LOAD_EXIT, 3 * kMs, 100);
  x.load_exit.syscall = LT_SYS_INIT_MODULE;
  x.load_exit.ret = -EEXIST;
  r.feed(decode(x));
  const Event& f = r.last(EventKind::load_failed, "dummy");
  CHECK(f.read_bytes == 777u);
  CHECK(f.failed_in == "already_loaded");
}

TEST_CASE("a finit_module that waited for another load of the same file is a duplicate",
          "[correlator]") {
  Run r;
  r.feed(load_enter(1 * kMs, 100, "drm.ko"));
  r.feed(load_enter(2 * kMs, 200, "drm.ko"));
  // Thread 100 loads; thread 200 waits in idempotent_init_module and gets its result (0).
  r.feed(mod_init(3 * kMs, 100, kDummy, "drm"));
  r.feed(phases(9 * kMs, 100,
                {{LT_PH_IDEMPOTENT, 1}, {LT_PH_READ, kMs}, {LT_PH_LOAD_MODULE, 5 * kMs}}));
  r.feed(init_done(9 * kMs, 100, kDummy, 0));
  r.feed(phases(9 * kMs, 200, {{LT_PH_IDEMPOTENT, 7 * kMs}}));
  r.feed(load_exit(9 * kMs, 200, 0));
  r.feed(load_exit(10 * kMs, 100, 0));
  CHECK(r.kinds("drm") ==
        std::vector<std::string>{"load_start", "load_start", "init_start", "live", "load_failed"});
  const Event& dup = r.last(EventKind::load_failed, "drm");
  CHECK(dup.tid == 200u);
  CHECK(dup.ret == 0);
  CHECK(dup.failed_in == "already_loading");
  REQUIRE(dup.phases);
  CHECK(*dup.phases == Phases{{"already_loading", 7 * kMs}});
  CHECK(r.last(EventKind::live, "drm").phases->at(0).name == "idempotent");
}

TEST_CASE("phases of a load we did not see start are counted and not invented", "[correlator]") {
  Run r;
  r.feed(phases(2 * kMs, 100, {{LT_PH_READ, kMs}}));
  CHECK(r.events.empty());
  CHECK(r.c.stats().orphan_records == 1);
}

TEST_CASE("a finit_module refused for a file not open for reading is no duplicate",
          "[correlator]") {
  Run r;
  r.feed(load_enter(1 * kMs, 100, "drm.ko"));
  auto e = raw(LT_REC_PHASES, 2 * kMs, 100);
  e.phases.syscall = LT_SYS_FINIT_MODULE;
  e.phases.order[0] = LT_PH_SYSCALL;
  e.phases.order[1] = LT_PH_IDEMPOTENT;
  e.phases.count = 2;
  e.phases.failed = LT_PH_IDEMPOTENT;
  e.phases.failed_ret = -EBADF;
  r.feed(decode(e));
  r.feed(load_exit(3 * kMs, 100, -EBADF));
  const Event& f = r.last(EventKind::load_failed, "drm");
  CHECK(f.failed_in == "idempotent");
  CHECK(f.phases->at(1).name == "idempotent");
}
