// lifetrace's own messages on a terminal and in the journal.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "output/log.h"

using namespace lifetrace;

namespace {

// What `write` printed through a logger on a memory stream.
std::string captured(const std::function<void(std::FILE*)>& write) {
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  write(f);
  std::fclose(f);
  std::string out(buf, len);
  std::free(buf);
  return out;
}

}  // namespace

TEST_CASE("journal lines carry sd-daemon priority prefixes", "[log]") {
  const std::string out = captured([](std::FILE* f) {
    JournalLogger log(f);
    log.warning("probe x not attached");
    log.info("ready");
    log.problem({"cannot bind", "choose another port"});
  });
  CHECK(out ==
        "<4>lifetrace: warning: probe x not attached\n"
        "<6>lifetrace: ready\n"
        "<3>lifetrace: error: cannot bind\n"
        "<3>lifetrace: HINT: choose another port\n");
}

TEST_CASE("nothing in a message can start a journal entry of its own", "[log]") {
  const std::string out = captured([](std::FILE* f) {
    JournalLogger log(f);
    log.info("event: params=\"a\n<0>forged\r\x1b[2J\"");
  });
  CHECK(out == "<6>lifetrace: event: params=\"a\\x0A<0>forged\\x0D\\x1B[2J\"\n");
}

TEST_CASE("on a terminal: level words, HINT lines, debug only when verbose", "[log]") {
  const auto run = [](bool verbose) {
    return captured([verbose](std::FILE* f) {
      TerminalLogger log(f, verbose);
      log.debug("probe x: fentry");
      log.warning("escape \x1b[31m");
      log.problem({"no module support\nat all", "use another kernel"});
    });
  };
  CHECK(run(false) ==
        "lifetrace: warning: escape \\x1B[31m\n"
        "lifetrace: error: no module support\nat all\n"
        "HINT: use another kernel\n");
  CHECK(run(true).rfind("lifetrace: probe x: fentry\n", 0) == 0);
}
