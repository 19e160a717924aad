# The scenario steps every kernel runs (busybox sh), sourced by the per-kernel scenarios.
# lifetrace-vm-check (tests/vm/check_scenarios.cpp) expects exactly these steps, in this order,
# under the same names: change both together.
#
# The kvm steps need kvm, kvm-intel and irqbypass as modules: x86 only. Debian's arm64 kernels
# build KVM and irqbypass in (arm64's KVM cannot be a module), so arm64 guests skip those steps.
#
# lt-modules: dummy veth minix
# lt-modules-amd64: irqbypass kvm kvm-intel
# shellcheck shell=sh

common_steps() {
  # A clean load through finit_module: load_start -> init_start -> init_done(0) -> live.
  step dummy_live
  load 0 finit "$(ko dummy)"
  expect_loaded dummy

  # Loading it again fails before init with EEXIST, once through each syscall.
  step dummy_eexist_init
  load EEXIST init "$(ko dummy)"
  step dummy_eexist_finit
  load EEXIST finit "$(ko dummy)"

  step dummy_unload
  unload dummy

  # A parameter that does not parse: EINVAL before init.
  step dummy_einval
  load EINVAL finit "$(ko dummy)" numdummies=abc

  # An unprivileged user floods init_module, finit_module and delete_module with strings made to
  # forge log lines and rewrite terminals, while a real module loads and unloads. The kernel
  # refuses every call (EPERM): lifetrace must report them only as rate-limited 'denied' events,
  # count every one, and lose nothing real (lifetrace-vm-check [denied]).
  step denied_flood
  ltload flood 1000 30000 "$(ko dummy)" >/run/flood.out 2>&1 &
  _flood=$!
  sleep 0.2
  load 0 finit "$(ko dummy)"
  step denied_flood_unload
  unload dummy
  wait $_flood || fail "the flood did not go as planned"
  log "$(cat /run/flood.out)"

  if [ "$(uname -m)" = x86_64 ]; then
    # kvm-intel without kvm: unknown symbols, ENOENT before init (init_module syscall).
    step kvm_intel_enoent
    load ENOENT init "$(ko kvm-intel)"

    # With its dependencies, kvm-intel's init runs and fails: no VMX under TCG.
    step kvm_deps_live
    load 0 finit "$(ko irqbypass)"
    load 0 finit "$(ko kvm)"
    step kvm_intel_init_fails
    load EOPNOTSUPP finit "$(ko kvm-intel)"
  else
    log "kvm steps skipped on $(uname -m): kvm and irqbypass are built into this kernel"
  fi

  # Loads the kernel asks for: request_module -> /sbin/modprobe (busybox) -> finit_module.
  step request_veth
  if ip link add lt_veth0 type veth peer name lt_veth1; then
    log "ip link add type veth: ok"
    ip link del lt_veth0 || fail "ip link del lt_veth0 failed"
  else
    fail "ip link add type veth failed"
  fi
  expect_loaded veth
  step request_minix
  mkdir -p /mnt/minix
  # The mount itself fails (no minix image); asking for the filesystem loads the module first.
  mount -t minix /dev/null /mnt/minix 2>/dev/null && umount /mnt/minix
  expect_loaded minix
  # A request modprobe can do nothing for (no such module): the request event stands alone,
  # with its request_id, and no load carries it (lifetrace-vm-check [chain]).
  step request_nothing
  mkdir -p /mnt/none
  if mount -t ltnosuchfs /dev/null /mnt/none 2>/dev/null; then
    fail "mount -t ltnosuchfs succeeded"
  fi

  step unload_rest
  unload veth minix
  [ "$(uname -m)" != x86_64 ] || unload kvm irqbypass

  builtin_facts
}

# What is linked into the kernel (issue 13), not a step of its own (no events): lifetrace's
# `list --builtin --json`, and the guest's own /proc/kallsyms and modules.builtin counted here,
# independently of lifetrace (awk: the crate root each v0 name outside modules starts from),
# for lifetrace-vm-check [builtin].
builtin_facts() {
  [ -n "${LT_NO_LIFETRACE:-}" ] && return 0
  lifetrace list --builtin --json 2>/run/builtin.err | sed 's/^/BUILTIN list /' \
    || fail "lifetrace list --builtin failed"
  sed 's/^/BUILTIN stderr /' /run/builtin.err
  # Counted by module name, as the kernel names them (file name, '-' as '_'): Debian's arm64 7.2
  # builds two objects each under the names arm_cci and clk_pll (drivers/bus and drivers/perf;
  # clk/mediatek and clk/meson), which the kernel knows as one module each.
  echo "BUILTIN modules_builtin $(grep '\.ko$' "$MODDIR/modules.builtin" |
    sed 's|.*/||; s|\.ko$||; s|-|_|g' | sort -u | wc -l)"
  awk 'NF == 3 && $2 ~ /^[tTwWdDbBrRvV]$/ && substr($3, 1, 2) == "_R" {
    s = substr($3, 3); crate = ""
    for (i = 0; i < 64 && s != ""; i++) {
      c = substr(s, 1, 1)
      if (c == "N") { s = substr(s, 3) }
      else if (c == "M" || c == "X") {
        s = substr(s, 2); if (match(s, /^s[0-9A-Za-z]*_/)) s = substr(s, RLENGTH + 1)
      }
      else if (c == "I") { s = substr(s, 2) }
      else if (c == "Y") {
        s = substr(s, 2)
        while (match(s, /^[RQ]L[0-9A-Za-z]*_|^[RQPOSA]/)) s = substr(s, RLENGTH + 1)
        if (s ~ /^[a-z]/) s = substr(s, 2)
      }
      else if (c == "C") {
        s = substr(s, 2); if (match(s, /^s[0-9A-Za-z]*_/)) s = substr(s, RLENGTH + 1)
        if (substr(s, 1, 1) == "u") s = substr(s, 2)
        if (match(s, /^[0-9]+/)) {
          n = substr(s, 1, RLENGTH) + 0; s = substr(s, RLENGTH + 1)
          if (substr(s, 1, 1) == "_") s = substr(s, 2)
          crate = substr(s, 1, n)
        }
        break
      }
      else break
    }
    if (crate != "") count[crate]++
  }
  END { for (c in count) print "BUILTIN kallsyms crate " c " " count[c] }' /proc/kallsyms
}
