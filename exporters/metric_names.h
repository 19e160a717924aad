// Every metric lifetrace exports: name, type and HELP text, in one place.
//
// Conventions (Prometheus naming, linted by `promtool check metrics` in the
// unit tests): namespace "lifetrace", base units (seconds), counters end in
// "_total", HELP is one sentence ending with a period, and no label carries a
// pid or a process name. Label values are documented in docs/daemon.md.
#pragma once

namespace lifetrace::metrics {

struct Spec {
  const char* name;
  const char* help;
};

// --- module lifecycle ----------------------------------------------------------------------
// {language, result}; result is live, init_failed or load_failed.
inline constexpr Spec kModuleLoads{
    "lifetrace_module_loads_total",
    "Module loads that finished, by the module's language and by outcome (live, init_failed, "
    "load_failed)."};
// {language}
inline constexpr Spec kModuleUnloads{
    "lifetrace_module_unloads_total",
    "Modules unloaded successfully through delete_module, by language."};
inline constexpr Spec kModuleRequests{
    "lifetrace_module_requests_total",
    "Module loads the kernel asked user space for through request_module."};
// {result}: linked (the modprobe the usermode helper ran for the request was seen starting, so
// the loads it makes carry the request) or expired (none started within the correlator's
// kRequestTtlNs: the kernel's helpers disabled, the probe missing, or the record lost).
inline constexpr Spec kModuleRequestLinks{
    "lifetrace_module_request_links_total",
    "Module requests by whether lifetrace linked them to the modprobe run for them (linked, "
    "expired)."};
// {language}; every init function run, successful or not.
inline constexpr Spec kInitDuration{"lifetrace_module_init_duration_seconds",
                                    "Time the modules' init functions took, by language."};
// {language}; successful loads only, from the load syscall's entry to the module being live.
inline constexpr Spec kLoadDuration{
    "lifetrace_module_load_duration_seconds",
    "Time from the load syscall's entry until the module was live, by language."};
// {language}
inline constexpr Spec kModulesLoaded{"lifetrace_modules_loaded",
                                     "Modules currently loaded, by language."};
// {change}: loaded, unloaded or reloaded; found by the daemon at start against the state it
// saved (--state.file), so a module changed while lifetrace was down is not silently absorbed.
inline constexpr Spec kModulesChangedWhileDown{
    "lifetrace_modules_changed_while_down_total",
    "Modules loaded, unloaded or reloaded while lifetrace was not running, found at its start."};
// {module, language, taints, signed, signer}; signed is true, false or unknown; signer is who
// signed the module's file ("" when unsigned or not read, e.g. loaded before lifetrace started).
inline constexpr Spec kModuleInfo{
    "lifetrace_module_info",
    "Loaded module, with its language, taint letters, signature state and signer as labels; "
    "always 1."};
// {syscall, uid}; syscall is init_module, finit_module or delete_module. Read at scrape time.
inline constexpr Spec kSyscallsDenied{
    "lifetrace_module_syscalls_denied_total",
    "Module load and unload calls the kernel refused at its permission check, by syscall and uid."};
// --- where a load's time went (issue 12, docs/phases.md) -----------------------------------
// {phase}: read, signature, load_module, init, ... (self times: nested phases are not counted
// twice), from the phases on live and load_failed events.
inline constexpr Spec kLoadPhaseDuration{"lifetrace_module_load_phase_duration_seconds",
                                         "Time the steps of module loads took, by phase."};
// {reason}: already_loaded (EEXIST: the module was live) or already_loading (another load of
// it was in flight: EBUSY, or 6.6+'s wait in idempotent_init_module).
inline constexpr Spec kDuplicateLoads{
    "lifetrace_module_duplicate_loads_total",
    "Load calls that loaded nothing because the module was already loaded or being loaded, by "
    "reason."};
// {failed_in}: the step the load failed in (unknown when not known).
inline constexpr Spec kFailedLoadReadBytes{
    "lifetrace_module_failed_load_read_bytes_total",
    "Bytes of module images the kernel read for loads that then failed, by failing step."};

// {module}
inline constexpr Spec kInitLastDuration{
    "lifetrace_module_init_last_duration_seconds",
    "Time the most recent run of this module's init function took."};

// --- what is linked into the kernel (`lifetrace list --builtin`), read once at start ---------
// {language}; unknown where the module's code cannot be located (no modules.builtin.ranges).
inline constexpr Spec kBuiltinModules{
    "lifetrace_builtin_modules",
    "Modules built into the kernel image, by language (modules.builtin and kallsyms)."};
// {crate}; one series per Rust crate with v0 symbols in vmlinux (at most kMaxCrateSeries).
inline constexpr Spec kKernelRustCrate{
    "lifetrace_kernel_rust_crate_info",
    "Rust crate linked into the kernel image, with its name as a label; always 1."};
inline constexpr unsigned kMaxCrateSeries = 256;

// --- health of lifetrace itself ------------------------------------------------------------
// {probe, program}; probe is lifetrace's logical probe, program the BPF program used for it.
inline constexpr Spec kProgramAttached{
    "lifetrace_bpf_program_attached",
    "Whether the BPF program for a probe is attached (1) or not (0)."};
// {event}
inline constexpr Spec kEvents{"lifetrace_events_total",
                              "Lifecycle events lifetrace produced, by event kind."};
// {reason}: the BPF side's reasons (ringbuf_full, ...), undecodable, follow_client_queue_full.
inline constexpr Spec kEventsLost{"lifetrace_events_lost_total",
                                  "Records or events lifetrace could not deliver, by reason."};
// {anomaly}: evicted (an in-flight entry dropped to bound memory: its closing record never
// came), orphan_record (a record about something never seen starting), partial_symbol_table
// (a module classified from part of its symbol table).
inline constexpr Spec kCorrelatorAnomalies{
    "lifetrace_correlator_anomalies_total",
    "Records the correlator could not fit into a lifecycle, or symbol tables it got only in "
    "part, by anomaly."};
inline constexpr Spec kFollowClients{"lifetrace_follow_clients",
                                     "Clients currently connected to the follow socket."};
// {version, libbpf_version, kernel_release}
inline constexpr Spec kBuildInfo{
    "lifetrace_build_info",
    "Version of lifetrace, of the libbpf it runs with and of the running kernel; always 1."};

// {probe, cause}; cause is recursion or kprobe_missed (core/health.h MissCause). Each skipped
// run is an event that never reached the ring buffer, so never counted in kEventsLost.
inline constexpr Spec kProgramMisses{
    "lifetrace_bpf_program_misses_total",
    "Runs of a probe's BPF program the kernel skipped and only counted, by probe and cause."};

// Label values of {reason} in kEventsLost that are not the BPF side's own.
inline constexpr const char* kLostUndecodable = "undecodable";
inline constexpr const char* kLostFollowClientQueue = "follow_client_queue_full";

// Upper bounds of the duration histograms, in seconds: 10 us to 60 s.
inline constexpr double kDurationBuckets[] = {10e-6,  25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3,
                                              2.5e-3, 5e-3,  10e-3, 25e-3,  50e-3,  100e-3, 250e-3,
                                              500e-3, 1.0,   2.5,   5.0,    10.0,   25.0,   60.0};

}  // namespace lifetrace::metrics
