# The layering rule of daemon/ and exporters/, enforced at build time.
#
# Each layer is a folder and a library lifetrace_<layer>. A source file of a
# layer may include a header of another layer ("core/event.h") only if its
# library links that layer's library, directly or through others: the link
# graph in the CMakeLists is the one statement of who may use whom, and this
# check keeps the #includes honest to it (a header-only use would otherwise
# slip through). Three headers have no folder: lifetrace.h (bpf/, the wire
# format: part of core), lifetrace_bpf.skel.h (kernel) and version.h (app).
#
# In a CMakeLists:  include(CheckLayers)  then, after every target exists,
#   lifetrace_check_layers(LAYERS util classify core ... DIRS <dir of each layer>)
# In script mode:   cmake -DMANIFEST=<file> -DSTAMP=<file> -P CheckLayers.cmake

set(_lt_bare_headers "lifetrace.h=core" "lifetrace_bpf.skel.h=kernel" "version.h=app")

if(CMAKE_SCRIPT_MODE_FILE)
  cmake_minimum_required(VERSION 3.20)
  file(STRINGS "${MANIFEST}" lines)
  set(layers "")
  foreach(line IN LISTS lines)
    if(NOT line MATCHES "^([a-z]+)\\|([^|]+)\\|([a-z,]*)$")
      message(FATAL_ERROR "lifetrace: malformed layer manifest line '${line}' in ${MANIFEST}")
    endif()
    set(layer ${CMAKE_MATCH_1})
    list(APPEND layers ${layer})
    set(dir_${layer} ${CMAKE_MATCH_2})
    string(REPLACE "," ";" allowed_${layer} "${CMAKE_MATCH_3}")
  endforeach()
  set(errors "")
  foreach(layer IN LISTS layers)
    file(GLOB sources ${dir_${layer}}/*.h ${dir_${layer}}/*.cpp)
    foreach(src IN LISTS sources)
      file(STRINGS "${src}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
      foreach(inc IN LISTS includes)
        string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*" "\\1" header "${inc}")
        set(target_layer "")
        if(header MATCHES "^([A-Za-z_]+)/")
          set(target_layer ${CMAKE_MATCH_1})
          if(NOT target_layer IN_LIST layers)
            list(APPEND errors "${src}: includes \"${header}\", which is in no layer")
            continue()
          endif()
        else()
          foreach(pair IN LISTS _lt_bare_headers)
            string(REPLACE "=" ";" kv "${pair}")
            list(GET kv 0 name)
            if(header STREQUAL name)
              list(GET kv 1 target_layer)
            endif()
          endforeach()
          if(target_layer STREQUAL "")
            list(APPEND errors "${src}: includes \"${header}\" without its folder; write \"<layer>/${header}\"")
            continue()
          endif()
        endif()
        if(NOT target_layer STREQUAL layer AND NOT target_layer IN_LIST allowed_${layer})
          string(REPLACE ";" ", " may "${allowed_${layer}}")
          list(APPEND errors "${src}: layer '${layer}' includes \"${header}\" of layer '${target_layer}', which it may not use (it may use: ${may})")
        endif()
      endforeach()
    endforeach()
  endforeach()
  if(errors)
    string(REPLACE ";" "\n  " msg "${errors}")
    message(FATAL_ERROR "lifetrace: layering broken (see docs/architecture.md):\n  ${msg}\n"
                        "HINT: move the code to the lower layer, or link the library if the new "
                        "dependency is right")
  endif()
  file(TOUCH "${STAMP}")
  return()
endif()

# The lifetrace_* libraries `target` links, directly or through others.
function(_lt_layer_closure target out)
  set(seen "")
  set(todo ${target})
  while(todo)
    list(POP_FRONT todo t)
    get_target_property(deps ${t} LINK_LIBRARIES)
    get_target_property(ideps ${t} INTERFACE_LINK_LIBRARIES)
    foreach(d IN LISTS deps ideps)
      if(d MATCHES "^lifetrace_([a-z]+)$" AND TARGET ${d} AND NOT d IN_LIST seen)
        list(APPEND seen ${d})
        list(APPEND todo ${d})
      endif()
    endforeach()
  endwhile()
  set(names "")
  foreach(d IN LISTS seen)
    string(REGEX REPLACE "^lifetrace_" "" n "${d}")
    list(APPEND names ${n})
  endforeach()
  set(${out} ${names} PARENT_SCOPE)
endfunction()

function(lifetrace_check_layers)
  cmake_parse_arguments(ARG "" "" "LAYERS;DIRS" ${ARGN})
  set(manifest ${CMAKE_BINARY_DIR}/layers.manifest)
  set(content "")
  set(all_sources "")
  foreach(layer dir IN ZIP_LISTS ARG_LAYERS ARG_DIRS)
    _lt_layer_closure(lifetrace_${layer} allowed)
    string(REPLACE ";" "," allowed "${allowed}")
    string(APPEND content "${layer}|${dir}|${allowed}\n")
    file(GLOB srcs CONFIGURE_DEPENDS ${dir}/*.h ${dir}/*.cpp)
    list(APPEND all_sources ${srcs})
  endforeach()
  file(WRITE ${manifest} "${content}")
  set(stamp ${CMAKE_BINARY_DIR}/layers.checked)
  add_custom_command(
    OUTPUT ${stamp}
    COMMAND ${CMAKE_COMMAND} -DMANIFEST=${manifest} -DSTAMP=${stamp}
            -P ${CMAKE_SOURCE_DIR}/cmake/CheckLayers.cmake
    DEPENDS ${all_sources} ${manifest} ${CMAKE_SOURCE_DIR}/cmake/CheckLayers.cmake
    COMMENT "Checking that no layer includes a header of a layer above it"
    VERBATIM)
  add_custom_target(lifetrace_layers ALL DEPENDS ${stamp})
endfunction()
