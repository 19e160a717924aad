#include "classify/inventory.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <system_error>

#include <nlohmann/json.hpp>

#include "classify/kallsyms.h"
#include "util/text.h"

namespace lifetrace::classify {
namespace {

template <typename T>
bool parse_num(std::string_view s, T& out, int base = 10) {
  if (base == 16 && s.substr(0, 2) == "0x") s.remove_prefix(2);
  auto r = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

bool read_small(const std::filesystem::path& p, std::string& out) {
  if (!read_text_file(p, out, nullptr, 4096)) return false;  // one-line /sys attributes
  out = trim(std::move(out));
  return true;
}

std::string letters_only(std::string_view s) {
  std::string out;
  for (char c : s)
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) out.push_back(c);
  return out;
}

}  // namespace

bool parse_proc_modules_line(std::string_view line, ModuleInfo& m) {
  auto f = util::split_fields(line);
  if (f.size() < 6) return false;
  m = ModuleInfo{};
  m.name = util::sanitize(f[0]);
  if (!parse_num(f[1], m.size_bytes)) return false;
  if (f[2] == "-") {
    m.refcount = -1;
  } else if (!parse_num(f[2], m.refcount)) {
    return false;
  }
  if (f[3] != "-") {
    std::string_view h = f[3];
    size_t p = 0;
    while (p < h.size()) {
      size_t c = h.find(',', p);
      if (c == std::string_view::npos) c = h.size();
      std::string_view item = h.substr(p, c - p);
      if (item == "[permanent]")
        m.permanent = true;
      else if (!item.empty())
        m.holders.push_back(util::sanitize(item));
      p = c + 1;
    }
  }
  m.state = util::sanitize(f[4]);
  if (!parse_num(f[5], m.address, 16)) m.address = 0;
  if (f.size() > 6) m.taints = letters_only(f[6]);
  return true;
}

std::vector<ModuleInfo> inventory(const std::filesystem::path& procfs,
                                  const std::filesystem::path& sysfs, std::string* error,
                                  std::string* warning) {
  std::vector<ModuleInfo> mods;
  const auto modules_file = procfs / "modules";
  std::string text;
  std::string read_error;
  std::error_code ec;
  if (!std::filesystem::exists(modules_file, ec)) {
    if (error)
      *error = "this kernel has no loadable module support (" +
               util::sanitize(modules_file.string()) + " does not exist)";
    return mods;
  }
  if (!read_text_file(modules_file, text, &read_error)) {
    if (error) *error = read_error;
    return mods;
  }
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    ModuleInfo m;
    if (parse_proc_modules_line(std::string_view(text).substr(pos, nl - pos), m))
      mods.push_back(std::move(m));
    pos = nl + 1;
  }

  for (auto& m : mods) {
    // The directory has the raw name (sanitize() is lossless). Real module
    // names are [A-Za-z0-9_-]; never let one leave /sys/module.
    std::string raw;
    if (!util::unsanitize(m.name, raw) || raw.find('/') != std::string::npos || raw == "." ||
        raw == "..")
      continue;
    const auto dir = sysfs / "module" / raw;
    std::string v;
    if (read_small(dir / "srcversion", v)) m.srcversion = util::sanitize(v);
    if (m.taints.empty() && read_small(dir / "taint", v)) m.taints = letters_only(v);
    if (m.refcount < 0 && read_small(dir / "refcnt", v)) {
      int64_t r = 0;
      if (parse_num(std::string_view(v), r)) m.refcount = r;
    }
    if (m.size_bytes == 0 && read_small(dir / "coresize", v)) {
      uint64_t s = 0;
      if (parse_num(std::string_view(v), s)) m.size_bytes = s;
    }
    if (m.state.empty() && read_small(dir / "initstate", v)) {
      m.state = v == "live"     ? "Live"
                : v == "coming" ? "Loading"
                : v == "going"  ? "Unloading"
                                : util::sanitize(v);
    }
    if (m.holders.empty()) {
      std::error_code dir_ec;
      for (std::filesystem::directory_iterator it(dir / "holders", dir_ec), end;
           !dir_ec && it != end; it.increment(dir_ec)) {
        std::string n = it->path().filename().string();
        if (!n.empty() && n[0] != '.') m.holders.push_back(util::sanitize(n));
      }
    }
  }

  // /proc/kallsyms lists module symbols only for loaded modules; with none there is nothing
  // to classify, and reading it (hundreds of thousands of core-kernel lines) is most of a
  // start's I/O on a large kernel.
  if (mods.empty()) return mods;
  std::string ks_error;
  auto langs = classify_kallsyms_file(procfs / "kallsyms", &ks_error);
  if (!ks_error.empty() && warning) *warning = "cannot read kallsyms: " + ks_error;
  for (auto& m : mods) {
    auto it = langs.find(m.name);
    if (it != langs.end()) {
      m.language = it->second.language;
      m.evidence = it->second.evidence;
    }
  }
  return mods;
}

nlohmann::json to_json(const ModuleInfo& m) {
  nlohmann::json j = to_json(m.evidence);
  j["name"] = m.name;
  j["size_bytes"] = m.size_bytes;
  if (m.refcount >= 0)
    j["refcount"] = m.refcount;
  else
    j["refcount"] = nullptr;
  j["holders"] = m.holders;
  j["permanent"] = m.permanent;
  j["state"] = m.state;
  j["taints"] = m.taints;
  j["srcversion"] = m.srcversion;
  j["language"] = std::string(to_string(m.language));
  if (!m.file.empty()) j["file"] = m.file;
  if (m.provenance) add_provenance(j, *m.provenance);
  return j;
}

}  // namespace lifetrace::classify
