#!/usr/bin/env bash
# Prints the path of a directory tree holding Debian's bpftrace and its shared-library closure,
# laid out as in the root filesystem (usr/bin/bpftrace, lib/..., usr/lib/...), for the footprint
# guest's initramfs (run-guest.sh --tree DIR).
#
# Usage: bench/footprint/bpftrace-tree.sh
#
# bpftrace is the machine's suite's package (bookworm: 0.17), like everything else in the guest
# (busybox, lifetrace and its libraries come from the host). Its packages are fetched with
# `apt-get download` (nothing is installed on the host), unpacked with dpkg-deb -x, and the tree
# is cached by version under
#   ${LIFETRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lifetrace}/bpftrace/VERSION/tree
# Only the packages the host does not have are downloaded; the rest of the closure is copied
# from the host's own libraries.
set -euo pipefail

prog=${0##*/}
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
note() { printf '%s: %s\n' "$prog" "$*" >&2; }

for tool in apt-get apt-cache dpkg-deb ldd; do
  command -v "$tool" >/dev/null || die "'$tool' not found (this script needs a Debian host)"
done
ver=$(apt-cache policy bpftrace 2>/dev/null | sed -n 's/^ *Candidate: *//p')
[[ -n $ver && $ver != "(none)" ]] || die "apt knows no bpftrace package
HINT: run apt-get update, or check /etc/apt/sources.list.d"
cache=${LIFETRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lifetrace}/bpftrace/$ver
tree=$cache/tree
if [[ -x $tree/usr/bin/bpftrace && -f $tree/.complete ]]; then
  echo "$tree"
  exit 0
fi
mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9
if [[ -x $tree/usr/bin/bpftrace && -f $tree/.complete ]]; then echo "$tree"; exit 0; fi

# The packages apt would have to install for bpftrace on this host (bpftrace itself included).
mapfile -t pkgs < <(apt-get install -s bpftrace 2>/dev/null | awk '$1 == "Inst" { print $2 }')
((${#pkgs[@]})) || die "apt-get install -s bpftrace lists nothing to install
HINT: is bpftrace already installed? Then this script is not needed; see bench/README.md"
note "bpftrace $ver: downloading ${pkgs[*]} into $cache"
(cd "$cache" && rm -f ./*.deb && apt-get download "${pkgs[@]}" >&2) \
  || die "apt-get download ${pkgs[*]} failed
HINT: the guest needs network access to the Debian archive once; the result is cached"
rm -rf "$cache/root" "$tree"
mkdir -p "$cache/root" "$tree/usr/bin"
for deb in "$cache"/*.deb; do dpkg-deb -x "$deb" "$cache/root"; done
cp "$cache/root/usr/bin/bpftrace" "$tree/usr/bin/bpftrace"

libpath=$cache/root/usr/lib/x86_64-linux-gnu:$cache/root/lib/x86_64-linux-gnu
LD_LIBRARY_PATH=$libpath ldd "$cache/root/usr/bin/bpftrace" >"$cache/ldd.txt" \
  || die "ldd of the unpacked bpftrace failed"
grep -q 'not found' "$cache/ldd.txt" && die "bpftrace needs libraries that are neither on the host nor \
downloaded: $(grep 'not found' "$cache/ldd.txt" | tr -s ' \t' ' ')"
# "libx.so.1 => /path/libx.so.1 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)". A library
# from the unpacked packages goes where the package puts it.
while read -r lib; do
  dest=${lib#"$cache/root"}
  mkdir -p "$tree$(dirname "$dest")"
  cp -L "$lib" "$tree$dest"
done < <(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' "$cache/ldd.txt")
touch "$tree/.complete"
note "bpftrace $ver tree: $(du -sh "$tree" | cut -f1) in $tree"
echo "$tree"
