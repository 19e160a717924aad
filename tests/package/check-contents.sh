#!/usr/bin/env bash
# Checks the Debian package scripts/build-deb.sh built: every file in its place (dpkg-deb -c),
# a computed Depends: (dpkg-deb -I), the maintainer scripts debhelper generates (sysusers,
# tmpfiles, enable + start, stop on remove, purge), the unit's ExecStart=, the version, and
# lintian (no errors; its whole output is printed).
#
# Usage: tests/package/check-contents.sh DEB_DIR VERSION
#   DEB_DIR  the directory holding exactly one lifetrace_*.deb (build/deb)
#   VERSION  the project's version (CMake's PROJECT_VERSION): debian/changelog must match it
set -euo pipefail
prog=${0##*/}
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
dir=${1:?usage: $prog DEB_DIR VERSION} version=${2:?usage: $prog DEB_DIR VERSION}

mapfile -t debs < <(find "$dir" -maxdepth 1 -name 'lifetrace_*.deb')
((${#debs[@]} == 1)) || die "expected one lifetrace_*.deb in $dir, found ${#debs[@]}
HINT: build it with scripts/build-deb.sh --out $dir (CTest package.build)"
deb=${debs[0]}
fails=0
fail() { printf 'FAIL %s\n' "$*" >&2; fails=$((fails + 1)); }
ok() { printf 'ok   %s\n' "$*"; }

# --- files -------------------------------------------------------------------------------
listing=$(dpkg-deb -c "$deb")
echo "dpkg-deb -c $(basename "$deb"):"
sed 's/^/  /' <<<"$listing"
files=$(awk '{ print $6 }' <<<"$listing" | sed 's|^\./|/|')
expect=(
  /usr/bin/lifetrace
  /lib/systemd/system/lifetrace.service
  /usr/lib/sysusers.d/lifetrace.conf
  /usr/lib/tmpfiles.d/lifetrace.conf
  /usr/share/man/man1/lifetrace.1.gz
  /usr/share/bash-completion/completions/lifetrace
  /usr/share/zsh/vendor-completions/_lifetrace
  /usr/share/doc/lifetrace/copyright
  /usr/share/doc/lifetrace/changelog.gz
  /usr/share/lifetrace/prometheus/lifetrace.rules.yml
  /usr/share/lifetrace/prometheus/lifetrace.rules.test.yml
  /usr/share/lifetrace/grafana/lifetrace-dashboard.json
)
for f in "${expect[@]}"; do
  grep -qxF "$f" <<<"$files" && ok "contains $f" || fail "the package lacks $f"
done
# README and the operator's documents (dh_compress gzips the larger ones).
for d in README.md daemon.md operations.md; do
  grep -qE "^/usr/share/doc/lifetrace/$d(\.gz)?$" <<<"$files" && ok "contains doc $d" \
    || fail "the package lacks /usr/share/doc/lifetrace/$d"
done
# Nothing of the build or the test suite.
stray=$(grep -vE '^/(usr/(bin|lib/(sysusers|tmpfiles)\.d|share/(man|bash-completion|zsh|doc|lifetrace))|lib/systemd/system)(/|$)|/$' <<<"$files" || true)
[[ -z $stray ]] && ok "no file outside the expected directories" || fail "unexpected files: $stray"

# --- control -----------------------------------------------------------------------------
info=$(dpkg-deb -I "$deb")
echo "dpkg-deb -I $(basename "$deb"):"
sed 's/^/  /' <<<"$info"
depends=$(dpkg-deb -f "$deb" Depends)
[[ -n $depends ]] && ok "Depends: $depends" || fail "no Depends: field"
# From dpkg-shlibdeps (the libraries the binary links: libnettle8 for the modules' SHA-256,
# libmicrohttpd12 and libgnutls30 for the metrics endpoint) and dh_installsysusers.
for p in libc6 libbpf1 libelf1 libsystemd0 libnettle8 libyaml-0-2 libmicrohttpd12 libgnutls30 'systemd |'; do
  grep -qF "$p" <<<"$depends" && ok "Depends names $p" || fail "Depends lacks $p (computed by dh_shlibdeps)"
done
pkgver=$(dpkg-deb -f "$deb" Version)
[[ $pkgver == "$version" || $pkgver == "$version"-* ]] && ok "Version $pkgver matches the project's $version" \
  || fail "package version $pkgver is not the project's $version (update debian/changelog: dch -v $version)"

# --- maintainer scripts ------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lifetrace-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -e "$deb" "$tmp/control"
script_has() {  # SCRIPT REGEX WHAT
  if [[ -f $tmp/control/$1 ]] && grep -qE "$2" "$tmp/control/$1"; then ok "$1 $3"; else fail "$1 does not $3"; fi
}
script_has postinst 'systemd-sysusers .*lifetrace\.conf' "creates the group (systemd-sysusers)"
script_has postinst 'systemd-tmpfiles .*--create .*lifetrace\.conf' "applies the tmpfiles.d file"
script_has postinst 'deb-systemd-helper .*enable .*lifetrace\.service' "enables lifetrace.service"
script_has postinst '_dh_action=start' "starts lifetrace.service on a first install"
script_has postinst "deb-systemd-invoke .*(start|restart|[\$]_dh_action) .*lifetrace\\.service" "runs deb-systemd-invoke for lifetrace.service"
script_has prerm 'deb-systemd-invoke stop .*lifetrace\.service' "stops lifetrace.service on remove"
script_has postrm 'deb-systemd-helper purge .*lifetrace\.service' "purges lifetrace.service's state"
# sysusers must run before the unit starts: Group=lifetrace.
if [[ -f $tmp/control/postinst ]]; then
  su=$(grep -n 'systemd-sysusers' "$tmp/control/postinst" | head -n1 | cut -d: -f1 || true)
  st=$(grep -n 'deb-systemd-invoke' "$tmp/control/postinst" | head -n1 | cut -d: -f1 || true)
  [[ -n $su && -n $st && $su -lt $st ]] && ok "postinst creates the group before it starts the unit" \
    || fail "postinst starts the unit (line ${st:-?}) before systemd-sysusers (line ${su:-?})"
fi

# --- the unit as packaged ----------------------------------------------------------------
dpkg-deb -x "$deb" "$tmp/root"
grep -qx 'ExecStart=/usr/bin/lifetrace daemon' "$tmp/root/lib/systemd/system/lifetrace.service" \
  && ok "ExecStart=/usr/bin/lifetrace daemon" || fail "the unit's ExecStart= is not /usr/bin/lifetrace daemon"
"$tmp/root/usr/bin/lifetrace" --version >/dev/null 2>&1 && ok "the packaged binary runs (--version)" \
  || fail "the packaged /usr/bin/lifetrace --version failed"
zcat "$tmp/root/usr/share/man/man1/lifetrace.1.gz" | grep -q '^\.TH' && ok "the manual page has a .TH header" \
  || fail "the packaged manual page is not a man page"

# --- lintian -----------------------------------------------------------------------------
if command -v lintian >/dev/null; then
  echo "lintian $(basename "$deb"):"
  set +e
  lint=$(lintian --tag-display-limit 0 --display-info --fail-on error "$deb" 2>&1)
  lrc=$?
  set -e
  sed 's/^/  /' <<<"${lint:-(no tags)}"
  ((lrc == 0)) && ok "lintian: no errors" || fail "lintian reported errors (exit $lrc)"
else
  fail "lintian not found
HINT: scripts/install-deps.sh --tests installs it"
fi

((fails == 0)) || die "$fails check(s) failed"
echo "$prog: all checks passed"
