// Accuracy check of the classifier over a whole module tree.
//
//   lifetrace_classify_corpus [--label NAME] [--expect LANG=mod,mod]...
//                             [--default LANG] [--json] PATH...
//
// Every module found under PATH must have the expected language: the ones
// named with --expect have that language, every other module has --default
// (c unless told). Prints per-language counts, then every mismatch and every
// unreadable file; exits 1 if there was any, 0 otherwise, 2 on usage errors.
// --json instead prints one NDJSON line per module (for calibration).
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "classify/cli.h"

using namespace lifetrace::classify;

namespace {

int usage(const std::string& why) {
  std::cerr << "lifetrace_classify_corpus: " << why
            << "\nusage: lifetrace_classify_corpus [--label NAME] [--expect LANG=mod,mod]... "
               "[--default LANG] [--json] PATH...\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string label = "corpus";
  std::map<std::string, Language> expected;
  Language fallback = Language::c;
  bool json = false;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) return {};
      return argv[++i];
    };
    if (a == "--label") {
      label = value();
    } else if (a == "--expect") {
      std::string v = value();
      auto eq = v.find('=');
      Language l;
      if (eq == std::string::npos || !parse_language(v.substr(0, eq), l))
        return usage("bad --expect '" + v + "'");
      std::string list = v.substr(eq + 1);
      size_t p = 0;
      while (p <= list.size()) {
        size_t c = list.find(',', p);
        if (c == std::string::npos) c = list.size();
        if (c > p) expected[list.substr(p, c - p)] = l;
        p = c + 1;
      }
    } else if (a == "--default") {
      if (!parse_language(value(), fallback)) return usage("bad --default");
    } else if (a == "--json") {
      json = true;
    } else if (a.rfind("--", 0) == 0) {
      return usage("unknown option " + a);
    } else {
      paths.push_back(a);
    }
  }
  if (paths.empty()) return usage("no paths");

  std::vector<std::string> walk_errors;
  const auto files = collect_module_files(paths, walk_errors);
  const auto results = classify_files(files);

  if (json) {
    for (const auto& r : results) std::cout << to_json(r).dump() << '\n';
    return walk_errors.empty() ? 0 : 1;
  }

  std::map<Language, size_t> counts;
  std::vector<std::string> problems = walk_errors;
  std::set<std::string> seen;
  for (const auto& r : results) {
    if (!r.ok()) {
      problems.push_back(r.path + ": " + r.error);
      continue;
    }
    ++counts[r.result.language];
    seen.insert(r.module);
    auto it = expected.find(r.module);
    const Language want = it == expected.end() ? fallback : it->second;
    if (r.result.language != want) {
      const Evidence& e = r.result.evidence;
      problems.push_back(r.module + " (" + r.path + "): expected " + std::string(to_string(want)) +
                         ", got " + std::string(to_string(r.result.language)) + " [c_functions=" +
                         std::to_string(e.c_functions) + " rust_v0=" + std::to_string(e.rust_v0) +
                         " rust_undefined=" + std::to_string(e.rust_undefined) +
                         " rustc_comment=" + (e.rustc_comment ? "yes" : "no") + "]");
    }
  }
  std::cout << label << ": " << results.size() << " files:";
  for (Language l : {Language::c, Language::rust, Language::mixed, Language::unknown})
    std::cout << ' ' << counts[l] << ' ' << to_string(l);
  std::cout << '\n';
  for (Language l : {Language::rust, Language::mixed, Language::unknown}) {
    std::string names;
    for (const auto& r : results)
      if (r.ok() && r.result.language == l) names += (names.empty() ? "" : ", ") + r.module;
    if (!names.empty()) std::cout << "  " << to_string(l) << ": " << names << '\n';
  }
  for (const auto& [name, lang] : expected) {
    (void)lang;
    if (!seen.count(name)) problems.push_back(name + ": expected module not found");
  }
  for (const auto& p : problems) std::cout << "  MISMATCH " << p << '\n';
  std::cout << label << ": " << (problems.empty() ? "OK" : "FAILED") << " (" << problems.size()
            << " problem" << (problems.size() == 1 ? "" : "s") << ")\n";
  return problems.empty() ? 0 : 1;
}
