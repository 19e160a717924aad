#!/usr/bin/env bash
# Builds lifetrace's Debian package (debian/, debhelper) from this tree.
#
# Usage: scripts/build-deb.sh [--out DIR] [--jobs N]
#   --out   where the .deb (and .buildinfo, .changes) go; default build/deb
#   --jobs  parallel compile jobs; default nproc
#
# dpkg-buildpackage writes its results into the parent of the tree it builds and leaves
# debian/lifetrace, obj-*/ and debian/.debhelper behind, so it runs in a copy of the tree
# (git's tracked and untracked-but-not-ignored files, as they are in the working tree) under
# DIR/src/lifetrace, and the results are moved to DIR. The same path every time lets ccache
# reuse the previous build's objects (Debian's flags name the path: -ffile-prefix-map).
# Stdout: the path of the .deb. Needs debhelper (scripts/install-deps.sh).
set -euo pipefail

prog=${0##*/}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
note() { printf '%s: %s\n' "$prog" "$*" >&2; }

out=$repo/build/deb jobs=$(nproc)
while (($#)); do
  case $1 in
    --out) out=${2:?}; shift 2 ;;
    --jobs) jobs=${2:?}; shift 2 ;;
    *) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
  esac
done
for t in dpkg-buildpackage dh git; do
  command -v "$t" >/dev/null \
    || die "'$t' not found
HINT: run scripts/install-deps.sh (it installs debhelper and dpkg-dev)"
done
[[ -d $repo/.git || -f $repo/.git ]] || die "$repo is not a git checkout (the copy is made from git's file list)"

mkdir -p "$out"
out=$(cd "$out" && pwd)
src=$out/src/lifetrace
rm -rf "$src" "$out"/lifetrace_* "$out"/lifetrace-dbgsym_*
mkdir -p "$src"
# Tracked files and new files not ignored (so an uncommitted change is packaged as it is);
# a tracked file deleted in the working tree is skipped.
(cd "$repo" && git ls-files -z --cached --others --exclude-standard) \
  | (cd "$repo" && while IFS= read -r -d '' f; do [[ -e $f || -L $f ]] && printf '%s\0' "$f"; done) \
  | (cd "$repo" && cpio -p0dm --quiet "$src") || die "copying the tree to $src failed"

# debhelper points HOME at a scratch directory, which would hide the user's ccache: name it.
if command -v ccache >/dev/null; then
  CCACHE_DIR=$(ccache -k cache_dir 2>/dev/null || true)
  [[ -n $CCACHE_DIR ]] && export CCACHE_DIR
fi
export DEB_BUILD_OPTIONS="nocheck parallel=$jobs ${DEB_BUILD_OPTIONS:-}"
log=$out/build.log
note "dpkg-buildpackage in $src (log: $log)"
if ! (cd "$src" && dpkg-buildpackage -b -us -uc) >"$log" 2>&1; then
  tail -n 25 "$log" >&2
  die "dpkg-buildpackage failed (full log: $log)
HINT: missing build dependencies are listed above; scripts/install-deps.sh installs them"
fi
# dpkg-buildpackage wrote its results beside the copy; they go to DIR. The dbgsym package is
# only the debug symbols; the .deb people install is lifetrace_*.deb.
find "$out/src" -maxdepth 1 -type f -name 'lifetrace*' -exec mv -t "$out" {} +
deb=$(find "$out" -maxdepth 1 -name 'lifetrace_*.deb' | head -n1)
[[ -n $deb ]] || die "dpkg-buildpackage succeeded but left no lifetrace_*.deb in $out"
rm -rf "$out/src"
note "built $deb"
echo "$deb"
