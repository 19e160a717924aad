#include "core/correlator.h"

#include <fcntl.h>

#include <algorithm>
#include <type_traits>

namespace lifetrace {

namespace {
constexpr std::uint64_t since(std::uint64_t start, std::uint64_t now) {
  return now >= start ? now - start : 0;
}
}  // namespace

void Correlator::add_known_module(const std::string& name, classify::Language language,
                                  std::uint64_t loaded_mono_ns) {
  Module m;
  m.name = name;
  m.language = language;
  m.load_start_ns = loaded_mono_ns;
  known_[name] = std::move(m);
}

classify::Language Correlator::language_of(const std::string& name) const {
  for (const auto& [addr, m] : modules_)
    if (m.name == name) return m.language;
  if (auto it = known_.find(name); it != known_.end()) return it->second.language;
  return classify::Language::unknown;
}

Event Correlator::make(EventKind kind, const RecordHeader& h) const {
  Event e;
  e.kind = kind;
  e.mono_ns = h.ts_ns;
  e.pid = h.pid;
  e.tid = h.tid;
  e.uid = h.uid;
  e.cgroup_id = h.cgroup_id;
  e.comm = h.comm;
  e.via_kprobe = (h.flags & LT_F_KPROBE) != 0;
  return e;
}

Correlator::Module* Correlator::module_by_name(const std::string& name) {
  for (auto& [addr, m] : modules_)
    if (m.name == name) return &m;
  if (auto it = known_.find(name); it != known_.end()) return &it->second;
  return nullptr;
}

template <typename Map>
void Correlator::bound(Map& m) {
  // Entries whose closing record was lost (ring buffer full, a probe that
  // did not attach) must not accumulate forever. Keys are thread ids or
  // addresses, not ages, so this drops an arbitrary one: good enough for a
  // limit that only a broken feed reaches.
  while (m.size() > kMaxInflight) {
    m.erase(m.begin());
    ++stats_.evicted;
  }
}

std::vector<Event> Correlator::feed(const Record& r) {
  std::vector<Event> out;
  ++stats_.records;
  std::visit([&](const auto& body) { on(r.h, body, out); }, r.body);
  stats_.events += out.size();
  return out;
}

void Correlator::on(const RecordHeader& h, const LoadEnter& b, std::vector<Event>& out) {
  Load l;
  l.start_ns = h.ts_ns;
  l.syscall = b.syscall;
  l.name_hint = b.name.empty() ? module_name_from_file(b.file) : b.name;
  l.params = b.params;
  l.chain = chain_for_load(h);
  if (l.chain) ++stats_.chained_loads;
  if (b.syscall == LT_SYS_INIT_MODULE) l.len = b.len;
  loads_[h.tid] = l;
  bound(loads_);

  Event e = make(EventKind::load_start, h);
  e.module = l.name_hint;
  e.language = language_of(l.name_hint);
  e.syscall = syscall_name(b.syscall);
  e.params = b.params;
  if (h.flags & LT_F_PARAMS_TRUNCATED) e.params_truncated = true;
  if (b.syscall == LT_SYS_FINIT_MODULE) {
    e.file = b.file;
    e.flags = b.flags;
  } else {
    e.size_bytes = b.len;
  }
  stamp(e, l.chain);
  out.push_back(std::move(e));
}

void Correlator::on(const RecordHeader& h, const SymbolBatch& b, std::vector<Event>&) {
  auto& c = symbols_[b.mod];
  for (const auto& s : b.symbols) {
    c.add(classify::Symbol{s.name, classify::symbol_kind(s.type), classify::symbol_defined(s.type),
                           s.truncated});
  }
  (void)h;
  bound(symbols_);
}

void Correlator::on(const RecordHeader& h, const ModInit& b, std::vector<Event>& out) {
  Module m;
  m.name = b.name;
  m.taints = b.taints;
  m.size = b.core_size + b.init_size;
  if (h.flags & LT_F_SIG_KNOWN) m.sig_ok = (h.flags & LT_F_SIG_OK) != 0;

  Event e = make(EventKind::init_start, h);
  if (h.flags & LT_F_NO_KALLSYMS) {
    // Nothing to classify from: say so rather than guess.
    classify::Result r;
    r.evidence.note = "the module's symbol table was not readable at load time";
    e.classification = std::move(r);
  } else if (auto sym = symbols_.find(b.mod); sym != symbols_.end() || b.nsyms > 0) {
    classify::Classifier empty;
    classify::Classifier& c = sym != symbols_.end() ? sym->second : empty;
    if (!b.init_symbol.empty()) c.set_init_symbol(b.init_symbol);
    auto result = c.finish();
    // The BPF walk stops at LT_MAX_SYMBOLS, and symbol batches can be lost
    // on the way: then the language comes from part of the table only.
    const std::uint64_t received = result.evidence.symbols;
    const std::uint64_t over_limit = b.nsyms > LT_MAX_SYMBOLS ? b.nsyms - LT_MAX_SYMBOLS : 0;
    const std::uint64_t lost = b.nsyms_sent > received ? b.nsyms_sent - received : 0;
    if (over_limit + lost > 0) {
      result.evidence.symbols_unread = over_limit + lost;
      result.evidence.note = std::to_string(over_limit + lost) + " of the module's " +
                             std::to_string(b.nsyms) + " symbols did not reach lifetrace (" +
                             std::to_string(over_limit) + " over the walk's limit, " +
                             std::to_string(lost) + " lost)";
      ++stats_.partial_symbol_tables;
    }
    m.language = result.language;
    e.classification = std::move(result);
    if (sym != symbols_.end()) symbols_.erase(sym);
  }

  auto load = loads_.find(h.tid);
  if (load != loads_.end()) {
    load->second.mod = b.mod;
    m.load_start_ns = load->second.start_ns;
    m.chain = load->second.chain;
    e.params = load->second.params;
    stamp(e, m.chain);
  } else {
    ++stats_.orphan_records;  // we started while this load was in flight
  }

  e.module = m.name;
  e.module_addr = b.mod;
  e.language = m.language;
  e.taints = module_taint_letters(b.taints);
  e.sig_ok = m.sig_ok;
  e.size_bytes = m.size;
  if (!b.init_symbol.empty()) e.init_symbol = b.init_symbol;
  modules_[b.mod] = std::move(m);
  bound(modules_);
  out.push_back(std::move(e));
}

void Correlator::on(const RecordHeader& h, const InitcallStart& b, std::vector<Event>&) {
  if (auto it = modules_.find(b.mod); it != modules_.end()) {
    it->second.initcall_start_ns = h.ts_ns;
  } else {
    ++stats_.orphan_records;
  }
}

void Correlator::on(const RecordHeader& h, const InitcallDone& b, std::vector<Event>& out) {
  auto it = modules_.find(b.mod);
  if (it == modules_.end()) {
    ++stats_.orphan_records;
    return;
  }
  Event e = make(EventKind::init_done, h);
  e.module = it->second.name;
  e.module_addr = b.mod;
  e.language = it->second.language;
  e.ret = b.ret;
  if (it->second.initcall_start_ns) e.init_ns = since(it->second.initcall_start_ns, h.ts_ns);
  it->second.init_ns = e.init_ns;
  stamp(e, it->second.chain);
  out.push_back(std::move(e));
}

void Correlator::on(const RecordHeader& h, const ModInitDone& b, std::vector<Event>& out) {
  auto it = modules_.find(b.mod);
  if (it == modules_.end()) {
    ++stats_.orphan_records;
    return;
  }
  Module& m = it->second;
  Event e = make(b.ret == 0 ? EventKind::live : EventKind::load_failed, h);
  e.module = m.name;
  e.module_addr = b.mod;
  e.language = m.language;
  e.ret = b.ret;
  if (m.load_start_ns) e.load_ns = since(m.load_start_ns, h.ts_ns);
  if (b.ret != 0) e.stage = Stage::init;
  e.init_ns = m.init_ns;  // blame and plot split a load without phases into before/in init
  // What a consumer of `live` needs to know about the module now loaded.
  e.taints = module_taint_letters(m.taints);
  e.sig_ok = m.sig_ok;
  stamp(e, m.chain);
  m.chain.reset();  // the load is over; later events of the module are not the request's
  auto load = loads_.find(h.tid);
  if (load != loads_.end()) add_phases(e, load->second);
  out.push_back(std::move(e));
  if (load != loads_.end()) {
    (b.ret == 0 ? load->second.live_reported : load->second.failure_reported) = true;
    flush_deferred_free(load->second, out);
  }
}

void Correlator::flush_deferred_free(Load& l, std::vector<Event>& out) {
  if (!l.deferred_freed) return;
  out.push_back(std::move(*l.deferred_freed));
  l.deferred_freed.reset();
  modules_.erase(l.mod);
}

void Correlator::on(const RecordHeader& h, const LoadExit& b, std::vector<Event>& out) {
  auto it = loads_.find(h.tid);
  if (it == loads_.end()) {
    // The syscall started before we did. Only a failure is worth telling.
    if (b.ret < 0) {
      Event e = make(EventKind::load_failed, h);
      e.ret = b.ret;
      e.syscall = syscall_name(b.syscall);
      stamp(e, chain_for_load(h));
      out.push_back(std::move(e));
    }
    ++stats_.orphan_records;
    return;
  }
  Load l = std::move(it->second);
  loads_.erase(it);
  const Module* m = nullptr;
  if (l.mod) {
    if (auto mi = modules_.find(l.mod); mi != modules_.end()) m = &mi->second;
  }
  if (b.ret < 0 && !l.failure_reported) {
    // Failed before do_init_module (bad parameter, unknown symbol, duplicate,
    // signature...), or in init when the do_init_module exit probe is missing.
    Event e = make(EventKind::load_failed, h);
    e.module = m ? m->name : l.name_hint;
    e.language = m ? m->language : language_of(e.module);
    e.module_addr = l.mod;
    e.ret = b.ret;
    e.stage = l.mod ? Stage::init : Stage::before_init;
    e.load_ns = since(l.start_ns, h.ts_ns);
    e.syscall = syscall_name(b.syscall);
    stamp(e, l.chain);
    add_phases(e, l);
    out.push_back(std::move(e));
    flush_deferred_free(l, out);
  } else if (b.ret == 0 && !m && l.phases && duplicate_waiter(*l.phases)) {
    // 6.6+: this finit_module found another thread loading the same file, waited for it and
    // returned its result. It loaded nothing itself: a duplicate, not a load of its own.
    Event e = make(EventKind::load_failed, h);
    e.module = l.name_hint;
    e.language = language_of(e.module);
    e.ret = b.ret;
    e.stage = Stage::before_init;
    e.load_ns = since(l.start_ns, h.ts_ns);
    e.syscall = syscall_name(b.syscall);
    stamp(e, l.chain);
    add_phases(e, l);
    e.failed_in = "already_loading";
    out.push_back(std::move(e));
  } else if (b.ret == 0 && m && !l.live_reported) {
    // do_init_module's exit probe did not report: the syscall's success is
    // the next best proof that the module is live.
    Event e = make(EventKind::live, h);
    e.module = m->name;
    e.module_addr = l.mod;
    e.language = m->language;
    e.ret = 0;
    e.load_ns = since(l.start_ns, h.ts_ns);
    e.init_ns = m->init_ns;
    e.taints = module_taint_letters(m->taints);
    e.sig_ok = m->sig_ok;
    stamp(e, l.chain);
    add_phases(e, l);
    out.push_back(std::move(e));
  }
}

void Correlator::on(const RecordHeader& h, const LoadPhases& b, std::vector<Event>&) {
  auto it = loads_.find(h.tid);
  if (it == loads_.end()) {
    ++stats_.orphan_records;  // the load started before we did
    return;
  }
  it->second.phases = b;
}

void Correlator::add_phases(Event& e, const Load& l) const {
  if (!l.phases) return;
  apply_phases(e, *l.phases);
  // init_module's image was copied in from the caller (copy_module_from_user, often inlined):
  // its length is what was read, unless that copy is what failed.
  if (l.syscall == LT_SYS_INIT_MODULE && e.read_bytes.value_or(0) == 0 &&
      e.failed_in.value_or("") != "read")
    e.read_bytes = l.len;
}

void Correlator::on(const RecordHeader& h, const UnloadEnter& b, std::vector<Event>& out) {
  Unload u;
  u.start_ns = h.ts_ns;
  u.name = b.name;
  u.language = language_of(b.name);
  unloads_[h.tid] = u;
  bound(unloads_);

  Event e = make(EventKind::unload_start, h);
  e.module = b.name;
  e.language = u.language;
  e.flags = b.flags;
  e.forced = (b.flags & O_TRUNC) != 0;
  out.push_back(std::move(e));
}

void Correlator::on(const RecordHeader& h, const ModFree& b, std::vector<Event>& out) {
  Event e = make(EventKind::freed, h);
  e.module = b.name;
  e.module_addr = b.mod;
  e.size_bytes = b.size;
  e.taints = module_taint_letters(b.taints);
  auto it = modules_.find(b.mod);
  const Module* m = it != modules_.end() ? &it->second : module_by_name(b.name);
  if (m) {
    e.language = m->language;
    if (m->load_start_ns) e.lifetime_ns = since(m->load_start_ns, h.ts_ns);
  }
  if (auto load = loads_.find(h.tid);
      load != loads_.end() && load->second.mod == b.mod && !load->second.failure_reported) {
    // Freed inside a failing do_init_module: report after load_failed.
    stamp(e, load->second.chain);
    load->second.deferred_freed = std::move(e);
    return;
  }
  if (auto u = unloads_.find(h.tid); u != unloads_.end()) u->second.freed_ns = h.ts_ns;
  if (it != modules_.end()) {
    modules_.erase(it);
  } else {
    known_.erase(b.name);
  }
  out.push_back(std::move(e));
}

void Correlator::on(const RecordHeader& h, const UnloadExit& b, std::vector<Event>& out) {
  Event e = make(EventKind::unload_done, h);
  e.ret = b.ret;
  auto it = unloads_.find(h.tid);
  if (it == unloads_.end()) {
    ++stats_.orphan_records;
  } else {
    e.module = it->second.name;
    e.language = it->second.language;  // the module itself is gone by now
    if (it->second.freed_ns) e.exit_ns = since(it->second.start_ns, it->second.freed_ns);
    unloads_.erase(it);
  }
  out.push_back(std::move(e));
}

void Correlator::on(const RecordHeader& h, const Denied& b, std::vector<Event>& out) {
  // The BPF side reports a key at most every LT_DENIED_REPORT_NS with its
  // running total; the event says how many attempts this report covers.
  auto& seen = denied_seen_[{h.uid, b.syscall}];
  Event e = make(EventKind::denied, h);
  e.syscall = syscall_name(b.syscall);
  e.ret = b.ret;
  e.attempts = b.attempts > seen ? b.attempts - seen : 1;
  seen = b.attempts;
  bound(denied_seen_);
  out.push_back(std::move(e));
}

// ---- The request chain (issue 12) ----------------------------------------------------------
//
// request (requester task, NAME) --FIFO by NAME--> helper exec (modprobe's pid, NAME)
//   --by pid--> every load that modprobe makes (its dependencies too).
// The request event gets the next request_id; the loads get the request's fields.

void Correlator::stamp(Event& e, const std::optional<Chain>& chain) {
  if (!chain) return;
  e.request_id = chain->id;
  e.requested_name = chain->requested_name;
  e.requester_pid = chain->requester_pid;
  e.requester_comm = chain->requester_comm;
}

void Correlator::expire_chain(std::uint64_t now_ns) {
  while (!requests_.empty() && since(requests_.front().ts_ns, now_ns) > kRequestTtlNs) {
    requests_.pop_front();
    ++stats_.requests_expired;
  }
  std::erase_if(helpers_, [now_ns](const auto& kv) {
    return since(kv.second.exec_ns, now_ns) > kHelperTtlNs;
  });
}

std::optional<Correlator::Chain> Correlator::chain_for_load(const RecordHeader& h) {
  expire_chain(h.ts_ns);
  auto it = helpers_.find(h.pid);
  if (it == helpers_.end()) return std::nullopt;
  return it->second.chain;
}

void Correlator::on(const RecordHeader& h, const Request& b, std::vector<Event>& out) {
  expire_chain(h.ts_ns);
  PendingRequest p;
  p.chain = Chain{next_request_id_++, b.name, h.pid, h.comm};
  p.ts_ns = h.ts_ns;

  Event e = make(EventKind::request, h);
  e.module = b.name;
  e.wait = b.wait;
  stamp(e, p.chain);
  out.push_back(std::move(e));

  requests_.push_back(std::move(p));
  while (requests_.size() > kMaxPendingRequests) {
    requests_.pop_front();
    ++stats_.evicted;
  }
}

void Correlator::on(const RecordHeader& h, const UmhExec& b, std::vector<Event>&) {
  expire_chain(h.ts_ns);
  // The oldest request of that name: the kernel starts helpers in the order it was asked.
  auto req = std::find_if(requests_.begin(), requests_.end(), [&b](const PendingRequest& p) {
    return p.chain.requested_name == b.name;
  });
  if (req == requests_.end()) {
    ++stats_.unmatched_helpers;  // its request was lost, expired, or came before we started
    return;
  }
  // A pid seen before is a new process now: the new modprobe replaces the old entry.
  helpers_[h.pid] = Helper{std::move(req->chain), h.ts_ns};
  requests_.erase(req);
  ++stats_.requests_linked;
  while (helpers_.size() > kMaxHelpers) {
    auto oldest = std::min_element(
        helpers_.begin(), helpers_.end(),
        [](const auto& x, const auto& y) { return x.second.exec_ns < y.second.exec_ns; });
    helpers_.erase(oldest);
    ++stats_.evicted;
  }
}

}  // namespace lifetrace
