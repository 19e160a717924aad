// lifetrace-vm-storm-check: checks a parallel load/unload storm (tests/vm/scenarios/storm.sh).
//
//   lifetrace-vm-storm-check --dir OUT [--run NAME]
//
// OUT is a directory written by tests/vm/run-guest.sh. The scenario's log has one line per
// worker (at least 4), "STORM module=M loads=L unloads=U ...", counting the loads and unloads that
// succeeded. For each module, lifetrace.ndjson must hold L load_start, init_start, init_done and
// live events and U unload_start, freed and unload_done events -- or every missing event must
// be explained by the kernel's count of skipped program runs that lifetrace reported on stderr
// ("N events lost (program_skipped) at probe P: ..., T in all") or by records it reported lost
// ("N records lost (REASON), T in all"), on the same path (load or unload). More events than
// successful operations fails too. Prints a table and, on failure, why; exit status 0 or 1.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::vector<std::string> kLoadKinds = {"load_start", "init_start", "init_done", "live"};
const std::vector<std::string> kUnloadKinds = {"unload_start", "freed", "unload_done"};
// The probes whose skipped runs can make events of a path go missing (daemon/kernel/probes.cpp).
const std::set<std::string> kLoadProbes = {"finit_module_enter",   "finit_module_exit",
                                           "do_init_module_enter", "do_one_initcall_enter",
                                           "do_one_initcall_exit", "do_init_module_exit"};
const std::set<std::string> kUnloadProbes = {"delete_module_enter", "delete_module_exit",
                                             "free_module"};

struct Worker {
  std::uint64_t loads = 0, unloads = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::string dir, run = "storm";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--run" && i + 1 < argc) {
      run = argv[++i];
    } else {
      std::cerr << "usage: lifetrace-vm-storm-check --dir OUT [--run NAME]\n";
      return 2;
    }
  }
  if (dir.empty()) {
    std::cerr << "usage: lifetrace-vm-storm-check --dir OUT [--run NAME]\n";
    return 2;
  }
  std::vector<std::string> failures;
  const auto failed = [&](const std::string& m) { failures.push_back("[" + run + "] " + m); };

  // What the workers did.
  std::map<std::string, Worker> workers;
  {
    const std::regex re(R"(STORM module=(\S+) loads=(\d+) unloads=(\d+))");
    const std::string log = read_text(dir + "/scenario.log");
    for (std::sregex_iterator it(log.begin(), log.end(), re), end; it != end; ++it) {
      workers[(*it)[1]] = {std::stoull((*it)[2]), std::stoull((*it)[3])};
    }
    if (workers.size() < 4) {
      failed("scenario.log has " + std::to_string(workers.size()) +
             " STORM lines, expected one per worker, at least 4 (did the guest run storm.sh to its "
             "end?)");
    }
    if (log.find("scenario: all steps behaved as expected") == std::string::npos) {
      failed(
          "the scenario did not end with 'scenario: all steps behaved as expected' (see "
          "scenario.log)");
    }
  }

  // What lifetrace saw.
  std::map<std::string, std::map<std::string, std::uint64_t>> seen;  // module -> kind -> n
  {
    std::istringstream in(read_text(dir + "/lifetrace.ndjson"));
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) {
      ++n;
      if (line.empty()) continue;
      try {
        const auto j = nlohmann::json::parse(line);
        const std::string m = j.value("module", ""), k = j.value("event", "");
        if (workers.count(m)) ++seen[m][k];
      } catch (const nlohmann::json::exception& e) {
        failed("lifetrace.ndjson line " + std::to_string(n) +
               " is not JSON: " + line.substr(0, 160));
      }
    }
  }

  // What lifetrace said it lost: the last "in all" per probe (skipped runs) or reason (records).
  std::map<std::string, std::uint64_t> skipped;  // probe -> runs the kernel skipped
  std::map<std::string, std::uint64_t> lost;     // reason -> records lost
  {
    const std::string err = read_text(dir + "/lifetrace.stderr");
    // lifetrace says at exit what the kernel counted; without that line nothing was checked.
    const std::regex summary_re(
        R"(runs the kernel skipped: (\d+) in all \(counted for (\d+) programs)");
    std::smatch sm;
    if (!std::regex_search(err, sm, summary_re)) {
      failed("lifetrace.stderr has no 'runs the kernel skipped: N in all' line at exit");
    } else {
      std::cout << "lifetrace at exit: " << sm[0] << ")\n";
      if (sm[2] == "0") failed("lifetrace read no program's miss counter");
    }
    const std::regex skip_re(
        R"((\d+) events? lost \(program_skipped\) at probe (\S+): the kernel skipped \d+ runs? of \S+ \((\w+)\), (\d+) in all)");
    for (std::sregex_iterator it(err.begin(), err.end(), skip_re), end; it != end; ++it) {
      auto& v = skipped[(*it)[2]];
      v = std::max<std::uint64_t>(v, std::stoull((*it)[4]));
    }
    const std::regex lost_re(R"((\d+) records lost \((\w+)\), (\d+) in all)");
    for (std::sregex_iterator it(err.begin(), err.end(), lost_re), end; it != end; ++it) {
      auto& v = lost[(*it)[2]];
      v = std::max<std::uint64_t>(v, std::stoull((*it)[3]));
    }
  }
  std::uint64_t load_counted = 0, unload_counted = 0, lost_records = 0;
  for (const auto& [probe, n] : skipped) {
    if (kLoadProbes.count(probe)) load_counted += n;
    if (kUnloadProbes.count(probe)) unload_counted += n;
  }
  for (const auto& [reason, n] : lost) lost_records += n;

  // Per module and path: the number of operations with a missing event is at least the largest
  // deficit of one kind; every such operation needs a counted cause on its path.
  std::uint64_t load_incomplete = 0, unload_incomplete = 0, total_ops = 0;
  std::cout << "module          loads unloads | load_start init_start init_done live | "
               "unload_start freed unload_done\n";
  for (const auto& [m, w] : workers) {
    total_ops += w.loads + w.unloads;
    std::uint64_t load_def = 0, unload_def = 0;
    std::ostringstream row;
    row << m << std::string(m.size() < 16 ? 16 - m.size() : 1, ' ') << w.loads << " " << w.unloads
        << " |";
    const auto check = [&](const std::string& k, std::uint64_t want, std::uint64_t& def) {
      const std::uint64_t got = seen[m][k];
      row << " " << got;
      if (got > want) {
        failed(m + ": " + std::to_string(got) + " " + k + " events for " + std::to_string(want) +
               " successful operations (duplicates?)");
      } else {
        def = std::max(def, want - got);
      }
    };
    for (const auto& k : kLoadKinds) check(k, w.loads, load_def);
    row << " |";
    for (const auto& k : kUnloadKinds) check(k, w.unloads, unload_def);
    std::cout << row.str() << "\n";
    load_incomplete += load_def;
    unload_incomplete += unload_def;
    if (w.loads == 0) failed(m + ": the worker loaded it not even once");
  }
  std::cout << "loads with a missing event: " << load_incomplete
            << ", runs skipped on the load path: " << load_counted << "\n"
            << "unloads with a missing event: " << unload_incomplete
            << ", runs skipped on the unload path: " << unload_counted << "\n"
            << "records lost (ring buffer etc.): " << lost_records << "\n";
  for (const auto& [probe, n] : skipped)
    std::cout << "  skipped: probe " << probe << " " << n << "\n";
  for (const auto& [reason, n] : lost) std::cout << "  lost: " << reason << " " << n << "\n";

  if (load_incomplete > load_counted + lost_records) {
    failed(std::to_string(load_incomplete) + " loads miss events, but lifetrace counted only " +
           std::to_string(load_counted) + " skipped runs on the load path and " +
           std::to_string(lost_records) + " lost records: events vanished without a cause");
  }
  if (unload_incomplete > unload_counted + lost_records) {
    failed(std::to_string(unload_incomplete) + " unloads miss events, but lifetrace counted only " +
           std::to_string(unload_counted) + " skipped runs on the unload path and " +
           std::to_string(lost_records) + " lost records: events vanished without a cause");
  }
  std::cout << "operations: " << total_ops << "\n";
  for (const auto& f : failures) std::cerr << "FAIL " << f << "\n";
  if (failures.empty()) std::cout << "[" << run << "] storm: every missing event is counted\n";
  return failures.empty() ? 0 : 1;
}
