// A KernelFeatures whose answers a test sets.
#pragma once

#include <set>
#include <string>

#include "kernel/kernel_features.h"

namespace lifetrace::test {

// The function a syscall enters through on the build's architecture, as the
// probe table names it: "__x64_sys_init_module" for "init_module" on x86_64.
inline std::string syscall_fn(const std::string& name) {
#if defined(__aarch64__)
  return "__arm64_sys_" + name;
#else
  return "__x64_sys_" + name;
#endif
}

struct FakeFeatures : KernelFeatures {
  bool modules = true, has_btf = true, kprobe_pmu = true, tracefs = true, privileged = true,
       loop = true, func_arg = true, cookie = true, trampolines = true, sys_admin = true;
  bool syscall_tracepoints = true;  // CONFIG_FTRACE_SYSCALLS: tracepoints syscalls/*
  bool multi = false;               // kprobe.multi links (5.18, CONFIG_FPROBE)
  int paranoid = 3;
  std::set<std::string> btf_funcs{"do_init_module",
                                  "do_one_initcall",
                                  "free_module",
                                  syscall_fn("init_module"),
                                  syscall_fn("finit_module"),
                                  syscall_fn("delete_module"),
                                  "call_usermodehelper_exec_async"};
  std::set<std::string> btf_tps{"module_request"};
  std::set<std::string> kallsyms{"do_init_module",
                                 "do_one_initcall",
                                 "free_module",
                                 "__tracepoint_module_request",
                                 syscall_fn("init_module"),
                                 syscall_fn("finit_module"),
                                 syscall_fn("delete_module"),
                                 "call_usermodehelper_exec_async"};

  std::string kernel_release() const override { return "6.1.0-test"; }
  bool module_support() const override { return modules; }
  bool btf() const override { return has_btf; }
  bool btf_has_func(std::string_view n) const override { return btf_funcs.count(std::string(n)); }
  bool btf_has_tracepoint(std::string_view n) const override {
    return btf_tps.count(std::string(n));
  }
  bool fentry_attachable(std::string_view n) const override {
    return trampolines && btf_has_func(n);
  }
  bool kprobes() const override { return kprobe_pmu; }
  mutable int kallsyms_asked = 0;  // kallsyms_has() calls: a read of /proc/kallsyms on a host
  bool kallsyms_has(std::string_view n) const override {
    ++kallsyms_asked;
    return kallsyms.count(std::string(n));
  }
  bool tracepoint_exists(std::string_view category, std::string_view) const override {
    return tracefs && (category != "syscalls" || syscall_tracepoints);
  }
  bool tracefs_mounted() const override { return tracefs; }
  bool bpf_privileges() const override { return privileged; }
  bool cap_sys_admin() const override { return sys_admin; }
  int perf_event_paranoid() const override { return paranoid; }
  bool bpf_loop_helper() const override { return loop; }
  bool func_arg_helper() const override { return func_arg; }
  bool attach_cookie_helper() const override { return cookie; }
  bool kprobe_multi() const override { return multi; }
  std::optional<std::string> kallsyms_function(std::string_view n) const override {
    if (kallsyms_has(n)) return std::string(n);
    const std::string prefix = std::string(n) + ".";
    for (auto it = kallsyms.lower_bound(prefix); it != kallsyms.end() && it->rfind(prefix, 0) == 0;
         ++it)
      if (it->find(".cold") == std::string::npos) return *it;
    return std::nullopt;
  }
};

}  // namespace lifetrace::test
