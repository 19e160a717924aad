// `lifetrace --follow`: through a running daemon's follow socket when one
// listens, otherwise standalone (load the BPF programs, print events until
// interrupted).
#pragma once

#include "app/cli.h"
#include "kernel/kernel_features.h"

namespace lifetrace {

// Runs the whole follow command; returns the process exit code.
int run_follow(const Options& o, const KernelFeatures& f);

}  // namespace lifetrace
