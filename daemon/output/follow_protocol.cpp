#include "output/follow_protocol.h"

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

Message parse_line(const std::string& line) {
  const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Malformed{"not a JSON object"};
  try {
    if (auto it = j.find("lifetrace_follow"); it != j.end()) {
      if (!it->is_number_integer()) return Unknown{"hello without a protocol version"};
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
  } catch (const std::exception& e) {
    return Unknown{e.what()};
  }
  std::string why;
  if (auto e = event_from_json(j, &why)) return std::move(*e);
  return Unknown{why};
}

}  // namespace lifetrace::follow_protocol
