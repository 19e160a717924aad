#include "service/module_state.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "classify/inventory.h"
#include "util/fd.h"
#include "util/text.h"

namespace lifetrace {

namespace {
constexpr std::string_view kHeader = "lifetrace-modules 1";
}

std::string serialize_module_state(const ModuleSet& set) {
  std::string out(kHeader);
  out += '\n';
  for (const auto& [name, m] : set) {
    out += name;
    out += ' ';
    out += std::to_string(m.sysfs_ino);
    out += ' ';
    out += classify::to_string(m.language);
    out += '\n';
  }
  return out;
}

std::optional<ModuleSet> parse_module_state(std::string_view text, std::string* error) {
  const auto fail = [error](std::string why) -> std::optional<ModuleSet> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  std::istringstream in{std::string(text)};
  std::string line;
  if (!std::getline(in, line) || line != kHeader) {
    return fail("it does not start with '" + std::string(kHeader) + "'");
  }
  ModuleSet set;
  int n = 1;
  while (std::getline(in, line)) {
    ++n;
    std::istringstream words(line);
    std::string name, ino, lang, extra;
    SavedModule m;
    if (!(words >> name >> ino >> lang) || (words >> extra) ||
        std::from_chars(ino.data(), ino.data() + ino.size(), m.sysfs_ino).ec != std::errc{} ||
        !classify::parse_language(lang, m.language) || !util::is_sanitized(name)) {
      return fail("line " + std::to_string(n) + " is not 'NAME INODE LANGUAGE'");
    }
    set[name] = m;
  }
  return set;
}

std::vector<ModuleChange> changes_while_down(const ModuleSet& saved, const ModuleSet& now) {
  std::vector<ModuleChange> out;
  for (const auto& [name, m] : saved) {
    if (!now.contains(name)) out.push_back({name, "unloaded", m.language});
  }
  for (const auto& [name, m] : now) {
    auto it = saved.find(name);
    if (it == saved.end()) {
      out.push_back({name, "loaded", m.language});
    } else if (m.sysfs_ino != 0 && it->second.sysfs_ino != 0 &&
               m.sysfs_ino != it->second.sysfs_ino) {
      out.push_back({name, "reloaded", m.language});
    }
  }
  return out;
}

std::optional<std::vector<std::string>> live_module_names(const std::filesystem::path& procfs,
                                                          std::string* error) {
  std::ifstream in(procfs / "modules");
  if (!in) {
    if (error)
      *error = "cannot read " + (procfs / "modules").string() + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    classify::ModuleInfo m;
    if (classify::parse_proc_modules_line(line, m) && m.state == "Live") names.push_back(m.name);
  }
  return names;
}

std::uint64_t module_sysfs_ino(const std::filesystem::path& sysfs, const std::string& name) {
  struct stat st {};
  const auto dir = sysfs / "module" / name;
  if (stat(dir.c_str(), &st) != 0) return 0;
  return st.st_ino;
}

std::optional<ModuleSet> ModuleStateFile::load(std::string* error) const {
  std::ifstream in(path_);
  if (!in) {
    if (errno != ENOENT && error)
      *error = "cannot read " + path_.string() + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string why;
  auto set = parse_module_state(text.str(), &why);
  if (!set && error) *error = path_.string() + " is not a lifetrace module state file: " + why;
  return set;
}

bool ModuleStateFile::save(const ModuleSet& set, std::string* error) {
  if (written_ && *written_ == set) return true;
  const std::string text = serialize_module_state(set);
  const std::filesystem::path tmp = path_.string() + ".tmp";
  const auto fail = [&](const char* what) {
    if (error) *error = std::string(what) + " " + tmp.string() + ": " + std::strerror(errno);
    unlink(tmp.c_str());
    return false;
  };
  // No fsync: the file must survive the daemon's death (kill -9), which the
  // page cache does; after a power cut the kernel's module set starts afresh.
  util::Fd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) return fail("cannot create");
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("cannot write");
    done += static_cast<std::size_t>(n);
  }
  fd.reset();
  if (rename(tmp.c_str(), path_.c_str()) != 0) return fail("cannot rename");
  written_ = set;
  return true;
}

}  // namespace lifetrace
