#include "classify/provenance.h"

#include <cstring>
#include <memory>

#include <libkmod.h>
#include <nettle/sha2.h>

#include <nlohmann/json.hpp>

#include "util/text.h"

namespace lifetrace::classify {
namespace {

constexpr std::string_view kSigMarker = "~Module signature appended~\n";

// Keeps kmod quiet: its default logger writes to stderr.
void no_log(void*, int, const char*, int, const char*, const char*, va_list) {}

struct KmodCtx {
  kmod_ctx* ctx = nullptr;
  explicit KmodCtx(const char* dir = nullptr) {
    ctx = kmod_new(dir, nullptr);
    if (ctx) kmod_set_log_fn(ctx, no_log, nullptr);
  }
  ~KmodCtx() {
    if (ctx) kmod_unref(ctx);
  }
  KmodCtx(const KmodCtx&) = delete;
  KmodCtx& operator=(const KmodCtx&) = delete;
};

struct ModuleRef {
  kmod_module* mod = nullptr;
  ~ModuleRef() {
    if (mod) kmod_module_unref(mod);
  }
};

struct InfoList {
  kmod_list* list = nullptr;
  ~InfoList() {
    if (list) kmod_module_info_free_list(list);
  }
};

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

void read_signature(const std::filesystem::path& file, Provenance& p) {
  if (!p.signature) return;
  KmodCtx k;
  if (!k.ctx) {
    p.signature_error = "libkmod could not be initialised";
    return;
  }
  ModuleRef m;
  if (kmod_module_new_from_path(k.ctx, file.c_str(), &m.mod) < 0 || !m.mod) {
    p.signature_error = "libkmod could not open the file";
    return;
  }
  InfoList info;
  if (kmod_module_get_info(m.mod, &info.list) < 0) {
    p.signature_error = "libkmod could not read the module's information";
    return;
  }
  kmod_list* it = nullptr;
  kmod_list_foreach(it, info.list) {
    const char* key = kmod_module_info_get_key(it);
    const char* value = kmod_module_info_get_value(it);
    if (!key || !value) continue;
    std::string_view k2(key);
    std::string v = util::sanitize(std::string_view(value).substr(0, 512));
    if (k2 == "sig_id")
      p.sig_id = std::move(v);
    else if (k2 == "signer")
      p.signer = std::move(v);
    else if (k2 == "sig_key")
      p.sig_key = std::move(v);
    else if (k2 == "sig_hashalgo")
      p.sig_hashalgo = std::move(v);
  }
  if (p.sig_id.empty() && p.signer.empty())
    p.signature_error = "libkmod found no signature details (built without OpenSSL?)";
}

std::optional<std::filesystem::path> module_file_for(const std::string& name,
                                                     const std::filesystem::path& moddir) {
  KmodCtx k(moddir.empty() ? nullptr : moddir.c_str());
  if (!k.ctx) return std::nullopt;
  ModuleRef m;
  if (kmod_module_new_from_name(k.ctx, name.c_str(), &m.mod) < 0 || !m.mod) return std::nullopt;
  const char* path = kmod_module_get_path(m.mod);
  if (!path || !*path) return std::nullopt;
  return std::filesystem::path(path);
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
