// classify_bench: lifetrace's classifier vs. `nm | grep` over a module tree.
//
//   classify_bench [--jobs N] [--baseline-jobs N] [--no-baseline] [--limit N]
//                  [--runs N] [--check] [--baseline-script PATH] [DIR]
//
// DIR defaults to the Debian sid (7.2) module tree from tests/vm/kernels.sh.
// Both sides see the same files with a warm page cache (every file is read
// once before timing). See bench/README.md for what is measured and why.
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "classify/cli.h"

using namespace lifetrace::classify;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double cpu_seconds(int who) {
  rusage u{};
  getrusage(who, &u);
  auto tv = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return tv(u.ru_utime) + tv(u.ru_stime);
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

int usage(const std::string& why) {
  std::cerr << "classify_bench: " << why
            << "\nusage: classify_bench [--jobs N] [--baseline-jobs N] [--no-baseline] "
               "[--limit N] [--runs N] [--check] [--baseline-script PATH] [DIR]\n";
  return 2;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs a shell command and returns its stdout; rc < 0 on failure to start.
std::string run(const std::string& cmd, int& rc) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    rc = -1;
    return out;
  }
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string default_tree(const std::string& repo) {
  int rc = 0;
  std::string env =
      run("bash " + shell_quote(repo + "/tests/vm/kernels.sh") + " sid 2>/dev/null", rc);
  if (rc != 0) return {};
  std::istringstream in(env);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("MODDIR=", 0) != 0) continue;
    std::string v = line.substr(7);
    if (v.size() >= 2 && (v.front() == '\'' || v.front() == '"')) v = v.substr(1, v.size() - 2);
    return v;
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  unsigned baseline_jobs = 0;  // 0 = same as jobs
  bool baseline = true;
  bool check = false;
  size_t limit = 0;
  int runs = 1;
  std::string script = BENCH_BASELINE_SCRIPT;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto num = [&](auto& v) -> bool {
      if (i + 1 >= argc) return false;
      v = static_cast<std::remove_reference_t<decltype(v)>>(std::strtoul(argv[++i], nullptr, 10));
      return true;
    };
    if (a == "--jobs") {
      if (!num(jobs) || jobs == 0) return usage("--jobs needs a positive number");
    } else if (a == "--baseline-jobs") {
      if (!num(baseline_jobs) || baseline_jobs == 0)
        return usage("--baseline-jobs needs a positive number");
    } else if (a == "--limit") {
      if (!num(limit)) return usage("--limit needs a number");
    } else if (a == "--runs") {
      if (!num(runs) || runs <= 0) return usage("--runs needs a positive number");
    } else if (a == "--no-baseline") {
      baseline = false;
    } else if (a == "--check") {
      check = true;
    } else if (a == "--baseline-script") {
      if (i + 1 >= argc) return usage("--baseline-script needs a path");
      script = argv[++i];
    } else if (a.rfind("--", 0) == 0) {
      return usage("unknown option " + a);
    } else {
      dir = a;
    }
  }
  if (!baseline_jobs) baseline_jobs = jobs;
  if (dir.empty()) {
    dir = default_tree(BENCH_REPO_ROOT);
    if (dir.empty()) return usage("no DIR given and tests/vm/kernels.sh sid did not provide one");
  }

  std::vector<std::string> walk_errors;
  std::vector<fs::path> files = collect_module_files({dir}, walk_errors);
  if (limit && files.size() > limit) files.resize(limit);
  if (files.empty()) return usage("no module files under " + dir);

  // Warm the page cache so neither side pays for the disk.
  uintmax_t bytes = 0;
  {
    std::vector<char> buf(1 << 20);
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0)
        bytes += static_cast<uintmax_t>(in.gcount());
    }
  }
  std::printf("classify_bench: %zu module files, %.1f MB, under %s\n", files.size(),
              static_cast<double>(bytes) / 1e6, dir.c_str());
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  std::printf("cpus: %u online, load average %.2f; lifetrace threads: %u; baseline jobs: %u\n",
              std::thread::hardware_concurrency(), load[0], jobs, baseline_jobs);

  // lifetrace: best of `runs`.
  double best = 1e300, best_cpu = 1e300;
  std::vector<ModuleFile> results;
  for (int r = 0; r < runs; ++r) {
    const double c0 = cpu_seconds(RUSAGE_SELF);
    auto t0 = Clock::now();
    results = classify_files(files, jobs);
    best = std::min(best, seconds_since(t0));
    best_cpu = std::min(best_cpu, cpu_seconds(RUSAGE_SELF) - c0);
  }
  std::map<Language, size_t> per_language;
  size_t errors = 0, with_rust_symbols = 0;
  for (const auto& m : results) {
    if (!m.ok()) {
      ++errors;
      continue;
    }
    ++per_language[m.result.language];
    if (m.result.evidence.rust_v0 + m.result.evidence.rust_legacy > 0) ++with_rust_symbols;
  }
  const double n = static_cast<double>(files.size());
  std::printf(
      "lifetrace  %8.2f s  %8.0f files/s  cpu %7.2f s  (%zu c, %zu rust, %zu mixed, %zu unknown, "
      "%zu errors)\n",
      best, n / best, best_cpu, per_language[Language::c], per_language[Language::rust],
      per_language[Language::mixed], per_language[Language::unknown], errors);

  int rc = 0;
  std::fflush(stdout);
  if (check && best >= 10.0) {
    std::printf("CHECK FAILED: lifetrace took %.2f s (goal: under 10 s)\n", best);
    rc = 1;
  }
  if (baseline) {
    const fs::path list =
        fs::temp_directory_path() / ("classify_bench." + std::to_string(getpid()));
    {
      std::ofstream out(list);
      for (const auto& f : files) out << f.string() << '\n';
    }
    const std::string cmd = "bash " + shell_quote(script) + " " + std::to_string(baseline_jobs) +
                            " < " + shell_quote(list.string());
    int brc = 0;
    const double c0 = cpu_seconds(RUSAGE_CHILDREN);
    auto t0 = Clock::now();
    std::string out = run(cmd, brc);
    const double base = seconds_since(t0);
    const double base_cpu = cpu_seconds(RUSAGE_CHILDREN) - c0;
    fs::remove(list);
    if (brc != 0) {
      std::printf("baseline failed (exit %d): %s\n", brc, cmd.c_str());
      return 1;
    }
    size_t lines = 0, nonzero = 0;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
      ++lines;
      if (line.rfind("0 ", 0) != 0) ++nonzero;
    }
    std::printf(
        "nm + grep  %8.2f s  %8.0f files/s  cpu %7.2f s  (%zu files, %zu with a defined _R... "
        "symbol)\n",
        base, static_cast<double>(lines) / base, base_cpu, lines, nonzero);
    std::printf(
        "speed-up   %8.1fx wall, %.1fx cpu  (lifetrace: %zu files with Rust-mangled symbols; "
        "a prefix grep also counts C names such as _RasMessage)\n",
        base / best, base_cpu / best_cpu, with_rust_symbols);
    if (lines != files.size()) {
      std::printf("baseline printed %zu lines for %zu files\n", lines, files.size());
      rc = 1;
    }
    if (check && base / best < 10.0) {
      std::printf("CHECK FAILED: speed-up %.1fx (goal: at least 10x)\n", base / best);
      rc = 1;
    }
  }
  if (errors) rc = 1;
  return rc;
}
