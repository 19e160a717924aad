#include "util/event_loop.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace lifetrace::util {

EventLoop::EventLoop() : ep_(epoll_create1(EPOLL_CLOEXEC)) {
  if (!ep_) error_ = std::string("epoll_create1: ") + std::strerror(errno);
}

bool EventLoop::watch(int fd, Handler on_readable) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    error_ = "epoll_ctl(ADD " + std::to_string(fd) + "): " + std::strerror(errno);
    return false;
  }
  handlers_[fd] = std::move(on_readable);
  return true;
}

void EventLoop::unwatch(int fd) {
  if (handlers_.erase(fd)) epoll_ctl(ep_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

bool EventLoop::watch_signals(std::initializer_list<int> signals,
                              std::function<void(int)> on_signal) {
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : signals) sigaddset(&mask, s);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  sigfd_.reset(signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd_) {
    error_ = std::string("signalfd: ") + std::strerror(errno);
    return false;
  }
  return watch(sigfd_.get(), [this, on_signal = std::move(on_signal)] {
    signalfd_siginfo si{};
    while (read(sigfd_.get(), &si, sizeof(si)) == static_cast<ssize_t>(sizeof(si))) {
      on_signal(static_cast<int>(si.ssi_signo));
    }
  });
}

int EventLoop::run() {
  running_ = true;
  std::array<epoll_event, 16> events{};
  while (running_) {
    const int n = epoll_wait(ep_.get(), events.data(), static_cast<int>(events.size()), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = std::string("epoll_wait: ") + std::strerror(errno);
      return 1;
    }
    for (int i = 0; i < n; ++i) {
      // A handler may unwatch another descriptor of the same batch.
      auto it = handlers_.find(events[static_cast<std::size_t>(i)].data.fd);
      if (it != handlers_.end()) it->second();
    }
    if (after_each_) after_each_();
  }
  return rc_;
}

}  // namespace lifetrace::util
