#include "classify/kallsyms.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/text.h"

namespace lifetrace::classify {
bool read_text_file(const std::filesystem::path& file, std::string& out, std::string* error,
                    size_t max_bytes) {
  out.clear();
  auto fail = [&](std::string_view why) {
    if (error) *error = util::sanitize(file.string()) + ": " + std::string(why);
    out.clear();
    return false;
  };
  // Never block: a FIFO (or a device) where a /proc or /sys file should be is
  // refused before it is opened, and opened non-blocking in case of a race.
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return fail(std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return fail(S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return fail(std::strerror(errno));
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail("not a regular file");
  }
  size_t used = 0;
  // /proc files report size 0; others are read in one go.
  out.resize(
      std::min(max_bytes + 1, std::max<size_t>(static_cast<size_t>(st.st_size) + 1, 1 << 16)));
  for (;;) {
    if (used == out.size()) {
      if (out.size() > max_bytes) {
        ::close(fd);
        return fail("larger than " + std::to_string(max_bytes >> 20) + " MiB");
      }
      out.resize(std::min(out.size() * 2, max_bytes + 1));
    }
    ssize_t n = ::read(fd, out.data() + used, out.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      ::close(fd);
      return fail(std::strerror(e));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(used);
  return true;
}

bool parse_kallsyms_line(std::string_view line, KallsymsEntry& out) {
  size_t sp1 = line.find(' ');
  if (sp1 == 0 || sp1 == std::string_view::npos || sp1 > 16) return false;
  uint64_t addr = 0;
  for (size_t i = 0; i < sp1; ++i) {
    int v = util::hex_value(line[i]);
    if (v < 0) return false;
    addr = (addr << 4) | static_cast<uint64_t>(v);
  }
  if (line.size() < sp1 + 4 || line[sp1 + 2] != ' ') return false;
  out.address = addr;
  out.type = line[sp1 + 1];
  std::string_view rest = line.substr(sp1 + 3);
  out.module = {};
  size_t tab = rest.find('\t');
  if (tab != std::string_view::npos) {
    std::string_view mod = rest.substr(tab + 1);
    rest = rest.substr(0, tab);
    if (mod.size() >= 2 && mod.front() == '[') {
      size_t close = mod.find(']');
      if (close == std::string_view::npos) return false;
      out.module = mod.substr(1, close - 1);
    }
  }
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\r')) rest.remove_suffix(1);
  if (rest.empty()) return false;
  out.name = rest;
  return true;
}

std::map<std::string, Result, std::less<>> classify_kallsyms(std::string_view text) {
  std::map<std::string, Classifier, std::less<>> per_module;
  std::string_view last_module;
  Classifier* current = nullptr;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    KallsymsEntry e;
    if (!parse_kallsyms_line(line, e) || e.module.empty()) continue;
    if (!current || e.module != last_module) {  // lines of one module are contiguous
      auto it = per_module.find(e.module);
      if (it == per_module.end())
        it = per_module.emplace(std::string(e.module), Classifier{}).first;
      current = &it->second;
      last_module = e.module;
    }
    // Every kallsyms entry is defined in its module (no undefined symbols).
    current->add(Symbol{e.name, symbol_kind(e.type), true});
  }
  std::map<std::string, Result, std::less<>> out;
  // Keys are looked up raw above (cheap, and lines of one module are
  // contiguous), then sanitized once here: they are printed.
  for (auto& [name, c] : per_module) out.emplace(util::sanitize(name), c.finish());
  return out;
}

std::map<std::string, Result, std::less<>> classify_kallsyms_file(const std::filesystem::path& file,
                                                                  std::string* error) {
  std::string text;
  if (!read_text_file(file, text, error)) return {};
  return classify_kallsyms(text);
}

}  // namespace lifetrace::classify
