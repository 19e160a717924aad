#include <catch2/catch.hpp>

#include <algorithm>

#include "kernel/fake_features.h"
#include "kernel/phases.h"
#include "kernel/probes.h"
#include "lifetrace.h"

using namespace lifetrace;
using lifetrace::test::FakeFeatures;
using lifetrace::test::syscall_fn;

namespace {
const ProbeChoice& choice(const std::vector<ProbeChoice>& cs, const std::string& probe) {
  for (const auto& c : cs)
    if (probe == c.spec->probe) return c;
  throw std::logic_error("no probe " + probe);
}
std::string chosen(const std::vector<ProbeChoice>& cs, const std::string& probe) {
  const auto& c = choice(cs, probe);
  return c.chosen ? c.chosen->program : "";
}
}  // namespace

TEST_CASE("every program in the table is distinct and every probe has a primary", "[probes]") {
  auto names = all_program_names();
  std::set<std::string> unique(names.begin(), names.end());
  CHECK(unique.size() == names.size());
  // 20 + 12 syscall fallbacks + 5 bounded-walk variants (< 5.17): the symbol walk's two and
  // the init_module image walk's three.
  CHECK(names.size() == 37);
  CHECK(std::count(names.begin(), names.end(), "sys_enter_init_module_bounded") == 1);
  CHECK(std::count(names.begin(), names.end(), "init_module_enter_fentry_bounded") == 1);
  CHECK(std::count(names.begin(), names.end(), "init_module_enter_kprobe_bounded") == 1);
  CHECK(std::count(names.begin(), names.end(), "do_init_module_fentry_bounded") == 1);
  CHECK(std::count(names.begin(), names.end(), "do_init_module_kprobe_bounded") == 1);
}

TEST_CASE("fentry and tp_btf are preferred where the kernel has them", "[probes]") {
  FakeFeatures f;
  auto cs = choose_programs(f, AttachMode::automatic);
  CHECK(chosen(cs, "do_init_module_enter") == "do_init_module_fentry");
  CHECK(chosen(cs, "do_init_module_exit") == "do_init_module_fexit");
  CHECK(chosen(cs, "free_module") == "free_module_fentry");
  CHECK(chosen(cs, "module_request") == "module_request_btf");
  CHECK(chosen(cs, "init_module_enter") == "sys_enter_init_module");
  CHECK(chosen(cs, "umh_exec") == "umh_exec_fentry");
}

TEST_CASE("without trampolines the kprobe twins are chosen, with the reason", "[probes]") {
  FakeFeatures f;
  f.trampolines = false;
  // tp_btf needs no trampoline: its raw twin is taken when the kernel refused it.
  auto cs = choose_programs(f, AttachMode::automatic, {"module_request_btf"});
  CHECK(chosen(cs, "do_init_module_enter") == "do_init_module_kprobe");
  CHECK(chosen(cs, "do_one_initcall_exit") == "do_one_initcall_kretprobe");
  CHECK(chosen(cs, "module_request") == "module_request_raw");
  CHECK(chosen(cs, "umh_exec") == "umh_exec_kprobe");
  CHECK_THAT(choice(cs, "do_init_module_enter").reason, Catch::Contains("no BPF trampoline"));
}

TEST_CASE("attach=kprobe prefers twins, attach=fentry never falls back", "[probes]") {
  FakeFeatures f;
  auto k = choose_programs(f, AttachMode::kprobe);
  CHECK(chosen(k, "do_init_module_enter") == "do_init_module_kprobe");
  CHECK(chosen(k, "free_module") == "free_module_kprobe");
  CHECK(chosen(k, "init_module_exit") == "sys_exit_init_module");  // no twin: primary

  f.trampolines = false;
  auto e = choose_programs(f, AttachMode::fentry);
  CHECK(chosen(e, "do_init_module_enter").empty());
  CHECK_THAT(choice(e, "do_init_module_enter").reason, Catch::Contains("trampoline"));
}

TEST_CASE("a host like the CI machine: no kprobes and no module functions", "[probes]") {
  FakeFeatures f;
  f.kprobe_pmu = false;
  f.btf_funcs.clear();
  f.kallsyms.clear();
  auto cs = choose_programs(f, AttachMode::automatic);
  const auto& c = choice(cs, "do_init_module_enter");
  CHECK_FALSE(c.chosen.has_value());
  CHECK_THAT(c.reason, Catch::Contains("no BPF trampoline") && Catch::Contains("no kprobes"));
}

namespace {
// The six probes of the load and unload syscalls, with their fallback programs' stem.
const std::vector<std::string> kSyscallProbes = {"init_module_enter",   "init_module_exit",
                                                 "finit_module_enter",  "finit_module_exit",
                                                 "delete_module_enter", "delete_module_exit"};
bool is_enter(const std::string& probe) { return probe.find("_enter") != std::string::npos; }
}  // namespace

TEST_CASE("without syscall tracepoints, load and unload fall back to the syscall functions",
          "[probes][fallback]") {
  FakeFeatures f;
  f.syscall_tracepoints = false;  // a kernel built without CONFIG_FTRACE_SYSCALLS
  auto cs = choose_programs(f, AttachMode::automatic);
  for (const auto& probe : kSyscallProbes) {
    CAPTURE(probe);
    CHECK(chosen(cs, probe) == probe + (is_enter(probe) ? "_fentry" : "_fexit"));
    CHECK_THAT(choice(cs, probe).reason,
               Catch::Contains("does not exist (CONFIG_FTRACE_SYSCALLS?)"));
  }
  CHECK_THAT(choice(cs, "init_module_enter").reason,
             Catch::EndsWith("fell back to " + test::syscall_fn("init_module")));
  CHECK_THAT(choice(cs, "delete_module_exit").reason,
             Catch::Contains("fell back to " + test::syscall_fn("delete_module")));
  // The probes that never used syscall tracepoints are unaffected.
  CHECK(chosen(cs, "do_init_module_enter") == "do_init_module_fentry");
  CHECK(chosen(cs, "module_request") == "module_request_btf");
}

TEST_CASE("the switch --no-syscall-tracepoints takes the fallback where the tracepoints exist",
          "[probes][fallback]") {
  FakeFeatures f;
  auto normal = choose_programs(f, AttachMode::automatic, {}, SyscallTracepoints::use);
  auto avoided = choose_programs(f, AttachMode::automatic, {}, SyscallTracepoints::avoid);
  for (const auto& probe : kSyscallProbes) {
    CAPTURE(probe);
    CHECK(choice(normal, probe).chosen->flavor == Flavor::tracepoint);
    CHECK(chosen(avoided, probe) == probe + (is_enter(probe) ? "_fentry" : "_fexit"));
    CHECK_THAT(choice(avoided, probe).reason,
               Catch::StartsWith("syscall tracepoints avoided (--no-syscall-tracepoints)"));
  }
  CHECK(chosen(avoided, "free_module") == "free_module_fentry");
}

TEST_CASE("the fallback has kprobe twins, chosen like the other twins", "[probes][fallback]") {
  FakeFeatures f;
  f.syscall_tracepoints = false;
  f.trampolines = false;
  auto cs = choose_programs(f, AttachMode::automatic);
  for (const auto& probe : kSyscallProbes) {
    CAPTURE(probe);
    CHECK(chosen(cs, probe) == probe + (is_enter(probe) ? "_kprobe" : "_kretprobe"));
    CHECK_THAT(choice(cs, probe).reason, Catch::Contains("no BPF trampoline for __"));
  }

  FakeFeatures stock;
  auto k = choose_programs(stock, AttachMode::kprobe, {}, SyscallTracepoints::avoid);
  CHECK(chosen(k, "finit_module_enter") == "finit_module_enter_kprobe");
  CHECK_THAT(choice(k, "finit_module_enter").reason, Catch::Contains("forced by --attach=kprobe"));
  // --attach=kprobe alone keeps the tracepoints: they are neither fentry nor kprobes.
  CHECK(chosen(choose_programs(stock, AttachMode::kprobe), "finit_module_enter") ==
        "sys_enter_finit_module");

  // A fallback fentry program the verifier refused gives way to its kprobe twin.
  auto r = choose_programs(stock, AttachMode::automatic, {"init_module_enter_fentry"},
                           SyscallTracepoints::avoid);
  CHECK(chosen(r, "init_module_enter") == "init_module_enter_kprobe");
}

TEST_CASE("a missing fallback says why, and only the required probes matter",
          "[probes][fallback]") {
  FakeFeatures f;
  f.syscall_tracepoints = false;
  f.btf_funcs.erase(test::syscall_fn("delete_module"));
  f.kallsyms.erase(test::syscall_fn("delete_module"));
  auto cs = choose_programs(f, AttachMode::automatic);
  const auto& del = choice(cs, "delete_module_enter");
  CHECK_FALSE(del.chosen.has_value());
  CHECK_FALSE(del.spec->required);  // unloads are lost, loads are still followed
  CHECK_THAT(del.reason, Catch::Contains("CONFIG_FTRACE_SYSCALLS?") &&
                             Catch::Contains("fallback " + test::syscall_fn("delete_module")) &&
                             Catch::Contains("is not in the kernel's BTF"));
  CHECK(chosen(cs, "init_module_enter") == "init_module_enter_fentry");
  CHECK(choice(cs, "init_module_enter").spec->required);

  // --attach=fentry never falls back to kprobes, not even on the fallback.
  f.trampolines = false;
  auto e = choose_programs(f, AttachMode::fentry);
  CHECK_FALSE(choice(e, "init_module_enter").chosen.has_value());
  CHECK_THAT(
      choice(e, "init_module_enter").reason,
      Catch::Contains("fallback " + test::syscall_fn("init_module") + ": no BPF trampoline"));
}

TEST_CASE("preflight names the first thing to fix", "[probes][preflight]") {
  FakeFeatures f;
  CHECK_FALSE(preflight(f).has_value());

  auto modules_off = f;
  modules_off.modules = false;
  modules_off.privileged = false;  // module support is reported first
  auto p = preflight(modules_off);
  REQUIRE(p);
  CHECK_THAT(p->message, Catch::Contains("CONFIG_MODULES is not set"));
  CHECK_THAT(p->hint, Catch::Contains("scripts/demo.sh"));

  auto unpriv = f;
  unpriv.privileged = false;
  REQUIRE(preflight(unpriv));
  CHECK_THAT(preflight(unpriv)->message, Catch::Contains("CAP_BPF"));

  auto perfmon_only = f;
  perfmon_only.sys_admin = false;  // CAP_BPF + CAP_PERFMON, Debian's paranoid=3
  REQUIRE(preflight(perfmon_only));
  CHECK_THAT(preflight(perfmon_only)->message, Catch::Contains("perf_event_paranoid is 3"));
  perfmon_only.paranoid = 2;
  CHECK_FALSE(preflight(perfmon_only).has_value());

  auto old_kernel = f;  // 5.10-5.16: no bpf_loop(), no bpf_get_func_arg(); twins cover them
  old_kernel.loop = false;
  old_kernel.func_arg = false;
  CHECK_FALSE(preflight(old_kernel).has_value());

  auto nobtf = f;
  nobtf.has_btf = false;
  REQUIRE(preflight(nobtf));
  CHECK_THAT(preflight(nobtf)->message, Catch::Contains("BTF"));
}

// Debian 11's 5.10 (docs/kernels.md): BTF and trampolines, but neither bpf_loop() nor
// bpf_get_func_arg().
TEST_CASE("before 5.17: the bounded symbol walk, and kprobes on do_one_initcall", "[probes]") {
  FakeFeatures f;
  f.loop = false;
  f.func_arg = false;
  auto cs = choose_programs(f, AttachMode::automatic);
  CHECK(chosen(cs, "do_init_module_enter") == "do_init_module_fentry_bounded");
  CHECK(choice(cs, "do_init_module_enter").chosen->flavor == Flavor::fentry);
  CHECK_THAT(choice(cs, "do_init_module_enter").reason,
             Catch::Contains("preferred") && Catch::Contains("lacks bpf_loop()") &&
                 Catch::Contains("do_init_module_fentry_bounded instead"));
  CHECK(chosen(cs, "do_one_initcall_enter") == "do_one_initcall_kprobe");
  CHECK(chosen(cs, "do_one_initcall_exit") == "do_one_initcall_kretprobe");
  CHECK_THAT(choice(cs, "do_one_initcall_enter").reason,
             Catch::StartsWith("fentry unusable: the kernel lacks bpf_get_func_arg()"));
  CHECK_THAT(choice(cs, "do_one_initcall_enter").reason, Catch::Contains("do_one_initcall_fentry"));
  // init_module's image walk: the bounded loop, on the tracepoint and on both fallbacks.
  CHECK(chosen(cs, "init_module_enter") == "sys_enter_init_module_bounded");
  CHECK(choice(cs, "init_module_enter").chosen->flavor == Flavor::tracepoint);
  auto notp = f;
  notp.syscall_tracepoints = false;
  CHECK(chosen(choose_programs(notp, AttachMode::automatic), "init_module_enter") ==
        "init_module_enter_fentry_bounded");
  CHECK(chosen(choose_programs(notp, AttachMode::kprobe), "init_module_enter") ==
        "init_module_enter_kprobe_bounded");
  // Untouched: programs that call neither helper.
  CHECK(chosen(cs, "finit_module_enter") == "sys_enter_finit_module");
  CHECK(chosen(cs, "do_init_module_exit") == "do_init_module_fexit");
  CHECK(chosen(cs, "free_module") == "free_module_fentry");
  CHECK(choice(cs, "free_module").reason == "preferred");

  SECTION("--attach=kprobe takes the bounded kprobe") {
    auto k = choose_programs(f, AttachMode::kprobe);
    CHECK(chosen(k, "do_init_module_enter") == "do_init_module_kprobe_bounded");
    CHECK(choice(k, "do_init_module_enter").chosen->flavor == Flavor::kprobe);
  }
  SECTION("--attach=fentry has nothing for do_one_initcall, and says why") {
    auto e = choose_programs(f, AttachMode::fentry);
    CHECK(chosen(e, "do_init_module_enter") == "do_init_module_fentry_bounded");
    CHECK(chosen(e, "do_one_initcall_enter").empty());
    CHECK_THAT(choice(e, "do_one_initcall_enter").reason, Catch::Contains("bpf_get_func_arg()"));
  }
  SECTION("no trampolines: the bounded kprobe, and the reason names both") {
    f.trampolines = false;
    auto t = choose_programs(f, AttachMode::automatic);
    CHECK(chosen(t, "do_init_module_enter") == "do_init_module_kprobe_bounded");
    CHECK_THAT(choice(t, "do_init_module_enter").reason,
               Catch::Contains("no BPF trampoline") && Catch::Contains("lacks bpf_loop()"));
  }
  SECTION("a bounded walk the verifier refused gives way to the bounded kprobe") {
    auto r = choose_programs(f, AttachMode::automatic, {"do_init_module_fentry_bounded"});
    CHECK(chosen(r, "do_init_module_enter") == "do_init_module_kprobe_bounded");
    CHECK_THAT(choice(r, "do_init_module_enter").reason, Catch::Contains("kernel refused"));
  }
  SECTION("with the helpers (5.17+) nothing is replaced") {
    f.loop = true;
    f.func_arg = true;
    auto n = choose_programs(f, AttachMode::automatic);
    CHECK(chosen(n, "do_init_module_enter") == "do_init_module_fentry");
    CHECK(choice(n, "do_init_module_enter").reason == "preferred");
    CHECK(chosen(n, "do_one_initcall_enter") == "do_one_initcall_fentry");
  }
}

TEST_CASE("a program the verifier rejected gives way to its twin, or to nothing", "[probes]") {
  FakeFeatures f;
  auto cs = choose_programs(f, AttachMode::automatic, {"do_one_initcall_fentry"});
  CHECK(chosen(cs, "do_one_initcall_enter") == "do_one_initcall_kprobe");
  CHECK(chosen(cs, "do_one_initcall_exit") == "do_one_initcall_fexit");

  // A rejected syscall tracepoint program gives way to its fallback, and then to nothing.
  cs = choose_programs(f, AttachMode::automatic, {"sys_enter_delete_module"});
  CHECK(chosen(cs, "delete_module_enter") == "delete_module_enter_fentry");
  CHECK_THAT(choice(cs, "delete_module_enter").reason, Catch::Contains("kernel refused"));
  cs = choose_programs(
      f, AttachMode::automatic,
      {"sys_enter_delete_module", "delete_module_enter_fentry", "delete_module_enter_kprobe"});
  CHECK(chosen(cs, "delete_module_enter").empty());
  CHECK_THAT(choice(cs, "delete_module_enter").reason,
             Catch::Contains("kernel refused sys_enter_delete_module") &&
                 Catch::Contains("kernel refused delete_module_enter_kprobe"));
}

TEST_CASE("the failing program is read from libbpf's messages", "[probes]") {
  CHECK(failed_program(
            "libbpf: prog 'do_one_initcall_fentry': BPF program load failed: Invalid argument\n"
            "libbpf: prog 'do_one_initcall_fentry': failed to load: -22\n"
            "libbpf: failed to load object 'lifetrace_bpf'\n") == "do_one_initcall_fentry");
  CHECK_FALSE(failed_program("libbpf: failed to load object 'lifetrace_bpf'\n").has_value());
}

TEST_CASE("the request chain's probe is optional and says why it is missing", "[probes][chain]") {
  FakeFeatures f;
  auto k = choose_programs(f, AttachMode::kprobe);
  CHECK(chosen(k, "umh_exec") == "umh_exec_kprobe");
  CHECK_FALSE(choice(k, "umh_exec").spec->required);

  // A kernel where the helper's function is gone (inlined or renamed): no chain, the rest runs.
  f.btf_funcs.erase("call_usermodehelper_exec_async");
  f.kallsyms.erase("call_usermodehelper_exec_async");
  auto cs = choose_programs(f, AttachMode::automatic);
  const auto& c = choice(cs, "umh_exec");
  CHECK_FALSE(c.chosen.has_value());
  CHECK_THAT(c.reason, Catch::Contains("call_usermodehelper_exec_async"));
  CHECK(chosen(cs, "module_request") == "module_request_btf");
  CHECK(chosen(cs, "do_init_module_enter") == "do_init_module_fentry");
}

// ---- phases of a load (issue 12) -------------------------------------------------------------

namespace {
std::string target_of(const PhaseChoice& c, std::uint32_t phase) {
  std::string out;
  for (const auto& t : c.targets)
    if (t.phase == phase) out += (out.empty() ? "" : " ") + t.function;
  return out;
}
}  // namespace

TEST_CASE("phases: what 6.1's BTF offers is probed", "[probes]") {
  FakeFeatures f;
  // Debian 6.1 (the vm tier's facts): load_module's helpers mostly inlined.
  for (const char* fn : {"kernel_read_file", "load_module", "module_sig_check", "mod_verify_sig",
                         "layout_symtab", "module_alloc", "resolve_symbol", "apply_relocate_add",
                         "add_kallsyms", "module_finalize", "parse_args", "mod_sysfs_setup",
                         "async_synchronize_full", "blocking_notifier_call_chain_robust"})
    f.btf_funcs.insert(fn);
  f.kallsyms.insert("module_patient_check_exists.isra.0");  // not read: the kernel has BTF
  auto c = choose_phase_targets(f, AttachMode::automatic);
  REQUIRE(c.enabled);
  CHECK(target_of(c, LT_PH_READ) == "kernel_read_file");
  CHECK(target_of(c, LT_PH_SIGNATURE) == "module_sig_check");  // mod_verify_sig is nested
  CHECK(target_of(c, LT_PH_SYMBOLS) == "resolve_symbol");
  CHECK(target_of(c, LT_PH_DUPLICATE_CHECK).empty());
  CHECK(target_of(c, LT_PH_LAYOUT) == "layout_symtab module_alloc");
  CHECK(target_of(c, LT_PH_INIT) == "do_one_initcall");
  CHECK(target_of(c, LT_PH_FINALIZE) == "do_init_module");
  CHECK(target_of(c, LT_PH_SYSCALL) ==
        syscall_fn("finit_module") + " " + syscall_fn("init_module"));
  CHECK(target_of(c, LT_PH_ELF).empty());
  CHECK(std::count(c.phases_missing.begin(), c.phases_missing.end(), LT_PH_ELF) == 1);
  CHECK(c.reason.find("not separable on this kernel: decompress, elf, duplicate_check") !=
        std::string::npos);
  // The cookie: the phase and how the return value reads.
  for (const auto& t : c.targets) {
    CAPTURE(t.function);
    CHECK(LT_PHC_PHASE(t.cookie) == t.phase);
    if (t.function == "kernel_read_file") CHECK((t.cookie & LT_PHC_RET_BYTES));
    if (t.function == "parse_args") CHECK((t.cookie & LT_PHC_RET_PTR));
    if (t.function == "do_one_initcall") CHECK((t.cookie & LT_PHC_RET_INT));
    if (t.function == "async_synchronize_full") CHECK((t.cookie & 0xff00) == 0);
  }
  // Each function once.
  std::set<std::string> fns;
  for (const auto& t : c.targets) CHECK(fns.insert(t.function).second);
}

TEST_CASE("phases: one kprobe.multi link pair where the kernel has them (5.18, CONFIG_FPROBE)",
          "[probes]") {
  FakeFeatures f;
  f.btf_funcs.insert({"load_module", "parse_args"});
  CHECK_FALSE(choose_phase_targets(f, AttachMode::automatic).multi);  // 5.15-5.17, no FPROBE
  f.multi = true;
  auto c = choose_phase_targets(f, AttachMode::automatic);
  REQUIRE(c.enabled);
  CHECK(c.multi);
  CHECK(c.targets.size() >= 2);  // the same targets and cookies either way
  f.cookie = false;              // no cookies, no phases, multi or not
  CHECK_FALSE(choose_phase_targets(f, AttachMode::automatic).multi);
}

TEST_CASE("phases: without BTF kallsyms names them with renamed copies included", "[probes]") {
  FakeFeatures f;
  f.has_btf = false;
  f.kallsyms.insert({"load_module", "module_patient_check_exists.cold",
                     "module_patient_check_exists.isra.0", "parse_args"});
  auto c = choose_phase_targets(f, AttachMode::automatic);
  REQUIRE(c.enabled);
  CHECK(target_of(c, LT_PH_DUPLICATE_CHECK) == "module_patient_check_exists.isra.0");
  CHECK(target_of(c, LT_PH_PARAMS) == "parse_args");
  CHECK(target_of(c, LT_PH_LOAD_MODULE) == "load_module");
}

TEST_CASE("phases: a whole step's function is preferred to the ones it calls", "[probes]") {
  FakeFeatures f;
  for (const char* fn : {"load_module", "simplify_symbols", "resolve_symbol", "apply_relocations",
                         "apply_relocate_add", "layout_and_allocate", "layout_symtab",
                         "prepare_coming_module", "blocking_notifier_call_chain_robust"})
    f.btf_funcs.insert(fn);
  auto c = choose_phase_targets(f, AttachMode::automatic);
  CHECK(target_of(c, LT_PH_SYMBOLS) == "simplify_symbols");
  CHECK(target_of(c, LT_PH_RELOCATIONS) == "apply_relocations");
  CHECK(target_of(c, LT_PH_LAYOUT) == "layout_and_allocate");
  CHECK(target_of(c, LT_PH_COMING) == "prepare_coming_module");
}

TEST_CASE("phases: absent without kprobes or attach cookies (5.10) or under --attach=fentry",
          "[probes]") {
  FakeFeatures f;
  f.btf_funcs.insert("load_module");
  SECTION("5.10: no bpf_get_attach_cookie()") {
    f.cookie = false;
    auto c = choose_phase_targets(f, AttachMode::automatic);
    CHECK_FALSE(c.enabled);
    CHECK(c.targets.empty());
    CHECK(c.reason.find("bpf_get_attach_cookie() (Linux 5.15+)") != std::string::npos);
  }
  SECTION("no kprobes") {
    f.kprobe_pmu = false;
    CHECK_FALSE(choose_phase_targets(f, AttachMode::automatic).enabled);
  }
  SECTION("--attach=fentry") {
    CHECK_FALSE(choose_phase_targets(f, AttachMode::fentry).enabled);
    CHECK(choose_phase_targets(f, AttachMode::kprobe).enabled);
  }
}

TEST_CASE("kprobe targets are looked up in BTF, and in /proc/kallsyms only without it",
          "[probes]") {
  FakeFeatures f;
  auto k = choose_programs(f, AttachMode::kprobe);
  CHECK(chosen(k, "do_init_module_enter") == "do_init_module_kprobe");
  CHECK(chosen(k, "module_request") == "module_request_raw");
  CHECK(f.kallsyms_asked == 0);

  // The function is in kallsyms but not in BTF: with BTF, that is "not there".
  f.btf_funcs.erase("free_module");
  k = choose_programs(f, AttachMode::kprobe);
  CHECK_FALSE(choice(k, "free_module").chosen.has_value());
  CHECK_THAT(choice(k, "free_module").reason,
             Catch::Contains("free_module is not in the kernel's BTF"));

  // Without BTF, kallsyms decides (and its tracepoint symbol for the raw tracepoint).
  f.has_btf = false;
  k = choose_programs(f, AttachMode::kprobe);
  CHECK(chosen(k, "free_module") == "free_module_kprobe");
  CHECK(chosen(k, "module_request") == "module_request_raw");
  CHECK(f.kallsyms_asked > 0);
  f.kallsyms.erase("free_module");
  k = choose_programs(f, AttachMode::kprobe);
  CHECK_THAT(choice(k, "free_module").reason,
             Catch::Contains("free_module is not in /proc/kallsyms"));
}

TEST_CASE("an attach refusal retries that program, ENOTSUPP every trampoline program", "[probes]") {
  FakeFeatures f;
  const auto cs = choose_programs(f, AttachMode::automatic);
  REQUIRE(chosen(cs, "do_init_module_enter") == "do_init_module_fentry");

  // One function the kernel would not patch (EINVAL, EBUSY): that program only.
  auto r = programs_to_retry({{"free_module_fentry", EBUSY}}, cs, {});
  CHECK(r == std::set<std::string>{"free_module_fentry"});
  auto again = choose_programs(f, AttachMode::automatic, r);
  CHECK(chosen(again, "free_module") == "free_module_kprobe");
  CHECK(chosen(again, "do_init_module_enter") == "do_init_module_fentry");

  // No trampolines on this arch: every chosen fentry and fexit program at once.
  r = programs_to_retry({{"do_init_module_fentry", kEnotsupp}}, cs, {});
  CHECK(r.count("do_init_module_fentry"));
  CHECK(r.count("do_one_initcall_fexit"));
  CHECK(r.count("free_module_fentry"));
  CHECK_FALSE(r.count("sys_enter_init_module"));  // a tracepoint: no trampoline
  again = choose_programs(f, AttachMode::automatic, r);
  for (const auto& c : again)
    if (c.chosen) CHECK((c.chosen->flavor != Flavor::fentry && c.chosen->flavor != Flavor::fexit));

  // What was already rejected is not retried again: the start then stops retrying.
  CHECK(programs_to_retry({{"free_module_fentry", EBUSY}}, cs, {"free_module_fentry"}).empty());
}
