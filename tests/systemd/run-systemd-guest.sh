#!/usr/bin/env bash
# Boots a Debian bookworm guest with systemd as PID 1, installs lifetrace's Debian package in it
# with apt, and checks the service with the real systemd (tests/systemd/guest-check.sh).
#
# Usage: tests/systemd/run-systemd-guest.sh --build BUILD_DIR --out DIR [--timeout SEC]
#                                           [--deb FILE] [--lifetrace-args ARGS]
#   --build           the build directory: the package is BUILD_DIR/deb/lifetrace_*.deb
#                     (CTest package.build makes it: scripts/build-deb.sh --out BUILD_DIR/deb)
#   --deb             this .deb instead
#   --lifetrace-args  extra arguments for `lifetrace daemon`, through a drop-in that overrides
#                     ExecStart= (e.g. --attach=kprobe); default: the unit exactly as installed
#   --dropin FILE     a drop-in for lifetrace.service (to try a setting without reinstalling)
#
#   1. the bookworm kernel (6.1) from tests/vm/kernels.sh's cache;
#   2. the root file system from tests/systemd/build-image.sh (debootstrap, cached), with the
#      packages the .deb's Depends: names, so apt resolves them offline in the guest;
#   3. a copy of it with the kernel's modules, the .deb in /var/cache/lifetrace-test,
#      /etc/modules-load.d/lifetrace-test.conf (dummy) and the two check services;
#   4. an ext4 image of that (mkfs.ext4 -d, no loop mounts) and a tiny busybox initramfs that
#      loads virtio_blk and ext4, then switch_root to systemd;
#   5. qemu (TCG), console on ttyS0, results on ttyS1, booted twice on the same disk:
#      a. lifetrace.test=install: guest-install.sh runs `apt install ./lifetrace_*.deb` (the
#         postinst creates the group, applies tmpfiles, enables and starts the unit), checks
#         that, powers off -> DIR/results-install.log, DIR/console-install.log;
#      b. an ordinary boot: lifetrace starts from early boot; guest-check.sh, whose last step
#         is `apt purge lifetrace` -> DIR/results.log, DIR/console.log.
#
# Results in DIR: results-install.log, results.log, the console logs, metrics.txt (the guest's
# /metrics, linted with promtool on the host), blame/ (the guest's `lifetrace blame`, --json,
# `plot` as plot.svg and plot.png rendered on the host, the trace; tests/systemd/check-blame.py),
# timings (key=value). Exit status 0 when every
# check of both boots passed.
set -euo pipefail

prog=${0##*/}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
note() { printf '%s: %s\n' "$prog" "$*" >&2; }

build="" deb="" out="" timeout_s=${LIFETRACE_SYSTEMD_TIMEOUT:-900} lt_args=${LIFETRACE_SYSTEMD_ARGS:-} dropin=""
while (($#)); do
  case $1 in
    --build) build=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --deb) deb=${2:?}; shift 2 ;;
    --timeout) timeout_s=${2:?}; shift 2 ;;
    --lifetrace-args) lt_args=${2?}; shift 2 ;;
    --dropin) dropin=${2:?}; shift 2 ;;
    *) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
  esac
done
[[ -n $out ]] || die "--out is required"
if [[ -z $deb ]]; then
  [[ -n $build ]] || die "--build or --deb is required"
  mapfile -t debs < <(find "$build/deb" -maxdepth 1 -name 'lifetrace_*.deb' 2>/dev/null)
  ((${#debs[@]} == 1)) || die "expected one lifetrace_*.deb in $build/deb, found ${#debs[@]}
HINT: build it with scripts/build-deb.sh --out $build/deb (CTest package.build)"
  deb=${debs[0]}
fi
[[ -f $deb ]] || die "$deb does not exist"
[[ $(id -u) -eq 0 ]] || die "needs root (debootstrap, file ownership in the image)"
for t in qemu-system-x86_64 busybox cpio mkfs.ext4 dpkg-deb timeout; do
  command -v "$t" >/dev/null || die "'$t' not found; run scripts/install-deps.sh --tests"
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/work" "$out/blame" "$out"/{results.log,console.log,results-install.log,console-install.log,metrics.txt,timings,disk.ext4,initrd.cpio}
timings=$out/timings
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# --- kernel and image ---------------------------------------------------------------------
t0=$(now)
"$repo/tests/vm/kernels.sh" --env-file "$out/kernel.env" bookworm >/dev/null \
  || die "could not get the bookworm kernel (tests/vm/kernels.sh bookworm)"
KVER="" VMLINUZ="" MODDIR=""
# shellcheck disable=SC1091
. "$out/kernel.env"
t1=$(now)
# The guest has no network: what the package's Depends: names must be in the image already, so
# that apt resolves it from what is installed. The first alternative of each (dh_shlibdeps and
# dh_installsysusers computed them); debootstrap brings in their own dependencies.
depends=$(dpkg-deb -f "$deb" Depends) || die "cannot read Depends: of $deb"
libpkgs=$(tr ',' '\n' <<<"$depends" | sed -E 's/\|.*//; s/\(.*\)//; s/:any//; s/[[:space:]]//g' \
  | grep -v '^$' | sort -u | paste -sd, -)
note "package $(basename "$deb"); Depends: $depends"
tree=$("$here/build-image.sh" --packages "$libpkgs") || die "could not build the guest image"
t2=$(now)
echo "image_seconds=$(secs "$t1" "$t2")" >>"$timings"
echo "image_cached_build_seconds=$(cat "$tree/.lifetrace-image-done")" >>"$timings"
note "kernel $KVER ($(secs "$t0" "$t1") s), image $tree ($(secs "$t1" "$t2") s)"

# --- the guest's root: image + modules + lifetrace ----------------------------------------
work=$out/work/root
mkdir -p "$out/work"
cp -a "$tree" "$work"
mkdir -p "$work/usr/lib/modules"
cp -al "$MODDIR" "$work/usr/lib/modules/$KVER" 2>/dev/null || cp -a "$MODDIR" "$work/usr/lib/modules/$KVER"
# The package, for apt in the first boot (guest-install.sh).
mkdir -p "$work/var/cache/lifetrace-test"
cp "$deb" "$work/var/cache/lifetrace-test/"
# A user to follow without root; guest-install.sh adds it to the group the package creates.
echo "follower:x:1000:1000::/nonexistent:/usr/sbin/nologin" >>"$work/etc/passwd"
echo "follower:!:19000::::::" >>"$work/etc/shadow"
echo "follower:x:1000:" >>"$work/etc/group"
echo dummy >"$work/etc/modules-load.d/lifetrace-test.conf"
if [[ -n $lt_args ]]; then
  mkdir -p "$work/etc/systemd/system/lifetrace.service.d"
  printf '[Service]\nExecStart=\nExecStart=/usr/bin/lifetrace daemon %s\n' "$lt_args" \
    >"$work/etc/systemd/system/lifetrace.service.d/test-args.conf"
  note "drop-in: lifetrace daemon $lt_args"
fi
if [[ -n $dropin ]]; then
  mkdir -p "$work/etc/systemd/system/lifetrace.service.d"
  cp "$dropin" "$work/etc/systemd/system/lifetrace.service.d/test-dropin.conf"
  note "drop-in: $(tr '\n' ' ' <"$dropin")"
fi
install -m 0755 "$here/guest-check.sh" "$work/usr/local/sbin/lifetrace-guest-check"
install -m 0755 "$here/guest-install.sh" "$work/usr/local/sbin/lifetrace-guest-install"
# ltload (tests/vm/tools): the unprivileged flood of module syscalls in guest-check.sh.
gcc -static -O2 -o "$work/usr/local/bin/ltload" "$here/../vm/tools/ltload.c" \
  || die "cannot build tests/vm/tools/ltload.c (gcc, static glibc)"
# The first boot (lifetrace.test=install on the kernel command line) installs, the second checks.
cat >"$work/etc/systemd/system/lifetrace-guest-install.service" <<'UNIT'
[Unit]
Description=lifetrace's systemd guest: apt install the package
ConditionKernelCommandLine=lifetrace.test=install
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/lifetrace-guest-install
StandardOutput=journal+console
UNIT
cat >"$work/etc/systemd/system/lifetrace-guest-check.service" <<'UNIT'
[Unit]
Description=lifetrace's systemd guest checks
ConditionKernelCommandLine=!lifetrace.test=install
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/lifetrace-guest-check
StandardOutput=journal+console
UNIT
mkdir -p "$work/etc/systemd/system/multi-user.target.wants" "$work/etc/systemd/system/default.target.wants"
ln -sf /etc/systemd/system/lifetrace-guest-install.service "$work/etc/systemd/system/default.target.wants/"
ln -sf /etc/systemd/system/lifetrace-guest-check.service "$work/etc/systemd/system/default.target.wants/"
# Nobody logs in: no getty on the console.
ln -sf /dev/null "$work/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$work/etc/systemd/system/getty@tty1.service"

size_mb=$(( $(du -sm "$work" | cut -f1) + 200 ))
mkfs.ext4 -q -F -L root -d "$work" "$out/disk.ext4" "${size_mb}M" || die "mkfs.ext4 -d failed"
t3=$(now)
echo "prepare_disk_seconds=$(secs "$t2" "$t3")" >>"$timings"

# --- the initramfs: mount /dev/vda and switch_root to systemd ------------------------------
stage=$out/work/initramfs
mkdir -p "$stage"/{bin,dev,proc,sys,sysroot,mods}
cp "$(command -v busybox)" "$stage/bin/busybox"
ldd "$stage/bin/busybox" >/dev/null 2>&1 && die "busybox is dynamically linked; install busybox-static"
order=""
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk \
         crc16 mbcache jbd2 crc32c_generic ext4; do
  rel=$(grep -m1 -E "(^|/)$m\.ko(\.[a-z]+)?:" "$MODDIR/modules.dep" | cut -d: -f1) || true
  if [[ -z $rel ]]; then
    grep -qE "(^|/)$m\.ko" "$MODDIR/modules.builtin" || die "$KVER has no module $m"
    continue  # built in
  fi
  case $rel in
    *.xz) xz -dc "$MODDIR/$rel" >"$stage/mods/$m.ko" ;;
    *.zst) zstd -q -dc "$MODDIR/$rel" >"$stage/mods/$m.ko" ;;
    *) cp "$MODDIR/$rel" "$stage/mods/$m.ko" ;;
  esac
  order+=" $m"
done
cat >"$stage/init" <<INIT
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
for m in$order; do /bin/busybox insmod /mods/\$m.ko || echo "initramfs: insmod \$m failed"; done
for i in \$(/bin/busybox seq 1 50); do [ -b /dev/vda ] && break; /bin/busybox sleep 0.1; done
/bin/busybox mount -t ext4 -o rw /dev/vda /sysroot || { echo "initramfs: cannot mount /dev/vda"; /bin/busybox poweroff -f; }
/bin/busybox mount --move /dev /sysroot/dev
/bin/busybox umount /proc /sys
exec /bin/busybox switch_root /sysroot /sbin/init
INIT
chmod +x "$stage/init"
(cd "$stage" && find . | cpio -o -H newc --quiet -R 0:0) >"$out/initrd.cpio"

# --- boot (twice, on the same disk) -----------------------------------------------------------
boot() {  # SUFFIX EXTRA_CMDLINE: qemu's exit status in $qrc
  set +e
  timeout -k 10 "$timeout_s" qemu-system-x86_64 -accel tcg -m 2G -smp 2 -nographic -no-reboot \
    -kernel "$VMLINUZ" -initrd "$out/initrd.cpio" \
    -drive "file=$out/disk.ext4,if=virtio,format=raw" \
    -append "console=ttyS0 root=/dev/vda rw panic=-1 systemd.show_status=false $2" \
    -nic none -serial "file:$out/console$1.log" -serial "file:$out/results$1.log" -monitor none \
    </dev/null >"$out/qemu$1.log" 2>&1
  qrc=$?
  set -e
}
note "booting $KVER with systemd to apt install $(basename "$deb") (timeout ${timeout_s}s)"
t4=$(now)
boot -install lifetrace.test=install
t5=$(now)
echo "qemu_install_seconds=$(secs "$t4" "$t5")" >>"$timings"
echo "qemu_install_exit=$qrc" >>"$timings"
ri=$(tr -d '\r' <"$out/results-install.log")
if [[ $qrc -eq 124 || $qrc -eq 137 ]] || ! grep -q '^@@LT-INSTALL-END' <<<"$ri"; then
  note "the install boot did not finish (qemu exit $qrc); the end of its console:"
  tr -d '\r' <"$out/console-install.log" | tail -n 30 >&2
  grep -E '^(PASS|FAIL)' <<<"$ri" | sed 's/^/  /' >&2
  rm -f "$out/disk.ext4" "$out/initrd.cpio"; rm -rf "$out/work"
  exit 1
fi
echo "apt_install_seconds=$(sed -n 's/^INFO apt_install_seconds=//p' <<<"$ri")" >>"$timings"

note "booting $KVER with systemd, lifetrace installed (timeout ${timeout_s}s)"
t4=$(now)
boot "" ""
t5=$(now)
echo "qemu_seconds=$(secs "$t4" "$t5")" >>"$timings"
echo "qemu_exit=$qrc" >>"$timings"
rm -f "$out/disk.ext4" "$out/initrd.cpio"
rm -rf "$out/work"

r=$(tr -d '\r' <"$out/results.log")
# The install boot's checks count like the others.
r=$(grep -E '^(PASS|FAIL)' <<<"$ri")$'\n'"$r"
val() { sed -n "s/^INFO $1=//p" <<<"$r" | tail -n1; }
usec_to_s() { [[ -n $1 ]] && awk -v u="$1" 'BEGIN { printf "%.1f", u / 1e6 }'; }
{
  echo "boot_to_lifetrace_exec_seconds=$(usec_to_s "$(val lifetrace_exec_start_us)")"
  echo "boot_to_lifetrace_active_seconds=$(usec_to_s "$(val lifetrace_active_us)")"
  echo "boot_to_multi_user_seconds=$(usec_to_s "$(val multi_user_active_us)")"
  echo "restart_seconds=$(val restart_seconds)"
} >>"$timings"
sed 's/^/  /' "$timings" >&2

sed -n '/^@@BEGIN metrics@@$/,/^@@END metrics@@$/{//!p}' <<<"$r" >"$out/metrics.txt"
if [[ ! -s $out/metrics.txt ]]; then
  echo "FAIL promtool_guest_metrics: no metrics captured" >>"$out/results.log"
elif command -v promtool >/dev/null; then
  if lint=$(promtool check metrics <"$out/metrics.txt" 2>&1) && [[ -z $lint ]]; then
    note "promtool check metrics (the guest's /metrics): clean"
  else
    note "promtool check metrics (the guest's /metrics): $lint"
    r+=$'\n'"FAIL promtool_guest_metrics: $lint"
  fi
else
  r+=$'\n'"FAIL promtool_guest_metrics: promtool not found (Debian package prometheus)"
fi

# blame and plot (guest-check.sh 4c): JSON, the SVG rendered, compared with /proc/modules and
# the initramfs's modules (loaded before lifetrace). The rendered plot stays in DIR/blame/plot.png.
mkdir -p "$out/blame"
for s in blame_json:blame.json plot_svg:plot.svg plot_trace:trace.json proc_modules:proc_modules.txt; do
  sed -n "/^@@BEGIN ${s%%:*}@@\$/,/^@@END ${s%%:*}@@\$/{//!p}" <<<"$r" >"$out/blame/${s#*:}"
done
sed -n '/^@@BEGIN blame@@$/,/^@@END blame@@$/{//!p}' <<<"$r" >"$out/blame/blame.txt"
blame_check=$("$here/check-blame.py" "$out/blame" "$order" 2>&1) || true
sed 's/^/  /' <<<"$blame_check" | grep -v '^  \(PASS\|FAIL\)' >&2 || true
r+=$'\n'"$(grep -E '^(PASS|FAIL)' <<<"$blame_check" || echo "FAIL host_blame_check: $blame_check")"

grep -E '^(PASS|FAIL)' <<<"$r" | sed 's/^/  /' >&2
if [[ $qrc -eq 124 || $qrc -eq 137 ]]; then
  note "the guest did not power off within ${timeout_s}s; the end of its console:"
  tr -d '\r' <"$out/console.log" | tail -n 30 >&2
  exit 1
fi
grep -q '^@@LT-GUEST-END' <<<"$r" || { note "the checks did not finish; console tail:"; tr -d '\r' <"$out/console.log" | tail -n 30 >&2; exit 1; }
if grep -q '^FAIL' <<<"$r"; then
  note "some checks failed; see $out/results.log and $out/console.log"
  exit 1
fi
note "all checks passed ($(grep -c '^PASS' <<<"$r") checks); results in $out"
