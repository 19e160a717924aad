// ELF module files: symbols, names, .comment, compression, errors.
// The files are generated at build time by elf/gen_elf.sh (see CMakeLists.txt).
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>

#include <elf.h>
#include <unistd.h>
#include <cstddef>

#include <nlohmann/json.hpp>

#include "classify/cli.h"
#include "classify/decompress.h"
#include "classify/elf_module.h"

using namespace lifetrace::classify;

namespace {
const std::string kElf = LT_ELF_DIR;

std::vector<char> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
}  // namespace

TEST_CASE("every container of the same module gives the same answer", "[elf]") {
  auto file = GENERATE(as<std::string>{}, "rust_mod.ko", "rust_mod.ko.xz", "rust_mod.ko.zst",
                       "rust_mod_nosize.ko.zst", "rust_mod.ko.gz");
  CAPTURE(file);
  ModuleFile mf = classify_file(kElf + "/formats/" + file);
  REQUIRE(mf.error == "");
  CHECK(mf.module == "rust_mod");
  CHECK(mf.result.language == Language::rust);
  const Evidence& e = mf.result.evidence;
  CHECK(e.c_functions == 0);
  CHECK(e.rust_v0 == 3);         // two functions and THIS_MODULE
  CHECK(e.rust_undefined == 2);  // the kernel crate imports
  CHECK(e.rustc_comment);
  CHECK(e.init_symbol == "init_module");
  CHECK(e.examples.size() == 3);
}

TEST_CASE("one module per language", "[elf]") {
  auto [file, module, language, init] =
      GENERATE(table<std::string, std::string, Language, std::string>({
          {"good/c_mod.ko", "c_mod", Language::c, "c_mod_init"},
          {"good/rust_mod.ko.xz", "rust_mod", Language::rust, "init_module"},
          {"good/sub/mixed_mod.ko.zst", "mixed_mod", Language::mixed, "mixed_init"},
          {"good/legacy_mod.ko.gz", "legacy_mod", Language::rust, "init_module"},
          {"good/sub/data_mod.ko", "data_mod", Language::c, ""},
      }));
  CAPTURE(file);
  ModuleFile mf = classify_file(kElf + "/" + file);
  REQUIRE(mf.error == "");
  CHECK(mf.module == module);
  CHECK(to_string(mf.result.language) == to_string(language));
  CHECK(mf.result.evidence.init_symbol == init);
}

TEST_CASE("C functions named _R... stay C", "[elf]") {
  ModuleFile mf = classify_file(kElf + "/good/c_mod.ko");
  REQUIRE(mf.ok());
  // _Reset_counter, _RX_handler, _RNvoid_poke, c_mod_work, c_mod_init, c_mod_exit
  CHECK(mf.result.evidence.c_functions == 6);
  CHECK(mf.result.evidence.rust_v0 == 0);
  CHECK_FALSE(mf.result.evidence.rustc_comment);
}

TEST_CASE("scan_elf reports defined and undefined symbols with kinds", "[elf]") {
  std::vector<char> image = slurp(kElf + "/formats/rust_mod.ko");
  REQUIRE(!image.empty());
  std::map<std::string, Symbol> seen;
  std::map<std::string, std::string> names;
  ElfModuleInfo info;
  std::string err = scan_elf(
      image, [&](const Symbol& s) { seen[std::string(s.name)] = s; }, info);
  REQUIRE(err == "");
  CHECK(info.module_name == "rust_mod");
  CHECK(info.rustc_comment);
  CHECK(info.symtab_entries > 0);
  auto kind = [&](const std::string& n) { return seen.at(n).kind; };
  CHECK(kind("init_module") == SymKind::func);
  CHECK(seen.at("init_module").defined);
  CHECK(kind("_RNvCs1a2b3c4d5e6_8rust_mod11THIS_MODULE") == SymKind::object);
  CHECK(kind("__this_module") == SymKind::object);
  CHECK_FALSE(seen.at("_RNvNtCsdJ13ReMSUMg_6kernel5print11call_printk").defined);
  CHECK(seen.count("__pfx_init_module") == 1);
}

TEST_CASE("module name falls back to .modinfo, then to the file name", "[elf]") {
  CHECK(module_name_from_path("/lib/modules/x/kernel/ax88796b-rust.ko.xz") == "ax88796b_rust");
  CHECK(module_name_from_path("drm.ko") == "drm");
  CHECK(module_name_from_path("qt2025.ko.zst") == "qt2025");
  CHECK(module_name_from_path("a.ko.gz") == "a");
  CHECK(is_module_file_name("x.ko"));
  CHECK(is_module_file_name("x.ko.xz"));
  CHECK(is_module_file_name("x.ko.zst"));
  CHECK(is_module_file_name("x.ko.gz"));
  CHECK_FALSE(is_module_file_name("x.o"));
  CHECK_FALSE(is_module_file_name("x.ko.bz2"));
  CHECK_FALSE(is_module_file_name("modules.order"));
}

TEST_CASE("malformed files give a clear message, never an exception", "[elf]") {
  auto [file, message] = GENERATE(table<std::string, std::string>({
      {"bad/notelf.ko", "not an ELF file"},
      {"bad/empty.ko", "not an ELF file"},
      {"bad/truncated.ko", "truncated ELF file (section headers past the end of the file)"},
      {"bad/truncated.ko.xz", "truncated xz stream"},
      {"bad/truncated.ko.zst", "truncated zstd stream"},
      {"bad/truncated.ko.gz", "truncated gzip stream"},
      {"bad/corrupt.ko.xz", "corrupt xz data"},
      {"bad/corrupt.ko.gz", "corrupt gzip data"},
      {"bad/notxz.ko.xz", "not an xz stream"},
      {"bad/nosymtab.ko", "no .symtab (stripped file?)"},
      {"bad/does-not-exist.ko", "no such file or directory"},
      {"bad", "is a directory"},
  }));
  CAPTURE(file);
  ModuleFile mf;
  REQUIRE_NOTHROW(mf = classify_file(kElf + "/" + file));
  CHECK_FALSE(mf.ok());
  CHECK(mf.error == message);
  nlohmann::json j = to_json(mf);
  CHECK(j["file"] == kElf + "/" + file);
  CHECK(j["error"] == message);
  CHECK_FALSE(j.contains("language"));
}

TEST_CASE("an unreadable file says permission denied", "[elf]") {
  if (geteuid() == 0) {
    WARN("running as root: permissions are not enforced, nothing to check");
    return;
  }
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("lt-unreadable-" + std::to_string(getpid()) + ".ko"))
                               .string();
  std::filesystem::copy_file(kElf + "/good/c_mod.ko", path,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::permissions(path, std::filesystem::perms::none);
  ModuleFile mf = classify_file(path);
  std::filesystem::remove(path);
  CHECK(mf.error == "permission denied");
}

TEST_CASE("decompression detects formats by magic", "[elf]") {
  std::vector<char> xz = slurp(kElf + "/formats/rust_mod.ko.xz");
  std::vector<char> zst = slurp(kElf + "/formats/rust_mod.ko.zst");
  std::vector<char> gz = slurp(kElf + "/formats/rust_mod.ko.gz");
  std::vector<char> plain = slurp(kElf + "/formats/rust_mod.ko");
  CHECK(detect_compression(xz) == Compression::xz);
  CHECK(detect_compression(zst) == Compression::zstd);
  CHECK(detect_compression(gz) == Compression::gzip);
  CHECK(detect_compression(plain) == Compression::none);
  CHECK(compression_from_name("a.ko.zst") == Compression::zstd);
  std::vector<char> out;
  for (auto* in : {&xz, &zst, &gz}) {
    REQUIRE(decompress(*in, detect_compression(*in), out) == "");
    CHECK(out == plain);
  }
  // The output buffer is reused: a smaller second result is exact too.
  std::vector<char> tiny_gz = slurp(kElf + "/good/legacy_mod.ko.gz");
  REQUIRE(decompress(tiny_gz, Compression::gzip, out) == "");
  CHECK(out == slurp(kElf + "/obj/legacy_mod.ko"));
  // A truncated gzip ends in garbage where the size trailer should be: that
  // must not turn into a multi-GB preallocation.
  std::vector<char> cut = slurp(kElf + "/bad/truncated.ko.gz");
  std::vector<char> fresh;
  CHECK(decompress(cut, Compression::gzip, fresh) == "truncated gzip stream");
  CHECK(fresh.capacity() < (size_t{64} << 20));
  CHECK(decompress(plain, Compression::xz, out) == "not an xz stream");
  CHECK(decompress(plain, Compression::zstd, out) == "not a zstd stream");
  CHECK(decompress(plain, Compression::gzip, out) == "not a gzip stream");
}

TEST_CASE("scan_elf survives corrupted images", "[elf]") {
  const std::vector<char> orig = slurp(kElf + "/formats/rust_mod.ko");
  REQUIRE(orig.size() > sizeof(Elf64_Ehdr));
  auto scan = [](std::vector<char> img) {
    ElfModuleInfo info;
    Classifier c;
    std::string e = scan_elf(
        img, [&](const Symbol& s) { c.add(s); }, info);
    if (e.empty()) (void)c.finish();
    return e;
  };
  {
    std::vector<char> img = orig;
    img[offsetof(Elf64_Ehdr, e_shentsize)] = 0;
    img[offsetof(Elf64_Ehdr, e_shentsize) + 1] = 0;
    CHECK(scan(img) == "malformed ELF header (zero section header size)");
  }
  {
    std::vector<char> img(orig.begin(), orig.begin() + 40);
    CHECK(scan(img) == "truncated ELF file (incomplete ELF header)");
  }
  // Deterministic mini-fuzz: random bytes in the header and the section table.
  uint32_t state = 12345;
  auto rnd = [&] { return state = state * 1664525u + 1013904223u; };
  for (int i = 0; i < 2000; ++i) {
    std::vector<char> img = orig;
    for (int k = 0, n = 1 + static_cast<int>(rnd() % 6); k < n; ++k) {
      size_t p =
          rnd() % 2 ? rnd() % 64 : img.size() - 1 - rnd() % std::min<size_t>(img.size(), 2048);
      img[p] = static_cast<char>(rnd());
    }
    if (rnd() % 5 == 0) img.resize(rnd() % img.size());
    CAPTURE(i);
    REQUIRE_NOTHROW(scan(img));
  }
}
