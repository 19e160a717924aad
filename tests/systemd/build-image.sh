#!/usr/bin/env bash
# Builds (once) and caches a minimal Debian bookworm root file system with systemd as PID 1, for
# lifetrace's real-systemd test (tests/systemd/run-systemd-guest.sh).
#
# Usage: tests/systemd/build-image.sh [--rebuild] [--packages A,B,...]
#   --rebuild    throw the cached tree away and bootstrap again
#   --packages   more packages to include (run-systemd-guest.sh passes what the .deb's Depends:
#                names, so that `apt install ./lifetrace_*.deb` resolves it offline in the guest)
#
# The tree lives under ${LIFETRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lifetrace}/systemd-guest/
# and is keyed by IMAGE_KEY below: change it (or the package list) to rebuild. debootstrap
# fetches from the Debian archive named in the machine's own apt sources (no host name is written
# here). Stdout: the path of the finished tree. Progress and timings go to stderr.
set -euo pipefail

prog=${0##*/}
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
note() { printf '%s: %s\n' "$prog" "$*" >&2; }

rebuild=0 extra=""
while (($#)); do
  case $1 in
    --rebuild) rebuild=1; shift ;;
    --packages) extra=${2?}; shift 2 ;;
    *) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || die "debootstrap needs root (it creates device nodes and chowns files)"
command -v debootstrap >/dev/null || die "debootstrap not found; run scripts/install-deps.sh --tests"

SUITE=bookworm
# systemd as PID 1 with udev (coldplug loads modules), kmod (modprobe for udev and
# systemd-modules-load), bpftool (are lifetrace's programs gone after stop?), curl (/metrics).
PACKAGES=systemd,systemd-sysv,udev,kmod,bpftool,curl,procps,iproute2
# Sorted and de-duplicated, so the same set always maps to the same cached tree.
PACKAGES=$(tr ', ' '\n\n' <<<"$PACKAGES,$extra" | grep -v '^$' | sort -u | paste -sd, -)

cache=${LIFETRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lifetrace}/systemd-guest
IMAGE_KEY=1  # bump when the tree's post-processing below changes
key=$(printf '%s %s %s' "$SUITE" "$PACKAGES" "$IMAGE_KEY" | sha256sum | cut -c1-12)
tree=$cache/rootfs-$SUITE-$key
mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9

if ((rebuild)); then rm -rf "$tree"; fi
if [[ -f $tree/.lifetrace-image-done ]]; then
  note "cached: $tree (built in $(cat "$tree/.lifetrace-image-done") s)"
  echo "$tree"
  exit 0
fi

# The archive URI: the first plain (not -security/-updates) "deb" entry of the machine's sources.
machine_uris() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] && awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] && sed -E -n 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+).*/\2/p' "$f"
  done
  return 0
}
uri=$(machine_uris | grep -v security | head -n1 || true)
[[ -n $uri ]] || die "no Debian archive URI in the machine's apt sources"

rm -rf "$tree.partial"
t0=$(date +%s)
note "debootstrap $SUITE (minbase + $PACKAGES) into $tree; this takes a few minutes"
if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$tree.partial" "$uri" \
     >"$cache/debootstrap.log" 2>&1; then
  tail -n 20 "$cache/debootstrap.log" >&2
  die "debootstrap failed (full log: $cache/debootstrap.log)"
fi

r=$tree.partial
echo lifetrace-guest >"$r/etc/hostname"
# Root without a password on the serial console, for a person debugging the image by hand.
sed -i 's/^root:[^:]*:/root::/' "$r/etc/shadow"
echo '/dev/vda / ext4 rw,noatime 0 1' >"$r/etc/fstab"
# No network configuration is needed; keep boot short and quiet.
rm -f "$r"/etc/systemd/system/multi-user.target.wants/{apt-daily,apt-daily-upgrade}.timer
rm -f "$r"/etc/systemd/system/timers.target.wants/*.timer
apt_clean() { rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/*_Packages; }
apt_clean
secs=$(($(date +%s) - t0))
echo "$secs" >"$r/.lifetrace-image-done"
mv "$r" "$tree"
note "built $tree in ${secs} s"
echo "$tree"
