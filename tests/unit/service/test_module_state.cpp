// The daemon's saved module set and the changes found at start (service/module_state.h).
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "service/module_state.h"

using namespace lifetrace;
using classify::Language;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "lt-state-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("the state file round-trips and refuses what it did not write", "[state]") {
  ModuleSet set{{"dummy", {4242, Language::c}}, {"qt2025", {17, Language::rust}}};
  const std::string text = serialize_module_state(set);
  CHECK(text == "lifetrace-modules 1\ndummy 4242 c\nqt2025 17 rust\n");
  std::string error;
  auto back = parse_module_state(text, &error);
  REQUIRE(back);
  CHECK(*back == set);
  for (const char* bad :
       {"", "modules\n", "lifetrace-modules 1\ndummy\n", "lifetrace-modules 1\ndummy x c\n",
        "lifetrace-modules 1\ndummy 1 cobol\n", "lifetrace-modules 1\ndummy 1 c extra\n"}) {
    CAPTURE(bad);
    error.clear();
    CHECK_FALSE(parse_module_state(bad, &error));
    CHECK_FALSE(error.empty());
  }
  CHECK(parse_module_state("lifetrace-modules 1\n", &error)->empty());
}

TEST_CASE("changes while down: loaded and unloaded and reloaded and nothing else", "[state]") {
  const ModuleSet saved{{"dummy", {10, Language::c}},
                        {"veth", {11, Language::c}},
                        {"qt2025", {12, Language::rust}},
                        {"hidden", {0, Language::c}}};
  const ModuleSet now{{"dummy", {10, Language::c}},      // unchanged
                      {"qt2025", {99, Language::rust}},  // removed and loaded again
                      {"hidden", {50, Language::c}},     // inode unknown before: same
                      {"bridge", {13, Language::c}}};    // new
  const auto changes = changes_while_down(saved, now);
  REQUIRE(changes.size() == 3);
  CHECK(changes[0].module == "veth");
  CHECK(changes[0].change == "unloaded");
  CHECK(changes[0].language == Language::c);
  CHECK(changes[1].module == "bridge");
  CHECK(changes[1].change == "loaded");
  CHECK(changes[2].module == "qt2025");
  CHECK(changes[2].change == "reloaded");
  CHECK(changes[2].language == Language::rust);
  CHECK(changes_while_down(now, now).empty());
}

TEST_CASE("the state file is written atomically and only when the set changed", "[state]") {
  TempDir dir;
  ModuleStateFile file(dir.path / "modules.state");
  std::string error;
  CHECK_FALSE(file.load(&error));  // first start: no file, no error
  CHECK(error.empty());
  const ModuleSet set{{"dummy", {1, Language::c}}};
  REQUIRE(file.save(set, &error));
  CHECK_FALSE(fs::exists(dir.path / "modules.state.tmp"));
  auto loaded = file.load(&error);
  REQUIRE(loaded);
  CHECK(*loaded == set);
  // The same set again is not rewritten (the inode of the file stays).
  struct stat before {
  }, after{};
  REQUIRE(stat(file.path().c_str(), &before) == 0);
  REQUIRE(file.save(set, &error));
  REQUIRE(stat(file.path().c_str(), &after) == 0);
  CHECK(before.st_ino == after.st_ino);
  // A new set replaces the file by rename: a new inode, never a file half-written in place.
  REQUIRE(file.save({}, &error));
  REQUIRE(stat(file.path().c_str(), &after) == 0);
  CHECK(before.st_ino != after.st_ino);
  CHECK(file.load(&error)->empty());
  // Garbage is reported, not taken for an empty set.
  std::ofstream(file.path()) << "garbage\n";
  CHECK_FALSE(file.load(&error));
  CHECK(error.find("not a lifetrace module state file") != std::string::npos);
  // A directory that does not exist: save says so.
  ModuleStateFile nowhere(dir.path / "missing" / "modules.state");
  CHECK_FALSE(nowhere.save(set, &error));
  CHECK(error.find("No such file or directory") != std::string::npos);
}

TEST_CASE("live modules from a fake /proc/modules with their sysfs inodes", "[state]") {
  TempDir dir;
  fs::create_directories(dir.path / "proc");
  std::ofstream(dir.path / "proc" / "modules") << "dummy 16384 0 - Live 0x0000000000000000\n"
                                                  "slow 16384 1 - Loading 0x0000000000000000\n"
                                                  "veth 36864 0 - Live 0x0000000000000000 (E)\n"
                                                  "gone 16384 0 - Unloading 0x0000000000000000\n";
  std::string error;
  auto names = live_module_names(dir.path / "proc", &error);
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"dummy", "veth"});
  CHECK_FALSE(live_module_names(dir.path / "nothing", &error));
  CHECK(error.find("cannot read") != std::string::npos);

  fs::create_directories(dir.path / "sys" / "module" / "dummy");
  struct stat st {};
  REQUIRE(stat((dir.path / "sys" / "module" / "dummy").c_str(), &st) == 0);
  CHECK(module_sysfs_ino(dir.path / "sys", "dummy") == st.st_ino);
  CHECK(module_sysfs_ino(dir.path / "sys", "veth") == 0);
}
