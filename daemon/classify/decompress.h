// In-memory decompression of kernel module files (.ko.xz, .ko.zst, .ko.gz).
#pragma once

#include <cstddef>
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

// Decompresses `in` (of format `c`) into `out`, which is resized to exactly
// the decompressed size; its capacity is reused across calls. Returns an
// empty string on success, otherwise a short message such as
// "truncated xz stream" or "corrupt zstd data". Never throws.
std::string decompress(std::span<const char> in, Compression c, std::vector<char>& out);

// Upper bound on the decompressed size accepted (protects against bombs).
inline constexpr size_t kMaxDecompressedSize = size_t{1} << 30;

}  // namespace lifetrace::classify
