// Loads lifetrace's BPF programs, attaches them and drains the ring buffer.
// Every libbpf object is owned here (RAII); destruction detaches everything.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
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

struct TracerOptions {
  AttachMode mode = AttachMode::automatic;
  bool strict = false;  // any probe that fails to attach is fatal
  SyscallTracepoints syscall_tracepoints = SyscallTracepoints::use;
  std::size_t ringbuf_bytes = 1u << 20;  // power of two, multiple of the page size
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
  std::unique_ptr<Impl> impl_;
  std::vector<AttachResult> results_;
  std::vector<std::string> warnings_;
  std::vector<std::string> notes_;
};

// Routes libbpf's own messages: silent unless verbose, but the last ones are
// kept so a failure can show what libbpf said.
void set_libbpf_verbose(bool verbose);
std::string libbpf_last_messages();

}  // namespace lifetrace
