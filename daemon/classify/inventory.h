// Inventory of the loaded modules: /proc/modules + /sys/module/NAME/* +
// the language of each module from /proc/kallsyms.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "classify/classify.h"
#include "classify/provenance.h"

namespace lifetrace::classify {

// Every string is sanitized (util/text.h) where it is read from /proc or /sys.
struct ModuleInfo {
  std::string name;
  uint64_t size_bytes = 0;
  int64_t refcount = -1;             // -1: unknown (kernel without module unloading)
  std::vector<std::string> holders;  // modules that use this one
  bool permanent = false;            // "[permanent]": has init but no exit
  std::string state;                 // "Live", "Loading", "Unloading"
  std::string taints;                // letters as in /proc/modules, e.g. "OE"
  std::string srcversion;            // /sys/module/NAME/srcversion, if any
  uint64_t address = 0;              // 0 when hidden by kptr_restrict
  Language language = Language::unknown;
  Evidence evidence;
  // `list --json` only: the file modules.dep names for it, and its provenance.
  std::string file;
  std::optional<Provenance> provenance;
};

// One /proc/modules line. False for a malformed line.
bool parse_proc_modules_line(std::string_view line, ModuleInfo& out);

// Every loaded module, in /proc/modules order. On a kernel without loadable
// module support (no <procfs>/modules) returns an empty vector and sets
// *error to a clear message; a missing or unreadable kallsyms only leaves the
// languages unknown (and sets *warning).
std::vector<ModuleInfo> inventory(const std::filesystem::path& procfs = "/proc",
                                  const std::filesystem::path& sysfs = "/sys",
                                  std::string* error = nullptr, std::string* warning = nullptr);

// {"name","size_bytes","refcount","holders","permanent","state","taints",
//  "srcversion","language", evidence keys..., and with a file: "file", provenance keys}
nlohmann::json to_json(const ModuleInfo&);

}  // namespace lifetrace::classify
