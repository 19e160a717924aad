#include "classify/builtin.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <ostream>
#include <set>

#include <sys/utsname.h>

#include <nlohmann/json.hpp>

#include "classify/kallsyms.h"
#include "util/text.h"

namespace lifetrace::classify {
namespace fs = std::filesystem;

namespace {

int digit62(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 36;
  return -1;
}

// Walks a v0 name (after "_R") from one path to the crate root it starts
// from. Only called on names rust_mangling() accepted, but it checks every
// bound anyway and gives up ("") on anything unexpected.
class CrateFinder {
 public:
  explicit CrateFinder(std::string_view s) : s_(s) {}

  std::string find() {
    size_t p = 0;
    // Each step moves forward, or backwards through a backref that must point
    // before itself; the step budget bounds the walk either way.
    for (int steps = 0; steps < 512 && p < s_.size(); ++steps) {
      const char c = s_[p];
      switch (c) {
        case 'C': return crate_root(p + 1);
        case 'N': p += 2; break;  // namespace tag, then the parent path
        case 'M':
        case 'X':  // [disambiguator] impl-path type [trait path]
          ++p;
          if (p < s_.size() && s_[p] == 's' && !skip_base62(p)) return {};
          break;
        case 'I': ++p; break;  // the path the generic arguments apply to
        case 'Y': {            // <type as trait>: the type's crate, or the trait's
          ++p;
          if (!peel_type(p)) return {};
          break;
        }
        case 'B': {
          const size_t tag = p;
          ++p;
          uint64_t target = 0;
          if (!base62(p, target) || target >= tag) return {};
          p = static_cast<size_t>(target);
          break;
        }
        default: return {};
      }
    }
    return {};
  }

 private:
  // p at the first byte after a "s" or "L"/"G" tag's letter... or at the
  // letter itself for skip_base62. base62 = {digit62} "_", "_" alone is 0.
  bool base62(size_t& p, uint64_t& out) const {
    uint64_t v = 0;
    bool any = false;
    while (p < s_.size() && s_[p] != '_') {
      const int d = digit62(s_[p]);
      if (d < 0 || v > (UINT64_MAX - 61) / 62) return false;
      v = v * 62 + static_cast<uint64_t>(d);
      any = true;
      ++p;
    }
    if (p >= s_.size()) return false;
    ++p;  // '_'
    out = any ? v + 1 : 0;
    return true;
  }
  bool skip_base62(size_t& p) const {  // p at the tag letter ('s', 'L')
    ++p;
    uint64_t ignored = 0;
    return base62(p, ignored);
  }

  // References, pointers, slices and arrays around a type: the element type
  // decides. A basic type (u8, str, ...) has no crate: the trait path after
  // it does. Tuples, fn pointers and dyn types: give up.
  bool peel_type(size_t& p) const {
    for (int guard = 0; guard < 64 && p < s_.size(); ++guard) {
      const char c = s_[p];
      if (c == 'R' || c == 'Q') {
        ++p;
        if (p < s_.size() && s_[p] == 'L' && !skip_base62(p)) return false;
      } else if (c == 'P' || c == 'O' || c == 'S' || c == 'A') {
        ++p;  // an array's length const follows its type; never reached
      } else if (c >= 'a' && c <= 'z') {
        ++p;  // a basic type: continue with the trait path
        return true;
      } else {
        return c == 'C' || c == 'N' || c == 'M' || c == 'X' || c == 'Y' || c == 'I' || c == 'B';
      }
    }
    return false;
  }

  std::string crate_root(size_t p) const {
    if (p < s_.size() && s_[p] == 's' && !skip_base62(p)) return {};
    if (p < s_.size() && s_[p] == 'u') ++p;  // punycode: kept encoded
    uint64_t len = 0;
    size_t digits = 0;
    while (p < s_.size() && s_[p] >= '0' && s_[p] <= '9' && digits < 8) {
      len = len * 10 + static_cast<uint64_t>(s_[p] - '0');
      ++p;
      ++digits;
    }
    if (digits == 0 || len == 0 || len > 255) return {};
    if (p < s_.size() && s_[p] == '_') ++p;
    if (len > s_.size() - p) return {};
    return std::string(s_.substr(p, static_cast<size_t>(len)));
  }

  std::string_view s_;
};

std::string_view next_line(std::string_view text, size_t& pos) {
  size_t nl = text.find('\n', pos);
  if (nl == std::string_view::npos) nl = text.size();
  std::string_view line = text.substr(pos, nl - pos);
  pos = nl + 1;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::string module_name_of(std::string_view file) {
  std::string name(file.substr(0, file.size() - 3));  // drop ".ko"
  const size_t slash = name.rfind('/');
  if (slash != std::string::npos) name.erase(0, slash + 1);
  std::replace(name.begin(), name.end(), '-', '_');
  return util::sanitize(name);
}

bool parse_hex(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 16) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

}  // namespace

std::string rust_crate(std::string_view symbol) {
  if (rust_mangling(symbol) != Mangling::rust_v0) return {};
  return CrateFinder(symbol.substr(2)).find();
}

std::vector<std::string> parse_modules_builtin(std::string_view text) {
  std::vector<std::string> out;
  std::set<std::string, std::less<>> seen;
  size_t pos = 0;
  while (pos < text.size() && out.size() < kMaxBuiltinEntries) {
    std::string_view line = next_line(text, pos);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.size() <= 3 || line.size() > 4096 || line.substr(line.size() - 3) != ".ko") continue;
    std::string name = module_name_of(line);
    if (name.empty() || !seen.insert(name).second) continue;  // file order, no repeats
    out.push_back(std::move(name));
  }
  return out;
}

BuiltinModinfo parse_builtin_modinfo(std::string_view text) {
  BuiltinModinfo out;
  size_t entries = 0;
  size_t pos = 0;
  while (pos < text.size() && entries < kMaxBuiltinEntries) {
    size_t end = text.find('\0', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = text.substr(pos, end - pos);
    pos = end + 1;
    const size_t dot = item.find('.');
    const size_t eq = item.find('=');
    if (dot == std::string_view::npos || eq == std::string_view::npos || dot == 0 || eq < dot + 2)
      continue;
    std::string module = util::sanitize(item.substr(0, std::min<size_t>(dot, 256)));
    std::string key = util::sanitize(item.substr(dot + 1, std::min<size_t>(eq - dot - 1, 256)));
    std::string_view value = item.substr(eq + 1);
    if (value.size() > kMaxBuiltinValue) value = value.substr(0, kMaxBuiltinValue);
    ++entries;
    auto& keys = out[module];
    keys.emplace(std::move(key), util::sanitize(value));  // first value wins
  }
  return out;
}

BuiltinRanges parse_builtin_ranges(std::string_view text) {
  BuiltinRanges out;
  size_t pos = 0;
  while (pos < text.size() && out.ranges.size() < kMaxBuiltinEntries) {
    std::string_view line = next_line(text, pos);
    if (line.empty() || line.size() > 65536) {
      if (!line.empty()) ++out.bad_lines;
      continue;
    }
    auto f = util::split_fields(line);
    uint64_t start = 0;
    uint64_t end = 0;
    const size_t dash = f.size() >= 3 ? f[1].find('-') : std::string_view::npos;
    if (f.size() < 3 || f[0].empty() || f[0][0] != '.' || f[0].size() > 256 ||
        dash == std::string_view::npos || !parse_hex(f[1].substr(0, dash), start) ||
        !parse_hex(f[1].substr(dash + 1), end) || end < start) {
      ++out.bad_lines;
      continue;
    }
    std::string section = util::sanitize(f[0]);
    if (f[2] == "=") {
      if (f.size() != 4 || f[3].size() > 512) {
        ++out.bad_lines;
        continue;
      }
      out.anchors[section] = util::sanitize(f[3]);
      continue;
    }
    BuiltinRange r;
    r.section = std::move(section);
    r.start = start;
    r.end = end;
    for (size_t i = 2; i < f.size() && r.modules.size() < 64; ++i)
      r.modules.push_back(util::sanitize(f[i].substr(0, 256)));
    out.ranges.push_back(std::move(r));
  }
  return out;
}

namespace {

// A Rust function of vmlinux: its size is up to the next higher vmlinux
// symbol address (0 for the highest).
struct RustFunction {
  uint64_t address = 0;
  uint64_t size = 0;
  RustCrate* crate = nullptr;
};

// A range of modules.builtin.ranges placed at its anchor's address.
struct Placed {
  uint64_t start = 0;
  uint64_t end = 0;
  const BuiltinRange* range = nullptr;
};

using Located = std::map<std::string, Classifier, std::less<>>;

// The ranges whose section's anchor was found, sorted by start (ties in file
// order). *wraps is set when an anchor plus an offset wraps around.
std::vector<Placed> place(const BuiltinRanges& ranges,
                          const std::map<std::string, uint64_t, std::less<>>& anchor_addr,
                          bool* wraps) {
  std::vector<Placed> out;
  for (const auto& r : ranges.ranges) {
    auto a = anchor_addr.find(r.section);
    if (a == anchor_addr.end()) continue;
    const uint64_t start = a->second + r.start;
    const uint64_t end = a->second + r.end;
    if (wraps && (start < a->second || end < a->second)) *wraps = true;
    out.push_back({start, end, &r});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Placed& x, const Placed& y) { return x.start < y.start; });
  return out;
}

// Feeds a vmlinux symbol to the classifiers of the modules whose ranges hold
// its address. Ranges of different sections do not overlap; look back a few
// for zero-length or nested entries.
void classify_in_ranges(const std::vector<Placed>& placed, uint64_t address, std::string_view name,
                        char type, Located& located) {
  auto it = std::upper_bound(placed.begin(), placed.end(), address,
                             [](uint64_t a, const Placed& r) { return a < r.start; });
  for (int back = 0; back < 4 && it != placed.begin(); ++back) {
    --it;
    if (address >= it->start && address < it->end)
      for (const auto& m : it->range->modules)
        located[m].add(Symbol{name, symbol_kind(type), true});
  }
}

// The kallsyms part of the report, fed one line at a time (see builtin.h).
//
// First pass: whether addresses are visible, the anchors' addresses (the
// first vmlinux symbol of each anchor's name), the Rust symbols and crates,
// and, while the vmlinux addresses keep ascending ("online"), the functions'
// sizes and the ranges' symbols. Symbols are handled per run of one address,
// when the next higher address arrives: by then every symbol at or below it,
// so every anchor a range containing it can hang from, has been seen, and
// the next higher address is the size's end.
// Second pass, only when the first went offline and addresses are visible:
// the sizes (each address seen goes to the highest Rust function address
// below it) and the ranges, with every anchor known.
class KallsymsReport {
 public:
  KallsymsReport(BuiltinReport& rep, const BuiltinRanges* ranges) : rep_(rep), ranges_(ranges) {
    if (ranges_)
      for (const auto& [section, sym] : ranges_->anchors) anchors_.push_back({section, sym});
    anchors_left_ = anchors_.size();
    buffer_runs_ = ranges_ && !ranges_->ranges.empty() && !anchors_.empty();
  }

  void first(std::string_view line) {
    rep_.have_kallsyms = true;
    KallsymsEntry e;
    if (!parse_kallsyms_line(line, e) || !e.module.empty()) return;
    if (e.address != 0) rep_.addresses_visible = true;
    if (online_) advance(e.address);
    find_anchor(e);
    count_rust(e);
    if (online_ && buffer_runs_) keep_in_run(e);
  }

  void end_first() {
    if (online_) flush_run(0, false);
    run_.clear();
    run_names_.clear();
  }

  bool needs_second() const { return !online_ && rep_.addresses_visible; }

  void start_second() {
    located_.clear();
    if (ranges_) placed_ = place(*ranges_, anchor_addr_, nullptr);
    starts_.clear();
    for (const auto& f : funcs_) starts_.push_back(f.address);
    std::sort(starts_.begin(), starts_.end());
    starts_.erase(std::unique(starts_.begin(), starts_.end()), starts_.end());
    next_.assign(starts_.size(), 0);  // 0: none seen (a next address is above something)
  }

  void second(std::string_view line) {
    KallsymsEntry e;
    if (!parse_kallsyms_line(line, e) || !e.module.empty()) return;
    auto it = std::lower_bound(starts_.begin(), starts_.end(), e.address);
    if (it != starts_.begin()) {
      uint64_t& next = next_[static_cast<size_t>(it - starts_.begin()) - 1];
      if (next == 0 || e.address < next) next = e.address;
    }
    if (!placed_.empty()) classify_in_ranges(placed_, e.address, e.name, e.type, located_);
  }

  void end_second() {
    for (auto& f : funcs_) {
      auto it = std::lower_bound(starts_.begin(), starts_.end(), f.address);
      const uint64_t next = next_[static_cast<size_t>(it - starts_.begin())];
      f.size = next == 0 ? 0 : next - f.address;
    }
  }

  // Crates' sizes, the ranges' warnings; the located modules' classifiers.
  Located finish(std::map<std::string, RustCrate, std::less<>>& crates) {
    if (rep_.addresses_visible)
      for (const auto& f : funcs_) f.crate->text_bytes = f.crate->text_bytes.value_or(0) + f.size;
    crates = std::move(crates_);
    rep_.kernel_has_rust = rep_.rust_symbols > 0;
    if (!ranges_) return {};
    if (ranges_->bad_lines)
      rep_.warnings.push_back("modules.builtin.ranges: " + std::to_string(ranges_->bad_lines) +
                              " lines not understood");
    if (!rep_.addresses_visible) {
      rep_.warnings.push_back(
          "kallsyms hides addresses: the ranges cannot be placed (run as root, or lower "
          "kernel.kptr_restrict)");
      return {};
    }
    for (const auto& [section, sym] : ranges_->anchors)
      if (!anchor_addr_.count(section))
        rep_.warnings.push_back("modules.builtin.ranges: anchor " + sym + " of " + section +
                                " is not in kallsyms");
    for (const auto& r : ranges_->ranges)
      if (anchor_addr_.count(r.section))
        for (const auto& m : r.modules) located_[m];  // a module with ranges is located
    return std::move(located_);
  }

 private:
  struct Anchor {
    std::string section;
    std::string symbol;  // sanitized, as in the file
    bool found = false;
  };
  struct RunSymbol {
    size_t offset;  // in run_names_
    size_t size;
    char type;
  };
  static constexpr size_t kMaxRunSymbols = 16384;
  static constexpr size_t kMaxRunBytes = size_t{1} << 20;

  // A new vmlinux address: a higher one ends the run of the previous one; a
  // lower one ends the online work (the second pass redoes it).
  void advance(uint64_t address) {
    if (have_run_ && address < run_address_) {
      go_offline();
      return;
    }
    if (!have_run_ || address > run_address_) {
      flush_run(address, true);
      run_address_ = address;
      have_run_ = true;
    }
  }

  void flush_run(uint64_t next, bool has_next) {
    for (size_t i : pending_) funcs_[i].size = has_next ? next - funcs_[i].address : 0;
    pending_.clear();
    for (const auto& s : run_)
      classify_in_ranges(placed_, run_address_,
                         std::string_view(run_names_).substr(s.offset, s.size), s.type, located_);
    run_.clear();
    run_names_.clear();
  }

  void go_offline() {
    online_ = false;
    pending_ = {};
    run_ = {};
    run_names_ = {};
    placed_ = {};
  }

  void find_anchor(const KallsymsEntry& e) {
    if (anchors_left_ == 0) return;
    for (auto& a : anchors_) {
      // sanitize() never shortens: a longer raw name cannot match.
      if (a.found || e.name.size() > a.symbol.size() || util::sanitize(e.name) != a.symbol)
        continue;
      a.found = true;
      --anchors_left_;
      anchor_addr_[a.section] = e.address;
      if (online_ && buffer_runs_) {
        bool wraps = false;
        placed_ = place(*ranges_, anchor_addr_, &wraps);
        if (wraps) go_offline();
      }
    }
  }

  void count_rust(const KallsymsEntry& e) {
    if (e.name.size() < 3 || e.name[0] != '_' || e.name[1] != 'R') return;
    const SymKind kind = symbol_kind(e.type);
    if (kind == SymKind::other) return;
    if (rust_mangling(e.name) != Mangling::rust_v0) return;
    ++rep_.rust_symbols;
    std::string crate = rust_crate(e.name);
    if (crate.empty()) return;
    if (crates_.size() >= 4096 && !crates_.count(crate)) return;
    auto& c = crates_[crate];
    if (c.name.empty()) c.name = util::sanitize(crate);
    ++c.symbols;
    if (kind != SymKind::func) return;
    ++c.functions;
    funcs_.push_back({e.address, 0, &c});
    if (online_) pending_.push_back(funcs_.size() - 1);
  }

  void keep_in_run(const KallsymsEntry& e) {
    if (run_.size() >= kMaxRunSymbols || run_names_.size() + e.name.size() > kMaxRunBytes) {
      go_offline();
      return;
    }
    run_.push_back({run_names_.size(), e.name.size(), e.type});
    run_names_.append(e.name);
  }

  BuiltinReport& rep_;
  const BuiltinRanges* ranges_;
  std::vector<Anchor> anchors_;
  size_t anchors_left_ = 0;
  bool buffer_runs_ = false;  // there are ranges to place
  std::map<std::string, uint64_t, std::less<>> anchor_addr_;
  std::map<std::string, RustCrate, std::less<>> crates_;
  std::vector<RustFunction> funcs_;
  Located located_;
  std::vector<Placed> placed_;

  // First pass, online.
  bool online_ = true;
  bool have_run_ = false;
  uint64_t run_address_ = 0;
  std::vector<size_t> pending_;  // funcs_ at run_address_, size not known yet
  std::vector<RunSymbol> run_;   // symbols at run_address_, for the ranges
  std::string run_names_;

  // Second pass.
  std::vector<uint64_t> starts_;  // the Rust functions' addresses, sorted, unique
  std::vector<uint64_t> next_;    // per start: the next higher address seen (0: none)
};

}  // namespace

BuiltinReport builtin_report(const KallsymsSource& source, const BuiltinInputs& in,
                             std::string* error) {
  BuiltinReport rep;
  rep.have_modules_builtin = in.modules_builtin.has_value();
  rep.have_modinfo = in.modinfo.has_value();
  rep.have_ranges = in.ranges.has_value();
  std::optional<BuiltinRanges> ranges;
  if (in.ranges) ranges = parse_builtin_ranges(*in.ranges);

  KallsymsReport ks(rep, ranges ? &*ranges : nullptr);
  std::string why;
  auto failed = [&] {
    if (error) *error = why.empty() ? std::string("kallsyms: cannot be read") : why;
    return BuiltinReport{};
  };
  if (!source([&](std::string_view l) { ks.first(l); }, &why)) return failed();
  ks.end_first();
  if (ks.needs_second()) {
    ks.start_second();
    if (!source([&](std::string_view l) { ks.second(l); }, &why)) return failed();
    ks.end_second();
  }
  std::map<std::string, RustCrate, std::less<>> crates;
  Located located = ks.finish(crates);

  std::vector<std::string> names;
  if (in.modules_builtin) names = parse_modules_builtin(*in.modules_builtin);
  BuiltinModinfo modinfo;
  if (in.modinfo) modinfo = parse_builtin_modinfo(*in.modinfo);

  // Built-in modules: those of modules.builtin, plus any only modinfo names.
  std::vector<std::string> all = names;
  if (!in.modules_builtin)
    for (const auto& [m, keys] : modinfo)
      if (keys.count("file")) all.push_back(m);
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  for (const auto& name : all) {
    BuiltinModule m;
    m.name = name;
    auto mi = modinfo.find(name);
    if (mi != modinfo.end()) {
      auto get = [&](const char* k) {
        auto it = mi->second.find(k);
        return it == mi->second.end() ? std::string() : it->second;
      };
      m.file = get("file");
      m.description = get("description");
      m.license = get("license");
    }
    auto crate = crates.find(name);
    const bool has_crate = crate != crates.end();
    if (has_crate) crate->second.module = name;
    auto loc = located.find(name);
    if (loc != located.end()) {
      Result r = loc->second.finish();
      m.evidence = r.evidence;
      m.language = r.language;
      m.evidence_source = "ranges";
      if (has_crate && m.language != Language::rust && m.language != Language::mixed) {
        m.language = m.evidence.c_functions ? Language::mixed : Language::rust;
        m.evidence_source = "ranges,crate";
      }
    } else if (has_crate) {
      m.language = Language::rust;
      m.evidence_source = "crate";
    } else if (rep.have_kallsyms && !rep.kernel_has_rust) {
      m.language = Language::c;
      m.evidence_source = "no_rust_in_kernel";
    }
    rep.modules.push_back(std::move(m));
  }
  for (auto& [name, c] : crates) rep.crates.push_back(std::move(c));
  return rep;
}

BuiltinReport builtin_report(const BuiltinInputs& in) {
  return builtin_report(
      [&](const LineFn& line, std::string*) {
        for_each_line(in.kallsyms, line);
        return true;
      },
      in);
}

fs::path default_module_dir() {
  struct utsname u {};
  if (::uname(&u) != 0) return "/lib/modules";
  const fs::path lib = fs::path("/lib/modules") / u.release;
  std::error_code ec;
  if (fs::exists(lib / "modules.builtin", ec)) return lib;
  const fs::path usr = fs::path("/usr/lib/modules") / u.release;
  if (fs::exists(usr / "modules.builtin", ec)) return usr;
  return lib;
}

BuiltinReport read_builtin_report(const fs::path& procfs, const fs::path& moddir,
                                  std::string* error) {
  const fs::path dir = moddir.empty() ? default_module_dir() : moddir;
  BuiltinInputs in;
  std::array<std::string, 3> texts;
  std::vector<std::string> warnings;
  auto read_opt = [&](const char* name, size_t i, size_t limit) -> std::optional<std::string_view> {
    std::string err;
    std::error_code ec;
    if (!fs::exists(dir / name, ec)) {
      warnings.push_back(util::sanitize((dir / name).string()) + ": not found");
      return std::nullopt;
    }
    if (!read_text_file(dir / name, texts[i], &err, limit)) {
      warnings.push_back(err);
      return std::nullopt;
    }
    return std::string_view(texts[i]);
  };
  in.modules_builtin = read_opt("modules.builtin", 0, size_t{4} << 20);
  in.modinfo = read_opt("modules.builtin.modinfo", 1, size_t{16} << 20);
  std::error_code ec;
  // The ranges are optional (CONFIG_BUILTIN_MODULE_RANGES): not a warning.
  if (fs::exists(dir / "modules.builtin.ranges", ec))
    in.ranges = read_opt("modules.builtin.ranges", 2, size_t{16} << 20);
  // kallsyms (~12 MB on 7.2) is streamed, never held whole.
  const fs::path kallsyms = procfs / "kallsyms";
  std::string why;
  BuiltinReport rep = builtin_report(
      [&](const LineFn& line, std::string* err) { return for_each_file_line(kallsyms, line, err); },
      in, &why);
  if (!why.empty()) {
    if (error)
      *error = why +
               "\nHINT: lifetrace reads the kernel's symbols from /proc/kallsyms; check that "
               "procfs is mounted (--path.procfs)";
    return {};
  }
  rep.warnings.insert(rep.warnings.begin(), warnings.begin(), warnings.end());
  return rep;
}

nlohmann::json to_json(const BuiltinModule& m) {
  nlohmann::json j{{"builtin", true},
                   {"module", m.name},
                   {"language", std::string(to_string(m.language))},
                   {"evidence_source", m.evidence_source}};
  if (!m.file.empty()) j["file"] = m.file;
  if (!m.description.empty()) j["description"] = m.description;
  if (!m.license.empty()) j["license"] = m.license;
  if (m.evidence_source.rfind("ranges", 0) == 0) j.update(to_json(m.evidence));
  return j;
}

nlohmann::json to_json(const RustCrate& c) {
  nlohmann::json j{{"builtin", true},
                   {"crate", c.name},
                   {"language", "rust"},
                   {"symbols", c.symbols},
                   {"functions", c.functions}};
  j["text_bytes"] = c.text_bytes ? nlohmann::json(*c.text_bytes) : nlohmann::json(nullptr);
  if (!c.module.empty()) j["module"] = c.module;
  return j;
}

namespace {
std::array<size_t, 4> count_languages(const BuiltinReport& r) {
  std::array<size_t, 4> n{};
  for (const auto& m : r.modules) ++n[static_cast<size_t>(m.language)];
  return n;
}
}  // namespace

nlohmann::json summary_json(const BuiltinReport& r) {
  const auto n = count_languages(r);
  return nlohmann::json{{"builtin", true},
                        {"summary", true},
                        {"kernel_rust", r.kernel_has_rust},
                        {"rust_symbols", r.rust_symbols},
                        {"crates", r.crates.size()},
                        {"modules", r.modules.size()},
                        {"c", n[static_cast<size_t>(Language::c)]},
                        {"rust", n[static_cast<size_t>(Language::rust)]},
                        {"mixed", n[static_cast<size_t>(Language::mixed)]},
                        {"unknown", n[static_cast<size_t>(Language::unknown)]},
                        {"modules_builtin", r.have_modules_builtin},
                        {"modinfo", r.have_modinfo},
                        {"ranges", r.have_ranges},
                        {"addresses_visible", r.addresses_visible}};
}

int run_list_builtin(bool json, const fs::path& procfs, const fs::path& moddir, std::ostream& out,
                     std::ostream& err) {
  std::string error;
  BuiltinReport rep = read_builtin_report(procfs, moddir, &error);
  if (!error.empty()) {
    err << "lifetrace list --builtin: " << error << '\n';
    return 1;
  }
  for (const auto& w : rep.warnings) err << "lifetrace list --builtin: warning: " << w << '\n';
  std::string buf;
  if (json) {
    for (const auto& m : rep.modules) buf += to_json(m).dump() + '\n';
    for (const auto& c : rep.crates) buf += to_json(c).dump() + '\n';
    buf += summary_json(rep).dump() + '\n';
    out << buf;
    out.flush();
    return 0;
  }
  const auto n = count_languages(rep);
  auto pad = [](std::string s, size_t w) {
    if (s.size() < w) s.append(w - s.size(), ' ');
    return s;
  };
  size_t w = 6;
  for (const auto& m : rep.modules) w = std::max(w, m.name.size());
  for (const auto& c : rep.crates) w = std::max(w, c.name.size());
  w += 2;
  buf += pad("MODULE", w) + pad("LANGUAGE", 10) + pad("EVIDENCE", 20) + "FILE\n";
  for (const auto& m : rep.modules)
    buf += pad(m.name, w) + pad(std::string(to_string(m.language)), 10) +
           pad(m.evidence_source.empty() ? "-" : m.evidence_source, 20) +
           (m.file.empty() ? "-" : m.file) + '\n';
  if (!rep.crates.empty()) {
    buf += '\n' + pad("CRATE", w) + pad("SYMBOLS", 10) + pad("FUNCTIONS", 11) +
           pad("TEXT BYTES", 12) + "MODULE\n";
    for (const auto& c : rep.crates)
      buf += pad(c.name, w) + pad(std::to_string(c.symbols), 10) +
             pad(std::to_string(c.functions), 11) +
             pad(c.text_bytes ? std::to_string(*c.text_bytes) : "-", 12) +
             (c.module.empty() ? "-" : c.module) + '\n';
  }
  buf += std::to_string(rep.modules.size()) +
         " built-in modules: " + std::to_string(n[static_cast<size_t>(Language::c)]) + " c, " +
         std::to_string(n[static_cast<size_t>(Language::rust)]) + " rust, " +
         std::to_string(n[static_cast<size_t>(Language::mixed)]) + " mixed, " +
         std::to_string(n[static_cast<size_t>(Language::unknown)]) + " unknown" +
         (rep.have_ranges ? "" : " (no modules.builtin.ranges: code of C modules not located)") +
         '\n';
  if (rep.kernel_has_rust)
    buf += "Rust in the kernel image (CONFIG_RUST): " + std::to_string(rep.rust_symbols) +
           " v0 symbols in " + std::to_string(rep.crates.size()) + " crates\n";
  else
    buf += "No Rust in the kernel image (no v0-mangled symbol in kallsyms: CONFIG_RUST is off)\n";
  out << buf;
  out.flush();
  return 0;
}

}  // namespace lifetrace::classify
