# SPDX-License-Identifier: MIT
# pf_bpf_skeleton(NAME SOURCE src.bpf.c [INCLUDES dir...] [DEPENDS file...])
# Builds an eBPF object with clang and a libbpf skeleton header NAME.skel.h,
# and defines NAME, an INTERFACE target: linking it adds the skeleton's
# include folder and builds the skeleton first.
#
# Kernel types come from a vmlinux.h pinned in the tree per architecture
# (recorder/linux/vmlinux/ARCH/vmlinux.h), so the object does not depend on
# the build machine's kernel; CO-RE relocates field offsets at load time.
#   PF_BPF_VMLINUX=pinned  (default) the pinned header; an error for an
#                          architecture that has none
#   PF_BPF_VMLINUX=kernel  generate it from PF_VMLINUX_BTF (the running kernel)
# Tools: clang >= PF_BPF_CLANG_MIN (BTF-based CO-RE relocations) and bpftool
# (skeleton generation). pf_bpf_tools_found() tells whether both are there.
set(PF_BPF_CLANG_MIN 12)
set(PF_BPF_VMLINUX "pinned" CACHE STRING "Where vmlinux.h comes from: pinned or kernel")
set_property(CACHE PF_BPF_VMLINUX PROPERTY STRINGS pinned kernel)
set(PF_VMLINUX_BTF "/sys/kernel/btf/vmlinux" CACHE FILEPATH "Kernel BTF for PF_BPF_VMLINUX=kernel")
set(PF_VMLINUX_PINNED_DIR "${CMAKE_CURRENT_LIST_DIR}/../recorder/linux/vmlinux")

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(_pf_bpf_arch x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(_pf_bpf_arch arm64)
else()
  set(_pf_bpf_arch ${CMAKE_SYSTEM_PROCESSOR})
endif()

# Sets PF_BPF_CLANG, PF_BPFTOOL and, in the caller, OUT_VAR to TRUE when both
# tools are usable (clang new enough), else FALSE with PF_BPF_MISSING saying why.
function(pf_bpf_tools_found out_var)
  find_program(PF_BPF_CLANG NAMES clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14 clang-13 clang-12)
  find_program(PF_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin /usr/local/sbin)
  set(why "")
  if(NOT PF_BPF_CLANG)
    set(why "clang not found")
  else()
    execute_process(COMMAND ${PF_BPF_CLANG} --version OUTPUT_VARIABLE v ERROR_QUIET)
    string(REGEX MATCH "clang version ([0-9]+)" _ "${v}")
    if(NOT CMAKE_MATCH_1 OR CMAKE_MATCH_1 LESS PF_BPF_CLANG_MIN)
      set(why "${PF_BPF_CLANG} is version '${CMAKE_MATCH_1}'; eBPF CO-RE needs clang >= ${PF_BPF_CLANG_MIN}")
    endif()
  endif()
  if(NOT why AND NOT PF_BPFTOOL)
    set(why "bpftool not found")
  endif()
  if(why)
    set(${out_var} FALSE PARENT_SCOPE)
  else()
    set(${out_var} TRUE PARENT_SCOPE)
  endif()
  set(PF_BPF_MISSING "${why}" PARENT_SCOPE)
endfunction()

function(pf_bpf_skeleton name)
  cmake_parse_arguments(A "" "SOURCE" "INCLUDES;DEPENDS" ${ARGN})
  pf_bpf_tools_found(ok)
  if(NOT ok)
    message(FATAL_ERROR "eBPF build: ${PF_BPF_MISSING} (or configure with -DPF_BUILD_RECORDER=OFF)")
  endif()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/bpf)
  file(MAKE_DIRECTORY ${out})
  if(PF_BPF_VMLINUX STREQUAL "kernel")
    set(vmdir ${out}/vmlinux)
    file(MAKE_DIRECTORY ${vmdir})
    set(vmlinux ${vmdir}/vmlinux.h)
    add_custom_command(OUTPUT ${vmlinux}
      COMMAND ${PF_BPFTOOL} btf dump file ${PF_VMLINUX_BTF} format c > ${vmlinux}.tmp
      COMMAND ${CMAKE_COMMAND} -E rename ${vmlinux}.tmp ${vmlinux}
      COMMENT "Generating vmlinux.h from ${PF_VMLINUX_BTF}" VERBATIM)
  elseif(PF_BPF_VMLINUX STREQUAL "pinned")
    set(vmdir ${PF_VMLINUX_PINNED_DIR}/${_pf_bpf_arch})
    set(vmlinux ${vmdir}/vmlinux.h)
    if(NOT EXISTS ${vmlinux})
      message(FATAL_ERROR "no pinned vmlinux.h for architecture '${_pf_bpf_arch}' in ${PF_VMLINUX_PINNED_DIR}; "
                          "configure with -DPF_BPF_VMLINUX=kernel to generate one from this machine's kernel")
    endif()
  else()
    message(FATAL_ERROR "PF_BPF_VMLINUX must be 'pinned' or 'kernel', not '${PF_BPF_VMLINUX}'")
  endif()
  set(incs)
  foreach(i ${A_INCLUDES})
    list(APPEND incs -I${i})
  endforeach()
  get_filename_component(src ${A_SOURCE} ABSOLUTE)
  set(obj ${out}/${name}.bpf.o)
  add_custom_command(OUTPUT ${obj}
    COMMAND ${PF_BPF_CLANG} -target bpf -D__TARGET_ARCH_${_pf_bpf_arch} -g -O2 -Wall
            -I${vmdir} ${incs} -c ${src} -o ${obj}
    DEPENDS ${src} ${vmlinux} ${A_DEPENDS}
    COMMENT "Compiling eBPF object ${name}" VERBATIM)
  set(skel ${CMAKE_CURRENT_BINARY_DIR}/${name}.skel.h)
  add_custom_command(OUTPUT ${skel}
    COMMAND ${PF_BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
    DEPENDS ${obj}
    COMMENT "Generating skeleton ${name}.skel.h" VERBATIM)
  add_custom_target(${name}_skel DEPENDS ${skel})
  add_library(${name} INTERFACE)
  add_dependencies(${name} ${name}_skel)
  # generated code: its own warnings are not ours to fix
  target_include_directories(${name} SYSTEM INTERFACE ${CMAKE_CURRENT_BINARY_DIR})
  set(${name}_SKEL_DIR ${CMAKE_CURRENT_BINARY_DIR} PARENT_SCOPE)
endfunction()
