// Events as structured journal entries (output/journal_fields.h), without a journal.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/event.h"
#include "output/journal_fields.h"
#include "output/log.h"

using namespace lifetrace;

namespace {

const WallClock kClock(1'700'000'000'000'000'000);

// "NAME=value" fields as a map; duplicates fail the test.
std::map<std::string, std::string> by_name(const std::vector<std::string>& fields) {
  std::map<std::string, std::string> m;
  for (const auto& f : fields) {
    const auto eq = f.find('=');
    REQUIRE(eq != std::string::npos);
    CAPTURE(f);
    CHECK(m.emplace(f.substr(0, eq), f.substr(eq + 1)).second);
  }
  return m;
}

Event failed_load() {
  Event e;
  e.kind = EventKind::load_failed;
  e.mono_ns = 5'000'000'000;
  e.module = "dummy";
  e.language = classify::Language::c;
  e.pid = 239;
  e.tid = 239;
  e.uid = 0;
  e.cgroup_id = 7;
  e.comm = "modprobe";
  e.ret = -17;
  e.stage = Stage::before_init;
  e.load_ns = 26'792'000;
  return e;
}

}  // namespace

TEST_CASE("a failed load becomes an entry with its errno and result and requester", "[journal]") {
  const auto f = by_name(journal_fields(failed_load(), kClock));
  CHECK(f.at("LIFETRACE_EVENT") == "load_failed");
  CHECK(f.at("LIFETRACE_MODULE") == "dummy");
  CHECK(f.at("LIFETRACE_LANGUAGE") == "c");
  CHECK(f.at("LIFETRACE_RESULT") == "load_failed");
  CHECK(f.at("LIFETRACE_ERRNO") == "EEXIST");
  CHECK(f.at("LIFETRACE_ERRNO_NUMBER") == "17");
  CHECK(f.at("LIFETRACE_RET") == "-17");
  CHECK(f.at("LIFETRACE_STAGE") == "before_init");
  CHECK(f.at("LIFETRACE_LOAD_NS") == "26792000");
  CHECK(f.at("LIFETRACE_PID") == "239");
  CHECK(f.at("LIFETRACE_UID") == "0");
  CHECK(f.at("LIFETRACE_COMM") == "modprobe");
  CHECK(f.at("LIFETRACE_CGROUP_ID") == "7");
  CHECK(f.at("LIFETRACE_REQUESTER") == "239/modprobe");
  CHECK(f.at("PRIORITY") == "4");
  CHECK(f.at("SYSLOG_IDENTIFIER") == "lifetrace");
  CHECK(f.at("MESSAGE_ID") == event_message_id(EventKind::load_failed));
  CHECK(f.at("LIFETRACE_TIME") == "2023-11-14T22:13:25.000000000Z");
  CHECK(f.at("MESSAGE").rfind("event: ", 0) == 0);
  CHECK(f.at("MESSAGE").find(" load_failed ") != std::string::npos);
  CHECK(f.at("MESSAGE").find(" dummy ") != std::string::npos);
  CHECK(f.at("MESSAGE").find("(EEXIST)") != std::string::npos);
  // Unset optional fields are left out, not sent empty.
  CHECK(f.count("LIFETRACE_PHASES") == 0);
  CHECK(f.count("LIFETRACE_INIT_NS") == 0);
  CHECK(f.count("LIFETRACE_TAINTS") == 0);
}

TEST_CASE("every optional field reaches the journal under a valid name", "[journal]") {
  // Set every optional field through the same list the JSON codec walks: a field added
  // there shows up here with no edit, and must map to a name journald accepts.
  Event e = failed_load();
  std::set<std::string> expected;
  for_each_optional_field(e, [&expected](const char* key, auto& field) {
    using T = typename std::decay_t<decltype(field)>::value_type;
    field = T{};
    expected.insert(journal_field_name(key));
  });
  const auto f = by_name(journal_fields(e, kClock));
  for (const auto& name : expected) {
    CAPTURE(name);
    CHECK(f.count(name) == 1);
  }
  for (const auto& [name, value] : f) {
    CAPTURE(name);
    CHECK(valid_journal_field_name(name));
  }
  CHECK(f.at("LIFETRACE_SIGNED") == "false");
}

TEST_CASE("phases and their coverage are one field each", "[journal]") {
  Event e = failed_load();
  e.phases = Phases{{"read", 1200}, {"already_loaded", 300}};
  e.phase_coverage = 0.5;
  const auto f = by_name(journal_fields(e, kClock));
  CHECK(f.at("LIFETRACE_PHASES") == "read=1200 already_loaded=300");
  CHECK(f.at("LIFETRACE_PHASE_COVERAGE") == "0.5000");
}

TEST_CASE("journal field names follow journald's rules", "[journal]") {
  CHECK(journal_field_name("init_ns") == "LIFETRACE_INIT_NS");
  CHECK(journal_field_name("signed") == "LIFETRACE_SIGNED");
  CHECK(journal_field_name("a-b.c d") == "LIFETRACE_A_B_C_D");
  CHECK(journal_field_name(std::string(100, 'x')).size() == 64);
  CHECK(valid_journal_field_name(journal_field_name(std::string(100, 'x'))));
  CHECK(valid_journal_field_name("LIFETRACE_MODULE"));
  CHECK_FALSE(valid_journal_field_name("_PID"));  // trusted fields are journald's
  CHECK_FALSE(valid_journal_field_name("1ABC"));
  CHECK_FALSE(valid_journal_field_name("lower"));
  CHECK_FALSE(valid_journal_field_name(""));
  CHECK_FALSE(valid_journal_field_name(std::string(65, 'A')));
}

TEST_CASE("event priorities: failures warning and denied notice and steps debug", "[journal]") {
  Event e = failed_load();
  CHECK(event_priority(e) == LogLevel::warning);
  e.kind = EventKind::unload_done;
  CHECK(event_priority(e) == LogLevel::warning);  // ret -17
  e.ret = 0;
  CHECK(event_priority(e) == LogLevel::debug);
  CHECK(event_result(e) == "ok");
  e.kind = EventKind::denied;
  CHECK(event_priority(e) == LogLevel::notice);
  e.kind = EventKind::changed_while_down;
  CHECK(event_priority(e) == LogLevel::notice);
  e.kind = EventKind::live;
  CHECK(event_priority(e) == LogLevel::info);
  e.kind = EventKind::init_start;
  CHECK(event_priority(e) == LogLevel::debug);
}

TEST_CASE("each event kind has its own MESSAGE_ID", "[journal]") {
  std::set<std::string_view> ids;
  for (auto k : kAllEventKinds) {
    CAPTURE(to_string(k));
    const auto id = event_message_id(k);
    REQUIRE(id.size() == 32);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string_view::npos);
    ids.insert(id);
  }
  CHECK(ids.size() == std::size(kAllEventKinds));
}

TEST_CASE("a change while down has no requester fields", "[journal]") {
  Event e;
  e.kind = EventKind::changed_while_down;
  e.module = "veth";
  e.change = "loaded";
  const auto f = by_name(journal_fields(e, kClock));
  CHECK(f.at("LIFETRACE_CHANGE") == "loaded");
  CHECK(f.count("LIFETRACE_PID") == 0);
  CHECK(f.count("LIFETRACE_REQUESTER") == 0);
  CHECK(f.count("LIFETRACE_ERRNO") == 0);
}

TEST_CASE("the journal logger sends entries to its sink and lines when it fails", "[journal]") {
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* out = open_memstream(&buf, &len);
  JournalLogger log(out);
  const auto fields = journal_fields(failed_load(), kClock);
  log.entry(LogLevel::warning, "event: no sink", fields);  // no sink: a line
  std::vector<std::vector<std::string>> sent;
  int answer = 0;
  log.set_sink([&](const std::vector<std::string>& f) {
    sent.push_back(f);
    return answer;
  });
  CHECK(log.structured());
  log.entry(LogLevel::warning, "event: sent", fields);
  answer = -111;  // ECONNREFUSED: journald restarting
  log.entry(LogLevel::warning, "event: refused", fields);
  std::fclose(out);
  const std::string text(buf, len);
  std::free(buf);
  REQUIRE(sent.size() == 2);
  CHECK(sent[0] == fields);
  CHECK(log.sink_failures() == 1);
  CHECK(text == "<4>lifetrace: warning: event: no sink\n<4>lifetrace: warning: event: refused\n");
}

TEST_CASE("JOURNAL_STREAM names the journal's stream by device and inode", "[journal]") {
  CHECK(journal_stream_matches("8:12345", 8, 12345));
  CHECK_FALSE(journal_stream_matches("8:12345", 8, 12346));
  CHECK_FALSE(journal_stream_matches("8:12345x", 8, 12345));
  CHECK_FALSE(journal_stream_matches("", 8, 12345));
  CHECK_FALSE(journal_stream_matches(nullptr, 8, 12345));
}
