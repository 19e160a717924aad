#include "app/session.h"

#include <malloc.h>

#include <filesystem>
#include <map>
#include <memory>
#include <tuple>

#include "classify/elf_module.h"
#include "classify/provenance.h"
#include "kernel/inventory_feed.h"
#include "output/report.h"
#include "util/text.h"

namespace lifetrace {

std::function<void(Event&)> provenance_enricher(const std::string& module_dir) {
  using Key = std::tuple<std::string, std::uintmax_t, std::int64_t>;
  auto cache = std::make_shared<std::map<Key, classify::Provenance>>();
  return [cache, module_dir](Event& e) {
    if (e.kind != EventKind::live || e.module.empty()) return;
    const auto file = classify::module_file_for(e.module, module_dir);
    if (!file) return;
    std::error_code ec;
    const auto size = std::filesystem::file_size(*file, ec);
    if (ec) return;
    const auto mtime = std::filesystem::last_write_time(*file, ec);
    if (ec) return;
    Key key{file->string(), size, mtime.time_since_epoch().count()};
    auto it = cache->find(key);
    if (it == cache->end()) {
      classify::ModuleFile mf = classify::classify_file(*file);
      if (!mf.ok()) return;
      if (cache->size() >= 1024) cache->clear();  // bounded: one entry per module file
      it = cache->emplace(key, std::move(mf.provenance)).first;
    }
    const classify::Provenance& p = it->second;
    e.module_file = util::sanitize(file->string());
    if (!p.sha256.empty()) e.sha256 = p.sha256;
    if (!p.rustc_version.empty()) e.rustc_version = p.rustc_version;
    e.intree = p.intree;
    if (!p.signer.empty()) e.signer = p.signer;
    if (!p.sig_key.empty()) e.sig_key = p.sig_key;
    if (!p.sig_hashalgo.empty()) e.sig_hashalgo = p.sig_hashalgo;
  };
}

std::optional<Problem> check_kernel(const Options& o, const KernelFeatures& f) {
  set_libbpf_verbose(o.verbose);
  return preflight(f);
}

std::variant<Session, Problem> start_session(const Options& o, const KernelFeatures& f,
                                             EventPipeline& pipeline, Logger& log) {
  pipeline.enrich = provenance_enricher(o.module_dir);
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
  for (const auto& n : s.tracer->notes()) log.debug(n);
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
