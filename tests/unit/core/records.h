// Builders for raw kernel records, as the BPF side would send them.
#pragma once

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "core/record.h"

namespace lifetrace::test {

inline lt_event raw(lt_u32 type, lt_u64 ts, lt_u32 tid, const char* comm = "insmod") {
  lt_event e{};
  e.h.type = type;
  e.h.ts_ns = ts;
  e.h.tid = tid;
  e.h.tgid = tid;
  e.h.uid = 0;
  std::strncpy(e.h.comm, comm, sizeof(e.h.comm) - 1);
  return e;
}

inline Record decode(const lt_event& e) {
  auto r = decode_record(encode_event(e));
  if (auto* err = std::get_if<DecodeError>(&r)) throw std::runtime_error(err->message);
  return std::get<Record>(r);
}

inline Record load_enter(lt_u64 ts, lt_u32 tid, const char* file, const char* params = "") {
  auto e = raw(LT_REC_LOAD_ENTER, ts, tid);
  e.load_enter.syscall = LT_SYS_FINIT_MODULE;
  e.load_enter.fd = 3;
  std::strncpy(e.load_enter.file, file, sizeof(e.load_enter.file) - 1);
  std::strncpy(e.load_enter.params, params, sizeof(e.load_enter.params) - 1);
  return decode(e);
}
inline Record load_exit(lt_u64 ts, lt_u32 tid, lt_s64 ret) {
  auto e = raw(LT_REC_LOAD_EXIT, ts, tid);
  e.load_exit.syscall = LT_SYS_FINIT_MODULE;
  e.load_exit.ret = ret;
  return decode(e);
}
inline Record mod_init(lt_u64 ts, lt_u32 tid, lt_u64 mod, const char* name, lt_u64 taints = 0) {
  auto e = raw(LT_REC_MOD_INIT, ts, tid);
  e.h.flags = LT_F_SIG_KNOWN;
  e.mod_init.mod = mod;
  e.mod_init.init_fn = mod + 0x100;
  e.mod_init.taints = taints;
  e.mod_init.core_size = 4096;
  e.mod_init.init_size = 1024;
  std::strncpy(e.mod_init.name, name, sizeof(e.mod_init.name) - 1);
  return decode(e);
}
inline Record initcall(lt_u64 ts, lt_u32 tid, lt_u64 mod, bool done, lt_s32 ret = 0) {
  auto e = raw(done ? LT_REC_INITCALL_DONE : LT_REC_INITCALL_START, ts, tid);
  e.initcall.mod = mod;
  e.initcall.fn = mod + 0x100;
  e.initcall.ret = ret;
  return decode(e);
}
inline Record init_done(lt_u64 ts, lt_u32 tid, lt_u64 mod, lt_s32 ret) {
  auto e = raw(LT_REC_MOD_INIT_DONE, ts, tid);
  e.mod_init_done.mod = mod;
  e.mod_init_done.ret = ret;
  return decode(e);
}
inline Record unload_enter(lt_u64 ts, lt_u32 tid, const char* name, lt_u32 flags = 0) {
  auto e = raw(LT_REC_UNLOAD_ENTER, ts, tid, "rmmod");
  e.unload_enter.flags = flags;
  std::strncpy(e.unload_enter.name, name, sizeof(e.unload_enter.name) - 1);
  return decode(e);
}
inline Record unload_exit(lt_u64 ts, lt_u32 tid, lt_s64 ret) {
  auto e = raw(LT_REC_UNLOAD_EXIT, ts, tid, "rmmod");
  e.unload_exit.ret = ret;
  return decode(e);
}
inline Record mod_free(lt_u64 ts, lt_u32 tid, lt_u64 mod, const char* name) {
  auto e = raw(LT_REC_MOD_FREE, ts, tid);
  e.mod_free.mod = mod;
  e.mod_free.size = 4096;
  std::strncpy(e.mod_free.name, name, sizeof(e.mod_free.name) - 1);
  return decode(e);
}
inline Record request(lt_u64 ts, lt_u32 tid, const char* name) {
  auto e = raw(LT_REC_REQUEST, ts, tid, "mount");
  e.request.wait = 1;
  std::strncpy(e.request.name, name, sizeof(e.request.name) - 1);
  return decode(e);
}
inline Record denied(lt_u64 ts, lt_u32 tid, lt_u32 uid, lt_u32 syscall, lt_u64 attempts) {
  auto e = raw(LT_REC_DENIED, ts, tid, "evil");
  e.h.uid = uid;
  e.denied.syscall = syscall;
  e.denied.ret = -1;
  e.denied.attempts = attempts;
  return decode(e);
}
// LT_REC_PHASES: `phases` as {enum lt_phase, ns} in the order first entered.
inline Record phases(lt_u64 ts, lt_u32 tid, std::vector<std::pair<lt_u8, lt_u64>> phases,
                     lt_u8 failed = 0, lt_u64 read_bytes = 0, lt_u64 span_ns = 0,
                     lt_u32 syscall = LT_SYS_FINIT_MODULE) {
  auto e = raw(LT_REC_PHASES, ts, tid);
  e.phases.span_ns = span_ns;
  e.phases.read_bytes = read_bytes;
  e.phases.syscall = syscall;
  e.phases.failed = failed;
  for (const auto& [id, ns] : phases) {
    e.phases.order[e.phases.count++] = id;
    e.phases.ns[id] = ns;
  }
  return decode(e);
}
inline Record symbols(lt_u32 tid, lt_u64 mod, const std::vector<SymbolEntry>& syms) {
  lt_header h{};
  h.tid = tid;
  auto r = decode_record(encode_symbols(h, mod, syms));
  if (auto* err = std::get_if<DecodeError>(&r)) throw std::runtime_error(err->message);
  return std::get<Record>(r);
}

// ---- The request chain (issue 12): the helper's exec, and records of a given task ----

// A usermode-helper task (still named after the worker that forked it) about to exec
// modprobe for `name`: its tgid is the future modprobe's pid.
inline Record umh_exec(lt_u64 ts, lt_u32 pid, const char* name,
                       const char* path = "/sbin/modprobe") {
  auto e = raw(LT_REC_UMH_EXEC, ts, pid, "kworker/u4:2");
  std::strncpy(e.umh_exec.path, path, sizeof(e.umh_exec.path) - 1);
  std::strncpy(e.umh_exec.name, name, sizeof(e.umh_exec.name) - 1);
  return decode(e);
}
// request_module() called by `comm` (pid = tid = `pid`).
inline Record request_by(lt_u64 ts, lt_u32 pid, const char* comm, const char* name,
                         bool wait = true) {
  auto e = raw(LT_REC_REQUEST, ts, pid, comm);
  e.request.wait = wait ? 1 : 0;
  std::strncpy(e.request.name, name, sizeof(e.request.name) - 1);
  return decode(e);
}

}  // namespace lifetrace::test
