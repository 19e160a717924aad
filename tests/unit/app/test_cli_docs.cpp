// The manual page and the completions are generated from the App that parses
// the command line (app/cli_docs.h): every option CLI11 knows must be in them.
#include <catch2/catch.hpp>

#include "app/cli.h"
#include "app/cli_docs.h"

using namespace lifetrace;

namespace {

// "--web.listen-address" as roff writes it.
std::string roff_name(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '-' ? std::string("\\-") : std::string(1, c);
  return out;
}

std::vector<const CLI::App*> commands(const CLI::App& app) {
  std::vector<const CLI::App*> all{&app};
  for (const auto* s : app.get_subcommands([](const CLI::App*) { return true; })) all.push_back(s);
  return all;
}

}  // namespace

TEST_CASE("the manual page and the completions name every visible option", "[cli][docs]") {
  CliBindings b;
  const auto app = make_cli(b);
  const std::string man = man_page(*app);
  const std::string bash = bash_completion(*app);
  const std::string zsh = zsh_completion(*app);
  for (const auto* cmd : commands(*app)) {
    CHECK(man.find(".SS \"lifetrace " + (cmd == app.get() ? std::string("[\\-\\-follow]")
                                                          : cmd->get_name())) != std::string::npos);
    for (const auto* o : cmd->get_options()) {
      if (o->get_group().empty() || o->get_positional()) continue;
      for (const auto& l : o->get_lnames()) {
        CAPTURE(cmd->get_name(), l);
        CHECK(man.find(roff_name("--" + l)) != std::string::npos);
        CHECK(bash.find("--" + l) != std::string::npos);
        CHECK(zsh.find("--" + l) != std::string::npos);
      }
    }
  }
  for (auto k : kAllEventKinds) {
    CHECK(man.find(".B " + std::string(to_string(k))) != std::string::npos);
    CHECK(bash.find(std::string(to_string(k))) != std::string::npos);
  }
  // Hidden options stay hidden.
  CHECK(man.find("help\\-man") == std::string::npos);
  CHECK(bash.find("--help-man") == std::string::npos);
  CHECK(zsh.find("--help-man") == std::string::npos);
}

TEST_CASE("the hidden --help-man and --completion print the generated text", "[cli][docs]") {
  auto r = parse_cli({"--help-man"});
  CHECK_FALSE(r.options);
  CHECK(r.exit_code == 0);
  CHECK(r.output.rfind(".TH LIFETRACE 1", 0) == 0);
  r = parse_cli({"--completion", "bash"});
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("complete -F _lifetrace lifetrace") != std::string::npos);
  r = parse_cli({"--completion", "zsh"});
  CHECK(r.output.rfind("#compdef lifetrace", 0) == 0);
  r = parse_cli({"--completion", "fish"});
  CHECK(r.exit_code != 0);
}

TEST_CASE("--help lists every event kind", "[cli][docs]") {
  const auto r = parse_cli({"--help"});
  for (auto k : kAllEventKinds)
    CHECK(r.output.find(std::string(to_string(k))) != std::string::npos);
}
