# Facts scenario: what a kernel offers lifetrace, for porting it to that kernel (docs/kernels.md).
# Not checked by lifetrace-vm-check; run by hand, e.g. for Debian 11 (5.10):
#   tests/vm/kernels.sh --env-file /tmp/bullseye.env bullseye
#   tests/vm/run-guest.sh --kernel-env /tmp/bullseye.env --scenario tests/vm/scenarios/facts.sh \
#       --out /tmp/bullseye --lifetrace build/lifetrace [--extra ltprobe --extra X.bpf.o]
# and read /tmp/bullseye/scenario.log. With --extra ltprobe and --extra X.bpf.o (an attach test:
# each program of X.bpf.o loaded and attached alone, then dummy loaded and unloaded, then the
# hits per program; docs/kernels.md shows the ones used for 5.10), those results are in the log.
# lt-modules: dummy
# shellcheck shell=sh
# shellcheck disable=SC1091
. /lt/lib.sh

step facts
log "kernel: $(uname -r) ($(uname -m))"
if [ -e /sys/kernel/btf/vmlinux ]; then
  log "btf: /sys/kernel/btf/vmlinux exists, $(wc -c </sys/kernel/btf/vmlinux) bytes"
else
  log "btf: /sys/kernel/btf/vmlinux is MISSING"
fi
_n=0
for _b in /sys/kernel/btf/*; do [ -e "$_b" ] && _n=$((_n + 1)); done
log "btf: $_n BTF object(s) in /sys/kernel/btf"
# One read of each (a grep of /proc/kallsyms takes seconds under TCG).
cat /proc/kallsyms >/tmp/kallsyms
cat /sys/kernel/tracing/available_filter_functions >/tmp/ftrace 2>/dev/null
for f in do_init_module free_module do_one_initcall load_module do_free_init \
         __x64_sys_finit_module __do_sys_finit_module __x64_sys_init_module __do_sys_init_module \
         __x64_sys_delete_module __do_sys_delete_module __arm64_sys_finit_module \
         __arm64_sys_init_module __arm64_sys_delete_module idempotent_init_module \
         init_module_from_file module_decompress mod_sysfs_setup kernel_read_file; do
  k=$(grep -cE " [tT] $f$" /tmp/kallsyms)
  ff=$(grep -cE "^$f( |\$)" /tmp/ftrace)
  log "symbol: $f kallsyms=$k ftrace=$ff"
done
for t in module/module_request module/module_load module/module_free module/module_put \
         syscalls/sys_enter_init_module syscalls/sys_exit_init_module \
         syscalls/sys_enter_finit_module syscalls/sys_exit_finit_module \
         syscalls/sys_enter_delete_module syscalls/sys_exit_delete_module; do
  if [ -d "/sys/kernel/tracing/events/$t" ]; then log "tracepoint: $t present"; else log "tracepoint: $t MISSING"; fi
done
log "kprobes: $(cat /sys/kernel/debug/kprobes/enabled 2>/dev/null || echo 'no debugfs kprobes')"

step lifetrace
if [ -z "${LT_NO_LIFETRACE:-}" ]; then
  log "lifetrace --version: $(lifetrace --version 2>&1)"
  lifetrace --follow --json -v >/run/lt-facts.out 2>/run/lt-facts.err &
  _pid=$!
  sleep 5
  if alive "$_pid"; then
    log "lifetrace --follow is running after 5 s; stopping it"
    kill -TERM "$_pid"
  fi
  wait "$_pid"
  log "lifetrace --follow exited with status $?; stderr:"
  sed 's/^/  | /' /run/lt-facts.err
fi

step attach_test
# Each /extra/*.bpf.o through /extra/ltprobe: every program loaded and attached alone, then one
# module load and unload, then the hits of each program.
if [ -x /extra/ltprobe ] && ls /extra/*.bpf.o >/dev/null 2>&1; then
  for obj in /extra/*.bpf.o; do
    log "attach test: $obj"
    /extra/ltprobe "$obj" >/run/probe.out 2>/run/probe.err &
    _pid=$!
    _i=0
    while ! grep -q PROBE-READY /run/probe.out && [ $_i -lt 600 ] && alive "$_pid"; do sleep 0.2; _i=$((_i + 1)); done
    load 0 finit "$(ko dummy)"
    unload dummy
    kill -TERM "$_pid"
    wait "$_pid"
    sed 's/^/  /' /run/probe.out
    sed 's/^/  stderr: /' /run/probe.err
  done
else
  log "no /extra/ltprobe and /extra/*.bpf.o: attach test skipped"
fi
lt_finish
