// Provenance of a module file: rustc version, in-tree, appended signature, SHA-256.
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <sstream>

#include <nlohmann/json.hpp>

#include "classify/elf_module.h"
#include "classify/provenance.h"
#include "util/text.h"

using namespace lifetrace::classify;

namespace {
const std::string kElf = LT_ELF_DIR;

// sha256sum(1), an implementation independent of lifetrace's.
std::string coreutils_sha256(const std::string& path) {
  std::string cmd = "sha256sum '" + path + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  char buf[65] = {};
  const size_t n = std::fread(buf, 1, 64, p);
  ::pclose(p);
  return std::string(buf, n);
}
}  // namespace

TEST_CASE("rustc version from .comment", "[provenance]") {
  const std::string both(
      "GCC: (Debian 12.2.0-14) 12.2.0\0rustc version 1.85.0 (4d91de4e4 2025-02-17)\0", 75);
  CHECK(rustc_version_from_comment(both) == "1.85.0");
  CHECK(rustc_version_from_comment(std::string("rustc version 1.97.1\0", 21)) == "1.97.1");
  CHECK(rustc_version_from_comment("GCC: (Debian 12.2.0-14) 12.2.0").empty());
  // Hostile: control bytes are escaped, the word is bounded.
  CHECK(rustc_version_from_comment("rustc version 1\x1b[2J") == "1\\x1B[2J");
  CHECK(rustc_version_from_comment("rustc version " + std::string(500, '9')).size() == 64);
}

TEST_CASE("intree from .modinfo", "[provenance]") {
  CHECK(intree_from_modinfo(std::string("license=GPL\0intree=Y\0name=qt2025\0", 33)));
  CHECK_FALSE(intree_from_modinfo(std::string("license=GPL\0name=lt_slow\0", 25)));
  CHECK_FALSE(intree_from_modinfo(std::string("xintree=Y\0intree=N\0", 19)));
}

TEST_CASE("the appended signature marker", "[provenance]") {
  const std::string signed_tail = std::string(100, 'x') + "~Module signature appended~\n";
  CHECK(has_appended_signature(std::span<const char>(signed_tail.data(), signed_tail.size())));
  const std::string cut = signed_tail.substr(0, signed_tail.size() - 1);
  CHECK_FALSE(has_appended_signature(std::span<const char>(cut.data(), cut.size())));
  CHECK_FALSE(has_appended_signature({}));
}

TEST_CASE("SHA-256 of known input", "[provenance]") {
  const std::string abc = "abc";
  CHECK(sha256_hex(std::span<const char>(abc.data(), abc.size())) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex({}) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("classify --json carries the file's provenance", "[provenance]") {
  for (const std::string f :
       {"/formats/rust_mod.ko", "/formats/rust_mod.ko.xz", "/good/c_mod.ko"}) {
    const std::string path = kElf + f;
    CAPTURE(path);
    ModuleFile mf = classify_file(path);
    REQUIRE(mf.ok());
    CHECK(mf.provenance.sha256 == coreutils_sha256(path));  // of the file on disk, compressed
    const bool rust = f.find("rust") != std::string::npos;
    CHECK(mf.provenance.rustc_version == (rust ? "1.85.0" : ""));
    CHECK(mf.provenance.intree == false);  // the stub's .modinfo has no intree=Y
    CHECK_FALSE(mf.provenance.signature);
    const auto j = to_json(mf);
    CHECK(j["sha256"] == mf.provenance.sha256);
    CHECK(j["signature"] == false);
    CHECK(j["intree"] == false);
    if (rust)
      CHECK(j["rustc_version"] == "1.85.0");
    else
      CHECK(j["rustc_version"].is_null());
  }
}

TEST_CASE("a signed file: marker found, the details read or a reason given", "[provenance]") {
  const std::string path = kElf + "/signed/rust_mod.ko";
  ModuleFile mf = classify_file(path);
  REQUIRE(mf.ok());
  CHECK(mf.provenance.signature);
  // The test signature is not a real PKCS#7 blob: the result is either details or a reason,
  // never silence, and every string is sanitized.
  CHECK((!mf.provenance.signer.empty() || !mf.provenance.signature_error.empty()));
  for (const auto* s : {&mf.provenance.sig_id, &mf.provenance.signer, &mf.provenance.sig_key,
                        &mf.provenance.sig_hashalgo, &mf.provenance.signature_error})
    CHECK(lifetrace::util::is_sanitized(*s));
  CHECK(to_json(mf)["signature"] == true);
}

namespace {
std::string run(const std::string& cmd) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  REQUIRE(p);
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  INFO(cmd << "\n" << out);
  REQUIRE(::pclose(p) == 0);
  return out;
}
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
// The kernel's trailer: algo, hash, id_type, signer_len, key_id_len, 3 pad, be32 sig_len,
// then the marker.
std::string trailer(std::uint8_t hash, std::uint8_t id_type, std::uint8_t signer_len,
                    std::uint8_t key_id_len, std::uint32_t sig_len) {
  std::string t = {0,
                   static_cast<char>(hash),
                   static_cast<char>(id_type),
                   static_cast<char>(signer_len),
                   static_cast<char>(key_id_len),
                   0,
                   0,
                   0};
  for (int shift : {24, 16, 8, 0}) t += static_cast<char>((sig_len >> shift) & 0xff);
  return t + "~Module signature appended~\n";
}
Provenance signature_of(const std::string& image) {
  Provenance p;
  read_signature(std::span<const char>(image.data(), image.size()), p);
  return p;
}
}  // namespace

// As the kernel's scripts/sign-file signs a module (CMS, detached, binary, no certificates,
// no signed attributes), with openssl(1): an implementation independent of GnuTLS, which
// lifetrace reads it with. What libkmod and modinfo report: the issuer's CN, the serial
// number as colon-separated hex, the digest.
TEST_CASE("a PKCS#7 module signature: signer, key id and hash algorithm", "[provenance]") {
  char dir_template[] = "/tmp/lifetrace-sig.XXXXXX";
  REQUIRE(::mkdtemp(dir_template));
  const std::string dir = dir_template;
  const std::string body = slurp(kElf + "/signed/rust_mod.ko").substr(0, 4096);
  std::ofstream(dir + "/mod.bin", std::ios::binary) << body;
  run("openssl req -new -x509 -newkey rsa:2048 -nodes -days 1 -set_serial 0x00c0ffee01 "
      "-subj '/CN=lifetrace test signing key/O=lifetrace' -keyout " +
      dir + "/key.pem -out " + dir + "/cert.pem");
  run("openssl cms -sign -in " + dir + "/mod.bin -signer " + dir + "/cert.pem -inkey " + dir +
      "/key.pem -binary -noattr -nocerts -nosmimecap -md sha256 -outform DER -out " + dir +
      "/sig.der");
  const std::string sig = slurp(dir + "/sig.der");
  REQUIRE(sig.size() > 100);
  run("rm -r " + dir);
  Provenance p =
      signature_of(body + sig + trailer(0, 2, 0, 0, static_cast<std::uint32_t>(sig.size())));
  INFO(p.signature_error);
  CHECK(p.signature);
  CHECK(p.signature_error.empty());
  CHECK(p.sig_id == "PKCS#7");
  CHECK(p.signer == "lifetrace test signing key");
  CHECK(p.sig_key == "C0:FF:EE:01");  // the serial's leading zero byte dropped
  CHECK(p.sig_hashalgo == "sha256");
}

TEST_CASE("a pre-4.3 X509 signature: signer and key id from the trailer", "[provenance]") {
  const std::string signer = "Old Kernel Key", key = "\x12\xab";
  const std::string data = "RSA-SIGNATURE-BYTES";
  Provenance p = signature_of("ELF..." + signer + key + data +
                              trailer(4, 1, static_cast<std::uint8_t>(signer.size()), 2,
                                      static_cast<std::uint32_t>(data.size())));
  CHECK(p.sig_id == "X509");
  CHECK(p.signer == signer);
  CHECK(p.sig_key == "12:AB");
  CHECK(p.sig_hashalgo == "sha256");
}

TEST_CASE("a malformed signature gives a reason, never a crash or a wrong signer", "[provenance]") {
  SECTION("sig_len beyond the file") {
    auto p = signature_of("xx" + trailer(4, 2, 0, 0, 1000));
    CHECK(p.signature);
    CHECK(p.signature_error == "the signature is longer than the file");
    CHECK(p.signer.empty());
  }
  SECTION("signer and key id beyond the file") {
    auto p = signature_of("abcd" + trailer(4, 1, 200, 200, 2));
    CHECK(p.signature_error == "the signature is longer than the file");
  }
  SECTION("not PKCS#7 at all") {
    auto p = signature_of("module" + std::string("garbage") + trailer(4, 2, 0, 0, 7));
    CHECK(p.sig_id == "PKCS#7");
    CHECK_THAT(p.signature_error, Catch::StartsWith("the PKCS#7 signature does not parse"));
  }
  SECTION("the marker alone") {
    auto p = signature_of("~Module signature appended~\n");
    CHECK(p.signature);
    CHECK(p.signature_error == "the signature trailer is cut short");
  }
  SECTION("an unknown type") {
    auto p = signature_of("data" + trailer(4, 9, 0, 0, 4));
    CHECK(p.signature_error == "unknown signature type 9");
  }
  SECTION("no marker: unsigned, nothing else set") {
    auto p = signature_of("just a module");
    CHECK_FALSE(p.signature);
    CHECK(p.signature_error.empty());
  }
}

TEST_CASE("no modules.dep: no file for a module name", "[provenance]") {
  CHECK_FALSE(module_file_for("dummy", "/nonexistent/lifetrace-test").has_value());
}

TEST_CASE("a module's name from its path in modules.dep", "[provenance]") {
  CHECK(module_name_of_path("kernel/drivers/net/dummy.ko") == "dummy");
  CHECK(module_name_of_path("kernel/sound/pci/hda/snd-hda-intel.ko.xz") == "snd_hda_intel");
  CHECK(module_name_of_path("kernel/fs/ext4/ext4.ko.zst") == "ext4");
  CHECK(module_name_of_path("/abs/updates/x-y.ko.gz") == "x_y");
  CHECK(module_name_of_path("a.ko.dir/z.ko") == "z");
  CHECK(module_name_of_path("kernel/lib/notamodule.kofoo") == "");
  CHECK(module_name_of_path("kernel/lib/two.ko.xz.bak") == "");
  CHECK(module_name_of_path(".ko") == "");
  CHECK(module_name_of_path("") == "");
}

TEST_CASE("modules.dep: every wanted file in one pass, '-' and '_' alike", "[provenance]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("lifetrace-moddep-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream dep(dir / "modules.dep");
    dep << "kernel/drivers/net/dummy.ko.xz:\n"
        << "kernel/sound/pci/hda/snd-hda-intel.ko.xz: kernel/sound/core/snd.ko.xz\n"
        << "garbage line without a colon\n"
        << ": a line with no path\n"
        << "/opt/extra/out_of_tree.ko:\n"
        << "kernel/sound/core/snd.ko.xz:\n";
  }
  const auto files = module_files_for({"dummy", "snd_hda_intel", "out-of-tree", "absent"}, dir);
  CHECK(files.size() == 3);
  CHECK(files.at("dummy") == dir / "kernel/drivers/net/dummy.ko.xz");
  CHECK(files.at("snd_hda_intel") == dir / "kernel/sound/pci/hda/snd-hda-intel.ko.xz");
  CHECK(files.at("out-of-tree") == "/opt/extra/out_of_tree.ko");
  CHECK_FALSE(files.count("absent"));
  // A dependency named after the colon is not a module's own line.
  CHECK(module_file_for("snd", dir) == dir / "kernel/sound/core/snd.ko.xz");
  CHECK_FALSE(module_file_for("bogus", dir).has_value());
  CHECK_FALSE(module_file_for("", dir).has_value());
  std::filesystem::remove_all(dir);
}
