// Decoding of the raw ring-buffer records defined in bpf/lifetrace.h.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/phases.h"
#include "lifetrace.h"

namespace lifetrace {

// Fields every record carries.
struct RecordHeader {
  std::uint32_t type = 0;
  std::uint32_t flags = 0;
  std::uint64_t ts_ns = 0;  // CLOCK_MONOTONIC
  std::uint32_t tid = 0;
  std::uint32_t pid = 0;  // tgid
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint64_t cgroup_id = 0;
  std::string comm;
};

struct LoadEnter {
  std::uint32_t syscall = 0;  // enum lt_load_syscall
  std::int32_t fd = -1;
  std::uint32_t flags = 0;
  std::uint64_t len = 0;
  std::string params;
  std::string file;
  std::string name;  // init_module: from the image; finit_module: empty
};
struct LoadExit {
  std::uint32_t syscall = 0;
  std::int64_t ret = 0;
};
struct ModInit {
  std::uint64_t mod = 0;
  std::uint64_t init_fn = 0;
  std::uint64_t taints = 0;
  std::uint64_t core_size = 0;
  std::uint64_t init_size = 0;
  std::uint32_t nsyms = 0;
  std::uint32_t nsyms_sent = 0;
  std::string name;
  std::string init_symbol;
};
struct SymbolEntry {
  char type = '?';  // nm-style letter
  bool truncated = false;
  std::string name;
};
struct SymbolBatch {
  std::uint64_t mod = 0;
  std::vector<SymbolEntry> symbols;
};
struct InitcallStart {
  std::uint64_t mod = 0;
};
struct InitcallDone {
  std::uint64_t mod = 0;
  std::int32_t ret = 0;
};
struct ModInitDone {
  std::uint64_t mod = 0;
  std::int32_t ret = 0;
};
struct UnloadEnter {
  std::uint32_t flags = 0;
  std::string name;
};
struct UnloadExit {
  std::int64_t ret = 0;
};
struct ModFree {
  std::uint64_t mod = 0;
  std::uint64_t taints = 0;
  std::uint64_t size = 0;
  std::string name;
};
struct Request {
  std::uint64_t ip = 0;
  bool wait = false;
  std::string name;
};

// A usermode-helper task about to exec modprobe for a request_module(): the
// header's pid is that modprobe's (the request chain, issue 12).
struct UmhExec {
  std::string path;  // the program the helper runs (modprobe_path)
  std::string name;  // what the kernel asked for (argv[3])
};

struct Denied {
  std::uint32_t syscall = 0;  // enum lt_load_syscall
  std::int64_t ret = 0;
  std::uint64_t attempts = 0;  // running total for this uid and syscall
};

using RecordBody = std::variant<LoadEnter, LoadExit, ModInit, SymbolBatch, InitcallStart,
                                InitcallDone, ModInitDone, UnloadEnter, UnloadExit, ModFree,
                                Request, Denied, UmhExec, LoadPhases>;

struct Record {
  RecordHeader h;
  RecordBody body;
};

// Why a buffer could not be decoded.
struct DecodeError {
  std::string message;
};

// Decodes one ring-buffer record. Never reads past `data`; strings are
// bounded by their fixed field sizes even when the kernel sent no NUL, and
// every string but symbol names is sanitized (util/text.h).
std::variant<Record, DecodeError> decode_record(std::span<const std::byte> data);

// Encoders, used by tests and benchmarks to produce what the BPF side sends.
std::vector<std::byte> encode_event(const lt_event& e);
std::vector<std::byte> encode_symbols(const lt_header& h, std::uint64_t mod,
                                      const std::vector<SymbolEntry>& symbols);

}  // namespace lifetrace
