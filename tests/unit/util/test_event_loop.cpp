// The event loop shared by every front-end: descriptors, signals, stop.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

#include "util/event_loop.h"
#include "util/fd.h"

using namespace lifetrace;

TEST_CASE("handlers run for readable descriptors, after_each after every wake-up", "[loop]") {
  util::EventLoop loop;
  REQUIRE(loop.ok());
  util::Fd ev(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  REQUIRE(ev);
  int reads = 0, wakeups = 0;
  REQUIRE(loop.watch(ev.get(), [&] {
    std::uint64_t n = 0;
    if (read(ev.get(), &n, sizeof(n)) == sizeof(n)) reads += static_cast<int>(n);
    if (reads >= 3) loop.stop(7);
  }));
  loop.after_each([&] {
    ++wakeups;
    const std::uint64_t one = 1;
    if (reads < 3) REQUIRE(write(ev.get(), &one, sizeof(one)) == sizeof(one));
  });
  const std::uint64_t one = 1;
  REQUIRE(write(ev.get(), &one, sizeof(one)) == sizeof(one));
  CHECK(loop.run() == 7);
  CHECK(reads == 3);
  CHECK(wakeups == 3);
}

TEST_CASE("a signal arrives as a call, not as a handler race", "[loop]") {
  sigset_t old;
  sigprocmask(SIG_SETMASK, nullptr, &old);
  int got = 0;
  {
    util::EventLoop loop;
    REQUIRE(loop.watch_signals({SIGUSR1}, [&](int s) {
      got = s;
      loop.stop(0);
    }));
    REQUIRE(kill(getpid(), SIGUSR1) == 0);  // blocked now: waits in the signalfd
    CHECK(loop.run() == 0);
  }
  sigprocmask(SIG_SETMASK, &old, nullptr);
  CHECK(got == SIGUSR1);
}

TEST_CASE("watching a descriptor that is not open says why", "[loop]") {
  util::EventLoop loop;
  CHECK_FALSE(loop.watch(-1, [] {}));
  CHECK_THAT(loop.error(), Catch::Contains("epoll_ctl"));
}
