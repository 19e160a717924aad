// The daemon's follow socket: `lifetrace --follow` connects here instead of
// loading BPF programs again, so members of the socket's group can follow
// without root. The lines it sends are defined in output/follow_protocol.h.
//
// A slow or stuck client never stalls the daemon or other clients: writes
// are non-blocking, each client has a bounded queue, and what does not fit
// is dropped, counted and announced to the client once there is room again.
//
// Who may connect is checked on the peer's credentials (SO_PEERCRED,
// SO_PEERGROUPS), not only by the file's mode: root, the daemon's own uid, or
// a member of the socket's group. Each uid but root has at most
// max_clients_per_uid connections.
//
// A client says at most one thing: a request line (follow_protocol::Request,
// at most kMaxRequestBytes) before anything else. A history request turns the
// connection into one answer — the lines `history` returns, then EOF — which
// gets no events, is written as the client reads it (never more than
// max_queue_bytes queued), and is cut if not read within history_timeout_ms.
// At most max_history_clients answers run at once. A client that sends
// anything that is not a request, or more after one, is disconnected.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/problem.h"
#include "util/fd.h"

namespace lifetrace {

struct FollowServerOptions {
  std::string path = "/run/lifetrace/follow.sock";
  std::string group = "lifetrace";  // owner group of the socket; "" = leave as is
  mode_t mode = 0660;
  std::size_t max_queue_bytes = 1u << 20;  // per client
  std::size_t max_clients = 64;
  std::size_t max_clients_per_uid = 8;   // root: only max_clients
  std::size_t max_inbound_bytes = 4096;  // after a request (nothing more is read)
  std::size_t max_history_clients = 4;
  int history_timeout_ms = 10'000;  // from the request to the last byte of the answer
};

class FollowServer {
 public:
  // Binds and listens. A stale socket file at `path` (nobody listening) is
  // replaced; a live one is an error (another daemon runs).
  static std::variant<std::unique_ptr<FollowServer>, Problem> listen(const FollowServerOptions& o,
                                                                     std::string hello_line);
  ~FollowServer();  // closes every client and removes the socket file
  FollowServer(const FollowServer&) = delete;
  FollowServer& operator=(const FollowServer&) = delete;

  // An epoll fd to put in the caller's epoll set: readable when handle()
  // has work (a new client, a client that can take more, one that left).
  int fd() const { return ep_.get(); }
  void handle();

  // Queues one line (without '\n') to every client and writes what it can.
  void broadcast(const std::string& line);
  // Tells every client the daemon is stopping and writes what fits now.
  void stopping();

  std::size_t clients() const { return clients_.size(); }
  std::uint64_t dropped() const { return dropped_; }
  // Connections refused (credentials, limits) or cut (a client that talks).
  std::uint64_t refused() const { return refused_; }
  const std::string& path() const { return path_; }
  // A warning the caller should log (e.g. the group does not exist); empty if none.
  const std::string& warning() const { return warning_; }

  // Called with the number of events dropped and when the client count changes.
  std::function<void(std::uint64_t)> on_drop;
  std::function<void(std::size_t)> on_clients;
  // Called with why a client was refused or disconnected, for the log.
  std::function<void(const std::string&)> on_refused;
  // The answer to a history request: protocol lines without '\n'. Unset: the
  // request is refused.
  std::function<std::shared_ptr<const std::vector<std::string>>()> history;
  // Answers to history requests written in full.
  std::uint64_t answered() const { return answered_; }

 private:
  struct Client {
    util::Fd fd;
    std::deque<std::string> queue;  // each entry ends with '\n'
    std::size_t queued_bytes = 0;
    std::size_t offset = 0;  // bytes of queue.front() already written
    std::uint64_t unreported_drops = 0;
    bool want_out = false;
    uid_t uid = 0;
    std::size_t inbound_bytes = 0;  // what it sent
    std::string request;            // the request line so far
    // A history request being answered: the lines, the next one to queue, the deadline.
    std::shared_ptr<const std::vector<std::string>> answer;
    std::size_t next = 0;
    std::chrono::steady_clock::time_point deadline{};
    bool read_closed = false;  // asked, then shut down its writing side
  };

  FollowServer() = default;
  void accept_clients();
  // Handles bytes a client sent; false when it must be disconnected.
  bool on_inbound(Client& c, const char* data, std::size_t n);
  bool start_answer(Client& c);
  void refuse(Client& c, const std::string& why);
  std::size_t answering() const;
  void arm_timer();
  void check_deadlines(std::vector<int>& gone);
  bool allowed(int fd, const ucred& peer) const;
  std::size_t per_uid(uid_t uid) const;
  void enqueue(Client& c, std::string line);
  // False when the client is gone and must be removed.
  bool flush(Client& c);
  void watch_out(Client& c, bool on, bool force = false);
  void remove(int fd);

  util::Fd listen_fd_;
  util::Fd ep_;
  std::string path_;
  std::string hello_;
  std::string warning_;
  std::size_t max_queue_bytes_ = 0;
  std::size_t max_clients_ = 0;
  std::size_t max_per_uid_ = 0;
  std::size_t max_inbound_ = 0;
  std::size_t max_history_ = 0;
  std::chrono::milliseconds history_timeout_{0};
  util::Fd timer_;  // ticks while answers run, to cut the ones not read in time
  bool timer_armed_ = false;
  std::uint64_t answered_ = 0;
  std::optional<gid_t> group_gid_;
  std::uint64_t dropped_ = 0;
  std::uint64_t refused_ = 0;
  ino_t bound_ino_ = 0;
  std::map<int, std::unique_ptr<Client>> clients_;
};

}  // namespace lifetrace
