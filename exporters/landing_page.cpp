#include "exporters/landing_page.h"

namespace lifetrace {

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_landing_page(const LandingPageInfo& info) {
  const std::string path = html_escape(info.telemetry_path);
  std::string h;
  h += "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>lifetrace</title></head>\n";
  h += "<body>\n<h1>lifetrace</h1>\n";
  h += "<p>Kernel module lifecycle exporter. Version " + html_escape(info.version) + ", Linux " +
       html_escape(info.kernel_release) + ".</p>\n";
  h += "<p><a href=\"" + path + "\">Metrics</a> (" + path + ")</p>\n";

  std::size_t attached = 0;
  for (const auto& p : info.probes) attached += p.attached ? 1 : 0;
  h +=
      "<h2>Probes: " + std::to_string(attached) + " of " + std::to_string(info.probes.size()) +
      " attached</h2>\n<table>\n"
      "<tr><th>probe</th><th>program</th><th>attached</th><th>required</th><th>why not</th></tr>\n";
  for (const auto& p : info.probes) {
    h += "<tr><td>" + html_escape(p.probe) + "</td><td>" +
         html_escape(p.program.empty() ? "none" : p.program) + "</td><td>" +
         (p.attached ? "yes" : "no") + "</td><td>" + (p.required ? "yes" : "no") + "</td><td>" +
         html_escape(p.attached ? "" : p.error) + "</td></tr>\n";
  }
  h += "</table>\n";

  h += "<h2>Modules loaded</h2>\n<table>\n<tr><th>language</th><th>modules</th></tr>\n";
  for (const auto& [language, n] : info.loaded) {
    h += "<tr><td>" + html_escape(language) + "</td><td>" + std::to_string(n) + "</td></tr>\n";
  }
  h += "</table>\n</body>\n</html>\n";
  return h;
}

}  // namespace lifetrace
