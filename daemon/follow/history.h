// `lifetrace blame` and `lifetrace plot`: clients of the daemon's follow
// socket that ask for its history of loads (a request line, then the answer
// and EOF; output/follow_protocol.h) and render it (output/timeline.h).
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "app/cli.h"
#include "core/problem.h"
#include "output/timeline.h"

namespace lifetrace {

// Reads a history answer line by line (the daemon's lines, without '\n').
class HistoryReader {
 public:
  enum class Status { more, done, bad };
  Status on_line(const std::string& line);
  // At EOF: the history if the answer was whole, else why not.
  std::variant<History, Problem> finish();

 private:
  bool hello_ = false, started_ = false, ended_ = false;
  std::optional<Problem> problem_;
  History h_;
};

// Connects, asks, reads to EOF; gives up after timeout_ms.
std::variant<History, Problem> fetch_history(const std::string& socket_path, int timeout_ms);

// The commands; each returns the process exit code.
int run_blame(const Options& o);
int run_plot(const Options& o);

}  // namespace lifetrace
