// The follow socket with real Unix sockets: what clients receive, that a
// client that never reads cannot stall the daemon or the others, and that
// the client's output is the same as standalone mode's.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <variant>

#include <nlohmann/json.hpp>

#include "core/filter.h"
#include "follow/client.h"
#include "follow/history.h"
#include "output/event_json.h"
#include "output/follow_protocol.h"
#include "output/text.h"
#include "service/follow_server.h"
#include "service/load_history.h"
#include "util/fd.h"

using namespace lifetrace;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/lifetrace-follow-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

util::Fd connect_to(const std::string& path) {
  util::Fd s(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
  REQUIRE(connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  return s;
}

// Reads whatever is available within `ms`; appends to buf.
void drain(int fd, std::string& buf, int ms = 0) {
  char chunk[65536];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0) return;
    const ssize_t n = read(fd, chunk, sizeof(chunk));  // sockets and pipes
    if (n <= 0) return;
    buf.append(chunk, static_cast<std::size_t>(n));
  }
}

std::vector<std::string> lines(const std::string& buf) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1) {
    out.push_back(buf.substr(start, nl - start));
  }
  return out;
}

std::unique_ptr<FollowServer> listen_at(const std::string& path, std::size_t queue = 1u << 20) {
  FollowServerOptions o;
  o.path = path;
  o.group = "";
  o.max_queue_bytes = queue;
  auto r = FollowServer::listen(o, R"({"lifetrace_follow":1,"version":"test"})");
  if (auto* p = std::get_if<Problem>(&r)) FAIL(p->message);
  return std::move(std::get<std::unique_ptr<FollowServer>>(r));
}

Event rich_event() {
  Event e;
  e.kind = EventKind::init_start;
  e.mono_ns = 1'234'567'891'234;
  e.module = "ax88796b_rust";
  e.module_addr = 0xffffffffc0a00000ULL;
  e.pid = 321;
  e.tid = 322;
  e.uid = 0;
  e.cgroup_id = 77;
  e.comm = "modprobe";
  e.language = classify::Language::rust;
  e.ret = -95;
  e.stage = Stage::init;
  e.init_ns = 12'345;
  e.load_ns = 2'345'678;
  e.exit_ns = 999;
  e.lifetime_ns = 5'000'000'000ULL;
  e.taints = "OE";
  e.sig_ok = false;
  e.size_bytes = 20480;
  e.params = "a=1 b=\"x y\"";
  e.params_truncated = true;
  e.syscall = "finit_module";
  e.file = "ax88796b_rust.ko";
  e.flags = 4;
  e.forced = true;
  e.wait = false;
  e.init_symbol = "_RNvCs1_13ax88796b_rust4init";
  e.phases = Phases{{"read", 1000}, {"layout", 20'000}, {"init", 12'345}};
  e.phase_coverage = 0.0141;
  e.failed_in = "init";
  e.read_bytes = 20480;
  e.request_id = 7;
  e.requested_name = "net-pf-16-proto-0";
  e.requester_pid = 99;
  e.requester_comm = "ip";
  classify::Result r;
  r.language = classify::Language::rust;
  r.evidence.symbols = 40;
  r.evidence.defined_functions = 12;
  r.evidence.c_functions = 2;
  r.evidence.rust_v0 = 9;
  r.evidence.rust_legacy = 1;
  r.evidence.rust_undefined = 5;
  r.evidence.rustc_comment = true;
  r.evidence.examples = {"_RNvCs1_13ax88796b_rust4init"};
  r.evidence.init_symbol = "init_module";
  r.evidence.rust_runtime = 1;
  e.classification = r;
  e.via_kprobe = true;
  return e;
}

// What the client prints for these daemon lines, with these options.
std::string client_output(const Options& o, const std::vector<std::string>& in) {
  char* out = nullptr;
  std::size_t len = 0;
  FILE* f = open_memstream(&out, &len);
  FILE* err = std::fopen("/dev/null", "w");
  FollowClientPrinter p(o, f, err);
  for (const auto& l : in) p.on_line(l);
  std::fclose(f);
  std::fclose(err);
  std::string s(out, len);
  std::free(out);
  return s;
}

}  // namespace

TEST_CASE("events survive the trip through JSON", "[follow][json]") {
  const WallClock clock(1'700'000'000'000'000'000LL);
  Event base = rich_event();
  auto kind = GENERATE(from_range(std::begin(kAllEventKinds), std::end(kAllEventKinds)));
  base.kind = kind;
  CAPTURE(to_string(kind));
  const nlohmann::json j = to_json(base, clock);
  auto back = event_from_json(j);
  REQUIRE(back);
  CHECK(to_json(*back, WallClock(0)) == j);
  for (bool utc : {true, false}) {
    CHECK(format_line(*back, WallClock(0), utc) == format_line(base, clock, utc));
  }

  Event sparse;  // every optional field absent
  sparse.kind = kind;
  sparse.mono_ns = 5;
  auto back2 = event_from_json(to_json(sparse, clock));
  REQUIRE(back2);
  CHECK(to_json(*back2, WallClock(0)) == to_json(sparse, clock));
  CHECK(format_line(*back2, WallClock(0), true) == format_line(sparse, clock, true));
}

TEST_CASE("lines that are not events are refused", "[follow][json]") {
  std::string why;
  const auto with_phases = [](nlohmann::json phases) {
    return nlohmann::json{
        {"event", "live"}, {"time", "1970-01-01T00:00:00.000000000Z"}, {"phases", phases}};
  };
  CHECK(event_from_json(with_phases(nlohmann::json::array({{{"phase", "read"}, {"ns", 5}}}))));
  CHECK_FALSE(event_from_json(with_phases("read=5"), &why));
  CHECK(why.find("bad 'phases'") != std::string::npos);
  CHECK_FALSE(
      event_from_json(with_phases(nlohmann::json::array({{{"phase", "read"}, {"ns", -5}}}))));
  CHECK_FALSE(event_from_json(with_phases(nlohmann::json::array({{{"ns", 5}}}))));
  CHECK_FALSE(event_from_json(nlohmann::json{{"lifetrace_dropped", 3}}, &why));
  CHECK_FALSE(event_from_json(
      nlohmann::json{{"event", "nope"}, {"time", "1970-01-01T00:00:00.000000000Z"}}, &why));
  CHECK(why.find("unknown event") != std::string::npos);
  CHECK_FALSE(event_from_json(nlohmann::json{{"event", "live"}, {"time", "yesterday"}}, &why));
  CHECK(parse_rfc3339_ns("2026-11-18T11:06:40.123456789Z") == 1'795'000'000'123'456'789LL);
}

TEST_CASE("the client's output equals standalone mode's, filters included", "[follow]") {
  const WallClock clock(1'700'000'000'000'000'000LL);
  std::vector<Event> events;
  for (auto [kind, module] :
       {std::pair{EventKind::load_start, "kvm_intel"}, std::pair{EventKind::live, "qt2025"},
        std::pair{EventKind::load_failed, "kvm_intel"}, std::pair{EventKind::freed, "dummy"}}) {
    Event e = rich_event();
    e.kind = kind;
    e.module = module;
    e.mono_ns += events.size() * 1000;
    events.push_back(e);
  }
  std::vector<std::string> wire{R"({"lifetrace_follow":1,"version":"test"})"};
  for (const auto& e : events) wire.push_back(json_line(e, clock));

  const auto [json, utc, globs, kinds] =
      GENERATE(table<bool, bool, std::vector<std::string>, std::set<EventKind>>({
          {false, false, {}, {}},
          {false, true, {}, {}},
          {true, false, {}, {}},
          {true, false, {"kvm*"}, {}},
          {false, true, {}, {EventKind::live, EventKind::freed}},
          {true, false, {"kvm*", "dummy"}, {EventKind::load_failed}},
      }));
  Options o;
  o.json = json;
  o.utc = utc;
  o.module_globs = globs;
  o.events = kinds;
  // Standalone mode prints exactly this (run_follow's consumer).
  std::string standalone;
  const EventFilter filter(globs, kinds);
  for (const auto& e : events) {
    if (!filter.matches(e)) continue;
    standalone += (json ? json_line(e, clock) : format_line(e, clock, utc)) + "\n";
  }
  CAPTURE(json, utc, globs.size(), kinds.size());
  CHECK(client_output(o, wire) == standalone);
}

TEST_CASE("the socket is created 0660, a stale one replaced, a live one refused",
          "[follow][socket]") {
  TempDir d;
  const std::string path = (d.path / "sub" / "follow.sock").string();
  {
    auto s = listen_at(path);
    struct stat st {};
    REQUIRE(stat(path.c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK((st.st_mode & 0777) == 0660);

    FollowServerOptions o;
    o.path = path;
    o.group = "";
    auto second = FollowServer::listen(o, "{}");
    REQUIRE(std::holds_alternative<Problem>(second));
    CHECK(std::get<Problem>(second).message.find("another lifetrace daemon") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(path));  // removed on destruction

  // A file left behind by a daemon that died.
  {
    util::Fd stale(socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
    REQUIRE(bind(stale.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  }
  REQUIRE(fs::exists(path));
  auto s = listen_at(path);
  util::Fd c = connect_to(path);
  s->handle();
  CHECK(s->clients() == 1);
}

TEST_CASE("clients get the hello, then every event line, and leaving is noticed",
          "[follow][socket]") {
  TempDir d;
  const std::string path = (d.path / "follow.sock").string();
  auto s = listen_at(path);
  std::vector<std::size_t> counts;
  s->on_clients = [&](std::size_t n) { counts.push_back(n); };
  util::Fd a = connect_to(path);
  util::Fd b = connect_to(path);
  s->handle();
  REQUIRE(s->clients() == 2);
  s->broadcast(R"({"event":"live","module":"x"})");
  s->broadcast(R"({"event":"freed","module":"x"})");
  std::string got_a, got_b;
  drain(a.get(), got_a, 100);
  drain(b.get(), got_b, 100);
  const std::vector<std::string> want{R"({"lifetrace_follow":1,"version":"test"})",
                                      R"({"event":"live","module":"x"})",
                                      R"({"event":"freed","module":"x"})"};
  CHECK(lines(got_a) == want);
  CHECK(lines(got_b) == want);

  a.reset();
  s->handle();
  CHECK(s->clients() == 1);
  s->stopping();
  got_b.clear();
  drain(b.get(), got_b, 100);
  CHECK(lines(got_b) == std::vector<std::string>{R"({"lifetrace_stopping":true})"});
  CHECK(counts == std::vector<std::size_t>{1, 2, 1});
}

TEST_CASE("a client that never reads cannot stall the daemon or the other clients",
          "[follow][socket][slow]") {
  TempDir d;
  const std::string path = (d.path / "follow.sock").string();
  const std::size_t queue = 64 * 1024;
  auto s = listen_at(path, queue);
  std::uint64_t drops_seen = 0;
  s->on_drop = [&](std::uint64_t n) { drops_seen += n; };
  util::Fd stuck = connect_to(path);  // never reads until the end
  util::Fd reader = connect_to(path);
  s->handle();
  REQUIRE(s->clients() == 2);

  // Far more than the stuck client's socket buffer and queue can hold.
  const int kEvents = 20000;
  const std::string pad(400, 'x');
  std::string got;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kEvents; ++i) {
    s->broadcast(R"({"event":"live","n":)" + std::to_string(i) + R"(,"pad":")" + pad + "\"}");
    if (i % 64 == 0) {
      s->handle();
      drain(reader.get(), got);
    }
  }
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  CHECK(elapsed < std::chrono::seconds(5));  // never blocked on the stuck client
  for (int i = 0; i < 50 && lines(got).size() < kEvents + 1; ++i) {
    s->handle();
    drain(reader.get(), got, 20);
  }
  // The reading client got everything, in order, nothing dropped.
  const auto rl = lines(got);
  REQUIRE(rl.size() == kEvents + 1);
  CHECK(rl.back().find(R"("n":)" + std::to_string(kEvents - 1) + ",") != std::string::npos);
  for (const auto& l : rl) CHECK_FALSE(l.find("lifetrace_dropped") != std::string::npos);

  // The stuck one lost events, counted by the server...
  CHECK(s->dropped() > 0);
  CHECK(drops_seen == s->dropped());
  CHECK(s->clients() == 2);

  // ...and is told how many once it reads again.
  std::string late;
  for (int i = 0; i < 200; ++i) {
    drain(stuck.get(), late, 10);
    s->handle();
  }
  drain(stuck.get(), late, 50);
  std::uint64_t told = 0, received = 0;
  for (const auto& l : lines(late)) {
    const auto j = nlohmann::json::parse(l);
    if (j.contains("lifetrace_dropped")) told += j["lifetrace_dropped"].get<std::uint64_t>();
    if (j.contains("event")) ++received;
  }
  CHECK(told == s->dropped());
  CHECK(received + told == kEvents);
}

TEST_CASE("without a daemon, --follow runs standalone", "[follow]") {
  Options o;
  o.follow_socket = "/nonexistent/lifetrace/follow.sock";
  CHECK_FALSE(follow_via_daemon(o).has_value());
  o.follow_socket = "";
  CHECK_FALSE(follow_via_daemon(o).has_value());
}

TEST_CASE("lifetrace --follow through a daemon's socket prints what standalone mode prints",
          "[follow][socket][client]") {
  TempDir d;
  const std::string path = (d.path / "follow.sock").string();
  auto s = listen_at(path);
  const WallClock clock(1'700'000'000'000'000'000LL);
  std::vector<Event> events;
  for (auto kind : {EventKind::load_start, EventKind::init_start, EventKind::live,
                    EventKind::unload_start, EventKind::freed}) {
    Event e = rich_event();
    e.kind = kind;
    e.mono_ns += events.size() * 1'000'000;
    e.module = events.size() % 2 ? "qt2025" : "dummy";
    events.push_back(e);
  }
  const bool json = GENERATE(false, true);
  Options o;
  o.json = json;
  o.utc = true;
  o.module_globs = {"qt*"};
  o.follow_socket = path;

  int out[2];
  REQUIRE(pipe(out) == 0);
  std::fflush(stdout);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, STDERR_FILENO);
    const auto rc = follow_via_daemon(o);
    std::fflush(stdout);
    _exit(rc ? *rc : 99);
  }
  close(out[1]);
  // Wait for the client, then send the events and say goodbye.
  for (int i = 0; i < 200 && s->clients() == 0; ++i) {
    s->handle();
    usleep(10'000);
  }
  REQUIRE(s->clients() == 1);
  for (const auto& e : events) s->broadcast(json_line(e, clock));
  s->stopping();
  std::string got;
  drain(out[0], got, 2000);
  for (int i = 0; i < 50 && got.find('\n') == std::string::npos; ++i) drain(out[0], got, 100);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  drain(out[0], got, 100);
  close(out[0]);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);  // the daemon said it was stopping

  std::string standalone;
  const EventFilter filter(o.module_globs, o.events);
  for (const auto& e : events) {
    if (filter.matches(e))
      standalone += (json ? json_line(e, clock) : format_line(e, clock, true)) + "\n";
  }
  CAPTURE(json);
  CHECK(got == standalone);
}

namespace {

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;  // "nogroup" on Debian

std::unique_ptr<FollowServer> listen_open(const TempDir& d, const std::string& group) {
  // World-accessible directory and socket: only the peer-credential check decides.
  fs::permissions(d.path, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  FollowServerOptions o;
  o.path = (d.path / "follow.sock").string();
  o.group = group;
  o.mode = 0666;
  auto r = FollowServer::listen(o, R"({"lifetrace_follow":1,"version":"test"})");
  if (auto* p = std::get_if<Problem>(&r)) FAIL(p->message);
  return std::move(std::get<std::unique_ptr<FollowServer>>(r));
}

// Runs `body` in a child as uid nobody (primary group `gid`, no others) while
// the server handles connections; returns the child's exit code.
int as_nobody(FollowServer& s, gid_t gid, const std::function<int()>& body) {
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(kNobody) != 0) _exit(100);
    _exit(body());
  }
  int status = 0;
  for (int i = 0; i < 500 && waitpid(pid, &status, WNOHANG) == 0; ++i) {
    s.handle();
    usleep(10'000);
  }
  s.handle();
  if (waitpid(pid, &status, WNOHANG) == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
}

// In the child: connects and returns the first line the server sends ("" on failure).
std::string first_line(const std::string& path) {
  util::Fd c(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
  if (connect(c.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return "";
  std::string buf;
  for (int i = 0; i < 30 && buf.find('\n') == std::string::npos; ++i) drain(c.get(), buf, 100);
  return buf.substr(0, buf.find('\n'));
}

}  // namespace

TEST_CASE("peers are checked by their credentials: root or the socket's group",
          "[follow][socket]") {
  if (geteuid() != 0) {
    WARN("not root: cannot run a client as another uid, nothing to check (CI runs as root)");
    return;
  }
  TempDir d;
  const std::string path = (d.path / "follow.sock").string();
  {
    auto s = listen_open(d, "");  // no group: root only
    const int rc = as_nobody(*s, kNogroup, [&] {
      return first_line(path).find("is neither root nor in the socket's group") != std::string::npos
                 ? 0
                 : 1;
    });
    CHECK(rc == 0);
    CHECK(s->refused() == 1);
    CHECK(s->clients() == 0);
  }
  {
    auto s = listen_open(d, "nogroup");  // nobody's primary group
    const int rc = as_nobody(*s, kNogroup, [&] {
      return first_line(path).find("lifetrace_follow") != std::string::npos ? 0 : 1;
    });
    CHECK(rc == 0);
    CHECK(s->refused() == 0);
  }
}

TEST_CASE("one uid cannot take every slot", "[follow][socket]") {
  if (geteuid() != 0) {
    WARN("not root: cannot run a client as another uid, nothing to check (CI runs as root)");
    return;
  }
  TempDir d;
  const std::string path = (d.path / "follow.sock").string();
  auto s = listen_open(d, "nogroup");
  const int rc = as_nobody(*s, kNogroup, [&] {
    std::vector<util::Fd> held;
    for (int i = 0; i < 8; ++i) {
      held.emplace_back(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
      sockaddr_un a{};
      a.sun_family = AF_UNIX;
      std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
      if (connect(held.back().get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return 2;
    }
    usleep(300'000);  // let the server accept all eight
    return first_line(path).find("too many follow clients of uid 65534") != std::string::npos ? 0
                                                                                              : 1;
  });
  CHECK(rc == 0);
  CHECK(s->refused() == 1);
}

TEST_CASE("a client that talks is disconnected and the others go on", "[follow][socket]") {
  TempDir d;
  const std::string path = (d.path / "follow.sock").string();
  auto s = listen_at(path);
  std::vector<std::string> why;
  s->on_refused = [&](const std::string& w) { why.push_back(w); };
  util::Fd talker = connect_to(path);
  util::Fd reader = connect_to(path);
  s->handle();
  REQUIRE(s->clients() == 2);
  const std::string junk(16 * 1024, 'x');
  REQUIRE(write(talker.get(), junk.data(), junk.size()) == static_cast<ssize_t>(junk.size()));
  for (int i = 0; i < 20 && s->clients() == 2; ++i) {
    usleep(5'000);
    s->handle();
  }
  CHECK(s->clients() == 1);
  REQUIRE(why.size() == 1);
  CHECK_THAT(why[0], Catch::Contains("sent") && Catch::Contains("disconnected"));
  s->broadcast(R"({"event":"live","module":"x"})");
  std::string got;
  drain(reader.get(), got, 100);
  CHECK(lines(got).back() == R"({"event":"live","module":"x"})");
}

// ---- history requests (lifetrace blame / plot) ------------------------------

namespace {

std::shared_ptr<const std::vector<std::string>> answer_of(std::vector<std::string> lines) {
  return std::make_shared<const std::vector<std::string>>(std::move(lines));
}

// Reads until EOF (or `ms` of silence); true if EOF was seen.
bool read_to_eof(FollowServer& s, int fd, std::string& buf, int ms = 3000) {
  char chunk[65536];
  for (int waited = 0; waited < ms;) {
    s.handle();
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 10) <= 0) {
      waited += 10;
      continue;
    }
    const ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n == 0) return true;
    if (n < 0) return false;
    buf.append(chunk, static_cast<std::size_t>(n));
  }
  return false;
}

void send_line(int fd, const std::string& line) {
  const std::string l = line + "\n";
  REQUIRE(write(fd, l.data(), l.size()) == static_cast<ssize_t>(l.size()));
}

}  // namespace

TEST_CASE("a history request gets the answer then EOF and followers never see it",
          "[follow][socket][history]") {
  TempDir d;
  const std::string path = (d.path / "follow.sock").string();
  auto s = listen_at(path);
  const std::vector<std::string> answer{R"({"lifetrace_history":{"loads":0}})",
                                        R"({"lifetrace_history_end":0})"};
  int asked = 0;
  s->history = [&] {
    ++asked;
    return answer_of(answer);
  };
  util::Fd follower = connect_to(path);
  util::Fd asker = connect_to(path);
  send_line(asker.get(), follow_protocol::request_line(follow_protocol::Request::history));
  std::string got;
  REQUIRE(read_to_eof(*s, asker.get(), got));
  CHECK(asked == 1);
  CHECK(s->answered() == 1);
  std::vector<std::string> want{R"({"lifetrace_follow":1,"version":"test"})"};
  want.insert(want.end(), answer.begin(), answer.end());
  CHECK(lines(got) == want);
  s->handle();
  CHECK(s->clients() == 1);  // the asker is gone, the follower stays
  s->broadcast(R"({"event":"live","module":"x"})");
  std::string followed;
  drain(follower.get(), followed, 100);
  CHECK(lines(followed) == std::vector<std::string>{R"({"lifetrace_follow":1,"version":"test"})",
                                                    R"({"event":"live","module":"x"})"});
}

TEST_CASE("what is not a request gets an error and EOF and is counted",
          "[follow][socket][history]") {
  const std::string line =
      GENERATE(std::string("hello"), std::string(R"({"request":"everything"})"),
               std::string(R"({"request":1})"), std::string("[]"));
  TempDir d;
  const std::string path = (d.path / "follow.sock").string();
  auto s = listen_at(path);
  s->history = [] { return answer_of({}); };
  std::vector<std::string> why;
  s->on_refused = [&](const std::string& w) { why.push_back(w); };
  util::Fd c = connect_to(path);
  send_line(c.get(), line);
  std::string got;
  CAPTURE(line);
  REQUIRE(read_to_eof(*s, c.get(), got));
  const auto ls = lines(got);
  REQUIRE(ls.size() == 2);
  CHECK_THAT(ls[1], Catch::StartsWith(R"({"lifetrace_error":)") && Catch::Contains("disconnected"));
  CHECK(s->refused() == 1);
  CHECK(s->answered() == 0);
  REQUIRE(why.size() == 1);
}

TEST_CASE("a daemon without history refuses the request and a request may come in pieces",
          "[follow][socket][history]") {
  TempDir d;
  const std::string path = (d.path / "follow.sock").string();
  auto s = listen_at(path);
  util::Fd c = connect_to(path);
  send_line(c.get(), follow_protocol::request_line(follow_protocol::Request::history));
  std::string got;
  REQUIRE(read_to_eof(*s, c.get(), got));
  CHECK_THAT(got, Catch::Contains("keeps no history"));

  s->history = [] { return answer_of({"{\"a\":1}"}); };
  util::Fd p = connect_to(path);
  const std::string req = follow_protocol::request_line(follow_protocol::Request::history);
  REQUIRE(write(p.get(), req.data(), 5) == 5);
  s->handle();
  usleep(20'000);
  s->handle();
  send_line(p.get(), req.substr(5));
  got.clear();
  REQUIRE(read_to_eof(*s, p.get(), got));
  CHECK(lines(got).back() == "{\"a\":1}");
}

namespace {
// Asks a server with a 16 KiB queue for a history of `n` lines and reads the answer to its end;
// `close_side`: shuts down the writing side after asking, as `socat` or `nc -N` do.
void check_whole_answer(int n, bool close_side) {
  TempDir d;
  const std::string path = (d.path / "follow.sock").string();
  auto s = listen_at(path, /*queue=*/16 * 1024);
  std::vector<std::string> big;
  for (int i = 0; i < n; ++i) big.push_back("{\"n\":" + std::to_string(i) + "}");
  s->history = [&] { return answer_of(big); };
  util::Fd c = connect_to(path);
  send_line(c.get(), follow_protocol::request_line(follow_protocol::Request::history));
  if (close_side) REQUIRE(shutdown(c.get(), SHUT_WR) == 0);
  std::string got;
  REQUIRE(read_to_eof(*s, c.get(), got, 10'000));
  const auto ls = lines(got);
  REQUIRE(ls.size() == big.size() + 1);
  CHECK(ls.back() == big.back());
  CHECK(s->answered() == 1);
}
}  // namespace

TEST_CASE("a client that asks and then closes its side still gets the whole answer",
          "[follow][socket][history]") {
  check_whole_answer(5'000, /*close_side=*/true);
}

TEST_CASE("an answer bigger than the queue arrives whole as it is read",
          "[follow][socket][history]") {
  check_whole_answer(20'000, /*close_side=*/false);
}

TEST_CASE("an answer not read in time is cut and other clients go on",
          "[follow][socket][history][slow]") {
  TempDir d;
  FollowServerOptions o;
  o.path = (d.path / "follow.sock").string();
  o.group = "";
  o.history_timeout_ms = 300;
  o.max_history_clients = 1;
  auto r = FollowServer::listen(o, R"({"lifetrace_follow":1,"version":"test"})");
  REQUIRE(std::holds_alternative<std::unique_ptr<FollowServer>>(r));
  auto& s = std::get<std::unique_ptr<FollowServer>>(r);
  std::vector<std::string> big(50'000, std::string(100, 'x'));  // 5 MB: more than socket buffers
  s->history = [&] { return answer_of(big); };
  std::vector<std::string> why;
  s->on_refused = [&](const std::string& w) { why.push_back(w); };
  util::Fd sleeper = connect_to(o.path);
  send_line(sleeper.get(), follow_protocol::request_line(follow_protocol::Request::history));
  for (int i = 0; i < 20; ++i) {  // accepted, request read, answer started
    s->handle();
    usleep(5'000);
  }
  // A second request while the first runs: over max_history_clients.
  util::Fd second = connect_to(o.path);
  send_line(second.get(), follow_protocol::request_line(follow_protocol::Request::history));
  std::string got;
  REQUIRE(read_to_eof(*s, second.get(), got));
  CHECK_THAT(got, Catch::Contains("too many history requests"));
  // The sleeper never reads: after the timeout the server's own timer cuts it.
  const auto t0 = std::chrono::steady_clock::now();
  while (s->clients() > 0 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
    pollfd p{s->fd(), POLLIN, 0};
    poll(&p, 1, 100);
    s->handle();
  }
  CHECK(s->clients() == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
  REQUIRE(why.size() == 2);
  CHECK_THAT(why[1], Catch::Contains("did not read its history in 300 ms"));
  CHECK(s->answered() == 0);
}

TEST_CASE("the daemon's history keeps the first and the latest loads and counts the rest",
          "[history]") {
  LoadHistory h(2, 2);
  Event early;
  early.kind = EventKind::live;
  early.module = "racer";  // loaded between attaching and the inventory: a load, not preloaded
  h.on_event(early, WallClock(0));
  classify::ModuleInfo ext4, racer;
  ext4.name = "ext4";
  racer.name = "racer";
  racer.language = classify::Language::rust;
  h.start("2026-12-03T16:00:00.000000000Z", {ext4, racer});
  for (int i = 0; i < 6; ++i) {
    Event e;
    e.kind = i % 2 ? EventKind::load_failed : EventKind::live;
    e.module = "m" + std::to_string(i);
    h.on_event(e, WallClock(0));
    Event other = e;
    other.kind = EventKind::init_done;  // not the end of a load: not kept
    h.on_event(other, WallClock(0));
  }
  CHECK(h.kept() == 4);
  CHECK(h.not_kept() == 3);
  HistoryReader reader;
  REQUIRE(reader.on_line(R"({"lifetrace_follow":1,"version":"t","status":""})") ==
          HistoryReader::Status::more);
  REQUIRE(reader.on_line(
              R"({"event":"live","module":"broadcast","time":"1970-01-01T00:00:00.000000000Z"})") ==
          HistoryReader::Status::more);  // sent before the request was read: skipped
  const auto answer = h.answer();
  CHECK(h.answer() == answer);  // shared until the history changes
  HistoryReader::Status last = HistoryReader::Status::more;
  for (const auto& l : *answer) last = reader.on_line(l);
  CHECK(last == HistoryReader::Status::done);
  auto got = reader.finish();
  REQUIRE(std::holds_alternative<History>(got));
  const History& hist = std::get<History>(got);
  CHECK(hist.frame.not_kept == 3);
  CHECK(hist.frame.max_loads == 4);
  CHECK(hist.frame.since == "2026-12-03T16:00:00.000000000Z");
  REQUIRE(hist.preloaded.size() == 1);
  CHECK(hist.preloaded[0].module == "ext4");
  std::vector<std::string> names;
  for (const auto& e : hist.loads) names.push_back(e.module);
  CHECK(names == std::vector<std::string>{"racer", "m0", "m4", "m5"});

  HistoryReader cut;
  cut.on_line(R"({"lifetrace_follow":1,"version":"t","status":""})");
  cut.on_line((*answer)[0]);
  auto partial = cut.finish();
  REQUIRE(std::holds_alternative<Problem>(partial));
  CHECK_THAT(std::get<Problem>(partial).message, Catch::Contains("before the history's end"));
}

TEST_CASE("a kept load carries its init_ns and other events are not kept", "[history]") {
  // The correlator puts init_ns on live and load_failed (tests/unit/core/test_correlator.cpp):
  // the history keeps no state of its own to find it.
  LoadHistory h;
  h.start("2026-12-03T16:00:00.000000000Z", {});
  const auto ev = [](EventKind k, std::string module) {
    Event e;
    e.kind = k;
    e.module = std::move(module);
    e.load_ns = 9'000'000;
    return e;
  };
  Event done = ev(EventKind::init_done, "a");
  done.init_ns = 4'000'000;
  h.on_event(done, WallClock(0));
  Event live = ev(EventKind::live, "b");
  live.init_ns = 1'000;
  h.on_event(live, WallClock(0));
  h.on_event(ev(EventKind::live, "c"), WallClock(0));  // no init measured
  HistoryReader reader;
  reader.on_line(R"({"lifetrace_follow":1,"version":"t","status":""})");
  for (const auto& l : *h.answer()) reader.on_line(l);
  auto got = reader.finish();
  REQUIRE(std::holds_alternative<History>(got));
  const auto& loads = std::get<History>(got).loads;
  REQUIRE(loads.size() == 2);
  CHECK(loads[0].module == "b");
  CHECK(loads[0].init_ns == 1'000u);
  CHECK_FALSE(loads[1].init_ns.has_value());
  CHECK(view_of(loads[0]).bars == Phases{{"before_init", 8'999'000}, {"init", 1'000}});
}

TEST_CASE("blame and plot without a daemon: a clear error with a HINT", "[history][client]") {
  TempDir d;
  auto got = fetch_history((d.path / "none.sock").string(), 1000);
  REQUIRE(std::holds_alternative<Problem>(got));
  CHECK_THAT(std::get<Problem>(got).message, Catch::Contains("no lifetrace daemon listens on"));
  CHECK_THAT(std::get<Problem>(got).hint, Catch::Contains("systemctl start lifetrace"));
}

TEST_CASE("fetch_history reads a daemon's answer through the socket", "[history][client]") {
  TempDir d;
  const std::string path = (d.path / "follow.sock").string();
  auto s = listen_at(path);
  LoadHistory h;
  h.start("2026-12-03T16:00:00.000000000Z", {});
  Event e;
  e.kind = EventKind::live;
  e.module = "qt2025";
  e.mono_ns = 5'000'000'000;
  e.load_ns = 48'000'000;
  h.on_event(e, WallClock(0));
  s->history = [&] { return h.answer(); };
  std::variant<History, Problem> got = Problem{"not run", ""};
  std::thread client([&] { got = fetch_history(path, 5000); });
  const auto t0 = std::chrono::steady_clock::now();
  while (s->answered() == 0 && s->refused() == 0 &&
         std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) {
    pollfd p{s->fd(), POLLIN, 0};
    poll(&p, 1, 10);
    s->handle();
  }
  client.join();
  if (auto* p = std::get_if<Problem>(&got)) FAIL(p->message);
  const History& hist = std::get<History>(got);
  REQUIRE(hist.loads.size() == 1);
  CHECK(hist.loads[0].module == "qt2025");
  CHECK(view_of(hist.loads[0]).start_ns == 4'952'000'000);
}
