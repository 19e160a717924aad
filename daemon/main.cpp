// lifetrace: follow kernel modules through their whole lifecycle.
// Thin entry point: parsing, then one command from the libraries.
#include <malloc.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "app/cli.h"
#include "classify/builtin.h"
#include "classify/cli.h"
#include "follow/follow.h"
#include "follow/history.h"
#include "kernel/kernel_features.h"
#include "service/daemon.h"

int main(int argc, char** argv) {
  using namespace lifetrace;
  // glibc's allocator, sized for a small long-running process (bench/README.md, "Where the
  // memory went"): one arena, not one per thread that ever allocated (the exporter's
  // threads); and a fixed mmap threshold, so the large buffers of the start (vmlinux BTF,
  // /proc/kallsyms, module images) are mapped and given back when freed. glibc would
  // otherwise raise the threshold after the first such free and put the next ones on the
  // heap, where they stay resident.
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  const std::vector<std::string> args(argv + 1, argv + argc);
  const ParseResult parsed = parse_cli(args);
  if (!parsed.options) {
    std::fputs(parsed.output.c_str(), parsed.exit_code == 0 ? stdout : stderr);
    return parsed.exit_code;
  }
  const Options& o = *parsed.options;
  switch (o.command) {
    case Command::follow: {
      HostFeatures host(o.procfs, o.sysfs);
      return run_follow(o, host);
    }
    case Command::daemon: {
      HostFeatures host(o.procfs, o.sysfs);
      return run_daemon(o, host);
    }
    case Command::list:
      if (o.builtin)
        return classify::run_list_builtin(o.json, o.procfs, o.module_dir, std::cout, std::cerr);
      return classify::run_list(o.json, o.procfs, o.sysfs, std::cout, std::cerr, o.module_dir);
    case Command::blame: return run_blame(o);
    case Command::plot: return run_plot(o);
    case Command::classify: return classify::run_classify(o.paths, o.json, std::cout, std::cerr);
    default: return 2;
  }
}
