// /proc/kallsyms as a source of symbols: "ADDR TYPE NAME\t[module]" lines,
// grouped per module in one pass over the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "classify/classify.h"

namespace lifetrace::classify {

// `name` and `module` are the raw bytes of the line (classification needs
// them); whatever is kept or printed is sanitized (util/text.h).
struct KallsymsEntry {
  uint64_t address = 0;
  char type = '?';
  std::string_view name;
  std::string_view module;  // empty for vmlinux symbols
};

// Parses one line (without the trailing newline). False for a malformed line.
bool parse_kallsyms_line(std::string_view line, KallsymsEntry& out);

// Classifies every module that appears in `text` (a whole kallsyms dump),
// keyed by the sanitized module name.
// Entries without a module (vmlinux) are skipped. Pseudo-modules such as
// [bpf] or [__builtin__ftrace] are included; callers match on real names.
std::map<std::string, Result, std::less<>> classify_kallsyms(std::string_view text);

// Same, reading a kallsyms file (e.g. procfs / "kallsyms"). On failure
// returns an empty map and sets *error.
std::map<std::string, Result, std::less<>> classify_kallsyms_file(const std::filesystem::path& file,
                                                                  std::string* error = nullptr);

// Reads a whole (possibly /proc, size-0) regular file into a string; false
// and *error = "PATH: why" on failure (the path sanitized). Refuses, without
// blocking, anything but a regular file, and files over `max_bytes`.
inline constexpr size_t kMaxTextFileSize = size_t{64} << 20;  // /proc/kallsyms is ~10 MB
bool read_text_file(const std::filesystem::path& file, std::string& out,
                    std::string* error = nullptr, size_t max_bytes = kMaxTextFileSize);

}  // namespace lifetrace::classify
