// What both tracing commands (--follow and daemon) do once the kernel has
// passed preflight: load and attach the programs, report how that went, and
// take the inventory of the modules already loaded -- after attaching, so a
// module loaded in between is in the inventory and in the ring buffer, and
// nothing falls between the two.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "app/cli.h"
#include "classify/inventory.h"
#include "core/pipeline.h"
#include "core/problem.h"
#include "kernel/kernel_features.h"
#include "kernel/tracer.h"
#include "output/log.h"

namespace lifetrace {

struct Session {
  std::unique_ptr<Tracer> tracer;             // records go to the pipeline
  std::vector<classify::ModuleInfo> modules;  // loaded when tracing started
  std::string status;  // "12 of 12 probes attached (...), N modules loaded at start"
};

// Routes libbpf's messages (-v) and checks that this kernel and process can
// trace module lifecycles at all; the first thing both commands do.
std::optional<Problem> check_kernel(const Options& o, const KernelFeatures& f);

// Records from the tracer go to `pipeline`, which must outlive the session.
// The pipeline's enrich hook: a `live` event gets the provenance of the file
// modules.dep (in `module_dir`, "" = the running kernel's) names for its
// module — rustc version, in-tree, signer, SHA-256 — read once per file
// (path, size, mtime) and kept.
std::function<void(Event&)> provenance_enricher(const std::string& module_dir);

std::variant<Session, Problem> start_session(const Options& o, const KernelFeatures& f,
                                             EventPipeline& pipeline, Logger& log);

}  // namespace lifetrace
