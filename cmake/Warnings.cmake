# SPDX-License-Identifier: MIT
# Warnings for project targets: pf_target_warnings(target)
# GCC (Linux) also checks implicit conversions that change a value or a sign
# and casts that drop const. PF_WERROR=ON (the test command's release build)
# makes every warning an error.
option(PF_WERROR "Treat warnings in procflow's own code as errors" OFF)
function(pf_target_warnings target)
  if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wformat=2 -Wvla
      -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter)
    if(CMAKE_C_COMPILER_ID STREQUAL "GNU" AND NOT WIN32)
      target_compile_options(${target} PRIVATE -Wconversion -Wsign-conversion -Wcast-qual)
    endif()
    if(PF_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()
