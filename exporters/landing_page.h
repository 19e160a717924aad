// The HTML page the metrics endpoint serves at `/`, like node_exporter's:
// version, kernel, which probes are attached, modules loaded by language and a
// link to the telemetry path. Pure: the daemon gathers the data
// (Metrics::landing_page_info), this only renders it, every string escaped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/health.h"

namespace lifetrace {

struct LandingPageInfo {
  std::string version;
  std::string kernel_release;
  std::string telemetry_path = "/metrics";
  std::vector<AttachResult> probes;
  std::vector<std::pair<std::string, std::size_t>> loaded;  // by language, e.g. {"rust", 2}
};

// &, <, >, " and ' as character references.
std::string html_escape(std::string_view s);

std::string render_landing_page(const LandingPageInfo& info);

}  // namespace lifetrace
