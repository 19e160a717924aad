#include "follow/history.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "follow/client.h"
#include "output/log.h"

namespace lifetrace {

namespace proto = follow_protocol;

HistoryReader::Status HistoryReader::on_line(const std::string& line) {
  const proto::Message msg = proto::parse_line(line);
  if (const auto* err = std::get_if<proto::Error>(&msg)) {
    problem_ = Problem{"the daemon refused the history request: " + err->message, ""};
    return Status::bad;
  }
  if (!hello_) {
    if (!std::holds_alternative<proto::Hello>(msg)) {
      problem_ = Problem{"the socket does not speak lifetrace's follow protocol", ""};
      return Status::bad;
    }
    hello_ = true;
    return Status::more;
  }
  if (ended_) {
    problem_ = Problem{"the daemon sent more after the history's end", ""};
    return Status::bad;
  }
  if (!started_) {
    // Events broadcast before the daemon read the request come first: skipped.
    if (const auto* s = std::get_if<proto::HistoryStart>(&msg)) {
      h_.frame = *s;
      started_ = true;
    }
    return Status::more;
  }
  if (const auto* p = std::get_if<proto::Preloaded>(&msg)) {
    h_.preloaded.push_back(*p);
  } else if (const auto* e = std::get_if<Event>(&msg)) {
    if (e->kind == EventKind::live || e->kind == EventKind::load_failed) h_.loads.push_back(*e);
  } else if (const auto* end = std::get_if<proto::HistoryEnd>(&msg)) {
    ended_ = true;
    if (end->loads != h_.loads.size() || h_.frame.loads != h_.loads.size() ||
        h_.frame.preloaded != h_.preloaded.size()) {
      problem_ = Problem{
          "the daemon's history is inconsistent: announced " + std::to_string(h_.frame.loads) +
              " loads and " + std::to_string(h_.frame.preloaded) + " preloaded modules, sent " +
              std::to_string(h_.loads.size()) + " and " + std::to_string(h_.preloaded.size()),
          ""};
      return Status::bad;
    }
    return Status::done;
  } else if (std::holds_alternative<proto::Malformed>(msg)) {
    problem_ = Problem{"the daemon sent a line that is not JSON", ""};
    return Status::bad;
  }
  return Status::more;  // unknown objects from a newer daemon: skipped
}

std::variant<History, Problem> HistoryReader::finish() {
  if (problem_) return *problem_;
  if (!ended_) {
    return Problem{"the daemon closed the connection before the history's end (" +
                       std::to_string(h_.loads.size()) + " of " + std::to_string(h_.frame.loads) +
                       " loads read)",
                   "try again; the daemon's log (journalctl -u lifetrace) says why it cut the "
                   "connection"};
  }
  return std::move(h_);
}

std::variant<History, Problem> fetch_history(const std::string& socket_path, int timeout_ms) {
  const Problem no_daemon{
      "no lifetrace daemon listens on " + socket_path +
          ": the loads since boot are kept by the running daemon",
      "start it (systemctl start lifetrace; enabled, it starts before udev at boot, so blame "
      "covers the boot's loads), or give --follow-socket the daemon's socket"};
  if (socket_path.empty()) return no_daemon;
  auto connected = connect_daemon(socket_path);
  if (std::holds_alternative<std::monostate>(connected)) return no_daemon;
  if (auto* p = std::get_if<Problem>(&connected)) return *p;
  const util::Fd sock = std::move(std::get<util::Fd>(connected));

  const std::string req = proto::request_line(proto::Request::history) + "\n";
  if (send(sock.get(), req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    return Problem{
        "cannot send the history request to " + socket_path + ": " + std::strerror(errno), ""};
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  HistoryReader reader;
  std::string buf;
  std::array<char, 65536> chunk{};
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return Problem{"the daemon did not answer the history request within " +
                         std::to_string(timeout_ms / 1000) + " s",
                     "is it stuck? systemctl status lifetrace"};
    }
    pollfd p{sock.get(), POLLIN, 0};
    const int pr = poll(&p, 1, static_cast<int>(left.count()));
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) continue;  // the deadline check above ends it
    const ssize_t r = read(sock.get(), chunk.data(), chunk.size());
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Problem{std::string("reading from the daemon: ") + std::strerror(errno), ""};
    }
    if (r == 0) return reader.finish();
    buf.append(chunk.data(), static_cast<std::size_t>(r));
    std::size_t start = 0;
    for (std::size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1) {
      if (reader.on_line(buf.substr(start, nl - start)) == HistoryReader::Status::bad)
        return reader.finish();
    }
    buf.erase(0, start);
  }
}

namespace {

// The daemon cuts an answer not read within 10 s; the client waits a little longer.
constexpr int kHistoryTimeoutMs = 15'000;

int with_history(const Options& o, std::string (*render)(const History&)) {
  TerminalLogger log(stderr, o.verbose);
  auto got = fetch_history(o.follow_socket, kHistoryTimeoutMs);
  if (auto* p = std::get_if<Problem>(&got)) {
    log.problem(*p);
    return 1;
  }
  const std::string out = render(std::get<History>(got));
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

int run_blame(const Options& o) {
  return with_history(o, o.json ? render_blame_json : render_blame);
}

int run_plot(const Options& o) {
  return with_history(o, o.plot_format == "trace" ? render_trace : render_svg);
}

}  // namespace lifetrace
