#include "classify/cli.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <ostream>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "classify/inventory.h"
#include "classify/provenance.h"
#include "util/text.h"

namespace lifetrace::classify {
namespace fs = std::filesystem;
namespace {

// Left-aligned columns separated by two spaces; the last column is not padded.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string render() const {
    std::vector<size_t> width;
    for (const auto& r : rows_) {
      if (width.size() < r.size()) width.resize(r.size(), 0);
      for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
    }
    std::string s;
    for (const auto& r : rows_) {
      for (size_t i = 0; i < r.size(); ++i) {
        s += r[i];
        if (i + 1 < r.size()) s.append(width[i] - r[i].size() + 2, ' ');
      }
      s += '\n';
    }
    return s;
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string lower_first(std::string s) {
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

unsigned default_jobs(unsigned jobs) {
  if (jobs) return jobs;
  unsigned n = std::thread::hardware_concurrency();
  return n ? n : 1;
}

}  // namespace

void parallel_for(size_t n, unsigned jobs, const std::function<void(size_t)>& fn) {
  unsigned threads = static_cast<unsigned>(std::min<size_t>(default_jobs(jobs), n));
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(i);
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

namespace {

std::string walk_error(const fs::path& p, const std::error_code& ec) {
  return util::sanitize(p.string()) + ": " + lower_first(ec.message());
}

// Appends the module files under `dir` (not following symlinked
// directories). An unreadable directory is reported and skipped; the walk
// goes on with its siblings.
void walk(const fs::path& dir, std::vector<fs::path>& found, std::vector<std::string>& errors) {
  std::vector<fs::path> pending{dir};
  while (!pending.empty()) {
    const fs::path d = std::move(pending.back());
    pending.pop_back();
    std::error_code ec;
    fs::directory_iterator it(d, ec);
    if (ec) {
      errors.push_back(walk_error(d, ec));
      continue;
    }
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      const fs::path& p = it->path();
      std::error_code sec;
      const fs::file_status own = it->symlink_status(sec);
      if (!sec && fs::is_directory(own)) {
        pending.push_back(p);
        continue;
      }
      if (!is_module_file_name(p.filename().string())) continue;
      // A module file name: follow a symlink; report one that leads nowhere
      // (a loop, a dangling link) instead of skipping it silently. Anything
      // else but a directory is classified, which reports a FIFO or a device.
      const fs::file_status target = it->status(sec);
      if (sec) {
        errors.push_back(walk_error(p, sec));
      } else if (!fs::is_directory(target)) {
        found.push_back(p);
      }
    }
    if (ec) errors.push_back(walk_error(d, ec));
  }
}

}  // namespace

std::vector<fs::path> collect_module_files(const std::vector<std::string>& paths,
                                           std::vector<std::string>& errors) {
  std::vector<fs::path> files;
  for (const auto& p : paths) {
    std::error_code ec;
    fs::file_status st = fs::status(p, ec);
    if (!fs::is_directory(st)) {
      files.emplace_back(p);  // classify_file says what is wrong with it, if anything
      continue;
    }
    std::vector<fs::path> found;
    walk(p, found, errors);
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

std::vector<ModuleFile> classify_files(const std::vector<fs::path>& files, unsigned jobs) {
  std::vector<ModuleFile> results(files.size());
  parallel_for(files.size(), jobs, [&](size_t i) { results[i] = classify_file(files[i]); });
  return results;
}

int run_classify(const std::vector<std::string>& paths, bool json, std::ostream& out,
                 std::ostream& err) {
  ClassifyOptions o;
  o.json = json;
  return run_classify(paths, o, out, err);
}

int run_classify(const std::vector<std::string>& paths, const ClassifyOptions& options,
                 std::ostream& out, std::ostream& err) {
  if (paths.empty()) {
    err << "lifetrace classify: no module files or directories given\n"
           "usage: lifetrace classify [--json] PATH...\n";
    return 2;
  }
  bool missing = false;
  for (const auto& p : paths) {
    // Only a path that does not exist is a usage error; any other problem
    // (a symlink loop, no permission) is reported for that file below.
    std::error_code ec;
    [[maybe_unused]] const fs::file_status st = fs::symlink_status(p, ec);
    if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) {
      err << "lifetrace classify: " << util::sanitize(p) << ": no such file or directory\n";
      missing = true;
    }
  }
  if (missing) return 2;

  std::vector<std::string> walk_errors;
  const auto files = collect_module_files(paths, walk_errors);
  auto results = classify_files(files, options.jobs);

  std::string buf;
  std::array<size_t, 4> per_language{};
  size_t failed = walk_errors.size();
  for (const auto& e : walk_errors) {
    err << "lifetrace classify: " << e << '\n';
    if (options.json) {
      const size_t colon = e.rfind(": ");
      buf += nlohmann::json{{"file", e.substr(0, colon)}, {"error", e.substr(colon + 2)}}.dump() +
             '\n';
    }
  }
  Table table(
      {"MODULE", "LANGUAGE", "RUST SYMBOLS", "RUST IMPORTS", "C FUNCTIONS", "RUSTC", "FILE"});
  for (const auto& r : results) {
    if (!r.ok()) {
      ++failed;
      err << "lifetrace classify: " << r.path << ": " << r.error << '\n';
      if (options.json) buf += to_json(r).dump() + '\n';
      continue;
    }
    ++per_language[static_cast<size_t>(r.result.language)];
    const Evidence& e = r.result.evidence;
    if (options.json) {
      buf += to_json(r).dump() + '\n';
    } else {
      table.add({r.module, std::string(to_string(r.result.language)),
                 std::to_string(e.rust_v0 + e.rust_legacy), std::to_string(e.rust_undefined),
                 std::to_string(e.c_functions), e.rustc_comment ? "yes" : "no", r.path});
    }
  }
  if (!options.json) {
    if (results.size() > failed - walk_errors.size()) buf += table.render();
    const size_t ok = results.size() - (failed - walk_errors.size());
    buf += std::to_string(ok) + (ok == 1 ? " module: " : " modules: ") +
           std::to_string(per_language[static_cast<size_t>(Language::c)]) + " c, " +
           std::to_string(per_language[static_cast<size_t>(Language::rust)]) + " rust, " +
           std::to_string(per_language[static_cast<size_t>(Language::mixed)]) + " mixed, " +
           std::to_string(per_language[static_cast<size_t>(Language::unknown)]) + " unknown; " +
           std::to_string(failed) + (failed == 1 ? " error\n" : " errors\n");
  }
  out << buf;
  out.flush();
  return failed ? 1 : 0;
}

int run_list(bool json, const fs::path& procfs, const fs::path& sysfs, std::ostream& out,
             std::ostream& err, const fs::path& moddir) {
  std::string error;
  std::string warning;
  auto mods = inventory(procfs, sysfs, &error, &warning);
  if (!error.empty()) {
    err << "lifetrace list: " << error << '\n';
    return 1;
  }
  if (!warning.empty()) err << "lifetrace list: warning: " << warning << '\n';
  std::string buf;
  if (json) {
    // Provenance of each module's file (modules.dep): rustc, in-tree, signer, SHA-256.
    std::set<std::string> names;
    for (const auto& m : mods) names.insert(m.name);
    const auto files = module_files_for(std::move(names), moddir);
    parallel_for(mods.size(), 0, [&](size_t i) {
      const auto file = files.find(mods[i].name);
      if (file == files.end()) return;
      ModuleFile mf = classify_file(file->second);
      if (!mf.ok()) return;
      mods[i].file = util::sanitize(file->second.string());
      mods[i].provenance = std::move(mf.provenance);
    });
    for (const auto& m : mods) buf += to_json(m).dump() + '\n';
  } else {
    Table table({"Module", "Size", "Used by", "Language", "Taints", "State"});
    for (const auto& m : mods) {
      std::string used = m.refcount >= 0 ? std::to_string(m.refcount) : "-";
      std::string holders;
      for (const auto& h : m.holders) holders += (holders.empty() ? "" : ",") + h;
      if (m.permanent) holders += holders.empty() ? "[permanent]" : ",[permanent]";
      if (!holders.empty()) used += " " + holders;
      table.add({m.name, std::to_string(m.size_bytes), used, std::string(to_string(m.language)),
                 m.taints.empty() ? "-" : m.taints, m.state});
    }
    buf = table.render();
  }
  out << buf;
  out.flush();
  return 0;
}

}  // namespace lifetrace::classify
