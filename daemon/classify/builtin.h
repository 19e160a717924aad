// What is linked into the kernel image: the built-in modules (modules.builtin,
// modules.builtin.modinfo, modules.builtin.ranges) with their languages, and
// the Rust crates in vmlinux (from the v0 names in /proc/kallsyms).
// `lifetrace list --builtin` prints it; the exporter publishes its totals.
// Every input is hostile: bounded, and every string kept is sanitized here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "classify/classify.h"
#include "classify/kallsyms.h"

namespace lifetrace::classify {

// The crate a Rust v0 symbol belongs to: the crate root its path starts from,
// after nested paths (N), impl paths (M, X), generic arguments (I) and, for
// <Type as Trait> paths (Y), the type's own path (or, for a basic type, the
// trait's). Backrefs are followed. "" when the name is not v0 or has no such
// root. Crate names are [A-Za-z0-9_] by the grammar; punycode names are kept
// in their encoded form.
std::string rust_crate(std::string_view symbol);

// Limits on what is read from /lib/modules files (hostile input).
inline constexpr size_t kMaxBuiltinEntries = 1u << 16;  // modules, modinfo keys, ranges
inline constexpr size_t kMaxBuiltinValue = 1024;        // one modinfo value, in bytes

// modules.builtin: one "kernel/drivers/net/phy/qt2025.ko" per line. Returns
// the module names ("qt2025"; '-' becomes '_'), sanitized, without duplicates,
// in file order. Lines that are not a path ending in ".ko" are skipped.
std::vector<std::string> parse_modules_builtin(std::string_view text);

// modules.builtin.modinfo: NUL-separated "module.key=value" strings. Returns
// module -> key -> value (values sanitized and cut at kMaxBuiltinValue; for a
// repeated key, e.g. "alias", the first value is kept).
using BuiltinModinfo = std::map<std::string, std::map<std::string, std::string>, std::less<>>;
BuiltinModinfo parse_builtin_modinfo(std::string_view text);

// modules.builtin.ranges (CONFIG_BUILTIN_MODULE_RANGES, 6.12+):
//   ".text 00000000-00000000 = _text"    the section's anchor symbol
//   ".text 0000baf0-0000cb10 amd_uncore"  offsets from the anchor, [start, end)
//   ".text 008e9630-008ea610 a b c"       code shared by several modules
struct BuiltinRange {
  std::string section;  // ".text", ".data", ...
  uint64_t start = 0;   // offset from the section's anchor
  uint64_t end = 0;
  std::vector<std::string> modules;  // sanitized module names
};
struct BuiltinRanges {
  std::map<std::string, std::string, std::less<>> anchors;  // section -> anchor symbol
  std::vector<BuiltinRange> ranges;
  size_t bad_lines = 0;  // lines that were not understood (skipped)
};
BuiltinRanges parse_builtin_ranges(std::string_view text);

struct RustCrate {
  std::string name;
  uint64_t symbols = 0;                // defined v0 symbols of this crate outside modules
  uint64_t functions = 0;              // of which functions (t/T)
  std::optional<uint64_t> text_bytes;  // sum of the functions' sizes (to the next symbol);
                                       // nullopt when kallsyms hides addresses
  std::string module;                  // the built-in module of the same name, if any
};

struct BuiltinModule {
  std::string name;
  Language language = Language::unknown;
  // How the language was decided: "ranges" (its code located through
  // modules.builtin.ranges and classified), "crate" (a Rust crate of its name
  // is in vmlinux), "no_rust_in_kernel" (vmlinux holds no Rust symbol at all,
  // so nothing built in can be Rust), or "" (unknown: its code cannot be
  // located).
  std::string evidence_source;
  Evidence evidence;        // filled for "ranges"
  std::string file;         // modinfo "file", e.g. "drivers/net/phy/qt2025"
  std::string description;  // modinfo "description"
  std::string license;      // modinfo "license"
};

struct BuiltinReport {
  bool have_kallsyms = false;      // /proc/kallsyms could be read
  bool addresses_visible = false;  // kallsyms shows real addresses (not all zero)
  bool have_modules_builtin = false;
  bool have_modinfo = false;
  bool have_ranges = false;  // modules.builtin.ranges was found
  // Rust in vmlinux: at least one v0-mangled symbol outside modules. This is
  // what CONFIG_RUST=y leaves in the image (the core and kernel crates).
  bool kernel_has_rust = false;
  uint64_t rust_symbols = 0;           // v0 symbols outside modules, all crates
  std::vector<BuiltinModule> modules;  // sorted by name
  std::vector<RustCrate> crates;       // sorted by name
  std::vector<std::string> warnings;   // files that could not be read, bad lines
};

struct BuiltinInputs {
  std::string_view kallsyms;  // whole /proc/kallsyms (for the overload without a source)
  std::optional<std::string_view> modules_builtin;
  std::optional<std::string_view> modinfo;
  std::optional<std::string_view> ranges;
};

// Hands every line of a kallsyms text to `line`, in order, from the start
// (for_each_line() or for_each_file_line() in classify/kallsyms.h); false and *error when the text
// cannot be read to its end. Called once, or twice (see below).
using KallsymsSource = std::function<bool(const LineFn& line, std::string* error)>;

// Everything from the texts given, kallsyms streamed from `source` (in.kallsyms
// is not used); no other input. Memory is what the report keeps (crates, the
// Rust functions' addresses, one classifier per located module, the parsed
// modules.builtin* texts), never the kallsyms text: one pass computes the
// functions' sizes and places the ranges while the vmlinux addresses come in
// ascending order, as the kernel lists them (or all zero, when hidden). Only
// if they do not (or over 16 384 symbols, or 1 MiB of names, share one
// address, or a range wraps around) does a second pass redo those two parts. The result is the
// same either way. On a failed read: an empty report and *error.
BuiltinReport builtin_report(const KallsymsSource& source, const BuiltinInputs& in,
                             std::string* error = nullptr);

// The same, replaying in.kallsyms.
BuiltinReport builtin_report(const BuiltinInputs& in);

// Streams <procfs>/kallsyms and reads <moddir>/modules.builtin{,.modinfo,.ranges}.
// An empty `moddir` means /lib/modules/$(uname -r) (or /usr/lib/modules/...).
// Missing files are reported in `warnings`; a missing kallsyms sets *error.
BuiltinReport read_builtin_report(const std::filesystem::path& procfs,
                                  const std::filesystem::path& moddir, std::string* error);

// The default module directory of the running kernel.
std::filesystem::path default_module_dir();

// {"builtin": true, "module": ..., "language": ..., "evidence_source": ...,
//  "file"?, "description"?, "license"?, evidence keys (for "ranges")}
nlohmann::json to_json(const BuiltinModule&);
// {"builtin": true, "crate": ..., "language": "rust", "symbols": N,
//  "functions": N, "text_bytes": N|null, "module"?}
nlohmann::json to_json(const RustCrate&);
// {"builtin_summary": true, "kernel_rust": bool, "rust_symbols": N, "crates": N,
//  "modules": N, "c": N, "rust": N, "mixed": N, "unknown": N, "ranges": bool, ...}
nlohmann::json summary_json(const BuiltinReport&);

// `lifetrace list --builtin [--json]`.
int run_list_builtin(bool json, const std::filesystem::path& procfs,
                     const std::filesystem::path& moddir, std::ostream& out, std::ostream& err);

}  // namespace lifetrace::classify
