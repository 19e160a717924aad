#include "service/follow_server.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <vector>

#include "output/follow_protocol.h"

namespace lifetrace {

namespace {

std::string err(int e) { return std::strerror(e); }

bool fill_addr(const std::string& path, sockaddr_un& a) {
  a = {};
  a.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(a.sun_path)) return false;
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  return true;
}

}  // namespace

std::variant<std::unique_ptr<FollowServer>, Problem> FollowServer::listen(
    const FollowServerOptions& o, std::string hello_line) {
  std::unique_ptr<FollowServer> s(new FollowServer());
  s->path_ = o.path;
  s->hello_ = std::move(hello_line) + "\n";
  s->max_queue_bytes_ = o.max_queue_bytes;
  s->max_clients_ = o.max_clients;

  sockaddr_un addr{};
  if (!fill_addr(o.path, addr)) {
    return Problem{"follow socket path '" + o.path + "' is empty or longer than " +
                       std::to_string(sizeof(addr.sun_path) - 1) + " bytes",
                   "give a shorter --follow-socket path"};
  }
  const std::filesystem::path dir = std::filesystem::path(o.path).parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);  // systemd's RuntimeDirectory= usually made it
    if (ec) {
      return Problem{"cannot create " + dir.string() + " for the follow socket: " + ec.message(),
                     "create it, or choose another --follow-socket"};
    }
  }

  // A socket file left by a daemon that died: replace it, unless someone
  // still answers on it.
  struct stat st {};
  if (lstat(o.path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Problem{o.path + " exists and is not a socket",
                     "remove it or choose another --follow-socket"};
    }
    util::Fd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (probe &&
        connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) {
      return Problem{
          "another lifetrace daemon is listening on " + o.path,
          "stop it first (systemctl stop lifetrace), or give --follow-socket another path"};
    }
    unlink(o.path.c_str());
  }

  s->listen_fd_.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!s->listen_fd_) return Problem{"socket(AF_UNIX): " + err(errno), ""};
  // Create the socket file with the final mode: no window in which it is
  // more open than asked.
  const mode_t old = umask(static_cast<mode_t>(~o.mode & 0777));
  const int brc = bind(s->listen_fd_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  const int berr = errno;
  umask(old);
  if (brc != 0) {
    return Problem{"cannot bind the follow socket " + o.path + ": " + err(berr),
                   "is its directory writable? (it is /run/lifetrace under systemd)"};
  }
  // umask gave the file its mode; nothing below follows a symlink that
  // someone may have put at the path since bind() created it.
  if (lstat(o.path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
    return Problem{o.path + " changed while the follow socket was being created",
                   "is another process writing to " + dir.string() +
                       "? Use a directory only root "
                       "can write, such as /run/lifetrace"};
  }
  s->bound_ino_ = st.st_ino;
  s->max_per_uid_ = o.max_clients_per_uid;
  s->max_inbound_ = o.max_inbound_bytes;
  s->max_history_ = o.max_history_clients;
  s->history_timeout_ = std::chrono::milliseconds(o.history_timeout_ms);
  if (!o.group.empty()) {
    std::array<char, 4096> buf{};
    group gr{};
    group* found = nullptr;
    getgrnam_r(o.group.c_str(), &gr, buf.data(), buf.size(), &found);
    if (!found) {
      s->warning_ = "group '" + o.group +
                    "' does not exist, so only root can use the follow socket " + o.path +
                    " (create the group with systemd-sysusers)";
    } else {
      s->group_gid_ = found->gr_gid;
      if (st.st_gid != found->gr_gid && fchownat(AT_FDCWD, o.path.c_str(), static_cast<uid_t>(-1),
                                                 found->gr_gid, AT_SYMLINK_NOFOLLOW) != 0) {
        s->warning_ = "cannot give the follow socket to group '" + o.group + "': " + err(errno) +
                      " (run with Group=" + o.group + ", as the systemd unit does)";
      }
    }
  }
  if (::listen(s->listen_fd_.get(), 16) != 0) {
    return Problem{"listen on " + o.path + ": " + err(errno), ""};
  }

  s->ep_.reset(epoll_create1(EPOLL_CLOEXEC));
  if (!s->ep_) return Problem{"epoll_create1: " + err(errno), ""};
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = s->listen_fd_.get();
  if (epoll_ctl(s->ep_.get(), EPOLL_CTL_ADD, s->listen_fd_.get(), &ev) != 0) {
    return Problem{"epoll_ctl: " + err(errno), ""};
  }
  s->timer_.reset(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!s->timer_) return Problem{"timerfd_create: " + err(errno), ""};
  ev.data.fd = s->timer_.get();
  if (epoll_ctl(s->ep_.get(), EPOLL_CTL_ADD, s->timer_.get(), &ev) != 0) {
    return Problem{"epoll_ctl: " + err(errno), ""};
  }
  return s;
}

FollowServer::~FollowServer() {
  clients_.clear();
  // Only remove the file if it is still the one we bound (a newer daemon may
  // have replaced it).
  struct stat st {};
  if (bound_ino_ && lstat(path_.c_str(), &st) == 0 && st.st_ino == bound_ino_)
    unlink(path_.c_str());
}

void FollowServer::handle() {
  std::array<epoll_event, 32> evs{};
  const int n = epoll_wait(ep_.get(), evs.data(), static_cast<int>(evs.size()), 0);
  std::vector<int> gone;
  for (int i = 0; i < n; ++i) {
    const int fd = evs[static_cast<std::size_t>(i)].data.fd;
    const std::uint32_t what = evs[static_cast<std::size_t>(i)].events;
    if (fd == listen_fd_.get()) {
      accept_clients();
      continue;
    }
    if (fd == timer_.get()) {
      std::uint64_t ticks = 0;
      (void)read(fd, &ticks, sizeof(ticks));
      continue;  // deadlines are checked below, after every wake-up
    }
    auto it = clients_.find(fd);
    if (it == clients_.end()) continue;
    Client& c = *it->second;
    bool alive = true;
    if (what & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
      // What a client may say is one request line (output/follow_protocol.h);
      // EOF means it left.
      std::array<char, 4096> in{};
      const ssize_t r = recv(fd, in.data(), in.size(), MSG_DONTWAIT);
      if (r == 0 && c.answer && !(what & (EPOLLHUP | EPOLLERR))) {
        // Asked, then closed its side (`socat`, `nc -N`): the answer is still written.
        c.read_closed = true;
        watch_out(c, c.want_out, /*force=*/true);
      } else if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR) ||
                 (what & (EPOLLHUP | EPOLLERR))) {
        alive = false;
      } else if (r > 0) {
        alive = on_inbound(c, in.data(), static_cast<std::size_t>(r));
      }
    }
    if (alive && (what & EPOLLOUT)) alive = flush(c);
    if (!alive) gone.push_back(fd);
  }
  check_deadlines(gone);
  for (int fd : gone) remove(fd);
  arm_timer();
}

bool FollowServer::on_inbound(Client& c, const char* data, std::size_t n) {
  c.inbound_bytes += n;
  if (c.answer) {
    // Said its one thing already: more is discarded, too much is cut.
    if (c.inbound_bytes <= max_inbound_) return true;
    refuse(c, "a client of uid " + std::to_string(c.uid) + " sent " +
                  std::to_string(c.inbound_bytes) + " bytes after its request: disconnected");
    return false;
  }
  const std::string_view chunk(data, n);
  const std::size_t nl = chunk.find('\n');
  c.request.append(chunk.substr(0, nl == std::string_view::npos ? chunk.size() : nl + 1));
  if (c.request.size() > follow_protocol::kMaxRequestBytes ||
      (nl == std::string_view::npos && c.request.size() == follow_protocol::kMaxRequestBytes)) {
    refuse(c, "a client of uid " + std::to_string(c.uid) + " sent " +
                  std::to_string(c.inbound_bytes) +
                  " bytes that are not a request (a socket that only sends): disconnected");
    return false;
  }
  if (nl == std::string_view::npos) return true;  // the rest of the line may follow
  c.request.pop_back();                           // the '\n'
  std::string why;
  const auto req = follow_protocol::parse_request(c.request, &why);
  if (!req) {
    refuse(c, "a client of uid " + std::to_string(c.uid) + " sent " + why + ": disconnected");
    return false;
  }
  c.inbound_bytes = n - (nl + 1);  // what came after the request
  return start_answer(c);
}

void FollowServer::refuse(Client& c, const std::string& why) {
  ++refused_;
  if (on_refused) on_refused(why);
  // Best effort: the client learns why (nothing queued before it is waited for).
  const std::string line = follow_protocol::error_line(why) + "\n";
  (void)send(c.fd.get(), line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

bool FollowServer::start_answer(Client& c) {
  if (!history) {
    refuse(c, "this daemon keeps no history of loads");
    return false;
  }
  if (answering() >= max_history_) {
    refuse(c,
           "too many history requests at once (" + std::to_string(max_history_) + "); try again");
    return false;
  }
  c.answer = history();
  c.next = 0;
  c.deadline = std::chrono::steady_clock::now() + history_timeout_;
  // Events queued before the request was read stay in front of the answer
  // (the client skips them); drops are not announced to an answer.
  c.unreported_drops = 0;
  return flush(c);
}

std::size_t FollowServer::answering() const {
  std::size_t n = 0;
  for (const auto& [fd, c] : clients_) n += c->answer ? 1 : 0;
  return n;
}

void FollowServer::check_deadlines(std::vector<int>& gone) {
  if (!timer_armed_) return;
  const auto now = std::chrono::steady_clock::now();
  for (auto& [fd, c] : clients_) {
    if (!c->answer || now < c->deadline) continue;
    ++refused_;
    if (on_refused)
      on_refused("a client of uid " + std::to_string(c->uid) + " did not read its history in " +
                 std::to_string(history_timeout_.count()) + " ms: disconnected");
    gone.push_back(fd);
  }
}

void FollowServer::arm_timer() {
  const bool want = answering() > 0;
  if (want == timer_armed_) return;
  itimerspec its{};
  if (want) {  // a tick every 100 ms while answers run; a wake-up is all it is for
    its.it_interval.tv_nsec = 100'000'000;
    its.it_value = its.it_interval;
  }
  timerfd_settime(timer_.get(), 0, &its, nullptr);
  timer_armed_ = want;
}

void FollowServer::accept_clients() {
  for (;;) {
    util::Fd cfd(accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!cfd) return;  // EAGAIN: all accepted (or a transient error)
    ucred peer{};
    socklen_t len = sizeof(peer);
    if (getsockopt(cfd.get(), SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0) continue;
    std::string why;
    if (!allowed(cfd.get(), peer)) {
      why = "uid " + std::to_string(peer.uid) + " is neither root nor in the socket's group";
    } else if (clients_.size() >= max_clients_) {
      why = "too many follow clients";
    } else if (peer.uid != 0 && per_uid(peer.uid) >= max_per_uid_) {
      why = "too many follow clients of uid " + std::to_string(peer.uid);
    }
    if (!why.empty()) {
      ++refused_;
      if (on_refused) on_refused("follow client refused: " + why);
      const std::string line = follow_protocol::error_line(why) + "\n";
      (void)send(cfd.get(), line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      continue;
    }
    auto c = std::make_unique<Client>();
    c->fd = std::move(cfd);
    c->uid = peer.uid;
    const int fd = c->fd.get();
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    if (epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) continue;
    Client& ref = *c;
    clients_.emplace(fd, std::move(c));
    enqueue(ref, hello_);
    if (!flush(ref)) {
      remove(fd);
      continue;
    }
    if (on_clients) on_clients(clients_.size());
  }
}

bool FollowServer::allowed(int fd, const ucred& peer) const {
  // The socket's mode already keeps others out; this holds even if the file
  // was made more open by hand, or the path is reached through a namespace.
  if (peer.uid == 0 || peer.uid == geteuid()) return true;
  if (!group_gid_) return false;
  if (peer.gid == *group_gid_) return true;
  std::array<gid_t, 256> groups{};
  socklen_t len = sizeof(groups);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) != 0) return false;
  for (std::size_t i = 0; i < len / sizeof(gid_t); ++i)
    if (groups[i] == *group_gid_) return true;
  return false;
}

std::size_t FollowServer::per_uid(uid_t uid) const {
  std::size_t n = 0;
  for (const auto& [fd, c] : clients_) n += c->uid == uid ? 1 : 0;
  return n;
}

void FollowServer::enqueue(Client& c, std::string line) {
  c.queued_bytes += line.size();
  c.queue.push_back(std::move(line));
}

void FollowServer::broadcast(const std::string& line) {
  std::vector<int> gone;
  for (auto& [fd, cp] : clients_) {
    Client& c = *cp;
    if (c.answer) continue;  // answering a history request: no events
    if (c.queued_bytes + line.size() + 1 > max_queue_bytes_) {
      ++c.unreported_drops;
      ++dropped_;
      if (on_drop) on_drop(1);
      continue;
    }
    if (c.unreported_drops) {
      enqueue(c, follow_protocol::dropped_line(c.unreported_drops) + "\n");
      c.unreported_drops = 0;
    }
    enqueue(c, line + "\n");
    if (!flush(c)) gone.push_back(fd);
  }
  for (int fd : gone) remove(fd);
}

void FollowServer::stopping() {
  std::vector<int> gone;
  for (auto& [fd, cp] : clients_) {
    if (cp->answer) continue;  // its answer ends with EOF anyway
    enqueue(*cp, follow_protocol::stopping_line() + "\n");
    if (!flush(*cp)) gone.push_back(fd);
  }
  for (int fd : gone) remove(fd);
}

bool FollowServer::flush(Client& c) {
  for (;;) {
    // An answer is queued as it is read, so it never holds more than a queue's worth.
    while (c.answer && c.next < c.answer->size() && c.queued_bytes < max_queue_bytes_) {
      enqueue(c, (*c.answer)[c.next++] + "\n");
    }
    while (!c.queue.empty()) {
      const std::string& front = c.queue.front();
      const ssize_t w = send(c.fd.get(), front.data() + c.offset, front.size() - c.offset,
                             MSG_DONTWAIT | MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          watch_out(c, true);
          return true;
        }
        return false;  // EPIPE, ECONNRESET: the client went away
      }
      c.offset += static_cast<std::size_t>(w);
      if (c.offset == front.size()) {
        c.queued_bytes -= front.size();
        c.queue.pop_front();
        c.offset = 0;
      }
    }
    if (c.answer) {
      if (c.next < c.answer->size()) continue;  // more of the answer fits now
      ++answered_;
      return false;  // all written: closing the connection is the answer's end (EOF)
    }
    // Drained: tell the client what it missed, then keep going.
    if (c.unreported_drops == 0) break;
    enqueue(c, follow_protocol::dropped_line(c.unreported_drops) + "\n");
    c.unreported_drops = 0;
  }
  watch_out(c, false);
  return true;
}

void FollowServer::watch_out(Client& c, bool on, bool force) {
  if (c.want_out == on && !force) return;
  epoll_event ev{};
  ev.events = (c.read_closed ? 0u : EPOLLIN | EPOLLRDHUP) | (on ? EPOLLOUT : 0u);
  ev.data.fd = c.fd.get();
  epoll_ctl(ep_.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
  c.want_out = on;
}

void FollowServer::remove(int fd) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  epoll_ctl(ep_.get(), EPOLL_CTL_DEL, fd, nullptr);
  clients_.erase(it);
  if (on_clients) on_clients(clients_.size());
}

}  // namespace lifetrace
