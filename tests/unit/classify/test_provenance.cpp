// Provenance of a module file: rustc version, in-tree, appended signature, SHA-256.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
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

TEST_CASE("a signed file: marker found, libkmod asked for the details", "[provenance]") {
  const std::string path = kElf + "/signed/rust_mod.ko";
  ModuleFile mf = classify_file(path);
  REQUIRE(mf.ok());
  CHECK(mf.provenance.signature);
  read_signature(path, mf.provenance);
  // The test signature is not a real PKCS#7 blob: whatever libkmod makes of it, the result is
  // either details or a reason, never silence, and every string is sanitized.
  CHECK((!mf.provenance.sig_id.empty() || !mf.provenance.signature_error.empty()));
  for (const auto* s : {&mf.provenance.sig_id, &mf.provenance.signer, &mf.provenance.sig_key,
                        &mf.provenance.sig_hashalgo})
    CHECK(lifetrace::util::is_sanitized(*s));
  CHECK(to_json(mf)["signature"] == true);
}

TEST_CASE("no modules.dep: no file for a module name", "[provenance]") {
  CHECK_FALSE(module_file_for("dummy", "/nonexistent/lifetrace-test").has_value());
}
