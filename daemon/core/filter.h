// Which events the user wants to see (--module GLOB, --event NAME).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "core/event.h"

namespace lifetrace {

class EventFilter {
 public:
  EventFilter() = default;
  EventFilter(std::vector<std::string> module_globs, std::set<EventKind> kinds)
      : globs_(std::move(module_globs)), kinds_(std::move(kinds)) {}
  bool matches(const Event& e) const;

 private:
  std::vector<std::string> globs_;
  std::set<EventKind> kinds_;
};

}  // namespace lifetrace
