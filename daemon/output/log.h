// Where lifetrace's own messages go, with one wording for both front-ends:
// a terminal ("lifetrace: warning: ...", "HINT: ...") for --follow, and
// sd-daemon "<N>" priority prefixes on stderr for the service, so journald
// keeps each line's level. Control characters in a message are escaped
// (\xHH), never written raw; in the journal a message is always one line.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/problem.h"

namespace lifetrace {

// sd-daemon(3) priorities.
enum class LogLevel : int { err = 3, warning = 4, notice = 5, info = 6, debug = 7 };

class Logger {
 public:
  virtual ~Logger() = default;
  void error(std::string_view m) { write(LogLevel::err, m); }
  void warning(std::string_view m) { write(LogLevel::warning, m); }
  void notice(std::string_view m) { write(LogLevel::notice, m); }
  void info(std::string_view m) { write(LogLevel::info, m); }
  void debug(std::string_view m) { write(LogLevel::debug, m); }
  // The message as an error, then its hint on a line of its own.
  void problem(const Problem& p);
  virtual void write(LogLevel level, std::string_view message) = 0;

 protected:
  virtual void write_hint(std::string_view hint) = 0;
  // "error: ", "warning: " or "" for the other levels.
  static std::string_view level_word(LogLevel level);
  // `m` with control characters as \xHH (newlines kept if asked).
  static std::string inert(std::string_view m, bool keep_newlines);
};

// For people at a terminal: debug lines only when verbose.
class TerminalLogger final : public Logger {
 public:
  explicit TerminalLogger(std::FILE* out, bool verbose = false) : out_(out), verbose_(verbose) {}
  void write(LogLevel level, std::string_view message) override;

 private:
  void write_hint(std::string_view hint) override;
  std::FILE* out_;
  bool verbose_;
};

// Sends one structured journal entry ("NAME=value" fields); 0 or -errno, as
// sd_journal_sendv(3). The service passes sd_journal_sendv; tests a fake.
using JournalSink = std::function<int(const std::vector<std::string>& fields)>;

// For journald: "<4>lifetrace: warning: ...", flushed line by line; and,
// when given a sink, events as structured entries (output/journal_fields.h).
class JournalLogger final : public Logger {
 public:
  explicit JournalLogger(std::FILE* out) : out_(out) {}
  void write(LogLevel level, std::string_view message) override;
  // Entries go to `sink` from now on (an empty sink: lines only).
  void set_sink(JournalSink sink) { sink_ = std::move(sink); }
  bool structured() const { return static_cast<bool>(sink_); }
  // One event: its fields through the sink; without a sink, or if the sink
  // fails (journald restarting), `message` as a line at `level`.
  void entry(LogLevel level, std::string_view message, const std::vector<std::string>& fields);
  std::uint64_t sink_failures() const { return sink_failures_; }

 private:
  void write_hint(std::string_view hint) override;
  std::FILE* out_;
  JournalSink sink_;
  std::uint64_t sink_failures_ = 0;
};

// True when `out` is the stream systemd connected to the journal: the
// $JOURNAL_STREAM "device:inode" it sets names `out`'s file (systemd.exec(5));
// false for a terminal, a pipe or a file (then lines are all that makes sense).
bool stream_is_journal(std::FILE* out);
// The pure part: does "device:inode" name this device and inode?
bool journal_stream_matches(const char* journal_stream, unsigned long long dev,
                            unsigned long long ino);

}  // namespace lifetrace
