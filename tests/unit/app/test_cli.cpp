#include <catch2/catch.hpp>

#include "app/cli.h"

using namespace lifetrace;

namespace {
ParseResult parse(std::vector<std::string> a) { return parse_cli(a); }
}  // namespace

TEST_CASE("follow with filters", "[cli]") {
  auto r =
      parse({"--follow", "--json", "--module", "kvm*", "-e", "load_failed", "--event", "live"});
  REQUIRE(r.options);
  CHECK(r.options->command == Command::follow);
  CHECK(r.options->json);
  CHECK(r.options->module_globs == std::vector<std::string>{"kvm*"});
  CHECK(r.options->events == std::set<EventKind>{EventKind::load_failed, EventKind::live});
  CHECK(r.options->attach == AttachMode::automatic);
  CHECK(r.options->ringbuf_bytes == 512u << 10);
  CHECK_FALSE(r.options->no_syscall_tracepoints);
}

TEST_CASE("no-syscall-tracepoints is a tracing option of --follow and daemon", "[cli]") {
  for (const auto& args : {std::vector<std::string>{"--follow", "--no-syscall-tracepoints"},
                           std::vector<std::string>{"daemon", "--no-syscall-tracepoints"}}) {
    CAPTURE(args);
    auto r = parse(args);
    REQUIRE(r.options);
    CHECK(r.options->no_syscall_tracepoints);
  }
  CHECK_THAT(parse({"--help"}).output, Catch::Contains("--no-syscall-tracepoints"));
  CHECK_FALSE(parse({"list", "--no-syscall-tracepoints"}).options.has_value());
}

TEST_CASE("bad input gets a clear error and exit code 2-ish, never an exception", "[cli]") {
  auto [args, needle] = GENERATE(table<std::vector<std::string>, std::string>({
      {{"--follow", "--event", "loaded"}, "unknown event 'loaded'"},
      {{"--follow", "--attach", "uprobe"}, "--attach"},
      {{"--follow", "--ringbuf-size", "3000"}, "power of two"},
      {{"--follow", "--ringbuf-size", "4X"}, "suffix"},
      {{"--bogus"}, "bogus"},
      {std::vector<std::string>{}, "nothing to do"},
      {{"list", "--module", "x"}, "--module"},
  }));
  CAPTURE(args);
  auto r = parse(args);
  CHECK_FALSE(r.options.has_value());
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.output, Catch::Contains(needle));
}

TEST_CASE("help shows examples and version the version, both exit 0", "[cli]") {
  auto h = parse({"--help"});
  CHECK_FALSE(h.options);
  CHECK(h.exit_code == 0);
  CHECK_THAT(h.output,
             Catch::Contains("Examples:") && Catch::Contains("lifetrace --follow --json"));
  auto v = parse({"--version"});
  CHECK(v.exit_code == 0);
  CHECK_THAT(v.output, Catch::Contains("lifetrace 0."));
}

TEST_CASE("subcommands", "[cli]") {
  auto l = parse({"list", "--json", "--path.procfs", "/tmp/p"});
  REQUIRE(l.options);
  CHECK(l.options->command == Command::list);
  CHECK(l.options->json);
  CHECK(l.options->procfs == "/tmp/p");
  auto c = parse({"classify", "a.ko", "dir"});
  REQUIRE(c.options);
  CHECK(c.options->command == Command::classify);
  CHECK(c.options->paths == std::vector<std::string>{"a.ko", "dir"});
  CHECK_FALSE(parse({"classify"}).options);
}

TEST_CASE("blame and plot are commands of their own with their flags", "[cli]") {
  auto b = parse({"blame", "--json", "--follow-socket", "/tmp/x.sock"});
  REQUIRE(b.options);
  CHECK(b.options->command == Command::blame);
  CHECK(b.options->json);
  CHECK(b.options->follow_socket == "/tmp/x.sock");
  auto p = parse({"plot"});
  REQUIRE(p.options);
  CHECK(p.options->command == Command::plot);
  CHECK(p.options->plot_format == "svg");
  auto t = parse({"plot", "--format", "trace"});
  REQUIRE(t.options);
  CHECK(t.options->plot_format == "trace");
  auto bad = parse({"plot", "--format", "png"});
  CHECK_FALSE(bad.options);
  CHECK_THAT(bad.output, Catch::Contains("--format"));
  CHECK_FALSE(parse({"blame", "--format", "svg"}).options);
  CHECK_THAT(parse({"--help"}).output,
             Catch::Contains("lifetrace blame") && Catch::Contains("lifetrace plot > boot.svg"));
}
