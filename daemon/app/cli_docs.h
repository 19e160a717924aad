// The manual page and the shell completions, generated from the CLI11 App
// that make_cli() builds (app/cli.h): one source for --help, `man lifetrace`
// and tab completion. Hidden options (empty group) are left out of all three.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace lifetrace {

// roff (man(7)) for section 1: NAME, SYNOPSIS, DESCRIPTION, COMMANDS, OPTIONS
// per command with defaults, EVENTS, EXAMPLES (the --help footer), FILES, SEE ALSO.
std::string man_page(const CLI::App& app);

// `complete -F _lifetrace lifetrace` for bash, and a #compdef file for zsh.
std::string bash_completion(const CLI::App& app);
std::string zsh_completion(const CLI::App& app);

// The words an option's value may take, empty when any value goes
// (--event: the event kinds, --attach: the probe flavours).
std::vector<std::string> value_words(const CLI::Option& opt);

}  // namespace lifetrace
