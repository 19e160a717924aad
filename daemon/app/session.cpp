#include "app/session.h"

#include <malloc.h>

#include "kernel/inventory_feed.h"
#include "output/report.h"

namespace lifetrace {

std::optional<Problem> check_kernel(const Options& o, const KernelFeatures& f) {
  set_libbpf_verbose(o.verbose);
  return preflight(f);
}

std::variant<Session, Problem> start_session(const Options& o, const KernelFeatures& f,
                                             EventPipeline& pipeline, Logger& log) {
  TracerOptions topts;
  topts.mode = o.attach;
  topts.strict = o.strict;
  topts.syscall_tracepoints =
      o.no_syscall_tracepoints ? SyscallTracepoints::avoid : SyscallTracepoints::use;
  topts.ringbuf_bytes = o.ringbuf_bytes;
  auto started =
      Tracer::start(f, topts, [&pipeline](std::span<const std::byte> d) { pipeline.on_record(d); });
  if (auto* p = std::get_if<Problem>(&started)) return std::move(*p);

  Session s;
  s.tracer = std::move(std::get<std::unique_ptr<Tracer>>(started));
  for (const auto& w : s.tracer->warnings()) log.warning(w);
  report_attach(s.tracer->attach_results(), log);
  s.modules = seed_known_modules(pipeline.correlator(), o.procfs, o.sysfs,
                                 [&log](const std::string& w) { log.warning(w); });
  s.status = ready_status(s.tracer->attach_results(), s.modules.size());
  // The start's temporary memory (libbpf's vmlinux BTF, the inventory's symbol reads) is free
  // now but partly still on the heap: give those pages back before the long idle life.
  malloc_trim(0);
  return s;
}

}  // namespace lifetrace
