// `lifetrace classify` (offline, module files) and `lifetrace list` (an lsmod
// with a language column). The lead wires these into the lifetrace binary.
#pragma once

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "classify/elf_module.h"

namespace lifetrace::classify {

struct ClassifyOptions {
  bool json = false;
  unsigned jobs = 0;  // worker threads; 0 = number of online CPUs
};

// Classifies files and directories (recursively: *.ko, *.ko.xz, *.ko.zst,
// *.ko.gz). Human output: an aligned table and a summary line; --json: one
// NDJSON object per file. Returns 0, 1 if any file failed (the others are
// still reported), 2 on usage errors (no paths / a path does not exist).
int run_classify(const std::vector<std::string>& paths, bool json, std::ostream& out,
                 std::ostream& err);
int run_classify(const std::vector<std::string>& paths, const ClassifyOptions& options,
                 std::ostream& out, std::ostream& err);

// lsmod with Language, Taints and State columns. Returns 1 with a single clear
// message on a kernel without loadable module support. With --json, each
// module's file (from modules.dep in `moddir`; empty = the running kernel's)
// and its provenance (classify/provenance.h).
int run_list(bool json, const std::filesystem::path& procfs, const std::filesystem::path& sysfs,
             std::ostream& out, std::ostream& err, const std::filesystem::path& moddir = {});

// Building blocks (also used by the benchmark and the corpus check).
// Expands directories into sorted module files; explicit files are kept as
// given. Walk errors are appended to `errors` as "PATH: message".
std::vector<std::filesystem::path> collect_module_files(const std::vector<std::string>& paths,
                                                        std::vector<std::string>& errors);
// Classifies `files` on `jobs` threads; results are in the order of `files`.
std::vector<ModuleFile> classify_files(const std::vector<std::filesystem::path>& files,
                                       unsigned jobs = 0);
// Runs fn(i) for i in [0, n) on up to `jobs` threads (0 = online CPUs).
void parallel_for(size_t n, unsigned jobs, const std::function<void(size_t)>& fn);

}  // namespace lifetrace::classify
