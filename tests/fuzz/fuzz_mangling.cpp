// rust_mangling(): never crashes, and a name accepted whole is accepted as
// truncated too (a cut name only needs to parse up to the cut).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "classify/classify.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lifetrace::classify;
  const std::string_view name(reinterpret_cast<const char*>(data), size);
  const Mangling whole = rust_mangling(name, false);
  const Mangling cut = rust_mangling(name, true);
  if (whole != Mangling::none && cut == Mangling::none)
    lifetrace::fuzz::fail("accepted whole but refused as truncated", name);
  (void)is_boilerplate(name);
  (void)is_rust_runtime(name);
  // Through the classifier: whatever it keeps is sanitized.
  Classifier c;
  c.add(Symbol{name, SymKind::func, true});
  c.add(Symbol{name, SymKind::object, false, true});
  c.set_init_symbol(name);
  const Result r = c.finish();
  for (const auto& e : r.evidence.examples) lifetrace::fuzz::check_sanitized(e);
  lifetrace::fuzz::check_sanitized(r.evidence.init_symbol);
  lifetrace::fuzz::check_json(to_json(r));
  return 0;
}
