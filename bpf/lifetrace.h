/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one header shared by the BPF programs (lifetrace.bpf.c) and the daemon.
 * It holds only the wire format of the ring buffer: fixed-width types,
 * explicit padding, no pointers. Every record starts with struct lt_header.
 */
#ifndef LIFETRACE_EVENT_H
#define LIFETRACE_EVENT_H

#ifdef __cplusplus
#include <cstdint>
typedef std::uint8_t lt_u8;
typedef std::uint16_t lt_u16;
typedef std::uint32_t lt_u32;
typedef std::int32_t lt_s32;
typedef std::uint64_t lt_u64;
typedef std::int64_t lt_s64;
#else
typedef __u8 lt_u8;
typedef __u16 lt_u16;
typedef __u32 lt_u32;
typedef __s32 lt_s32;
typedef __u64 lt_u64;
typedef __s64 lt_s64;
#endif

#define LT_COMM_LEN    16
#define LT_MODNAME_LEN 56    /* MODULE_NAME_LEN on 64-bit kernels */
#define LT_PARAMS_LEN  256   /* longer parameter strings are cut, see LT_F_PARAMS_TRUNCATED */
#define LT_FILE_LEN    64    /* basename of the file given to finit_module */
#define LT_SYMNAME_LEN 256   /* longer symbol names are cut and flagged */
#define LT_SYMBUF_LEN  4096  /* payload of one symbol batch */
#define LT_MAX_SYMBOLS 65536 /* symbols walked per module at most */

/* Raw records, as emitted by the kernel side. The daemon's correlator turns
 * them into the user-visible lifecycle events. */
enum lt_record_type {
	LT_REC_LOAD_ENTER = 1, /* init_module/finit_module entered */
	LT_REC_LOAD_EXIT,      /* ... returned */
	LT_REC_MOD_INIT,       /* do_init_module entered: module laid out */
	LT_REC_SYMBOLS,	       /* a batch of the module's symbol names */
	LT_REC_INITCALL_START, /* do_one_initcall(mod->init) entered */
	LT_REC_INITCALL_DONE,  /* ... returned */
	LT_REC_MOD_INIT_DONE,  /* do_init_module returned */
	LT_REC_UNLOAD_ENTER,   /* delete_module entered */
	LT_REC_UNLOAD_EXIT,    /* ... returned */
	LT_REC_MOD_FREE,       /* free_module entered */
	LT_REC_REQUEST,	       /* the kernel asked for a module (request_module) */
	LT_REC_DENIED,	       /* a load/unload syscall refused at its permission check
				 * (EPERM): in the "denied" ring buffer, at most one per
				 * uid and syscall every LT_DENIED_REPORT_NS */
	LT_REC_UMH_EXEC,       /* a usermode-helper task starting modprobe for a
				 * request_module(): the request chain's middle link */
	LT_REC_PHASES,	       /* where one load's time went (struct lt_phases): once per
				 * load, just before LT_REC_MOD_INIT_DONE or LT_REC_LOAD_EXIT */
	LT_REC_MAX
};

enum lt_load_syscall {
	LT_SYS_INIT_MODULE = 0,
	LT_SYS_FINIT_MODULE = 1,
	LT_SYS_DELETE_MODULE = 2, /* only in LT_REC_DENIED and the denied map */
};

/* Denied attempts: counted per uid and syscall in the "denied" map; a record
 * goes to the small "denied" ring buffer (never the lifecycle one) at most
 * once per key in this many ns. */
#define LT_DENIED_REPORT_NS 5000000000ull

struct lt_denied_key {
	lt_u32 uid;
	lt_u32 syscall; /* enum lt_load_syscall */
};
struct lt_denied_count {
	lt_u64 attempts;    /* every denied call of this uid and syscall */
	lt_u64 reported_ns; /* when the last LT_REC_DENIED went out */
};

/* Why a record was lost. Indexes the per-CPU "lost" array map. */
enum lt_lost_reason {
	LT_LOST_RINGBUF_FULL = 0,    /* bpf_ringbuf_reserve/output failed */
	LT_LOST_SYMBOLS_RINGBUF = 1, /* a symbol batch did not fit the ring buffer */
	LT_LOST_SYMBOLS_LIMIT = 2,   /* module had more than LT_MAX_SYMBOLS symbols */
	LT_LOST_PENDING_FULL = 3,    /* a per-thread map (init tracking, held syscalls) was full */
	LT_LOST_MAX
};

/* Flags in lt_header.flags */
#define LT_F_PARAMS_TRUNCATED (1u << 0)
#define LT_F_SIG_KNOWN	      (1u << 1) /* kernel has module signature support */
#define LT_F_SIG_OK	      (1u << 2)
/* (1u << 3) is free: it once flagged a module without init function */
#define LT_F_NO_KALLSYMS      (1u << 4) /* symbol table unreadable: nothing to classify */
#define LT_F_KPROBE	      (1u << 5) /* emitted by a kprobe/raw_tp twin */

struct lt_header {
	lt_u32 type;  /* enum lt_record_type */
	lt_u32 flags; /* LT_F_* */
	lt_u64 ts_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	lt_u32 tid;   /* kernel pid of the thread */
	lt_u32 tgid;  /* process id */
	lt_u32 uid;
	lt_u32 gid;
	lt_u64 cgroup_id;
	char comm[LT_COMM_LEN];
};

struct lt_load_enter {
	lt_u32 syscall; /* enum lt_load_syscall */
	lt_s32 fd;	/* finit_module only */
	lt_u32 flags;	/* finit_module flags (MODULE_INIT_*) */
	lt_u32 _pad;
	lt_u64 len; /* init_module image length */
	char params[LT_PARAMS_LEN];
	char file[LT_FILE_LEN];
	char name[LT_MODNAME_LEN]; /* init_module: read from the image's this_module */
};

struct lt_load_exit {
	lt_s64 ret;
	lt_u32 syscall;
	lt_u32 _pad;
};

struct lt_mod_init {
	lt_u64 mod; /* struct module address: the correlation key */
	lt_u64 init_fn;
	lt_u64 taints;
	lt_u64 core_size;  /* bytes kept while the module lives */
	lt_u64 init_size;  /* bytes freed after init */
	lt_u32 nsyms;	   /* symbols in the module's symbol table */
	lt_u32 nsyms_sent; /* symbol names sent in LT_REC_SYMBOLS batches (at most
			    * LT_MAX_SYMBOLS walked); the correlator flags a table
			    * that did not arrive whole */
	char name[LT_MODNAME_LEN];
	char init_sym[LT_SYMNAME_LEN]; /* name of the symbol at mod->init */
};

/* Records are packed as: one type byte (nm-style letter from the module's
 * kallsyms typetab, e.g. 't', 'T', 'U'; 0x80 set when the name was cut),
 * then the NUL-terminated name. */
struct lt_symbols {
	lt_u64 mod;
	lt_u32 len;   /* bytes used in data */
	lt_u32 count; /* names in data */
	char data[LT_SYMBUF_LEN];
};

struct lt_initcall {
	lt_u64 mod;
	lt_u64 fn;
	lt_s32 ret; /* LT_REC_INITCALL_DONE only */
	lt_u32 _pad;
};

struct lt_mod_init_done {
	lt_u64 mod;
	lt_s32 ret;
	lt_u32 _pad;
	char name[LT_MODNAME_LEN];
};

struct lt_unload_enter {
	lt_u32 flags; /* O_NONBLOCK, O_TRUNC (forced) */
	lt_u32 _pad;
	char name[LT_MODNAME_LEN];
};

struct lt_unload_exit {
	lt_s64 ret;
};

struct lt_mod_free {
	lt_u64 mod;
	lt_u64 taints;
	lt_u64 size; /* bytes being freed */
	char name[LT_MODNAME_LEN];
};

struct lt_request {
	lt_u64 ip; /* call site in the kernel */
	lt_u32 wait;
	lt_u32 _pad;
	char name[LT_MODNAME_LEN + 8];
};

struct lt_denied {
	lt_u32 syscall; /* enum lt_load_syscall */
	lt_u32 _pad;
	lt_s64 ret;	 /* -EPERM */
	lt_u64 attempts; /* the key's running total (struct lt_denied_count) */
};

/* The request chain (issue 12): request_module() runs modprobe through the
 * usermode helper (kernel/umh.c); this record comes from the new task that is
 * about to exec it, so its header's tgid is modprobe's pid. Sent only for
 * argv = {path, "-q", "--", NAME, ...}, the form call_modprobe() builds. */
#define LT_UMH_PATH_LEN 128 /* modprobe_path (KMOD_PATH_LEN 256); longer paths are cut */

struct lt_umh_exec {
	char path[LT_UMH_PATH_LEN];    /* sub_info->path: the program being run */
	char name[LT_MODNAME_LEN + 8]; /* argv[3]: what the kernel asked for */
};

/*
 * Phases of a load (issue 12, docs/phases.md). Kernel functions on the load
 * path are probed by one generic kprobe and one generic kretprobe program;
 * each attachment's BPF cookie says which phase the function belongs to and
 * how to read its return value. Only a thread inside a load syscall counts.
 * Times are self times: a phase nested in another is not counted twice, so
 * the phases never overlap and never sum to more than the load's span.
 */
enum lt_phase {
	LT_PH_NONE = 0,
	LT_PH_READ,	       /* kernel_read_file, copy_module_from_user */
	LT_PH_DECOMPRESS,      /* module_decompress */
	LT_PH_SIGNATURE,       /* module_sig_check, mod_verify_sig */
	LT_PH_ELF,	       /* elf_validity_*, setup_load_info, early_mod_check, check_modinfo */
	LT_PH_LAYOUT,	       /* layout_and_allocate, layout_*, move_module, module_alloc */
	LT_PH_DUPLICATE_CHECK, /* add_unformed_module, module_patient_check_exists */
	LT_PH_SYMBOLS,	       /* simplify_symbols, resolve_symbol(_wait), find_symbol */
	LT_PH_RELOCATIONS,     /* apply_relocations, apply_relocate_add */
	LT_PH_FORMATION,       /* post_relocation, add_kallsyms, module_finalize,
				* complete_formation, module_enable_* */
	LT_PH_COMING,	       /* prepare_coming_module: the COMING notifiers */
	LT_PH_PARAMS,	       /* parse_args */
	LT_PH_SYSFS,	       /* mod_sysfs_setup */
	LT_PH_INIT,	       /* do_one_initcall(mod->init): opaque, nothing nested counts */
	LT_PH_ASYNC_WAIT,      /* async_synchronize_full */
	LT_PH_FINALIZE,	       /* the rest of do_init_module (LIVE notifiers, uevent,
				* freeing the init sections; on failure the teardown) */
	LT_PH_LOAD_MODULE,     /* the rest of load_module: what this kernel inlined into it */
	LT_PH_IDEMPOTENT,      /* idempotent_init_module's own time (6.6+): a second
				* finit_module of the same file waits here */
	LT_PH_SYSCALL,	       /* the rest of the load syscall (__x64_sys_finit_module...):
				* permission check, fd lookup, an inlined image copy */
	LT_PH_MAX
};
#define LT_PH_SLOTS 32 /* array size for phase ids (> LT_PH_MAX, a power of two) */
#define LT_PH_DEPTH 8  /* nested phases tracked per thread */

/* The cookie of a phase attachment: the phase in the low byte, then how the
 * function's return value reads. */
#define LT_PHC_PHASE(c)	 ((c)&0xff)
#define LT_PHC_RET_INT	 (1u << 8)  /* int: negative is an error */
#define LT_PHC_RET_PTR	 (1u << 9)  /* pointer: ERR_PTR is an error */
#define LT_PHC_RET_BYTES (1u << 10) /* ssize_t bytes read (kernel_read_file) */

/* lt_phases.flags */
#define LT_PHF_TOO_DEEP (1u << 0) /* phases nested deeper than LT_PH_DEPTH: some not timed */
#define LT_PHF_UNPAIRED (1u << 1) /* an exit without its entry or the reverse (a skipped run) */

struct lt_phases {
	lt_u64 span_ns;	   /* load syscall entry to this record */
	lt_u64 read_bytes; /* bytes kernel_read_file returned for this load */
	lt_u32 syscall;	   /* enum lt_load_syscall */
	lt_u32 flags;	   /* LT_PHF_* */
	lt_s32 failed_ret; /* the error the failing phase returned */
	lt_u8 failed;	   /* enum lt_phase that returned the error the load failed with */
	lt_u8 count;	   /* phases in order[] */
	lt_u8 _pad[2];
	lt_u8 order[LT_PH_SLOTS]; /* phase ids, in the order they were first entered */
	lt_u64 ns[LT_PH_SLOTS];	  /* self time per phase id */
};

/* Every record except LT_REC_SYMBOLS has exactly this size. */
struct lt_event {
	struct lt_header h;
	union {
		struct lt_load_enter load_enter;
		struct lt_load_exit load_exit;
		struct lt_mod_init mod_init;
		struct lt_initcall initcall;
		struct lt_mod_init_done mod_init_done;
		struct lt_unload_enter unload_enter;
		struct lt_unload_exit unload_exit;
		struct lt_mod_free mod_free;
		struct lt_request request;
		struct lt_denied denied;
		struct lt_umh_exec umh_exec;
		struct lt_phases phases;
	};
};

struct lt_symbols_event {
	struct lt_header h;
	struct lt_symbols s;
};

#endif /* LIFETRACE_EVENT_H */
