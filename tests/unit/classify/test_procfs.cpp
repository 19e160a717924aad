// /proc/kallsyms, /proc/modules and /sys/module from a fake tree under data/.
// `lifetrace list` output is compared with golden files in data/expected/
// (LT_UPDATE_GOLDEN=1 rewrites them).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "classify/cli.h"
#include "classify/inventory.h"
#include "classify/kallsyms.h"

using namespace lifetrace::classify;

namespace {
const std::string kData = LT_DATA_DIR;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void check_golden(const std::string& name, const std::string& actual) {
  const std::string path = kData + "/expected/" + name;
  if (const char* u = std::getenv("LT_UPDATE_GOLDEN"); u && *u == '1') {
    std::ofstream(path, std::ios::binary) << actual;
    WARN("rewrote " << path);
  }
  CAPTURE(path);
  CHECK(actual == slurp(path));
}
}  // namespace

TEST_CASE("kallsyms lines", "[kallsyms]") {
  KallsymsEntry e;
  REQUIRE(parse_kallsyms_line("ffffffffc0a01000 t qt2025_probe\t[qt2025]", e));
  CHECK(e.address == 0xffffffffc0a01000ULL);
  CHECK(e.type == 't');
  CHECK(e.name == "qt2025_probe");
  CHECK(e.module == "qt2025");
  REQUIRE(parse_kallsyms_line("0000000000000000 T _text", e));
  CHECK(e.name == "_text");
  CHECK(e.module.empty());
  CHECK_FALSE(parse_kallsyms_line("", e));
  CHECK_FALSE(parse_kallsyms_line("garbage", e));
  CHECK_FALSE(parse_kallsyms_line("zzzz T name", e));
  CHECK_FALSE(parse_kallsyms_line("0000 T ", e));
  CHECK_FALSE(parse_kallsyms_line("0000 T name\t[unterminated", e));
}

TEST_CASE("kallsyms grouped per module in one pass", "[kallsyms]") {
  std::string error;
  auto m = classify_kallsyms_file(kData + "/proc/kallsyms", &error);
  REQUIRE(error == "");
  CHECK(m.size() == 7);  // five modules, [bpf] and [__builtin__ftrace]
  CHECK(m.at("qt2025").language == Language::rust);
  CHECK(m.at("qt2025").evidence.rust_v0 == 3);
  CHECK(m.at("qt2025").evidence.c_functions == 0);
  CHECK(m.at("drm").language == Language::mixed);
  CHECK(m.at("drm_kms_helper").language == Language::c);
  CHECK(m.at("nf_conntrack_h323").language ==
        Language::c);  // _RegistrationRequest_decode, _RX_handler
  CHECK(m.at("nf_tables").language == Language::c);
  CHECK(m.at("nf_tables").evidence.c_functions == 1);  // __cfi_ duplicate not counted
  CHECK(m.count("vmlinux") == 0);

  auto none = classify_kallsyms_file(kData + "/nope/kallsyms", &error);
  CHECK(none.empty());
  CHECK(error.find("No such file") != std::string::npos);
}

TEST_CASE("/proc/modules lines", "[inventory]") {
  ModuleInfo m;
  REQUIRE(
      parse_proc_modules_line("drm 774144 3 drm_kms_helper,i915, Live 0xffffffffc0a00000 (OE)", m));
  CHECK(m.name == "drm");
  CHECK(m.size_bytes == 774144);
  CHECK(m.refcount == 3);
  CHECK(m.holders == std::vector<std::string>{"drm_kms_helper", "i915"});
  CHECK(m.state == "Live");
  CHECK(m.address == 0xffffffffc0a00000ULL);
  CHECK(m.taints == "OE");
  REQUIRE(parse_proc_modules_line("ghost 8192 - - Live 0x0000000000000000", m));
  CHECK(m.refcount == -1);
  CHECK(m.holders.empty());
  CHECK(m.taints.empty());
  REQUIRE(parse_proc_modules_line("x 1 1 [permanent], Loading 0x0 (O+)", m));
  CHECK(m.permanent);
  CHECK(m.holders.empty());
  CHECK(m.taints == "O");
  CHECK_FALSE(parse_proc_modules_line("short line", m));
  CHECK_FALSE(parse_proc_modules_line("x notanumber 1 - Live 0x0", m));
}

TEST_CASE("inventory merges /proc/modules, /sys/module and kallsyms", "[inventory]") {
  std::string error, warning;
  auto mods = inventory(kData + "/proc", kData + "/sys", &error, &warning);
  REQUIRE(error == "");
  CHECK(warning == "");
  REQUIRE(mods.size() == 6);
  CHECK(mods[0].name == "qt2025");
  CHECK(mods[0].language == Language::rust);
  CHECK(mods[0].taints == "OE");
  CHECK(mods[0].srcversion == "6D8FD4A62B0A0C4C0B5E5E1");
  CHECK(mods[2].name == "drm");
  CHECK(mods[2].language == Language::mixed);
  CHECK(mods[3].name == "nf_conntrack_h323");
  CHECK(mods[3].state == "Loading");
  CHECK(mods[4].permanent);
  CHECK(mods[5].name == "ghost");
  CHECK(mods[5].refcount == 2);                                // from /sys/module/ghost/refcnt
  CHECK(mods[5].holders == std::vector<std::string>{"vfat"});  // from /sys/module/ghost/holders/
  CHECK(mods[5].language == Language::unknown);                // not in kallsyms
}

TEST_CASE("list: golden output", "[inventory][cli]") {
  std::ostringstream out, err;
  CHECK(run_list(false, kData + "/proc", kData + "/sys", out, err) == 0);
  CHECK(err.str() == "");
  check_golden("list.txt", out.str());

  std::ostringstream jout, jerr;
  CHECK(run_list(true, kData + "/proc", kData + "/sys", jout, jerr, kData + "/no-modules-dir") ==
        0);
  check_golden("list.ndjson", jout.str());
}

TEST_CASE("list: a kernel without loadable modules", "[inventory][cli]") {
  std::ostringstream out, err;
  CHECK(run_list(false, kData + "/proc-nomodules", kData + "/sys", out, err) == 1);
  CHECK(out.str() == "");
  CHECK(err.str() == "lifetrace list: this kernel has no loadable module support (" + kData +
                         "/proc-nomodules/modules does not exist)\n");
  std::string error;
  CHECK(inventory(kData + "/proc-nomodules", kData + "/sys", &error).empty());
  CHECK(error.find("no loadable module support") != std::string::npos);
}

TEST_CASE("list: missing kallsyms leaves languages unknown with a warning", "[inventory][cli]") {
  // data/proc-nokallsyms has a modules file but no kallsyms.
  std::ostringstream out, err;
  CHECK(run_list(false, kData + "/proc-nokallsyms", kData + "/sys", out, err) == 0);
  CHECK(err.str().find("warning: cannot read kallsyms") != std::string::npos);
  CHECK(out.str().find("unknown") != std::string::npos);
}

TEST_CASE("inventory: no module loaded, kallsyms is not read", "[inventory]") {
  // data/proc-empty has an empty modules file and no kallsyms: reading it would warn.
  std::string error, warning;
  CHECK(inventory(kData + "/proc-empty", kData + "/sys", &error, &warning).empty());
  CHECK(error.empty());
  CHECK(warning.empty());
}
