#!/usr/bin/env bash
# Boots a Debian kernel in qemu (TCG) with a busybox initramfs and runs one lifetrace scenario.
#
# Usage: tests/vm/run-guest.sh --kernel-env FILE --scenario FILE --out DIR [options]
#   --kernel-env FILE     env file written by tests/vm/kernels.sh (KVER, VMLINUZ, MODDIR, ...);
#                         its ARCH (amd64 when absent, or arm64) picks the guest: arm64 boots
#                         with qemu-system-aarch64 -M virt -cpu max and the env's BUSYBOX
#   --scenario FILE       guest script (busybox sh), e.g. tests/vm/scenarios/sid.sh; its
#                         "# lt-modules: a b" lines (and those of the /lt/*.sh files it sources)
#                         name the kernel modules to put in the guest, with their dependencies;
#                         "# lt-modules-ARCH: ..." lines add modules for one architecture only
#   --out DIR             where the results go (created; previous results there are replaced)
#   --lifetrace BIN       the lifetrace binary (with its ldd closure; for arm64, built with
#                         cmake/toolchain-aarch64.cmake, the closure comes from the arm64 multiarch
#                         libraries); without it the scenario only loads and unloads modules
#                         (LT_NO_LIFETRACE=1 in the guest)
#   --lifetrace-args ARGS extra lifetrace arguments, e.g. --attach=kprobe
#   --stop-signal SIG     how the scenario stops lifetrace: INT (default) or TERM
#   --modules "A B"       more modules to include
#   --extra FILE          a file to put in the guest's /extra (repeatable; e.g. fixture .ko)
#   --tree DIR            copy DIR's contents into the guest's root (repeatable; e.g. bpftrace and
#                         its libraries from bench/footprint/bpftrace-tree.sh)
#   --timeout SEC         hard limit for the guest (default 300)
#   --append ARGS         more kernel command line
#   --qemu-arg ARG        one more qemu argument (repeatable), e.g. a -nic for a networked guest
#   --show-console        copy the console to stdout while the guest runs (it is always saved)
#
# Results in DIR: lifetrace.ndjson (lifetrace's stdout), lifetrace.stderr, scenario.log (the
# scenario's own output), dmesg.txt, console.log (everything on the console), status (key=value
# summary) and kernel.env. Exit status: 0 when the guest ran the scenario to the end and the
# scenario reported success; 1 otherwise (the reason is printed).
set -euo pipefail

prog=${0##*/}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
note() { printf '%s: %s\n' "$prog" "$*" >&2; }
usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2; }

kernel_env="" scenario="" out="" lifetrace="" lt_args="" more_modules="" timeout_s=300 append=""
stop_signal=INT
show_console=0
extras=()
trees=()
qemu_extra=()
while (($#)); do
  case $1 in
    --kernel-env) kernel_env=${2:?}; shift 2 ;;
    --scenario) scenario=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --lifetrace) lifetrace=${2:?}; shift 2 ;;
    --lifetrace-args) lt_args=${2?}; shift 2 ;;
    --stop-signal) stop_signal=${2:?}; shift 2 ;;
    --modules) more_modules+=" ${2?}"; shift 2 ;;
    --extra) extras+=("${2:?}"); shift 2 ;;
    --tree) trees+=("${2:?}"); shift 2 ;;
    --timeout) timeout_s=${2:?}; shift 2 ;;
    --append) append=${2?}; shift 2 ;;
    --qemu-arg) qemu_extra+=("${2?}"); shift 2 ;;
    --show-console) show_console=1; shift ;;
    -h|--help) usage ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ -n $kernel_env && -n $scenario && -n $out ]] || usage
[[ -f $kernel_env ]] || die "kernel env file '$kernel_env' not found; create it with tests/vm/kernels.sh --env-file FILE SUITE"
[[ -f $scenario ]] || die "scenario '$scenario' not found"
[[ $stop_signal == INT || $stop_signal == TERM ]] || die "--stop-signal must be INT or TERM"
[[ -z $lifetrace || -x $lifetrace ]] || die "lifetrace binary '$lifetrace' is not an executable file; build it first (cmake --build BUILD --target lifetrace)"
for f in "${extras[@]}"; do [[ -f $f ]] || die "extra file '$f' not found"; done
for d in "${trees[@]}"; do [[ -d $d ]] || die "tree '$d' is not a directory"; done

KVER="" VMLINUZ="" MODDIR="" SUITE="" ARCH="" BUSYBOX=""
# shellcheck disable=SC1090
. "$kernel_env"
[[ -n $KVER && -f $VMLINUZ && -f $MODDIR/modules.dep ]] \
  || die "$kernel_env does not describe an unpacked kernel (KVER, VMLINUZ, MODDIR); rerun tests/vm/kernels.sh"
ARCH=${ARCH:-amd64}

# What differs between the guests' architectures. The guest's /init links /dev/lt-console,
# /dev/lt-out (lifetrace's stdout), /dev/lt-err (its stderr) and /dev/lt-log (the scenario's log)
# to the devices below; the host side of each is a file in OUT.
case $ARCH in
  amd64)
    qemu_bin=qemu-system-x86_64 cc=gcc objcopy=objcopy readelf=readelf elf_machine="X86-64"
    busybox=$(command -v busybox || true)
    qemu_machine=(-accel tcg)
    console=ttyS0
    ;;
  arm64)
    # -M virt has one PL011 UART (the console); the three streams go through virtio-serial
    # ports (virtio_console and virtio_pci are built into Debian's arm64 kernel), which the
    # guest finds by name under /sys/class/virtio-ports.
    qemu_bin=qemu-system-aarch64 cc=aarch64-linux-gnu-gcc objcopy=aarch64-linux-gnu-objcopy
    readelf=aarch64-linux-gnu-readelf elf_machine="AArch64"
    busybox=$BUSYBOX
    [[ -n $busybox && -x $busybox ]] || die "$kernel_env names no arm64 busybox (BUSYBOX); rerun tests/vm/kernels.sh --arch arm64"
    # pauth-impdef: TCG's architected pointer authentication is slow to emulate.
    qemu_machine=(-accel tcg -M virt -cpu "max,pauth-impdef=on")
    console=ttyAMA0
    ;;
  *) die "$kernel_env: unknown ARCH '$ARCH' (amd64 or arm64)" ;;
esac
for tool in "$qemu_bin" cpio depmod timeout "$cc" "$readelf" xz; do
  command -v "$tool" >/dev/null || die "'$tool' not found; run scripts/install-deps.sh --tests$([[ $ARCH == amd64 ]] || echo " --$ARCH")"
done
[[ -n $busybox ]] || die "busybox not found; run scripts/install-deps.sh --tests"
# A static busybox has no program interpreter (works for a foreign architecture's too).
if "$readelf" -l "$busybox" 2>/dev/null | grep -q 'Requesting program interpreter'; then
  die "$busybox is dynamically linked; install busybox-static"
fi

cache=${LIFETRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lifetrace}
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/{lifetrace.ndjson,lifetrace.stderr,scenario.log,dmesg.txt,console.log,status,kernel.env}
cp "$kernel_env" "$out/kernel.env"
stage=$(mktemp -d "${TMPDIR:-/tmp}/lifetrace-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# --- ltload, the static one-syscall module loader (tests/vm/tools/ltload.c) --------------------
src=$here/tools/ltload.c
ltload=$cache/tools/ltload-$(sha256sum "$src" | cut -c1-16)
[[ $ARCH == amd64 ]] || ltload+=-$ARCH
if [[ ! -x $ltload ]]; then
  mkdir -p "$cache/tools"
  "$cc" -static -O2 -Wall -Wextra -o "$ltload.$$" "$src" \
    || die "cannot build $src with $cc -static (is libc6-dev$([[ $ARCH == amd64 ]] || echo ":$ARCH") installed?)"
  mv "$ltload.$$" "$ltload"
fi

# --- busybox, the scenario scripts and /init ------------------------------------------------
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,mnt,lt,extra,etc}
cp "$busybox" "$stage/bin/busybox"
cp "$ltload" "$stage/usr/bin/ltload"
cp "$here"/scenarios/*.sh "$stage/lt/"
scen_name=$(basename "$scenario")
cp "$scenario" "$stage/lt/$scen_name"
echo 'root:x:0:0:root:/root:/bin/sh' >"$stage/etc/passwd"
echo 'root:x:0:' >"$stage/etc/group"

{
  printf 'LT_ARGS=%q\n' "$lt_args"
  printf 'LT_READY_TIMEOUT=%q\n' "${LT_READY_TIMEOUT:-120}"
  printf 'LT_STOP_TIMEOUT=%q\n' "${LT_STOP_TIMEOUT:-30}"
  printf 'LT_STOP_SIGNAL=%q\n' "$stop_signal"
  [[ -n $lifetrace ]] || echo 'LT_NO_LIFETRACE=1'
} >"$stage/lt/config"

# How /init reaches the host's files: x86's four UARTs, or arm64's console UART plus three
# virtio-serial ports named lt.out, lt.err and lt.log.
# shellcheck disable=SC2016  # guest shell code, expanded in the guest
if [[ $ARCH == amd64 ]]; then
  streams='ln -s ttyS1 /dev/lt-out; ln -s ttyS2 /dev/lt-err; ln -s ttyS3 /dev/lt-log
for t in 1 2 3; do stty -F /dev/ttyS$t raw -echo -onlcr 115200 || echo "init: stty ttyS$t failed"; done'
else
  streams='for p in /sys/class/virtio-ports/*; do
  n=$(cat "$p/name" 2>/dev/null)
  case $n in lt.out|lt.err|lt.log) ln -s "${p##*/}" "/dev/lt-${n#lt.}" ;; esac
done
for n in out err log; do [ -e /dev/lt-$n ] || echo "init: no virtio-serial port lt.$n"; done'
fi

cat >"$stage/init" <<'EOF'
#!/bin/busybox sh
# Generated by tests/vm/run-guest.sh. /dev/lt-console: the console; /dev/lt-out: lifetrace's
# stdout; /dev/lt-err: its stderr; /dev/lt-log: the scenario's log (x86: ttyS0..3; arm64:
# ttyAMA0 and virtio-serial ports).
/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tracefs tracefs /sys/kernel/tracing || echo "init: cannot mount tracefs"
mount -t debugfs debugfs /sys/kernel/debug || echo "init: cannot mount debugfs"
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
ln -s CONSOLE /dev/lt-console
@STREAMS@
echo "@@LT-SCENARIO-BEGIN $(uname -r) @@"
sh /lt/SCENARIO </dev/null >/dev/lt-log 2>&1
rc=$?
echo "@@LT-SCENARIO-EXIT=$rc@@"
echo "@@LT-DMESG-BEGIN@@"
dmesg
echo "@@LT-DMESG-END@@"
sync
poweroff -f
EOF
sed -i -e "s|/lt/SCENARIO|/lt/$scen_name|" -e "s|ln -s CONSOLE|ln -s $console|" "$stage/init"
awk -v s="$streams" '$0 == "@STREAMS@" { print s; next } { print }' "$stage/init" >"$stage/init.new"
mv "$stage/init.new" "$stage/init"
chmod +x "$stage/init"

# --- lifetrace and its shared-library closure -------------------------------------------------
# A foreign architecture's binary: ldd cannot run it, so follow its NEEDED entries through the
# multiarch library directories (where Debian's :ARCH packages put them), plus its interpreter.
foreign_closure() {  # FILE -> absolute paths, one a line
  local triple=aarch64-linux-gnu
  local -A seen=()
  local queue=("$1") f lib dir found interp
  interp=$("$readelf" -l "$1" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
  [[ -z $interp ]] || { [[ -e $interp ]] || die "$1 needs $interp, which is not installed (libc6:$ARCH)"; echo "$interp"; }
  while ((${#queue[@]})); do
    f=${queue[0]}; queue=("${queue[@]:1}")
    while read -r lib; do
      [[ -n ${seen[$lib]:-} ]] && continue
      seen[$lib]=1
      found=""
      for dir in /lib/$triple /usr/lib/$triple; do
        if [[ -e $dir/$lib ]]; then found=$dir/$lib; break; fi
      done
      [[ -n $found ]] || die "$1 needs $lib, which is not in /lib/$triple or /usr/lib/$triple; run scripts/install-deps.sh --$ARCH"
      echo "$found"
      queue+=("$found")
    done < <("$readelf" -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  done
}

copy_with_closure() {  # FILE DEST-IN-STAGE
  local bin=$1 dest=$2 lib
  mkdir -p "$stage$(dirname "$dest")"
  "$readelf" -h "$bin" 2>/dev/null | grep -q "Machine:.*$elf_machine" \
    || die "$bin is not a binary for this guest ($ARCH: $elf_machine); $("$readelf" -h "$bin" 2>/dev/null | sed -n 's/^ *Machine: *//p')"
  # Without debug info: a RelWithDebInfo lifetrace is several times larger, and the guest
  # spends seconds unpacking it under TCG.
  if ! "$objcopy" --strip-debug "$bin" "$stage$dest" 2>/dev/null; then cp -L "$bin" "$stage$dest"; fi
  if [[ $ARCH != amd64 ]]; then
    while read -r lib; do
      [[ -e $stage$lib ]] && continue
      mkdir -p "$stage$(dirname "$lib")"
      cp -L "$lib" "$stage$lib"
    done < <(foreign_closure "$bin")
  elif ldd "$bin" >/dev/null 2>&1; then
    # "libx.so.1 => /path/libx.so.1 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)"
    while read -r lib; do
      [[ -e $stage$lib ]] && continue
      mkdir -p "$stage$(dirname "$lib")"
      cp -L "$lib" "$stage$lib"
    done < <(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')
    ldd "$bin" | grep -q 'not found' && die "ldd $bin: some libraries are not found: $(ldd "$bin" | grep 'not found' | tr -s ' \t' ' ')"
  fi
  return 0
}
if [[ -n $lifetrace ]]; then
  copy_with_closure "$lifetrace" /usr/sbin/lifetrace
fi

# --- kernel modules: the scenario's list with their modules.dep closure, decompressed ---------
# Names from "# lt-modules:" lines of the scenario and of the /lt/*.sh files it sources.
scen_files=("$scenario")
while read -r inc; do
  [[ -f $here/scenarios/$inc ]] && scen_files+=("$here/scenarios/$inc")
done < <(sed -nE 's|^[[:space:]]*\.[[:space:]]+/lt/([A-Za-z0-9_.-]+\.sh).*|\1|p' "$scenario")
wanted=$(sed -n -e 's/^#[[:space:]]*lt-modules:[[:space:]]*//p' \
               -e "s/^#[[:space:]]*lt-modules-$ARCH:[[:space:]]*//p" "${scen_files[@]}" | tr '\n' ' ')
wanted+=" $more_modules"

# modules.dep lines: "kernel/x/a.ko.xz: kernel/y/b.ko.xz kernel/z/c.ko.xz"
closure=$(awk -v want="$wanted" '
  function norm(s) { gsub(/-/, "_", s); return s }
  function modname(p) { sub(/.*\//, "", p); sub(/\.ko(\.(xz|zst|gz))?$/, "", p); return norm(p) }
  BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) wanted[norm(w[i])] = 1 }
  { key = $1; sub(/:$/, "", key); m = modname(key)
    if (m in wanted) { found[m] = 1; print key; for (i = 2; i <= NF; i++) print $i } }
  END { for (m in wanted) if (!(m in found)) print "MISSING " m }' "$MODDIR/modules.dep" | sort -u)
if grep -q '^MISSING ' <<<"$closure"; then
  die "$KVER has no module(s): $(sed -n 's/^MISSING //p' <<<"$closure" | tr '\n' ' ')(check the lt-modules lines of $scenario)"
fi

gmod=$stage/lib/modules/$KVER
mkdir -p "$gmod"
nmods=0
while read -r rel; do
  [[ -n $rel ]] || continue
  dst=$gmod/${rel%.*}
  case $rel in
    *.ko.xz) mkdir -p "$(dirname "$dst")"; xz -dc "$MODDIR/$rel" >"$dst" ;;
    *.ko.zst) mkdir -p "$(dirname "$dst")"; zstd -q -dc "$MODDIR/$rel" >"$dst" ;;
    *.ko.gz) mkdir -p "$(dirname "$dst")"; gzip -dc "$MODDIR/$rel" >"$dst" ;;
    *.ko) dst=$gmod/$rel; mkdir -p "$(dirname "$dst")"; cp "$MODDIR/$rel" "$dst" ;;
    *) die "unexpected module file name in modules.dep: $rel" ;;
  esac
  nmods=$((nmods + 1))
done <<<"$closure"
for f in modules.builtin modules.builtin.modinfo modules.order; do
  [[ -f $MODDIR/$f ]] && cp "$MODDIR/$f" "$gmod/"
done
# modules.dep, modules.alias (for the kernel's request_module -> modprobe) for the subset.
depmod -b "$stage" "$KVER" || die "depmod for the guest's module subset failed"

for f in "${extras[@]}"; do cp "$f" "$stage/extra/"; done
for d in "${trees[@]}"; do cp -a "$d/." "$stage/"; done

# --- pack (uncompressed: the guest unpacks it faster than it would gunzip it under TCG) ---------
initrd=$out/.initramfs.cpio
(cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) >"$initrd" \
  || die "cpio failed"
note "initramfs: $nmods module(s), $(du -h "$initrd" | cut -f1); booting $KVER (timeout ${timeout_s}s)"

# --- boot -------------------------------------------------------------------------------------
start=$(date +%s.%N)
set +e
if [[ $ARCH == amd64 ]]; then
  streams=(-serial "file:$out/lifetrace.ndjson" -serial "file:$out/lifetrace.stderr"
           -serial "file:$out/scenario.log")
else
  streams=(-device "virtio-serial-pci,id=ltser")
  for p in out:lifetrace.ndjson err:lifetrace.stderr log:scenario.log; do
    streams+=(-chardev "file,id=lt${p%%:*},path=$out/${p#*:}"
              -device "virtserialport,bus=ltser.0,chardev=lt${p%%:*},name=lt.${p%%:*}")
  done
fi
qemu=(timeout -k 10 "$timeout_s" "$qemu_bin" "${qemu_machine[@]}" -m 1G -smp 2 -nographic -no-reboot
  -kernel "$VMLINUZ" -initrd "$initrd"
  -append "console=$console quiet panic=-1 $append"
  -serial stdio "${streams[@]}" -monitor none "${qemu_extra[@]}")
if ((show_console)); then
  "${qemu[@]}" </dev/null | tee "$out/console.log" \
    | sed -u '/@@LT-DMESG-BEGIN@@/,/@@LT-DMESG-END@@/d'   # saved in dmesg.txt; too long to show
  qrc=${PIPESTATUS[0]}
else
  "${qemu[@]}" </dev/null >"$out/console.log" 2>&1
  qrc=$?
fi
set -e
end=$(date +%s.%N)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
rm -f "$initrd"

# The console uses \r\n; dmesg.txt is the part between the markers, with plain \n.
tr -d '\r' <"$out/console.log" | sed -n '/^@@LT-DMESG-BEGIN@@$/,/^@@LT-DMESG-END@@$/{//!p}' >"$out/dmesg.txt"
scen_rc=$(tr -d '\r' <"$out/console.log" | sed -n 's/^@@LT-SCENARIO-EXIT=\([0-9]*\)@@$/\1/p' | tail -n1)

{
  echo "kernel=$KVER"
  echo "suite=$SUITE"
  echo "arch=$ARCH"
  echo "scenario=$scen_name"
  echo "lifetrace=${lifetrace:-none}"
  echo "lifetrace_args=$lt_args"
  echo "stop_signal=$stop_signal"
  echo "qemu_exit=$qrc"
  echo "scenario_exit=${scen_rc:-none}"
  echo "boot_seconds=$secs"
} >"$out/status"

if [[ $qrc -eq 124 || $qrc -eq 137 ]]; then
  note "the guest did not finish within ${timeout_s}s; the end of its console and scenario log:"
  tr -d '\r' <"$out/console.log" | tail -n 15 >&2
  tail -n 15 "$out/scenario.log" >&2
  exit 1
fi
if [[ -z $scen_rc ]]; then
  note "the guest stopped (qemu exit $qrc after ${secs}s) before the scenario finished; the end of its console:"
  tr -d '\r' <"$out/console.log" | tail -n 25 >&2
  exit 1
fi
if [[ $scen_rc -ne 0 ]]; then
  note "scenario $scen_name reported failures on $KVER (${secs}s); see $out/scenario.log:"
  grep -E 'FAIL|^  \|' "$out/scenario.log" >&2 || true
  exit 1
fi
note "scenario $scen_name passed on $KVER in ${secs}s; results in $out"
