#!/usr/bin/env bash
# Downloads and unpacks the current Debian kernel of a suite for lifetrace's real-kernel tests.
#
# Usage: tests/vm/kernels.sh [--arch ARCH] [--env-file PATH] [--refresh] [--prune] SUITE
#   SUITE        bullseye (5.10), bookworm (6.1), trixie (6.12) or sid (7.2); any Debian suite
#                name works.
#   --arch       amd64 (default) or arm64: whose kernel (linux-image-ARCH). For a foreign ARCH the
#                suite's busybox-static of that ARCH is unpacked too (BUSYBOX=), for its guests.
#   --env-file   also write the resulting KEY=value lines to PATH.
#   --refresh    run apt-get update even if the suite's lists are fresh.
#   --prune      delete the cached kernels of SUITE other than the one just resolved.
#
# The version is resolved at run time from the suite's linux-image-ARCH metapackage, using a
# private apt state (the machine's own apt lists and cache are never touched). The packages are
# unpacked with dpkg-deb -x (never installed) and depmod is run on the unpacked tree. Everything
# is cached by resolved version under
#   ${LIFETRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lifetrace}/kernels/
# A warm cache skips apt-get update when the suite's lists are younger than
# LIFETRACE_KERNELS_MAX_AGE seconds (default 12 h); if apt cannot be reached, the last kernel
# resolved for the suite is used.
#
# Stdout: shell-quoted KEY=value lines (SUITE, ARCH, KVER, PKGVER, VMLINUZ, MODROOT, MODDIR,
# KERNEL_DIR, and BUSYBOX for a foreign ARCH), usable with `eval` or `source`. Progress goes to
# stderr.
set -euo pipefail

prog=${0##*/}
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
note() { printf '%s: %s\n' "$prog" "$*" >&2; }
usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2; }

env_file="" refresh=0 prune=0 suite="" arch=amd64
while (($#)); do
  case $1 in
    --arch) arch=${2:?--arch needs amd64 or arm64}; shift 2 ;;
    --arch=*) arch=${1#*=}; shift ;;
    --env-file) env_file=${2:?--env-file needs a path}; shift 2 ;;
    --env-file=*) env_file=${1#*=}; shift ;;
    --refresh) refresh=1; shift ;;
    --prune) prune=1; shift ;;
    -h|--help) usage ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) [[ -z $suite ]] || die "only one SUITE may be given"; suite=$1; shift ;;
  esac
done
[[ -n $suite ]] || usage
[[ $suite =~ ^[a-z][a-z0-9-]*$ ]] || die "'$suite' does not look like a Debian suite name"
[[ $arch == amd64 || $arch == arm64 ]] || die "--arch must be amd64 or arm64, not '$arch'"
# The apt state, the "last resolved" file and the lock are per suite and architecture; kernel
# versions carry the architecture in their name (7.2.x+deb14-arm64), so version dirs never clash.
key=$suite
[[ $arch == amd64 ]] || key=$suite-$arch

for tool in apt-get apt-cache dpkg-deb depmod flock; do
  command -v "$tool" >/dev/null || die "'$tool' not found; run scripts/install-deps.sh --tests"
done

cache_root=${LIFETRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lifetrace}/kernels
max_age=${LIFETRACE_KERNELS_MAX_AGE:-43200}
aptdir=$cache_root/apt/$key
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/preferences.d" \
  || die "cannot create the cache under $cache_root (set LIFETRACE_CACHE to a writable place)"

# One invocation per suite at a time: a second one waits, then finds the warm cache.
exec 9>"$aptdir/lock"
if ! flock -n 9; then
  note "another $prog is working on $key; waiting for it"
  flock 9
fi

# The archive URIs come from the machine's own apt sources; no host name lives in the project.
# Prints "URI SUITE" pairs from deb822 .sources files and one-line sources.list entries.
machine_sources() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk '
      function flush() { if (types ~ /(^| )deb( |$)/) { n = split(uris, u, " "); m = split(suites, s, " ");
                           for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) print u[i], s[j] }
                         types = uris = suites = "" }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      tolower($1) == "types:"  { $1 = ""; types = $0 }
      tolower($1) == "uris:"   { $1 = ""; uris = $0 }
      tolower($1) == "suites:" { $1 = ""; suites = $0 }
      END { flush() }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    # deb [options] URI SUITE COMPONENTS...
    sed -E -n 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+([^[:space:]]+).*/\2 \3/p' "$f"
  done
}

write_sources_list() {
  local srcs main_uri sec_uri
  srcs=$(machine_sources | sed 's,/*\( \),\1,')
  # The main archive: the URI that serves a plain suite (no -security/-updates, not a security
  # archive). The security archive: whatever serves some "*-security" suite.
  main_uri=$(awk '$2 !~ /-(security|updates|backports|proposed-updates)$/ && $1 !~ /security/ {print $1; exit}' <<<"$srcs")
  sec_uri=$(awk '$2 ~ /-security$/ {print $1; exit}' <<<"$srcs")
  [[ -n $main_uri ]] || die "no Debian archive URI found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"
  local opt="[arch=$arch]"
  {
    echo "deb $opt $main_uri $suite main"
    case $suite in
      sid|unstable|experimental) ;;
      *)
        echo "deb $opt $main_uri $suite-updates main"
        if [[ -n $sec_uri ]]; then
          echo "deb $opt $sec_uri $suite-security main"
        else
          note "no security archive in the machine's apt sources; $suite-security is not listed"
        fi ;;
    esac
  } >"$aptdir/sources.list.new"
  mv "$aptdir/sources.list.new" "$aptdir/sources.list"
}

apt_opts=(-o "Dir::Etc::sourcelist=$aptdir/sources.list" -o "Dir::Etc::sourceparts=-"
          -o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache=$aptdir/cache"
          -o "Dir::Etc::preferencesparts=$aptdir/preferences.d" -o "Dir::Etc::preferences=$aptdir/preferences"
          -o "Dir::Cache::pkgcache=pkgcache.bin" -o "Dir::Cache::srcpkgcache=srcpkgcache.bin"
          -o "APT::Get::List-Cleanup=true"
          # The archive as an ARCH machine sees it (also for arm64 on an amd64 host).
          -o "APT::Architecture=$arch" -o "APT::Architectures::=$arch")

# As root, apt hands downloads to the _apt user, who cannot write into a private cache dir.
sandbox=()
[[ $(id -u) -ne 0 ]] || sandbox=(-o APT::Sandbox::User=root)

last_env=$cache_root/$key.env   # the kernel most recently resolved for this suite and arch

use_last_or_die() {
  if [[ -f $last_env ]]; then
    note "$1; using the last kernel resolved for $suite"
    emit "$last_env"
    exit 0
  fi
  die "$1, and nothing is cached for $suite yet. Check that the machine reaches its Debian archive (apt-get update) and retry."
}

emit() {
  [[ -z $env_file ]] || cp "$1" "$env_file"
  cat "$1"
}

# --- 1. Refresh the private apt lists if they are stale -------------------------------------
stamp=$aptdir/updated
now=$(date +%s)
age=$max_age
[[ -f $stamp ]] && age=$((now - $(stat -c %Y "$stamp")))
if ((refresh)) || ((age >= max_age)) || [[ ! -f $aptdir/sources.list ]]; then
  write_sources_list
  note "updating the package lists of $suite ($(wc -l <"$aptdir/sources.list") archive entries)"
  if apt-get "${apt_opts[@]}" "${sandbox[@]}" -qq update >"$aptdir/update.log" 2>&1 \
     && ! grep -qE '^(W|E): (Failed|Some index files failed)' "$aptdir/update.log"; then
    touch "$stamp"
  else
    sed 's/^/  /' "$aptdir/update.log" >&2
    use_last_or_die "apt-get update failed for $suite"
  fi
fi

# --- 2. Resolve the kernel version from the metapackage ------------------------------------
# Fast path: the lists did not change since the last resolution, whose kernel is complete.
if [[ -f $last_env && $last_env -nt $stamp ]]; then
  # shellcheck disable=SC1090
  last_dir=$(. "$last_env" && printf '%s' "$KERNEL_DIR")
  if [[ -f $last_dir/kernel.env ]]; then
    ((prune == 0)) || note "--prune is ignored when nothing was resolved anew"
    emit "$last_env"
    exit 0
  fi
fi

depends_of() {  # prints the package names PKG depends on (candidate version, alternatives included)
  apt-cache "${apt_opts[@]}" depends --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances "$1" 2>/dev/null \
    | sed -nE 's/^[[:space:]]*\|?(Pre)?Depends: ([^<[:space:]]+).*/\2/p'
}

image=$(depends_of "linux-image-$arch" | grep -E '^linux-image-[0-9]' | sort -V | tail -n1) || true
[[ -n $image ]] || use_last_or_die "could not resolve linux-image-$arch in $suite"
kver=${image#linux-image-}
pkgver=$(apt-cache "${apt_opts[@]}" show --no-all-versions "$image" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
kdir=$cache_root/$kver

# The package graph: the image package, plus (new layout, 7.x) the linux-binary-/linux-modules-/
# linux-base- packages of the same version it depends on. Old layout (6.1, 6.12): the image
# package alone holds boot/vmlinuz-* and lib/modules/*.
pkgs=("$image")
queue=("$image")
# A foreign architecture's guest cannot run the host's busybox: take the suite's own.
[[ $arch == amd64 ]] || pkgs+=(busybox-static)
while ((${#queue[@]})); do
  p=${queue[0]}; queue=("${queue[@]:1}")
  while read -r dep; do
    [[ $dep == linux-*-"$kver" ]] || continue
    [[ " ${pkgs[*]} " == *" $dep "* ]] && continue
    pkgs+=("$dep"); queue+=("$dep")
  done < <(depends_of "$p")
done

# --- 3. Download, unpack and depmod, unless this version is already cached ----------------
# Two suites could resolve the same version: the version directory has its own lock too.
exec 8>"$cache_root/.$kver.lock"
flock 8
if [[ ! -f $kdir/kernel.env ]]; then
  note "$suite: $image $pkgver -> fetching ${pkgs[*]}"
  tmp=$kdir.partial
  rm -rf "$tmp"
  mkdir -p "$tmp/debs" "$tmp/root"
  (cd "$tmp/debs" && apt-get "${apt_opts[@]}" "${sandbox[@]}" -qq download "${pkgs[@]}") \
    || { rm -rf "$tmp"; use_last_or_die "apt-get download ${pkgs[*]} failed"; }
  for deb in "$tmp"/debs/*.deb; do
    dpkg-deb -x "$deb" "$tmp/root" || die "dpkg-deb -x $deb failed (disk full?)"
  done

  moddir="" vmlinuz=""
  for base in "$tmp/root" "$tmp/root/usr"; do
    if [[ -d $base/lib/modules/$kver ]]; then moddir=$base/lib/modules/$kver; depbase=$base; break; fi
  done
  [[ -n $moddir ]] || die "$image unpacked without lib/modules/$kver or usr/lib/modules/$kver; the package layout changed"
  for cand in "$moddir/vmlinuz" "$tmp/root/boot/vmlinuz-$kver" "$tmp/root/usr/lib/linux/vmlinuz-$kver"; do
    if [[ -f $cand ]]; then vmlinuz=$cand; break; fi
  done
  [[ -n $vmlinuz ]] || die "no vmlinuz found in ${pkgs[*]}; the package layout changed"
  depmod -b "$depbase" -a "$kver" || die "depmod -b $depbase $kver failed"
  [[ -s $moddir/modules.dep ]] || die "depmod wrote no modules.dep under $moddir"
  busybox=""
  if [[ $arch != amd64 ]]; then
    # bin/busybox until bookworm; usr/bin/busybox once /usr is merged (trixie, sid).
    for cand in "$tmp/root/usr/bin/busybox" "$tmp/root/bin/busybox"; do
      if [[ -x $cand && ! -L $cand ]]; then busybox=$cand; break; fi
    done
    [[ -n $busybox ]] || die "busybox-static ($arch) unpacked without bin/busybox or usr/bin/busybox; the package layout changed"
  fi
  rm -rf "$tmp/debs"

  # Paths are written for the final location (the directory is renamed below).
  final() { printf '%s' "$kdir${1#"$tmp"}"; }
  {
    printf 'SUITE=%q\n' "$suite"
    printf 'ARCH=%q\n' "$arch"
    printf 'KVER=%q\n' "$kver"
    printf 'PKGVER=%q\n' "$pkgver"
    printf 'PACKAGES=%q\n' "${pkgs[*]}"
    printf 'KERNEL_DIR=%q\n' "$kdir"
    printf 'VMLINUZ=%q\n' "$(final "$vmlinuz")"
    printf 'MODROOT=%q\n' "$kdir/root"
    printf 'MODDIR=%q\n' "$(final "$moddir")"
    [[ -z $busybox ]] || printf 'BUSYBOX=%q\n' "$(final "$busybox")"
  } >"$tmp/kernel.env"
  rm -rf "$kdir"
  mv "$tmp" "$kdir"
  note "$suite: $kver ready in $kdir"
fi

cp "$kdir/kernel.env" "$last_env.new" && mv "$last_env.new" "$last_env"

if ((prune)); then
  for env in "$cache_root"/*/kernel.env; do
    [[ -f $env ]] || continue
    d=${env%/kernel.env}
    [[ $d == "$kdir" ]] && continue
    # Env files written before ARCH existed are amd64.
    env_arch=$(sed -n 's/^ARCH=//p' "$env"); env_arch=${env_arch:-amd64}
    if grep -qx "SUITE=$suite" "$env" && [[ $env_arch == "$arch" ]]; then
      note "pruning $d"; rm -rf "$d" "$cache_root/.${d##*/}.lock"
    fi
  done
fi

emit "$kdir/kernel.env"
