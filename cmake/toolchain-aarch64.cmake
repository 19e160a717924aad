# Cross build for arm64 (aarch64) on an amd64 Debian with multiarch:
#
#   scripts/install-deps.sh --arm64
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake -DLIFETRACE_TESTS=OFF
#   cmake --build build-arm64 -j2
#
# The compilers are Debian's crossbuild-essential-arm64 (aarch64-linux-gnu-gcc/g++); the libraries
# and their .pc files are the :arm64 -dev packages under /usr/lib/aarch64-linux-gnu. The BPF
# object is still compiled by the host's clang and bpftool (cmake/BpfSkeleton.cmake), for the
# arm64 target (-D__TARGET_ARCH_arm64, chosen from CMAKE_SYSTEM_PROCESSOR below).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(LIFETRACE_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${LIFETRACE_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${LIFETRACE_CROSS_TRIPLE}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${LIFETRACE_CROSS_TRIPLE})

# Debian's multiarch layout: the target's headers and libraries live inside the host's /usr
# (/usr/include/aarch64-linux-gnu, /usr/lib/aarch64-linux-gnu), which the cross gcc searches on
# its own, so there is no sysroot. With CMAKE_LIBRARY_ARCHITECTURE set, find_library and
# find_package look in /usr/lib/aarch64-linux-gnu (civetweb's CMake config is there) and
# never in /usr/lib/x86_64-linux-gnu; CLI11's and nlohmann_json's configs are arch-independent
# (/usr/share/cmake). Programs (clang, bpftool) are the host's.

# prometheus-cpp-dev:arm64 cannot be installed beside the amd64 one (its civetweb dependency has
# no Multi-Arch); scripts/install-deps.sh --arm64 unpacks its arm64 CMake package here instead.
set(LIFETRACE_CROSS_PREFIX /opt/lifetrace-cross/${LIFETRACE_CROSS_TRIPLE}/usr
    CACHE PATH "Extra prefix with arm64 CMake packages (scripts/install-deps.sh --arm64)")
list(APPEND CMAKE_PREFIX_PATH ${LIFETRACE_CROSS_PREFIX})

# pkg-config must see only the arm64 .pc files (and the arch-independent ones), never the
# host's /usr/lib/x86_64-linux-gnu/pkgconfig. The environment is read again at build time when
# CMake re-runs, so this is set for every configure.
set(ENV{PKG_CONFIG_LIBDIR}
    "/usr/lib/${LIFETRACE_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
find_program(LIFETRACE_CROSS_PKG_CONFIG NAMES ${LIFETRACE_CROSS_TRIPLE}-pkg-config pkg-config)
set(PKG_CONFIG_EXECUTABLE ${LIFETRACE_CROSS_PKG_CONFIG} CACHE FILEPATH "pkg-config for the arm64 target")

# Run target binaries (try_run, tests) through qemu-user when it is installed.
find_program(LIFETRACE_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
if(LIFETRACE_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${LIFETRACE_QEMU_AARCH64} -L /usr/${LIFETRACE_CROSS_TRIPLE})
endif()
