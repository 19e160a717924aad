// The daemon's Prometheus metrics, driven with Events and encoded records
// (no root, no BPF), linted with promtool, and served by the real endpoint
// (service/endpoint.h) on an event loop.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "app/cli.h"
#include "core/pipeline.h"
#include "core/records.h"
#include "exporters/landing_page.h"
#include "exporters/metric_names.h"
#include "exporters/metrics.h"
#include "kernel/fake_features.h"
#include "service/daemon.h"
#include "service/endpoint.h"
#include "service/served_endpoint.h"
#include "util/fd.h"

using namespace lifetrace;
using classify::Language;

namespace {

// The value of one sample in a text exposition, e.g.
// value_of(text, R"(lifetrace_modules_loaded{language="rust"})"); NaN if absent.
double value_of(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nan("");
}

Event ev(EventKind k, const std::string& module, Language l, std::uint64_t addr = 0) {
  Event e;
  e.kind = k;
  e.module = module;
  e.language = l;
  e.module_addr = addr;
  e.pid = 1;
  e.comm = "modprobe";
  return e;
}

// A whole successful load: init_start, init_done, live (which carries the
// taints and the signature state, as the correlator sends it).
void load(Metrics& m, const std::string& module, Language l, std::uint64_t addr,
          std::uint64_t init_ns, std::uint64_t load_ns, std::string taints = "",
          std::optional<bool> sig = std::nullopt) {
  m.on_event(ev(EventKind::init_start, module, l, addr));
  Event d = ev(EventKind::init_done, module, l, addr);
  d.ret = 0;
  d.init_ns = init_ns;
  m.on_event(d);
  Event live = ev(EventKind::live, module, l, addr);
  live.ret = 0;
  live.load_ns = load_ns;
  live.taints = std::move(taints);
  live.sig_ok = sig;
  m.on_event(live);
}

classify::ModuleInfo info(const std::string& name, Language l, std::string taints = "") {
  classify::ModuleInfo mi;
  mi.name = name;
  mi.language = l;
  mi.taints = std::move(taints);
  return mi;
}

// What `lifetrace list --builtin` would find in a small CONFIG_RUST kernel.
classify::BuiltinReport builtin_report() {
  classify::BuiltinInputs in;
  in.kallsyms =
      "ffffffff81001000 t _RNvNtCsbDqzXfLQacH_4core9panicking5panic\n"
      "ffffffff81001100 t _RNvCs1234_6qt20254init\n"
      "ffffffff81002000 T some_c_func\n";
  in.modules_builtin = std::string_view("kernel/a/qt2025.ko\nkernel/b/dummy.ko\n");
  return classify::builtin_report(in);
}

Metrics& populated(Metrics& m) {
  m.set_build_info("0.1.0", "1.1", "7.2.13+deb14-amd64");
  std::vector<AttachResult> attach(2);
  attach[0].probe = "do_init_module";
  attach[0].program = "fentry_do_init_module";
  attach[0].attached = true;
  attach[1].probe = "module_request";
  attach[1].error = "no tracepoint";
  m.set_attach_results(attach);
  m.seed_inventory({info("e1000", Language::c), info("drm", Language::mixed, "OE")}, true);
  m.set_builtin(builtin_report());
  load(m, "qt2025", Language::rust, 0x1000, 30'000, 2'000'000, "", true);
  load(m, "ax88796b_rust", Language::rust, 0x2000, 40'000, 3'000'000);
  Event failed = ev(EventKind::load_failed, "kvm_intel", Language::c, 0x3000);
  failed.ret = -95;
  failed.stage = Stage::init;
  failed.phases = Phases{{"read", 1'000'000}, {"init", 2'000'000}};
  failed.failed_in = "init";
  failed.read_bytes = 4096;
  m.on_event(failed);
  Event dup = ev(EventKind::load_failed, "dummy", Language::c);
  dup.ret = -17;
  dup.stage = Stage::before_init;
  dup.failed_in = "already_loaded";
  dup.read_bytes = 1000;
  m.on_event(dup);
  m.on_event(ev(EventKind::request, "veth", Language::unknown));
  m.set_bpf_lost_source([] {
    LostCounters c{};
    c[LT_LOST_RINGBUF_FULL] = 3;
    return c;
  });
  m.set_program_misses_source([] {
    return std::vector<ProgramMisses>{
        {"do_init_module_enter", "do_init_module_fentry", MissCause::recursion, 4},
        {"do_one_initcall_exit", "do_one_initcall_kretprobe", MissCause::kprobe_missed, 1}};
  });
  m.add_undecodable(2);
  m.add_follow_client_drops(5);
  m.set_follow_clients(1);
  m.set_denied_source([] {
    return DeniedCounts{{1000, LT_SYS_INIT_MODULE, 4711}, {1000, LT_SYS_DELETE_MODULE, 3}};
  });
  m.on_event(ev(EventKind::denied, "", Language::unknown));  // rate-limited report: not a count
  CorrelatorStats stats;
  stats.evicted = 2;
  stats.orphan_records = 7;
  m.set_correlator_stats(stats);
  stats.orphan_records = 9;  // running totals: counted once
  stats.partial_symbol_tables = 1;
  stats.requests_linked = 3;
  stats.requests_expired = 1;
  m.set_correlator_stats(stats);
  return m;
}

std::string run(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  *status = pclose(p);
  return out;
}

std::string http_get(int port, const std::string& path) {
  util::Fd s = test::connect_local(port);
  const std::string req = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  REQUIRE(write(s.get(), req.data(), req.size()) == static_cast<ssize_t>(req.size()));
  std::string resp;
  char buf[4096];
  for (ssize_t n; (n = read(s.get(), buf, sizeof(buf))) > 0;)
    resp.append(buf, static_cast<std::size_t>(n));
  return resp;
}

}  // namespace

TEST_CASE("loads count by language and result, and durations go to the histograms", "[metrics]") {
  Metrics m;
  load(m, "qt2025", Language::rust, 0x1000, 30'000, 2'000'000);
  load(m, "ax88796b_rust", Language::rust, 0x2000, 40'000, 3'000'000);
  Event init_failed = ev(EventKind::load_failed, "kvm_intel", Language::c, 0x3000);
  init_failed.stage = Stage::init;
  init_failed.ret = -95;
  m.on_event(init_failed);
  Event before_init = ev(EventKind::load_failed, "dummy", Language::c);
  before_init.stage = Stage::before_init;
  before_init.ret = -17;
  m.on_event(before_init);
  Event orphan = ev(EventKind::load_failed, "", Language::unknown);  // no stage known
  orphan.ret = -2;
  m.on_event(orphan);

  const std::string t = m.serialize();
  CHECK(value_of(t, R"(lifetrace_module_loads_total{language="rust",result="live"})") == 2);
  CHECK(value_of(t, R"(lifetrace_module_loads_total{language="c",result="init_failed"})") == 1);
  CHECK(value_of(t, R"(lifetrace_module_loads_total{language="c",result="load_failed"})") == 1);
  CHECK(value_of(t, R"(lifetrace_module_loads_total{language="unknown",result="load_failed"})") ==
        1);
  CHECK(value_of(t, R"(lifetrace_module_loads_total{language="mixed",result="live"})") == 0);
  CHECK(value_of(t, R"(lifetrace_module_init_duration_seconds_count{language="rust"})") == 2);
  CHECK(value_of(t, R"(lifetrace_module_init_duration_seconds_sum{language="rust"})") ==
        Approx(70e-6));
  CHECK(value_of(t, R"(lifetrace_module_load_duration_seconds_count{language="rust"})") == 2);
  CHECK(value_of(t, R"(lifetrace_module_load_duration_seconds_sum{language="rust"})") ==
        Approx(5e-3));
  CHECK(value_of(t, R"(lifetrace_module_init_last_duration_seconds{module="qt2025"})") ==
        Approx(30e-6));
  CHECK(value_of(t, R"(lifetrace_events_total{event="live"})") == 2);
  CHECK(value_of(t, R"(lifetrace_events_total{event="load_failed"})") == 3);
  CHECK(value_of(t, R"(lifetrace_events_total{event="request"})") == 0);
}

TEST_CASE("histogram buckets run from 10 us to 60 s", "[metrics]") {
  Metrics m;
  load(m, "slow", Language::c, 0x1000, 59'000'000'000ULL, 59'500'000'000ULL);
  const std::string t = m.serialize();
  CAPTURE(t.substr(0, 2000));
  CHECK(t.find(R"(lifetrace_module_init_duration_seconds_bucket{language="c",le="1e-05"} 0)") !=
        std::string::npos);
  CHECK(value_of(t, R"(lifetrace_module_init_duration_seconds_bucket{language="c",le="25"})") == 0);
  CHECK(value_of(t, R"(lifetrace_module_init_duration_seconds_bucket{language="c",le="60"})") == 1);
  CHECK(value_of(t, R"(lifetrace_module_init_duration_seconds_bucket{language="c",le="+Inf"})") ==
        1);
  CHECK(std::size(metrics::kDurationBuckets) == 21);
}

TEST_CASE("the loaded gauge starts from the inventory and follows live and freed", "[metrics]") {
  Metrics m;
  m.seed_inventory({info("e1000", Language::c), info("drm", Language::mixed, "E"),
                    info("ax88796b_rust", Language::rust)},
                   /*kernel_signs_modules=*/true);
  std::string t = m.serialize();
  CHECK(value_of(t, R"(lifetrace_modules_loaded{language="c"})") == 1);
  CHECK(value_of(t, R"(lifetrace_modules_loaded{language="mixed"})") == 1);
  CHECK(value_of(t, R"(lifetrace_modules_loaded{language="rust"})") == 1);
  CHECK(
      value_of(
          t,
          R"(lifetrace_module_info{language="mixed",module="drm",signed="false",signer="",taints="E"})") ==
      1);
  CHECK(
      value_of(
          t,
          R"(lifetrace_module_info{language="c",module="e1000",signed="true",signer="",taints=""})") ==
      1);

  // A module in the inventory and in the ring buffer (loaded while we
  // started) is counted once.
  load(m, "ax88796b_rust", Language::rust, 0x2000, 1000, 2000);
  load(m, "qt2025", Language::rust, 0x1000, 1000, 2000, "O", true);
  t = m.serialize();
  CHECK(value_of(t, R"(lifetrace_modules_loaded{language="rust"})") == 2);
  CHECK(
      value_of(
          t,
          R"(lifetrace_module_info{language="rust",module="qt2025",signed="true",signer="",taints="O"})") ==
      1);
  // The inventory said "unknown" for the signature of a kernel without
  // signing; the event knows nothing either, so the labels stay.
  CHECK(
      value_of(
          t,
          R"(lifetrace_module_info{language="rust",module="ax88796b_rust",signed="unknown",signer="",taints=""})") ==
      1);

  Event un = ev(EventKind::unload_done, "qt2025", Language::rust);
  un.ret = 0;
  m.on_event(ev(EventKind::unload_start, "qt2025", Language::rust));
  m.on_event(ev(EventKind::freed, "qt2025", Language::rust, 0x1000));
  m.on_event(un);
  Event busy = ev(EventKind::unload_done, "drm", Language::mixed);
  busy.ret = -16;  // EBUSY: still loaded
  m.on_event(busy);
  t = m.serialize();
  CHECK(value_of(t, R"(lifetrace_modules_loaded{language="rust"})") == 1);
  CHECK(value_of(t, R"(lifetrace_module_unloads_total{language="rust"})") == 1);
  CHECK(value_of(t, R"(lifetrace_module_unloads_total{language="mixed"})") == 0);
  CHECK(t.find(R"(module="qt2025",signed)") == std::string::npos);
  CHECK_FALSE(m.is_loaded("qt2025"));

  // A module whose init failed is freed without ever having been live.
  Event s = ev(EventKind::init_start, "kvm_intel", Language::c, 0x3000);
  m.on_event(s);
  Event f = ev(EventKind::load_failed, "kvm_intel", Language::c, 0x3000);
  f.stage = Stage::init;
  m.on_event(f);
  m.on_event(ev(EventKind::freed, "kvm_intel", Language::c, 0x3000));
  CHECK(m.loaded_count(Language::c) == 1);
  CHECK(value_of(m.serialize(), R"(lifetrace_modules_loaded{language="c"})") == 1);
}

TEST_CASE("health: attached programs, lost records read at scrape time, build info", "[metrics]") {
  Metrics m;
  populated(m);
  std::string t = m.serialize();
  CHECK(
      value_of(
          t,
          R"(lifetrace_bpf_program_attached{probe="do_init_module",program="fentry_do_init_module"})") ==
      1);
  CHECK(value_of(t, R"(lifetrace_bpf_program_attached{probe="module_request",program="none"})") ==
        0);
  CHECK(value_of(t, R"(lifetrace_events_lost_total{reason="ringbuf_full"})") == 3);
  CHECK(value_of(t, R"(lifetrace_events_lost_total{reason="pending_map_full"})") == 0);
  CHECK(value_of(t, R"(lifetrace_events_lost_total{reason="undecodable"})") == 2);
  CHECK(value_of(t, R"(lifetrace_events_lost_total{reason="follow_client_queue_full"})") == 5);
  CHECK(
      value_of(
          t,
          R"(lifetrace_build_info{kernel_release="7.2.13+deb14-amd64",libbpf_version="1.1",version="0.1.0"})") ==
      1);
  CHECK(value_of(t, "lifetrace_follow_clients") == 1);
  CHECK(value_of(t, "lifetrace_module_requests_total") == 1);
  // Denied attempts: the BPF side's exact counts, never lifecycle loads.
  CHECK(
      value_of(t, R"(lifetrace_module_syscalls_denied_total{syscall="init_module",uid="1000"})") ==
      4711);
  CHECK(value_of(t,
                 R"(lifetrace_module_syscalls_denied_total{syscall="delete_module",uid="1000"})") ==
        3);
  CHECK(value_of(t, R"(lifetrace_events_total{event="denied"})") == 1);
  CHECK(value_of(t, R"(lifetrace_correlator_anomalies_total{anomaly="evicted"})") == 2);
  CHECK(value_of(t, R"(lifetrace_correlator_anomalies_total{anomaly="orphan_record"})") == 9);
  CHECK(value_of(t, R"(lifetrace_correlator_anomalies_total{anomaly="partial_symbol_table"})") ==
        1);
  CHECK(value_of(t, R"(lifetrace_module_request_links_total{result="linked"})") == 3);
  CHECK(value_of(t, R"(lifetrace_module_request_links_total{result="expired"})") == 1);
  CHECK(value_of(t, R"(lifetrace_module_loads_total{language="unknown",result="load_failed"})") ==
        0);

  // The source is read on every scrape; once cleared, the last values stay.
  int calls = 0;
  m.set_bpf_lost_source([&calls] {
    LostCounters c{};
    c[LT_LOST_RINGBUF_FULL] = static_cast<std::uint64_t>(++calls * 10);
    return c;
  });
  m.serialize();
  t = m.serialize();
  CHECK(value_of(t, R"(lifetrace_events_lost_total{reason="ringbuf_full"})") == 20);
  m.set_bpf_lost_source(nullptr);
  CHECK(value_of(m.serialize(), R"(lifetrace_events_lost_total{reason="ringbuf_full"})") == 20);
}

TEST_CASE("program runs the kernel skipped: read at scrape time, by probe and cause", "[metrics]") {
  Metrics m;
  populated(m);
  std::string t = m.serialize();
  CHECK(
      value_of(
          t,
          R"(lifetrace_bpf_program_misses_total{cause="recursion",probe="do_init_module_enter"})") ==
      4);
  CHECK(
      value_of(
          t,
          R"(lifetrace_bpf_program_misses_total{cause="kprobe_missed",probe="do_one_initcall_exit"})") ==
      1);

  int calls = 0;
  m.set_program_misses_source([&calls] {
    return std::vector<ProgramMisses>{{"free_module", "free_module_fentry", MissCause::recursion,
                                       static_cast<std::uint64_t>(++calls)}};
  });
  m.serialize();
  t = m.serialize();
  CHECK(
      value_of(t, R"(lifetrace_bpf_program_misses_total{cause="recursion",probe="free_module"})") ==
      2);
  m.set_program_misses_source(nullptr);  // the tracer is gone: the last values stay
  CHECK(value_of(m.serialize(),
                 R"(lifetrace_bpf_program_misses_total{cause="recursion",probe="free_module"})") ==
        2);
}

TEST_CASE("every family has HELP and TYPE, names follow the conventions", "[metrics]") {
  Metrics m;
  const std::string t = populated(m).serialize();
  std::regex help(R"(^# HELP (lifetrace_[a-z_]+) [A-Z].*\.$)");
  std::regex type(R"(^# TYPE (lifetrace_[a-z_]+) (counter|gauge|histogram)$)");
  std::istringstream in(t);
  int helps = 0, types = 0;
  for (std::string line; std::getline(in, line);) {
    std::smatch sm;
    if (line.rfind("# HELP", 0) == 0) {
      CAPTURE(line);
      CHECK(std::regex_match(line, sm, help));
      ++helps;
    } else if (line.rfind("# TYPE", 0) == 0) {
      CAPTURE(line);
      REQUIRE(std::regex_match(line, sm, type));
      const std::string name = sm[1], kind = sm[2];
      CHECK((kind == "counter") == (name.size() > 6 && name.substr(name.size() - 6) == "_total"));
      if (kind == "histogram") CHECK(name.substr(name.size() - 8) == "_seconds");
      ++types;
    }
  }
  CHECK(helps == 23);
  CHECK(types == 23);
}

TEST_CASE("promtool check metrics reports nothing", "[metrics][promtool]") {
  int status = 0;
  run("command -v promtool >/dev/null 2>&1", &status);
  if (status != 0) {
    FAIL(
        "promtool not found: install Debian's prometheus package (scripts/install-deps.sh "
        "--tests)");
  }
  Metrics m;
  const std::string path = "/tmp/lifetrace-metrics-" + std::to_string(getpid()) + ".prom";
  std::ofstream(path) << populated(m).serialize();
  const std::string out = run("promtool check metrics < " + path + " 2>&1", &status);
  std::remove(path.c_str());
  INFO(out);
  CHECK(status == 0);
  CHECK(out.empty());
}

TEST_CASE("records through the daemon pipeline reach the metrics, and bad ones are counted",
          "[metrics][pipeline]") {
  EventPipeline p;
  Metrics m;
  std::vector<std::string> why;
  p.on_undecodable = [&](const std::string& w) {
    m.add_undecodable(1);
    why.push_back(w);
  };
  p.add_consumer([&](const Event& e) { m.on_event(e); });
  p.correlator().add_known_module("e1000", Language::c);

  const auto bytes = [](const lt_event& e) { return encode_event(e); };
  using test::raw;
  auto enter = raw(LT_REC_LOAD_ENTER, 100, 7);
  enter.load_enter.syscall = LT_SYS_FINIT_MODULE;
  std::strcpy(enter.load_enter.file, "dummy.ko");
  auto init = raw(LT_REC_MOD_INIT, 200, 7);
  init.h.flags = LT_F_SIG_KNOWN | LT_F_SIG_OK;
  init.mod_init.mod = 0xabc;
  std::strcpy(init.mod_init.name, "dummy");
  auto ic0 = raw(LT_REC_INITCALL_START, 300, 7);
  ic0.initcall.mod = 0xabc;
  auto ic1 = raw(LT_REC_INITCALL_DONE, 800, 7);
  ic1.initcall.mod = 0xabc;
  auto done = raw(LT_REC_MOD_INIT_DONE, 900, 7);
  done.mod_init_done.mod = 0xabc;
  auto exit = raw(LT_REC_LOAD_EXIT, 1000, 7);
  exit.load_exit.syscall = LT_SYS_FINIT_MODULE;
  for (const auto& r : {enter, init, ic0, ic1, done, exit}) p.on_record(bytes(r));
  const std::byte junk[3] = {std::byte{1}, std::byte{2}, std::byte{3}};
  p.on_record(junk);

  const std::string t = m.serialize();
  CHECK(value_of(t, R"(lifetrace_module_loads_total{language="unknown",result="live"})") == 1);
  CHECK(value_of(t, R"(lifetrace_module_init_last_duration_seconds{module="dummy"})") ==
        Approx(500e-9));
  CHECK(
      value_of(
          t,
          R"(lifetrace_module_info{language="unknown",module="dummy",signed="true",signer="",taints=""})") ==
      1);
  CHECK(value_of(t, R"(lifetrace_events_lost_total{reason="undecodable"})") == 1);
  CHECK(p.undecodable() == 1);
  REQUIRE(why.size() == 1);
}

TEST_CASE("the daemon logs events at their level", "[daemon]") {
  CHECK(event_log_level(ev(EventKind::live, "x", Language::c)) == LogLevel::info);
  CHECK(event_log_level(ev(EventKind::load_failed, "x", Language::c)) == LogLevel::warning);
  CHECK(event_log_level(ev(EventKind::init_start, "x", Language::c)) == LogLevel::debug);
}

EndpointOptions local(const std::string& telemetry_path = "/metrics") {
  EndpointOptions o;
  o.listen_address = "127.0.0.1:0";
  o.telemetry_path = telemetry_path;
  return o;
}

TEST_CASE("the endpoint serves the metrics on the telemetry path of a port chosen by the kernel",
          "[metrics][http]") {
  Metrics m;
  populated(m);
  test::ServedEndpoint served(local("/custom"), m);
  REQUIRE(served.port() > 0);
  const std::string resp = http_get(served.port(), "/custom");
  CHECK(resp.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(resp.find(R"(lifetrace_events_lost_total{reason="ringbuf_full"} 3)") != std::string::npos);
  CHECK(http_get(served.port(), "/metrics").find(" 404") != std::string::npos);
}

TEST_CASE("slow and half-open clients cannot stall a scrape", "[metrics][http]") {
  Metrics m;
  populated(m);
  test::ServedEndpoint served(local(), m);
  const int port = served.port();
  // Clients that connect and never finish a request (with prometheus-cpp's
  // threads, two such clients once stalled every scrape until they left).
  std::vector<util::Fd> idle;
  for (int i = 0; i < 16; ++i) idle.push_back(test::connect_local(port));
  util::Fd partial = test::connect_local(port);
  REQUIRE(write(partial.get(), "GET /metr", 9) == 9);
  const auto t0 = std::chrono::steady_clock::now();
  const std::string resp = http_get(port, "/metrics");
  const auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(resp.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(waited < std::chrono::seconds(2));
  // And a stuck client is let go after the idle timeout.
  char buf[64];
  const auto t1 = std::chrono::steady_clock::now();
  timeval tv{static_cast<time_t>(kEndpointIdleTimeoutSeconds) + 3, 0};
  setsockopt(partial.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  const ssize_t n = read(partial.get(), buf, sizeof(buf));
  CHECK(n >= 0);  // closed (0) or an error response, not our read timing out (-1)
  CHECK(std::chrono::steady_clock::now() - t1 <
        std::chrono::milliseconds(kEndpointIdleTimeoutSeconds * 1000 + 2500));
}

TEST_CASE("a port that cannot be bound is a clear error, not a crash", "[metrics][http]") {
  Metrics busy;
  test::ServedEndpoint first(local(), busy);
  const int port = first.port();

  test::FakeFeatures f;  // passes preflight; the exporter fails before any BPF
  Options o;
  o.command = Command::daemon;
  o.listen_address = "127.0.0.1:" + std::to_string(port);
  o.follow_socket = "";
  char tmpl[] = "/tmp/lifetrace-stderr-XXXXXX";
  util::Fd log(mkstemp(tmpl));
  REQUIRE(log);
  std::fflush(stderr);
  util::Fd saved(dup(STDERR_FILENO));
  dup2(log.get(), STDERR_FILENO);
  sigset_t old;
  sigprocmask(SIG_SETMASK, nullptr, &old);
  const int rc = run_daemon(o, f);
  sigprocmask(SIG_SETMASK, &old, nullptr);
  std::fflush(stderr);
  dup2(saved.get(), STDERR_FILENO);
  std::ifstream in(tmpl);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  unlink(tmpl);
  INFO(text);
  CHECK(rc == 1);
  CHECK(text.find("<3>lifetrace: error: cannot serve metrics on 127.0.0.1:" +
                  std::to_string(port)) != std::string::npos);
  CHECK(text.find("<3>lifetrace: HINT: ") != std::string::npos);
}

TEST_CASE("the daemon subcommand's flags, and its default port in --help", "[daemon][cli]") {
  auto r = parse_cli({"daemon"});
  REQUIRE(r.options);
  CHECK(r.options->command == Command::daemon);
  CHECK(r.options->listen_address == ":9477");
  CHECK(r.options->telemetry_path == "/metrics");
  CHECK(r.options->follow_socket == "/run/lifetrace/follow.sock");
  CHECK(r.options->follow_group == "lifetrace");
  CHECK(r.options->web_config_file.empty());

  r = parse_cli({"daemon", "--web.config.file", "/etc/lifetrace/web.yml"});
  REQUIRE(r.options);
  CHECK(r.options->web_config_file == "/etc/lifetrace/web.yml");

  r = parse_cli({"daemon", "--web.listen-address", "127.0.0.1:19477", "--web.telemetry-path", "/m",
                 "--follow-socket", "", "--attach", "kprobe", "--strict"});
  REQUIRE(r.options);
  CHECK(r.options->listen_address == "127.0.0.1:19477");
  CHECK(r.options->telemetry_path == "/m");
  CHECK(r.options->follow_socket.empty());
  CHECK(r.options->attach == AttachMode::kprobe);
  CHECK(r.options->strict);

  r = parse_cli({"daemon", "--web.telemetry-path", "metrics"});
  CHECK_FALSE(r.options);
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("must start with '/'") != std::string::npos);

  r = parse_cli({"daemon", "--help"});
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("9477") != std::string::npos);

  r = parse_cli({"--follow", "--standalone", "--follow-socket", "/tmp/x.sock"});
  REQUIRE(r.options);
  CHECK(r.options->standalone);
  CHECK(r.options->follow_socket == "/tmp/x.sock");
}

TEST_CASE("the landing page shows the daemon's state, escaped", "[metrics][landing]") {
  LandingPageInfo info;
  info.version = "1.2.3";
  info.kernel_release = "6.1.0-<b>";
  info.telemetry_path = "/metrics\"x";
  AttachResult ok;
  ok.probe = "load";
  ok.program = "fentry_load_module";
  ok.attached = true;
  AttachResult bad;
  bad.probe = "request";
  bad.error = "no <symbol> & no twin";
  info.probes = {ok, bad};
  info.loaded = {{"c", 3}, {"rust", 1}};
  const std::string h = render_landing_page(info);
  CAPTURE(h);
  CHECK(h.find("Version 1.2.3, Linux 6.1.0-&lt;b&gt;") != std::string::npos);
  CHECK(h.find("<a href=\"/metrics&quot;x\">") != std::string::npos);
  CHECK(h.find("1 of 2 attached") != std::string::npos);
  CHECK(h.find("<td>fentry_load_module</td><td>yes</td>") != std::string::npos);
  CHECK(h.find("<td>request</td><td>none</td><td>no</td><td>no</td>"
               "<td>no &lt;symbol&gt; &amp; no twin</td>") != std::string::npos);
  CHECK(h.find("<td>rust</td><td>1</td>") != std::string::npos);
  CHECK(h.find("<symbol>") == std::string::npos);
  CHECK(html_escape(R"(<a href='x'>&"</a>)") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
}

TEST_CASE("the exporter serves the landing page at / from the metrics' state", "[metrics][http]") {
  Metrics m;
  m.set_build_info("9.9.9", "1.1.0", "6.1.0-test");
  AttachResult a;
  a.probe = "init";
  a.program = "fexit_do_init_module";
  a.attached = true;
  AttachResult b;
  b.probe = "request";
  b.program = "kprobe___request_module";
  b.error = "symbol not found";
  m.set_attach_results({a, b});
  classify::ModuleInfo rust_mod;
  rust_mod.name = "qt2025";
  rust_mod.language = Language::rust;
  classify::ModuleInfo c_mod;
  c_mod.name = "kvm";
  c_mod.language = Language::c;
  m.seed_inventory({rust_mod, c_mod}, false);
  load(m, "rnull", Language::rust, 0x1000, 1000, 2000);

  {
    test::ServedEndpoint served(
        local(), m, [&m] { return render_landing_page(m.landing_page_info("/metrics")); });
    const int port = served.port();
    const std::string resp = http_get(port, "/");
    CAPTURE(resp);
    CHECK(resp.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(resp.find("Content-Type: text/html") != std::string::npos);
    CHECK(resp.find("Version 9.9.9, Linux 6.1.0-test") != std::string::npos);
    CHECK(resp.find("1 of 2 attached") != std::string::npos);
    CHECK(resp.find("<td>kprobe___request_module</td><td>no</td>") != std::string::npos);
    CHECK(resp.find("symbol not found") != std::string::npos);
    CHECK(resp.find("<td>rust</td><td>2</td>") != std::string::npos);
    CHECK(resp.find("<td>c</td><td>1</td>") != std::string::npos);
    CHECK(resp.find("<a href=\"/metrics\">") != std::string::npos);
    CHECK(http_get(port, "/metrics").find("lifetrace_modules_loaded") != std::string::npos);
  }
  // Without a page, `/` is not found; nor is it when the telemetry path is `/` itself.
  {
    test::ServedEndpoint served(local(), m);
    CHECK(http_get(served.port(), "/").find(" 404") != std::string::npos);
  }
  {
    test::ServedEndpoint served(local("/"), m, [] { return std::string("landing"); });
    const std::string resp = http_get(served.port(), "/");
    CHECK(resp.find("lifetrace_modules_loaded") != std::string::npos);
    CHECK(resp.find("landing") == std::string::npos);
  }
}

TEST_CASE("built-in modules by language and the kernel's Rust crates", "[metrics][builtin]") {
  Metrics m;
  const std::string before = m.serialize();
  // Not computed yet (the daemon does it after READY=1): no series, not zeros.
  CHECK(before.find("lifetrace_builtin_modules{") == std::string::npos);
  CHECK(before.find("lifetrace_kernel_rust_crate_info{") == std::string::npos);
  m.set_builtin(builtin_report());
  const std::string t = m.serialize();
  CHECK(value_of(t, R"(lifetrace_builtin_modules{language="rust"})") == 1);     // qt2025
  CHECK(value_of(t, R"(lifetrace_builtin_modules{language="unknown"})") == 1);  // dummy
  CHECK(value_of(t, R"(lifetrace_builtin_modules{language="c"})") == 0);
  CHECK(value_of(t, R"(lifetrace_kernel_rust_crate_info{crate="core"})") == 1);
  CHECK(value_of(t, R"(lifetrace_kernel_rust_crate_info{crate="qt2025"})") == 1);
}

TEST_CASE("the live event's signer is a label of lifetrace_module_info", "[metrics][provenance]") {
  Metrics m;
  Event live = ev(EventKind::live, "qt2025", Language::rust, 0x1000);
  live.ret = 0;
  live.taints = "";
  live.sig_ok = true;
  live.signer = "Build time autogenerated kernel key";
  live.rustc_version = "1.97.1";
  m.on_event(live);
  CHECK(
      value_of(
          m.serialize(),
          R"(lifetrace_module_info{language="rust",module="qt2025",signed="true",signer="Build time autogenerated kernel key",taints=""})") ==
      1);
  // A later load of the same module by another signer replaces the series (one per module).
  live.signer = std::string(100, 'k');
  m.on_event(live);
  const std::string t = m.serialize();
  CHECK(t.find("Build time autogenerated kernel key") == std::string::npos);
  CHECK(t.find("signer=\"" + std::string(64, 'k') + "\"") != std::string::npos);
  CHECK(t.find(std::string(65, 'k')) == std::string::npos);
}

TEST_CASE("phases and duplicates and bytes read for nothing", "[metrics]") {
  Metrics m;
  Event live = ev(EventKind::live, "drm", Language::mixed, 0x1000);
  live.ret = 0;
  live.load_ns = 10'000'000;
  live.phases = Phases{{"read", 2'000'000}, {"load_module", 3'000'000}, {"init", 4'000'000}};
  live.read_bytes = 900'000;  // a live load's bytes were not read for nothing
  m.on_event(live);
  Event busy = ev(EventKind::load_failed, "drm", Language::mixed);
  busy.ret = -16;
  busy.stage = Stage::before_init;
  busy.failed_in = "already_loading";
  busy.read_bytes = 900'000;
  m.on_event(busy);
  // 6.6+: waited for the load above and returned its result; loaded nothing itself.
  Event waiter = ev(EventKind::load_failed, "drm", Language::mixed);
  waiter.ret = 0;
  waiter.stage = Stage::before_init;
  waiter.failed_in = "already_loading";
  waiter.phases = Phases{{"already_loading", 8'000'000}};
  m.on_event(waiter);
  Event param = ev(EventKind::load_failed, "dummy", Language::c);
  param.ret = -22;
  param.stage = Stage::before_init;
  param.failed_in = "params";
  param.read_bytes = 100;
  m.on_event(param);

  const std::string t = m.serialize();
  CHECK(value_of(t, R"(lifetrace_module_load_phase_duration_seconds_count{phase="read"})") == 1);
  CHECK(value_of(t, R"(lifetrace_module_load_phase_duration_seconds_sum{phase="init"})") ==
        Approx(0.004));
  CHECK(value_of(
            t, R"(lifetrace_module_load_phase_duration_seconds_count{phase="already_loading"})") ==
        1);
  CHECK(value_of(t, R"(lifetrace_module_duplicate_loads_total{reason="already_loading"})") == 2);
  CHECK(value_of(t, R"(lifetrace_module_duplicate_loads_total{reason="already_loaded"})") == 0);
  CHECK(value_of(t,
                 R"(lifetrace_module_failed_load_read_bytes_total{failed_in="already_loading"})") ==
        900'000);
  CHECK(value_of(t, R"(lifetrace_module_failed_load_read_bytes_total{failed_in="params"})") == 100);
  // The waiter is not a failed load: only busy and param are.
  CHECK(value_of(t, R"(lifetrace_module_loads_total{language="mixed",result="load_failed"})") == 1);
  CHECK(value_of(t, R"(lifetrace_module_loads_total{language="c",result="load_failed"})") == 1);
}
