# SPDX-License-Identifier: MIT
# Warnings for project targets: pf_target_warnings(target)
function(pf_target_warnings target)
  if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wformat=2 -Wvla
      -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter)
  endif()
endfunction()
