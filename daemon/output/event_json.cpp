#include "output/event_json.h"

#include <array>
#include <cinttypes>
#include <cstdio>
#include <type_traits>
#include <utility>

namespace lifetrace {

namespace {

// `v` as a T, or false: an integer must be a JSON integer in T's range (a
// float or a huge number is refused, never cast), a bool a bool, a string a
// string. The follow socket's peer may send anything.
template <typename T>
bool checked_get(const nlohmann::json& v, T& out) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) return false;
    out = v.get<bool>();
  } else if constexpr (std::is_same_v<T, double>) {
    if (!v.is_number()) return false;
    out = v.get<double>();
  } else if constexpr (std::is_same_v<T, Phases>) {
    if (!v.is_array()) return false;
    for (const auto& p : v) {
      Phase ph;
      if (!p.is_object() || !p.contains("phase") || !p.contains("ns") ||
          !checked_get(p.at("phase"), ph.name) || !checked_get(p.at("ns"), ph.ns)) {
        return false;
      }
      out.push_back(std::move(ph));
    }
  } else if constexpr (std::is_integral_v<T>) {
    if (v.is_number_unsigned()) {
      const auto u = v.get<std::uint64_t>();
      if (!std::in_range<T>(u)) return false;
      out = static_cast<T>(u);
    } else if (v.is_number_integer()) {
      const auto i = v.get<std::int64_t>();
      if (!std::in_range<T>(i)) return false;
      out = static_cast<T>(i);
    } else {
      return false;
    }
  } else {
    if (!v.is_string()) return false;
    out = v.get<std::string>();
  }
  return true;
}

}  // namespace

nlohmann::json to_json(const Event& e, const WallClock& clock) {
  nlohmann::json j;
  j["time"] = rfc3339_ns(clock.to_realtime_ns(e.mono_ns));
  j["event"] = to_string(e.kind);
  j["module"] = e.module;
  j["language"] = classify::to_string(e.language);
  j["pid"] = e.pid;
  j["tid"] = e.tid;
  j["comm"] = e.comm;
  j["uid"] = e.uid;
  j["cgroup_id"] = e.cgroup_id;
  for_each_optional_field(e, [&j](const char* key, const auto& field) {
    if (!field) return;
    using T = std::decay_t<decltype(*field)>;
    if constexpr (std::is_same_v<T, Stage>) {
      j[key] = to_string(*field);
    } else if constexpr (std::is_same_v<T, Phases>) {
      auto& arr = j[key] = nlohmann::json::array();
      for (const auto& p : *field) arr.push_back({{"phase", p.name}, {"ns", p.ns}});
    } else {
      j[key] = *field;
    }
  });
  if (e.ret && *e.ret < 0) j["errno"] = errno_name(*e.ret);
  if (e.module_addr) {
    std::array<char, 24> buf{};
    std::snprintf(buf.data(), buf.size(), "0x%016" PRIx64, e.module_addr);
    j["module_addr"] = buf.data();
  }
  if (e.classification) j["evidence"] = classify::to_json(e.classification->evidence);
  if (e.via_kprobe) j["probe"] = "kprobe";
  return j;
}

std::string json_line(const Event& e, const WallClock& clock) {
  return to_json(e, clock).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<Event> event_from_json(const nlohmann::json& j, std::string* error) {
  const auto fail = [error](std::string why) -> std::optional<Event> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  try {
    if (!j.is_object() || !j.contains("event") || !j.contains("time")) return fail("not an event");
    Event e;
    auto kind = event_kind_from_string(j.at("event").get<std::string>());
    if (!kind) return fail("unknown event kind " + j.at("event").dump());
    e.kind = *kind;
    auto t = parse_rfc3339_ns(j.at("time").get<std::string>());
    if (!t || *t < 0) return fail("bad time " + j.at("time").dump());
    e.mono_ns = static_cast<std::uint64_t>(*t);
    e.module = j.value("module", "");
    if (!classify::parse_language(j.value("language", "unknown"), e.language)) {
      return fail("unknown language " + j.value("language", ""));
    }
    e.comm = j.value("comm", "");
    const auto number = [&j](const char* key, auto& out) {
      auto it = j.find(key);
      return it == j.end() || checked_get(*it, out);
    };
    if (!number("pid", e.pid) || !number("tid", e.tid) || !number("uid", e.uid) ||
        !number("cgroup_id", e.cgroup_id)) {
      return fail("pid, tid, uid or cgroup_id is not an integer in range");
    }
    std::string bad;
    for_each_optional_field(e, [&j, &bad](const char* key, auto& field) {
      auto it = j.find(key);
      if (it == j.end() || it->is_null()) return;
      using T = typename std::decay_t<decltype(field)>::value_type;
      if constexpr (std::is_same_v<T, Stage>) {
        field = stage_from_string(it->template get<std::string>());
        if (!field) bad = "unknown stage " + it->dump();
      } else {
        T v{};
        if (checked_get(*it, v)) {
          field = std::move(v);
        } else {
          bad = std::string("bad '") + key + "': " + it->dump();
        }
      }
    });
    if (!bad.empty()) return fail(bad);
    if (auto it = j.find("module_addr"); it != j.end()) {
      e.module_addr = std::stoull(it->get<std::string>(), nullptr, 16);
    }
    if (auto it = j.find("evidence"); it != j.end()) {
      classify::Result r;
      r.language = e.language;
      r.evidence = classify::evidence_from_json(*it);
      e.classification = std::move(r);
    }
    e.via_kprobe = j.value("probe", "") == "kprobe";
    return e;
  } catch (const std::exception& ex) {
    return fail(ex.what());
  }
}

}  // namespace lifetrace
