#include "kernel/tracer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <set>

#include "core/phases.h"
#include "kernel/phases.h"
#include "lifetrace_bpf.skel.h"
#include "util/fd.h"
#include "util/text.h"

namespace lifetrace {

namespace {

bool g_verbose = false;
std::mutex g_log_mu;
std::deque<std::string> g_log;

int libbpf_print(enum libbpf_print_level, const char* fmt, va_list args) {
  // Verifier logs arrive as one long message: size it, don't cut it.
  va_list copy;
  va_copy(copy, args);
  const int n = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  if (n <= 0) return 0;
  std::string msg(static_cast<std::size_t>(n) + 1, '\0');
  std::vsnprintf(msg.data(), msg.size(), fmt, args);
  msg.resize(static_cast<std::size_t>(n));
  if (g_verbose) std::fprintf(stderr, "libbpf: %s", msg.c_str());
  std::lock_guard lock(g_log_mu);
  g_log.push_back(std::move(msg));
  if (g_log.size() > 40) g_log.pop_front();
  return 0;
}

struct SkelDeleter {
  void operator()(struct lifetrace_bpf* s) const { lifetrace_bpf__destroy(s); }
};
struct LinkDeleter {
  void operator()(bpf_link* l) const { bpf_link__destroy(l); }
};
struct RingDeleter {
  void operator()(ring_buffer* r) const { ring_buffer__free(r); }
};

// struct bpf_link_info as far as its perf_event kprobe member (6.7+, "missed"), which the
// uapi headers we build against (6.1) do not have yet. The kernel copies no more than the
// size we pass and zero-fills what it does not know.
struct PerfLinkInfo {
  std::uint32_t type;
  std::uint32_t id;
  std::uint32_t prog_id;
  std::uint32_t pad0;
  std::uint32_t perf_type;  // enum bpf_perf_event_type
  std::uint32_t pad1;
  std::uint64_t func_name;
  std::uint32_t name_len;
  std::uint32_t offset;
  std::uint64_t addr;
  std::uint64_t missed;
  std::uint64_t cookie;
};
static_assert(sizeof(PerfLinkInfo) == 64);
constexpr std::uint32_t kLinkTypePerfEvent = 7;   // BPF_LINK_TYPE_PERF_EVENT
constexpr std::uint32_t kPerfEventKprobe = 3;     // BPF_PERF_EVENT_KPROBE
constexpr std::uint32_t kPerfEventKretprobe = 4;  // BPF_PERF_EVENT_KRETPROBE

std::uint64_t boottime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// The BPF object embedded in the binary is read only by open and load: once loaded, its
// pages (read-only, backed by the executable) are dropped from the resident set, as they
// would be under memory pressure; nothing reads them again.
void drop_object_pages() {
  std::size_t size = 0;
  const auto begin = reinterpret_cast<std::uintptr_t>(lifetrace_bpf__elf_bytes(&size));
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const std::uintptr_t first = (begin + page - 1) & ~(page - 1);  // whole pages only
  const std::uintptr_t last = (begin + size) & ~(page - 1);
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

std::string errstr(int err) {
  if (err < 0) err = -err;
  if (err == kEnotsupp) return "not supported by this kernel (ENOTSUPP, 524)";
  return std::string(std::strerror(err)) + " (" + std::to_string(err) + ")";
}

}  // namespace

std::vector<ProgramLoadCost> program_load_costs(std::vector<ProgramLoadCost> progs,
                                                std::uint64_t end_ns) {
  std::stable_sort(progs.begin(), progs.end(),
                   [](const auto& a, const auto& b) { return a.load_time_ns < b.load_time_ns; });
  for (std::size_t i = 0; i < progs.size(); ++i) {
    const std::uint64_t from = progs[i].load_time_ns;
    const std::uint64_t to = i + 1 < progs.size() ? progs[i + 1].load_time_ns : end_ns;
    progs[i].duration_ns = from != 0 && to > from ? to - from : 0;
  }
  return progs;
}

std::string format_load_costs(const std::vector<ProgramLoadCost>& costs, std::uint64_t total_ns) {
  std::vector<const ProgramLoadCost*> order;
  std::uint64_t sum = 0;
  for (const auto& c : costs) {
    order.push_back(&c);
    sum += c.duration_ns;
  }
  std::stable_sort(order.begin(), order.end(),
                   [](auto* a, auto* b) { return a->duration_ns > b->duration_ns; });
  std::string out = "load: the kernel loaded " + std::to_string(costs.size()) + " programs in " +
                    util::format_ms(sum) + " of the load call's " + util::format_ms(total_ns) + ":";
  const char* sep = " ";
  for (const auto* c : order) {
    out += sep + c->program + " " + util::format_ms(c->duration_ns);
    if (sum > 0) out += " (" + std::to_string(c->duration_ns * 100 / sum) + "%";
    if (c->verified_insns > 0)
      out += std::string(sum > 0 ? ", " : " (") + std::to_string(c->verified_insns) + " insns";
    if (sum > 0 || c->verified_insns > 0) out += ")";
    sep = ", ";
  }
  return out;
}

void set_libbpf_verbose(bool verbose) {
  g_verbose = verbose;
  libbpf_set_print(libbpf_print);
}

std::string libbpf_last_messages() {
  std::lock_guard lock(g_log_mu);
  std::string out;
  for (const auto& l : g_log) out += "  " + l;
  return out;
}

struct Tracer::Impl {
  std::unique_ptr<struct lifetrace_bpf, SkelDeleter> skel;
  // Links are destroyed before the ring buffer and the skeleton (declared
  // after them, destroyed first).
  std::unique_ptr<ring_buffer, RingDeleter> rb;
  std::vector<std::unique_ptr<bpf_link, LinkDeleter>> links;
  Sink sink;
  // Once started, the ring buffers, the maps read at scrape time and the attached programs,
  // by descriptors of their own: the skeleton (libbpf's copy of the object: every program's
  // instructions, its BTF and line info, a few hundred KB of heap) is closed then
  // (release_object()).
  util::Fd events_fd, denied_events_fd, lost_fd, denied_fd;
  std::vector<util::Fd> prog_fds;
  // Attached programs, for their miss counters (prog_fd: the skeleton's, then prog_fds').
  struct Attached {
    std::string probe, program;
    Flavor flavor;
    int prog_fd;
    int link_fd;
  };
  std::vector<Attached> attached;

  static int on_record(void* ctx, void* data, size_t size) {
    auto* self = static_cast<Impl*>(ctx);
    self->sink(std::span<const std::byte>(static_cast<const std::byte*>(data), size));
    return 0;
  }
};

Tracer::Tracer() : impl_(std::make_unique<Impl>()) {}

Tracer::~Tracer() {
  if (!impl_) return;
  impl_->links.clear();  // detach first: no new records while tearing down
  impl_->rb.reset();
  impl_->skel.reset();
}

int Tracer::epoll_fd() const { return ring_buffer__epoll_fd(impl_->rb.get()); }

int Tracer::consume() { return ring_buffer__consume(impl_->rb.get()); }

LostCounters Tracer::lost() const {
  LostCounters out{};
  const int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return out;
  std::vector<std::uint64_t> values(static_cast<std::size_t>(ncpu));
  const int fd = impl_->lost_fd.get();
  for (std::uint32_t k = 0; k < LT_LOST_MAX; ++k) {
    if (bpf_map_lookup_elem(fd, &k, values.data()) != 0) continue;
    for (auto v : values) out[k] += v;
  }
  return out;
}

DeniedCounts Tracer::denied() const {
  DeniedCounts out;
  const int fd = impl_->denied_fd.get();
  lt_denied_key key{}, next{};
  const lt_denied_key* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    lt_denied_count c{};
    if (bpf_map_lookup_elem(fd, &next, &c) == 0)
      out.push_back({next.uid, next.syscall, c.attempts});
    key = next;
    prev = &key;
  }
  return out;
}

std::vector<ProgramMisses> Tracer::program_misses() const {
  std::vector<ProgramMisses> out;
  for (const auto& a : impl_->attached) {
    bpf_prog_info info{};
    std::uint32_t len = sizeof(info);
    // recursion_misses is in bpf_prog_info since 5.12: older kernels return a shorter info.
    if (bpf_obj_get_info_by_fd(a.prog_fd, &info, &len) == 0 &&
        len >= offsetof(bpf_prog_info, recursion_misses) + sizeof(info.recursion_misses)) {
      out.push_back({a.probe, a.program, MissCause::recursion, info.recursion_misses});
    }
    if (a.flavor != Flavor::kprobe && a.flavor != Flavor::kretprobe) continue;
    PerfLinkInfo link{};
    len = sizeof(link);
    // Before 6.7 a perf link reports no kprobe details (perf_type stays 0); before 5.15
    // libbpf attaches kprobes without a BPF link at all and the call fails.
    if (a.link_fd >= 0 && bpf_obj_get_info_by_fd(a.link_fd, &link, &len) == 0 &&
        link.type == kLinkTypePerfEvent &&
        (link.perf_type == kPerfEventKprobe || link.perf_type == kPerfEventKretprobe) &&
        len >= offsetof(PerfLinkInfo, missed) + sizeof(link.missed)) {
      out.push_back({a.probe, a.program, MissCause::kprobe_missed, link.missed});
    }
  }
  return out;
}

// Where the load call's time went, for -v: libbpf's own part before the first program (vmlinux
// BTF, CO-RE relocations, maps), then each program's verification.
std::string Tracer::load_cost_note(Impl& im, std::uint64_t begin_ns, std::uint64_t end_ns) {
  std::vector<ProgramLoadCost> progs;
  bpf_program* p = nullptr;
  bpf_object__for_each_program(p, im.skel->obj) {
    if (!bpf_program__autoload(p) || bpf_program__fd(p) < 0) continue;
    bpf_prog_info info{};
    std::uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) != 0) continue;
    ProgramLoadCost c;
    c.program = bpf_program__name(p);
    c.load_time_ns = info.load_time;
    // verified_insns is in bpf_prog_info since 5.16: older kernels return a shorter info.
    if (len >= offsetof(bpf_prog_info, verified_insns) + sizeof(info.verified_insns))
      c.verified_insns = info.verified_insns;
    progs.push_back(std::move(c));
  }
  progs = program_load_costs(std::move(progs), end_ns);
  std::string note = format_load_costs(progs, end_ns - begin_ns);
  if (!progs.empty() && progs.front().load_time_ns > begin_ns)
    note += "; before the first program, libbpf's preparation (vmlinux BTF, CO-RE, maps): " +
            util::format_ms(progs.front().load_time_ns - begin_ns);
  return note;
}

// The phase programs on every chosen function: the kprobe and the kretprobe each carry the
// phase's cookie. One result for them all (probe "load_phases"); a function that does not
// attach (a kprobe-blacklisted one, say) only narrows what the phases show. Turned on in the
// BPF side (phase_config) only once something is attached.
//
// Where the kernel has kprobe.multi links, all the functions go into one pair of them: each
// link costs one walk of the kernel's symbols, where a kprobe per function made attaching
// the phases 1-2 s of the start on 7.2 under TCG (-v "attach:": 63 links in 1066 ms, 15 in
// 420 ms with the pair). A kprobe.multi link fails as a whole when one of its functions is
// not in kallsyms under its BTF name (6.12: module_patient_check_exists, renamed .isra.0;
// ESRCH), and the link does not say which: then every function gets its own kprobe pair, as
// without kprobe.multi. Splitting the group to find the culprit cost a symbol walk per try
// and made 6.12's attach slower than no kprobe.multi at all.
AttachResult Tracer::attach_phases(Impl& im, const PhaseChoice& c) {
  AttachResult r;
  r.probe = "load_phases";
  r.required = false;
  r.flavor = std::string(to_string(Flavor::kprobe));
  r.program = std::string(kPhaseEnterProgram) + "+" + kPhaseExitProgram;
  std::set<std::uint32_t> shown;
  std::string failed, functions, multi_failed;
  const auto attached = [&](const PhaseTarget& t) {
    shown.insert(t.phase);
    functions += (functions.empty() ? "" : " ") + phase_name(t.phase) + "=" + t.function;
  };
  // Both links or neither: an entry without its exit would leave its phase open on the
  // stack and charge the rest of the load to it.
  using Pair = std::vector<std::unique_ptr<bpf_link, LinkDeleter>>;
  const auto keep = [&](Pair& pair) {
    for (auto& l : pair) im.links.push_back(std::move(l));
  };
  // Every target in one kprobe.multi and one kretprobe.multi link, or false.
  const auto attach_multi = [&] {
    std::vector<const char*> syms;
    std::vector<__u64> cookies;
    for (const auto& t : c.targets) {
      syms.push_back(t.function.c_str());
      cookies.push_back(t.cookie);
    }
    Pair pair;
    for (bool ret : {false, true}) {
      LIBBPF_OPTS(bpf_kprobe_multi_opts, mo, .syms = syms.data(), .cookies = cookies.data(),
                  .cnt = syms.size(), .retprobe = ret);
      bpf_program* p =
          ret ? im.skel->progs.load_phase_exit_multi : im.skel->progs.load_phase_enter_multi;
      bpf_link* link = bpf_program__attach_kprobe_multi_opts(p, nullptr, &mo);
      if (!link) {
        multi_failed = std::string(ret ? "kretprobe" : "kprobe") + ".multi: " + errstr(errno);
        return false;
      }
      pair.emplace_back(link);
    }
    keep(pair);
    for (const auto& t : c.targets) attached(t);
    return true;
  };
  const bool multi_attached = c.multi && attach_multi();
  if (multi_attached) {
    r.flavor = "kprobe_multi";
    r.program = std::string(kPhaseEnterMultiProgram) + "+" + kPhaseExitMultiProgram;
  } else {
    for (const auto& t : c.targets) {
      Pair pair;
      for (bool ret : {false, true}) {
        LIBBPF_OPTS(bpf_kprobe_opts, ko, .bpf_cookie = t.cookie, .retprobe = ret);
        bpf_program* p = ret ? im.skel->progs.load_phase_exit : im.skel->progs.load_phase_enter;
        bpf_link* link = bpf_program__attach_kprobe_opts(p, t.function.c_str(), &ko);
        if (!link) {
          failed += (failed.empty() ? "" : ", ") + t.function + " (" + errstr(errno) + ")";
          break;
        }
        pair.emplace_back(link);
      }
      if (pair.size() != 2) continue;  // the entry link, if any, is detached here
      keep(pair);
      attached(t);
    }
  }
  if (shown.empty()) {
    r.error = "no function of the load path could be probed: " + failed;
    r.reason = r.error;
    return r;
  }
  std::uint32_t zero = 0, on = 1;
  if (int err = bpf_map__update_elem(im.skel->maps.phase_config, &zero, sizeof(zero), &on,
                                     sizeof(on), BPF_ANY)) {
    r.error = "cannot switch the phases on (map phase_config): " + errstr(err);
    r.reason = r.error;
    return r;
  }
  std::string names, missing;
  for (auto p : shown) names += (names.empty() ? "" : ",") + phase_name(p);
  for (std::uint32_t p = LT_PH_NONE + 1; p < LT_PH_MAX; ++p)
    if (!shown.count(p)) missing += (missing.empty() ? "" : ",") + phase_name(p);
  r.attached = true;
  r.reason = std::to_string(shown.size()) + " phases (" + names + ") from " + functions;
  if (!missing.empty()) r.reason += "; not separable here: " + missing;
  if (!failed.empty()) r.reason += "; not attached: " + failed;
  if (!multi_failed.empty())
    r.reason +=
        "; one kprobe pair per function, the kprobe.multi pair was refused (" + multi_failed + ")";
  return r;
}

bool Tracer::release_object(Impl& im) {
  // The links and these descriptors keep the maps and programs alive in the kernel; nothing
  // reads the object again.
  const auto dup = [](int fd) { return util::Fd(fcntl(fd, F_DUPFD_CLOEXEC, 0)); };
  im.events_fd = dup(bpf_map__fd(im.skel->maps.events));
  im.denied_events_fd = dup(bpf_map__fd(im.skel->maps.denied_events));
  im.lost_fd = dup(bpf_map__fd(im.skel->maps.lost));
  im.denied_fd = dup(bpf_map__fd(im.skel->maps.denied));
  if (!im.events_fd || !im.denied_events_fd || !im.lost_fd || !im.denied_fd) return false;
  for (auto& a : im.attached) {
    im.prog_fds.push_back(dup(a.prog_fd));
    if (!im.prog_fds.back()) return false;
    a.prog_fd = im.prog_fds.back().get();
  }
  im.skel.reset();
  return true;
}

std::vector<AttachRefusal> Tracer::attach_chosen(Impl& im, const std::vector<ProbeChoice>& choices,
                                                 std::vector<AttachResult>& results) {
  std::vector<AttachRefusal> refused;
  for (const auto& c : choices) {
    AttachResult r;
    r.probe = c.spec->probe;
    r.required = c.spec->required;
    r.reason = c.reason;
    if (!c.chosen) {
      r.error = c.reason;
      results.push_back(std::move(r));
      continue;
    }
    r.program = c.chosen->program;
    r.flavor = std::string(to_string(c.chosen->flavor));
    bpf_program* p = bpf_object__find_program_by_name(im.skel->obj, c.chosen->program);
    bpf_link* link = p ? bpf_program__attach(p) : nullptr;
    if (!link) {
      const int err = errno;
      r.error = "attaching " + r.flavor + " " + r.program + " failed: " + errstr(err);
      if (c.chosen->flavor == Flavor::fentry || c.chosen->flavor == Flavor::fexit)
        refused.push_back({r.program, err});
    } else {
      im.links.emplace_back(link);
      im.attached.push_back(
          {r.probe, r.program, c.chosen->flavor, bpf_program__fd(p), bpf_link__fd(link)});
      r.attached = true;
    }
    results.push_back(std::move(r));
  }
  return refused;
}

std::variant<std::unique_ptr<Tracer>, Problem> Tracer::start(const KernelFeatures& f,
                                                             const TracerOptions& opts, Sink sink) {
  std::unique_ptr<Tracer> t(new Tracer());
  Impl& im = *t->impl_;
  im.sink = std::move(sink);

  // A kernel's verifier may refuse a program the feature probes allowed
  // (helpers or argument types differ across versions). Then that program's
  // twin is tried, or the probe is dropped if it is optional: one attempt
  // per program at most.
  std::set<std::string> rejected;
  std::vector<ProbeChoice> choices;
  PhaseChoice phases;
  std::uint64_t attach_begin = 0;
  for (;;) {
    im.skel.reset(lifetrace_bpf__open());
    if (!im.skel) {
      return Problem{"cannot open lifetrace's BPF object: " + errstr(errno),
                     "run with -v to see libbpf's messages"};
    }
    if (int err = bpf_map__set_max_entries(im.skel->maps.events,
                                           static_cast<__u32>(opts.ringbuf_bytes))) {
      return Problem{
          "invalid ring buffer size " + std::to_string(opts.ringbuf_bytes) + ": " + errstr(err),
          "--ringbuf-size must be a power of two and a multiple of the page size"};
    }

    // Choose one program per probe before load; everything else stays unloaded.
    const std::uint64_t choice_begin = boottime_ns();
    choices = choose_programs(f, opts.mode, rejected, opts.syscall_tracepoints);
    bpf_program* prog = nullptr;
    bpf_object__for_each_program(prog, im.skel->obj) { bpf_program__set_autoload(prog, false); }
    for (const auto& c : choices) {
      if (!c.chosen) continue;
      bpf_program* p = bpf_object__find_program_by_name(im.skel->obj, c.chosen->program);
      if (p) bpf_program__set_autoload(p, true);
    }
    phases = choose_phase_targets(f, opts.mode);
    if (phases.enabled &&
        (rejected.count(kPhaseEnterProgram) || rejected.count(kPhaseExitProgram))) {
      phases = PhaseChoice{};
      phases.reason = "the kernel's verifier rejected the phase programs";
    }
    if (rejected.count(kPhaseEnterMultiProgram) || rejected.count(kPhaseExitMultiProgram))
      phases.multi = false;
    if (phases.enabled) {
      // The per-function pair also with kprobe.multi: the fallback if those links fail.
      bpf_program__set_autoload(im.skel->progs.load_phase_enter, true);
      bpf_program__set_autoload(im.skel->progs.load_phase_exit, true);
      bpf_program__set_autoload(im.skel->progs.load_phase_enter_multi, phases.multi);
      bpf_program__set_autoload(im.skel->progs.load_phase_exit_multi, phases.multi);
    }

    const std::string costs = f.costs();
    t->notes_.push_back(
        "choice of programs and phase functions: " + util::format_ms(boottime_ns() - choice_begin) +
        (costs.empty() ? "" : " (" + costs + ")"));

    // The features' parsed vmlinux BTF and kallsyms names were needed for the choice only;
    // libbpf parses vmlinux BTF again for CO-RE and the fentry targets (and frees it after
    // the load), so without this both copies would be live at the start-up peak.
    f.release_caches();
    const std::uint64_t load_begin = boottime_ns();
    const int err = lifetrace_bpf__load(im.skel.get());
    if (err) {
      const std::string log = libbpf_last_messages();
      const auto culprit = failed_program(log);
      if (!culprit || rejected.count(*culprit)) {
        return Problem{"the kernel rejected lifetrace's BPF programs: " + errstr(err) + "\n" + log,
                       "run with -v for the verifier log, and report it with `uname -r`"};
      }
      t->warnings_.push_back("the kernel rejected program " + *culprit + "; retrying without it");
      rejected.insert(*culprit);
      continue;
    }
    t->notes_.push_back(load_cost_note(im, load_begin, boottime_ns()));
    drop_object_pages();

    attach_begin = boottime_ns();
    const auto refused = attach_chosen(im, choices, t->results_);
    // fentry and fexit programs the kernel would not attach although they loaded: once more
    // with their twins, as for a program the verifier refused. ENOTSUPP (524) is the arch
    // without BPF trampolines (arm64 before 6.0): every such program gives way at once, not
    // one reload each. Trampolines are not probed before the load: the probe (a program
    // attached and detached) cost 0.2-0.3 s of 6.1's start under TCG, and every other kernel
    // lifetrace runs on has them.
    const auto retry = programs_to_retry(refused, choices, rejected);
    if (retry.empty() || opts.mode == AttachMode::fentry) break;
    std::string names;
    for (const auto& p : retry) names += (names.empty() ? "" : ", ") + p;
    t->warnings_.push_back("the kernel would not attach " + refused.front().program + " (" +
                           errstr(refused.front().err) + "); retrying without " + names);
    rejected.insert(retry.begin(), retry.end());
    t->results_.clear();
    im.attached.clear();
    im.links.clear();
  }

  // Phases this kernel cannot have at all (5.10, no kprobes, --attach=fentry) are a note for
  // -v, not a probe that failed: no warning, no lifetrace_bpf_program_attached series that
  // would alert forever. Phases that could attach and did not are a result like any probe's.
  if (phases.enabled)
    t->results_.push_back(attach_phases(im, phases));
  else
    t->notes_.push_back("probe load_phases not attached: " + phases.reason);
  t->notes_.push_back("attach: " + std::to_string(im.links.size()) + " links in " +
                      util::format_ms(boottime_ns() - attach_begin));

  for (const auto& r : t->results_) {
    if (r.attached) continue;
    if (r.required || opts.strict) {
      return Problem{"probe " + r.probe + " could not be attached: " + r.error,
                     r.required ? "lifetrace cannot follow module loads without it; run with "
                                  "-v for libbpf's messages"
                                : "drop --strict to run with the probes that did attach"};
    }
  }

  if (!release_object(im)) {
    return Problem{"cannot keep the BPF maps and programs open: " + errstr(errno),
                   "raise the open file limit (ulimit -n)"};
  }
  im.rb.reset(ring_buffer__new(im.events_fd.get(), &Impl::on_record, &im, nullptr));
  if (!im.rb ||
      ring_buffer__add(im.rb.get(), im.denied_events_fd.get(), &Impl::on_record, &im) != 0) {
    return Problem{"cannot set up the BPF ring buffers: " + errstr(errno),
                   "check RLIMIT_MEMLOCK or the memory cgroup limit"};
  }
  return t;
}

}  // namespace lifetrace
