#!/usr/bin/env bash
# Static checks of lifetrace's systemd files, as installed by `cmake --install`:
#   systemd-analyze verify must print nothing, and the exposure score of
#   systemd-analyze security must be at most LIFETRACE_MAX_EXPOSURE (default 3.0).
#
# Usage: tests/systemd/check-unit.sh BUILD_DIR
set -euo pipefail
prog=${0##*/}
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
build=${1:?usage: $prog BUILD_DIR}
max=${LIFETRACE_MAX_EXPOSURE:-3.0}
command -v systemd-analyze >/dev/null || die "systemd-analyze not found (Debian package systemd)"

root=$(mktemp -d "${TMPDIR:-/tmp}/lifetrace-unit.XXXXXX")
trap 'rm -rf "$root"' EXIT
DESTDIR=$root cmake --install "$build" --prefix /usr >/dev/null
unit=$root/usr/lib/systemd/system/lifetrace.service
[[ -f $unit ]] || die "cmake --install did not install $unit"
for f in usr/bin/lifetrace usr/lib/sysusers.d/lifetrace.conf usr/lib/tmpfiles.d/lifetrace.conf; do
  [[ -e $root/$f ]] || die "cmake --install did not install /$f"
done

# Documentation=man:lifetrace(1): verify runs man(1), which must find the page just installed.
out=$(MANPATH=$root/usr/share/man systemd-analyze verify --root="$root" "$unit" 2>&1) || die "systemd-analyze verify failed: $out"
[[ -z $out ]] || die "systemd-analyze verify complained: $out"
echo "systemd-analyze verify: clean"

sec=$(systemd-analyze security --offline=yes --root="$root" "$unit" 2>&1) || true
score=$(sed -n 's/.*Overall exposure level for lifetrace.service: \([0-9.]*\).*/\1/p' <<<"$sec")
[[ -n $score ]] || die "no exposure score in systemd-analyze security's output: $sec"
echo "systemd-analyze security: exposure $score (at most $max allowed)"
grep '✗' <<<"$sec" | sed 's/^/  /'
awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }' || die "exposure $score is above $max"

# The sysusers.d and tmpfiles.d files parse and do what they say.
grep -qx 'g lifetrace - -' "$root/usr/lib/sysusers.d/lifetrace.conf" || die "sysusers.d file lacks the group"
mkdir -p "$root/etc"
: >"$root/etc/group"; : >"$root/etc/gshadow"; : >"$root/etc/passwd"; : >"$root/etc/shadow"
systemd-sysusers --root="$root" >/dev/null 2>&1 || die "systemd-sysusers --root rejected the sysusers.d file"
grep -q '^lifetrace:' "$root/etc/group" || die "systemd-sysusers did not create group lifetrace"
echo "systemd-sysusers: creates group $(grep '^lifetrace:' "$root/etc/group")"
