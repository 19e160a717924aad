// Seeds the correlator with the modules loaded before tracing started.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "classify/inventory.h"
#include "core/correlator.h"

namespace lifetrace {

// Reads the inventory (/proc/modules, /sys/module, /proc/kallsyms), tells the
// correlator each module's language and returns the modules. Problems reading
// it go to `warn` (the inventory is then partial or empty, tracing goes on).
std::vector<classify::ModuleInfo> seed_known_modules(
    Correlator& c, const std::string& procfs, const std::string& sysfs,
    const std::function<void(const std::string&)>& warn);

}  // namespace lifetrace
