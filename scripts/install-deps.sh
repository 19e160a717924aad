#!/usr/bin/env bash
# Installs every Debian package lifetrace needs to build, run and test.
# Works on a minimal Debian 12 (bookworm); run as root or through sudo.
set -euo pipefail

# Build: compilers, BPF toolchain and the libraries lifetrace links.
BUILD_PKGS=(
  build-essential cmake pkg-config git ca-certificates
  clang llvm libbpf-dev bpftool
  libelf-dev zlib1g-dev liblzma-dev libzstd-dev libkmod-dev libsystemd-dev
  libcli11-dev nlohmann-json3-dev prometheus-cpp-dev
)
# Tests: unit tests, the real-kernel tier (qemu + Debian kernels) and fixtures; prometheus
# (promtool, and a real server scraping the daemon), debootstrap + e2fsprogs (the systemd guest).
TEST_PKGS=(
  catch2
  qemu-system-x86 busybox-static cpio xz-utils zstd kmod
  rustc
  prometheus debootstrap e2fsprogs
  # Host tools the service tests call: systemd-analyze (unit checks), curl and ss (the
  # Prometheus guest test); absent from minimal images and containers.
  systemd curl iproute2
  # libFuzzer and the sanitizer runtimes for clang (tests/fuzz/run.sh).
  libclang-rt-14-dev
)

want=("${BUILD_PKGS[@]}")
if [[ "${1:-}" == "--tests" ]]; then want+=("${TEST_PKGS[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
