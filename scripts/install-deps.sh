#!/usr/bin/env bash
# Installs every Debian package lifetrace needs to build, run and test.
# Works on a minimal Debian 12 (bookworm); run as root or through sudo.
#
#   scripts/install-deps.sh            build dependencies
#   scripts/install-deps.sh --tests    also what the unit and real-kernel (qemu) tests need
#   scripts/install-deps.sh --arm64    also an arm64 cross build on amd64 (Debian multiarch:
#                                      adds the arm64 architecture to dpkg) and the arm64 guests
# The options combine (--tests --arm64).
set -euo pipefail

# Build: compilers, BPF toolchain and the libraries lifetrace links.
BUILD_PKGS=(
  build-essential cmake pkg-config git ca-certificates
  clang llvm libbpf-dev bpftool
  libelf-dev zlib1g-dev liblzma-dev libzstd-dev libsystemd-dev
  # Nettle: the SHA-256 of module files (classify/provenance.cpp).
  nettle-dev
  # prometheus-cpp: only its core is linked (the metrics); its -dev package brings civetweb's
  # -dev package, which its CMake config asks for, but nothing of civetweb is linked.
  libcli11-dev nlohmann-json3-dev prometheus-cpp-dev
  # The metrics endpoint (daemon/service/endpoint.h): libmicrohttpd run from the daemon's own
  # event loop, TLS through GnuTLS.
  libmicrohttpd-dev libgnutls28-dev
  # --web.config.file: YAML (libyaml: Multi-Arch, unlike yaml-cpp's -dev package), bcrypt
  # (libxcrypt).
  libyaml-dev libcrypt-dev
  # The Debian package (scripts/build-deb.sh): dh and its helpers.
  debhelper
)
# Tests: unit tests, the real-kernel tier (qemu + Debian kernels) and fixtures; prometheus
# (promtool, and a real server scraping the daemon), debootstrap + e2fsprogs (the systemd guest).
TEST_PKGS=(
  catch2 clang-format
  # The manual page's and completions' tests: groff renders lifetrace.1, zsh loads _lifetrace.
  groff-base bash-completion zsh
  qemu-system-x86 busybox-static cpio xz-utils zstd kmod
  rustc
  prometheus debootstrap e2fsprogs
  # The package's checks (tests/package): Debian's own package checker.
  lintian
  # The operations kit's checks (ops/check.sh): python3 with YAML for the metric-name check.
  python3 python3-yaml
  # The secured endpoint's test (tests/web/run.sh): certificates made at test time.
  openssl
  # `lifetrace plot`'s test (tests/plot/check-plot.sh): an XML parser and a real SVG renderer.
  libxml2-utils librsvg2-bin
  # Host tools the service tests call: systemd-analyze (unit checks), curl and ss (the
  # Prometheus guest test); absent from minimal images and containers.
  systemd curl iproute2
  # libFuzzer and the sanitizer runtimes for clang (tests/fuzz/run.sh).
  libclang-rt-14-dev
)

# arm64 cross build (cmake/toolchain-aarch64.cmake): the cross compilers, and the :arm64 -dev
# packages of every library lifetrace links (Multi-Arch: same, so they install beside the amd64
# ones). clang and bpftool stay the host's: the BPF object is built for the arm64 target by the
# host clang. CLI11 and nlohmann-json are headers (Architecture: all) and come with BUILD_PKGS.
# qemu-system-arm has qemu-system-aarch64 for the arm64 guests (tests/vm, vm.sid.arm64).
#
# Not prometheus-cpp-dev:arm64: it depends on the civetweb program package, which has no
# Multi-Arch, so apt would replace civetweb:amd64 and remove prometheus-cpp-dev:amd64 (the
# native build breaks). Its libraries and its dependencies' -dev packages install normally;
# its arm64 CMake files are unpacked into CROSS_PREFIX below (see cross_prometheus_cpp). That
# CMake package asks for civetweb's and curl's (find_dependency), hence libcivetweb-dev:arm64 and
# libcurl4-openssl-dev:arm64, though lifetrace links neither. libmicrohttpd-dev:arm64 and
# libgnutls28-dev:arm64 are Multi-Arch: same and install beside the amd64 ones.
ARM64_PKGS=(
  crossbuild-essential-arm64
  libbpf-dev:arm64 libelf-dev:arm64 zlib1g-dev:arm64 liblzma-dev:arm64 libzstd-dev:arm64
  libsystemd-dev:arm64 nettle-dev:arm64 libyaml-dev:arm64 libcrypt-dev:arm64
  libmicrohttpd-dev:arm64 libgnutls28-dev:arm64
  libprometheus-cpp-core1.0:arm64 libprometheus-cpp-pull1.0:arm64 libprometheus-cpp-push1.0:arm64
  libcivetweb-dev:arm64 libcurl4-openssl-dev:arm64
  qemu-system-arm
)
# Where cmake/toolchain-aarch64.cmake looks for prometheus-cpp's arm64 CMake package.
CROSS_PREFIX=/opt/lifetrace-cross/aarch64-linux-gnu

# prometheus-cpp-dev:arm64 without installing it: unpack the package (apt-get download, a Debian
# package like any other) and keep its arch-specific part, the CMake package under
# usr/lib/aarch64-linux-gnu/cmake, in CROSS_PREFIX/usr. Beside it, links to what the imported
# targets name relative to that prefix: the arm64 libraries (installed above) and the headers,
# which are the same for every architecture (prometheus-cpp-dev:amd64's /usr/include/prometheus).
cross_prometheus_cpp() {
  local ver tmp lib
  ver=$(dpkg-query -W -f='${Version}' libprometheus-cpp-core1.0:arm64)
  if [[ -f $CROSS_PREFIX/.prometheus-cpp-version && $(cat "$CROSS_PREFIX/.prometheus-cpp-version") == "$ver" ]]; then
    return 0
  fi
  tmp=$(mktemp -d)
  # As root, apt hands downloads to the _apt user, who cannot write into a mktemp directory.
  (cd "$tmp" && $SUDO apt-get -qq -o APT::Sandbox::User=root download "prometheus-cpp-dev:arm64=$ver")
  dpkg-deb -x "$tmp"/prometheus-cpp-dev_*_arm64.deb "$tmp/root"
  local libdir=$CROSS_PREFIX/usr/lib/aarch64-linux-gnu
  $SUDO rm -rf "$CROSS_PREFIX"
  $SUDO mkdir -p "$libdir" "$CROSS_PREFIX/usr/include"
  $SUDO cp -a "$tmp/root/usr/lib/aarch64-linux-gnu/cmake" "$libdir/"
  for lib in /usr/lib/aarch64-linux-gnu/libprometheus-cpp-*.so.*; do
    $SUDO ln -s "$lib" "$libdir/"
  done
  $SUDO ln -s /usr/include/prometheus "$CROSS_PREFIX/usr/include/prometheus"
  echo "$ver" | $SUDO tee "$CROSS_PREFIX/.prometheus-cpp-version" >/dev/null
  rm -rf "$tmp"
}

tests=0 arm64=0
for a in "$@"; do
  case $a in
    --tests) tests=1 ;;
    --arm64) arm64=1 ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown option '$a' (known: --tests, --arm64)" >&2; exit 2 ;;
  esac
done

SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
want=("${BUILD_PKGS[@]}")
if ((tests)); then want+=("${TEST_PKGS[@]}"); fi
if ((arm64)); then
  if [[ $(dpkg --print-architecture) != amd64 ]]; then
    echo "install-deps.sh: --arm64 is the cross build from amd64; this is $(dpkg --print-architecture)" >&2
    exit 2
  fi
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
    # The package lists must learn the new architecture before anything :arm64 resolves.
    $SUDO apt-get update -qq
  fi
  want+=("${ARM64_PKGS[@]}")
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ((arm64)); then cross_prometheus_cpp; fi
