// `lifetrace --follow`: attach, then print lifecycle events until interrupted.
#pragma once

#include "cli.h"
#include "kernel_features.h"

namespace lifetrace {

// Runs the whole follow command; returns the process exit code.
int run_follow(const Options& o, const KernelFeatures& f);

// "lifetrace: error: ...\nHINT: ..." on stderr.
void report_problem(const Problem& p);

}  // namespace lifetrace
