#include "follow/client.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <type_traits>

#include "output/follow_protocol.h"
#include "output/log.h"
#include "output/text.h"
#include "util/event_loop.h"
#include "util/fd.h"

namespace lifetrace {

namespace proto = follow_protocol;

FollowClientPrinter::Status FollowClientPrinter::on_line(const std::string& line) {
  const proto::Message msg = proto::parse_line(line);
  return std::visit(
      [&](const auto& m) -> Status {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, proto::Dropped>) {
          dropped_ += m.count;
          std::fprintf(err_,
                       "lifetrace: warning: the daemon dropped %" PRIu64
                       " events for this client: it did not read them fast enough\n",
                       m.count);
          return Status::ok;
        } else if constexpr (std::is_same_v<T, proto::Stopping>) {
          return Status::stopping;
        } else if constexpr (std::is_same_v<T, proto::Error>) {
          std::fprintf(err_, "lifetrace: error: the daemon says: %s\n", m.message.c_str());
          return Status::bad;
        } else if constexpr (std::is_same_v<T, proto::Hello>) {
          return Status::ok;  // handled by the caller
        } else if constexpr (std::is_same_v<T, proto::HistoryStart> ||
                             std::is_same_v<T, proto::Preloaded> ||
                             std::is_same_v<T, proto::HistoryEnd>) {
          return Status::ok;  // answers to a history request, which --follow never makes
        } else if constexpr (std::is_same_v<T, proto::Unknown>) {
          std::fprintf(err_, "lifetrace: warning: ignoring a line from the daemon: %s\n",
                       m.why.c_str());
          return Status::ok;
        } else if constexpr (std::is_same_v<T, proto::Malformed>) {
          return Status::bad;
        } else {  // an Event
          if (!filter_.matches(m)) return Status::ok;
          // The daemon's line is exactly what --json prints; the human form
          // is rebuilt here, in this user's time zone.
          const std::string out = json_ ? line : format_line(m, WallClock(0), utc_);
          std::fputs(out.c_str(), out_);
          std::fputc('\n', out_);
          ++printed_;
          return Status::ok;
        }
      },
      msg);
}

std::variant<std::monostate, util::Fd, Problem> connect_daemon(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return std::monostate{};
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  util::Fd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return std::monostate{};
  if (connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) return sock;
  const int e = errno;
  if (e == ENOENT || e == ECONNREFUSED || e == ENOTDIR) return std::monostate{};  // no daemon
  if (e == EACCES && geteuid() == 0) return std::monostate{};  // root can trace standalone
  Problem p{
      "a lifetrace daemon listens on " + path + ", but connecting failed: " + std::strerror(e), ""};
  if (e == EACCES) {
    p.hint =
        "members of the group 'lifetrace' may follow through the daemon: ask for membership "
        "(then log in again), or run as root; --standalone loads BPF programs of its own "
        "(root only)";
  }
  return p;
}

std::optional<int> follow_via_daemon(const Options& o) {
  if (o.follow_socket.empty()) return std::nullopt;
  TerminalLogger log(stderr, o.verbose);
  auto connected = connect_daemon(o.follow_socket);
  if (std::holds_alternative<std::monostate>(connected)) return std::nullopt;
  if (auto* p = std::get_if<Problem>(&connected)) {
    log.problem(*p);
    return 1;
  }
  const util::Fd sock = std::move(std::get<util::Fd>(connected));

  FollowClientPrinter printer(o, stdout, stderr);
  util::EventLoop loop;
  std::string buf;
  bool hello = false;
  std::array<char, 65536> chunk{};

  // Handles one complete line; false when the session is over (loop stopped).
  const auto on_line = [&](const std::string& line) {
    if (!hello) {
      const auto msg = proto::parse_line(line);
      const auto* h = std::get_if<proto::Hello>(&msg);
      if (!h) {
        log.error(o.follow_socket + " does not speak lifetrace's follow protocol");
        loop.stop(1);
        return false;
      }
      hello = true;
      log.info("ready: following the lifetrace daemon (" + h->version + ", " + h->status +
               ") over " + o.follow_socket + "; Ctrl-C to stop");
      return true;
    }
    switch (printer.on_line(line)) {
      case FollowClientPrinter::Status::ok: return true;
      case FollowClientPrinter::Status::stopping:
        std::fflush(stdout);
        log.info("the daemon is stopping; nothing more to follow");
        loop.stop(0);
        return false;
      case FollowClientPrinter::Status::bad: loop.stop(1); return false;
    }
    return false;
  };

  const auto on_readable = [&] {
    const ssize_t r = read(sock.get(), chunk.data(), chunk.size());
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) return;
      log.error(std::string("reading from the daemon: ") + std::strerror(errno));
      loop.stop(1);
      return;
    }
    if (r == 0) {
      log.error("the daemon closed the connection unexpectedly");
      loop.stop(1);
      return;
    }
    buf.append(chunk.data(), static_cast<std::size_t>(r));
    std::size_t start = 0;
    for (std::size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1) {
      if (!on_line(buf.substr(start, nl - start))) return;
    }
    buf.erase(0, start);
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) loop.stop(0);  // reader went away
  };

  if (!loop.watch_signals({SIGINT, SIGTERM}, [&](int) { loop.stop(0); }) ||
      !loop.watch(sock.get(), on_readable)) {
    log.error(loop.error());
    return 1;
  }
  const int rc = loop.run();
  if (rc != 0 && !loop.error().empty()) log.error(loop.error());
  return rc;
}

}  // namespace lifetrace
