#include "classify/provenance.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <type_traits>

#include <sys/utsname.h>

#include <gnutls/gnutls.h>
#include <gnutls/pkcs7.h>
#include <gnutls/x509.h>
#include <nettle/sha2.h>

#include <nlohmann/json.hpp>

#include "util/text.h"

namespace lifetrace::classify {
namespace {

constexpr std::string_view kSigMarker = "~Module signature appended~\n";

}  // namespace

std::string rustc_version_from_comment(std::string_view comment) {
  constexpr std::string_view kTag = "rustc version ";
  const size_t at = comment.find(kTag);
  if (at == std::string_view::npos) return {};
  std::string_view v = comment.substr(at + kTag.size());
  size_t end = 0;
  while (end < v.size() && end < 64 && v[end] != ' ' && v[end] != '\0') ++end;
  return util::sanitize(v.substr(0, end));
}

bool intree_from_modinfo(std::string_view modinfo) {
  for (size_t p = 0; p < modinfo.size();) {
    size_t end = modinfo.find('\0', p);
    if (end == std::string_view::npos) end = modinfo.size();
    if (modinfo.substr(p, end - p) == "intree=Y") return true;
    p = end + 1;
  }
  return false;
}

bool has_appended_signature(std::span<const char> image) {
  if (image.size() < kSigMarker.size()) return false;
  return std::memcmp(image.data() + image.size() - kSigMarker.size(), kSigMarker.data(),
                     kSigMarker.size()) == 0;
}

std::string sha256_hex(std::span<const char> bytes) {
  // Nettle, not OpenSSL's EVP: one hash needs no library state, and OpenSSL's first digest
  // initialises its providers, which kept 3.5 MB of libcrypto resident in a tracer that
  // otherwise needs about 10 (bench/README.md, "footprint").
  sha256_ctx ctx;
  sha256_init(&ctx);
  sha256_update(&ctx, bytes.size(), reinterpret_cast<const std::uint8_t*>(bytes.data()));
  std::uint8_t md[SHA256_DIGEST_SIZE];
  sha256_digest(&ctx, sizeof(md), md);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(sizeof(md) * 2);
  for (std::size_t i = 0; i < sizeof(md); ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

namespace {

// The kernel's struct module_signature (include/linux/module_signature.h), the 12 bytes
// before the marker; big-endian sig_len. The signature data, and for the old formats the
// signer's name and key id, come right before it.
struct SigTrailer {
  std::uint8_t algo, hash, id_type, signer_len, key_id_len, pad[3];
  std::uint8_t sig_len_be[4];
};
static_assert(sizeof(SigTrailer) == 12);
constexpr std::uint8_t kPkeyIdPgp = 0, kPkeyIdX509 = 1, kPkeyIdPkcs7 = 2;

// "6C:B6:..." as libkmod and modinfo print a key id.
std::string hex_id(std::span<const unsigned char> bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (auto b : bytes) {
    if (!out.empty()) out += ':';
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

// The signer (the issuer's common name, else its whole DN), the key id (the serial number,
// leading zero bytes dropped) and the hash algorithm of a PKCS#7 SignedData's first signer,
// through GnuTLS; false and `error` set when the blob is not one.
bool pkcs7_signer(std::span<const char> der, Provenance& p, std::string& error) {
  gnutls_pkcs7_t pkcs7 = nullptr;
  if (gnutls_pkcs7_init(&pkcs7) < 0) {
    error = "GnuTLS could not be initialised";
    return false;
  }
  const std::unique_ptr<std::remove_pointer_t<gnutls_pkcs7_t>, decltype(&gnutls_pkcs7_deinit)> own(
      pkcs7, &gnutls_pkcs7_deinit);
  const gnutls_datum_t blob{reinterpret_cast<unsigned char*>(const_cast<char*>(der.data())),
                            static_cast<unsigned>(der.size())};
  if (int err = gnutls_pkcs7_import(pkcs7, &blob, GNUTLS_X509_FMT_DER); err < 0) {
    error = std::string("the PKCS#7 signature does not parse: ") + gnutls_strerror(err);
    return false;
  }
  gnutls_pkcs7_signature_info_st info{};
  if (int err = gnutls_pkcs7_get_signature_info(pkcs7, 0, &info); err < 0) {
    error = std::string("the PKCS#7 signature has no signer: ") + gnutls_strerror(err);
    return false;
  }
  const std::unique_ptr<gnutls_pkcs7_signature_info_st,
                        decltype(&gnutls_pkcs7_signature_info_deinit)>
      own_info(&info, &gnutls_pkcs7_signature_info_deinit);
  char cn[256];
  size_t cn_len = sizeof(cn);
  if (gnutls_x509_rdn_get_by_oid(&info.issuer_dn, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &cn_len) ==
      0) {
    p.signer = util::sanitize(std::string_view(cn, std::min(cn_len, sizeof(cn))));
  } else {
    gnutls_datum_t dn{};
    if (gnutls_x509_rdn_get2(&info.issuer_dn, &dn, 0) == 0) {
      p.signer = util::sanitize(std::string_view(reinterpret_cast<char*>(dn.data), dn.size));
      gnutls_free(dn.data);
    }
  }
  std::span<const unsigned char> serial(info.signer_serial.data, info.signer_serial.size);
  while (serial.size() > 1 && serial.front() == 0) serial = serial.subspan(1);
  p.sig_key = hex_id(serial);
  if (const char* h = gnutls_digest_get_name(
          static_cast<gnutls_digest_algorithm_t>(gnutls_sign_get_hash_algorithm(info.algo)))) {
    for (const char* c = h; *c; ++c)
      p.sig_hashalgo += static_cast<char>(std::tolower(static_cast<unsigned char>(*c)));
    p.sig_hashalgo = util::sanitize(p.sig_hashalgo);
  }
  return true;
}

}  // namespace

void read_signature(std::span<const char> image, Provenance& p) {
  p.signature = has_appended_signature(image);
  if (!p.signature) return;
  const auto body = image.first(image.size() - kSigMarker.size());
  SigTrailer t{};
  if (body.size() < sizeof(t)) {
    p.signature_error = "the signature trailer is cut short";
    return;
  }
  std::memcpy(&t, body.data() + body.size() - sizeof(t), sizeof(t));
  const std::size_t sig_len = std::size_t{t.sig_len_be[0]} << 24 |
                              std::size_t{t.sig_len_be[1]} << 16 |
                              std::size_t{t.sig_len_be[2]} << 8 | t.sig_len_be[3];
  const std::size_t room = body.size() - sizeof(t);
  if (sig_len > room || std::size_t{t.signer_len} + t.key_id_len > room - sig_len) {
    p.signature_error = "the signature is longer than the file";
    return;
  }
  const auto sig = body.subspan(room - sig_len, sig_len);
  std::string error;
  switch (t.id_type) {
    case kPkeyIdPkcs7:
      p.sig_id = "PKCS#7";
      if (!pkcs7_signer(sig, p, error)) p.signature_error = error;
      return;
    case kPkeyIdPgp:
    case kPkeyIdX509: {
      // Before PKCS#7 (Linux < 4.3): the signer's name and the key id precede the data.
      static constexpr const char* kHash[] = {"md4",    "md5",    "sha1",   "rmd160", "sha256",
                                              "sha384", "sha512", "sha224", "sm3"};
      p.sig_id = t.id_type == kPkeyIdPgp ? "PGP" : "X509";
      const auto key = body.subspan(room - sig_len - t.key_id_len, t.key_id_len);
      const auto signer = body.subspan(room - sig_len - t.key_id_len - t.signer_len, t.signer_len);
      p.signer = util::sanitize(std::string_view(signer.data(), signer.size()));
      p.sig_key = hex_id({reinterpret_cast<const unsigned char*>(key.data()), key.size()});
      if (t.hash < std::size(kHash)) p.sig_hashalgo = kHash[t.hash];
      return;
    }
    default: p.signature_error = "unknown signature type " + std::to_string(t.id_type);
  }
}

namespace {

// The basename of a module's path without ".ko" and its compression suffix ("snd-hda-intel" for
// "kernel/.../snd-hda-intel.ko.xz"); empty when the path is not a module's.
std::string_view module_stem(std::string_view path) {
  std::string_view base = path.substr(path.find_last_of('/') + 1);  // npos + 1 == 0
  for (std::string_view ext : {".ko.xz", ".ko.zst", ".ko.gz", ".ko"}) {
    if (base.size() > ext.size() && base.substr(base.size() - ext.size()) == ext)
      return base.substr(0, base.size() - ext.size());
  }
  return {};
}

// `name` with '-' read as '_', into `out` (reused: no allocation per line of modules.dep).
void normalise_into(std::string_view name, std::string& out) {
  out.assign(name);
  std::replace(out.begin(), out.end(), '-', '_');
}

}  // namespace

std::string module_name_of_path(std::string_view path) {
  std::string name;
  normalise_into(module_stem(path), name);
  return name;
}

std::map<std::string, std::filesystem::path> module_files_for(std::set<std::string> names,
                                                              const std::filesystem::path& moddir) {
  std::map<std::string, std::filesystem::path> found;
  std::filesystem::path dir = moddir;
  if (dir.empty()) {
    utsname u{};
    if (uname(&u) != 0) return found;
    dir = std::filesystem::path("/lib/modules") / u.release;
  }
  // The kernel reports "snd_hda_intel" for snd-hda-intel.ko: compare with '-' as '_'.
  std::map<std::string, std::string, std::less<>> wanted;  // normalised -> as asked
  for (const auto& n : names) {
    std::string k;
    normalise_into(n, k);
    wanted.emplace(std::move(k), n);
  }
  // Read whole, then looked at as views: this runs for every `live` event, and a line at a
  // time through a stream with a string per name cost tens of ms of CPU under TCG on 7.2's 4 200
  // lines, beside the loads being timed.
  std::string text;
  {
    std::ifstream in(dir / "modules.dep", std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::string key;
  // One line per module that depmod chose (its search order already applied):
  // "kernel/drivers/net/dummy.ko.xz: dep.ko ...", the path relative to `dir`.
  for (size_t at = 0; at < text.size() && !wanted.empty();) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + at, end - at);
    at = end + 1;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    const std::string_view path = line.substr(0, colon);
    normalise_into(module_stem(path), key);
    auto it = wanted.find(key);
    if (it == wanted.end()) continue;
    found.emplace(it->second, path.front() == '/' ? std::filesystem::path(path) : dir / path);
    wanted.erase(it);
  }
  return found;
}

std::optional<std::filesystem::path> module_file_for(const std::string& name,
                                                     const std::filesystem::path& moddir) {
  auto found = module_files_for({name}, moddir);
  if (found.empty()) return std::nullopt;
  return std::move(found.begin()->second);
}

void add_provenance(nlohmann::json& j, const Provenance& p) {
  if (!p.sha256.empty()) j["sha256"] = p.sha256;
  j["rustc_version"] =
      p.rustc_version.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.rustc_version);
  if (p.intree) j["intree"] = *p.intree;
  j["signature"] = p.signature;
  if (!p.signature) return;
  if (!p.sig_id.empty()) j["sig_id"] = p.sig_id;
  if (!p.signer.empty()) j["signer"] = p.signer;
  if (!p.sig_key.empty()) j["sig_key"] = p.sig_key;
  if (!p.sig_hashalgo.empty()) j["sig_hashalgo"] = p.sig_hashalgo;
  if (!p.signature_error.empty()) j["signature_error"] = p.signature_error;
}

}  // namespace lifetrace::classify
