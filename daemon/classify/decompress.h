// In-memory decompression of kernel module files (.ko.xz, .ko.zst, .ko.gz).
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lifetrace::classify {

enum class Compression { none, xz, zstd, gzip };
std::string_view to_string(Compression);

// Detects the format from the magic bytes (not the file name).
Compression detect_compression(std::span<const char> data);
// What the file name promises: ".ko.xz" -> xz, ".ko.zst" -> zstd, ".ko.gz" -> gzip.
Compression compression_from_name(std::string_view filename);

// Upper bound on the decompressed size of one file (protects against bombs;
// the largest module of a distribution kernel, amdgpu.ko, is ~60 MB).
inline constexpr size_t kMaxDecompressedSize = size_t{256} << 20;
// Upper bound on the decoder's own state (xz dictionary, zstd window).
inline constexpr size_t kMaxDecoderMemory = size_t{128} << 20;

struct DecompressLimits {
  size_t max_output = kMaxDecompressedSize;
  // Told how many bytes the decompressor is about to hold in total (the output
  // buffer, both copies while it is reallocated, and the decoder's state),
  // before it grows, and again when it shrinks. Returning false to a growth
  // stops the decompression with kOverBudget. Unset: no limit but max_output.
  std::function<bool(size_t total)> reserve;
};
// The message when DecompressLimits::reserve refused.
inline constexpr std::string_view kOverBudget = "decompressed size exceeds the memory budget";

// Decompresses `in` (of format `c`) into `out`, which is resized to exactly
// the decompressed size; its capacity is reused across calls. Returns an
// empty string on success, otherwise a short message such as
// "truncated xz stream", "corrupt zstd data" or
// "decompressed size exceeds 256 MiB". Never throws.
std::string decompress(std::span<const char> in, Compression c, std::vector<char>& out,
                       const DecompressLimits& limits = {});

}  // namespace lifetrace::classify
