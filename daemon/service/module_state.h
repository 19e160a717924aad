// The set of loaded modules the daemon saw last, kept in its state directory
// (--state.file, default /var/lib/lifetrace/modules.state) so that modules
// loaded, unloaded or reloaded while it was not running are reported at its
// next start (changed_while_down events) instead of being silently absorbed
// into the inventory (docs/daemon.md#changes-while-down).
//
// Written whenever the set changes, atomically (a temporary file renamed over
// the old one), so a kill -9 leaves the last set, never half a file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "classify/classify.h"

namespace lifetrace {

// What tells one load of a module from the next: the inode number of its
// /sys/module/NAME directory. kernfs numbers each new node from a cyclic id
// allocator, so a module unloaded and loaded again gets a new number; the
// address in /proc/modules would do too, but it reads 0 without CAP_SYSLOG,
// which the unit does not grant, and the kernel exposes no load time.
// 0 = unknown (then a reload cannot be told apart from no change).
struct SavedModule {
  std::uint64_t sysfs_ino = 0;
  classify::Language language = classify::Language::unknown;
  bool operator==(const SavedModule&) const = default;
};
using ModuleSet = std::map<std::string, SavedModule>;

// "lifetrace-modules 1" then "NAME INO LANGUAGE" per line.
std::string serialize_module_state(const ModuleSet& set);
// nullopt (and *error) for anything that is not such a file.
std::optional<ModuleSet> parse_module_state(std::string_view text, std::string* error);

struct ModuleChange {
  std::string module;
  std::string change;  // "loaded", "unloaded", "reloaded"
  classify::Language language = classify::Language::unknown;
};
// Unloaded first, then loaded and reloaded, each by name.
std::vector<ModuleChange> changes_while_down(const ModuleSet& saved, const ModuleSet& now);

// The modules in <procfs>/modules whose state is Live (one still in its
// init, or going away, is not counted as loaded); nullopt and *error if the
// file cannot be read.
std::optional<std::vector<std::string>> live_module_names(const std::filesystem::path& procfs,
                                                          std::string* error);

// The inode of <sysfs>/module/NAME, 0 if it cannot be read.
std::uint64_t module_sysfs_ino(const std::filesystem::path& sysfs, const std::string& name);

class ModuleStateFile {
 public:
  explicit ModuleStateFile(std::filesystem::path path) : path_(std::move(path)) {}
  const std::filesystem::path& path() const { return path_; }
  // The saved set; nullopt when there is none yet (first start: *error stays
  // empty) or it cannot be read or parsed (*error says why).
  std::optional<ModuleSet> load(std::string* error) const;
  // Writes `set` unless it is the one written last; false and *error if it failed.
  bool save(const ModuleSet& set, std::string* error);

 private:
  std::filesystem::path path_;
  std::optional<ModuleSet> written_;
};

}  // namespace lifetrace
