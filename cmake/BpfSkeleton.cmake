# bpf_skeleton(<name> SOURCE <file.bpf.c> DEPENDS <headers...>)
#
# Compiles a BPF C source for the BPF target with clang, links it with
# `bpftool gen object` (which drops DWARF) and turns the object into a libbpf
# skeleton header (<name>.skel.h) with `bpftool gen skeleton`. Creates an
# INTERFACE target <name>_skel whose include directory holds the header. The object and the skeleton are rebuilt whenever the source or any
# header in DEPENDS changes (the shared event header among them).
find_program(BPF_CLANG NAMES clang clang-16 clang-15 clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)

function(bpf_skeleton name)
  cmake_parse_arguments(ARG "" "SOURCE" "DEPENDS" ${ARGN})
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR})
  set(obj ${out_dir}/${name}.bpf.o)
  set(skel ${out_dir}/${name}.skel.h)
  get_filename_component(src_dir ${ARG_SOURCE} DIRECTORY)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
    set(target_arch x86)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
    set(target_arch arm64)
  else()
    message(FATAL_ERROR "lifetrace: no BPF target arch mapping for ${CMAKE_SYSTEM_PROCESSOR}")
  endif()
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${BPF_CLANG} -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_${target_arch}
            -I${src_dir} -c ${ARG_SOURCE} -o ${obj}.tmp
    # Linked by bpftool, as libbpf-tools does: the DWARF sections (-g is for BTF only) are
    # dropped, 406 KB -> 226 KB embedded in the binary and parsed by libbpf at every start.
    COMMAND ${BPFTOOL} gen object ${obj} ${obj}.tmp
    COMMAND ${CMAKE_COMMAND} -E remove ${obj}.tmp
    DEPENDS ${ARG_SOURCE} ${ARG_DEPENDS}
    COMMENT "BPF ${name}.bpf.o"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
    DEPENDS ${obj}
    COMMENT "BPF skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  # SYSTEM: the generated header is not ours to warn about.
  target_include_directories(${name}_skel SYSTEM INTERFACE ${out_dir})
  target_include_directories(${name}_skel INTERFACE ${src_dir})
endfunction()
