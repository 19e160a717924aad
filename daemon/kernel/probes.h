// The probe table: every logical probe lifetrace attaches, its preferred
// program and its twin, and the pure decision of which one to load.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/kernel_features.h"

namespace lifetrace {

// The function a syscall enters through, whose only argument is the caller's
// struct pt_regs (CONFIG_ARCH_HAS_SYSCALL_WRAPPER, on both architectures since
// 4.17/4.19): the probe table's syscall fallbacks and the load phases attach
// there, as bpf/lifetrace.bpf.c's programs do (its LT_SYSCALL_FN).
#if defined(__x86_64__)
#define LT_SYSCALL_FN(name) "__x64_sys_" name
#elif defined(__aarch64__)
#define LT_SYSCALL_FN(name) "__arm64_sys_" name
#else
#error "lifetrace knows the syscall entry functions of x86_64 and arm64 only"
#endif

enum class Flavor { tracepoint, fentry, fexit, tp_btf, kprobe, kretprobe, raw_tp };
std::string_view to_string(Flavor f);

enum class AttachMode { automatic, fentry, kprobe };
std::optional<AttachMode> attach_mode_from_string(std::string_view s);

// A BPF helper some programs call that older kernels lack (both came in Linux 5.17).
enum class Helper { none, bpf_loop, get_func_arg };
std::string_view to_string(Helper h);

struct ProgramSpec {
  const char* program;  // name of the BPF program (function) in lifetrace.bpf.c
  Flavor flavor;
  Helper needs = Helper::none;  // the program calls it: unusable where the kernel lacks it
  // The same program written without that helper (same flavor and target), chosen in its place
  // on kernels that lack it; nullptr: there is none, and the probe falls back to its twin.
  const char* without_helper = nullptr;
};

// Another attach point that yields the same records, used when the probe's own
// one cannot be (or must not be) used: the syscall tracepoints are missing on
// kernels built without CONFIG_FTRACE_SYSCALLS, and --no-syscall-tracepoints
// avoids them, so their probes fall back to the syscall's entry function.
struct FallbackSpec {
  const char* target;  // kernel function
  ProgramSpec primary;
  std::optional<ProgramSpec> twin;
};

struct ProbeSpec {
  const char* probe;     // logical name: used in messages and metrics
  const char* target;    // kernel function or tracepoint
  const char* category;  // tracefs category for Flavor::tracepoint
  ProgramSpec primary;
  std::optional<ProgramSpec> twin;
  bool required;  // without it lifetrace cannot say anything useful
  std::optional<FallbackSpec> fallback = std::nullopt;
};

// Whether the syscall tracepoints (category "syscalls") may be used.
enum class SyscallTracepoints { use, avoid };

// Every probe, in attach order.
const std::vector<ProbeSpec>& probe_table();

// Every program name in lifetrace.bpf.c (both twins and the fallbacks), for
// autoload control.
std::vector<std::string> all_program_names();

struct ProbeChoice {
  const ProbeSpec* spec = nullptr;
  std::optional<ProgramSpec> chosen;  // nullopt: neither twin can work here
  std::string reason;                 // why this one (or why none)
};

// Picks, for each probe, the program to load on this kernel: its primary or
// twin, else its fallback's. Programs in `rejected` (refused by this kernel's
// verifier, or not attached, on an earlier attempt) are never chosen again.
std::vector<ProbeChoice> choose_programs(const KernelFeatures& f, AttachMode mode,
                                         const std::set<std::string>& rejected = {},
                                         SyscallTracepoints syscall_tps = SyscallTracepoints::use);

// The kernel's ENOTSUPP (include/linux/errno.h), unknown to strerror(): an operation this
// kernel or arch does not implement, e.g. a BPF trampoline on arm64 before 6.0.
inline constexpr int kEnotsupp = 524;

// An fentry or fexit program that loaded but would not attach, and the errno.
struct AttachRefusal {
  std::string program;
  int err = 0;
};

// The programs to reject for the next attempt after `refused` (then choose_programs() takes
// their twins): each refused program, and on ENOTSUPP (no trampolines on this arch) every
// chosen fentry and fexit program at once; none already in `rejected`.
std::set<std::string> programs_to_retry(const std::vector<AttachRefusal>& refused,
                                        const std::vector<ProbeChoice>& choices,
                                        const std::set<std::string>& rejected);

// The program libbpf named in "prog 'NAME': failed to load", if any.
std::optional<std::string> failed_program(const std::string& libbpf_log);

}  // namespace lifetrace
