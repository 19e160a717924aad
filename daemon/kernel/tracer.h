// Loads lifetrace's BPF programs, attaches them and drains the ring buffer.
// Every libbpf object is owned here (RAII); destruction detaches everything.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/health.h"
#include "core/problem.h"
#include "kernel/kernel_features.h"
#include "kernel/phases.h"
#include "kernel/probes.h"

namespace lifetrace {

// The lifecycle ring buffer's default size (--ringbuf-size). Mapped twice (the kernel maps
// its data pages twice so records never wrap): 1 MB resident at 512 KiB. It holds about 120
// symbol batches (4 KiB each) in flight, twice the symbols of drm's walk (205 KB); what does
// not fit is counted (ringbuf_full) and a larger size keeps up with bigger bursts.
inline constexpr std::size_t kDefaultRingbufBytes = std::size_t{512} << 10;

struct TracerOptions {
  AttachMode mode = AttachMode::automatic;
  bool strict = false;  // any probe that fails to attach is fatal
  SyscallTracepoints syscall_tracepoints = SyscallTracepoints::use;
  std::size_t ringbuf_bytes = kDefaultRingbufBytes;  // power of two, multiple of the page size
};

class Tracer {
 public:
  using Sink = std::function<void(std::span<const std::byte>)>;

  // Opens, loads and attaches. Returns a Problem (message + hint) when the
  // programs cannot load, when a required probe cannot attach, or when any
  // probe cannot attach under --strict.
  static std::variant<std::unique_ptr<Tracer>, Problem> start(const KernelFeatures& f,
                                                              const TracerOptions& opts, Sink sink);
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  const std::vector<AttachResult>& attach_results() const { return results_; }
  // Things that went wrong on the way but did not stop the start (a program
  // the verifier rejected, replaced by its twin).
  const std::vector<std::string>& warnings() const { return warnings_; }
  // What -v should say about the start: features this kernel cannot have (phases on 5.10).
  const std::vector<std::string>& notes() const { return notes_; }

  // Epoll fd that becomes readable when records are waiting (lifecycle
  // records and denied-attempt reports, which have a ring buffer of their own).
  int epoll_fd() const;
  // Delivers every waiting record to the sink; returns how many or -errno.
  int consume();
  // Records the kernel side could not deliver, summed over CPUs.
  LostCounters lost() const;
  // Every denied load/unload attempt so far, per uid and syscall.
  DeniedCounts denied() const;
  // Runs of attached programs the kernel skipped, one entry per probe and cause the
  // kernel counts (recursion_misses: 5.12+ for fentry/fexit, 6.7+ also for tracepoint
  // and kprobe programs; kprobe_missed: 6.7+ perf links). Zero counts are included.
  std::vector<ProgramMisses> program_misses() const;

 private:
  Tracer();
  struct Impl;
  static AttachResult attach_phases(Impl& im, const PhaseChoice& c);
  // Closes the skeleton once everything is attached, keeping what is read later (the ring
  // buffers, the lost and denied maps, the attached programs) by descriptors of their own;
  // false if those could not be duplicated.
  static bool release_object(Impl& im);
  // Attaches every chosen program, a result per probe in `results`; returns the fentry and
  // fexit programs that would not attach.
  static std::vector<AttachRefusal> attach_chosen(Impl& im, const std::vector<ProbeChoice>& choices,
                                                  std::vector<AttachResult>& results);
  static std::string load_cost_note(Impl& im, std::uint64_t begin_ns, std::uint64_t end_ns);
  std::unique_ptr<Impl> impl_;
  std::vector<AttachResult> results_;
  std::vector<std::string> warnings_;
  std::vector<std::string> notes_;
};

// What one program cost the start: the kernel stamps each program when its load begins
// (bpf_prog_info.load_time, boot-time ns, taken before the verifier runs), so the gap to the
// next program's stamp is this one's verification and load (plus libbpf's few microseconds
// in between); the last one's ends when the load call returned.
struct ProgramLoadCost {
  std::string program;
  std::uint64_t load_time_ns = 0;    // boot time at which its load began
  std::uint32_t verified_insns = 0;  // instructions the verifier walked (5.16+; 0 before)
  std::uint64_t duration_ns = 0;     // filled by program_load_costs()
};
// Orders `progs` by load_time_ns and fills each duration_ns up to the next one's start, the
// last one's up to `end_ns` (0 when the clock went backwards or a stamp is missing).
std::vector<ProgramLoadCost> program_load_costs(std::vector<ProgramLoadCost> progs,
                                                std::uint64_t end_ns);
// One -v line: "load: the kernel loaded 15 programs in 298 ms of the load call's 503 ms:
// do_init_module_fentry 69 ms (23%, 3145 insns), ...", slowest first.
std::string format_load_costs(const std::vector<ProgramLoadCost>& costs, std::uint64_t total_ns);

// Routes libbpf's own messages: silent unless verbose, but the last ones are
// kept so a failure can show what libbpf said.
void set_libbpf_verbose(bool verbose);
std::string libbpf_last_messages();

}  // namespace lifetrace
