#include "core/record.h"

#include "util/text.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace lifetrace {
namespace {

// A string from a fixed-size char array that may lack its terminating NUL,
// made safe here, once, for every medium it may reach (util::sanitize): task
// names, parameters, file and module names are chosen by whoever makes the
// syscall. Symbol names stay raw (the classifier needs the bytes and
// sanitizes what it keeps).
template <std::size_t N>
std::string bounded(const char (&field)[N]) {
  return util::sanitize(std::string_view(field, strnlen(field, N)));
}

RecordHeader decode_header(const lt_header& h) {
  RecordHeader r;
  r.type = h.type;
  r.flags = h.flags;
  r.ts_ns = h.ts_ns;
  r.tid = h.tid;
  r.pid = h.tgid;
  r.uid = h.uid;
  r.gid = h.gid;
  r.cgroup_id = h.cgroup_id;
  r.comm = bounded(h.comm);
  return r;
}

std::variant<Record, DecodeError> decode_symbols(std::span<const std::byte> data) {
  constexpr std::size_t fixed = offsetof(lt_symbols_event, s.data);
  if (data.size() < fixed) {
    return DecodeError{"symbol batch shorter than its header (" + std::to_string(data.size()) +
                       " bytes)"};
  }
  lt_symbols_event ev{};
  std::memcpy(&ev, data.data(), std::min(data.size(), sizeof(ev)));
  std::size_t len = ev.s.len;
  if (len > LT_SYMBUF_LEN || fixed + len > data.size()) {
    return DecodeError{"symbol batch claims " + std::to_string(len) + " bytes, has " +
                       std::to_string(data.size() - fixed)};
  }
  SymbolBatch b;
  b.mod = ev.s.mod;
  // `count` is the sender's word: at most one name per two bytes fits.
  b.symbols.reserve(std::min<std::size_t>(ev.s.count, len / 2));
  std::size_t off = 0;
  while (off < len) {
    auto type = static_cast<unsigned char>(ev.s.data[off]);
    const char* name = ev.s.data + off + 1;
    std::size_t max = len - off - 1;
    std::size_t n = strnlen(name, max);
    if (n == max) {
      return DecodeError{"symbol batch has an unterminated name at byte " + std::to_string(off)};
    }
    b.symbols.push_back(
        SymbolEntry{static_cast<char>(type & 0x7f), (type & 0x80) != 0, std::string(name, n)});
    off += 1 + n + 1;
  }
  return Record{decode_header(ev.h), std::move(b)};
}

// The kernel's phase ids, named; `count` and the ids are the sender's word, so both are
// bounded, and an id seen twice is kept once.
LoadPhases decode_phases(const lt_phases& w) {
  LoadPhases p;
  p.span_ns = w.span_ns;
  p.read_bytes = w.read_bytes;
  p.syscall = w.syscall;
  p.flags = w.flags;
  p.failed = w.failed;
  p.failed_ret = w.failed_ret;
  std::uint32_t seen = 0;
  const std::size_t n = std::min<std::size_t>(w.count, LT_PH_SLOTS);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t id = w.order[i];
    if (id == LT_PH_NONE || id >= LT_PH_SLOTS || (seen & (1u << id))) continue;
    seen |= 1u << id;
    p.phases.push_back({phase_name(id), w.ns[id]});
  }
  return p;
}

}  // namespace

std::variant<Record, DecodeError> decode_record(std::span<const std::byte> data) {
  if (data.size() < sizeof(lt_header)) {
    return DecodeError{"record shorter than its header (" + std::to_string(data.size()) +
                       " bytes)"};
  }
  lt_header hdr{};
  std::memcpy(&hdr, data.data(), sizeof(hdr));
  if (hdr.type == LT_REC_SYMBOLS) return decode_symbols(data);
  if (hdr.type == 0 || hdr.type >= LT_REC_MAX) {
    return DecodeError{"unknown record type " + std::to_string(hdr.type)};
  }
  if (data.size() < sizeof(lt_event)) {
    return DecodeError{"record of type " + std::to_string(hdr.type) + " is " +
                       std::to_string(data.size()) + " bytes, expected " +
                       std::to_string(sizeof(lt_event))};
  }
  lt_event e{};
  std::memcpy(&e, data.data(), sizeof(e));
  Record r{decode_header(e.h), LoadExit{}};
  switch (hdr.type) {
    case LT_REC_LOAD_ENTER:
      r.body = LoadEnter{e.load_enter.syscall,         e.load_enter.fd,
                         e.load_enter.flags,           e.load_enter.len,
                         bounded(e.load_enter.params), bounded(e.load_enter.file),
                         bounded(e.load_enter.name)};
      break;
    case LT_REC_LOAD_EXIT: r.body = LoadExit{e.load_exit.syscall, e.load_exit.ret}; break;
    case LT_REC_MOD_INIT:
      r.body =
          ModInit{e.mod_init.mod,        e.mod_init.init_fn,       e.mod_init.taints,
                  e.mod_init.core_size,  e.mod_init.init_size,     e.mod_init.nsyms,
                  e.mod_init.nsyms_sent, bounded(e.mod_init.name), bounded(e.mod_init.init_sym)};
      break;
    case LT_REC_INITCALL_START: r.body = InitcallStart{e.initcall.mod}; break;
    case LT_REC_INITCALL_DONE: r.body = InitcallDone{e.initcall.mod, e.initcall.ret}; break;
    case LT_REC_MOD_INIT_DONE:
      r.body = ModInitDone{e.mod_init_done.mod, e.mod_init_done.ret};
      break;
    case LT_REC_UNLOAD_ENTER:
      r.body = UnloadEnter{e.unload_enter.flags, bounded(e.unload_enter.name)};
      break;
    case LT_REC_UNLOAD_EXIT: r.body = UnloadExit{e.unload_exit.ret}; break;
    case LT_REC_MOD_FREE:
      r.body =
          ModFree{e.mod_free.mod, e.mod_free.taints, e.mod_free.size, bounded(e.mod_free.name)};
      break;
    case LT_REC_REQUEST:
      r.body = Request{e.request.ip, e.request.wait != 0, bounded(e.request.name)};
      break;
    case LT_REC_DENIED: r.body = Denied{e.denied.syscall, e.denied.ret, e.denied.attempts}; break;
    case LT_REC_UMH_EXEC:
      r.body = UmhExec{bounded(e.umh_exec.path), bounded(e.umh_exec.name)};
      break;
    case LT_REC_PHASES: r.body = decode_phases(e.phases); break;
    default: return DecodeError{"unhandled record type " + std::to_string(hdr.type)};
  }
  return r;
}

std::vector<std::byte> encode_event(const lt_event& e) {
  std::vector<std::byte> out(sizeof(e));
  std::memcpy(out.data(), &e, sizeof(e));
  return out;
}

std::vector<std::byte> encode_symbols(const lt_header& h, std::uint64_t mod,
                                      const std::vector<SymbolEntry>& symbols) {
  lt_symbols_event ev{};
  ev.h = h;
  ev.h.type = LT_REC_SYMBOLS;
  ev.s.mod = mod;
  std::size_t off = 0;
  for (const auto& s : symbols) {
    if (off + 2 + s.name.size() > LT_SYMBUF_LEN) {
      throw std::length_error("encode_symbols: batch over " + std::to_string(LT_SYMBUF_LEN) +
                              " bytes");
    }
    ev.s.data[off] = static_cast<char>(s.type | (s.truncated ? 0x80 : 0));
    std::memcpy(ev.s.data + off + 1, s.name.data(), s.name.size());
    off += 1 + s.name.size() + 1;
    ev.s.count++;
  }
  ev.s.len = static_cast<std::uint32_t>(off);
  std::vector<std::byte> out(offsetof(lt_symbols_event, s.data) + off);
  std::memcpy(out.data(), &ev, out.size());
  return out;
}

}  // namespace lifetrace
