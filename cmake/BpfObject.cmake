# pf_bpf_skeleton(NAME SOURCE src.bpf.c [INCLUDES dir...] [DEPENDS file...])
# Builds an eBPF object with clang from SOURCE against a vmlinux.h generated
# from the build machine's kernel BTF, then a libbpf skeleton header
# ${CMAKE_CURRENT_BINARY_DIR}/NAME.skel.h. Sets NAME_SKEL_DIR in the caller.
find_program(PF_BPF_CLANG NAMES clang clang-16 clang-15 clang-14 REQUIRED)
find_program(PF_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin /usr/local/sbin REQUIRED)
set(PF_VMLINUX_BTF "/sys/kernel/btf/vmlinux" CACHE FILEPATH "Kernel BTF used to generate vmlinux.h")

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(_pf_bpf_arch x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(_pf_bpf_arch arm64)
else()
  set(_pf_bpf_arch ${CMAKE_SYSTEM_PROCESSOR})
endif()

function(pf_bpf_skeleton name)
  cmake_parse_arguments(A "" "SOURCE" "INCLUDES;DEPENDS" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/bpf)
  file(MAKE_DIRECTORY ${out})
  set(vmlinux ${out}/vmlinux.h)
  add_custom_command(OUTPUT ${vmlinux}
    COMMAND ${PF_BPFTOOL} btf dump file ${PF_VMLINUX_BTF} format c > ${vmlinux}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${vmlinux}.tmp ${vmlinux}
    COMMENT "Generating vmlinux.h from kernel BTF" VERBATIM)
  set(incs)
  foreach(i ${A_INCLUDES})
    list(APPEND incs -I${i})
  endforeach()
  get_filename_component(src ${A_SOURCE} ABSOLUTE)
  set(obj ${out}/${name}.bpf.o)
  add_custom_command(OUTPUT ${obj}
    COMMAND ${PF_BPF_CLANG} -target bpf -D__TARGET_ARCH_${_pf_bpf_arch} -g -O2 -Wall
            -I${out} ${incs} -c ${src} -o ${obj}
    DEPENDS ${src} ${vmlinux} ${A_DEPENDS}
    COMMENT "Compiling eBPF object ${name}" VERBATIM)
  set(skel ${CMAKE_CURRENT_BINARY_DIR}/${name}.skel.h)
  add_custom_command(OUTPUT ${skel}
    COMMAND ${PF_BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
    DEPENDS ${obj}
    COMMENT "Generating skeleton ${name}.skel.h" VERBATIM)
  add_custom_target(${name}_skel DEPENDS ${skel})
  set(${name}_SKEL_DIR ${CMAKE_CURRENT_BINARY_DIR} PARENT_SCOPE)
endfunction()
