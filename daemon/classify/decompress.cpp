#include "classify/decompress.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

namespace lifetrace::classify {
namespace {

bool has_magic(std::span<const char> d, std::string_view magic) {
  return d.size() >= magic.size() && std::memcmp(d.data(), magic.data(), magic.size()) == 0;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Grows `out` so that at least `min_free` bytes are free after `used`.
bool grow(std::vector<char>& out, size_t used, size_t min_free) {
  size_t want = out.size() < 65536 ? 65536 : out.size();
  while (want - used < min_free) want *= 2;
  if (want > kMaxDecompressedSize + 1) want = kMaxDecompressedSize + 1;
  if (want <= used) return false;
  out.resize(want);
  return true;
}

// An upper bound for preallocation from a size recorded in the stream.
size_t plausible_size(size_t compressed) {
  return std::min(kMaxDecompressedSize, compressed * 64 + (size_t{1} << 20));
}

std::string too_big() { return "decompressed size exceeds 1 GiB"; }

std::string unxz(std::span<const char> in, std::vector<char>& out) {
  lzma_stream strm = LZMA_STREAM_INIT;
  // Kernel modules use a 1 MiB dictionary; refuse streams that want > 256 MiB.
  lzma_ret ret = lzma_stream_decoder(&strm, uint64_t{256} << 20, LZMA_CONCATENATED);
  if (ret != LZMA_OK) return "cannot initialise the xz decoder";
  strm.next_in = reinterpret_cast<const uint8_t*>(in.data());
  strm.avail_in = in.size();
  size_t used = 0;
  if (out.size() < in.size() * 4) out.resize(in.size() * 4 < 65536 ? 65536 : in.size() * 4);
  std::string error;
  for (;;) {
    if (used == out.size() && !grow(out, used, out.size())) {
      error = too_big();
      break;
    }
    strm.next_out = reinterpret_cast<uint8_t*>(out.data() + used);
    strm.avail_out = out.size() - used;
    ret = lzma_code(&strm, strm.avail_in == 0 ? LZMA_FINISH : LZMA_RUN);
    used = out.size() - strm.avail_out;
    if (ret == LZMA_STREAM_END) break;
    if (ret == LZMA_OK) continue;  // a stalled truncated stream ends in LZMA_BUF_ERROR
    switch (ret) {
      case LZMA_FORMAT_ERROR: error = "not an xz stream"; break;
      case LZMA_DATA_ERROR: error = "corrupt xz data"; break;
      case LZMA_BUF_ERROR: error = "truncated xz stream"; break;
      case LZMA_MEMLIMIT_ERROR: error = "xz stream needs more than 256 MiB to decompress"; break;
      case LZMA_MEM_ERROR: error = "out of memory decompressing xz"; break;
      case LZMA_OPTIONS_ERROR: error = "unsupported xz options"; break;
      default:
        error = "xz decoding failed (code " + std::to_string(static_cast<int>(ret)) + ")";
        break;
    }
    break;
  }
  lzma_end(&strm);
  if (!error.empty()) return error;
  out.resize(used);
  return {};
}

std::string unzstd(std::span<const char> in, std::vector<char>& out) {
  if (!has_magic(in, "\x28\xB5\x2F\xFD")) return "not a zstd stream";
  struct FreeDCtx {
    void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
  };
  thread_local std::unique_ptr<ZSTD_DCtx, FreeDCtx> owner(ZSTD_createDCtx());
  ZSTD_DCtx* dctx = owner.get();
  if (!dctx) return "cannot initialise the zstd decoder";
  ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
  unsigned long long hint = ZSTD_getFrameContentSize(in.data(), in.size());
  if (hint == ZSTD_CONTENTSIZE_ERROR) return "truncated zstd stream";
  size_t initial = in.size() * 4;
  if (hint != ZSTD_CONTENTSIZE_UNKNOWN) {
    if (hint > kMaxDecompressedSize) return too_big();
    // +1 so completion never needs a regrow; a corrupt header cannot make us
    // allocate much more than the data could plausibly hold (we grow if needed).
    initial = std::min(static_cast<size_t>(hint) + 1, plausible_size(in.size()));
  }
  if (initial < 65536) initial = 65536;
  if (out.size() < initial) out.resize(initial);
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  size_t used = 0;
  for (;;) {
    if (used == out.size() && !grow(out, used, out.size())) return too_big();
    ZSTD_outBuffer ob{out.data() + used, out.size() - used, 0};
    size_t ret = ZSTD_decompressStream(dctx, &ob, &ib);
    used += ob.pos;
    if (ZSTD_isError(ret)) return std::string("corrupt zstd data (") + ZSTD_getErrorName(ret) + ")";
    if (ret == 0) {
      if (ib.pos == ib.size) break;  // frame complete, input consumed
      continue;                      // another frame follows
    }
    if (ib.pos == ib.size && ob.pos < ob.size) return "truncated zstd stream";
  }
  out.resize(used);
  return {};
}

std::string ungzip(std::span<const char> in, std::vector<char>& out) {
  if (!has_magic(in, "\x1F\x8B")) return "not a gzip stream";
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return "cannot initialise the gzip decoder";
  size_t initial = in.size() * 4;
  if (in.size() >= 18) {  // ISIZE trailer: decompressed size mod 2^32
    const auto* t = reinterpret_cast<const unsigned char*>(in.data() + in.size() - 4);
    size_t isize = t[0] | (size_t{t[1]} << 8) | (size_t{t[2]} << 16) | (size_t{t[3]} << 24);
    // Only a hint: a truncated or corrupt file has garbage there.
    if (isize > initial && isize <= plausible_size(in.size())) initial = isize + 1;
  }
  if (initial < 65536) initial = 65536;
  if (out.size() < initial) out.resize(initial);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  size_t consumed = 0;
  size_t used = 0;
  std::string error;
  for (;;) {
    if (used == out.size() && !grow(out, used, out.size())) {
      error = too_big();
      break;
    }
    size_t in_chunk = std::min<size_t>(in.size() - consumed, 1u << 30);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + consumed));
    zs.avail_in = static_cast<uInt>(in_chunk);
    size_t out_chunk = std::min<size_t>(out.size() - used, 1u << 30);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    zs.avail_out = static_cast<uInt>(out_chunk);
    int ret = inflate(&zs, Z_NO_FLUSH);
    consumed += in_chunk - zs.avail_in;
    used += out_chunk - zs.avail_out;
    if (ret == Z_STREAM_END) break;
    if (ret == Z_OK) continue;
    if (ret == Z_BUF_ERROR) {
      if (consumed == in.size()) {
        error = "truncated gzip stream";
        break;
      }
      continue;  // needs more output space
    }
    if (ret == Z_DATA_ERROR)
      error = "corrupt gzip data";
    else if (ret == Z_MEM_ERROR)
      error = "out of memory decompressing gzip";
    else
      error = "gzip decoding failed (code " + std::to_string(ret) + ")";
    break;
  }
  inflateEnd(&zs);
  if (!error.empty()) return error;
  out.resize(used);
  return {};
}

}  // namespace

std::string_view to_string(Compression c) {
  switch (c) {
    case Compression::xz: return "xz";
    case Compression::zstd: return "zstd";
    case Compression::gzip: return "gzip";
    case Compression::none: break;
  }
  return "none";
}

Compression detect_compression(std::span<const char> d) {
  if (has_magic(d, std::string_view("\xFD"
                                    "7zXZ\0",
                                    6)))
    return Compression::xz;
  if (has_magic(d, "\x28\xB5\x2F\xFD")) return Compression::zstd;
  if (has_magic(d, "\x1F\x8B")) return Compression::gzip;
  return Compression::none;
}

Compression compression_from_name(std::string_view name) {
  if (ends_with(name, ".xz")) return Compression::xz;
  if (ends_with(name, ".zst")) return Compression::zstd;
  if (ends_with(name, ".gz")) return Compression::gzip;
  return Compression::none;
}

std::string decompress(std::span<const char> in, Compression c, std::vector<char>& out) {
  try {
    switch (c) {
      case Compression::xz: return unxz(in, out);
      case Compression::zstd: return unzstd(in, out);
      case Compression::gzip: return ungzip(in, out);
      case Compression::none: out.assign(in.begin(), in.end()); return {};
    }
  } catch (const std::bad_alloc&) {
    return "out of memory";
  }
  return "unknown compression";
}

}  // namespace lifetrace::classify
