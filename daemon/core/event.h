// The user-visible lifecycle events lifetrace reports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "classify/classify.h"

namespace lifetrace {

enum class EventKind {
  load_start,          // init_module/finit_module entered
  init_start,          // module laid out, do_init_module() about to run its init
  init_done,           // the module's init function returned
  live,                // do_init_module() returned 0
  load_failed,         // the load syscall failed (before init, or in init)
  unload_start,        // delete_module entered
  unload_done,         // delete_module returned
  freed,               // free_module(): the module's memory is released
  request,             // the kernel asked for a module (request_module)
  denied,              // load/unload syscalls refused at the permission check (rate-limited)
  changed_while_down,  // daemon start: a module loaded, unloaded or reloaded since it last ran
};
inline constexpr EventKind kAllEventKinds[] = {
    EventKind::load_start,  EventKind::init_start,   EventKind::init_done,         EventKind::live,
    EventKind::load_failed, EventKind::unload_start, EventKind::unload_done,       EventKind::freed,
    EventKind::request,     EventKind::denied,       EventKind::changed_while_down};

std::string_view to_string(EventKind k);
std::optional<EventKind> event_kind_from_string(std::string_view s);

enum class Stage { before_init, init };
std::string_view to_string(Stage s);
std::optional<Stage> stage_from_string(std::string_view s);

// One step of a load, timed in the kernel (issue 12): "read", "decompress",
// "signature", "layout", "symbols", ..., in the order the kernel ran them.
struct Phase {
  std::string name;
  std::uint64_t ns = 0;
  bool operator==(const Phase&) const = default;
};
using Phases = std::vector<Phase>;

struct Event {
  EventKind kind = EventKind::load_start;
  std::uint64_t mono_ns = 0;  // CLOCK_MONOTONIC of the kernel record
  std::string module;         // empty when not knowable (see docs)
  std::uint64_t module_addr = 0;
  std::uint32_t pid = 0;
  std::uint32_t tid = 0;
  std::uint32_t uid = 0;
  std::uint64_t cgroup_id = 0;
  std::string comm;
  classify::Language language = classify::Language::unknown;

  std::optional<std::int64_t> ret;
  std::optional<Stage> stage;
  std::optional<std::uint64_t> init_ns;
  std::optional<std::uint64_t> load_ns;
  std::optional<std::uint64_t> exit_ns;
  std::optional<std::uint64_t> lifetime_ns;
  std::optional<std::string> taints;  // letters, as in /proc/modules ("" = none)
  std::optional<bool> sig_ok;         // absent when the kernel has no signing
  std::optional<std::uint64_t> size_bytes;
  std::optional<std::string> params;
  std::optional<bool> params_truncated;
  std::optional<std::string> syscall;  // "init_module", "finit_module" ("delete_module": denied)
  std::optional<std::string> file;     // finit_module's file (basename)
  std::optional<std::uint32_t> flags;  // finit_module or delete_module flags
  std::optional<bool> forced;          // delete_module with O_TRUNC
  std::optional<bool> wait;            // request: caller waits for the load
  std::optional<std::string> init_symbol;
  std::optional<std::uint64_t> attempts;  // denied: refused calls since the last denied event
  std::optional<std::string> change;      // changed_while_down: "loaded", "unloaded", "reloaded"
  std::optional<classify::Result> classification;  // init_start only
  // live only, from the module's file (classify/provenance.h), when it can be read:
  std::optional<std::string> module_file;    // the file modules.dep names for the module
  std::optional<std::string> sha256;         // of that file
  std::optional<std::string> rustc_version;  // .comment "rustc version X"
  std::optional<bool> intree;                // .modinfo intree=Y
  std::optional<std::string> signer;         // the appended signature's signer (issuer CN)
  std::optional<std::string> sig_key;        // its key id
  std::optional<std::string> sig_hashalgo;   // its hash algorithm
  // live and load_failed: where the load's time went (docs/phases.md)
  std::optional<Phases> phases;             // ordered; their sum never exceeds load_ns
  std::optional<double> phase_coverage;     // sum of phases / load_ns, 0..1
  std::optional<std::string> failed_in;     // load_failed: the step that failed ("read",
                                            // "signature", "already_loaded", "init", ...)
  std::optional<std::uint64_t> read_bytes;  // load_start..live/load_failed: image bytes the
                                            // kernel read (wasted when the load failed)
  // The kernel asked for the module (request_module): set on the request event and on
  // every event of the loads it triggered through modprobe.
  std::optional<std::uint64_t> request_id;     // one per request event, from 1
  std::optional<std::string> requested_name;   // what the kernel asked for ("fs-minix")
  std::optional<std::uint32_t> requester_pid;  // the task whose action asked for it
  std::optional<std::string> requester_comm;
  bool via_kprobe = false;  // produced by a kprobe/raw_tp twin
};

// Every optional field of Event with its JSON key, in one list: the JSON
// codec (output/event_json.cpp) walks it in both directions, so a new
// optional field is added here, in the struct above, and nowhere else.
// `f(key, member)` is called with each std::optional member of `e`.
template <typename E, typename F>
void for_each_optional_field(E& e, F&& f) {
  f("ret", e.ret);
  f("stage", e.stage);
  f("init_ns", e.init_ns);
  f("load_ns", e.load_ns);
  f("exit_ns", e.exit_ns);
  f("lifetime_ns", e.lifetime_ns);
  f("taints", e.taints);
  f("signed", e.sig_ok);
  f("size_bytes", e.size_bytes);
  f("params", e.params);
  f("params_truncated", e.params_truncated);
  f("syscall", e.syscall);
  f("file", e.file);
  f("flags", e.flags);
  f("forced", e.forced);
  f("wait", e.wait);
  f("init_symbol", e.init_symbol);
  f("attempts", e.attempts);
  f("change", e.change);
  f("module_file", e.module_file);
  f("sha256", e.sha256);
  f("rustc_version", e.rustc_version);
  f("intree", e.intree);
  f("signer", e.signer);
  f("sig_key", e.sig_key);
  f("sig_hashalgo", e.sig_hashalgo);
  f("phases", e.phases);
  f("phase_coverage", e.phase_coverage);
  f("failed_in", e.failed_in);
  f("read_bytes", e.read_bytes);
  f("request_id", e.request_id);
  f("requested_name", e.requested_name);
  f("requester_pid", e.requester_pid);
  f("requester_comm", e.requester_comm);
}

// Kernel taint bits that apply to modules, as letters (kernel/panic.c).
std::string module_taint_letters(std::uint64_t taints);

// "EEXIST" for -17 or 17; "E<n>" when unknown.
std::string errno_name(std::int64_t ret);

// "init_module", "finit_module" or "delete_module" for enum lt_load_syscall.
std::string syscall_name(std::uint32_t lt_syscall);

// "kvm-intel.ko.xz" -> "kvm_intel": what modprobe calls the module
// (classify::module_name_of_path(), the rule modules.dep is read with).
std::string module_name_from_file(std::string_view file);

}  // namespace lifetrace
