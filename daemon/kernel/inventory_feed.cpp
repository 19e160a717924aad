#include "kernel/inventory_feed.h"

namespace lifetrace {

std::vector<classify::ModuleInfo> seed_known_modules(
    Correlator& c, const std::string& procfs, const std::string& sysfs,
    const std::function<void(const std::string&)>& warn) {
  std::string error, warning;
  auto modules = classify::inventory(procfs, sysfs, &error, &warning);
  if (!error.empty()) warn("inventory of loaded modules: " + error);
  if (!warning.empty()) warn(warning);
  for (const auto& m : modules) c.add_known_module(m.name, m.language);
  return modules;
}

}  // namespace lifetrace
