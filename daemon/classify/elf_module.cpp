#include "classify/elf_module.h"

#include <bit>
#include <cerrno>
#include <cstring>
#include <mutex>

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "classify/budget.h"
#include "classify/decompress.h"
#include "util/text.h"

namespace lifetrace::classify {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

void init_libelf() {
  static std::once_flag once;
  std::call_once(once, [] { elf_version(EV_CURRENT); });
}

std::string elf_error(std::string_view what) {
  const char* msg = elf_errmsg(-1);
  std::string s(what);
  if (msg && *msg) {
    s += ": ";
    s += msg;
  }
  return s;
}

// A printable module name (kernel names are [A-Za-z0-9_-]).
bool plausible_name(std::string_view n) {
  if (n.empty()) return false;
  for (char c : n)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      return false;
  return true;
}

std::string_view section_bytes(Elf_Scn* scn) {
  Elf_Data* d = elf_getdata(scn, nullptr);
  if (!d || !d->d_buf) return {};
  return {static_cast<const char*>(d->d_buf), d->d_size};
}

std::string lower_first(std::string s) {
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

std::string errno_message(int e) { return lower_first(std::strerror(e)); }

std::string not_regular(mode_t mode) {
  if (S_ISDIR(mode)) return "is a directory";
  if (S_ISFIFO(mode)) return "not a regular file (a FIFO)";
  if (S_ISCHR(mode)) return "not a regular file (a character device)";
  if (S_ISBLK(mode)) return "not a regular file (a block device)";
  if (S_ISSOCK(mode)) return "not a regular file (a socket)";
  return "not a regular file";
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Reads a whole regular file of at most kMaxModuleFileSize bytes into `buf`,
// taking its size from `lease` first (waiting for it if `wait`, else the
// lease must already hold it). Returns "" or an error message. Never blocks
// on the file: FIFOs, devices and sockets are refused before they are opened
// and, in case the path changed in between, opened non-blocking.
std::string read_file(const std::filesystem::path& path, std::vector<char>& buf, Lease& lease,
                      bool wait) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno_message(errno);
  if (!S_ISREG(st.st_mode)) return not_regular(st.st_mode);
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)};
  if (f.fd < 0) return errno_message(errno);
  if (::fstat(f.fd, &st) != 0) return errno_message(errno);
  if (!S_ISREG(st.st_mode)) return not_regular(st.st_mode);
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > kMaxModuleFileSize)
    return "file too large (" + std::to_string(size >> 20) + " MiB; the limit is " +
           std::to_string(kMaxModuleFileSize >> 20) + " MiB)";
  if (wait ? !lease.take(size) : size > lease.held()) return std::string(kOverBudget);
  buf.resize(size);
  size_t used = 0;
  while (used < buf.size()) {  // a file that grows meanwhile is read up to its old size
    ssize_t n = ::read(f.fd, buf.data() + used, buf.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_message(errno);
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  buf.resize(used);
  return {};
}

// One attempt at a file. `exclusive`: the caller holds budget.exclusive() and
// this attempt takes the whole budget up front.
ModuleFile classify_with(const std::filesystem::path& path, MemoryBudget& budget, bool exclusive) {
  ModuleFile mf;
  mf.path = util::sanitize(path.string());
  try {
    Lease lease(budget);
    if (exclusive) lease.take(budget.capacity(), true);
    std::vector<char> raw;
    std::vector<char> plain;
    if (std::string e = read_file(path, raw, lease, !exclusive); !e.empty()) {
      mf.error = std::move(e);
      return mf;
    }
    std::span<char> image(raw.data(), raw.size());
    mf.provenance.sha256 = sha256_hex(image);
    const Compression actual = detect_compression(image);
    if (actual == Compression::none) {
      const Compression expected = compression_from_name(path.filename().string());
      const bool is_elf = raw.size() >= SELFMAG && std::memcmp(raw.data(), ELFMAG, SELFMAG) == 0;
      if (expected != Compression::none && !is_elf) {
        mf.error = expected == Compression::xz
                       ? "not an xz stream"
                       : "not a " + std::string(to_string(expected)) + " stream";
        return mf;
      }
    } else {
      DecompressLimits limits;
      limits.reserve = [&](size_t total) {
        const size_t want = raw.size() + total;
        return exclusive ? want <= lease.held() : lease.set_total(want);
      };
      if (std::string e = decompress(image, actual, plain, limits); !e.empty()) {
        mf.error = std::move(e);
        return mf;
      }
      image = std::span<char>(plain.data(), plain.size());
    }
    ElfModuleInfo info;
    Classifier classifier;
    std::string e = scan_elf(
        image, [&](const Symbol& s) { classifier.add(s); }, info);
    if (!e.empty()) {
      mf.error = std::move(e);
      return mf;
    }
    classifier.set_rustc_comment(info.rustc_comment);
    mf.provenance.rustc_version = info.rustc_version;
    mf.provenance.intree = info.intree;
    read_signature(image, mf.provenance);
    if (!info.init_symbol.empty()) classifier.set_init_symbol(info.init_symbol);
    mf.result = classifier.finish();
    mf.module =
        info.module_name.empty() ? util::sanitize(module_name_from_path(path)) : info.module_name;
  } catch (const std::exception& ex) {
    mf.error = util::sanitize(ex.what());
  }
  return mf;
}

}  // namespace

bool is_module_file_name(std::string_view name) {
  return ends_with(name, ".ko") || ends_with(name, ".ko.xz") || ends_with(name, ".ko.zst") ||
         ends_with(name, ".ko.gz");
}

std::string module_name_from_path(const std::filesystem::path& path) {
  std::string name = path.filename().string();
  for (std::string_view suffix : {".ko.xz", ".ko.zst", ".ko.gz", ".ko"}) {
    if (ends_with(name, suffix)) {
      name.resize(name.size() - suffix.size());
      break;
    }
  }
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}

std::string scan_elf(std::span<char> image, const std::function<void(const Symbol&)>& sink,
                     ElfModuleInfo& info) {
  if (image.size() < EI_NIDENT || std::memcmp(image.data(), ELFMAG, SELFMAG) != 0)
    return "not an ELF file";
  // libelf silently treats a section table past the end as absent; say why.
  if (image[EI_DATA] == (std::endian::native == std::endian::little ? ELFDATA2LSB : ELFDATA2MSB)) {
    uint64_t shoff = 0, shnum = 0, shentsize = 0;
    if (image[EI_CLASS] == ELFCLASS64 && image.size() >= sizeof(Elf64_Ehdr)) {
      Elf64_Ehdr h;
      std::memcpy(&h, image.data(), sizeof h);
      shoff = h.e_shoff, shnum = h.e_shnum, shentsize = h.e_shentsize;
    } else if (image[EI_CLASS] == ELFCLASS32 && image.size() >= sizeof(Elf32_Ehdr)) {
      Elf32_Ehdr h;
      std::memcpy(&h, image.data(), sizeof h);
      shoff = h.e_shoff, shnum = h.e_shnum, shentsize = h.e_shentsize;
    } else {
      return "truncated ELF file (incomplete ELF header)";
    }
    if (shoff > image.size() || (shentsize && (image.size() - shoff) / shentsize < shnum))
      return "truncated ELF file (section headers past the end of the file)";
  }
  init_libelf();
  Elf* elf = elf_memory(image.data(), image.size());
  if (!elf) return elf_error("malformed ELF file");
  struct Closer {
    Elf* e;
    ~Closer() { elf_end(e); }
  } closer{elf};
  if (elf_kind(elf) != ELF_K_ELF) return "not an ELF file";

  GElf_Ehdr eh;
  if (!gelf_getehdr(elf, &eh)) return elf_error("malformed ELF header");
  const int cls = gelf_getclass(elf);
  size_t shnum = 0;
  if (elf_getshdrnum(elf, &shnum) != 0) return elf_error("malformed ELF section table");
  if (eh.e_shoff == 0 || shnum == 0) return "no section headers (not a kernel module)";
  if (eh.e_shentsize == 0) return "malformed ELF header (zero section header size)";
  if (eh.e_shoff > image.size() || (image.size() - eh.e_shoff) / eh.e_shentsize < shnum)
    return "truncated ELF file (section headers past the end of the file)";
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) return elf_error("malformed ELF section names");

  Elf_Scn* symtab = nullptr;
  size_t strtab_index = 0;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) return elf_error("malformed section header");
    if (sh.sh_type != SHT_NOBITS &&
        (sh.sh_offset > image.size() || image.size() - sh.sh_offset < sh.sh_size))
      return "truncated ELF file (section data past the end of the file)";
    const char* raw_name = elf_strptr(elf, shstrndx, sh.sh_name);
    std::string_view name = raw_name ? raw_name : "";
    if (sh.sh_type == SHT_SYMTAB) {
      symtab = scn;
      strtab_index = sh.sh_link;
    } else if (name == ".comment") {
      const std::string_view comment = section_bytes(scn);
      info.rustc_comment = comment.find("rustc version") != std::string_view::npos;
      info.rustc_version = rustc_version_from_comment(comment);
    } else if (name == ".gnu.linkonce.this_module" && info.module_name.empty()) {
      std::string_view d = section_bytes(scn);
      const size_t off = cls == ELFCLASS64 ? 24 : 12;  // offsetof(struct module, name)
      const size_t len = cls == ELFCLASS64 ? 56 : 60;  // MODULE_NAME_LEN
      if (d.size() > off) {
        std::string_view n = d.substr(off, std::min(len, d.size() - off));
        n = n.substr(0, n.find('\0'));
        if (plausible_name(n)) info.module_name = util::sanitize(n);
      }
    } else if (name == ".modinfo") {
      std::string_view d = section_bytes(scn);
      info.intree = intree_from_modinfo(d);
      if (info.module_name.empty()) {
        for (size_t p = 0; p < d.size();) {
          size_t end = d.find('\0', p);
          if (end == std::string_view::npos) end = d.size();
          std::string_view entry = d.substr(p, end - p);
          if (starts_with(entry, "name=") && plausible_name(entry.substr(5))) {
            info.module_name = util::sanitize(entry.substr(5));
            break;
          }
          p = end + 1;
        }
      }
    }
  }
  if (!symtab) return "no .symtab (stripped file?)";

  Elf_Data* syms = elf_getdata(symtab, nullptr);
  if (!syms) return elf_error("unreadable .symtab");
  Elf_Scn* strscn = elf_getscn(elf, strtab_index);
  Elf_Data* strs = strscn ? elf_getdata(strscn, nullptr) : nullptr;
  if (!strs || !strs->d_buf) return elf_error("unreadable .strtab");
  const char* strtab = static_cast<const char*>(strs->d_buf);
  const size_t strsize = strs->d_size;
  const size_t entsize = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
  if (entsize == 0) return elf_error("malformed .symtab");
  const size_t count = syms->d_size / entsize;
  info.symtab_entries = count;

  bool have_init = false;
  GElf_Sym init_sym{};
  auto name_of = [&](const GElf_Sym& s) -> std::string_view {
    if (s.st_name == 0 || s.st_name >= strsize) return {};
    const char* p = strtab + s.st_name;
    return {p, strnlen(p, strsize - s.st_name)};
  };
  for (size_t i = 1; i < count; ++i) {
    GElf_Sym s;
    if (!gelf_getsym(syms, static_cast<int>(i), &s)) return elf_error("malformed symbol");
    const int type = GELF_ST_TYPE(s.st_info);
    if (type == STT_SECTION || type == STT_FILE) continue;
    std::string_view name = name_of(s);
    if (name.empty()) continue;
    Symbol sym{name, SymKind::other, s.st_shndx != SHN_UNDEF};
    if (type == STT_FUNC || type == STT_GNU_IFUNC)
      sym.kind = SymKind::func;
    else if (type == STT_OBJECT || type == STT_TLS || type == STT_COMMON)
      sym.kind = SymKind::object;
    if (sym.defined && sym.kind == SymKind::func && name == "init_module") {
      have_init = true;
      init_sym = s;
    }
    sink(sym);
  }

  // init_module is usually an alias of the developer's init function (C
  // module_init()); a Rust module! defines init_module itself.
  if (have_init) {
    info.init_symbol = "init_module";
    for (size_t i = 1; i < count; ++i) {
      GElf_Sym s;
      if (!gelf_getsym(syms, static_cast<int>(i), &s)) break;
      if (GELF_ST_TYPE(s.st_info) != STT_FUNC || s.st_shndx != init_sym.st_shndx ||
          s.st_value != init_sym.st_value)
        continue;
      std::string_view name = name_of(s);
      if (name.empty() || name == "init_module" || starts_with(name, "__pfx_") ||
          starts_with(name, "__cfi_"))
        continue;
      info.init_symbol.assign(name);
      break;
    }
  }
  return {};
}

ModuleFile classify_file(const std::filesystem::path& path) {
  return classify_file(path, default_budget());
}

ModuleFile classify_file(const std::filesystem::path& path, MemoryBudget& budget) {
  ModuleFile mf = classify_with(path, budget, false);
  if (mf.error != kOverBudget) return mf;
  // Too large to share the budget with the other workers: retry alone.
  std::lock_guard lock(budget.exclusive());
  return classify_with(path, budget, true);
}

nlohmann::json to_json(const ModuleFile& mf) {
  if (!mf.ok()) return nlohmann::json{{"file", mf.path}, {"error", mf.error}};
  nlohmann::json j = to_json(mf.result);
  j["file"] = mf.path;
  j["module"] = mf.module;
  add_provenance(j, mf.provenance);
  return j;
}

}  // namespace lifetrace::classify
