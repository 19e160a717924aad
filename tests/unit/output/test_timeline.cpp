// blame and plot: the bars of a load, the table, its JSON, the SVG and the
// trace, from Events built here. (tests/plot/ renders the SVG with a real
// renderer and checks it with an XML parser.)
#include <catch2/catch.hpp>

#include <cerrno>
#include <map>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "output/timeline.h"

using namespace lifetrace;

namespace {

constexpr std::uint64_t kSec = 1'000'000'000;

Event load(EventKind kind, std::string module, std::uint64_t end_ns, std::uint64_t load_ns) {
  Event e;
  e.kind = kind;
  e.module = std::move(module);
  e.mono_ns = 1'700'000'000 * kSec + end_ns;  // realtime, as parsed from the daemon's lines
  e.load_ns = load_ns;
  e.pid = 200;
  e.comm = "systemd-udevd";
  e.language = classify::Language::c;
  return e;
}

History sample() {
  History h;
  h.frame.since = "2026-12-03T16:00:00.000000000Z";
  h.frame.max_loads = 2048;
  Event drm = load(EventKind::live, "drm", 2 * kSec, 300'000'000);
  drm.language = classify::Language::mixed;
  drm.phases = Phases{{"read", 100'000'000}, {"layout", 150'000'000}, {"init", 4'000'000}};
  drm.phase_coverage = 254.0 / 300.0;
  Event kvm = load(EventKind::load_failed, "kvm_intel", 3 * kSec, 130'000'000);
  kvm.ret = -17;
  kvm.stage = Stage::before_init;
  kvm.failed_in = "already_loaded";
  kvm.requester_pid = 1;
  kvm.requester_comm = "systemd";
  kvm.requested_name = "cpu:type:x86";
  Event qt = load(EventKind::live, "qt2025", kSec + 500'000'000, 48'000'000);
  qt.language = classify::Language::rust;
  qt.init_ns = 500'000;
  h.loads = {qt, drm, kvm};  // the history's order: by end
  h.frame.loads = h.loads.size();
  h.preloaded = {{"ext4", classify::Language::c}, {"rnull", classify::Language::rust}};
  h.frame.preloaded = h.preloaded.size();
  return h;
}

}  // namespace

TEST_CASE("a load's bar: measured phases and the rest or the init split without them",
          "[timeline]") {
  const History h = sample();
  const LoadView drm = view_of(h.loads[1]);
  CHECK(drm.phases_measured);
  CHECK(drm.start_ns == static_cast<std::int64_t>(h.loads[1].mono_ns) - 300'000'000);
  CHECK(drm.bars == Phases{{"read", 100'000'000},
                           {"layout", 150'000'000},
                           {"init", 4'000'000},
                           {"other", 46'000'000}});
  const LoadView qt = view_of(h.loads[0]);
  CHECK_FALSE(qt.phases_measured);
  CHECK(qt.bars == Phases{{"before_init", 47'500'000}, {"init", 500'000}});
  const LoadView kvm = view_of(h.loads[2]);
  CHECK(kvm.failed);
  CHECK(kvm.bars == Phases{{"before_init", 130'000'000}});
  CHECK(result_text(h.loads[2]) == "EEXIST already_loaded");
  Event waited = h.loads[2];  // 6.6+: waited for another load of the file, which succeeded
  waited.ret = 0;
  waited.failed_in = "already_loading";
  CHECK(result_text(waited) == "nothing loaded already_loading");
  waited.ret = -ENODEV;
  waited.failed_in = "init";
  CHECK(result_text(waited) == "ENODEV in init");
  CHECK(requester_text(h.loads[2]) == "systemd-udevd/200 for systemd/1 (cpu:type:x86)");
  CHECK(biggest_phases(drm, 2) == "layout 150.000 ms, read 100.000 ms");

  // Phases that claim more than the load are cut to it, never drawn past its end.
  Event over = h.loads[1];
  over.phases = Phases{{"read", 200'000'000}, {"init", 200'000'000}};
  CHECK(view_of(over).bars == Phases{{"read", 200'000'000}, {"init", 100'000'000}});
}

TEST_CASE("blame lists loads slowest first with language and phases and result and requester",
          "[timeline]") {
  const std::string out = render_blame(sample());
  CAPTURE(out);
  const auto drm = out.find("drm");
  const auto kvm = out.find("kvm_intel");
  const auto qt = out.find("qt2025");
  REQUIRE(drm != std::string::npos);
  REQUIRE(kvm != std::string::npos);
  REQUIRE(qt != std::string::npos);
  CHECK(drm < kvm);
  CHECK(kvm < qt);
  CHECK_THAT(out, Catch::Contains("300.000 ms") && Catch::Contains("mixed") &&
                      Catch::Contains("EEXIST already_loaded") &&
                      Catch::Contains("layout 150.000 ms, read 100.000 ms, other 46.000 ms") &&
                      Catch::Contains("(not measured)") && Catch::Contains("+1.418s") &&
                      Catch::Contains("3 loads since 2026-12-03T16:00:00") &&
                      Catch::Contains("2 modules were loaded before lifetrace started") &&
                      Catch::Contains("ext4(c)") && Catch::Contains("rnull(rust)"));
  CHECK_THAT(render_blame(History{}), Catch::Contains("no module loads since the daemon started"));

  // Names come sanitized from the daemon; one that is not never reaches the terminal raw.
  History hostile = sample();
  hostile.loads[0].module = "evil\n\x1b[31mred";
  const std::string h = render_blame(hostile);
  CHECK(h.find('\x1b') == std::string::npos);
  CHECK_THAT(h, Catch::Contains("evil\\x0A\\x1B[31mred"));
}

TEST_CASE("blame --json is one document with the loads slowest first", "[timeline]") {
  History h = sample();
  h.frame.not_kept = 5;
  const auto j = nlohmann::json::parse(render_blame_json(h));
  REQUIRE(j["loads"].size() == 3);
  CHECK(j["loads"][0]["module"] == "drm");
  CHECK(j["loads"][0]["load_ns"] == 300'000'000);
  CHECK(j["loads"][0]["phases"][3] == nlohmann::json{{"phase", "other"}, {"ns", 46'000'000}});
  CHECK(j["loads"][1]["result"] == "failed");
  CHECK(j["loads"][1]["errno"] == "EEXIST");
  CHECK(j["loads"][1]["failed_in"] == "already_loaded");
  CHECK(j["loads"][1]["requester_comm"] == "systemd");
  CHECK(j["loads"][2]["phases_measured"] == false);
  CHECK(j["loads"][2]["start"] == "2023-11-14T22:13:21.452000000Z");
  CHECK(j["not_kept"] == 5);
  CHECK(j["before_lifetrace"][1] == nlohmann::json{{"module", "rnull"}, {"language", "rust"}});
}

TEST_CASE("xml_escape leaves nothing an XML parser or a viewer would act on", "[timeline]") {
  CHECK(xml_escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&apos;");
  CHECK(xml_escape("tab\tnl\nesc\x1b") ==
        "tab\xEF\xBF\xBDnl\xEF\xBF\xBD"
        "esc\xEF\xBF\xBD");
  CHECK(xml_escape("bad\xff\xc0\xafutf8") == "bad\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDutf8");
  CHECK(xml_escape("cut\xe2\x82") == "cut\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(xml_escape("rlo\xe2\x80\xae") == "rlo\xEF\xBF\xBD");                    // a bidi override
  CHECK(xml_escape("\xed\xa0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  CHECK(xml_escape("caf\xc3\xa9 \xe2\x9c\x97 \xf0\x9f\xa6\x80") ==
        "caf\xc3\xa9 \xe2\x9c\x97 \xf0\x9f\xa6\x80");  // well-formed text is kept
}

TEST_CASE(
    "the SVG has one row per load by start time with legend and axis and hostile names escaped",
    "[timeline]") {
  History h = sample();
  h.loads[0].module = "evil\"><script>alert(1)</script>&x";
  const std::string svg = render_svg(h);
  CAPTURE(svg);
  CHECK(svg.rfind("<?xml", 0) == 0);
  CHECK_THAT(svg, Catch::Contains("</svg>"));
  CHECK(svg.find("<script>") == std::string::npos);
  CHECK_THAT(svg, Catch::Contains("evil&quot;&gt;&lt;script&gt;"));
  std::size_t rows = 0;
  for (std::size_t at = 0; (at = svg.find("<g class=\"load", at)) != std::string::npos; ++at)
    ++rows;
  CHECK(rows == 3);
  CHECK_THAT(svg, Catch::Contains("class=\"load failed\""));
  // By start: qt2025 (1.452 s), drm (1.7 s), kvm_intel (2.87 s).
  const auto a = svg.find("evil"), b = svg.find(">drm ["), c = svg.find(">kvm_intel [");
  CHECK(a < b);
  CHECK(b < c);
  for (const char* legend :
       {">read</text>", ">layout</text>", ">other</text>", ">before_init</text>", ">rust</text>",
        "failed load", "seconds since the first load", ">0 s<"})
    CHECK_THAT(svg, Catch::Contains(legend));
  CHECK_THAT(svg, Catch::Contains("EEXIST already_loaded"));
  CHECK_THAT(svg,
             Catch::Contains("2 modules loaded before lifetrace started (no timings): ext4 rnull"));
  CHECK_THAT(render_svg(History{}), Catch::Contains("no module loads since the daemon started"));
}

TEST_CASE("the trace is trace-event JSON: a track per load and phases nested in the load",
          "[timeline]") {
  const auto j = nlohmann::json::parse(render_trace(sample()));
  REQUIRE(j["traceEvents"].is_array());
  CHECK(j["displayTimeUnit"] == "ms");
  std::map<int, std::string> tracks;
  std::map<int, std::pair<double, double>> loads;
  int phases = 0;
  for (const auto& e : j["traceEvents"]) {
    REQUIRE(e.contains("ph"));
    REQUIRE(e.contains("pid"));
    REQUIRE(e.contains("tid"));
    REQUIRE(e.contains("name"));
    if (e["ph"] == "M" && e["name"] == "thread_name")
      tracks[e["tid"].get<int>()] = e["args"]["name"].get<std::string>();
    if (e["ph"] != "X") continue;
    REQUIRE(e["ts"].is_number());
    REQUIRE(e["dur"].is_number());
    const double ts = e["ts"], dur = e["dur"];
    if (e["cat"] == "phase") {
      ++phases;
      const auto& [lts, ldur] = loads.at(e["tid"].get<int>());  // the load comes first
      CHECK(ts >= lts);
      CHECK(ts + dur <= lts + ldur + 1e-6);
    } else {
      loads[e["tid"].get<int>()] = {ts, dur};
    }
  }
  CHECK(tracks ==
        std::map<int, std::string>{{1, "qt2025 [rust]"}, {2, "drm [mixed]"}, {3, "kvm_intel [c]"}});
  CHECK(phases == 2 + 4 + 1);
  CHECK(loads.at(1).first == 0);
  CHECK(loads.at(2).second == Approx(300'000.0));
  CHECK(j["otherData"]["before_lifetrace"] == nlohmann::json{"ext4", "rnull"});
}
