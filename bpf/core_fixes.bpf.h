/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every kernel-version difference lifetrace's BPF code depends on, in one
 * place. Each fix names the kernel change and offers one accessor that
 * branches on what the running kernel's BTF has.
 */
#ifndef LIFETRACE_CORE_FIXES_H
#define LIFETRACE_CORE_FIXES_H

#include <bpf/bpf_core_read.h>

/*
 * Module memory layout.
 *
 * Before Linux 6.4 a module's memory was described by two struct
 * module_layout members, core_layout and init_layout. Commit ac3b43283923
 * ("module: replace module_layout with module_memory", v6.4) replaced them
 * with an array mem[MOD_MEM_NUM_TYPES] of struct module_memory indexed by
 * MOD_TEXT, MOD_DATA, MOD_RODATA, MOD_RO_AFTER_INIT (kept while the module
 * lives) and MOD_INIT_TEXT, MOD_INIT_DATA, MOD_INIT_RODATA (freed after
 * init). Later kernels added members to struct module_memory (e.g. is_rox),
 * so the element size is read from BTF instead of assumed.
 */
struct module_layout {
	void *base;
	unsigned int size;
} __attribute__((preserve_access_index));

struct module___pre_6_4 {
	struct module_layout core_layout;
	struct module_layout init_layout;
} __attribute__((preserve_access_index));

struct module_memory {
	void *base;
	unsigned int size;
} __attribute__((preserve_access_index));

struct module___mem {
	struct module_memory mem[7];
} __attribute__((preserve_access_index));

#define LT_MOD_MEM_INIT_FIRST 4 /* MOD_INIT_TEXT */
#define LT_MOD_MEM_MAX	      8 /* bound for the loop below */

static __always_inline void lt_module_sizes(struct module *mod, __u64 *core, __u64 *init)
{
	*core = 0;
	*init = 0;
	if (bpf_core_field_exists(struct module___pre_6_4, core_layout)) {
		struct module___pre_6_4 *m = (void *)mod;

		*core = BPF_CORE_READ(m, core_layout.size);
		*init = BPF_CORE_READ(m, init_layout.size);
		return;
	}
	if (bpf_core_field_exists(struct module___mem, mem)) {
		struct module___mem *m = (void *)mod;
		__u32 arr_off = bpf_core_field_offset(struct module___mem, mem);
		__u32 arr_size = bpf_core_field_size(struct module___mem, mem);
		__u32 elem = bpf_core_type_size(struct module_memory);
		__u32 size_off = bpf_core_field_offset(struct module_memory, size);
		__u32 n = elem ? arr_size / elem : 0;

		for (__u32 i = 0; i < LT_MOD_MEM_MAX; i++) {
			unsigned int sz = 0;

			if (i >= n)
				break;
			bpf_probe_read_kernel(&sz, sizeof(sz),
					      (char *)m + arr_off + i * elem + size_off);
			if (i < LT_MOD_MEM_INIT_FIRST)
				*core += sz;
			else
				*init += sz;
		}
	}
}

/*
 * Module signature status: struct module has sig_ok only when the kernel is
 * built with CONFIG_MODULE_SIG (module signing, v3.7). Returns LT_F_SIG_*
 * flags.
 */
static __always_inline __u32 lt_module_sig_flags(struct module *mod)
{
	if (!bpf_core_field_exists(mod->sig_ok))
		return 0;
	return LT_F_SIG_KNOWN | (BPF_CORE_READ(mod, sig_ok) ? LT_F_SIG_OK : 0);
}

/*
 * The module's symbol table (mod->kallsyms) exists only with
 * CONFIG_KALLSYMS; it became an RCU pointer to struct mod_kallsyms
 * (commit 8244062ef1e5, "modules: fix longstanding /proc/kallsyms vs module
 * insertion race", 2016), before which symtab/num_symtab/strtab lived directly in
 * struct module. lifetrace does not read the older layout.
 */
static __always_inline struct mod_kallsyms *lt_module_kallsyms(struct module *mod)
{
	if (!bpf_core_field_exists(mod->kallsyms))
		return 0;
	return BPF_CORE_READ(mod, kallsyms);
}

#endif /* LIFETRACE_CORE_FIXES_H */
