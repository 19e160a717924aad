#include "output/log.h"

#include <sys/stat.h>

#include <cstdlib>

#include "util/text.h"

namespace lifetrace {

void Logger::problem(const Problem& p) {
  write(LogLevel::err, p.message);
  if (!p.hint.empty()) write_hint(p.hint);
}

std::string_view Logger::level_word(LogLevel level) {
  switch (level) {
    case LogLevel::err: return "error: ";
    case LogLevel::warning: return "warning: ";
    default: return "";
  }
}

std::string Logger::inert(std::string_view m, bool keep_newlines) {
  std::string out;
  out.reserve(m.size());
  for (unsigned char c : m) {
    if ((c < 0x20 && !(keep_newlines && c == '\n')) || c == 0x7f) {
      util::put_hex(out, c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void TerminalLogger::write(LogLevel level, std::string_view message) {
  if (level == LogLevel::debug && !verbose_) return;
  std::fprintf(out_, "lifetrace: %.*s%s\n", static_cast<int>(level_word(level).size()),
               level_word(level).data(), inert(message, /*keep_newlines=*/true).c_str());
}

void TerminalLogger::write_hint(std::string_view hint) {
  std::fprintf(out_, "HINT: %s\n", inert(hint, /*keep_newlines=*/true).c_str());
}

void JournalLogger::write(LogLevel level, std::string_view message) {
  std::fprintf(out_, "<%d>lifetrace: %.*s%s\n", static_cast<int>(level),
               static_cast<int>(level_word(level).size()), level_word(level).data(),
               inert(message, /*keep_newlines=*/false).c_str());
  std::fflush(out_);
}

void JournalLogger::entry(LogLevel level, std::string_view message,
                          const std::vector<std::string>& fields) {
  if (sink_) {
    if (sink_(fields) >= 0) return;
    ++sink_failures_;
  }
  write(level, message);
}

bool journal_stream_matches(const char* journal_stream, unsigned long long dev,
                            unsigned long long ino) {
  if (!journal_stream) return false;
  unsigned long long d = 0, i = 0;
  char tail = 0;
  if (std::sscanf(journal_stream, "%llu:%llu%c", &d, &i, &tail) != 2) return false;
  return d == dev && i == ino;
}

bool stream_is_journal(std::FILE* out) {
  struct stat st {};
  if (fstat(fileno(out), &st) != 0) return false;
  return journal_stream_matches(std::getenv("JOURNAL_STREAM"), st.st_dev, st.st_ino);
}

void JournalLogger::write_hint(std::string_view hint) {
  std::fprintf(out_, "<%d>lifetrace: HINT: %s\n", static_cast<int>(LogLevel::err),
               inert(hint, /*keep_newlines=*/false).c_str());
  std::fflush(out_);
}

}  // namespace lifetrace
