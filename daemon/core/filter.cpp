#include "core/filter.h"

#include <fnmatch.h>

namespace lifetrace {

bool EventFilter::matches(const Event& e) const {
  if (!kinds_.empty() && !kinds_.count(e.kind)) return false;
  if (globs_.empty()) return true;
  for (const auto& g : globs_)
    if (fnmatch(g.c_str(), e.module.c_str(), 0) == 0) return true;
  return false;
}

}  // namespace lifetrace
