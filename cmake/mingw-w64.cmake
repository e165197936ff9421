# SPDX-License-Identifier: MIT
# Toolchain for cross-compiling to 64-bit Windows with mingw-w64
# (Debian package gcc-mingw-w64-x86-64):
#   cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(PF_MINGW_TRIPLE x86_64-w64-mingw32 CACHE STRING "mingw-w64 target triple (tool prefix)")
set(CMAKE_C_COMPILER ${PF_MINGW_TRIPLE}-gcc)
set(CMAKE_RC_COMPILER ${PF_MINGW_TRIPLE}-windres)
# Libraries and headers only from the target side; programs from the host.
set(CMAKE_FIND_ROOT_PATH /usr/${PF_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# C99 printf (%zu, %lld) instead of the old msvcrt one; static libgcc so
# the .exe files need no mingw DLLs beside them.
set(CMAKE_C_FLAGS_INIT "-D__USE_MINGW_ANSI_STDIO=1")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static-libgcc -static")
# Lets ctest run cross-built tests when Wine is installed.
find_program(PF_WINE NAMES wine64 wine PATHS /usr/lib/wine)  # Debian wine64 keeps it there
if(PF_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${PF_WINE})
endif()
