#include "kernel/probes.h"

namespace lifetrace {

std::string_view to_string(Flavor f) {
  switch (f) {
    case Flavor::tracepoint: return "tracepoint";
    case Flavor::fentry: return "fentry";
    case Flavor::fexit: return "fexit";
    case Flavor::tp_btf: return "tp_btf";
    case Flavor::kprobe: return "kprobe";
    case Flavor::kretprobe: return "kretprobe";
    case Flavor::raw_tp: return "raw_tp";
  }
  return "unknown";
}

std::string_view to_string(Helper h) {
  switch (h) {
    case Helper::none: return "none";
    case Helper::bpf_loop: return "bpf_loop()";
    case Helper::get_func_arg: return "bpf_get_func_arg()";
  }
  return "unknown";
}

std::optional<AttachMode> attach_mode_from_string(std::string_view s) {
  if (s == "auto") return AttachMode::automatic;
  if (s == "fentry") return AttachMode::fentry;
  if (s == "kprobe") return AttachMode::kprobe;
  return std::nullopt;
}

const std::vector<ProbeSpec>& probe_table() {
  static const std::vector<ProbeSpec> table = {
      {"init_module_enter",
       "sys_enter_init_module",
       "syscalls",
       // The image walk (the module's name) with bpf_loop(), else a bounded loop.
       {"sys_enter_init_module", Flavor::tracepoint, Helper::bpf_loop,
        "sys_enter_init_module_bounded"},
       std::nullopt,
       true,
       FallbackSpec{LT_SYSCALL_FN("init_module"),
                    {"init_module_enter_fentry", Flavor::fentry, Helper::bpf_loop,
                     "init_module_enter_fentry_bounded"},
                    ProgramSpec{"init_module_enter_kprobe", Flavor::kprobe, Helper::bpf_loop,
                                "init_module_enter_kprobe_bounded"}}},
      {"init_module_exit",
       "sys_exit_init_module",
       "syscalls",
       {"sys_exit_init_module", Flavor::tracepoint},
       std::nullopt,
       true,
       FallbackSpec{LT_SYSCALL_FN("init_module"),
                    {"init_module_exit_fexit", Flavor::fexit},
                    ProgramSpec{"init_module_exit_kretprobe", Flavor::kretprobe}}},
      {"finit_module_enter",
       "sys_enter_finit_module",
       "syscalls",
       {"sys_enter_finit_module", Flavor::tracepoint},
       std::nullopt,
       true,
       FallbackSpec{LT_SYSCALL_FN("finit_module"),
                    {"finit_module_enter_fentry", Flavor::fentry},
                    ProgramSpec{"finit_module_enter_kprobe", Flavor::kprobe}}},
      {"finit_module_exit",
       "sys_exit_finit_module",
       "syscalls",
       {"sys_exit_finit_module", Flavor::tracepoint},
       std::nullopt,
       true,
       FallbackSpec{LT_SYSCALL_FN("finit_module"),
                    {"finit_module_exit_fexit", Flavor::fexit},
                    ProgramSpec{"finit_module_exit_kretprobe", Flavor::kretprobe}}},
      {"do_init_module_enter",
       "do_init_module",
       nullptr,
       {"do_init_module_fentry", Flavor::fentry, Helper::bpf_loop, "do_init_module_fentry_bounded"},
       ProgramSpec{"do_init_module_kprobe", Flavor::kprobe, Helper::bpf_loop,
                   "do_init_module_kprobe_bounded"},
       true},
      {"do_one_initcall_enter",
       "do_one_initcall",
       nullptr,
       {"do_one_initcall_fentry", Flavor::fentry, Helper::get_func_arg},
       ProgramSpec{"do_one_initcall_kprobe", Flavor::kprobe},
       false},
      {"do_one_initcall_exit",
       "do_one_initcall",
       nullptr,
       {"do_one_initcall_fexit", Flavor::fexit, Helper::get_func_arg},
       ProgramSpec{"do_one_initcall_kretprobe", Flavor::kretprobe},
       false},
      {"do_init_module_exit",
       "do_init_module",
       nullptr,
       {"do_init_module_fexit", Flavor::fexit},
       ProgramSpec{"do_init_module_kretprobe", Flavor::kretprobe},
       false},
      {"delete_module_enter",
       "sys_enter_delete_module",
       "syscalls",
       {"sys_enter_delete_module", Flavor::tracepoint},
       std::nullopt,
       false,
       FallbackSpec{LT_SYSCALL_FN("delete_module"),
                    {"delete_module_enter_fentry", Flavor::fentry},
                    ProgramSpec{"delete_module_enter_kprobe", Flavor::kprobe}}},
      {"delete_module_exit",
       "sys_exit_delete_module",
       "syscalls",
       {"sys_exit_delete_module", Flavor::tracepoint},
       std::nullopt,
       false,
       FallbackSpec{LT_SYSCALL_FN("delete_module"),
                    {"delete_module_exit_fexit", Flavor::fexit},
                    ProgramSpec{"delete_module_exit_kretprobe", Flavor::kretprobe}}},
      {"free_module",
       "free_module",
       nullptr,
       {"free_module_fentry", Flavor::fentry},
       ProgramSpec{"free_module_kprobe", Flavor::kprobe},
       false},
      {"module_request",
       "module_request",
       nullptr,
       {"module_request_btf", Flavor::tp_btf},
       ProgramSpec{"module_request_raw", Flavor::raw_tp},
       false},
      // The request chain (issue 12): the usermode helper's task that is about to exec
      // modprobe for a request_module(). Optional: without it requests are still reported,
      // only not linked to the loads they cause.
      {"umh_exec",
       "call_usermodehelper_exec_async",
       nullptr,
       {"umh_exec_fentry", Flavor::fentry},
       ProgramSpec{"umh_exec_kprobe", Flavor::kprobe},
       false},
  };
  return table;
}

std::vector<std::string> all_program_names() {
  std::vector<std::string> names;
  for (const auto& p : probe_table()) {
    for (const auto* prog : {&p.primary, p.twin ? &*p.twin : nullptr}) {
      if (!prog) continue;
      names.emplace_back(prog->program);
      if (prog->without_helper) names.emplace_back(prog->without_helper);
    }
    if (p.fallback) {
      for (const auto* prog :
           {&p.fallback->primary, p.fallback->twin ? &*p.fallback->twin : nullptr}) {
        if (!prog) continue;
        names.emplace_back(prog->program);
        if (prog->without_helper) names.emplace_back(prog->without_helper);
      }
    }
  }
  return names;
}

namespace {

// One attach point: a target (and tracefs category) with a primary program and
// maybe a twin; a probe's own, or its fallback.
struct AttachPoint {
  const char* target;
  const char* category;
  const ProgramSpec& primary;
  const std::optional<ProgramSpec>& twin;
};

bool has_helper(const KernelFeatures& f, Helper h) {
  switch (h) {
    case Helper::none: return true;
    case Helper::bpf_loop: return f.bpf_loop_helper();
    case Helper::get_func_arg: return f.func_arg_helper();
  }
  return false;
}

// `prog` as it must be loaded here: its helper-free variant where the kernel lacks the helper
// it calls (then `note` says so). nullopt when it calls a missing helper and has no variant.
std::optional<ProgramSpec> for_kernel(const KernelFeatures& f, const ProgramSpec& prog,
                                      std::string& note) {
  if (has_helper(f, prog.needs)) return prog;
  const std::string missing = "the kernel lacks " + std::string(to_string(prog.needs)) +
                              " (Linux 5.17+), which " + prog.program + " calls";
  if (!prog.without_helper) {
    note = missing;
    return std::nullopt;
  }
  note = missing + ": " + prog.without_helper + " instead";
  return ProgramSpec{prog.without_helper, prog.flavor};
}

// Whether `prog` can attach to its target here; sets `why` when it cannot.
bool usable_as_is(const KernelFeatures& f, const AttachPoint& p, const ProgramSpec& prog,
                  const std::set<std::string>& rejected, std::string& why) {
  if (rejected.count(prog.program)) {
    why = std::string("the kernel refused ") + prog.program + " (see the warnings)";
    return false;
  }
  switch (prog.flavor) {
    case Flavor::tracepoint:
      if (!f.tracefs_mounted()) {
        why = "tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)";
        return false;
      }
      if (!f.tracepoint_exists(p.category, p.target)) {
        why = std::string("tracepoint ") + p.category + "/" + p.target +
              " does not exist (CONFIG_FTRACE_SYSCALLS?)";
        return false;
      }
      return true;
    case Flavor::fentry:
    case Flavor::fexit:
      if (!f.fentry_attachable(p.target)) {
        why = std::string("no BPF trampoline for ") + p.target;
        return false;
      }
      return true;
    case Flavor::tp_btf:
      if (!f.btf_has_tracepoint(p.target)) {
        why = std::string("BTF has no btf_trace_") + p.target;
        return false;
      }
      return true;
    case Flavor::kprobe:
    case Flavor::kretprobe:
      if (!f.kprobes()) {
        why = "kernel has no kprobes (CONFIG_KPROBES)";
        return false;
      }
      // With BTF (every kernel lifetrace runs on has it) the function's entry there says it
      // exists out of line, as for fentry; /proc/kallsyms only without: reading all of it
      // took seconds of the start under TCG and several MB of peak.
      if (f.btf() ? !f.btf_has_func(p.target) : !f.kallsyms_has(p.target)) {
        why = std::string(p.target) + " is not in " +
              (f.btf() ? "the kernel's BTF" : "/proc/kallsyms");
        return false;
      }
      return true;
    case Flavor::raw_tp:
      if (f.btf() ? !f.btf_has_tracepoint(p.target)
                  : !f.kallsyms_has(std::string("__tracepoint_") + p.target)) {
        why = std::string("tracepoint ") + p.target + " does not exist";
        return false;
      }
      return true;
  }
  return false;
}

// Whether `prog` (or, where the kernel lacks a helper it calls, its variant without it: then
// `prog` becomes that variant and `note` says why) can attach here; sets `why` when it cannot.
bool usable(const KernelFeatures& f, const AttachPoint& p, ProgramSpec& prog,
            const std::set<std::string>& rejected, std::string& why, std::string& note) {
  std::string n;
  auto here = for_kernel(f, prog, n);
  if (!here) {
    why = n;
    return false;
  }
  if (!usable_as_is(f, p, *here, rejected, why)) return false;
  prog = *here;
  note = n;
  return true;
}

// The program to load for one attach point under `mode`, or nullopt; `reason`
// says why this one (or why none).
std::optional<ProgramSpec> pick(const KernelFeatures& f, const AttachPoint& p, AttachMode mode,
                                const std::set<std::string>& rejected, std::string& reason) {
  std::string why_primary, why_twin, note;
  ProgramSpec primary = p.primary;
  std::optional<ProgramSpec> twin = p.twin;
  const bool prefer_twin = mode == AttachMode::kprobe && twin;
  const bool allow_twin = mode != AttachMode::fentry;
  std::optional<ProgramSpec> chosen;
  if (prefer_twin && usable(f, p, *twin, rejected, why_twin, note)) {
    chosen = twin;
    reason = "forced by --attach=kprobe";
  } else if (usable(f, p, primary, rejected, why_primary, note)) {
    chosen = primary;
    reason = prefer_twin ? "twin unusable: " + why_twin : "preferred";
  } else if (twin && allow_twin && !prefer_twin && usable(f, p, *twin, rejected, why_twin, note)) {
    chosen = twin;
    reason = std::string(to_string(p.primary.flavor)) + " unusable: " + why_primary;
  } else {
    reason = why_primary;
    if (twin && allow_twin) {
      if (why_twin.empty()) usable(f, p, *twin, rejected, why_twin, note);
      reason += "; " + why_twin;
    }
    note.clear();
  }
  if (!note.empty()) reason += "; " + note;
  return chosen;
}

bool is_syscall_tracepoint(const ProbeSpec& p) {
  return p.primary.flavor == Flavor::tracepoint && p.category &&
         std::string_view(p.category) == "syscalls";
}

}  // namespace

std::vector<ProbeChoice> choose_programs(const KernelFeatures& f, AttachMode mode,
                                         const std::set<std::string>& rejected,
                                         SyscallTracepoints syscall_tps) {
  std::vector<ProbeChoice> out;
  for (const auto& p : probe_table()) {
    ProbeChoice c;
    c.spec = &p;
    if (syscall_tps == SyscallTracepoints::avoid && is_syscall_tracepoint(p)) {
      c.reason = "syscall tracepoints avoided (--no-syscall-tracepoints)";
    } else {
      c.chosen = pick(f, {p.target, p.category, p.primary, p.twin}, mode, rejected, c.reason);
    }
    if (!c.chosen && p.fallback) {
      std::string why;
      c.chosen = pick(f, {p.fallback->target, nullptr, p.fallback->primary, p.fallback->twin}, mode,
                      rejected, why);
      const std::string target = p.fallback->target;
      if (!c.chosen)
        c.reason += "; fallback " + target + ": " + why;
      else
        c.reason += "; fell back to " + target + (why == "preferred" ? "" : " (" + why + ")");
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::optional<std::string> failed_program(const std::string& log) {
  static constexpr std::string_view kPrefix = "prog '";
  static constexpr std::string_view kSuffix = "': failed to load";
  const auto end = log.rfind(kSuffix);
  if (end == std::string::npos) return std::nullopt;
  const auto start = log.rfind(kPrefix, end);
  if (start == std::string::npos) return std::nullopt;
  return log.substr(start + kPrefix.size(), end - start - kPrefix.size());
}

std::set<std::string> programs_to_retry(const std::vector<AttachRefusal>& refused,
                                        const std::vector<ProbeChoice>& choices,
                                        const std::set<std::string>& rejected) {
  std::set<std::string> retry;
  for (const auto& r : refused) {
    if (r.err != kEnotsupp) {
      retry.insert(r.program);
      continue;
    }
    for (const auto& c : choices)
      if (c.chosen && (c.chosen->flavor == Flavor::fentry || c.chosen->flavor == Flavor::fexit))
        retry.insert(c.chosen->program);
  }
  std::erase_if(retry, [&](const std::string& p) { return rejected.count(p) > 0; });
  return retry;
}

}  // namespace lifetrace
