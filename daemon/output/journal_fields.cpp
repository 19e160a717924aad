#include "output/journal_fields.h"

#include <array>
#include <cinttypes>
#include <cstdio>
#include <type_traits>
#include <utility>

#include "output/text.h"

namespace lifetrace {

namespace {

constexpr std::size_t kMaxFieldName = 64;  // journald refuses longer field names

// Generated once (systemd-id128 new); never change one: users filter on them.
constexpr std::array<std::pair<EventKind, std::string_view>, 11> kMessageIds{{
    {EventKind::load_start, "8bea4fe137b745aa893350f495104a8f"},
    {EventKind::init_start, "b69ccd9e7b53473b8675eab88c3f0e2f"},
    {EventKind::init_done, "39fdc745cc254cde9b232774f4bd0bfa"},
    {EventKind::live, "27b0db13b2f44e3aaeddc6240d92fefd"},
    {EventKind::load_failed, "44403567eb284aacbed751c0a191e472"},
    {EventKind::unload_start, "950dbea6753a450cb0e899df6e141787"},
    {EventKind::unload_done, "d45a2612c2c54bec94e6181066db72b8"},
    {EventKind::freed, "8cf4db4650664b6fa41797ea91b50646"},
    {EventKind::request, "428549c9eb094e1698f1e7cdeb4ec2ad"},
    {EventKind::denied, "02efe7f980b141f5a348680486e36995"},
    {EventKind::changed_while_down, "eab4074d28e549ddb45dc496092a8f39"},
}};

template <typename T>
std::string value_text(const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_same_v<T, Stage>) {
    return std::string(to_string(v));
  } else if constexpr (std::is_same_v<T, Phases>) {
    std::string out;  // "read=1200 layout=53000": one field, filterable with grep
    for (const auto& p : v) {
      if (!out.empty()) out += ' ';
      out += p.name + '=' + std::to_string(p.ns);
    }
    return out;
  } else if constexpr (std::is_same_v<T, double>) {
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%.4f", v);
    return buf.data();
  } else if constexpr (std::is_integral_v<T>) {
    return std::to_string(v);
  } else {
    return v;
  }
}

}  // namespace

std::string journal_field_name(std::string_view key) {
  std::string name = "LIFETRACE_";
  for (char c : key) {
    if (c >= 'a' && c <= 'z') {
      name += static_cast<char>(c - 'a' + 'A');
    } else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      name += c;
    } else {
      name += '_';
    }
  }
  if (name.size() > kMaxFieldName) name.resize(kMaxFieldName);
  return name;
}

bool valid_journal_field_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxFieldName) return false;
  if (name.front() == '_' || (name.front() >= '0' && name.front() <= '9')) return false;
  for (char c : name) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

LogLevel event_priority(const Event& e) {
  const bool failed = e.ret && *e.ret < 0;
  switch (e.kind) {
    case EventKind::load_failed: return LogLevel::warning;
    case EventKind::init_done:
    case EventKind::unload_done: return failed ? LogLevel::warning : LogLevel::debug;
    case EventKind::denied:  // at most one per uid and syscall every 5 s (BPF side)
    case EventKind::changed_while_down: return LogLevel::notice;
    case EventKind::live:
    case EventKind::freed: return LogLevel::info;
    case EventKind::load_start:
    case EventKind::init_start:
    case EventKind::unload_start:
    case EventKind::request: return LogLevel::debug;
  }
  return LogLevel::debug;
}

std::string_view event_message_id(EventKind k) {
  for (const auto& [kind, id] : kMessageIds)
    if (kind == k) return id;
  return {};
}

std::string_view event_result(const Event& e) {
  switch (e.kind) {
    case EventKind::live: return "live";
    case EventKind::load_failed: return e.stage == Stage::init ? "init_failed" : "load_failed";
    case EventKind::init_done:
    case EventKind::unload_done:
      if (!e.ret) return "";
      return *e.ret < 0 ? "failed" : "ok";
    case EventKind::denied: return "denied";
    default: return "";
  }
}

std::vector<std::string> journal_fields(const Event& e, const WallClock& clock) {
  std::vector<std::string> f;
  f.reserve(32);
  const auto add = [&f](std::string_view name, const std::string& value) {
    std::string field(name);
    field += '=';
    field += value;
    f.push_back(std::move(field));
  };
  add("MESSAGE", "event: " + format_line(e, clock, /*utc=*/true));
  add("PRIORITY", std::to_string(static_cast<int>(event_priority(e))));
  add("MESSAGE_ID", std::string(event_message_id(e.kind)));
  add("SYSLOG_IDENTIFIER", "lifetrace");
  add("LIFETRACE_EVENT", std::string(to_string(e.kind)));
  add("LIFETRACE_TIME", rfc3339_ns(clock.to_realtime_ns(e.mono_ns)));
  if (!e.module.empty()) add("LIFETRACE_MODULE", e.module);
  add("LIFETRACE_LANGUAGE", std::string(classify::to_string(e.language)));
  if (auto r = event_result(e); !r.empty()) add("LIFETRACE_RESULT", std::string(r));
  if (e.pid != 0 || !e.comm.empty()) {  // changed_while_down has no requester
    add("LIFETRACE_PID", std::to_string(e.pid));
    add("LIFETRACE_TID", std::to_string(e.tid));
    add("LIFETRACE_UID", std::to_string(e.uid));
    add("LIFETRACE_COMM", e.comm);
    add("LIFETRACE_CGROUP_ID", std::to_string(e.cgroup_id));
    add("LIFETRACE_REQUESTER", std::to_string(e.pid) + "/" + e.comm);
  }
  if (e.ret && *e.ret < 0) {
    add("LIFETRACE_ERRNO", errno_name(*e.ret));
    add("LIFETRACE_ERRNO_NUMBER", std::to_string(-*e.ret));
  }
  for_each_optional_field(e, [&](const char* key, const auto& field) {
    if (field) add(journal_field_name(key), value_text(*field));
  });
  if (e.module_addr) {
    std::array<char, 24> buf{};
    std::snprintf(buf.data(), buf.size(), "0x%016" PRIx64, e.module_addr);
    add("LIFETRACE_MODULE_ADDR", buf.data());
  }
  if (e.classification) {
    const auto& ev = e.classification->evidence;
    add("LIFETRACE_RUST_SYMBOLS", std::to_string(ev.rust_v0 + ev.rust_legacy));
    add("LIFETRACE_C_FUNCTIONS", std::to_string(ev.c_functions));
  }
  if (e.via_kprobe) add("LIFETRACE_PROBE", "kprobe");
  return f;
}

}  // namespace lifetrace
