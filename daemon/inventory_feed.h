// Seeds the correlator with the modules loaded before tracing started.
#pragma once

#include <cstddef>
#include <string>

#include "correlator.h"

namespace lifetrace {

// Reads the inventory (/proc/modules, /sys/module, /proc/kallsyms) and tells
// the correlator each module's language. Returns how many modules it found.
std::size_t seed_known_modules(Correlator& c, const std::string& procfs, const std::string& sysfs);

}  // namespace lifetrace
