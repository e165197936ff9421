# SPDX-License-Identifier: MIT
# zstd, SQLite and libsodium for Windows cross builds, compiled from source as static
# libraries. The sources are not part of the repository: scripts/cross-windows.sh
# fetches Debian's source packages into <build>/third_party and generates the
# SQLite amalgamation there, and builds libsodium with its own configure into
# <build>/third_party/sodium-win. Defines pf::zstd, pf::sqlite3 and pf::sodium.
#   PF_WIN_ZSTD_DIR    zstd source tree (the folder holding lib/zstd.h)
#   PF_WIN_SQLITE_DIR  folder holding the amalgamation sqlite3.c and sqlite3.h
#   PF_WIN_SODIUM_DIR  libsodium install prefix (include/sodium.h, lib/libsodium.a)

set(_pf_tp ${CMAKE_BINARY_DIR}/third_party)
if(NOT PF_WIN_ZSTD_DIR)
  file(GLOB _pf_zstd_guess LIST_DIRECTORIES true ${_pf_tp}/libzstd-*)
  list(FILTER _pf_zstd_guess EXCLUDE REGEX "\\.(dsc|xz|asc|gz)$")
  if(_pf_zstd_guess)
    list(GET _pf_zstd_guess 0 _pf_zstd_guess)
  endif()
  set(PF_WIN_ZSTD_DIR "${_pf_zstd_guess}" CACHE PATH "zstd source tree for the Windows build")
endif()
if(NOT PF_WIN_SQLITE_DIR)
  set(PF_WIN_SQLITE_DIR "${_pf_tp}/sqlite-gen" CACHE PATH "SQLite amalgamation folder for the Windows build")
endif()

if(NOT EXISTS "${PF_WIN_ZSTD_DIR}/lib/zstd.h")
  message(FATAL_ERROR "zstd sources not found (PF_WIN_ZSTD_DIR='${PF_WIN_ZSTD_DIR}'); "
                      "run scripts/cross-windows.sh, which fetches them")
endif()

file(GLOB _pf_zstd_src
  ${PF_WIN_ZSTD_DIR}/lib/common/*.c
  ${PF_WIN_ZSTD_DIR}/lib/compress/*.c
  ${PF_WIN_ZSTD_DIR}/lib/decompress/*.c)
add_library(pf_zstd_static STATIC ${_pf_zstd_src})
target_include_directories(pf_zstd_static SYSTEM PUBLIC ${PF_WIN_ZSTD_DIR}/lib)
# The x86-64 Huffman assembly is ELF-only; single-threaded is all we need.
target_compile_definitions(pf_zstd_static PRIVATE ZSTD_DISABLE_ASM=1 XXH_NAMESPACE=ZSTD_)
target_compile_options(pf_zstd_static PRIVATE -w)
add_library(pf::zstd ALIAS pf_zstd_static)

if(PF_BUILD_ANALYZER)
  if(NOT EXISTS "${PF_WIN_SQLITE_DIR}/sqlite3.c")
    message(FATAL_ERROR "SQLite amalgamation not found (PF_WIN_SQLITE_DIR='${PF_WIN_SQLITE_DIR}'); "
                        "run scripts/cross-windows.sh, which generates it")
  endif()
  add_library(pf_sqlite3_static STATIC ${PF_WIN_SQLITE_DIR}/sqlite3.c)
  target_include_directories(pf_sqlite3_static SYSTEM PUBLIC ${PF_WIN_SQLITE_DIR})
  # Same SQL behaviour as the Linux build against Debian's libsqlite3.
  target_compile_definitions(pf_sqlite3_static PRIVATE SQLITE_THREADSAFE=1 SQLITE_OMIT_LOAD_EXTENSION=1)
  target_compile_options(pf_sqlite3_static PRIVATE -w)
  add_library(pf::sqlite3 ALIAS pf_sqlite3_static)
endif()

if(NOT PF_WIN_SODIUM_DIR)
  set(PF_WIN_SODIUM_DIR "${_pf_tp}/sodium-win" CACHE PATH "libsodium prefix for the Windows build")
endif()
if(NOT EXISTS "${PF_WIN_SODIUM_DIR}/lib/libsodium.a")
  message(FATAL_ERROR "libsodium not found (PF_WIN_SODIUM_DIR='${PF_WIN_SODIUM_DIR}'); "
                      "run scripts/cross-windows.sh, which builds it")
endif()
add_library(pf_sodium_static STATIC IMPORTED)
set_target_properties(pf_sodium_static PROPERTIES
  IMPORTED_LOCATION "${PF_WIN_SODIUM_DIR}/lib/libsodium.a"
  INTERFACE_INCLUDE_DIRECTORIES "${PF_WIN_SODIUM_DIR}/include"
  INTERFACE_COMPILE_DEFINITIONS "SODIUM_STATIC=1"
  INTERFACE_LINK_LIBRARIES "advapi32")
add_library(pf::sodium ALIAS pf_sodium_static)

# clock_gettime and nanosleep live in winpthreads (linked statically).
string(APPEND CMAKE_C_STANDARD_LIBRARIES " -lwinpthread")
