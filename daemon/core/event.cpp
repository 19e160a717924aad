#include "core/event.h"

#include "classify/provenance.h"
#include "lifetrace.h"

#include <array>
#include <cstring>
#include <utility>

namespace lifetrace {

namespace {
constexpr std::array<std::pair<EventKind, std::string_view>, 11> kNames{{
    {EventKind::load_start, "load_start"},
    {EventKind::init_start, "init_start"},
    {EventKind::init_done, "init_done"},
    {EventKind::live, "live"},
    {EventKind::load_failed, "load_failed"},
    {EventKind::unload_start, "unload_start"},
    {EventKind::unload_done, "unload_done"},
    {EventKind::freed, "freed"},
    {EventKind::request, "request"},
    {EventKind::denied, "denied"},
    {EventKind::changed_while_down, "changed_while_down"},
}};
}  // namespace

std::string_view to_string(EventKind k) {
  for (const auto& [kind, name] : kNames)
    if (kind == k) return name;
  return "unknown";
}

std::optional<EventKind> event_kind_from_string(std::string_view s) {
  for (const auto& [kind, name] : kNames)
    if (name == s) return kind;
  return std::nullopt;
}

std::string_view to_string(Stage s) { return s == Stage::init ? "init" : "before_init"; }

std::optional<Stage> stage_from_string(std::string_view s) {
  for (Stage st : {Stage::before_init, Stage::init})
    if (to_string(st) == s) return st;
  return std::nullopt;
}

std::string module_taint_letters(std::uint64_t taints) {
  // Bit numbers and letters of the taint flags the kernel prints per module
  // (include/linux/panic.h TAINT_*, kernel/panic.c taint_flags[].module).
  // In the kernel's order, which /proc/modules prints too, so the letters of
  // live events and of the inventory compare equal.
  static constexpr std::array<std::pair<int, char>, 10> kModuleTaints{{
      {0, 'P'},   // TAINT_PROPRIETARY_MODULE
      {1, 'F'},   // TAINT_FORCED_MODULE (insmod -f)
      {10, 'C'},  // TAINT_CRAP (staging)
      {12, 'O'},  // TAINT_OOT_MODULE
      {13, 'E'},  // TAINT_UNSIGNED_MODULE
      {15, 'K'},  // TAINT_LIVEPATCH
      {16, 'X'},  // TAINT_AUX
      {17, 'T'},  // TAINT_RANDSTRUCT
      {18, 'N'},  // TAINT_TEST
      {19, 'J'},  // TAINT_FWCTL
  }};
  std::string out;
  for (const auto& [bit, letter] : kModuleTaints)
    if (taints & (1ULL << bit)) out.push_back(letter);
  return out;
}

std::string errno_name(std::int64_t ret) {
  // The magnitude in unsigned arithmetic: -INT64_MIN is not an int64_t (fuzz_record found a
  // record with that return value), and an int would cut a large one short.
  const std::uint64_t e =
      ret < 0 ? 0 - static_cast<std::uint64_t>(ret) : static_cast<std::uint64_t>(ret);
  if (e <= 4095) {  // MAX_ERRNO: the range a syscall returns errors in
    if (const char* name = strerrorname_np(static_cast<int>(e))) return name;
  }
  return "E" + std::to_string(e);
}

std::string syscall_name(std::uint32_t lt_syscall) {
  switch (lt_syscall) {
    case LT_SYS_INIT_MODULE: return "init_module";
    case LT_SYS_FINIT_MODULE: return "finit_module";
    case LT_SYS_DELETE_MODULE: return "delete_module";
    default: return "syscall_" + std::to_string(lt_syscall);
  }
}

std::string module_name_from_file(std::string_view file) {
  return classify::module_name_of_path(file);
}

}  // namespace lifetrace
