// Command-line parsing for the single `lifetrace` binary.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/event.h"
#include "kernel/probes.h"
#include "kernel/tracer.h"

namespace lifetrace {

enum class Command { follow, list, classify, daemon, blame, plot, help_only };

struct Options {
  Command command = Command::help_only;
  bool json = false;
  bool verbose = false;
  bool utc = false;
  bool strict = false;
  AttachMode attach = AttachMode::automatic;
  bool no_syscall_tracepoints = false;  // follow load/unload through the syscall functions
  std::size_t ringbuf_bytes = kDefaultRingbufBytes;
  std::vector<std::string> module_globs;
  std::set<EventKind> events;      // empty = all
  std::vector<std::string> paths;  // classify
  bool builtin = false;            // list --builtin
  std::string module_dir;          // list --path.modules; "" = /lib/modules/$(uname -r)
  std::string procfs = "/proc";
  std::string sysfs = "/sys";
  // Daemon mode and the follow socket (docs/daemon.md).
  std::string listen_address = ":9477";  // --web.listen-address; "" = no exporter
  std::string telemetry_path = "/metrics";
  std::string web_config_file;  // --web.config.file: TLS, basic auth, headers; "" = none
  std::string follow_socket = "/run/lifetrace/follow.sock";  // "" = none
  std::string follow_group = "lifetrace";
  // The loaded modules the daemon saw last, to report changes made while it
  // was down (service/module_state.h); "" = keep none.
  std::string state_file = "/var/lib/lifetrace/modules.state";
  bool standalone = false;          // --follow: load BPF even if a daemon runs
  std::string plot_format = "svg";  // plot --format: svg or trace
};

struct ParseResult {
  std::optional<Options> options;  // nullopt: exit with `exit_code`
  int exit_code = 0;
  std::string output;  // --help/--version text or the error message
};

// What the command line is parsed into, before validation.
struct CliBindings {
  Options o;
  bool follow = false;
  std::vector<std::string> events;
  std::string attach = "auto";
  std::string ringbuf = std::to_string(kDefaultRingbufBytes >> 10) + "K";
  bool help_man = false;   // hidden --help-man
  std::string completion;  // hidden --completion bash|zsh
};

inline constexpr std::array<const char*, 3> kAttachModes = {"auto", "fentry", "kprobe"};
inline constexpr std::array<const char*, 2> kPlotFormats = {"svg", "trace"};

// The one CLI11 App: every flag, subcommand and help text. parse_cli, the
// manual page and the shell completions (app/cli_docs.h) are all built from it.
std::unique_ptr<CLI::App> make_cli(CliBindings& b);

ParseResult parse_cli(const std::vector<std::string>& args);

}  // namespace lifetrace
