// The metrics endpoint on its own EventLoop, run on a thread (as the daemon
// runs it on its loop), for tests that talk to it through sockets from the
// test's thread. pause() stops the loop thread so that the endpoint can be
// looked at without racing it; resume() runs it again.
#pragma once

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "exporters/metrics.h"
#include "service/endpoint.h"
#include "util/event_loop.h"
#include "util/fd.h"

namespace lifetrace::test {

class ServedEndpoint {
 public:
  ServedEndpoint(const EndpointOptions& o, const Metrics& m,
                 std::function<std::string()> page = {}) {
    REQUIRE(loop_.ok());
    auto started = MetricsEndpoint::start(o, m.collectables(), std::move(page), loop_);
    if (auto* p = std::get_if<Problem>(&started)) FAIL(p->message + "\nHINT: " + p->hint);
    ep_ = std::move(std::get<std::unique_ptr<MetricsEndpoint>>(started));
    wake_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    REQUIRE(wake_);
    REQUIRE(loop_.watch(wake_.get(), [this] {
      std::uint64_t n = 0;
      if (read(wake_.get(), &n, sizeof(n)) < 0) {
      }
      loop_.stop(0);
    }));
    resume();
  }
  ~ServedEndpoint() {
    pause();
    ep_.reset();
  }
  ServedEndpoint(const ServedEndpoint&) = delete;
  ServedEndpoint& operator=(const ServedEndpoint&) = delete;

  int port() const { return ep_->ports().at(0); }
  // Only while paused.
  const MetricsEndpoint& endpoint() const { return *ep_; }

  void pause() {
    if (!thread_.joinable()) return;
    const std::uint64_t one = 1;
    REQUIRE(write(wake_.get(), &one, sizeof(one)) == sizeof(one));
    thread_.join();
  }
  void resume() {
    if (!thread_.joinable()) thread_ = std::thread([this] { loop_.run(); });
  }

 private:
  util::EventLoop loop_;
  util::Fd wake_;
  std::unique_ptr<MetricsEndpoint> ep_;
  std::thread thread_;
};

// A TCP connection to 127.0.0.1:port; reads on it give up after 3 s.
inline util::Fd connect_local(int port) {
  util::Fd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  const timeval tv{3, 0};
  setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return s;
}

}  // namespace lifetrace::test
