// The one event loop behind standalone --follow, the follow client and the
// daemon: an epoll set of descriptors with a callback each, and signals
// delivered through a signalfd in the same set (no handler races).
#pragma once

#include <functional>
#include <initializer_list>
#include <map>
#include <string>

#include "util/fd.h"

namespace lifetrace::util {

class EventLoop {
 public:
  using Handler = std::function<void()>;

  // An epoll set; ok() is false (and error() says why) if it cannot be made.
  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  bool ok() const { return static_cast<bool>(ep_); }
  const std::string& error() const { return error_; }

  // Calls `on_readable` whenever `fd` has input. False (error() set) on failure.
  bool watch(int fd, Handler on_readable);
  void unwatch(int fd);

  // Blocks `signals` for the process, ignores SIGPIPE (a vanished reader is
  // an error return, not a death) and calls `on_signal(signo)` for each one
  // that arrives.
  bool watch_signals(std::initializer_list<int> signals, std::function<void(int)> on_signal);

  // Runs after the handlers of every wake-up (e.g. flush output, report losses).
  void after_each(Handler f) { after_each_ = std::move(f); }

  // Waits and dispatches until stop(); returns the code given to stop(), or
  // 1 when epoll_wait fails (error() says why).
  int run();
  void stop(int rc = 0) {
    running_ = false;
    rc_ = rc;
  }

 private:
  Fd ep_;
  Fd sigfd_;
  std::map<int, Handler> handlers_;
  Handler after_each_;
  std::string error_;
  bool running_ = false;
  int rc_ = 0;
};

}  // namespace lifetrace::util
