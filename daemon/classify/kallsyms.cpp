#include "classify/kallsyms.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fd.h"
#include "util/text.h"

namespace lifetrace::classify {
namespace {

// Opens a regular file for reading, never blocking: a FIFO (or a device)
// where a /proc or /sys file should be is refused before it is opened, and
// opened non-blocking in case of a race. -1 and *why on failure.
int open_regular(const std::filesystem::path& file, struct stat& st, std::string& why) {
  if (::stat(file.c_str(), &st) != 0) {
    why = std::strerror(errno);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    why = S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file";
    return -1;
  }
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    why = std::strerror(errno);
    return -1;
  }
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    why = "not a regular file";
    return -1;
  }
  return fd;
}

std::string too_large(size_t max_bytes) {
  return "larger than " + std::to_string(max_bytes >> 20) + " MiB";
}

}  // namespace

bool read_text_file(const std::filesystem::path& file, std::string& out, std::string* error,
                    size_t max_bytes) {
  out.clear();
  auto fail = [&](std::string_view why) {
    if (error) *error = util::sanitize(file.string()) + ": " + std::string(why);
    out.clear();
    return false;
  };
  struct stat st {};
  std::string why;
  const util::Fd fd(open_regular(file, st, why));
  if (!fd) return fail(why);
  size_t used = 0;
  // /proc files report size 0; others are read in one go.
  out.resize(
      std::min(max_bytes + 1, std::max<size_t>(static_cast<size_t>(st.st_size) + 1, 1 << 16)));
  for (;;) {
    if (used == out.size()) {
      if (out.size() > max_bytes) return fail(too_large(max_bytes));
      out.resize(std::min(out.size() * 2, max_bytes + 1));
    }
    ssize_t n = ::read(fd.get(), out.data() + used, out.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(std::strerror(errno));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  out.resize(used);
  return true;
}

void for_each_line(std::string_view text, const LineFn& line) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view l = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    line(l.size() > kMaxLineBytes ? std::string_view() : l);
  }
}

bool for_each_file_line(const std::filesystem::path& file, const LineFn& line, std::string* error,
                        size_t max_bytes) {
  auto fail = [&](std::string_view why) {
    if (error) *error = util::sanitize(file.string()) + ": " + std::string(why);
    return false;
  };
  struct stat st {};
  std::string why;
  const util::Fd fd(open_regular(file, st, why));
  if (!fd) return fail(why);
  if (static_cast<uint64_t>(st.st_size) > max_bytes)  // /proc files say 0: counted below
    return fail(too_large(max_bytes));
  // The buffer holds the start of the current line (at most kMaxLineBytes + 1
  // bytes: beyond that the line is only skipped to its end) and a read's worth.
  constexpr size_t kBuffer = size_t{64} << 10;
  static_assert(kBuffer > 2 * (kMaxLineBytes + 2));
  std::vector<char> buf(kBuffer);
  size_t have = 0;        // bytes in buf: the current line's start
  bool too_long = false;  // the current line is over kMaxLineBytes: dropping its bytes
  size_t total = 0;
  auto emit = [&](std::string_view l) {
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    line(too_long || l.size() > kMaxLineBytes ? std::string_view() : l);
    too_long = false;
  };
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data() + have, buf.size() - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(std::strerror(errno));
    }
    if (n == 0) break;
    total += static_cast<size_t>(n);
    if (total > max_bytes) return fail(too_large(max_bytes));
    const size_t end = have + static_cast<size_t>(n);
    size_t start = 0;
    for (size_t nl; (nl = std::string_view(buf.data() + start, end - start).find('\n')) !=
                    std::string_view::npos;) {
      emit(std::string_view(buf.data() + start, nl));
      start += nl + 1;
    }
    // The rest is the start of a line: keep it, or only remember that the
    // line is too long (one byte more than allowed is enough to know).
    size_t rest = end - start;
    if (rest > kMaxLineBytes + 1) {  // '\r' may still follow: kMaxLineBytes + 1 is allowed
      too_long = true;
      rest = 0;
    }
    std::memmove(buf.data(), buf.data() + start, rest);
    have = rest;
  }
  if (have > 0 || too_long) emit(std::string_view(buf.data(), have));
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

namespace {

// Per-module classifiers fed one kallsyms line at a time. The module name of
// the run of lines being read is copied (the line's bytes do not outlive the
// call); Classifier::add keeps only counts and sanitized copies.
class ModuleClassifiers {
 public:
  void line(std::string_view line) {
    KallsymsEntry e;
    if (!parse_kallsyms_line(line, e) || e.module.empty()) return;
    if (!current_ || e.module != last_module_) {  // lines of one module are contiguous
      auto it = per_module_.find(e.module);
      if (it == per_module_.end())
        it = per_module_.emplace(std::string(e.module), Classifier{}).first;
      current_ = &it->second;
      last_module_.assign(e.module);
    }
    // Every kallsyms entry is defined in its module (no undefined symbols).
    current_->add(Symbol{e.name, symbol_kind(e.type), true});
  }

  std::map<std::string, Result, std::less<>> finish() const {
    std::map<std::string, Result, std::less<>> out;
    // Keys are looked up raw (cheap, and lines of one module are contiguous),
    // then sanitized once here: they are printed.
    for (const auto& [name, c] : per_module_) out.emplace(util::sanitize(name), c.finish());
    return out;
  }

 private:
  std::map<std::string, Classifier, std::less<>> per_module_;
  std::string last_module_;
  Classifier* current_ = nullptr;
};

}  // namespace

std::map<std::string, Result, std::less<>> classify_kallsyms(std::string_view text) {
  ModuleClassifiers c;
  for_each_line(text, [&](std::string_view l) { c.line(l); });
  return c.finish();
}

std::map<std::string, Result, std::less<>> classify_kallsyms_file(const std::filesystem::path& file,
                                                                  std::string* error) {
  ModuleClassifiers c;
  if (!for_each_file_line(
          file, [&](std::string_view l) { c.line(l); }, error))
    return {};
  return c.finish();
}

}  // namespace lifetrace::classify
