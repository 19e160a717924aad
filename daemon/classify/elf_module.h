// Symbols, name and compiler notes of a kernel module file
// (.ko, .ko.xz, .ko.zst, .ko.gz), read in memory with libelf.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "classify/classify.h"
#include "classify/provenance.h"

namespace lifetrace::classify {

struct ElfModuleInfo {
  std::string module_name;     // .gnu.linkonce.this_module, else .modinfo name= (sanitized)
  bool rustc_comment = false;  // .comment contains "rustc version"
  std::string rustc_version;   // the version after it, sanitized ("1.97.1"); "" = none
  std::optional<bool> intree;  // .modinfo intree=Y; nullopt without .modinfo
  // The function init_module aliases (or "init_module"), raw bytes as in the
  // file: classification needs them; Classifier::set_init_symbol() keeps a
  // sanitized copy for display.
  std::string init_symbol;
  uint64_t symtab_entries = 0;
};

// Walks the .symtab of an in-memory ELF image, calling `sink` for every
// named symbol (names point into `image`, valid while it lives), and fills
// `info`. Returns "" on success or a per-file message ("not an ELF file",
// "no .symtab", "truncated ELF file ..."). Never throws.
std::string scan_elf(std::span<char> image, const std::function<void(const Symbol&)>& sink,
                     ElfModuleInfo& info);

// Every string in a ModuleFile is sanitized (util/text.h): printable UTF-8,
// invalid bytes and control characters shown as \xHH.
struct ModuleFile {
  std::string path;
  std::string module;  // module name; falls back to the file name
  Result result;
  std::string error;  // non-empty when the file could not be classified
  // sha256, rustc_version, intree, and the appended signature with its signer
  // (classify/provenance.h).
  Provenance provenance;
  bool ok() const { return error.empty(); }
};

class MemoryBudget;

// Reads, decompresses (by magic bytes) and classifies one module file.
// Never throws; failures are reported in ModuleFile::error. Only regular
// files are read (a FIFO or a device is an error, never a wait); a file
// larger than kMaxModuleFileSize or decompressing to more than
// kMaxDecompressedSize is an error. The memory held for the file comes from
// `budget` (classify/budget.h), shared with the other threads; a file that
// does not fit beside them is retried alone.
ModuleFile classify_file(const std::filesystem::path& path);
ModuleFile classify_file(const std::filesystem::path& path, MemoryBudget& budget);

// True for names ending in .ko, .ko.xz, .ko.zst or .ko.gz.
bool is_module_file_name(std::string_view filename);

// Module name derived from a file name: "ax88796b-rust.ko.xz" -> "ax88796b_rust".
std::string module_name_from_path(const std::filesystem::path& path);

// {"file", "module", "language", evidence..., provenance...} or {"file", "error"}.
nlohmann::json to_json(const ModuleFile&);

}  // namespace lifetrace::classify
