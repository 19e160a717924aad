// The pieces every lifetrace event loop shares: signals as a file
// descriptor, and an epoll set watching descriptors for input.
#pragma once

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include <initializer_list>

#include "fd.h"

namespace lifetrace {

// Blocks `signals` for the process, ignores SIGPIPE (a vanished reader is an
// error return, not a death), and returns a signalfd that reports `signals`.
inline Fd signal_fd(std::initializer_list<int> signals, int flags = 0) {
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : signals) sigaddset(&mask, s);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return Fd(signalfd(-1, &mask, SFD_CLOEXEC | flags));
}

// Watches `fd` for input on epoll set `ep`; events carry the fd in data.fd.
inline bool epoll_watch(int ep, int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0;
}

}  // namespace lifetrace
