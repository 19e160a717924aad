// `lifetrace classify`: files, directories, table, NDJSON, errors, exit codes.
#include <catch2/catch.hpp>

#include <sstream>

#include <nlohmann/json.hpp>

#include "classify/cli.h"

using namespace lifetrace::classify;

namespace {
const std::string kElf = LT_ELF_DIR;

std::vector<nlohmann::json> ndjson(const std::string& s) {
  std::vector<nlohmann::json> v;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) v.push_back(nlohmann::json::parse(line));
  return v;
}
}  // namespace

TEST_CASE("classify: a directory tree, human output", "[cli]") {
  std::ostringstream out, err;
  CHECK(run_classify({kElf + "/good"}, false, out, err) == 0);
  CHECK(err.str() == "");
  const std::string s = out.str();
  // header, 5 modules (modules.order and c_mod.o are skipped), summary
  CHECK(std::count(s.begin(), s.end(), '\n') == 7);
  CHECK(s.rfind("MODULE", 0) == 0);
  for (const char* col :
       {"LANGUAGE", "RUST SYMBOLS", "RUST IMPORTS", "C FUNCTIONS", "RUSTC", "FILE"})
    CHECK(s.find(col) != std::string::npos);
  CHECK(s.find("5 modules: 2 c, 2 rust, 1 mixed, 0 unknown; 0 errors\n") != std::string::npos);
  CHECK(s.find("c_mod.o") == std::string::npos);
  CHECK(s.find("modules.order") == std::string::npos);
  // Columns line up: LANGUAGE starts at the same offset on every table line.
  std::istringstream in(s);
  std::string header;
  std::getline(in, header);
  const size_t col = header.find("LANGUAGE");
  for (std::string line; std::getline(in, line);) {
    if (line.find("modules:") != std::string::npos) break;
    CAPTURE(line);
    CHECK(line[col - 1] == ' ');
    CHECK(line[col] != ' ');
  }
}

TEST_CASE("classify: --json gives one object per file, sorted", "[cli]") {
  std::ostringstream out, err;
  CHECK(run_classify({kElf + "/good"}, true, out, err) == 0);
  auto v = ndjson(out.str());
  REQUIRE(v.size() == 5);
  CHECK(v[0]["file"] == kElf + "/good/c_mod.ko");
  CHECK(v[0]["module"] == "c_mod");
  CHECK(v[0]["language"] == "c");
  for (const auto& j : v) {
    for (const char* k : {"file", "module", "language", "symbols", "rust_v0", "rust_legacy",
                          "rust_undefined", "c_functions", "rustc_comment", "examples",
                          "init_symbol", "sha256", "rustc_version", "intree", "signature"})
      CHECK(j.contains(k));
  }
}

TEST_CASE("classify: bad files are reported, the rest continue, exit 1", "[cli]") {
  std::ostringstream out, err;
  ClassifyOptions o;
  o.json = true;
  o.jobs = 3;
  CHECK(run_classify({kElf + "/formats", kElf + "/bad/notelf.ko", kElf + "/bad/truncated.ko.xz"}, o,
                     out, err) == 1);
  auto v = ndjson(out.str());
  REQUIRE(v.size() == 7);
  CHECK(v[5]["file"] == kElf + "/bad/notelf.ko");
  CHECK(v[5]["error"] == "not an ELF file");
  CHECK(v[6]["error"] == "truncated xz stream");
  CHECK(err.str() == "lifetrace classify: " + kElf + "/bad/notelf.ko: not an ELF file\n" +
                         "lifetrace classify: " + kElf +
                         "/bad/truncated.ko.xz: truncated xz stream\n");

  std::ostringstream hout, herr;
  CHECK(run_classify({kElf + "/bad"}, false, hout, herr) == 1);
  CHECK(hout.str() == "0 modules: 0 c, 0 rust, 0 mixed, 0 unknown; 10 errors\n");
  const std::string errors = herr.str();
  CHECK(std::count(errors.begin(), errors.end(), '\n') == 10);
}

TEST_CASE("classify: usage errors exit 2", "[cli]") {
  std::ostringstream out, err;
  CHECK(run_classify({}, false, out, err) == 2);
  CHECK(err.str().find("no module files or directories given") != std::string::npos);
  std::ostringstream out2, err2;
  CHECK(run_classify({kElf + "/good", "/nonexistent/path"}, false, out2, err2) == 2);
  CHECK(out2.str() == "");
  CHECK(err2.str() == "lifetrace classify: /nonexistent/path: no such file or directory\n");
}

TEST_CASE("classify: jobs do not change the result", "[cli]") {
  std::vector<std::string> errors;
  auto files = collect_module_files({kElf + "/good", kElf + "/formats", kElf + "/bad"}, errors);
  CHECK(errors.empty());
  REQUIRE(files.size() == 20);
  auto one = classify_files(files, 1);
  auto four = classify_files(files, 4);
  for (size_t i = 0; i < files.size(); ++i) {
    CAPTURE(files[i]);
    CHECK(one[i].error == four[i].error);
    CHECK(one[i].module == four[i].module);
    CHECK(one[i].result.language == four[i].result.language);
    CHECK(one[i].result.evidence.rust_v0 == four[i].result.evidence.rust_v0);
  }
}
