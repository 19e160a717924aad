#include "output/timeline.h"

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "output/text.h"
#include "output/time.h"
#include "util/text.h"

namespace lifetrace {

namespace {

std::string dump(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Numbers in the three forms the renderers print (literal formats, checked by the compiler).
enum class Num { px, tick, offset };
std::string fmt(Num form, double v) {
  std::array<char, 64> buf{};
  switch (form) {
    case Num::px: std::snprintf(buf.data(), buf.size(), "%.2f", v); break;        // SVG coordinates
    case Num::tick: std::snprintf(buf.data(), buf.size(), "%g", v); break;        // axis labels
    case Num::offset: std::snprintf(buf.data(), buf.size(), "+%.3fs", v); break;  // blame's start
  }
  return buf.data();
}

}  // namespace

LoadView view_of(const Event& e) {
  LoadView v;
  v.end = &e;
  v.failed = e.kind == EventKind::load_failed;
  v.load_ns = e.load_ns.value_or(0);
  v.start_ns = static_cast<std::int64_t>(e.mono_ns) - static_cast<std::int64_t>(v.load_ns);
  if (e.phases && !e.phases->empty()) {
    v.phases_measured = true;
    std::uint64_t sum = 0;
    for (const auto& p : *e.phases) {
      // The daemon promises sum <= load_ns; a bar never outgrows its load anyway.
      const std::uint64_t ns = std::min(p.ns, v.load_ns - sum);
      if (ns == 0) continue;
      v.bars.push_back({p.name, ns});
      sum += ns;
    }
    if (sum < v.load_ns) v.bars.push_back({"other", v.load_ns - sum});
  } else if (e.init_ns && *e.init_ns <= v.load_ns) {
    if (v.load_ns > *e.init_ns) v.bars.push_back({"before_init", v.load_ns - *e.init_ns});
    if (*e.init_ns) v.bars.push_back({"init", *e.init_ns});
  } else if (v.load_ns) {
    const bool before = v.failed && e.stage == Stage::before_init;
    v.bars.push_back({before ? "before_init" : "load", v.load_ns});
  }
  return v;
}

std::vector<LoadView> views_of(const History& h) {
  std::vector<LoadView> out;
  out.reserve(h.loads.size());
  for (const auto& e : h.loads) out.push_back(view_of(e));
  return out;
}

std::string result_text(const Event& e) {
  if (e.kind != EventKind::load_failed) return "ok";
  // A duplicate that waited for another load of the file returns that load's result, maybe 0.
  std::string r = !e.ret ? "failed" : *e.ret < 0 ? errno_name(*e.ret) : "nothing loaded";
  if (e.failed_in && e.failed_in->starts_with("already_")) {
    r += " " + *e.failed_in;  // "EEXIST already_loaded": not a step it failed in, a reason
  } else if (e.failed_in && !e.failed_in->empty()) {
    r += " in " + *e.failed_in;
  } else if (e.stage) {
    r += e.stage == Stage::init ? " in init" : " before_init";
  }
  return r;
}

std::string requester_text(const Event& e) {
  std::string r = (e.comm.empty() ? std::string("?") : e.comm) + "/" + std::to_string(e.pid);
  if (e.requester_pid || e.requester_comm || e.requested_name) {
    r += " for " + e.requester_comm.value_or("?");
    if (e.requester_pid) r += "/" + std::to_string(*e.requester_pid);
    if (e.requested_name) r += " (" + *e.requested_name + ")";
  }
  return r;
}

std::string biggest_phases(const LoadView& v, std::size_t n) {
  Phases sorted = v.bars;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Phase& a, const Phase& b) { return a.ns > b.ns; });
  std::string out;
  for (std::size_t i = 0; i < sorted.size() && i < n; ++i) {
    if (!out.empty()) out += ", ";
    out += sorted[i].name + " " + human_duration(sorted[i].ns);
  }
  return out;
}

// ---- blame -----------------------------------------------------------------

namespace {

std::vector<LoadView> slowest_first(const History& h) {
  auto views = views_of(h);
  std::stable_sort(views.begin(), views.end(),
                   [](const LoadView& a, const LoadView& b) { return a.load_ns > b.load_ns; });
  return views;
}

std::int64_t first_start(const std::vector<LoadView>& views) {
  std::int64_t t0 = 0;
  bool any = false;
  for (const auto& v : views) {
    if (!any || v.start_ns < t0) t0 = v.start_ns;
    any = true;
  }
  return t0;
}

std::string pad(std::string s, std::size_t width, bool right = false) {
  // Widths count bytes; names are ASCII in practice (sanitized elsewhere).
  if (s.size() >= width) return s;
  const std::string fill(width - s.size(), ' ');
  return right ? fill + s : s + fill;
}

std::string not_kept_note(const follow_protocol::HistoryStart& f) {
  if (!f.not_kept) return "";
  return std::to_string(f.not_kept) + " loads between the first and the latest " +
         std::to_string(f.max_loads) + " were not kept (the daemon's history is bounded)";
}

}  // namespace

std::string render_blame(const History& h) {
  const auto views = slowest_first(h);
  const std::int64_t t0 = first_start(views);
  // Names arrive sanitized from the daemon; a line that is not (another peer) is made so
  // here, before it reaches a terminal.
  const auto safe = [](const std::string& s) {
    return util::is_sanitized(s) ? s : util::sanitize(s);
  };
  struct Row {
    std::string load, module, language, start, result, phases, by;
  };
  std::vector<Row> rows;
  Row head{"load", "module", "language", "start", "result", "biggest phases", "loaded by"};
  Row w = head;  // the widest cell of each column
  const auto widen = [](std::string& widest, const std::string& cell, std::size_t cap) {
    if (cell.size() > widest.size()) widest.assign(std::min(cell.size(), cap), ' ');
  };
  for (const auto& v : views) {
    const Event& e = *v.end;
    Row r{human_duration(v.load_ns),
          safe(e.module.empty() ? "(unnamed)" : e.module),
          std::string(classify::to_string(e.language)),
          fmt(Num::offset, static_cast<double>(v.start_ns - t0) / 1e9),
          safe(result_text(e)),
          safe(biggest_phases(v)) + (v.phases_measured || v.bars.empty() ? "" : " (not measured)"),
          safe(requester_text(e))};
    widen(w.load, r.load, 12);
    widen(w.module, r.module, 32);
    widen(w.language, r.language, 8);
    widen(w.start, r.start, 10);
    widen(w.result, r.result, 32);
    widen(w.phases, r.phases, 72);
    rows.push_back(std::move(r));
  }
  const auto line = [&](const Row& r) {
    return pad(r.load, w.load.size(), true) + "  " + pad(r.module, w.module.size()) + "  " +
           pad(r.language, w.language.size()) + "  " + pad(r.start, w.start.size(), true) + "  " +
           pad(r.result, w.result.size()) + "  " + pad(r.phases, w.phases.size()) + "  " + r.by +
           "\n";
  };
  std::string out;
  if (rows.empty()) {
    out += "no module loads since the daemon started (" + h.frame.since + ")\n";
  } else {
    out += line(head);
  }
  for (const auto& r : rows) out += line(r);
  out += "\n" + std::to_string(views.size()) + " loads since " + h.frame.since +
         ", slowest first; start is seconds after the first load.\n";
  if (const auto note = not_kept_note(h.frame); !note.empty()) out += note + ".\n";
  if (!h.preloaded.empty()) {
    std::string text = std::to_string(h.preloaded.size()) +
                       " modules were loaded before lifetrace started (no timings):";
    std::size_t col = text.size();
    out += text;
    for (const auto& p : h.preloaded) {
      const std::string item =
          " " + safe(p.module) + "(" + std::string(classify::to_string(p.language)) + ")";
      if (col + item.size() > 100) {
        out += "\n ";
        col = 1;
      }
      out += item;
      col += item.size();
    }
    out += "\n";
  }
  return out;
}

std::string render_blame_json(const History& h) {
  const auto views = slowest_first(h);
  nlohmann::json loads = nlohmann::json::array();
  for (const auto& v : views) {
    const Event& e = *v.end;
    nlohmann::json j = {{"module", e.module},
                        {"language", std::string(classify::to_string(e.language))},
                        {"start", rfc3339_ns(v.start_ns)},
                        {"load_ns", v.load_ns},
                        {"result", v.failed ? "failed" : "ok"},
                        {"pid", e.pid},
                        {"comm", e.comm},
                        {"phases_measured", v.phases_measured}};
    nlohmann::json bars = nlohmann::json::array();
    for (const auto& b : v.bars) bars.push_back({{"phase", b.name}, {"ns", b.ns}});
    j["phases"] = std::move(bars);
    if (e.phase_coverage) j["phase_coverage"] = *e.phase_coverage;
    if (v.failed) {
      if (e.ret) {
        j["ret"] = *e.ret;
        j["errno"] = errno_name(*e.ret);
      }
      if (e.stage) j["stage"] = std::string(to_string(*e.stage));
      if (e.failed_in) j["failed_in"] = *e.failed_in;
      if (e.read_bytes) j["read_bytes"] = *e.read_bytes;
    }
    if (e.request_id) j["request_id"] = *e.request_id;
    if (e.requested_name) j["requested_name"] = *e.requested_name;
    if (e.requester_pid) j["requester_pid"] = *e.requester_pid;
    if (e.requester_comm) j["requester_comm"] = *e.requester_comm;
    loads.push_back(std::move(j));
  }
  nlohmann::json pre = nlohmann::json::array();
  for (const auto& p : h.preloaded)
    pre.push_back(
        {{"module", p.module}, {"language", std::string(classify::to_string(p.language))}});
  const nlohmann::json doc = {{"since", h.frame.since},
                              {"loads", std::move(loads)},
                              {"not_kept", h.frame.not_kept},
                              {"max_loads", h.frame.max_loads},
                              {"before_lifetrace", std::move(pre)}};
  return dump(doc, 2) + "\n";
}

// ---- XML ---------------------------------------------------------------------

std::string xml_escape(const std::string& s) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
  std::string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default:
          // XML 1.0 allows no C0 control but tab, LF and CR; in a label none is wanted.
          if (c < 0x20 || c == 0x7F) {
            out += kReplacement;
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    // A well-formed UTF-8 sequence (no overlongs, surrogates or > U+10FFFF) is copied.
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    }
    bool ok = len != 0 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (ok) {
      ok = !(len == 3 && cp < 0x800) && !(len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) &&
           !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (!ok) {  // not UTF-8: one replacement per byte
      out += kReplacement;
      ++i;
      continue;
    }
    // Well-formed but unwanted in a label, one replacement per character: U+FFFE/FFFF (not XML
    // characters), C1 controls, line/paragraph separators and bidi controls (they would reorder
    // what follows).
    if (cp == 0xFFFE || cp == 0xFFFF || (cp >= 0x80 && cp <= 0x9F) ||
        (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) {
      out += kReplacement;
      i += len;
      continue;
    }
    out.append(s, i, len);
    i += len;
  }
  return out;
}

// ---- plot --------------------------------------------------------------------

namespace {

// A colour per phase: fixed for the names lifetrace uses, a stable pick from
// a palette for any other (a newer daemon may time more steps).
std::string phase_colour(const std::string& name) {
  // The phase names of core/phases.cpp (issue 12), in the kernel's order, then the bars
  // blame and plot make themselves (before_init, load, other).
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 21> kFixed{{
      {"read", "#4e79a7"},        {"decompress", "#f28e2b"},  {"signature", "#e15759"},
      {"elf", "#76b7b2"},         {"layout", "#59a14f"},      {"duplicate_check", "#ffbe7d"},
      {"symbols", "#edc948"},     {"relocations", "#b07aa1"}, {"formation", "#ff9da7"},
      {"coming", "#9c755f"},      {"params", "#bab0ac"},      {"sysfs", "#d37295"},
      {"init", "#0b6e4f"},        {"async_wait", "#17becf"},  {"finalize", "#bcbd22"},
      {"load_module", "#8c564b"}, {"idempotent", "#e377c2"},  {"syscall", "#7f7f7f"},
      {"before_init", "#a6cee3"}, {"load", "#a0a0a0"},        {"other", "#e4e4e4"},
  }};
  for (const auto& [n, c] : kFixed)
    if (n == name) return std::string(c);
  static constexpr std::array<std::string_view, 8> kPalette{
      "#1f77b4", "#aec7e8", "#98df8a", "#ffbb78", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d"};
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char ch : name) h = (h ^ ch) * 16777619u;
  return std::string(kPalette[h % kPalette.size()]);
}

std::string language_colour(classify::Language l) {
  switch (l) {
    case classify::Language::rust: return "#b7410e";
    case classify::Language::c: return "#1f4e79";
    case classify::Language::mixed: return "#7b2d8e";
    default: return "#666666";
  }
}

// A tick step of 1, 2 or 5 times a power of ten giving at most ~10 ticks.
double tick_step(double span_s) {
  if (span_s <= 0) return 1;
  const double raw = span_s / 10;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

std::string shorten(const std::string& s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t cut = max - 1;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // whole chars
  return s.substr(0, cut) + "\xE2\x80\xA6";                                      // …
}

}  // namespace

std::string render_svg(const History& h) {
  auto views = views_of(h);
  std::stable_sort(views.begin(), views.end(),
                   [](const LoadView& a, const LoadView& b) { return a.start_ns < b.start_ns; });
  const std::int64_t t0 = first_start(views);
  std::int64_t t_end = t0;
  for (const auto& v : views)
    t_end = std::max(t_end, v.start_ns + static_cast<std::int64_t>(v.load_ns));
  const double span_s = std::max(static_cast<double>(t_end - t0) / 1e9, 1e-3);

  // Every phase name used, in order of first appearance: the legend.
  std::vector<std::string> phase_names;
  for (const auto& v : views)
    for (const auto& b : v.bars)
      if (std::find(phase_names.begin(), phase_names.end(), b.name) == phase_names.end())
        phase_names.push_back(b.name);

  constexpr int kWidth = 1400, kLabel = 300, kRight = 260, kRow = 20, kTop = 120;
  const int chart_w = kWidth - kLabel - kRight;
  const int rows = static_cast<int>(views.size());
  const int pre_lines = h.preloaded.empty() ? 0 : 1 + static_cast<int>(h.preloaded.size() / 12);
  const int height = kTop + std::max(rows, 1) * kRow + 50 + pre_lines * 16;
  const auto x_of = [&](std::int64_t t) {
    return kLabel + static_cast<double>(t - t0) / 1e9 / span_s * chart_w;
  };

  std::string o;
  o += R"(<?xml version="1.0" encoding="UTF-8"?>)"
       "\n";
  o += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(kWidth) +
       "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(kWidth) +
       " " + std::to_string(height) +
       "\" font-family=\"DejaVu Sans Mono, monospace\" font-size=\"12\">\n";
  o += "<title>lifetrace plot: module loads since " + xml_escape(h.frame.since) + "</title>\n";
  o += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  std::string title = "lifetrace: " + std::to_string(rows) + " module loads since " + h.frame.since;
  if (h.frame.not_kept) title += " (" + std::to_string(h.frame.not_kept) + " not kept)";
  o += "<text x=\"10\" y=\"22\" font-size=\"16\" font-weight=\"bold\">" + xml_escape(title) +
       "</text>\n";

  // Legend: phases, then languages and what a failure looks like.
  int lx = 10;
  o += "<g class=\"legend\">\n";
  for (const auto& name : phase_names) {
    o += "<rect x=\"" + std::to_string(lx) + "\" y=\"36\" width=\"12\" height=\"12\" fill=\"" +
         phase_colour(name) + "\" stroke=\"#555555\" stroke-width=\"0.5\"/>";
    o += "<text x=\"" + std::to_string(lx + 16) + "\" y=\"46\">" + xml_escape(name) + "</text>\n";
    lx += 24 + 8 * static_cast<int>(std::min<std::size_t>(name.size(), 24));
    if (lx > kWidth - 200) break;  // more names than fit: the bars still carry <title>s
  }
  lx = 10;
  for (auto l : {classify::Language::c, classify::Language::rust, classify::Language::mixed,
                 classify::Language::unknown}) {
    const std::string name(classify::to_string(l));
    o += "<rect x=\"" + std::to_string(lx) + "\" y=\"56\" width=\"10\" height=\"12\" fill=\"" +
         language_colour(l) + "\"/>";
    o += "<text x=\"" + std::to_string(lx + 14) + "\" y=\"66\" fill=\"" + language_colour(l) +
         "\">" + name + "</text>\n";
    lx += 28 + 8 * static_cast<int>(name.size());
  }
  o += "<rect x=\"" + std::to_string(lx) +
       "\" y=\"56\" width=\"24\" height=\"12\" fill=\"#fde0e0\" stroke=\"#c00000\" "
       "stroke-width=\"1.5\"/>";
  o += "<text x=\"" + std::to_string(lx + 30) +
       "\" y=\"66\" fill=\"#c00000\">failed load (errno, where)</text>\n";
  o += "</g>\n";

  // Time axis: seconds since the first load, grid lines through the rows.
  const double step = tick_step(span_s);
  const int axis_y = kTop - 16;
  const int grid_bottom = kTop + std::max(rows, 1) * kRow;
  o += "<g class=\"axis\" stroke=\"#cccccc\" stroke-width=\"1\">\n";
  for (double t = 0; t <= span_s * 1.0001; t += step) {
    const double x = kLabel + t / span_s * chart_w;
    o += "<line x1=\"" + fmt(Num::px, x) + "\" y1=\"" + std::to_string(axis_y + 4) + "\" x2=\"" +
         fmt(Num::px, x) + "\" y2=\"" + std::to_string(grid_bottom) + "\"/>";
    o += "<text x=\"" + fmt(Num::px, x) + "\" y=\"" + std::to_string(axis_y) +
         "\" text-anchor=\"middle\" stroke=\"none\" fill=\"#333333\">" + fmt(Num::tick, t) +
         " s</text>\n";
  }
  o += "<text x=\"" + std::to_string(kLabel) + "\" y=\"" + std::to_string(axis_y - 16) +
       "\" stroke=\"none\" fill=\"#333333\">seconds since the first load</text>\n";
  o += "</g>\n";

  if (views.empty()) {
    o += "<text x=\"" + std::to_string(kLabel) + "\" y=\"" + std::to_string(kTop + 14) +
         "\">no module loads since the daemon started</text>\n";
  }
  o += "<g class=\"rows\">\n";
  for (int i = 0; i < rows; ++i) {
    const LoadView& v = views[static_cast<std::size_t>(i)];
    const Event& e = *v.end;
    const int y = kTop + i * kRow;
    const std::string name = e.module.empty() ? "(unnamed)" : e.module;
    const std::string lang(classify::to_string(e.language));
    o += "<g class=\"load" + std::string(v.failed ? " failed" : "") + "\">";
    o += "<title>" +
         xml_escape(name + " (" + lang + "): " + human_duration(v.load_ns) + ", " + result_text(e) +
                    ", by " + requester_text(e)) +
         "</title>";
    if (v.failed) {
      o += "<rect x=\"0\" y=\"" + std::to_string(y) + "\" width=\"" + std::to_string(kWidth) +
           "\" height=\"" + std::to_string(kRow) + "\" fill=\"#fde0e0\"/>";
    } else if (i % 2) {
      o += "<rect x=\"0\" y=\"" + std::to_string(y) + "\" width=\"" + std::to_string(kWidth) +
           "\" height=\"" + std::to_string(kRow) + "\" fill=\"#f4f4f4\"/>";
    }
    // Language: a marker and the label's colour.
    o += "<rect x=\"8\" y=\"" + std::to_string(y + 4) + "\" width=\"10\" height=\"12\" fill=\"" +
         language_colour(e.language) + "\"/>";
    o += "<text class=\"label\" x=\"24\" y=\"" + std::to_string(y + 14) + "\" fill=\"" +
         language_colour(e.language) + "\">" + xml_escape(shorten(name, 26)) + " [" + lang +
         "]</text>";
    double x = x_of(v.start_ns);
    for (const auto& b : v.bars) {
      const double w = std::max(static_cast<double>(b.ns) / 1e9 / span_s * chart_w, 0.0);
      o += "<rect class=\"phase\" x=\"" + fmt(Num::px, x) + "\" y=\"" + std::to_string(y + 3) +
           "\" width=\"" + fmt(Num::px, std::max(w, 0.5)) + "\" height=\"" +
           std::to_string(kRow - 6) + "\" fill=\"" + phase_colour(b.name) + "\"><title>" +
           xml_escape(b.name + " " + human_duration(b.ns)) + "</title></rect>";
      x += w;
    }
    const double x0 = x_of(v.start_ns);
    if (v.failed) {
      o += "<rect x=\"" + fmt(Num::px, x0) + "\" y=\"" + std::to_string(y + 2) + "\" width=\"" +
           fmt(Num::px, std::max(x - x0, 1.0)) + "\" height=\"" + std::to_string(kRow - 4) +
           "\" fill=\"none\" stroke=\"#c00000\" stroke-width=\"1.5\"/>";
    }
    std::string note = human_duration(v.load_ns);
    if (v.failed) note += " \xE2\x9C\x97 " + result_text(e);  // ✗
    const bool right = x + 8 + 8 * static_cast<double>(note.size()) < kWidth;
    o += "<text class=\"note\" x=\"" + fmt(Num::px, right ? x + 4 : x0 - 4) + "\" y=\"" +
         std::to_string(y + 14) + "\"" + (right ? "" : " text-anchor=\"end\"") + " fill=\"" +
         (v.failed ? "#c00000" : "#333333") + "\">" + xml_escape(note) + "</text>";
    o += "</g>\n";
  }
  o += "</g>\n";

  int py = grid_bottom + 30;
  if (const auto note = not_kept_note(h.frame); !note.empty()) {
    o += "<text x=\"10\" y=\"" + std::to_string(py - 12) + "\" fill=\"#c00000\">" +
         xml_escape(note) + "</text>\n";
  }
  if (!h.preloaded.empty()) {
    std::string line = std::to_string(h.preloaded.size()) +
                       " modules loaded before lifetrace started (no timings):";
    for (std::size_t i = 0; i < h.preloaded.size(); ++i) {
      line += " " + h.preloaded[i].module;
      if (line.size() > 150 || i + 1 == h.preloaded.size()) {
        o += "<text class=\"before\" x=\"10\" y=\"" + std::to_string(py) + "\" fill=\"#555555\">" +
             xml_escape(line) + "</text>\n";
        py += 16;
        line.clear();
      }
    }
  }
  o += "</svg>\n";
  return o;
}

std::string render_trace(const History& h) {
  auto views = views_of(h);
  std::stable_sort(views.begin(), views.end(),
                   [](const LoadView& a, const LoadView& b) { return a.start_ns < b.start_ns; });
  const std::int64_t t0 = first_start(views);
  const auto us = [&](std::int64_t ns_since_t0) { return static_cast<double>(ns_since_t0) / 1e3; };
  nlohmann::json evs = nlohmann::json::array();
  evs.push_back({{"ph", "M"},
                 {"pid", 1},
                 {"tid", 0},
                 {"name", "process_name"},
                 {"args", {{"name", "lifetrace: module loads since " + h.frame.since}}}});
  int tid = 0;
  for (const auto& v : views) {
    ++tid;
    const Event& e = *v.end;
    const std::string name = e.module.empty() ? "(unnamed)" : e.module;
    const std::string lang(classify::to_string(e.language));
    evs.push_back({{"ph", "M"},
                   {"pid", 1},
                   {"tid", tid},
                   {"name", "thread_name"},
                   {"args", {{"name", name + " [" + lang + "]"}}}});
    evs.push_back({{"ph", "M"},
                   {"pid", 1},
                   {"tid", tid},
                   {"name", "thread_sort_index"},
                   {"args", {{"sort_index", tid}}}});
    nlohmann::json args = {{"language", lang},
                           {"result", result_text(e)},
                           {"load_ns", v.load_ns},
                           {"by", requester_text(e)},
                           {"phases_measured", v.phases_measured}};
    if (e.phase_coverage) args["phase_coverage"] = *e.phase_coverage;
    const std::int64_t start = v.start_ns - t0;
    evs.push_back({{"ph", "X"},
                   {"pid", 1},
                   {"tid", tid},
                   {"name", name},
                   {"cat", v.failed ? "load,failed" : "load"},
                   {"ts", us(start)},
                   {"dur", us(static_cast<std::int64_t>(v.load_ns))},
                   {"args", std::move(args)}});
    std::int64_t at = start;
    for (const auto& b : v.bars) {
      evs.push_back({{"ph", "X"},
                     {"pid", 1},
                     {"tid", tid},
                     {"name", b.name},
                     {"cat", "phase"},
                     {"ts", us(at)},
                     {"dur", us(static_cast<std::int64_t>(b.ns))},
                     {"args", {{"ns", b.ns}}}});
      at += static_cast<std::int64_t>(b.ns);
    }
  }
  nlohmann::json pre = nlohmann::json::array();
  for (const auto& p : h.preloaded) pre.push_back(p.module);
  const nlohmann::json doc = {{"traceEvents", std::move(evs)},
                              {"displayTimeUnit", "ms"},
                              {"otherData",
                               {{"since", h.frame.since},
                                {"first_load", views.empty() ? "" : rfc3339_ns(t0)},
                                {"not_kept", h.frame.not_kept},
                                {"before_lifetrace", std::move(pre)}}}};
  return dump(doc) + "\n";
}

}  // namespace lifetrace
