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

#include "kernel_features.h"
#include "lifetrace.h"
#include "probes.h"

namespace lifetrace {

struct TracerOptions {
  AttachMode mode = AttachMode::automatic;
  bool strict = false;                    // any probe that fails to attach is fatal
  std::size_t ringbuf_bytes = 4u << 20;   // power of two, multiple of the page size
  bool walk_symbols = true;               // read module symbol tables at load time
};

struct AttachResult {
  std::string probe;
  std::string program;  // empty when no twin was usable
  std::string flavor;
  bool attached = false;
  bool required = false;
  std::string error;
};

using LostCounters = std::array<std::uint64_t, LT_LOST_MAX>;
std::string_view lost_reason_name(int reason);

// One line per reason that lost records since `reported`, which is then
// brought up to date: "3 records lost (ringbuf_full), 7 in all; HINT: ...".
std::vector<std::string> describe_lost(const LostCounters& now, LostCounters& reported);

// "tracepoint,fentry,fexit,tp_btf": the flavours that did attach, in order.
std::string attached_flavors(const std::vector<AttachResult>& results);

class Tracer {
 public:
  using Sink = std::function<void(std::span<const std::byte>)>;

  // Opens, loads and attaches. Returns a Problem (message + hint) when the
  // programs cannot load, when a required probe cannot attach, or when any
  // probe cannot attach under --strict.
  static std::variant<std::unique_ptr<Tracer>, Problem> start(const KernelFeatures& f,
                                                              const TracerOptions& opts,
                                                              Sink sink);
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  const std::vector<AttachResult>& attach_results() const { return results_; }
  std::size_t attached_count() const;

  // Epoll fd that becomes readable when records are waiting.
  int epoll_fd() const;
  // Delivers every waiting record to the sink; returns how many or -errno.
  int consume();
  // Records the kernel side could not deliver, summed over CPUs.
  LostCounters lost() const;

 private:
  Tracer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<AttachResult> results_;
};

// Routes libbpf's own messages: silent unless verbose, but the last ones are
// kept so a failure can show what libbpf said.
void set_libbpf_verbose(bool verbose);
std::string libbpf_last_messages();

}  // namespace lifetrace
