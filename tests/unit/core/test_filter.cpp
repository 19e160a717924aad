#include <catch2/catch.hpp>

#include "core/filter.h"

using namespace lifetrace;

TEST_CASE("the event filter matches globs and kinds", "[filter]") {
  Event e;
  e.module = "kvm_intel";
  e.kind = EventKind::live;
  CHECK(EventFilter().matches(e));
  CHECK(EventFilter({"kvm*"}, {}).matches(e));
  CHECK_FALSE(EventFilter({"dummy"}, {}).matches(e));
  CHECK(EventFilter({}, {EventKind::live}).matches(e));
  CHECK_FALSE(EventFilter({"kvm*"}, {EventKind::freed}).matches(e));
}
