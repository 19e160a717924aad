// What the running kernel offers, behind an interface so the decisions built
// on it (preflight errors, which twin program to load) are tested without
// root or a particular kernel.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/problem.h"

namespace lifetrace {

class KernelFeatures {
 public:
  virtual ~KernelFeatures() = default;
  virtual std::string kernel_release() const = 0;
  virtual bool module_support() const = 0;  // CONFIG_MODULES: /proc/modules exists
  virtual bool btf() const = 0;             // /sys/kernel/btf/vmlinux
  virtual bool btf_has_func(std::string_view name) const = 0;
  virtual bool btf_has_tracepoint(std::string_view name) const = 0;  // btf_trace_<name>
  // BTF has `func`: an fentry/fexit program on it should load and attach (the arch's BPF
  // trampolines are found out by attaching; see Tracer::start).
  virtual bool fentry_attachable(std::string_view func) const = 0;
  virtual bool kprobes() const = 0;  // kprobe PMU
  virtual bool kallsyms_has(std::string_view name) const = 0;
  virtual bool tracepoint_exists(std::string_view category, std::string_view name) const = 0;
  virtual bool tracefs_mounted() const = 0;
  virtual bool bpf_privileges() const = 0;  // CAP_BPF+CAP_PERFMON, or CAP_SYS_ADMIN
  virtual bool cap_sys_admin() const = 0;
  virtual int perf_event_paranoid() const = 0;    // kernel.perf_event_paranoid, -1 unknown
  virtual bool bpf_loop_helper() const = 0;       // bpf_loop() (5.17) for the symbol walk
  virtual bool func_arg_helper() const = 0;       // bpf_get_func_arg() (5.17) in fentry/fexit
  virtual bool attach_cookie_helper() const = 0;  // bpf_get_attach_cookie() (5.15) in kprobes
  // kprobe.multi links (5.18, CONFIG_FPROBE): many functions, with a cookie each, in one link.
  virtual bool kprobe_multi() const { return false; }
  // The text symbol kallsyms has for a function: `name` itself, or a compiler-renamed copy
  // ("name.isra.0", "name.constprop.0"); nullopt when neither (inlined, or not built).
  virtual std::optional<std::string> kallsyms_function(std::string_view name) const {
    if (kallsyms_has(name)) return std::string(name);
    return std::nullopt;
  }
  // Frees what the answers above were read from (the parsed vmlinux BTF, the kallsyms
  // names): tens of MB on a large kernel, needed only while choosing programs. A later
  // question reads them again.
  virtual void release_caches() const {}
  // What answering took so far, for -v: "vmlinux BTF parsed in 210 ms; /proc/kallsyms read
  // in 600 ms"; empty when nothing costly was asked.
  virtual std::string costs() const { return {}; }
};

// The real host, read through configurable roots (procfs/sysfs) for tests.
class HostFeatures final : public KernelFeatures {
 public:
  explicit HostFeatures(std::filesystem::path procfs = "/proc",
                        std::filesystem::path sysfs = "/sys");
  ~HostFeatures() override;
  HostFeatures(const HostFeatures&) = delete;
  HostFeatures& operator=(const HostFeatures&) = delete;

  std::string kernel_release() const override;
  bool module_support() const override;
  bool btf() const override;
  bool btf_has_func(std::string_view name) const override;
  bool btf_has_tracepoint(std::string_view name) const override;
  bool fentry_attachable(std::string_view func) const override;
  bool kprobes() const override;
  bool kallsyms_has(std::string_view name) const override;
  bool tracepoint_exists(std::string_view category, std::string_view name) const override;
  bool tracefs_mounted() const override;
  bool bpf_privileges() const override;
  bool cap_sys_admin() const override;
  int perf_event_paranoid() const override;
  bool bpf_loop_helper() const override;
  bool func_arg_helper() const override;
  bool attach_cookie_helper() const override;
  bool kprobe_multi() const override;
  std::optional<std::string> kallsyms_function(std::string_view name) const override;
  void release_caches() const override;
  std::string costs() const override;

 private:
  struct Btf;
  const Btf* vmlinux_btf() const;
  std::optional<std::filesystem::path> tracefs() const;
  std::uint64_t effective_caps() const;

  std::filesystem::path procfs_, sysfs_;
  mutable std::unique_ptr<Btf> btf_;
  mutable bool btf_tried_ = false;
  mutable std::vector<std::string> kallsyms_cache_;
  mutable bool kallsyms_read_ = false;
  // For costs(): what the BTF parse and the kallsyms read took.
  mutable std::uint64_t btf_ns_ = 0, kallsyms_ns_ = 0;
};

// Checks, in order of what a user must fix first, that lifetrace can trace
// module lifecycles on this kernel.
std::optional<Problem> preflight(const KernelFeatures& f);

}  // namespace lifetrace
