// Hostile inputs: attacker-chosen bytes in names (sanitized where they are
// read, so JSON and terminal output stay valid and inert) and files that
// would hang, exhaust memory or end a walk (each is one clear per-file error,
// bounded in memory and time, and the run goes on).
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "classify/budget.h"
#include "classify/cli.h"
#include "classify/decompress.h"
#include "classify/elf_module.h"
#include "classify/inventory.h"
#include "classify/kallsyms.h"
#include "util/text.h"

using namespace lifetrace::classify;
namespace fs = std::filesystem;

namespace {
const std::string kElf = LT_ELF_DIR;

// The bytes gen_elf.sh put into hostile_mod.ko, as sanitize() shows them.
const std::string kAliasShown = "lt_init_\\xFF\\x1B[2J\\x0A\\x09\\xC2";
const std::string kRustShown =
    "_RNvCs1a2b3c4d5e6_11hostile_mod5probe.llvm.\\xFF\\xFE\\x1B]0;\\x07\\\\";

// A fresh directory that every user may enter (tests drop privileges).
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "lt-hostile-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
    fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
  }
  ~TempDir() {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(path, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// Output a terminal, a journal and a JSON parser can take: printable ASCII
// lines (every non-ASCII byte of these inputs is invalid, so it is escaped).
bool inert(const std::string& s) {
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if ((b < 0x20 && b != '\n') || b >= 0x7F) return false;
  }
  return true;
}

std::vector<nlohmann::json> ndjson(const std::string& s) {
  std::vector<nlohmann::json> v;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) v.push_back(nlohmann::json::parse(line));
  return v;
}

// Runs fn() as an unprivileged user and returns what it returned: directly
// when not root, else in a child that dropped to nobody (65534). Returns
// false in `ran` if privileges cannot be dropped here.
std::string unprivileged(const std::function<std::string()>& fn, bool& ran) {
  ran = true;
  if (::geteuid() != 0) return fn();
  int p[2];
  REQUIRE(::pipe(p) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(p[0]);
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(77);
    const std::string r = fn();
    size_t off = 0;
    while (off < r.size()) {
      ssize_t n = ::write(p[1], r.data() + off, r.size() - off);
      if (n <= 0) ::_exit(1);
      off += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  ::close(p[1]);
  std::string r;
  char buf[4096];
  for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) r.append(buf, static_cast<size_t>(n));
  ::close(p[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77) ran = false;
  return r;
}

template <typename F>
double seconds(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

// --- names ------------------------------------------------------------------

TEST_CASE("hostile: bytes in symbol and module names are sanitized, classification is not",
          "[hostile][sanitize]") {
  auto file = GENERATE(as<std::string>{}, "hostile_mod.ko", "hostile_mod.ko.xz");
  CAPTURE(file);
  ModuleFile mf = classify_file(kElf + "/hostile/" + file);
  REQUIRE(mf.error == "");
  // The name in .modinfo and struct module is not a module name: the file's is used.
  CHECK(mf.module == "hostile_mod");
  CHECK(mf.result.language == Language::mixed);
  const Evidence& e = mf.result.evidence;
  CHECK(e.rust_v0 == 1);  // the vendor suffix does not hide the Rust symbol
  CHECK(e.c_functions == 1);
  CHECK(e.init_symbol == kAliasShown);
  REQUIRE(e.examples.size() == 1);
  CHECK(e.examples[0] == kRustShown);
  const std::string dumped = to_json(mf).dump();  // would throw on invalid UTF-8
  CHECK(inert(dumped));
}

TEST_CASE("hostile: a Rust init_module alias with a bad suffix still counts as Rust",
          "[hostile][sanitize]") {
  Classifier c;
  c.add(Symbol{"lt_helper", SymKind::func, true});
  c.set_init_symbol("_RNvCs1a2b3c4d5e6_3foo4init.llvm.\xFF\x1B");
  Result r = c.finish();
  CHECK(r.language == Language::mixed);  // init is Rust, lt_helper is C
  CHECK(r.evidence.init_symbol == "_RNvCs1a2b3c4d5e6_3foo4init.llvm.\\xFF\\x1B");
}

TEST_CASE("hostile: classify --json and the table with 0xFF and controls in a path",
          "[hostile][sanitize][cli]") {
  TempDir t;
  const std::string raw = t / "evil\xFF\x1B[31m\n.ko";
  fs::copy_file(kElf + "/hostile/hostile_mod.ko", raw);
  const std::string shown = lifetrace::util::sanitize(raw);
  CHECK(shown == t.path.string() + "/evil\\xFF\\x1B[31m\\x0A.ko");

  std::ostringstream out, err;
  CHECK(run_classify({raw}, true, out, err) == 0);
  CHECK(err.str() == "");
  CHECK(inert(out.str()));
  auto v = ndjson(out.str());
  REQUIRE(v.size() == 1);
  CHECK(v[0]["file"] == shown);
  CHECK(v[0]["module"] == "evil\\xFF\\x1B[31m\\x0A");
  CHECK(v[0]["init_symbol"] == kAliasShown);
  CHECK(v[0]["examples"][0] == kRustShown);

  std::ostringstream hout, herr;
  CHECK(run_classify({t.path.string()}, false, hout, herr) == 0);
  CHECK(inert(hout.str()));
  CHECK(hout.str().find(shown) != std::string::npos);

  // The error path too: a broken file with the same name.
  std::ofstream(raw, std::ios::trunc) << "garbage";
  std::ostringstream eout, eerr;
  CHECK(run_classify({raw}, true, eout, eerr) == 1);
  CHECK(inert(eout.str()));
  CHECK(inert(eerr.str()));
  CHECK(ndjson(eout.str())[0]["file"] == shown);
  CHECK(eerr.str() == "lifetrace classify: " + shown + ": not an ELF file\n");

  // And a path that does not exist.
  std::ostringstream mout, merr;
  CHECK(run_classify({t / "gone\x1B.ko"}, true, mout, merr) == 2);
  CHECK(inert(merr.str()));
}

TEST_CASE("hostile: kallsyms module and symbol names are sanitized",
          "[hostile][sanitize][kallsyms]") {
  const std::string text =
      "ffffffffc0001000 t _RNvCs1a2b3c4d5e6_3bad5probe.\xFF\x1B[2J\t[bad\xFF\x1B]\n"
      "ffffffffc0001010 t bad_c_func\t[bad\xFF\x1B]\n"
      "ffffffffc0002000 t ok_func\t[ok]\n";
  auto m = classify_kallsyms(text);
  REQUIRE(m.size() == 2);
  REQUIRE(m.count("bad\\xFF\\x1B") == 1);
  const Result& r = m.at("bad\\xFF\\x1B");
  CHECK(r.language == Language::mixed);
  REQUIRE(r.evidence.examples.size() == 1);
  CHECK(r.evidence.examples[0] == "_RNvCs1a2b3c4d5e6_3bad5probe.\\xFF\\x1B[2J");
}

TEST_CASE("hostile: /proc/modules fields are sanitized", "[hostile][sanitize][procfs]") {
  ModuleInfo m;
  REQUIRE(
      parse_proc_modules_line("evil\xFF\x1B 16384 1 a\x07"
                              "b,[permanent], Live\xC2\x9B 0x0 (OE)",
                              m));
  CHECK(m.name == "evil\\xFF\\x1B");
  CHECK(m.holders == std::vector<std::string>{"a\\x07b"});
  CHECK(m.permanent);
  CHECK(m.state == "Live\\xC2\\x9B");
  CHECK(m.taints == "OE");
}

TEST_CASE("hostile: lifetrace list --json with hostile /proc and /sys",
          "[hostile][sanitize][procfs]") {
  TempDir t;
  fs::create_directories(t.path / "proc");
  fs::create_directories(t.path / "sys/module/bad\xFF/holders/h\xFF\x1B");
  std::ofstream(t / "proc/modules") << "bad\xFF 16384 - - Live 0x0\n"
                                       "gone\x1B 4096 0 - \xFF 0x0\n";
  std::ofstream(t / "proc/kallsyms")
      << "ffffffffc0001000 t _RNvCs1a2b3c4d5e6_3bad5probe.\xFF\t[bad\xFF]\n";
  std::ofstream(t / "sys/module/bad\xFF/srcversion") << "ABC\x1B]0;pwned\x07\n";
  std::ofstream(t / "sys/module/bad\xFF/initstate") << "weird\xFF\n";
  std::ostringstream out, err;
  CHECK(run_list(true, t.path / "proc", t.path / "sys", out, err, t.path / "no-modules-dir") == 0);
  CHECK(inert(out.str()));
  auto v = ndjson(out.str());
  REQUIRE(v.size() == 2);
  CHECK(v[0]["name"] == "bad\\xFF");
  CHECK(v[0]["srcversion"] == "ABC\\x1B]0;pwned\\x07");
  CHECK(v[0]["holders"] == nlohmann::json::array({"h\\xFF\\x1B"}));
  CHECK(v[0]["language"] == "rust");
  CHECK(v[0]["examples"][0] == "_RNvCs1a2b3c4d5e6_3bad5probe.\\xFF");
  CHECK(v[1]["name"] == "gone\\x1B");
  CHECK(v[1]["state"] == "\\xFF");
  std::ostringstream hout, herr;
  CHECK(run_list(false, t.path / "proc", t.path / "sys", hout, herr) == 0);
  CHECK(inert(hout.str()));
}

// --- files that would hang, exhaust memory or end the walk -------------------

TEST_CASE("hostile: a FIFO is refused at once, not waited on", "[hostile][files]") {
  TempDir t;
  REQUIRE(::mkfifo((t / "fifo.ko").c_str(), 0644) == 0);
  ModuleFile mf;
  CHECK(seconds([&] { mf = classify_file(t / "fifo.ko"); }) < 5);
  CHECK(mf.error == "not a regular file (a FIFO)");
  // In a walk: reported, and the other files are classified.
  fs::copy_file(kElf + "/good/c_mod.ko", t / "c_mod.ko");
  std::ostringstream out, err;
  CHECK(run_classify({t.path.string()}, true, out, err) == 1);
  auto v = ndjson(out.str());
  REQUIRE(v.size() == 2);
  CHECK(v[0]["language"] == "c");
  CHECK(v[1]["error"] == "not a regular file (a FIFO)");
  // A FIFO where /proc/kallsyms should be: a warning, not a hang.
  fs::create_directories(t.path / "proc");
  std::ofstream(t / "proc/modules") << "m 4096 0 - Live 0x0\n";
  REQUIRE(::mkfifo((t / "proc/kallsyms").c_str(), 0644) == 0);
  std::ostringstream lout, lerr;
  CHECK(seconds([&] {
          CHECK(run_list(true, t.path / "proc", t.path / "sys", lout, lerr,
                         t.path / "no-modules-dir") == 0);
        }) < 5);
  CHECK(lerr.str() == "lifetrace list: warning: cannot read kallsyms: " + (t / "proc/kallsyms") +
                          ": not a regular file\n");
}

TEST_CASE("hostile: a 4 GiB sparse file is refused before anything is allocated",
          "[hostile][files]") {
  TempDir t;
  {
    int fd = ::open((t / "sparse.ko").c_str(), O_WRONLY | O_CREAT, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, off_t{4} << 30) == 0);
    ::close(fd);
  }
  MemoryBudget budget(size_t{8} << 20);
  ModuleFile mf;
  CHECK(seconds([&] { mf = classify_file(t / "sparse.ko", budget); }) < 5);
  CHECK(mf.error == "file too large (4096 MiB; the limit is 256 MiB)");
  CHECK(budget.peak() == 0);
  // A sparse /proc/kallsyms stand-in: refused at the text-file limit.
  std::string text, error;
  CHECK_FALSE(read_text_file(t / "sparse.ko", text, &error));
  CHECK(error == t / "sparse.ko" + ": larger than 64 MiB");
  CHECK(text.capacity() < (size_t{80} << 20));
}

TEST_CASE("hostile: decompression bombs stop at the per-file limit", "[hostile][bombs]") {
  auto file = GENERATE(as<std::string>{}, "bomb.ko.xz", "bomb.ko.zst", "bomb.ko.gz");
  CAPTURE(file);
  std::ifstream in(kElf + "/bombs/" + file, std::ios::binary);
  const std::vector<char> bomb{std::istreambuf_iterator<char>(in),
                               std::istreambuf_iterator<char>()};
  REQUIRE(bomb.size() < (size_t{2} << 20));
  DecompressLimits limits;
  limits.max_output = size_t{8} << 20;
  size_t most = 0;
  limits.reserve = [&](size_t total) {
    most = std::max(most, total);
    return true;
  };
  std::vector<char> out;
  CHECK(decompress(bomb, detect_compression(bomb), out, limits) ==
        "decompressed size exceeds 8 MiB");
  CHECK(out.capacity() <= limits.max_output + 1);
  CHECK(most < (size_t{24} << 20));  // output (two copies while growing) + decoder state
  // A budget that refuses: the decompression stops with kOverBudget.
  limits.max_output = kMaxDecompressedSize;
  limits.reserve = [](size_t total) { return total <= (size_t{4} << 20); };
  std::vector<char> out2;
  CHECK(decompress(bomb, detect_compression(bomb), out2, limits) == kOverBudget);
}

TEST_CASE("hostile: bombs on many threads share one memory budget", "[hostile][bombs]") {
  // A 64 MiB budget: good modules fit, bombs are refused (after a retry
  // alone), and the budget is never exceeded.
  MemoryBudget budget(size_t{64} << 20);
  const std::vector<std::string> files = {
      kElf + "/bombs/bomb.ko.xz",      kElf + "/good/c_mod.ko",
      kElf + "/bombs/bomb.ko.zst",     kElf + "/good/rust_mod.ko.xz",
      kElf + "/bombs/bomb.ko.gz",      kElf + "/good/sub/mixed_mod.ko.zst",
      kElf + "/good/legacy_mod.ko.gz", kElf + "/bombs/bomb.ko.zst"};
  std::vector<ModuleFile> results(files.size());
  parallel_for(files.size(), 4, [&](size_t i) { results[i] = classify_file(files[i], budget); });
  for (size_t i = 0; i < files.size(); ++i) {
    CAPTURE(files[i]);
    if (files[i].find("/bombs/") != std::string::npos)
      CHECK(results[i].error == kOverBudget);
    else
      CHECK(results[i].error == "");
  }
  CHECK(budget.peak() <= budget.capacity());
  CHECK(budget.in_use() == 0);
}

TEST_CASE("hostile: a bomb under the default budget ends at 256 MiB", "[hostile][bombs]") {
  ModuleFile mf = classify_file(kElf + "/bombs/bomb.ko.zst");
  CHECK(mf.error == "decompressed size exceeds 256 MiB");
  CHECK(default_budget().in_use() == 0);
  CHECK(default_budget().peak() <= kMaxBudget);
}

TEST_CASE("hostile: a self-referencing symlink says so", "[hostile][files]") {
  TempDir t;
  fs::create_symlink("loop.ko", t.path / "loop.ko");
  CHECK(classify_file(t / "loop.ko").error == "too many levels of symbolic links");
  std::ostringstream out, err;
  CHECK(run_classify({t / "loop.ko"}, false, out, err) == 1);  // a bad file, not a usage error
  CHECK(err.str() ==
        "lifetrace classify: " + (t / "loop.ko") + ": too many levels of symbolic links\n");
  // In a walk: reported, the rest goes on.
  fs::copy_file(kElf + "/good/c_mod.ko", t / "c_mod.ko");
  std::vector<std::string> errors;
  auto files = collect_module_files({t.path.string()}, errors);
  CHECK(files == std::vector<fs::path>{t.path / "c_mod.ko"});
  CHECK(errors == std::vector<std::string>{t / "loop.ko" + ": too many levels of symbolic links"});
}

TEST_CASE("hostile: an unreadable file and an unreadable directory are reported, the walk goes on",
          "[hostile][files]") {
  TempDir t;
  for (const char* d : {"a", "locked", "z"}) fs::create_directories(t.path / "tree" / d);
  fs::copy_file(kElf + "/good/c_mod.ko", t / "tree/a/c_mod.ko");
  fs::copy_file(kElf + "/good/c_mod.ko", t / "tree/locked/hidden.ko");
  fs::copy_file(kElf + "/good/sub/data_mod.ko", t / "tree/z/data_mod.ko");
  fs::copy_file(kElf + "/good/c_mod.ko", t / "tree/z/secret.ko");
  fs::permissions(t.path / "tree/locked", fs::perms::none);
  fs::permissions(t.path / "tree/z/secret.ko", fs::perms::none);
  bool ran = false;
  const std::string got = unprivileged(
      [&] {
        std::ostringstream out, err;
        const int rc = run_classify({t / "tree"}, true, out, err);
        return std::to_string(rc) + "\n" + out.str() + "--\n" + err.str();
      },
      ran);
  if (!ran) {
    WARN("SKIPPED: cannot drop privileges to nobody here, permissions are not enforced for root");
    return;
  }
  std::istringstream in(got);
  std::string rc;
  std::getline(in, rc);
  CHECK(rc == "1");
  std::vector<nlohmann::json> v;
  for (std::string line; std::getline(in, line) && line != "--";)
    v.push_back(nlohmann::json::parse(line));
  const std::string err{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  REQUIRE(v.size() == 4);
  CHECK(v[0] == nlohmann::json{{"file", t / "tree/locked"}, {"error", "permission denied"}});
  CHECK(v[1]["file"] == t / "tree/a/c_mod.ko");
  CHECK(v[1]["language"] == "c");
  CHECK(v[2]["file"] == t / "tree/z/data_mod.ko");
  CHECK(v[2]["language"] == "c");
  CHECK(v[3] == nlohmann::json{{"file", t / "tree/z/secret.ko"}, {"error", "permission denied"}});
  CHECK(err == "lifetrace classify: " + t / "tree/locked" + ": permission denied\n" +
                   "lifetrace classify: " + t / "tree/z/secret.ko" + ": permission denied\n");
}
