#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <sstream>

#include "app/cli_docs.h"
#include "version.h"

namespace lifetrace {

namespace {

constexpr const char* kDescription =
    "lifetrace follows every kernel module from the load syscall to the memory being freed\n"
    "(load, init, live, unload, free, failures, kernel-requested loads) and tells which\n"
    "modules are written in Rust, C or both.";

constexpr const char* kExamples = R"(
Examples:
  sudo lifetrace --follow                      one line per lifecycle event
  sudo lifetrace --follow --json               NDJSON, one object per event
  sudo lifetrace --follow --module 'kvm*' --event load_failed --event init_done
  sudo lifetrace --follow -v --no-syscall-tracepoints
                                               the fallback of kernels without syscall
                                               tracepoints, on any kernel; -v shows the probes
  lifetrace --follow                           (as a member of group lifetrace) through the daemon
  lifetrace daemon                             the service: metrics on :9477, follow socket
  lifetrace blame                              the loads since boot, slowest first (from the daemon)
  lifetrace plot > boot.svg                    a timeline of those loads, one row each, by phase
  lifetrace plot --format trace > boot.json    the same for Perfetto's UI (ui.perfetto.dev)
  lifetrace list                               loaded modules with their language
  sudo lifetrace list --builtin                built-in modules and the kernel's Rust crates
  lifetrace classify /lib/modules/$(uname -r)  classify module files offline
  scripts/demo.sh                              no module support here? see it in qemu

Needs: a kernel with CONFIG_MODULES, BTF (/sys/kernel/btf/vmlinux), and root or
       CAP_BPF+CAP_PERFMON for --follow.
)";

std::size_t parse_size(const std::string& s) {
  std::size_t pos = 0;
  unsigned long long v = std::stoull(s, &pos, 10);
  std::string suffix = s.substr(pos);
  if (suffix == "K" || suffix == "KiB" || suffix == "k") {
    v <<= 10;
  } else if (suffix == "M" || suffix == "MiB" || suffix == "m") {
    v <<= 20;
  } else if (!suffix.empty()) {
    throw CLI::ValidationError("--ringbuf-size", "unknown size suffix '" + suffix + "'");
  }
  if (v < 4096 || (v & (v - 1)) != 0) {
    throw CLI::ValidationError("--ringbuf-size",
                               "must be a power of two of at least 4096 bytes, got " + s);
  }
  return static_cast<std::size_t>(v);
}

// The options of every command that loads the BPF programs (--follow and
// daemon), registered once for each of them.
void add_tracing_options(CLI::App& app, Options& o, std::string& attach, std::string& ringbuf) {
  app.add_option("--attach", attach,
                 "Probe flavour: auto, fentry (no fallback) or kprobe (prefer twins)")
      ->check(CLI::IsMember(std::vector<std::string>(kAttachModes.begin(), kAttachModes.end())))
      ->capture_default_str();
  app.add_flag("--no-syscall-tracepoints", o.no_syscall_tracepoints,
               "Follow load and unload syscalls through their entry functions "
               "(fentry, else kprobes), as on kernels without CONFIG_FTRACE_SYSCALLS");
  app.add_flag("--strict", o.strict, "Fail if any probe cannot be attached");
  app.add_option("--ringbuf-size", ringbuf, "BPF ring buffer size, e.g. 4M (power of two)")
      ->capture_default_str();
  app.add_flag("-v,--verbose", o.verbose, "Print libbpf's messages and probe choices");
}

// Where /proc and /sys are (tests point them at fake trees).
void add_path_options(CLI::App& app, Options& o) {
  app.add_option("--path.procfs", o.procfs, "procfs mount point")->capture_default_str();
  app.add_option("--path.sysfs", o.sysfs, "sysfs mount point")->capture_default_str();
}

std::string events_line() {
  std::string line = "Events:";
  for (auto k : kAllEventKinds) line += " " + std::string(to_string(k));
  return line;
}

}  // namespace

std::unique_ptr<CLI::App> make_cli(CliBindings& b) {
  auto app_ptr = std::make_unique<CLI::App>(kDescription, "lifetrace");
  CLI::App& app = *app_ptr;
  app.footer(std::string(kExamples) + events_line() + "\n");
  app.set_version_flag("--version", std::string("lifetrace ") + kVersion);
  app.require_subcommand(0, 1);

  Options& o = b.o;
  bool& follow = b.follow;
  std::vector<std::string>& events = b.events;
  std::string& attach = b.attach;
  std::string& ringbuf = b.ringbuf;

  // Hidden: the manual page and the shell completions, generated from this App
  // at build time (app/cli_docs.h), so they cannot drift from --help.
  app.add_flag("--help-man", b.help_man, "Print the manual page (roff)")->group("");
  app.add_option("--completion", b.completion, "Print the bash or zsh completion script")
      ->check(CLI::IsMember({"bash", "zsh"}))
      ->group("");

  app.add_flag("-f,--follow", follow, "Follow module lifecycle events live until interrupted");
  app.add_flag("--json", o.json, "Print NDJSON, one object per event (with --follow or list)");
  app.add_option("-m,--module", o.module_globs, "Only modules matching this glob (repeatable)");
  app.add_option("-e,--event", events, "Only this event kind (repeatable)");
  add_tracing_options(app, o, attach, ringbuf);
  app.add_flag("--utc", o.utc, "Show times in UTC in human output");
  app.add_option("--follow-socket", o.follow_socket,
                 "The daemon's follow socket; --follow uses it when a daemon listens there")
      ->capture_default_str();
  app.add_flag("--standalone", o.standalone,
               "With --follow: load BPF programs even when a daemon runs (root only)");

  auto* list =
      app.add_subcommand("list", "List loaded modules with language, size, taints and users");
  list->add_flag("--json", o.json, "One JSON object per module");
  list->add_flag("--builtin", o.builtin,
                 "What is linked into the kernel instead: built-in modules with their language, "
                 "and the Rust crates in vmlinux");
  list->add_option("--path.modules", o.module_dir,
                   "Where modules.builtin* are (default /lib/modules/$(uname -r))");
  add_path_options(*list, o);

  auto* classify = app.add_subcommand(
      "classify", "Classify module files (.ko, .ko.xz, .ko.zst, .ko.gz) or directories");
  classify->add_flag("--json", o.json, "One JSON object per file");
  classify->add_option("paths", o.paths, "Files or directories (recursive)")->required();

  auto* blame = app.add_subcommand(
      "blame",
      "The loads the running daemon has seen since it started (at boot: before udev), "
      "slowest first, with language, biggest phases, requester and result");
  blame->add_flag("--json", o.json, "One JSON document");
  blame->add_option("--follow-socket", o.follow_socket, "The daemon's follow socket")
      ->capture_default_str();

  auto* plot = app.add_subcommand(
      "plot",
      "A timeline of the loads the running daemon has seen since it started: an SVG (one row "
      "per load, bars split by phase) or Chrome trace-event JSON for Perfetto's UI");
  plot->add_option("--format", o.plot_format, "svg, or trace (Chrome trace-event JSON)")
      ->check(CLI::IsMember(std::vector<std::string>(kPlotFormats.begin(), kPlotFormats.end())))
      ->capture_default_str();
  plot->add_option("--follow-socket", o.follow_socket, "The daemon's follow socket")
      ->capture_default_str();

  auto* daemon = app.add_subcommand(
      "daemon",
      "Run as a service: Prometheus metrics, a follow socket for `lifetrace --follow`, "
      "journal-friendly logs; SIGTERM stops it");
  daemon
      ->add_option("--web.listen-address", o.listen_address,
                   "Address of the metrics endpoint, host:port or :port (default port 9477); "
                   "empty to serve no metrics")
      ->capture_default_str();
  daemon->add_option("--web.telemetry-path", o.telemetry_path, "Path of the metrics endpoint")
      ->capture_default_str();
  daemon->add_option("--web.config.file", o.web_config_file,
                     "YAML file (exporter-toolkit format) that enables TLS, basic auth and "
                     "response headers on the metrics endpoint (docs/daemon.md)");
  daemon
      ->add_option("--follow-socket", o.follow_socket,
                   "Unix socket for `lifetrace --follow` clients; empty for none")
      ->capture_default_str();
  daemon
      ->add_option("--follow-socket.group", o.follow_group,
                   "Group that may use the follow socket (mode 0660)")
      ->capture_default_str();
  daemon
      ->add_option("--state.file", o.state_file,
                   "File keeping the set of loaded modules, so that modules loaded or removed "
                   "while the daemon was down are reported at its start; empty for none")
      ->capture_default_str();
  add_tracing_options(*daemon, o, attach, ringbuf);
  add_path_options(*daemon, o);
  return app_ptr;
}

ParseResult parse_cli(const std::vector<std::string>& args) {
  CliBindings b;
  auto app_ptr = make_cli(b);
  CLI::App& app = *app_ptr;
  Options& o = b.o;
  const bool& follow = b.follow;
  const auto& events = b.events;
  const auto& attach = b.attach;
  const auto& ringbuf = b.ringbuf;
  auto* list = app.get_subcommand("list");
  auto* classify = app.get_subcommand("classify");
  auto* daemon = app.get_subcommand("daemon");
  auto* blame = app.get_subcommand("blame");
  auto* plot = app.get_subcommand("plot");

  ParseResult r;
  std::vector<std::string> argv_rev(args.rbegin(), args.rend());
  try {
    app.parse(argv_rev);
    if (b.help_man) {
      r.output = man_page(app);
      return r;
    }
    if (!b.completion.empty()) {
      r.output = b.completion == "bash" ? bash_completion(app) : zsh_completion(app);
      return r;
    }
    if (*list) {
      o.command = Command::list;
    } else if (*classify) {
      o.command = Command::classify;
    } else if (*blame) {
      o.command = Command::blame;
    } else if (*plot) {
      o.command = Command::plot;
    } else if (*daemon) {
      o.command = Command::daemon;
      if (!o.telemetry_path.empty() && o.telemetry_path.front() != '/') {
        throw CLI::ValidationError("--web.telemetry-path", "must start with '/'");
      }
    } else if (follow) {
      o.command = Command::follow;
    } else {
      r.exit_code = 2;
      r.output =
          app.help() + "\nlifetrace: nothing to do: give --follow, list, classify, blame or plot\n";
      return r;
    }
    for (const auto& e : events) {
      auto k = event_kind_from_string(e);
      if (!k) throw CLI::ValidationError("--event", "unknown event '" + e + "'");
      o.events.insert(*k);
    }
    o.attach = *attach_mode_from_string(attach);
    o.ringbuf_bytes = parse_size(ringbuf);
    if (o.command != Command::follow && (!o.module_globs.empty() || !o.events.empty())) {
      throw CLI::ValidationError("--module/--event", "only apply to --follow");
    }
  } catch (const CLI::ParseError& e) {
    std::ostringstream out, err;
    r.exit_code = app.exit(e, out, err);
    r.output = out.str() + err.str();
    if (r.exit_code != 0 && r.output.find("--help") == std::string::npos) {
      r.output += "Run with --help for usage.\n";
    }
    return r;
  } catch (const std::exception& e) {
    r.exit_code = 2;
    r.output = std::string("lifetrace: ") + e.what() + "\nRun with --help for usage.\n";
    return r;
  }
  r.options = std::move(o);
  return r;
}

}  // namespace lifetrace
