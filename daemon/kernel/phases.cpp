#include "kernel/phases.h"

#include <optional>
#include <set>

#include "core/phases.h"
#include "lifetrace.h"

namespace lifetrace {

namespace {
constexpr std::uint32_t kInt = LT_PHC_RET_INT;
constexpr std::uint32_t kPtr = LT_PHC_RET_PTR;
constexpr std::uint32_t kBytes = LT_PHC_RET_BYTES;
constexpr std::uint32_t kVoid = 0;
}  // namespace

// Names from kernel/module/main.c (kernel/module.c before 5.19) of Linux 5.15, 6.1, 6.12 and
// 7.2. Static functions are often inlined into load_module (then their time is load_module's:
// LT_PH_LOAD_MODULE) or renamed with a suffix (.isra.0, .constprop.0), which the choice
// accepts. Where a kernel keeps a whole step as one function, that one is used; otherwise the
// functions it calls that remain.
const std::vector<PhaseGroup>& phase_table() {
  static const std::vector<PhaseGroup> table = {
      {LT_PH_SYSCALL, {{LT_SYSCALL_FN("finit_module"), kInt}}},
      {LT_PH_SYSCALL, {{LT_SYSCALL_FN("init_module"), kInt}}},
      {LT_PH_IDEMPOTENT, {{"idempotent_init_module", kInt}}},
      {LT_PH_READ, {{"kernel_read_file", kBytes}}},
      {LT_PH_READ, {{"copy_module_from_user", kInt}}},
      {LT_PH_DECOMPRESS, {{"module_decompress", kInt}}},
      {LT_PH_LOAD_MODULE, {{"load_module", kInt}}},
      {LT_PH_SIGNATURE, {{"module_sig_check", kInt}, {"mod_verify_sig", kInt}}},
      {LT_PH_ELF, {{"elf_validity_cache_copy", kInt}, {"elf_validity_check", kInt}}},
      {LT_PH_ELF, {{"setup_load_info", kInt}}},
      {LT_PH_ELF, {{"early_mod_check", kInt}, {"check_modinfo", kInt}}},
      {LT_PH_ELF, {{"early_mod_check", kInt}, {"check_modstruct_version", kVoid}}},
      {LT_PH_LAYOUT, {{"layout_and_allocate", kPtr}, {"module_enforce_rwx_sections", kInt}}},
      {LT_PH_LAYOUT, {{"layout_and_allocate", kPtr}, {"layout_symtab", kVoid}}},
      {LT_PH_LAYOUT,
       {{"layout_and_allocate", kPtr},
        {"move_module", kInt},
        {"module_memory_alloc", kInt},
        {"execmem_alloc_rw", kVoid},
        {"execmem_alloc", kVoid},
        {"module_alloc", kVoid}}},
      {LT_PH_DUPLICATE_CHECK,
       {{"add_unformed_module", kInt}, {"module_patient_check_exists", kInt}}},
      {LT_PH_SYMBOLS,
       {{"simplify_symbols", kInt}, {"resolve_symbol_wait", kPtr}, {"resolve_symbol", kPtr}}},
      {LT_PH_RELOCATIONS, {{"apply_relocations", kInt}, {"apply_relocate_add", kInt}}},
      {LT_PH_FORMATION, {{"post_relocation", kInt}, {"add_kallsyms", kVoid}}},
      {LT_PH_FORMATION, {{"post_relocation", kInt}, {"module_finalize", kInt}}},
      {LT_PH_FORMATION,
       {{"complete_formation", kInt},
        {"module_enable_rodata_ro", kInt},
        {"module_enable_ro", kVoid}}},
      {LT_PH_FORMATION,
       {{"complete_formation", kInt},
        {"module_enable_text_rox", kInt},
        {"module_enable_x", kVoid}}},
      {LT_PH_FORMATION,
       {{"complete_formation", kInt},
        {"module_enable_data_nx", kInt},
        {"module_enable_nx", kVoid}}},
      {LT_PH_FORMATION, {{"init_build_id", kVoid}}},
      // Not ftrace_module_init nor ftrace_module_enable: the kernel refuses kprobes on them
      // (EINVAL on 6.1, 6.12 and 7.2), so their time stays load_module's and coming's.
      {LT_PH_COMING,
       {{"prepare_coming_module", kInt}, {"blocking_notifier_call_chain_robust", kVoid}}},
      {LT_PH_COMING, {{"prepare_coming_module", kInt}, {"klp_module_coming", kInt}}},
      {LT_PH_PARAMS, {{"parse_args", kPtr}}},
      {LT_PH_SYSFS, {{"mod_sysfs_setup", kInt}}},
      {LT_PH_FINALIZE, {{"do_init_module", kInt}}},
      {LT_PH_INIT, {{"do_one_initcall", kInt}}},
      {LT_PH_ASYNC_WAIT, {{"async_synchronize_full", kVoid}}},
  };
  return table;
}

PhaseChoice choose_phase_targets(const KernelFeatures& f, AttachMode mode) {
  PhaseChoice c;
  if (mode == AttachMode::fentry) {
    c.reason = "phases need kprobes, and --attach=fentry asks for none";
    return c;
  }
  if (!f.kprobes()) {
    c.reason = "phases need kprobes (CONFIG_KPROBES), which this kernel lacks";
    return c;
  }
  if (!f.attach_cookie_helper()) {
    c.reason =
        "phases need bpf_get_attach_cookie() (Linux 5.15+), which this kernel lacks: loads "
        "carry no phases";
    return c;
  }
  // Which functions exist out of line: from the kernel's BTF where it has one (already parsed
  // for the fentry choice, so free), else from /proc/kallsyms, which also finds compiler-renamed
  // copies (name.isra.0) but costs a read of every symbol at start: about 10 s and 8 MB of peak
  // memory on 7.2 under TCG (bench/footprint). BTF has no FUNC for such copies, so with BTF a
  // function that only exists renamed is not probed (6.12, 7.2: module_patient_check_exists;
  // its EEXIST/EBUSY still name the failing step, see core/phases.cpp).
  const bool by_btf = f.btf();
  const auto lookup = [&](const char* name) -> std::optional<std::string> {
    if (by_btf) return f.btf_has_func(name) ? std::optional<std::string>(name) : std::nullopt;
    return f.kallsyms_function(name);
  };
  std::set<std::string> taken;
  std::set<std::uint32_t> covered;
  for (const auto& g : phase_table()) {
    for (const auto& cand : g.functions) {
      auto sym = lookup(cand.function);
      if (!sym) continue;
      if (taken.insert(*sym).second)
        c.targets.push_back({g.phase, *sym, std::uint64_t{g.phase} | cand.ret});
      covered.insert(g.phase);
      break;
    }
  }
  for (std::uint32_t p = LT_PH_NONE + 1; p < LT_PH_MAX; ++p)
    if (!covered.count(p)) c.phases_missing.push_back(p);
  if (c.targets.empty()) {
    c.reason = std::string("none of the load path's functions is in ") +
               (by_btf ? "the kernel's BTF" : "/proc/kallsyms");
    return c;
  }
  c.enabled = true;
  c.multi = f.kprobe_multi();
  c.reason = std::to_string(c.targets.size()) + " functions for " + std::to_string(covered.size()) +
             " phases";
  std::string missing;
  for (auto p : c.phases_missing) missing += (missing.empty() ? "" : ", ") + phase_name(p);
  if (!missing.empty()) c.reason += "; not separable on this kernel: " + missing;
  return c;
}

}  // namespace lifetrace
