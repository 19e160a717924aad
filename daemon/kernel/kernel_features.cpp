#include "kernel/kernel_features.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>

#include "util/text.h"

namespace lifetrace {

namespace fs = std::filesystem;

namespace {

// Adds the time from construction to destruction to `total` (HostFeatures::costs()).
class Stopwatch {
 public:
  explicit Stopwatch(std::uint64_t& total) : total_(total) {}
  ~Stopwatch() {
    total_ += static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count());
  }
  Stopwatch(const Stopwatch&) = delete;
  Stopwatch& operator=(const Stopwatch&) = delete;

 private:
  using Clock = std::chrono::steady_clock;
  std::uint64_t& total_;
  Clock::time_point start_ = Clock::now();
};

}  // namespace

// The parsed vmlinux BTF, with its function and tracepoint-typedef names indexed once: the
// chooser asks about some fifty names, and btf__find_by_name_kind() walks every type each
// time (about 50 ms of the start on hardware for 7.2's 150 000 types, seconds under TCG).
struct HostFeatures::Btf {
  std::unique_ptr<struct ::btf, decltype(&btf__free)> ptr{nullptr, &btf__free};
  // Names point into the BTF's string section; sorted by name, then id (the lowest id of
  // a name first, as btf__find_by_name_kind() finds it).
  std::vector<std::pair<std::string_view, int>> funcs, typedefs;

  void index() {
    const struct ::btf* b = ptr.get();
    const __u32 n = btf__type_cnt(b);
    for (__u32 id = 1; id < n; ++id) {
      const struct btf_type* t = btf__type_by_id(b, id);
      const int kind = btf_kind(t);
      if (kind != BTF_KIND_FUNC && kind != BTF_KIND_TYPEDEF) continue;
      const char* name = btf__name_by_offset(b, t->name_off);
      if (!name || !*name) continue;
      // Of the typedefs only the tracepoints' (btf_trace_<name>) are ever asked about.
      if (kind == BTF_KIND_TYPEDEF && std::string_view(name).rfind("btf_trace_", 0) != 0) continue;
      (kind == BTF_KIND_FUNC ? funcs : typedefs).emplace_back(name, static_cast<int>(id));
    }
    std::sort(funcs.begin(), funcs.end());
    std::sort(typedefs.begin(), typedefs.end());
  }
  static int find(const std::vector<std::pair<std::string_view, int>>& v, std::string_view name) {
    auto it = std::lower_bound(v.begin(), v.end(), std::pair<std::string_view, int>(name, 0));
    return it != v.end() && it->first == name ? it->second : -1;
  }
};

HostFeatures::HostFeatures(fs::path procfs, fs::path sysfs)
    : procfs_(std::move(procfs)), sysfs_(std::move(sysfs)) {}
HostFeatures::~HostFeatures() = default;

std::string HostFeatures::kernel_release() const {
  std::ifstream in(procfs_ / "sys/kernel/osrelease");
  std::string r;
  if (std::getline(in, r) && !r.empty()) return r;
  utsname u{};
  if (uname(&u) == 0) return u.release;
  return "unknown";
}

bool HostFeatures::module_support() const {
  std::error_code ec;
  return fs::exists(procfs_ / "modules", ec);
}

bool HostFeatures::btf() const {
  std::error_code ec;
  return fs::exists(sysfs_ / "kernel/btf/vmlinux", ec);
}

const HostFeatures::Btf* HostFeatures::vmlinux_btf() const {
  if (!btf_tried_) {
    btf_tried_ = true;
    Stopwatch w(btf_ns_);
    auto b = std::make_unique<Btf>();
    const std::string path = (sysfs_ / "kernel/btf/vmlinux").string();
    b->ptr.reset(btf__parse_raw(path.c_str()));
    if (b->ptr) {
      b->index();
      btf_ = std::move(b);
    }
  }
  return btf_.get();
}

bool HostFeatures::btf_has_func(std::string_view name) const {
  const Btf* b = vmlinux_btf();
  return b && Btf::find(b->funcs, name) > 0;
}

bool HostFeatures::btf_has_tracepoint(std::string_view name) const {
  const Btf* b = vmlinux_btf();
  return b && Btf::find(b->typedefs, "btf_trace_" + std::string(name)) > 0;
}

bool HostFeatures::fentry_attachable(std::string_view func) const {
  // Nothing is loaded or attached to find out: per function a load cost the kernel a
  // kallsyms_lookup_name(), a linear scan before 6.2 (0.1 s each under TCG on 6.1), and a
  // trampoline probe an attach and a detach (0.2-0.3 s). A function BTF has that will not
  // load or attach anyway (not in kallsyms, notrace, an arch without trampolines) fails in
  // the real load or attach, and Tracer::start then takes the twin.
  return btf_has_func(func);
}

bool HostFeatures::kprobes() const {
  std::error_code ec;
  return fs::exists(sysfs_ / "bus/event_source/devices/kprobe/type", ec);
}

bool HostFeatures::kallsyms_has(std::string_view name) const {
  if (!kallsyms_read_) {
    kallsyms_read_ = true;
    Stopwatch w(kallsyms_ns_);
    std::ifstream in(procfs_ / "kallsyms");
    std::string line;
    // Keep only core-kernel text symbols: module symbols carry a "\t[mod]".
    while (std::getline(in, line)) {
      if (line.find('\t') != std::string::npos) continue;
      auto sp = line.rfind(' ');
      if (sp == std::string::npos || sp < 2) continue;
      kallsyms_cache_.emplace_back(line.substr(sp + 1));
    }
    std::sort(kallsyms_cache_.begin(), kallsyms_cache_.end());
  }
  return std::binary_search(kallsyms_cache_.begin(), kallsyms_cache_.end(), std::string(name));
}

std::optional<std::string> HostFeatures::kallsyms_function(std::string_view name) const {
  if (kallsyms_has(name)) return std::string(name);  // also reads the cache
  // Compiler-made copies sort right after "name.": the first one that is not a .cold part
  // (the unlikely paths GCC moved out of the function) is what kprobes attach to.
  const std::string prefix = std::string(name) + ".";
  for (auto it = std::lower_bound(kallsyms_cache_.begin(), kallsyms_cache_.end(), prefix);
       it != kallsyms_cache_.end() && it->compare(0, prefix.size(), prefix) == 0; ++it) {
    if (it->find(".cold") == std::string::npos) return *it;
  }
  return std::nullopt;
}

void HostFeatures::release_caches() const {
  btf_.reset();
  btf_tried_ = false;
  std::vector<std::string>().swap(kallsyms_cache_);  // clear() would keep the capacity
  kallsyms_read_ = false;
}

std::string HostFeatures::costs() const {
  std::string out;
  const auto add = [&out](const std::string& what) { out += (out.empty() ? "" : "; ") + what; };
  if (btf_ns_) add("vmlinux BTF parsed in " + util::format_ms(btf_ns_));
  if (kallsyms_ns_) add("/proc/kallsyms read in " + util::format_ms(kallsyms_ns_));
  return out;
}

std::optional<fs::path> HostFeatures::tracefs() const {
  std::error_code ec;
  for (const char* p : {"kernel/tracing", "kernel/debug/tracing"}) {
    if (fs::exists(sysfs_ / p / "events", ec)) return sysfs_ / p;
  }
  return std::nullopt;
}

bool HostFeatures::tracefs_mounted() const { return tracefs().has_value(); }

bool HostFeatures::tracepoint_exists(std::string_view category, std::string_view name) const {
  auto t = tracefs();
  std::error_code ec;
  return t && fs::exists(*t / "events" / category / name / "id", ec);
}

namespace {

constexpr int kCapSysAdmin = 21, kCapPerfmon = 38, kCapBpf = 39;
bool has_cap(std::uint64_t caps, int c) { return (caps >> c) & 1ULL; }
}  // namespace

std::uint64_t HostFeatures::effective_caps() const {
  std::ifstream in(procfs_ / "self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("CapEff:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
  }
  return geteuid() == 0 ? ~0ULL : 0;
}

bool HostFeatures::bpf_privileges() const {
  const auto caps = effective_caps();
  return has_cap(caps, kCapSysAdmin) || (has_cap(caps, kCapBpf) && has_cap(caps, kCapPerfmon));
}

bool HostFeatures::cap_sys_admin() const { return has_cap(effective_caps(), kCapSysAdmin); }

int HostFeatures::perf_event_paranoid() const {
  std::ifstream in(procfs_ / "sys/kernel/perf_event_paranoid");
  int v = -1;
  if (!(in >> v)) return -1;
  return v;
}

bool HostFeatures::bpf_loop_helper() const {
  return libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_loop, nullptr) > 0 ||
         libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACING, BPF_FUNC_loop, nullptr) > 0;
}

bool HostFeatures::func_arg_helper() const {
  // libbpf cannot probe a helper of tracing programs (they need a target to load), so ask the
  // kernel's BTF whether its enum bpf_func_id knows the helper.
  const Btf* b = vmlinux_btf();
  if (!b) return false;
  const int id = btf__find_by_name_kind(b->ptr.get(), "bpf_func_id", BTF_KIND_ENUM);
  if (id <= 0) return false;
  const struct btf_type* t = btf__type_by_id(b->ptr.get(), static_cast<__u32>(id));
  const struct btf_enum* v = btf_enum(t);
  for (int i = 0; i < btf_vlen(t); ++i, ++v) {
    const char* name = btf__name_by_offset(b->ptr.get(), v->name_off);
    if (name && std::string_view(name) == "BPF_FUNC_get_func_arg") return true;
  }
  return false;
}

bool HostFeatures::attach_cookie_helper() const {
  return libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_get_attach_cookie, nullptr) > 0;
}

bool HostFeatures::kprobe_multi() const {
  // register_fprobe_ips() came with kprobe.multi links (5.18) and is built only with
  // CONFIG_FPROBE, without which the link's attach fails with EOPNOTSUPP.
  return btf_has_func("register_fprobe_ips") && btf_has_func("bpf_kprobe_multi_link_attach");
}

std::optional<Problem> preflight(const KernelFeatures& f) {
  if (!f.module_support()) {
    return Problem{
        "this kernel (" + f.kernel_release() +
            ") was built without loadable module support (CONFIG_MODULES is not set): "
            "/proc/modules does not exist, and no module can be loaded, so there is no "
            "lifecycle to trace",
        "run lifetrace on a kernel with CONFIG_MODULES=y (every distribution kernel has it); "
        "on a container or CI host, `scripts/demo.sh` boots a Debian kernel in qemu and "
        "shows lifetrace following real C and Rust modules"};
  }
  if (!f.bpf_privileges()) {
    return Problem{
        "lifetrace needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN) to load and "
        "attach its BPF programs, and this process has neither",
        "run it as root (sudo lifetrace --follow), or follow the daemon's socket as "
        "a member of the lifetrace group"};
  }
  if (!f.cap_sys_admin() && f.perf_event_paranoid() > 2) {
    return Problem{
        "kernel.perf_event_paranoid is " + std::to_string(f.perf_event_paranoid()) +
            " (Debian's default), so attaching tracepoints and kprobes needs "
            "CAP_SYS_ADMIN, which this process lacks (CAP_BPF and CAP_PERFMON are "
            "not enough)",
        "run as root with CAP_SYS_ADMIN, or lower it: sysctl kernel.perf_event_paranoid=2"};
  }
  if (!f.btf()) {
    return Problem{
        "kernel BTF (/sys/kernel/btf/vmlinux) is missing, so lifetrace's CO-RE "
        "programs cannot be relocated for kernel " +
            f.kernel_release(),
        "use a kernel built with CONFIG_DEBUG_INFO_BTF=y (Debian, Ubuntu, Fedora "
        "and RHEL kernels have it)"};
  }
  if (!f.btf_has_func("do_init_module") && !f.kallsyms_has("do_init_module")) {
    return Problem{"kernel " + f.kernel_release() +
                       " has module support but no traceable do_init_module() function",
                   "please report this kernel version; lifetrace cannot follow module "
                   "initialisation on it"};
  }
  return std::nullopt;
}

}  // namespace lifetrace
