#include "classify/decompress.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>

#include <lzma.h>
#include <zlib.h>
// ZSTD_getFrameHeader (the window size) is in the "static linking only"
// part of the API, but libzstd.so exports it.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

namespace lifetrace::classify {
namespace {

bool has_magic(std::span<const char> d, std::string_view magic) {
  return d.size() >= magic.size() && std::memcmp(d.data(), magic.data(), magic.size()) == 0;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string mib(size_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

// The output buffer of one decompression, grown within the limits.
class Output {
 public:
  Output(std::vector<char>& out, const DecompressLimits& limits) : out_(out), limits_(limits) {}

  // Makes out.size() >= want (at most max_output + 1, so that exceeding the
  // limit is noticed); "" or an error message.
  std::string ensure(size_t want) {
    want = std::min(want, limits_.max_output + 1);
    if (want <= out_.size()) return {};
    // While the vector reallocates, the old and the new buffer both exist.
    if (limits_.reserve && !limits_.reserve(out_.size() + want + decoder_))
      return std::string(kOverBudget);
    out_.reserve(want);  // exactly `want`: resize() alone may allocate up to twice as much
    out_.resize(want);
    if (limits_.reserve) limits_.reserve(want + decoder_);  // shrinking always succeeds
    return {};
  }
  // Called when the buffer is full (`used` == size): doubles it.
  std::string grow() {
    if (out_.size() > limits_.max_output) return too_big();
    size_t want = std::max<size_t>(65536, out_.size() * 2);
    // Near the limit, go straight to limit + 1: one more copy for one byte
    // would need the largest buffer twice.
    if (want >= limits_.max_output) want = limits_.max_output + 1;
    if (want <= out_.size()) return too_big();
    return ensure(want);
  }
  // The decoder's own state now needs `bytes`.
  std::string decoder(size_t bytes) {
    if (bytes > kMaxDecoderMemory) return "decoder needs more than " + mib(kMaxDecoderMemory);
    if (bytes > decoder_ && limits_.reserve && !limits_.reserve(out_.size() + bytes))
      return std::string(kOverBudget);
    decoder_ = std::max(decoder_, bytes);
    return {};
  }
  std::string too_big() const { return "decompressed size exceeds " + mib(limits_.max_output); }
  std::vector<char>& buf() { return out_; }
  size_t max_output() const { return limits_.max_output; }

 private:
  std::vector<char>& out_;
  const DecompressLimits& limits_;
  size_t decoder_ = 0;
};

// An upper bound for preallocation from a size recorded in the stream.
size_t plausible_size(size_t compressed) { return compressed * 64 + (size_t{1} << 20); }

std::string unxz(std::span<const char> in, Output& o) {
  std::vector<char>& out = o.buf();
  lzma_stream strm = LZMA_STREAM_INIT;
  // Start with a small memory limit and raise it (within the budget) when the
  // stream asks: kernel modules use a 1 MiB dictionary, xz -9 a 64 MiB one.
  uint64_t memlimit = uint64_t{1} << 20;
  lzma_ret ret = lzma_stream_decoder(&strm, memlimit, LZMA_CONCATENATED);
  if (ret != LZMA_OK) return "cannot initialise the xz decoder";
  struct End {
    lzma_stream* s;
    ~End() { lzma_end(s); }
  } end{&strm};
  strm.next_in = reinterpret_cast<const uint8_t*>(in.data());
  strm.avail_in = in.size();
  size_t used = 0;
  if (std::string e = o.ensure(std::max<size_t>(65536, in.size() * 4)); !e.empty()) return e;
  for (;;) {
    if (used == out.size())
      if (std::string e = o.grow(); !e.empty()) return e;
    strm.next_out = reinterpret_cast<uint8_t*>(out.data() + used);
    strm.avail_out = out.size() - used;
    ret = lzma_code(&strm, strm.avail_in == 0 ? LZMA_FINISH : LZMA_RUN);
    used = out.size() - strm.avail_out;
    if (ret == LZMA_STREAM_END) break;
    if (ret == LZMA_OK) continue;  // a stalled truncated stream ends in LZMA_BUF_ERROR
    if (ret == LZMA_MEMLIMIT_ERROR) {
      const uint64_t need = lzma_memusage(&strm);
      if (std::string e = o.decoder(static_cast<size_t>(std::min<uint64_t>(need, SIZE_MAX)));
          !e.empty())
        return e == kOverBudget
                   ? e
                   : "xz stream needs more than " + mib(kMaxDecoderMemory) + " to decompress";
      memlimit = need;
      if (lzma_memlimit_set(&strm, memlimit) != LZMA_OK) return "cannot raise the xz memory limit";
      continue;
    }
    switch (ret) {
      case LZMA_FORMAT_ERROR: return "not an xz stream";
      case LZMA_DATA_ERROR: return "corrupt xz data";
      case LZMA_BUF_ERROR: return "truncated xz stream";
      case LZMA_MEM_ERROR: return "out of memory decompressing xz";
      case LZMA_OPTIONS_ERROR: return "unsupported xz options";
      default: return "xz decoding failed (code " + std::to_string(static_cast<int>(ret)) + ")";
    }
  }
  out.resize(used);
  return {};
}

std::string unzstd(std::span<const char> in, Output& o) {
  std::vector<char>& out = o.buf();
  if (!has_magic(in, "\x28\xB5\x2F\xFD")) return "not a zstd stream";
  // One context per call: a context kept per thread would keep its window
  // (up to 128 MiB) allocated outside the budget.
  struct FreeDCtx {
    void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
  };
  std::unique_ptr<ZSTD_DCtx, FreeDCtx> owner(ZSTD_createDCtx());
  ZSTD_DCtx* dctx = owner.get();
  if (!dctx) return "cannot initialise the zstd decoder";
  ZSTD_frameHeader fh{};
  const size_t header = ZSTD_getFrameHeader(&fh, in.data(), in.size());
  if (ZSTD_isError(header))
    return std::string("corrupt zstd data (") + ZSTD_getErrorName(header) + ")";
  if (header != 0) return "truncated zstd stream";
  // The window the first frame needs is accounted; later frames may not ask
  // for a larger one.
  const unsigned long long window = std::max<unsigned long long>(fh.windowSize, 1024);
  if (window > kMaxDecoderMemory)
    return "zstd stream needs more than " + mib(kMaxDecoderMemory) + " to decompress";
  if (std::string e = o.decoder(static_cast<size_t>(window) + (size_t{128} << 10)); !e.empty())
    return e;
  ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax,
                         std::max(10, static_cast<int>(std::bit_width(window - 1))));
  unsigned long long hint = ZSTD_getFrameContentSize(in.data(), in.size());
  if (hint == ZSTD_CONTENTSIZE_ERROR) return "truncated zstd stream";
  size_t initial = in.size() * 4;
  if (hint != ZSTD_CONTENTSIZE_UNKNOWN) {
    if (hint > o.max_output()) return o.too_big();
    // +1 so completion never needs a regrow; a corrupt header cannot make us
    // allocate much more than the data could plausibly hold (we grow if needed).
    initial =
        static_cast<size_t>(std::min<unsigned long long>(hint + 1, plausible_size(in.size())));
  }
  if (std::string e = o.ensure(std::max<size_t>(initial, 65536)); !e.empty()) return e;
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  size_t used = 0;
  for (;;) {
    if (used == out.size())
      if (std::string e = o.grow(); !e.empty()) return e;
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

std::string ungzip(std::span<const char> in, Output& o) {
  std::vector<char>& out = o.buf();
  if (!has_magic(in, "\x1F\x8B")) return "not a gzip stream";
  if (std::string e = o.decoder(size_t{64} << 10); !e.empty()) return e;  // 32 KiB window + state
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return "cannot initialise the gzip decoder";
  struct End {
    z_stream* s;
    ~End() { inflateEnd(s); }
  } end{&zs};
  size_t initial = in.size() * 4;
  if (in.size() >= 18) {  // ISIZE trailer: decompressed size mod 2^32
    const auto* t = reinterpret_cast<const unsigned char*>(in.data() + in.size() - 4);
    size_t isize = t[0] | (size_t{t[1]} << 8) | (size_t{t[2]} << 16) | (size_t{t[3]} << 24);
    // Only a hint: a truncated or corrupt file has garbage there.
    if (isize > initial && isize <= plausible_size(in.size())) initial = isize + 1;
  }
  if (std::string e = o.ensure(std::max<size_t>(initial, 65536)); !e.empty()) return e;
  size_t consumed = 0;
  size_t used = 0;
  for (;;) {
    if (used == out.size())
      if (std::string e = o.grow(); !e.empty()) return e;
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
      if (consumed == in.size()) return "truncated gzip stream";
      continue;  // needs more output space
    }
    if (ret == Z_DATA_ERROR) return "corrupt gzip data";
    if (ret == Z_MEM_ERROR) return "out of memory decompressing gzip";
    return "gzip decoding failed (code " + std::to_string(ret) + ")";
  }
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

std::string decompress(std::span<const char> in, Compression c, std::vector<char>& out,
                       const DecompressLimits& limits) {
  try {
    Output o(out, limits);
    switch (c) {
      case Compression::xz: return unxz(in, o);
      case Compression::zstd: return unzstd(in, o);
      case Compression::gzip: return ungzip(in, o);
      case Compression::none: out.assign(in.begin(), in.end()); return {};
    }
  } catch (const std::bad_alloc&) {
    return "out of memory";
  }
  return "unknown compression";
}

}  // namespace lifetrace::classify
