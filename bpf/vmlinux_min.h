/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A minimal, hand-written set of kernel types for CO-RE.
 *
 * lifetrace must build on hosts whose running kernel has no module support
 * (its BTF has no struct module), and its objects must run on other kernels,
 * so we never generate vmlinux.h from the build host. Only the fields the
 * BPF programs read are declared; libbpf relocates every access against the
 * target kernel's BTF (preserve_access_index), so field order and the
 * omitted fields do not matter. Layout differences between kernel versions
 * live in core_fixes.bpf.h.
 *
 * Defining __VMLINUX_H__ makes bpf_tracing.h use the kernel's pt_regs field
 * names declared below.
 */
#ifndef __VMLINUX_H__
#define __VMLINUX_H__

typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __s32 s32;
typedef __u64 u64;
typedef __s64 s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
enum { false = 0, true = 1 };
typedef int pid_t;

/* Only what bpf_helpers.h/bpf_helper_defs.h need from uapi/linux/bpf.h. */
enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_RINGBUF = 27,
};
enum { BPF_ANY = 0, BPF_NOEXIST = 1, BPF_EXIST = 2 };
enum { BPF_F_NO_PREALLOC = 1 };
enum { BPF_RB_NO_WAKEUP = 1, BPF_RB_FORCE_WAKEUP = 2 };

/* Elf64_Sym: an ABI, not a kernel-internal struct; no relocation needed. */
typedef struct {
	__u32 st_name;
	unsigned char st_info;
	unsigned char st_other;
	__u16 st_shndx;
	__u64 st_value;
	__u64 st_size;
} Elf64_Sym;

/* The ELF header and section header, for the init_module() image walk:
 * only offsetof() and sizeof() are used, never a relocated access. */
typedef struct {
	unsigned char e_ident[16];
	__u16 e_type;
	__u16 e_machine;
	__u32 e_version;
	__u64 e_entry;
	__u64 e_phoff;
	__u64 e_shoff;
	__u32 e_flags;
	__u16 e_ehsize;
	__u16 e_phentsize;
	__u16 e_phnum;
	__u16 e_shentsize;
	__u16 e_shnum;
	__u16 e_shstrndx;
} Elf64_Ehdr;

typedef struct {
	__u32 sh_name;
	__u32 sh_type;
	__u64 sh_flags;
	__u64 sh_addr;
	__u64 sh_offset;
	__u64 sh_size;
	__u32 sh_link;
	__u32 sh_info;
	__u64 sh_addralign;
	__u64 sh_entsize;
} Elf64_Shdr;

/*
 * Context of the syscalls:sys_enter_* / sys_exit_* tracepoints: the common
 * trace_entry header (8 bytes), the syscall number, then arguments or the
 * return value at offset 16. This is the stable tracefs "format" layout.
 */
struct lt_sys_enter_ctx {
	__u64 __common;
	__s32 nr;
	__u32 __pad;
	unsigned long args[6];
};
struct lt_sys_exit_ctx {
	__u64 __common;
	__s32 nr;
	__u32 __pad;
	long ret;
};

/* Context of raw tracepoints (raw_tp/...): the tracepoint's arguments. */
struct bpf_raw_tracepoint_args {
	__u64 args[0];
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

#if defined(__TARGET_ARCH_arm64)
/* arm64 (arch/arm64/include/uapi/asm/ptrace.h, asm/ptrace.h): bpf_tracing.h reads kprobe
 * arguments through struct user_pt_regs (regs[0..7] are x0..x7), and the syscall's first
 * argument through pt_regs' orig_x0. Leading fields only; CO-RE relocates them. */
struct user_pt_regs {
	__u64 regs[31];
	__u64 sp;
	__u64 pc;
	__u64 pstate;
};
struct pt_regs {
	union {
		struct user_pt_regs user_regs;
		struct {
			__u64 regs[31];
			__u64 sp;
			__u64 pc;
			__u64 pstate;
		};
	};
	__u64 orig_x0;
};
#else
struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	unsigned long ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
};
#endif

struct qstr {
	const unsigned char *name;
};
struct dentry {
	struct qstr d_name;
};
struct path {
	struct dentry *dentry;
};
struct file {
	struct path f_path;
};
struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};
struct files_struct {
	struct fdtable *fdt;
};
struct task_struct {
	struct files_struct *files;
};

struct mod_kallsyms {
	Elf64_Sym *symtab;
	unsigned int num_symtab;
	char *strtab;
	char *typetab;
};

/* struct module; its memory layout fields differ by version: see
 * core_fixes.bpf.h for module_layout (< 6.4) and module_memory (>= 6.4). */
struct module {
	char name[56];
	unsigned long taints;
	bool sig_ok;
	int (*init)(void);
	void (*exit)(void);
	struct mod_kallsyms *kallsyms;
};

/* kernel/umh.c's work item for a usermode helper (include/linux/umh.h). */
struct subprocess_info {
	const char *path;
	char **argv;
};

#pragma clang attribute pop

#endif /* __VMLINUX_H__ */
