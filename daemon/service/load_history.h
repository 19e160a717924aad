// The loads the daemon has seen since it started, for `lifetrace blame` and
// `lifetrace plot` (served over the follow socket, output/follow_protocol.h).
//
// Each load is kept as the JSON line of the event that ended it (live or
// load_failed: load_ns, phases, requester, result), the same line follow
// clients get. Bounded: the first keep_first loads (the boot's) are kept for
// the daemon's lifetime and the latest keep_last after them; the loads in
// between are dropped oldest first and counted (not_kept), and the answer says
// how many. The modules already loaded when the daemon started come from the
// inventory, by name and language only (no timings exist for them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "classify/inventory.h"
#include "core/event.h"
#include "output/time.h"

namespace lifetrace {

class LoadHistory {
 public:
  static constexpr std::size_t kKeepFirst = 1024;
  static constexpr std::size_t kKeepLast = 1024;

  explicit LoadHistory(std::size_t keep_first = kKeepFirst, std::size_t keep_last = kKeepLast)
      : keep_first_(keep_first), keep_last_(keep_last) {}

  // When tracing started (RFC 3339) and what was loaded then. A module whose
  // load was already seen (it came between attaching and the inventory) is
  // listed as a load only.
  void start(std::string since, const std::vector<classify::ModuleInfo>& loaded);
  // Keeps the event if it ends a load (live, load_failed; they carry init_ns,
  // so a load without measured phases still splits into before_init and
  // init); ignores the others.
  void on_event(const Event& e, const WallClock& clock);

  // The whole answer to a history request, one protocol line per entry (no
  // '\n'): the frame, the preloaded modules, the loads oldest first, the end.
  // Built once per change and shared by the clients reading it.
  std::shared_ptr<const std::vector<std::string>> answer();

  std::size_t kept() const { return first_.size() + last_.size(); }
  std::uint64_t not_kept() const { return not_kept_; }

 private:
  std::size_t keep_first_, keep_last_;
  std::string since_;
  std::vector<std::string> preloaded_;  // protocol lines
  std::set<std::string> live_before_start_;
  bool started_ = false;
  std::vector<std::string> first_;
  std::deque<std::string> last_;
  std::uint64_t not_kept_ = 0;
  std::shared_ptr<const std::vector<std::string>> answer_;  // null: rebuild
};

}  // namespace lifetrace
