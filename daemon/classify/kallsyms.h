// /proc/kallsyms as a source of symbols: "ADDR TYPE NAME\t[module]" lines,
// grouped per module in one pass over the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
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
// keyed by the sanitized module name. Lines over kMaxLineBytes are skipped.
// Entries without a module (vmlinux) are skipped. Pseudo-modules such as
// [bpf] or [__builtin__ftrace] are included; callers match on real names.
std::map<std::string, Result, std::less<>> classify_kallsyms(std::string_view text);

// Same, streaming a kallsyms file (e.g. procfs / "kallsyms") line by line:
// what is kept is the per-module classifiers, not the file. On failure
// returns an empty map and sets *error.
std::map<std::string, Result, std::less<>> classify_kallsyms_file(const std::filesystem::path& file,
                                                                  std::string* error = nullptr);

// The largest text file read (whole or line by line): /proc/kallsyms is ~12 MB.
inline constexpr size_t kMaxTextFileSize = size_t{64} << 20;

// One line of a text, without its '\n' and one trailing '\r'. The view is
// valid only during the call.
using LineFn = std::function<void(std::string_view line)>;

// The longest line the readers below hand over: longer ones (no kernel writes
// one: KSYM_NAME_LEN is 512) are passed as an empty line, which no parser
// accepts, so that line counts stay exact.
inline constexpr size_t kMaxLineBytes = 4096;

// Every line of `text` in order (a final line without '\n' included; no
// empty line after a final '\n').
void for_each_line(std::string_view text, const LineFn& line);

// The same for a (possibly /proc, size-0) regular file, read through a
// bounded buffer (64 KiB), so memory does not grow with the file. False and
// *error = "PATH: why" when it cannot be opened or read to its end, or is
// over `max_bytes` (lines before the failure have been handed over already).
// Refuses, without blocking, anything but a regular file.
bool for_each_file_line(const std::filesystem::path& file, const LineFn& line,
                        std::string* error = nullptr, size_t max_bytes = kMaxTextFileSize);

// Reads a whole (possibly /proc, size-0) regular file into a string; false
// and *error = "PATH: why" on failure (the path sanitized). Refuses, without
// blocking, anything but a regular file, and files over `max_bytes`.
bool read_text_file(const std::filesystem::path& file, std::string& out,
                    std::string* error = nullptr, size_t max_bytes = kMaxTextFileSize);

}  // namespace lifetrace::classify
