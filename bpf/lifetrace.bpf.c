// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lifetrace: kernel module lifecycle probes.
 *
 * Emits raw records (lifetrace.h) into one ring buffer; the daemon's
 * correlator turns them into load/init/live/unload/free events. Programs come
 * in twins: fentry/fexit/tp_btf where the kernel has BPF trampolines and BTF,
 * kprobe/kretprobe/raw_tp otherwise. The loader enables exactly one of each
 * pair before load (the probe table and its chooser in daemon/kernel/probes.cpp,
 * fed by the feature probes in daemon/kernel/kernel_features.cpp).
 */
#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "lifetrace.h"
#include "core_fixes.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define LT_EPERM 1 /* include/uapi/asm-generic/errno-base.h */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20); /* resized by the loader (--ringbuf-size) */
} events SEC(".maps");

/* Records lost, by enum lt_lost_reason. Read by the daemon at scrape time. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LT_LOST_MAX);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* A module being initialised by this thread (do_init_module entry to exit).
 * LRU so that an exit we never saw cannot leak entries forever. */
struct pending_init {
	__u64 mod;
	__u64 init_fn;
	__u32 in_initcall;
	__u32 _pad;
};
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct pending_init);
} pending SEC(".maps");

/*
 * Load and unload syscalls are held back until they are past the kernel's
 * permission check. The init_module, finit_module and delete_module
 * tracepoints fire before the kernel checks CAP_SYS_MODULE, so anyone can
 * make them fire, with strings of their choosing. Their entry records wait
 * here, per thread, and reach the lifecycle ring buffer only once the call is
 * past that check: when the module is laid out (do_init_module) or freed
 * (free_module), or when the call returns anything but -EPERM. A call refused
 * with -EPERM is a denied attempt: counted per uid and syscall in "denied",
 * and reported through its own small ring buffer at most once every
 * LT_DENIED_REPORT_NS per key, so a flood of them costs the lifecycle records
 * nothing.
 *
 * Each record is built in its own thread's entry, not in per-CPU scratch: on
 * a preemptible kernel (Debian's 7.2) two syscall tracepoint programs of two
 * tasks can interleave on one CPU, and a shared buffer swapped their records
 * (the storm on 7.2 saw one load_start twice and another never). A plain hash,
 * not LRU: an LRU map may evict a live entry before it is full. An entry whose
 * exit was never seen is overwritten when its thread id comes back; if the map
 * is full anyway, the record is counted lost (pending_map_full).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct lt_event);
} held SEC(".maps");
/* All zeroes, never written: what a new held entry starts as. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_event);
} zero_event SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct lt_denied_key);
	__type(value, struct lt_denied_count);
} denied SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 10);
} denied_events SEC(".maps");

/* Per-CPU scratch: a symbol batch being filled and the LT_REC_MOD_INIT
 * record that follows the walk (both too big for the 512-byte stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_symbols_event);
} symbuf SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_event);
} initbuf SEC(".maps");

static __always_inline void count_lost(__u32 reason)
{
	__u64 *v = bpf_map_lookup_elem(&lost, &reason);

	if (v)
		*v += 1;
}

static __always_inline void fill_header(struct lt_header *h, __u32 type, __u32 flags)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 ug = bpf_get_current_uid_gid();

	h->type = type;
	h->flags = flags;
	h->ts_ns = bpf_ktime_get_ns();
	h->tid = (__u32)id;
	h->tgid = id >> 32;
	h->uid = (__u32)ug;
	h->gid = ug >> 32;
	h->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* Reserve a zeroed record: nothing uninitialised reaches user space. */
static __always_inline struct lt_event *reserve(__u32 type, __u32 flags)
{
	struct lt_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count_lost(LT_LOST_RINGBUF_FULL);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	fill_header(&e->h, type, flags);
	return e;
}

/* This thread's held entry record, zeroed, with its header filled: the
 * caller fills the rest in place, and it stays held until release_held() or
 * the syscall's exit. 0 (counted) when the map is full. */
static __always_inline struct lt_event *entry_record(__u32 type)
{
	__u32 zero = 0, tid = (__u32)bpf_get_current_pid_tgid();
	struct lt_event *z = bpf_map_lookup_elem(&zero_event, &zero), *e;

	if (!z || bpf_map_update_elem(&held, &tid, z, BPF_ANY)) {
		count_lost(LT_LOST_PENDING_FULL);
		return 0;
	}
	e = bpf_map_lookup_elem(&held, &tid);
	if (!e)
		return 0;
	fill_header(&e->h, type, 0);
	return e;
}

/* The call is past its permission check: its entry record goes out now,
 * before anything the call itself causes. */
static __always_inline void release_held(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct lt_event *e = bpf_map_lookup_elem(&held, &tid);

	if (!e)
		return;
	if (bpf_ringbuf_output(&events, e, sizeof(*e), 0))
		count_lost(LT_LOST_RINGBUF_FULL);
	bpf_map_delete_elem(&held, &tid);
}

/* At the syscall's exit: true when it was refused at its permission check
 * (then counted and maybe reported as denied, and nothing else goes out);
 * otherwise the held entry record is released. */
static __always_inline bool settle_held(__u32 syscall, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct lt_denied_key key = {};
	struct lt_denied_count one = {.attempts = 1}, *c;
	struct lt_event *e;
	__u64 now, total;

	if (ret != -LT_EPERM || !bpf_map_lookup_elem(&held, &tid)) {
		release_held();
		return false;
	}
	bpf_map_delete_elem(&held, &tid);
	key.uid = (__u32)bpf_get_current_uid_gid();
	key.syscall = syscall;
	now = bpf_ktime_get_ns();
	c = bpf_map_lookup_elem(&denied, &key);
	if (!c) {
		bpf_map_update_elem(&denied, &key, &one, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&denied, &key);
		if (!c)
			return true;
	} else {
		__sync_fetch_and_add(&c->attempts, 1);
		if (c->reported_ns && now - c->reported_ns < LT_DENIED_REPORT_NS)
			return true;
	}
	total = c->attempts;
	c->reported_ns = now;
	e = bpf_ringbuf_reserve(&denied_events, sizeof(*e), 0);
	if (!e)
		return true; /* still counted in "denied" */
	__builtin_memset(e, 0, sizeof(*e));
	fill_header(&e->h, LT_REC_DENIED, 0);
	e->denied.syscall = syscall;
	e->denied.ret = ret;
	e->denied.attempts = total;
	bpf_ringbuf_submit(e, 0);
	return true;
}

/* ---- phases of a load (issue 12, docs/phases.md) -----------------------
 *
 * Between a load syscall's entry and the module being live (or the syscall
 * failing), the kernel runs a series of steps. One kprobe program
 * (load_phase_enter) and one kretprobe program (load_phase_exit) are
 * attached to every function of the load path this kernel lets us probe
 * (daemon/kernel/phases.cpp decides, from the kernel's BTF, or kallsyms on a
 * kernel without BTF); each attachment's BPF
 * cookie names the phase (lifetrace.h, LT_PHC_*). bpf_get_attach_cookie()
 * is Linux 5.15+: older kernels get no phases.
 *
 * Only a thread inside a load syscall counts: its state is created at the
 * syscall's entry (on_load_enter) and the functions also run outside loads
 * (kernel_read_file reads firmware, parse_args boot parameters) find none.
 * A small stack per thread gives self times: time is charged to the phase
 * on top, so nested phases are not counted twice. Everything nested in the
 * module's init (LT_PH_INIT) is init time: a module that reads firmware in
 * its init does not start a "read" phase. The phase whose exit returned an
 * error is the failure step: the innermost one whose error its caller did
 * not swallow (mod_verify_sig fails on every unsigned module when signatures
 * are not enforced; module_sig_check then returns 0).
 *
 * The accumulated phases go out once per load, as LT_REC_PHASES, just
 * before LT_REC_MOD_INIT_DONE (the module is live or its init failed) or,
 * for a load that never got that far, before LT_REC_LOAD_EXIT.
 */
struct lt_phase_state {
	__u64 start_ns;
	__u64 last_ns; /* last time the stack changed: time since then is the top's */
	__u64 read_bytes;
	__u64 ns[LT_PH_SLOTS];
	__u8 order[LT_PH_SLOTS];
	__u8 ignored[LT_PH_SLOTS]; /* entries not pushed, per phase: their exits are skipped */
	__u8 stack[LT_PH_DEPTH];
	__u32 depth;
	__u32 count;
	__u32 seen; /* bit per phase id */
	__u32 flags;
	__u32 err_phase; /* LT_PH_NONE: no unhandled error */
	__u32 err_depth; /* stack index the failing phase had */
	__s32 err_ret;
	__u32 syscall; /* enum lt_load_syscall */
};

/* Key 0: nonzero when the loader attached the phase programs. Set by the
 * daemon after load; a map, not a .rodata constant (see image_section()). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} phase_config SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct lt_phase_state);
} phase_state SEC(".maps"); /* not LRU, as `held` below: an entry whose exit was
				* skipped is overwritten when its thread loads again */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_phase_state);
} phase_zero SEC(".maps");

/* At a load syscall's entry: a fresh state for this thread. */
static __always_inline void phases_begin(__u32 syscall, __u64 now)
{
	__u32 zero = 0, tid = (__u32)bpf_get_current_pid_tgid();
	__u32 *on = bpf_map_lookup_elem(&phase_config, &zero);
	struct lt_phase_state *z, *s;

	if (!on || !*on)
		return;
	z = bpf_map_lookup_elem(&phase_zero, &zero);
	if (!z || bpf_map_update_elem(&phase_state, &tid, z, BPF_ANY)) {
		count_lost(LT_LOST_PENDING_FULL);
		return;
	}
	s = bpf_map_lookup_elem(&phase_state, &tid);
	if (!s)
		return;
	s->start_ns = now;
	s->last_ns = now;
	s->syscall = syscall;
}

/* Time since the last change goes to the phase on top (none at depth 0:
 * the syscall's own code, which no phase covers). */
static __always_inline void phase_charge(struct lt_phase_state *s, __u64 now)
{
	if (s->depth > 0 && s->depth <= LT_PH_DEPTH) {
		__u32 top = s->stack[(s->depth - 1) & (LT_PH_DEPTH - 1)] & (LT_PH_SLOTS - 1);

		s->ns[top] += now - s->last_ns;
	}
	s->last_ns = now;
}

static __always_inline void phase_push(struct lt_phase_state *s, __u32 phase, __u64 now)
{
	__u32 d = s->depth;

	phase &= LT_PH_SLOTS - 1;
	if (d > 0 && d <= LT_PH_DEPTH && s->stack[(d - 1) & (LT_PH_DEPTH - 1)] == LT_PH_INIT) {
		s->ignored[phase]++; /* the module's init: all of it is init time */
		return;
	}
	if (d >= LT_PH_DEPTH) {
		s->ignored[phase]++;
		s->flags |= LT_PHF_TOO_DEEP;
		return;
	}
	phase_charge(s, now);
	/* The kernel went on after an error at this depth or deeper: it was
	 * handled, not the load's failure. */
	if (s->err_phase && s->err_depth >= d)
		s->err_phase = LT_PH_NONE;
	if (!(s->seen & (1u << phase))) {
		s->seen |= 1u << phase;
		s->order[s->count & (LT_PH_SLOTS - 1)] = phase;
		s->count++;
	}
	s->stack[d & (LT_PH_DEPTH - 1)] = phase;
	s->depth = d + 1;
}

static __always_inline bool phase_ret_is_error(__u64 cookie, long ret)
{
	if (cookie & LT_PHC_RET_INT)
		return (int)ret < 0;
	if (cookie & (LT_PHC_RET_PTR | LT_PHC_RET_BYTES))
		return ret < 0 && ret >= -4095; /* IS_ERR_VALUE, or a negative ssize_t */
	return false;
}

static __always_inline void phase_pop(struct lt_phase_state *s, __u64 cookie, long ret, __u64 now)
{
	__u32 phase = LT_PHC_PHASE(cookie) & (LT_PH_SLOTS - 1);
	__u32 d = s->depth, k = LT_PH_DEPTH;

	if (s->ignored[phase]) {
		s->ignored[phase]--;
		return;
	}
	if (d > LT_PH_DEPTH)
		d = LT_PH_DEPTH;
	/* Its frame, from the top: frames above it lost their exit (a skipped
	 * kretprobe run) and are dropped with it. */
	for (int i = LT_PH_DEPTH - 1; i >= 0; i--) {
		if (i < d && s->stack[i & (LT_PH_DEPTH - 1)] == phase) {
			k = i;
			break;
		}
	}
	if (k == LT_PH_DEPTH) {
		s->flags |= LT_PHF_UNPAIRED;
		return;
	}
	if (k + 1 != d)
		s->flags |= LT_PHF_UNPAIRED;
	phase_charge(s, now);
	s->depth = k;
	if (phase_ret_is_error(cookie, ret)) {
		/* An error a nested phase returned and this one passed on stays the
		 * nested one's; otherwise it is this phase's. */
		if (!(s->err_phase && s->err_depth > k)) {
			s->err_phase = phase;
			s->err_depth = k;
			s->err_ret = (int)ret;
		}
	} else if (s->err_phase && s->err_depth > k) {
		s->err_phase = LT_PH_NONE; /* swallowed: not why the load failed */
	}
	if ((cookie & LT_PHC_RET_BYTES) && ret > 0)
		s->read_bytes += ret;
}

/* Sends this thread's phases, if it is in a load, and forgets them. `ret`
 * is the load's result so far: a failing phase is reported only for a load
 * that failed. `now` is when the calling program started, which is also the
 * time of the record that ends the load: our own work in between (this
 * record, a held one released) is not the kernel's and counts in neither. */
static __always_inline void phases_emit(long ret, __u32 flags, __u64 now)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct lt_phase_state *s = bpf_map_lookup_elem(&phase_state, &tid);
	struct lt_event *e;

	if (!s)
		return;
	phase_charge(s, now);
	e = reserve(LT_REC_PHASES, flags);
	if (e) {
		e->phases.span_ns = now - s->start_ns;
		e->phases.read_bytes = s->read_bytes;
		e->phases.syscall = s->syscall;
		e->phases.flags = s->flags;
		if (ret < 0 && s->err_phase) {
			e->phases.failed = s->err_phase;
			e->phases.failed_ret = s->err_ret;
		}
		e->phases.count = s->count < LT_PH_SLOTS ? s->count : LT_PH_SLOTS;
		for (int i = 0; i < LT_PH_SLOTS; i++) {
			e->phases.order[i] = s->order[i];
			e->phases.ns[i] = s->ns[i];
		}
		/* Not BPF_RB_NO_WAKEUP: the kernel wakes the reader only for a record
		 * at the reader's position, so the record that follows this one would
		 * not wake it either (a storm on 7.2 lost 355 records that way). */
		bpf_ringbuf_submit(e, 0);
	}
	bpf_map_delete_elem(&phase_state, &tid);
}

/* A load refused at its permission check: nothing to send. */
static __always_inline void phases_drop(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_delete_elem(&phase_state, &tid);
}

static __always_inline int phase_enter(void *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct lt_phase_state *s = bpf_map_lookup_elem(&phase_state, &tid);

	if (s)
		phase_push(s, LT_PHC_PHASE(bpf_get_attach_cookie(ctx)), bpf_ktime_get_ns());
	return 0;
}

static __always_inline int phase_exit(void *ctx, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct lt_phase_state *s = bpf_map_lookup_elem(&phase_state, &tid);

	if (s)
		phase_pop(s, bpf_get_attach_cookie(ctx), ret, bpf_ktime_get_ns());
	return 0;
}

/* One kprobe and one kretprobe link per function (5.15+: cookies). */
SEC("kprobe")
int BPF_KPROBE(load_phase_enter)
{
	return phase_enter(ctx);
}

SEC("kretprobe")
int BPF_KRETPROBE(load_phase_exit, long ret)
{
	return phase_exit(ctx, ret);
}

/* The same as two kprobe.multi links for all the functions (5.18+, CONFIG_FPROBE) instead
 * of two links per function, which made attaching them 1-2 s of the start on 7.2 under TCG
 * (-v "attach:"); daemon/kernel/tracer.cpp attach_phases() chooses. */
SEC("kprobe.multi")
int BPF_KPROBE(load_phase_enter_multi)
{
	return phase_enter(ctx);
}

SEC("kretprobe.multi")
int BPF_KRETPROBE(load_phase_exit_multi, long ret)
{
	return phase_exit(ctx, ret);
}

/* ---- load syscalls --------------------------------------------------- */

static __always_inline void read_fd_name(int fd, char *dst, __u32 len)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *f = 0;
	const unsigned char *name;

	if (!fdt || fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	if (!f)
		return;
	name = BPF_CORE_READ(f, f_path.dentry, d_name.name);
	bpf_probe_read_kernel_str(dst, len, name);
}

/*
 * init_module() passes the module as an ELF image in user memory and nothing
 * names it until the kernel lays it out. Read the name the way the kernel
 * does: struct module's name inside the .gnu.linkonce.this_module section.
 * Best effort: any inconsistency leaves the name empty.
 */
#define LT_MAX_SECTIONS 256

struct image_walk {
	const char *img;
	__u64 len;
	__u64 shoff;
	__u64 stroff;
	__u64 found; /* the section's file offset once found (never 0: that is the ELF header) */
	__u32 shnum;
};

/* The section name compared as four little-endian words, not 26 bytes: the verifier walks
 * the loop body once per section (256 times), and a byte-wise compare made that 208 878
 * instructions and 85 % of the start's BPF load time on 7.2 (lifetrace -v, "load:"). */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the words below are little-endian");
#define LT_W8(a, b, c, d, e, f, g, h)                                                            \
	((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 | (__u64)(e) << 32 | \
	 (__u64)(f) << 40 | (__u64)(g) << 48 | (__u64)(h) << 56)

/* One section header: returns 1 when the walk is over. */
static __always_inline int image_section(struct image_walk *w, __u32 i)
{
	/* ".gnu.linkonce.this_module" and its NUL: 26 bytes, read into 32 zeroed ones, so
	 * the last word is "e" followed by seven zero bytes. */
	__u64 sec[4] = {};
	__u32 sh_name = 0;
	__u64 sh_offset = 0, sh = w->shoff + (__u64)i * sizeof(Elf64_Shdr);

	if (i >= w->shnum)
		return 1;
	if (bpf_probe_read_user(&sh_name, sizeof(sh_name), w->img + sh))
		return 1;
	if (bpf_probe_read_user(sec, 26, w->img + w->stroff + sh_name))
		return 0;
	if (sec[0] != LT_W8('.', 'g', 'n', 'u', '.', 'l', 'i', 'n') ||
	    sec[1] != LT_W8('k', 'o', 'n', 'c', 'e', '.', 't', 'h') ||
	    sec[2] != LT_W8('i', 's', '_', 'm', 'o', 'd', 'u', 'l') ||
	    sec[3] != LT_W8('e', 0, 0, 0, 0, 0, 0, 0))
		return 0;
	if (!bpf_probe_read_user(&sh_offset, sizeof(sh_offset),
				 w->img + sh + __builtin_offsetof(Elf64_Shdr, sh_offset)) &&
	    sh_offset < w->len)
		w->found = sh_offset;
	return 1;
}

/* The same step as a bpf_loop() callback (5.17+): the verifier checks it once, where it walks
 * the bounded loop below once per section (65 000 instructions, two thirds of the start's
 * BPF load on 7.2 even with the name compared as words). */
static long image_walk_one(__u32 i, void *data)
{
	return image_section(data, i);
}

static __always_inline void read_image_name(const char *img, __u64 len, char *dst, bool loop)
{
	struct image_walk w = {};
	__u16 shnum = 0, shstrndx = 0;
	__u32 magic = 0;

	if (len < sizeof(Elf64_Ehdr) || bpf_probe_read_user(&magic, sizeof(magic), img) ||
	    magic != 0x464c457f) /* "\x7fELF" */
		return;
	bpf_probe_read_user(&w.shoff, sizeof(w.shoff),
			    img + __builtin_offsetof(Elf64_Ehdr, e_shoff));
	bpf_probe_read_user(&shnum, sizeof(shnum), img + __builtin_offsetof(Elf64_Ehdr, e_shnum));
	bpf_probe_read_user(&shstrndx, sizeof(shstrndx),
			    img + __builtin_offsetof(Elf64_Ehdr, e_shstrndx));
	if (!w.shoff || w.shoff >= len || shstrndx >= shnum)
		return;
	if (bpf_probe_read_user(&w.stroff, sizeof(w.stroff),
				img + w.shoff + shstrndx * sizeof(Elf64_Shdr) +
					__builtin_offsetof(Elf64_Shdr, sh_offset)))
		return;
	w.img = img;
	w.len = len;
	w.shnum = shnum < LT_MAX_SECTIONS ? shnum : LT_MAX_SECTIONS;
	if (loop) {
		bpf_loop(LT_MAX_SECTIONS, image_walk_one, &w, 0);
	} else {
#pragma clang loop unroll(disable)
		for (__u32 i = 0; i < LT_MAX_SECTIONS; i++)
			if (image_section(&w, i))
				break;
	}
	/* Read once, after the loop, straight into the record: every way out of the loop then
	 * meets here with one scalar, and the verifier does not walk a 56-byte copy per exit. */
	if (w.found)
		bpf_probe_read_user_str(dst, LT_MODNAME_LEN,
					img + w.found + bpf_core_field_offset(struct module, name));
}

/* `loop`: walk init_module's image with bpf_loop() (5.17+), else with a bounded loop. */
static __always_inline int on_load_enter(__u32 syscall, const char *image, const void *uargs,
					 int fd, __u32 flags, __u64 len, __u32 hflags, bool loop)
{
	struct lt_event *e = entry_record(LT_REC_LOAD_ENTER);
	__u64 now;
	long n;

	if (!e) {
		phases_begin(syscall, bpf_ktime_get_ns());
		return 0;
	}
	e->h.flags |= hflags;
	e->load_enter.syscall = syscall;
	e->load_enter.fd = fd;
	e->load_enter.flags = flags;
	e->load_enter.len = len;
	n = bpf_probe_read_user_str(e->load_enter.params, sizeof(e->load_enter.params), uargs);
	if (n == sizeof(e->load_enter.params))
		e->h.flags |= LT_F_PARAMS_TRUNCATED;
	if (syscall == LT_SYS_FINIT_MODULE)
		read_fd_name(fd, e->load_enter.file, sizeof(e->load_enter.file));
	else
		read_image_name(image, len, e->load_enter.name, loop);
	/* The load starts when this program is done with it: the time its own
	 * reads took (the image walk of init_module) is not the kernel's. */
	now = bpf_ktime_get_ns();
	e->h.ts_ns = now;
	phases_begin(syscall, now);
	return 0;
}

static __always_inline int on_load_exit(__u32 syscall, long ret, __u32 hflags)
{
	__u64 now = bpf_ktime_get_ns(); /* the syscall's end, before our own work */
	struct lt_event *e;

	if (settle_held(syscall, ret)) {
		phases_drop();
		return 0;
	}
	phases_emit(ret, hflags, now);
	e = reserve(LT_REC_LOAD_EXIT, hflags);
	if (!e)
		return 0;
	e->h.ts_ns = now;
	e->load_exit.syscall = syscall;
	e->load_exit.ret = ret;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* init_module(void __user *umod, unsigned long len, const char __user *uargs) */
SEC("tracepoint/syscalls/sys_enter_init_module")
int sys_enter_init_module(struct lt_sys_enter_ctx *ctx)
{
	return on_load_enter(LT_SYS_INIT_MODULE, (const char *)ctx->args[0],
			     (const void *)ctx->args[2], -1, 0, ctx->args[1], 0, true);
}

/* The same without bpf_loop() (5.10-5.16). */
SEC("tracepoint/syscalls/sys_enter_init_module")
int sys_enter_init_module_bounded(struct lt_sys_enter_ctx *ctx)
{
	return on_load_enter(LT_SYS_INIT_MODULE, (const char *)ctx->args[0],
			     (const void *)ctx->args[2], -1, 0, ctx->args[1], 0, false);
}

SEC("tracepoint/syscalls/sys_exit_init_module")
int sys_exit_init_module(struct lt_sys_exit_ctx *ctx)
{
	return on_load_exit(LT_SYS_INIT_MODULE, ctx->ret, 0);
}

SEC("tracepoint/syscalls/sys_enter_finit_module")
int sys_enter_finit_module(struct lt_sys_enter_ctx *ctx)
{
	/* finit_module(int fd, const char __user *uargs, int flags) */
	return on_load_enter(LT_SYS_FINIT_MODULE, 0, (const void *)ctx->args[1], (int)ctx->args[0],
			     (__u32)ctx->args[2], 0, 0, false);
}

SEC("tracepoint/syscalls/sys_exit_finit_module")
int sys_exit_finit_module(struct lt_sys_exit_ctx *ctx)
{
	return on_load_exit(LT_SYS_FINIT_MODULE, ctx->ret, 0);
}

/* ---- the module laid out: do_init_module() entry ----------------------- */

struct walk_ctx {
	Elf64_Sym *symtab;
	char *strtab;
	char *typetab;
	__u64 mod;
	__u64 init_fn;
	__u32 n;
	__u32 sent;
};

static __always_inline void flush_symbols(struct lt_symbols_event *b)
{
	__u32 len = b->s.len;

	if (!len)
		return;
	if (len > LT_SYMBUF_LEN)
		len = LT_SYMBUF_LEN;
	fill_header(&b->h, LT_REC_SYMBOLS, 0);
	if (bpf_ringbuf_output(&events, b,
			       sizeof(b->h) + __builtin_offsetof(struct lt_symbols, data) + len, 0))
		count_lost(LT_LOST_SYMBOLS_RINGBUF);
	b->s.len = 0;
	b->s.count = 0;
}

static __always_inline bool is_init_module_name(const char *s)
{
	const char want[] = "init_module";

	for (int i = 0; i < sizeof(want); i++)
		if (s[i] != want[i])
			return false;
	return true;
}

static long walk_one(__u32 i, void *data)
{
	struct walk_ctx *c = data;
	struct lt_symbols_event *b;
	struct lt_event *ie;
	Elf64_Sym sym = {};
	__u32 zero = 0, off;
	char type = '?';
	long n;

	if (i >= c->n)
		return 1;
	b = bpf_map_lookup_elem(&symbuf, &zero);
	ie = bpf_map_lookup_elem(&initbuf, &zero);
	if (!b || !ie)
		return 1;
	if (bpf_probe_read_kernel(&sym, sizeof(sym), &c->symtab[i]) || !sym.st_name)
		return 0;
	if (c->typetab)
		bpf_probe_read_kernel(&type, 1, c->typetab + i);

	off = b->s.len;
	if (off > LT_SYMBUF_LEN - LT_SYMNAME_LEN - 1) {
		flush_symbols(b);
		off = 0;
	}
	if (off > LT_SYMBUF_LEN - LT_SYMNAME_LEN - 1)
		return 1;
	n = bpf_probe_read_kernel_str(&b->s.data[off + 1], LT_SYMNAME_LEN, c->strtab + sym.st_name);
	if (n <= 1)
		return 0;
	b->s.data[off] = (char)(type | (n == LT_SYMNAME_LEN ? 0x80 : 0));
	b->s.len = off + 1 + (__u32)n;
	b->s.count++;
	c->sent++;

	/* The symbol at mod->init names the init entry. C modules have both
	 * init_module and the alias target (e.g. dummy_init_module): prefer
	 * the latter, which is what the author wrote. */
	if (c->init_fn && sym.st_value == c->init_fn && (type == 't' || type == 'T') &&
	    (!ie->mod_init.init_sym[0] || is_init_module_name(ie->mod_init.init_sym)))
		bpf_probe_read_kernel_str(ie->mod_init.init_sym, sizeof(ie->mod_init.init_sym),
					  c->strtab + sym.st_name);
	return 0;
}

static __always_inline __u32 lt_walk_bounded(struct walk_ctx *c);

/* bounded: walk the table without bpf_loop() (kernels before 5.17, see
 * "5.10-5.16" below); a constant in each program, so the other path is
 * compiled out and its helper never reaches an older verifier. */
static __always_inline int on_mod_init(struct module *mod, __u32 flags, bool bounded)
{
	__u32 zero = 0, tid = (__u32)bpf_get_current_pid_tgid();
	struct pending_init p = {};
	struct lt_event *ie;
	struct lt_symbols_event *b;
	struct mod_kallsyms *ks;
	struct walk_ctx c = {};
	__u64 core, init;

	release_held(); /* past the permission check: load_start goes first */
	ie = bpf_map_lookup_elem(&initbuf, &zero);
	b = bpf_map_lookup_elem(&symbuf, &zero);
	if (!ie || !b)
		return 0;
	__builtin_memset(ie, 0, sizeof(*ie));
	b->s.len = 0;
	b->s.count = 0;
	b->s.mod = (__u64)mod;

	p.mod = (__u64)mod;
	p.init_fn = (__u64)BPF_CORE_READ(mod, init);
	if (bpf_map_update_elem(&pending, &tid, &p, BPF_ANY))
		count_lost(LT_LOST_PENDING_FULL);

	lt_module_sizes(mod, &core, &init);
	ie->mod_init.mod = (__u64)mod;
	ie->mod_init.init_fn = p.init_fn;
	ie->mod_init.taints = BPF_CORE_READ(mod, taints);
	ie->mod_init.core_size = core;
	ie->mod_init.init_size = init;
	bpf_probe_read_kernel_str(ie->mod_init.name, sizeof(ie->mod_init.name), mod->name);
	flags |= lt_module_sig_flags(mod);

	ks = lt_module_kallsyms(mod);
	if (ks) {
		c.symtab = BPF_CORE_READ(ks, symtab);
		c.strtab = BPF_CORE_READ(ks, strtab);
		c.typetab = BPF_CORE_READ(ks, typetab);
		c.n = BPF_CORE_READ(ks, num_symtab);
	}
	if (!c.symtab || !c.strtab) {
		flags |= LT_F_NO_KALLSYMS;
	} else {
		ie->mod_init.nsyms = c.n;
		if (c.n > LT_MAX_SYMBOLS) {
			count_lost(LT_LOST_SYMBOLS_LIMIT);
			c.n = LT_MAX_SYMBOLS;
		}
		c.mod = (__u64)mod;
		c.init_fn = p.init_fn;
		if (bounded)
			c.sent = lt_walk_bounded(&c);
		else
			bpf_loop(c.n, walk_one, &c, 0);
		flush_symbols(b);
		ie->mod_init.nsyms_sent = c.sent;
	}

	/* The record goes out after its symbols, so the daemon has the whole
	 * table when it sees the module. */
	fill_header(&ie->h, LT_REC_MOD_INIT, flags);
	if (bpf_ringbuf_output(&events, ie, sizeof(*ie), 0))
		count_lost(LT_LOST_RINGBUF_FULL);
	return 0;
}

SEC("fentry/do_init_module")
int BPF_PROG(do_init_module_fentry, struct module *mod)
{
	return on_mod_init(mod, 0, false);
}

SEC("kprobe/do_init_module")
int BPF_KPROBE(do_init_module_kprobe, struct module *mod)
{
	return on_mod_init(mod, LT_F_KPROBE, false);
}

/* ---- 5.10-5.16: the symbol walk without bpf_loop() --------------------- *
 *
 * bpf_loop() arrived in Linux 5.17 (commit e6f2dd0f8067, "bpf: Add bpf_loop
 * helper"). Before it, the verifier walks every iteration of a bounded loop
 * and gives up at 8192 pending branches: on Debian 11's 5.10 a loop of 4096
 * plain reads verified and one of 8192 did not (docs/kernels.md). So the
 * table is walked in chunks of LT_WALK_CHUNK symbols by a global function,
 * which the verifier checks once, on its own, whatever the caller: the
 * program calls it once per chunk, up to LT_MAX_SYMBOLS symbols as with
 * bpf_loop(). Global functions take scalars only on these kernels (pointer
 * arguments came in 5.12), so the walk's state is in a per-CPU map, like
 * the symbol batch it fills. The loader picks these programs when the
 * kernel has no bpf_loop() (daemon/kernel/probes.cpp).
 */
#define LT_WALK_CHUNK 256

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk_ctx);
} walkbuf SEC(".maps");

/* Symbols start .. start + LT_WALK_CHUNK - 1; 1 when the walk is over. */
__attribute__((noinline)) int lt_walk_chunk(__u32 start)
{
	__u32 zero = 0;
	struct walk_ctx *c = bpf_map_lookup_elem(&walkbuf, &zero);

	if (!c)
		return 1;
	for (__u32 i = 0; i < LT_WALK_CHUNK; i++)
		if (walk_one(start + i, c))
			return 1;
	return 0;
}

static __always_inline __u32 lt_walk_bounded(struct walk_ctx *c)
{
	__u32 zero = 0;
	struct walk_ctx *w = bpf_map_lookup_elem(&walkbuf, &zero);

	if (!w)
		return 0;
	*w = *c;
	w->sent = 0;
	for (__u32 k = 0; k < LT_MAX_SYMBOLS / LT_WALK_CHUNK; k++)
		if (k * LT_WALK_CHUNK >= w->n || lt_walk_chunk(k * LT_WALK_CHUNK))
			break;
	return w->sent;
}

SEC("fentry/do_init_module")
int BPF_PROG(do_init_module_fentry_bounded, struct module *mod)
{
	return on_mod_init(mod, 0, true);
}

SEC("kprobe/do_init_module")
int BPF_KPROBE(do_init_module_kprobe_bounded, struct module *mod)
{
	return on_mod_init(mod, LT_F_KPROBE, true);
}

/* ---- the module's own init: do_one_initcall(mod->init) ---------------- */

static __always_inline int on_initcall(__u64 fn, bool done, int ret, __u32 flags)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending_init *p = bpf_map_lookup_elem(&pending, &tid);
	struct lt_event *e;

	if (!p)
		return 0;
	if (!done) {
		/* Only the module's init, not initcalls it may run itself. */
		if (fn != p->init_fn || p->in_initcall)
			return 0;
		p->in_initcall = 1;
	} else {
		/* kretprobe has no arguments: trust the entry's bookkeeping. */
		if (!p->in_initcall || (fn && fn != p->init_fn))
			return 0;
		p->in_initcall = 0;
	}
	e = reserve(done ? LT_REC_INITCALL_DONE : LT_REC_INITCALL_START, flags);
	if (!e)
		return 0;
	e->initcall.mod = p->mod;
	e->initcall.fn = p->init_fn;
	e->initcall.ret = ret;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/*
 * do_one_initcall(initcall_t fn): before v6.9-ish kernels the verifier
 * refuses direct context reads of an argument whose type is a function
 * pointer ("arg0 type FUNC_PROTO is not a struct", seen on Debian 6.1 and
 * 6.12), so read the argument and the return value through helpers.
 */
SEC("fentry/do_one_initcall")
int do_one_initcall_fentry(void *ctx)
{
	__u64 fn = 0;

	bpf_get_func_arg(ctx, 0, &fn);
	return on_initcall(fn, false, 0, 0);
}

SEC("fexit/do_one_initcall")
int do_one_initcall_fexit(void *ctx)
{
	__u64 fn = 0, ret = 0;

	bpf_get_func_arg(ctx, 0, &fn);
	bpf_get_func_ret(ctx, &ret);
	return on_initcall(fn, true, (int)ret, 0);
}

SEC("kprobe/do_one_initcall")
int BPF_KPROBE(do_one_initcall_kprobe, void *fn)
{
	return on_initcall((__u64)fn, false, 0, LT_F_KPROBE);
}

SEC("kretprobe/do_one_initcall")
int BPF_KRETPROBE(do_one_initcall_kretprobe, int ret)
{
	return on_initcall(0, true, ret, LT_F_KPROBE);
}

/* ---- live or failed: do_init_module() returns -------------------------- */

static __always_inline int on_mod_init_done(struct module *mod, int ret, __u32 flags)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending_init *p = bpf_map_lookup_elem(&pending, &tid);
	__u64 now = bpf_ktime_get_ns(); /* do_init_module's end, before our own work */
	struct lt_event *e;

	if (!mod && p)
		mod = (struct module *)p->mod;
	if (p)
		bpf_map_delete_elem(&pending, &tid);
	if (!mod)
		return 0;
	phases_emit(ret, flags, now); /* before the record that makes the module live */
	e = reserve(LT_REC_MOD_INIT_DONE, flags);
	if (!e)
		return 0;
	e->h.ts_ns = now;
	e->mod_init_done.mod = (__u64)mod;
	e->mod_init_done.ret = ret;
	/* On failure the module is freed before we return; its name was sent
	 * with LT_REC_MOD_INIT, so the daemon does not need it from here. */
	if (!ret)
		bpf_probe_read_kernel_str(e->mod_init_done.name, sizeof(e->mod_init_done.name),
					  mod->name);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("fexit/do_init_module")
int BPF_PROG(do_init_module_fexit, struct module *mod, int ret)
{
	return on_mod_init_done(mod, ret, 0);
}

SEC("kretprobe/do_init_module")
int BPF_KRETPROBE(do_init_module_kretprobe, int ret)
{
	return on_mod_init_done(0, ret, LT_F_KPROBE);
}

/* ---- unload ------------------------------------------------------------ */

/* delete_module(const char __user *name_user, unsigned int flags) */
static __always_inline int on_unload_enter(const void *uname, __u32 flags, __u32 hflags)
{
	struct lt_event *e = entry_record(LT_REC_UNLOAD_ENTER);

	if (!e)
		return 0;
	e->h.flags |= hflags;
	e->unload_enter.flags = flags;
	bpf_probe_read_user_str(e->unload_enter.name, sizeof(e->unload_enter.name), uname);
	return 0;
}

static __always_inline int on_unload_exit(long ret, __u32 hflags)
{
	struct lt_event *e;

	if (settle_held(LT_SYS_DELETE_MODULE, ret))
		return 0;
	e = reserve(LT_REC_UNLOAD_EXIT, hflags);
	if (!e)
		return 0;
	e->unload_exit.ret = ret;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_delete_module")
int sys_enter_delete_module(struct lt_sys_enter_ctx *ctx)
{
	return on_unload_enter((const void *)ctx->args[0], (__u32)ctx->args[1], 0);
}

SEC("tracepoint/syscalls/sys_exit_delete_module")
int sys_exit_delete_module(struct lt_sys_exit_ctx *ctx)
{
	return on_unload_exit(ctx->ret, 0);
}

static __always_inline int on_free(struct module *mod, __u32 flags)
{
	struct lt_event *e;
	__u64 core, init;

	release_held(); /* an unload past its permission check: unload_start first */
	e = reserve(LT_REC_MOD_FREE, flags);
	if (!e)
		return 0;
	lt_module_sizes(mod, &core, &init);
	e->mod_free.mod = (__u64)mod;
	e->mod_free.taints = BPF_CORE_READ(mod, taints);
	e->mod_free.size = core + init;
	bpf_probe_read_kernel_str(e->mod_free.name, sizeof(e->mod_free.name), mod->name);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("fentry/free_module")
int BPF_PROG(free_module_fentry, struct module *mod)
{
	return on_free(mod, 0);
}

SEC("kprobe/free_module")
int BPF_KPROBE(free_module_kprobe, struct module *mod)
{
	return on_free(mod, LT_F_KPROBE);
}

/* ---- kernel-requested loads: request_module() -------------------------- */

static __always_inline int on_request(const char *name, bool wait, __u64 ip, __u32 flags)
{
	struct lt_event *e = reserve(LT_REC_REQUEST, flags);

	if (!e)
		return 0;
	e->request.wait = wait;
	e->request.ip = ip;
	bpf_probe_read_kernel_str(e->request.name, sizeof(e->request.name), name);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/module_request")
int BPF_PROG(module_request_btf, char *name, bool wait, unsigned long ip)
{
	return on_request(name, wait, ip, 0);
}

SEC("raw_tp/module_request")
int BPF_PROG(module_request_raw, char *name, bool wait, unsigned long ip)
{
	return on_request(name, wait, ip, LT_F_KPROBE);
}

/* ---- the request chain: request_module() -> usermode helper -> modprobe --
 *
 * call_modprobe() (kernel/module/kmod.c, kernel/kmod.c before 6.4) hands
 * argv = {modprobe_path, "-q", "--", NAME, NULL} to the usermode helper; a
 * worker forks a task that enters call_usermodehelper_exec_async(sub_info)
 * (kernel/umh.c) and execs modprobe_path there. At that function's entry the
 * current task is the future modprobe: its tgid is the pid whose
 * finit_module() calls the correlator links to the request (by NAME). Other
 * helpers (core dumps to a pipe, the uevent helper, ...) pass the same
 * function and are skipped by the argv check. The function is static and
 * called only through a pointer, so it is never inlined: present in BTF and
 * kallsyms on 5.10, 6.1, 6.12 and 7.2.
 */
static __always_inline bool lt_arg_is(const char *arg, char c0, char c1)
{
	char a[4] = {};

	if (!arg || bpf_probe_read_kernel_str(a, sizeof(a), arg) < 0)
		return false;
	return a[0] == c0 && a[1] == c1 && a[2] == 0;
}

static __always_inline int on_umh_exec(struct subprocess_info *info, __u32 flags)
{
	const char *quiet = 0, *dashes = 0, *name = 0;
	char **argv = BPF_CORE_READ(info, argv);
	struct lt_event *e;

	if (!argv)
		return 0;
	/* One pointer at a time: the array ends at its NULL, and only the
	 * modprobe form has four entries before it. */
	if (bpf_probe_read_kernel(&quiet, sizeof(quiet), &argv[1]) || !lt_arg_is(quiet, '-', 'q'))
		return 0;
	if (bpf_probe_read_kernel(&dashes, sizeof(dashes), &argv[2]) ||
	    !lt_arg_is(dashes, '-', '-'))
		return 0;
	if (bpf_probe_read_kernel(&name, sizeof(name), &argv[3]) || !name)
		return 0;
	e = reserve(LT_REC_UMH_EXEC, flags);
	if (!e)
		return 0;
	bpf_probe_read_kernel_str(e->umh_exec.path, sizeof(e->umh_exec.path),
				  BPF_CORE_READ(info, path));
	bpf_probe_read_kernel_str(e->umh_exec.name, sizeof(e->umh_exec.name), name);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("fentry/call_usermodehelper_exec_async")
int BPF_PROG(umh_exec_fentry, void *data)
{
	return on_umh_exec(data, 0);
}

SEC("kprobe/call_usermodehelper_exec_async")
int BPF_KPROBE(umh_exec_kprobe, void *data)
{
	return on_umh_exec(data, LT_F_KPROBE);
}

/* ---- load and unload without the syscall tracepoints -------------------
 *
 * The twins of the six syscall tracepoint programs above, for kernels built
 * without CONFIG_FTRACE_SYSCALLS (no syscalls/ tracepoints at all) and for
 * `lifetrace --no-syscall-tracepoints`. They attach to the function each
 * syscall enters through: on x86_64 and arm64 (CONFIG_ARCH_HAS_SYSCALL_WRAPPER,
 * since 4.17 and 4.19) that is __x64_sys_NAME / __arm64_sys_NAME, whose only
 * argument is the caller's saved registers (const struct pt_regs *), and the
 * syscall's own arguments are read from those (PT_REGS_PARMn_CORE_SYSCALL:
 * di, si, dx on x86_64; orig_x0, x1, x2 on arm64). Like the tracepoints they
 * run before the kernel's permission check and see the syscall's return value,
 * so the records they feed to the same helpers are the same (only
 * LT_F_KPROBE marks the kprobe twins). fentry/fexit first; kprobe/kretprobe
 * where the kernel has no BPF trampolines. The probe table
 * (daemon/kernel/probes.cpp) names the same functions.
 */
#if defined(__TARGET_ARCH_x86)
#define LT_SYSCALL_FN(name) "__x64_sys_" #name
#elif defined(__TARGET_ARCH_arm64)
#define LT_SYSCALL_FN(name) "__arm64_sys_" #name
#else
#error "lifetrace knows the syscall entry functions of x86_64 and arm64 only"
#endif

/* init_module(void __user *umod, unsigned long len, const char __user *uargs) */
static __always_inline int init_module_enter(const struct pt_regs *regs, __u32 hflags, bool loop)
{
	return on_load_enter(LT_SYS_INIT_MODULE, (const char *)PT_REGS_PARM1_CORE_SYSCALL(regs),
			     (const void *)PT_REGS_PARM3_CORE_SYSCALL(regs), -1, 0,
			     PT_REGS_PARM2_CORE_SYSCALL(regs), hflags, loop);
}

/* finit_module(int fd, const char __user *uargs, int flags) */
static __always_inline int finit_module_enter(const struct pt_regs *regs, __u32 hflags)
{
	return on_load_enter(LT_SYS_FINIT_MODULE, 0, (const void *)PT_REGS_PARM2_CORE_SYSCALL(regs),
			     (int)PT_REGS_PARM1_CORE_SYSCALL(regs),
			     (__u32)PT_REGS_PARM3_CORE_SYSCALL(regs), 0, hflags, false);
}

/* delete_module(const char __user *name_user, unsigned int flags) */
static __always_inline int delete_module_enter(const struct pt_regs *regs, __u32 hflags)
{
	return on_unload_enter((const void *)PT_REGS_PARM1_CORE_SYSCALL(regs),
			       (__u32)PT_REGS_PARM2_CORE_SYSCALL(regs), hflags);
}

SEC("fentry/" LT_SYSCALL_FN(init_module))
int BPF_PROG(init_module_enter_fentry, const struct pt_regs *regs)
{
	return init_module_enter(regs, 0, true);
}

SEC("fentry/" LT_SYSCALL_FN(init_module))
int BPF_PROG(init_module_enter_fentry_bounded, const struct pt_regs *regs)
{
	return init_module_enter(regs, 0, false);
}

SEC("fexit/" LT_SYSCALL_FN(init_module))
int BPF_PROG(init_module_exit_fexit, const struct pt_regs *regs, long ret)
{
	return on_load_exit(LT_SYS_INIT_MODULE, ret, 0);
}

SEC("kprobe/" LT_SYSCALL_FN(init_module))
int BPF_KPROBE(init_module_enter_kprobe, const struct pt_regs *regs)
{
	return init_module_enter(regs, LT_F_KPROBE, true);
}

SEC("kprobe/" LT_SYSCALL_FN(init_module))
int BPF_KPROBE(init_module_enter_kprobe_bounded, const struct pt_regs *regs)
{
	return init_module_enter(regs, LT_F_KPROBE, false);
}

SEC("kretprobe/" LT_SYSCALL_FN(init_module))
int BPF_KRETPROBE(init_module_exit_kretprobe, long ret)
{
	return on_load_exit(LT_SYS_INIT_MODULE, ret, LT_F_KPROBE);
}

SEC("fentry/" LT_SYSCALL_FN(finit_module))
int BPF_PROG(finit_module_enter_fentry, const struct pt_regs *regs)
{
	return finit_module_enter(regs, 0);
}

SEC("fexit/" LT_SYSCALL_FN(finit_module))
int BPF_PROG(finit_module_exit_fexit, const struct pt_regs *regs, long ret)
{
	return on_load_exit(LT_SYS_FINIT_MODULE, ret, 0);
}

SEC("kprobe/" LT_SYSCALL_FN(finit_module))
int BPF_KPROBE(finit_module_enter_kprobe, const struct pt_regs *regs)
{
	return finit_module_enter(regs, LT_F_KPROBE);
}

SEC("kretprobe/" LT_SYSCALL_FN(finit_module))
int BPF_KRETPROBE(finit_module_exit_kretprobe, long ret)
{
	return on_load_exit(LT_SYS_FINIT_MODULE, ret, LT_F_KPROBE);
}

SEC("fentry/" LT_SYSCALL_FN(delete_module))
int BPF_PROG(delete_module_enter_fentry, const struct pt_regs *regs)
{
	return delete_module_enter(regs, 0);
}

SEC("fexit/" LT_SYSCALL_FN(delete_module))
int BPF_PROG(delete_module_exit_fexit, const struct pt_regs *regs, long ret)
{
	return on_unload_exit(ret, 0);
}

SEC("kprobe/" LT_SYSCALL_FN(delete_module))
int BPF_KPROBE(delete_module_enter_kprobe, const struct pt_regs *regs)
{
	return delete_module_enter(regs, LT_F_KPROBE);
}

SEC("kretprobe/" LT_SYSCALL_FN(delete_module))
int BPF_KRETPROBE(delete_module_exit_kretprobe, long ret)
{
	return on_unload_exit(ret, LT_F_KPROBE);
}
