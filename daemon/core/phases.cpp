#include "core/phases.h"

#include <algorithm>
#include <cerrno>

#include "lifetrace.h"

namespace lifetrace {

std::string phase_name(std::uint32_t phase) {
  switch (phase) {
    case LT_PH_READ: return "read";
    case LT_PH_DECOMPRESS: return "decompress";
    case LT_PH_SIGNATURE: return "signature";
    case LT_PH_ELF: return "elf";
    case LT_PH_LAYOUT: return "layout";
    case LT_PH_DUPLICATE_CHECK: return "duplicate_check";
    case LT_PH_SYMBOLS: return "symbols";
    case LT_PH_RELOCATIONS: return "relocations";
    case LT_PH_FORMATION: return "formation";
    case LT_PH_COMING: return "coming";
    case LT_PH_PARAMS: return "params";
    case LT_PH_SYSFS: return "sysfs";
    case LT_PH_INIT: return "init";
    case LT_PH_ASYNC_WAIT: return "async_wait";
    case LT_PH_FINALIZE: return "finalize";
    case LT_PH_LOAD_MODULE: return "load_module";
    case LT_PH_IDEMPOTENT: return "idempotent";
    case LT_PH_SYSCALL: return "syscall";
    default: return "phase" + std::to_string(phase);
  }
}

namespace {
bool has_phase(const LoadPhases& p, std::string_view name) {
  return std::any_of(p.phases.begin(), p.phases.end(),
                     [&](const Phase& ph) { return ph.name == name; });
}
}  // namespace

bool duplicate_waiter(const LoadPhases& p) {
  // The only other way through idempotent_init_module without reading: a file not opened for
  // reading (EBADF, checked before the wait).
  return has_phase(p, "idempotent") && !has_phase(p, "read") && !has_phase(p, "load_module") &&
         !(p.failed == LT_PH_IDEMPOTENT && p.failed_ret == -EBADF);
}

std::optional<std::string> failure_step(const LoadPhases& p, std::int64_t ret) {
  if (ret >= 0) return std::nullopt;
  if (duplicate_waiter(p)) return "already_loading";
  const std::string failed = p.failed ? phase_name(p.failed) : "";
  // Where the duplicate check has no function of its own (inlined into load_module, or the
  // error came back through it), the error code names the reason: the kernel returns EEXIST
  // for a module already live and EBUSY for one still loading (add_unformed_module,
  // module_patient_check_exists).
  if (failed.empty() || failed == "load_module" || failed == "duplicate_check") {
    if (ret == -EEXIST) return "already_loaded";
    if (ret == -EBUSY) return "already_loading";
  }
  // An unknown symbol: simplify_symbols (inlined into load_module) returns ENOENT after the
  // symbol lookups it makes.
  if (failed == "load_module" && ret == -ENOENT && has_phase(p, "symbols")) return "symbols";
  if (failed.empty()) return std::nullopt;
  return failed;
}

void apply_phases(Event& e, const LoadPhases& p) {
  Phases ph = p.phases;
  if (duplicate_waiter(p)) {
    for (auto& x : ph)
      if (x.name == "idempotent") x.name = "already_loading";
  }
  std::uint64_t sum = 0;
  for (const auto& x : ph) sum += x.ns;
  e.phases = std::move(ph);
  const std::uint64_t total = e.load_ns.value_or(p.span_ns);
  if (total > 0)
    e.phase_coverage = std::min(1.0, static_cast<double>(sum) / static_cast<double>(total));
  if (e.kind == EventKind::load_failed && e.ret) {
    if (auto step = failure_step(p, *e.ret)) e.failed_in = *step;
  }
  e.read_bytes = p.read_bytes;
}

}  // namespace lifetrace
