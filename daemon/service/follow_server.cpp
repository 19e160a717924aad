#include "service/follow_server.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
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
    auto it = clients_.find(fd);
    if (it == clients_.end()) continue;
    Client& c = *it->second;
    bool alive = true;
    if (what & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
      // Clients have nothing to say: what they send is discarded, EOF means
      // they left, and one that keeps talking is disconnected (it would
      // otherwise cost a wake-up per write).
      std::array<char, 4096> sink{};
      const ssize_t r = recv(fd, sink.data(), sink.size(), MSG_DONTWAIT);
      if (r > 0) c.inbound_bytes += static_cast<std::size_t>(r);
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR) ||
          (what & (EPOLLHUP | EPOLLERR))) {
        alive = false;
      } else if (c.inbound_bytes > max_inbound_) {
        ++refused_;
        if (on_refused)
          on_refused("a client of uid " + std::to_string(c.uid) + " sent " +
                     std::to_string(c.inbound_bytes) +
                     " bytes to a socket that only sends: disconnected");
        alive = false;
      }
    }
    if (alive && (what & EPOLLOUT)) alive = flush(c);
    if (!alive) gone.push_back(fd);
  }
  for (int fd : gone) remove(fd);
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
    enqueue(*cp, follow_protocol::stopping_line() + "\n");
    if (!flush(*cp)) gone.push_back(fd);
  }
  for (int fd : gone) remove(fd);
}

bool FollowServer::flush(Client& c) {
  for (;;) {
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
    // Drained: tell the client what it missed, then keep going.
    if (c.unreported_drops == 0) break;
    enqueue(c, follow_protocol::dropped_line(c.unreported_drops) + "\n");
    c.unreported_drops = 0;
  }
  watch_out(c, false);
  return true;
}

void FollowServer::watch_out(Client& c, bool on) {
  if (c.want_out == on) return;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0u);
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
