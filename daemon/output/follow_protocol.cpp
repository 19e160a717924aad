#include "output/follow_protocol.h"

#include <cstdint>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "output/event_json.h"

namespace lifetrace::follow_protocol {

namespace {
std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
}  // namespace

std::string hello_line(const std::string& version, const std::string& status) {
  return dump({{"lifetrace_follow", kVersion}, {"version", version}, {"status", status}});
}

std::string dropped_line(std::uint64_t n) { return dump({{"lifetrace_dropped", n}}); }

std::string stopping_line() { return dump({{"lifetrace_stopping", true}}); }

std::string error_line(const std::string& message) { return dump({{"lifetrace_error", message}}); }

std::string request_line(Request) { return dump({{"request", "history"}}); }

std::optional<Request> parse_request(const std::string& line, std::string* why) {
  const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  const auto it = j.is_object() ? j.find("request") : j.end();
  if (j.is_discarded() || !j.is_object() || it == j.end() || !it->is_string()) {
    if (why) *why = "not a request (expected {\"request\":\"history\"})";
    return std::nullopt;
  }
  if (*it == "history") return Request::history;
  if (why)
    *why = "unknown request " + it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return std::nullopt;
}

std::string history_start_line(const HistoryStart& h) {
  return dump({{"lifetrace_history",
                {{"loads", h.loads},
                 {"preloaded", h.preloaded},
                 {"not_kept", h.not_kept},
                 {"max_loads", h.max_loads},
                 {"since", h.since}}}});
}

std::string preloaded_line(const Preloaded& p) {
  return dump(
      {{"lifetrace_preloaded",
        {{"module", p.module}, {"language", std::string(classify::to_string(p.language))}}}});
}

std::string history_end_line(std::uint64_t loads) {
  return dump({{"lifetrace_history_end", loads}});
}

Message parse_line(const std::string& line) {
  const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Malformed{"not a JSON object"};
  try {
    if (auto it = j.find("lifetrace_follow"); it != j.end()) {
      if (!it->is_number_integer() || !std::in_range<int>(it->get<std::int64_t>()))
        return Unknown{"hello without a protocol version"};
      return Hello{it->get<int>(), j.value("version", "?"), j.value("status", "")};
    }
    if (auto it = j.find("lifetrace_dropped"); it != j.end()) {
      if (!it->is_number_unsigned()) return Unknown{"bad drop count " + it->dump()};
      return Dropped{it->get<std::uint64_t>()};
    }
    if (j.contains("lifetrace_stopping")) return Stopping{};
    if (auto it = j.find("lifetrace_error"); it != j.end()) {
      return Error{it->is_string() ? it->get<std::string>() : it->dump()};
    }
    if (auto it = j.find("lifetrace_history"); it != j.end()) {
      if (!it->is_object()) return Unknown{"history frame is not an object"};
      HistoryStart h;
      // Counts are unsigned integers or absent (0): a float, such as an integer too large
      // for 64 bits, or a negative number is refused, never converted (the fuzzer's
      // 2.05e87 "max_loads" was undefined behaviour in the conversion).
      for (auto [key, field] : {std::pair{"loads", &h.loads},
                                {"preloaded", &h.preloaded},
                                {"not_kept", &h.not_kept},
                                {"max_loads", &h.max_loads}}) {
        const auto v = it->find(key);
        if (v == it->end()) continue;
        if (!v->is_number_unsigned()) return Unknown{std::string("bad history ") + key};
        *field = v->get<std::uint64_t>();
      }
      h.since = it->value("since", std::string());
      return h;
    }
    if (auto it = j.find("lifetrace_preloaded"); it != j.end()) {
      if (!it->is_object()) return Unknown{"preloaded module is not an object"};
      Preloaded p;
      p.module = it->value("module", std::string());
      if (!classify::parse_language(it->value("language", std::string("unknown")), p.language))
        p.language = classify::Language::unknown;
      return p;
    }
    if (auto it = j.find("lifetrace_history_end"); it != j.end()) {
      if (!it->is_number_unsigned()) return Unknown{"bad history end " + it->dump()};
      return HistoryEnd{it->get<std::uint64_t>()};
    }
  } catch (const std::exception& e) {
    return Unknown{e.what()};
  }
  std::string why;
  if (auto e = event_from_json(j, &why)) return std::move(*e);
  return Unknown{why};
}

}  // namespace lifetrace::follow_protocol
