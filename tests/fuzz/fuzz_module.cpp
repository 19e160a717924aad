// A module file's bytes: decompression (by magic, like classify_file()),
// ELF scan and classification. Never a crash, a hang or an unbounded
// allocation; whatever is kept is sanitized and the JSON is valid.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "classify/decompress.h"
#include "classify/elf_module.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lifetrace::classify;
  std::vector<char> raw(reinterpret_cast<const char*>(data),
                        reinterpret_cast<const char*>(data) + size);
  std::vector<char> plain;
  std::span<char> image(raw.data(), raw.size());
  const Compression c = detect_compression(image);
  if (c != Compression::none) {
    // A small limit keeps runs fast; the budget hook is checked for sanity.
    DecompressLimits limits;
    limits.max_output = size_t{8} << 20;
    limits.reserve = [](size_t total) {
      if (total > (size_t{8} << 20) * 2 + kMaxDecoderMemory + (size_t{1} << 20))
        lifetrace::fuzz::fail("decompressor asked for more than its limits allow", "");
      return true;
    };
    const std::string e = decompress(image, c, plain, limits);
    if (!e.empty()) {
      lifetrace::fuzz::check_sanitized(e);
      if (plain.capacity() > limits.max_output + 1)
        lifetrace::fuzz::fail("output beyond the limit", e);
      return 0;
    }
    image = std::span<char>(plain.data(), plain.size());
  }
  ElfModuleInfo info;
  Classifier classifier;
  const std::string e = scan_elf(
      image, [&](const Symbol& s) { classifier.add(s); }, info);
  if (!e.empty()) return 0;
  lifetrace::fuzz::check_sanitized(info.module_name);
  classifier.set_rustc_comment(info.rustc_comment);
  if (!info.init_symbol.empty()) classifier.set_init_symbol(info.init_symbol);
  ModuleFile mf;
  mf.path = "fuzz.ko";
  mf.module = info.module_name.empty() ? "fuzz" : info.module_name;
  mf.result = classifier.finish();
  for (const auto& x : mf.result.evidence.examples) lifetrace::fuzz::check_sanitized(x);
  lifetrace::fuzz::check_sanitized(mf.result.evidence.init_symbol);
  lifetrace::fuzz::check_json(to_json(mf));
  return 0;
}
