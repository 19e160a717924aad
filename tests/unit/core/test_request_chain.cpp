// The request chain (issue 12, item 3): request_module() -> the usermode helper that execs
// modprobe -> the loads that modprobe makes. Driven through the record builders, as the BPF
// side sends them.
#include <catch2/catch.hpp>

#include "core/correlator.h"
#include "core/records.h"

using namespace lifetrace;
using namespace lifetrace::test;

namespace {

constexpr lt_u64 kMs = 1'000'000;
constexpr lt_u64 kSec = 1000 * kMs;
constexpr lt_u64 kVeth = 0xffffffffc0300000ULL;
constexpr lt_u64 kKvm = 0xffffffffc0400000ULL;
constexpr lt_u64 kKvmIntel = 0xffffffffc0500000ULL;

struct Run {
  Correlator c;
  std::vector<Event> events;
  void feed(const Record& r) {
    for (auto& e : c.feed(r)) events.push_back(std::move(e));
  }
  // A whole successful load by task `tid`, from `t` on (1 ms per step).
  void load_ok(lt_u64 t, lt_u32 tid, const char* file, lt_u64 mod, const char* name) {
    feed(load_enter(t, tid, file));
    feed(mod_init(t + 1 * kMs, tid, mod, name));
    feed(initcall(t + 2 * kMs, tid, mod, false));
    feed(initcall(t + 3 * kMs, tid, mod, true, 0));
    feed(init_done(t + 4 * kMs, tid, mod, 0));
    feed(load_exit(t + 5 * kMs, tid, 0));
  }
  std::vector<const Event*> of(const std::string& module) const {
    std::vector<const Event*> out;
    for (const auto& e : events)
      if (e.module == module && e.kind != EventKind::request) out.push_back(&e);
    return out;
  }
  const Event& request_event(std::uint64_t id) const {
    for (const auto& e : events)
      if (e.kind == EventKind::request && e.request_id == id) return e;
    FAIL("no request event #" << id);
    throw std::logic_error("unreachable");
  }
};

// Every event of `module`'s load carries request `id`, asked for `name` by `pid`/`comm`.
void check_chained(const Run& r, const std::string& module, std::uint64_t id,
                   const std::string& name, std::uint32_t pid, const std::string& comm,
                   std::size_t want_events) {
  auto evs = r.of(module);
  CAPTURE(module);
  REQUIRE(evs.size() == want_events);
  for (const Event* e : evs) {
    CAPTURE(to_string(e->kind));
    CHECK(e->request_id == id);
    CHECK(e->requested_name == name);
    CHECK(e->requester_pid == pid);
    CHECK(e->requester_comm == comm);
  }
}

bool unchained(const Event& e) {
  return !e.request_id && !e.requested_name && !e.requester_pid && !e.requester_comm;
}

}  // namespace

TEST_CASE("a request links to the load its modprobe makes", "[correlator][chain]") {
  Run r;
  r.feed(request_by(1 * kMs, 99, "ip", "rtnl-link-veth"));
  r.feed(umh_exec(2 * kMs, 200, "rtnl-link-veth"));
  r.load_ok(10 * kMs, 200, "veth.ko", kVeth, "veth");

  const Event& req = r.request_event(1);
  CHECK(req.module == "rtnl-link-veth");
  CHECK(req.requested_name == "rtnl-link-veth");
  CHECK(req.requester_pid == 99u);
  CHECK(req.requester_comm == "ip");
  CHECK(req.comm == "ip");
  // load_start, init_start, init_done, live: all of them.
  check_chained(r, "veth", 1, "rtnl-link-veth", 99, "ip", 4);
  CHECK(r.c.stats().requests_linked == 1);
  CHECK(r.c.stats().chained_loads == 1);
  CHECK(r.c.pending_requests() == 0);
  CHECK(r.c.helpers() == 1);
}

TEST_CASE("the module's later unload is not part of the request", "[correlator][chain]") {
  Run r;
  r.feed(request_by(1 * kMs, 99, "ip", "rtnl-link-veth"));
  r.feed(umh_exec(2 * kMs, 200, "rtnl-link-veth"));
  r.load_ok(10 * kMs, 200, "veth.ko", kVeth, "veth");
  const std::size_t before = r.events.size();
  r.feed(unload_enter(1 * kSec, 300, "veth"));
  r.feed(mod_free(1 * kSec + 1 * kMs, 300, kVeth, "veth"));
  r.feed(unload_exit(1 * kSec + 2 * kMs, 300, 0));
  REQUIRE(r.events.size() == before + 3);
  for (std::size_t i = before; i < r.events.size(); ++i) CHECK(unchained(r.events[i]));
}

TEST_CASE("dependencies and a failing init carry the request too", "[correlator][chain]") {
  Run r;
  r.feed(request_by(1 * kMs, 42, "qemu", "kvm-intel"));
  r.feed(umh_exec(2 * kMs, 500, "kvm-intel"));
  r.load_ok(10 * kMs, 500, "kvm.ko", kKvm, "kvm");  // modprobe loads the dependency first
  // kvm-intel's init fails (no VMX): the kernel frees it inside do_init_module.
  r.feed(load_enter(20 * kMs, 500, "kvm-intel.ko"));
  r.feed(mod_init(21 * kMs, 500, kKvmIntel, "kvm_intel"));
  r.feed(initcall(22 * kMs, 500, kKvmIntel, false));
  r.feed(initcall(23 * kMs, 500, kKvmIntel, true, -95));
  r.feed(mod_free(24 * kMs, 500, kKvmIntel, "kvm_intel"));
  r.feed(init_done(25 * kMs, 500, kKvmIntel, -95));
  r.feed(load_exit(26 * kMs, 500, -95));

  check_chained(r, "kvm", 1, "kvm-intel", 42, "qemu", 4);
  // load_start, init_start, init_done, load_failed, freed (the failed load's own)
  check_chained(r, "kvm_intel", 1, "kvm-intel", 42, "qemu", 5);
  CHECK(r.c.stats().chained_loads == 2);
}

TEST_CASE("a load that fails before init carries the request", "[correlator][chain]") {
  Run r;
  r.feed(request_by(1 * kMs, 7, "mount", "fs-minix"));
  r.feed(umh_exec(2 * kMs, 70, "fs-minix"));
  r.feed(load_enter(3 * kMs, 70, "minix.ko"));
  r.feed(load_exit(4 * kMs, 70, -17));
  check_chained(r, "minix", 1, "fs-minix", 7, "mount", 2);
}

TEST_CASE("a request whose modprobe loads nothing is still a request event",
          "[correlator][chain]") {
  Run r;
  r.feed(request_by(1 * kMs, 99, "ip", "rtnl-link-veth"));
  r.feed(umh_exec(2 * kMs, 200, "rtnl-link-veth"));  // veth is there already: no load follows
  REQUIRE(r.events.size() == 1);
  CHECK(r.events[0].kind == EventKind::request);
  CHECK(r.events[0].request_id == 1u);
  // Someone else's load afterwards is not the request's.
  r.load_ok(10 * kMs, 201, "dummy.ko", kVeth, "dummy");
  for (const Event* e : r.of("dummy")) CHECK(unchained(*e));
  CHECK(r.c.stats().chained_loads == 0);
}

TEST_CASE("requests of one name are served oldest first", "[correlator][chain]") {
  Run r;
  r.feed(request_by(1 * kMs, 10, "mount", "fs-minix"));
  r.feed(request_by(2 * kMs, 11, "mount", "fs-minix"));
  r.feed(request_by(3 * kMs, 12, "ip", "rtnl-link-veth"));
  r.feed(umh_exec(4 * kMs, 302, "rtnl-link-veth"));  // another name does not disturb the order
  r.feed(umh_exec(5 * kMs, 300, "fs-minix"));
  r.feed(umh_exec(6 * kMs, 301, "fs-minix"));
  // The second modprobe wins the race and loads; the first finds the module there.
  r.load_ok(10 * kMs, 301, "minix.ko", kVeth, "minix");
  check_chained(r, "minix", 2, "fs-minix", 11, "mount", 4);
  r.load_ok(20 * kMs, 302, "veth.ko", kKvm, "veth");
  check_chained(r, "veth", 3, "rtnl-link-veth", 12, "ip", 4);
  // Ids count the requests, in the order the kernel made them.
  CHECK(r.request_event(1).requester_pid == 10u);
  CHECK(r.request_event(2).requester_pid == 11u);
  CHECK(r.request_event(3).requester_pid == 12u);
}

TEST_CASE("a nested request names the modprobe that made it", "[correlator][chain]") {
  // crypto: the outer module's init asks for another one while its modprobe is loading it.
  Run r;
  r.feed(request_by(1 * kMs, 99, "cryptsetup", "crypto-xts"));
  r.feed(umh_exec(2 * kMs, 600, "crypto-xts"));
  r.feed(load_enter(3 * kMs, 600, "xts.ko"));
  r.feed(mod_init(4 * kMs, 600, kKvm, "xts"));
  r.feed(initcall(5 * kMs, 600, kKvm, false));
  // Inside xts's init: request_module() on modprobe 600's thread.
  r.feed(request_by(6 * kMs, 600, "modprobe", "crypto-ecb"));
  r.feed(umh_exec(7 * kMs, 601, "crypto-ecb"));
  r.load_ok(8 * kMs, 601, "ecb.ko", kKvmIntel, "ecb");
  r.feed(initcall(20 * kMs, 600, kKvm, true, 0));
  r.feed(init_done(21 * kMs, 600, kKvm, 0));
  r.feed(load_exit(22 * kMs, 600, 0));

  const Event& inner = r.request_event(2);
  CHECK(inner.requested_name == "crypto-ecb");
  CHECK(inner.requester_pid == 600u);
  CHECK(inner.requester_comm == "modprobe");
  check_chained(r, "ecb", 2, "crypto-ecb", 600, "modprobe", 4);
  check_chained(r, "xts", 1, "crypto-xts", 99, "cryptsetup", 4);
}

TEST_CASE("a request no modprobe took in time expires", "[correlator][chain]") {
  Run r;
  r.feed(request_by(1 * kMs, 99, "ip", "rtnl-link-veth"));  // e.g. helpers disabled: no exec
  r.feed(umh_exec(1 * kMs + Correlator::kRequestTtlNs + 1, 200, "rtnl-link-veth"));
  CHECK(r.c.stats().requests_expired == 1);
  CHECK(r.c.stats().unmatched_helpers == 1);
  CHECK(r.c.pending_requests() == 0);
  CHECK(r.c.helpers() == 0);
  r.load_ok(Correlator::kRequestTtlNs + 10 * kMs, 200, "veth.ko", kVeth, "veth");
  for (const Event* e : r.of("veth")) CHECK(unchained(*e));
}

TEST_CASE("a modprobe's loads are linked for a bounded time only", "[correlator][chain]") {
  Run r;
  r.feed(request_by(1 * kMs, 99, "ip", "rtnl-link-veth"));
  r.feed(umh_exec(2 * kMs, 200, "rtnl-link-veth"));
  r.load_ok(2 * kMs + Correlator::kHelperTtlNs + 1, 200, "veth.ko", kVeth, "veth");
  for (const Event* e : r.of("veth")) CHECK(unchained(*e));
  CHECK(r.c.helpers() == 0);
}

TEST_CASE("a pid that comes back for another modprobe carries the new request",
          "[correlator][chain]") {
  Run r;
  r.feed(request_by(1 * kMs, 10, "mount", "fs-minix"));
  r.feed(umh_exec(2 * kMs, 200, "fs-minix"));
  r.feed(request_by(3 * kMs, 11, "ip", "rtnl-link-veth"));
  r.feed(umh_exec(4 * kMs, 200, "rtnl-link-veth"));  // pid 200 reused
  r.load_ok(10 * kMs, 200, "veth.ko", kVeth, "veth");
  check_chained(r, "veth", 2, "rtnl-link-veth", 11, "ip", 4);
  CHECK(r.c.helpers() == 1);
}

TEST_CASE("request storms stay bounded", "[correlator][chain][storm]") {
  SECTION("many requests of one name and no modprobe") {
    Run r;
    const std::size_t n = Correlator::kMaxPendingRequests * 3;
    for (std::size_t i = 0; i < n; ++i)
      r.feed(request_by(1 * kMs + i, static_cast<lt_u32>(1000 + i), "mount", "fs-minix"));
    CHECK(r.events.size() == n);  // every request is an event
    CHECK(r.events.back().request_id == n);
    CHECK(r.c.pending_requests() == Correlator::kMaxPendingRequests);
    CHECK(r.c.stats().evicted == n - Correlator::kMaxPendingRequests);
    // The next modprobe serves the oldest request still held.
    r.feed(umh_exec(2 * kMs, 50, "fs-minix"));
    r.load_ok(3 * kMs, 50, "minix.ko", kVeth, "minix");
    check_chained(r, "minix", n - Correlator::kMaxPendingRequests + 1, "fs-minix",
                  static_cast<std::uint32_t>(1000 + n - Correlator::kMaxPendingRequests), "mount",
                  4);
  }
  SECTION("modprobe starts nobody asked for") {
    Run r;
    for (lt_u32 i = 0; i < 5000; ++i) r.feed(umh_exec(1 * kMs + i, 100 + i, "fs-minix"));
    CHECK(r.events.empty());
    CHECK(r.c.stats().unmatched_helpers == 5000);
    CHECK(r.c.helpers() == 0);
  }
  SECTION("many modprobes at once") {
    Run r;
    const std::size_t n = Correlator::kMaxHelpers * 2;
    for (std::size_t i = 0; i < n; ++i) {
      r.feed(request_by(1 * kMs + 2 * i, 10, "ip", "rtnl-link-veth"));
      r.feed(umh_exec(1 * kMs + 2 * i + 1, static_cast<lt_u32>(5000 + i), "rtnl-link-veth"));
    }
    CHECK(r.c.stats().requests_linked == n);
    CHECK(r.c.helpers() == Correlator::kMaxHelpers);
    CHECK(r.c.pending_requests() == 0);
    CHECK(r.c.stats().evicted == n - Correlator::kMaxHelpers);
    // The newest modprobes are the ones kept: the last one's load is linked, the first one's not.
    r.load_ok(1 * kSec, static_cast<lt_u32>(5000 + n - 1), "veth.ko", kVeth, "veth");
    check_chained(r, "veth", n, "rtnl-link-veth", 10, "ip", 4);
    r.load_ok(2 * kSec, 5000, "dummy.ko", kKvm, "dummy");
    for (const Event* e : r.of("dummy")) CHECK(unchained(*e));
  }
}

TEST_CASE("the helper's exec record decodes and is made safe", "[record][chain]") {
  auto rec = umh_exec(5, 77, "fs-\x1b[2Jminix", "/usr/sbin/modprobe");
  CHECK(rec.h.pid == 77u);
  CHECK(rec.h.comm == "kworker/u4:2");
  const auto* b = std::get_if<UmhExec>(&rec.body);
  REQUIRE(b);
  CHECK(b->path == "/usr/sbin/modprobe");
  CHECK(b->name == "fs-\\x1B[2Jminix");  // the escape cannot reach a terminal
}
