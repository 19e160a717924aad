// /proc/kallsyms, /proc/modules and /sys/module from a fake tree under data/.
// `lifetrace list` output is compared with golden files in data/expected/
// (LT_UPDATE_GOLDEN=1 rewrites them).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

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

TEST_CASE("lines of a text and of a file, streamed through a bounded buffer", "[kallsyms]") {
  // Texts that cross the 64 KiB buffer, with lines at and over the length
  // limit, CR LF endings, empty lines and no final newline: the file reader
  // must hand over exactly the lines the text reader does.
  const std::string at_limit(kMaxLineBytes, 'a');
  const std::string over(kMaxLineBytes + 1, 'b');
  const std::string huge(200'000, 'c');  // longer than the buffer itself
  std::string many;                      // ~580 KB: many refills, lines cut at every boundary
  for (int i = 0; i < 20000; ++i) many += "ffffffff8100" + std::to_string(1000 + i) + " t sym\n";
  auto [name, text] = GENERATE_COPY(table<std::string, std::string>({
      {"empty", ""},
      {"one line, no newline", "ffffffff81000000 T _text"},
      {"empty lines", "\n\n\n"},
      {"CR LF", "a\r\nb\r\n\r\nc\r"},
      {"at the limit", at_limit + "\n" + at_limit + "\r\nx\n"},
      {"over the limit", over + "\n" + over + "\r\ny\n" + over},
      {"longer than the buffer", "first\n" + huge + "\nlast\n" + huge},
      {"many lines", many},
  }));
  CAPTURE(name);
  std::vector<std::string> from_text, from_file;
  for_each_line(text, [&](std::string_view l) { from_text.emplace_back(l); });
  const std::string path = "/tmp/lt-lines-" + std::to_string(::getpid());
  std::ofstream(path, std::ios::binary) << text;
  std::string error;
  REQUIRE(for_each_file_line(
      path, [&](std::string_view l) { from_file.emplace_back(l); }, &error));
  CHECK(error.empty());
  CHECK(from_file == from_text);
  for (const auto& l : from_text) {
    CHECK(l.size() <= kMaxLineBytes);
    CHECK((l.empty() || l.back() != '\r'));
  }
  if (name == "over the limit") CHECK(from_text == std::vector<std::string>{"", "", "y", ""});
  if (name == "at the limit") CHECK(from_text == std::vector<std::string>{at_limit, at_limit, "x"});
  if (name == "CR LF") CHECK(from_text == std::vector<std::string>{"a", "b", "", "c"});

  // Over the size limit: refused, whether the size is known up front or not.
  auto nothing = [](std::string_view) {};
  if (text.size() > 1) {
    CHECK_FALSE(for_each_file_line(path, nothing, &error, 1));
    CHECK(error == path + ": larger than 0 MiB");
  }
  std::remove(path.c_str());
  CHECK_FALSE(for_each_file_line(path, nothing, &error));
  CHECK(error.find("No such file") != std::string::npos);
}

TEST_CASE("a size-0 /proc file is streamed to its end", "[kallsyms]") {
  // /proc/self/status says size 0: every line is read all the same.
  std::string whole, error;
  REQUIRE(read_text_file("/proc/self/status", whole, &error));
  size_t n = 0;
  bool name_line = false;
  REQUIRE(for_each_file_line(
      "/proc/self/status",
      [&](std::string_view l) {
        ++n;
        name_line |= l.rfind("Name:", 0) == 0;
      },
      &error));
  CHECK(name_line);
  CHECK(n == static_cast<size_t>(std::count(whole.begin(), whole.end(), '\n')));
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
