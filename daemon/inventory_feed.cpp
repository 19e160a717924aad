#include "inventory_feed.h"

#include <cstdio>

#include "classify/inventory.h"

namespace lifetrace {

std::size_t seed_known_modules(Correlator& c, const std::string& procfs, const std::string& sysfs) {
  std::string error, warning;
  const auto modules = classify::inventory(procfs, sysfs, &error, &warning);
  if (!error.empty()) {
    std::fprintf(stderr, "lifetrace: warning: inventory of loaded modules: %s\n", error.c_str());
  }
  if (!warning.empty()) std::fprintf(stderr, "lifetrace: warning: %s\n", warning.c_str());
  for (const auto& m : modules) c.add_known_module(m.name, m.language);
  return modules.size();
}

}  // namespace lifetrace
