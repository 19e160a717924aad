#include "follow_client.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <ctime>

#include <nlohmann/json.hpp>

#include "fd.h"
#include "loop.h"

namespace lifetrace {

namespace {

template <typename T>
void opt(const nlohmann::json& j, const char* key, std::optional<T>& out) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) out = it->get<T>();
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339_ns(const std::string& s) {
  // YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ
  std::tm tm{};
  int year = 0, mon = 0, day = 0, h = 0, m = 0, sec = 0;
  char frac[16] = {};
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%9[0-9]Z", &year, &mon, &day, &h, &m, &sec,
                  frac) != 7) {
    return std::nullopt;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  const std::time_t t = timegm(&tm);
  std::string f(frac);
  f.resize(9, '0');
  return static_cast<std::int64_t>(t) * 1'000'000'000 + std::stoll(f);
}

std::optional<Event> event_from_json(const nlohmann::json& j, std::string* error) {
  const auto fail = [error](std::string why) -> std::optional<Event> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  try {
    if (!j.is_object() || !j.contains("event") || !j.contains("time")) return fail("not an event");
    Event e;
    auto kind = event_kind_from_string(j.at("event").get<std::string>());
    if (!kind) return fail("unknown event kind " + j.at("event").dump());
    e.kind = *kind;
    auto t = parse_rfc3339_ns(j.at("time").get<std::string>());
    if (!t || *t < 0) return fail("bad time " + j.at("time").dump());
    e.mono_ns = static_cast<std::uint64_t>(*t);
    e.module = j.value("module", "");
    if (!classify::parse_language(j.value("language", "unknown"), e.language)) {
      return fail("unknown language " + j.value("language", ""));
    }
    e.pid = j.value("pid", 0u);
    e.tid = j.value("tid", 0u);
    e.comm = j.value("comm", "");
    e.uid = j.value("uid", 0u);
    e.cgroup_id = j.value("cgroup_id", std::uint64_t{0});
    opt(j, "ret", e.ret);
    if (auto it = j.find("stage"); it != j.end()) {
      e.stage = it->get<std::string>() == "init" ? Stage::init : Stage::before_init;
    }
    opt(j, "init_ns", e.init_ns);
    opt(j, "load_ns", e.load_ns);
    opt(j, "exit_ns", e.exit_ns);
    opt(j, "lifetime_ns", e.lifetime_ns);
    opt(j, "taints", e.taints);
    opt(j, "signed", e.sig_ok);
    opt(j, "size_bytes", e.size_bytes);
    opt(j, "params", e.params);
    opt(j, "params_truncated", e.params_truncated);
    opt(j, "syscall", e.syscall);
    opt(j, "file", e.file);
    opt(j, "flags", e.flags);
    opt(j, "forced", e.forced);
    opt(j, "wait", e.wait);
    opt(j, "init_symbol", e.init_symbol);
    if (auto it = j.find("module_addr"); it != j.end()) {
      e.module_addr = std::stoull(it->get<std::string>(), nullptr, 16);
    }
    if (auto it = j.find("evidence"); it != j.end()) {
      const auto& v = *it;
      classify::Result r;
      r.language = e.language;
      r.evidence.symbols = v.value("symbols", std::uint64_t{0});
      r.evidence.defined_functions = v.value("defined_functions", std::uint64_t{0});
      r.evidence.c_functions = v.value("c_functions", std::uint64_t{0});
      r.evidence.rust_v0 = v.value("rust_v0", std::uint64_t{0});
      r.evidence.rust_legacy = v.value("rust_legacy", std::uint64_t{0});
      r.evidence.rust_undefined = v.value("rust_undefined", std::uint64_t{0});
      r.evidence.rustc_comment = v.value("rustc_comment", false);
      r.evidence.examples = v.value("examples", std::vector<std::string>{});
      r.evidence.init_symbol = v.value("init_symbol", "");
      r.evidence.rust_runtime = v.value("rust_runtime", std::uint64_t{0});
      e.classification = std::move(r);
    }
    e.via_kprobe = j.value("probe", "") == "kprobe";
    return e;
  } catch (const std::exception& ex) {
    return fail(ex.what());
  }
}

FollowClientPrinter::Status FollowClientPrinter::on_line(const std::string& line) {
  const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::bad;
  if (auto it = j.find("lifetrace_dropped"); it != j.end() && it->is_number_unsigned()) {
    const auto n = it->get<std::uint64_t>();
    dropped_ += n;
    std::fprintf(err_,
                 "lifetrace: warning: the daemon dropped %" PRIu64
                 " events for this client: it did not read them fast enough\n",
                 n);
    return Status::ok;
  }
  if (j.contains("lifetrace_stopping")) return Status::stopping;
  if (auto it = j.find("lifetrace_error"); it != j.end()) {
    std::fprintf(err_, "lifetrace: error: the daemon says: %s\n", it->dump().c_str());
    return Status::bad;
  }
  if (j.contains("lifetrace_follow")) return Status::ok;  // hello, handled by the caller
  std::string error;
  auto e = event_from_json(j, &error);
  if (!e) {
    std::fprintf(err_, "lifetrace: warning: ignoring a line from the daemon: %s\n", error.c_str());
    return Status::ok;
  }
  if (!filter_.matches(*e)) return Status::ok;
  // The daemon's line is exactly what --json prints; the human form is
  // rebuilt here, in this user's time zone.
  const std::string out = json_ ? line : format_line(*e, WallClock(0), utc_);
  std::fputs(out.c_str(), out_);
  std::fputc('\n', out_);
  ++printed_;
  return Status::ok;
}

std::optional<int> follow_via_daemon(const Options& o) {
  if (o.follow_socket.empty()) return std::nullopt;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (o.follow_socket.size() >= sizeof(addr.sun_path)) return std::nullopt;
  std::memcpy(addr.sun_path, o.follow_socket.c_str(), o.follow_socket.size() + 1);
  Fd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return std::nullopt;
  if (connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int e = errno;
    if (e == ENOENT || e == ECONNREFUSED || e == ENOTDIR) return std::nullopt;  // no daemon
    if (e == EACCES && geteuid() == 0) return std::nullopt;  // root can trace standalone
    std::fprintf(stderr, "lifetrace: error: a lifetrace daemon listens on %s, but connecting failed: %s\n",
                 o.follow_socket.c_str(), std::strerror(e));
    if (e == EACCES) {
      std::fprintf(stderr,
                   "HINT: members of the group 'lifetrace' may follow through the daemon: ask for "
                   "membership (then log in again), or run as root; --standalone loads BPF "
                   "programs of its own (root only)\n");
    }
    return 1;
  }

  Fd sigfd = signal_fd({SIGINT, SIGTERM});
  Fd ep(epoll_create1(EPOLL_CLOEXEC));
  epoll_watch(ep.get(), sock.get());
  epoll_watch(ep.get(), sigfd.get());

  FollowClientPrinter printer(o, stdout, stderr);
  std::string buf;
  bool hello = false;
  std::array<char, 65536> chunk{};
  for (;;) {
    epoll_event evs[2];
    const int n = epoll_wait(ep.get(), evs, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "lifetrace: error: epoll_wait: %s\n", std::strerror(errno));
      return 1;
    }
    for (int i = 0; i < n; ++i) {
      if (evs[i].data.fd == sigfd.get()) return 0;
    }
    const ssize_t r = read(sock.get(), chunk.data(), chunk.size());
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      std::fprintf(stderr, "lifetrace: error: reading from the daemon: %s\n", std::strerror(errno));
      return 1;
    }
    if (r == 0) {
      std::fprintf(stderr, "lifetrace: error: the daemon closed the connection unexpectedly\n");
      return 1;
    }
    buf.append(chunk.data(), static_cast<std::size_t>(r));
    std::size_t start = 0;
    for (std::size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1) {
      const std::string line = buf.substr(start, nl - start);
      if (!hello) {
        const auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.contains("lifetrace_follow")) {
          std::fprintf(stderr, "lifetrace: error: %s does not speak lifetrace's follow protocol\n",
                       o.follow_socket.c_str());
          return 1;
        }
        hello = true;
        std::fprintf(stderr,
                     "lifetrace: ready: following the lifetrace daemon (%s, %s) over %s; Ctrl-C "
                     "to stop\n",
                     j.value("version", "?").c_str(), j.value("status", "").c_str(),
                     o.follow_socket.c_str());
        continue;
      }
      switch (printer.on_line(line)) {
        case FollowClientPrinter::Status::ok: break;
        case FollowClientPrinter::Status::stopping:
          std::fflush(stdout);
          std::fprintf(stderr, "lifetrace: the daemon is stopping; nothing more to follow\n");
          return 0;
        case FollowClientPrinter::Status::bad: return 1;
      }
    }
    buf.erase(0, start);
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) return 0;  // reader went away
  }
}

}  // namespace lifetrace
