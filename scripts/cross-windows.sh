#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Cross-compiles procflow-record.exe and procflow-analyze.exe for 64-bit
# Windows with mingw-w64. zstd, SQLite and libsodium are built from Debian's source
# packages (apt-get source; nothing is downloaded from anywhere else) into
# BUILD/third_party, which is never part of the repository.
#
#   scripts/cross-windows.sh [--build DIR] [--test]
#     --build DIR  cross build folder (default: build-win in the source tree)
#     --test       also build the native analyzer in DIR/native and run the
#                  Wine test (ctest -R windows)
# Needs root (or sudo) the first time: installs packages and enables the
# deb-src entries of the configured Debian mirrors.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build-win
run_test=0
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --test) run_test=1; shift ;;
    -h|--help) sed -n '3,14p' "$0"; exit 0 ;;
    *) echo "cross-windows: unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$build"
build=$(cd "$build" && pwd)

sudo=""
[ "$(id -u)" -ne 0 ] && sudo=sudo
export DEBIAN_FRONTEND=noninteractive

# --- packages
pkgs=(gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 mingw-w64-x86-64-dev dpkg-dev tcl make cmake xz-utils
      autoconf automake libtool)
[ $run_test = 1 ] && pkgs+=(wine64 pkg-config libzstd-dev libsqlite3-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
updated=0
if [ ${#missing[@]} -gt 0 ]; then
  echo "cross-windows: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  updated=1
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- deb-src entries (same mirrors as the binary ones)
if ! apt-cache showsrc libzstd >/dev/null 2>&1 || [ -z "$(apt-cache showsrc libzstd 2>/dev/null)" ]; then
  list=/etc/apt/sources.list.d/procflow-deb-src.sources
  tmp=$(mktemp)
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && [ "$f" != "$list" ] || continue
    sed -e 's/^Types:.*/Types: deb-src/' "$f" >>"$tmp"
    echo >>"$tmp"
  done
  if [ -f /etc/apt/sources.list ]; then
    grep -E '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' >"$tmp.list" || true
    [ -s "$tmp.list" ] && $sudo cp "$tmp.list" /etc/apt/sources.list.d/procflow-deb-src.list
    rm -f "$tmp.list"
  fi
  [ -s "$tmp" ] && $sudo cp "$tmp" "$list" && $sudo chmod 644 "$list"
  rm -f "$tmp"
  $sudo apt-get update -qq
  updated=1
fi

# --- sources
tp=$build/third_party
mkdir -p "$tp"
if ! ls -d "$tp"/libzstd-*/lib >/dev/null 2>&1 || ! ls -d "$tp"/sqlite3-*/src >/dev/null 2>&1 ||
   ! ls -d "$tp"/libsodium-*/src >/dev/null 2>&1; then
  echo "cross-windows: fetching Debian source packages libzstd, sqlite3 and libsodium" >&2
  # A mirror may lack the source of the newest (security) version: try every
  # version apt knows, newest first.
  for pkg in libzstd sqlite3 libsodium; do
    case $pkg in
      libzstd) have="$tp/libzstd-*/lib" ;; sqlite3) have="$tp/sqlite3-*/src" ;; *) have="$tp/libsodium-*/src" ;;
    esac
    # shellcheck disable=SC2086
    ls -d $have >/dev/null 2>&1 && continue
    ok=0
    for ver in "" $(apt-cache showsrc "$pkg" 2>/dev/null | awk '/^Version:/ {print $2}'); do
      (cd "$tp" && apt-get source -qq "$pkg${ver:+=$ver}" >/dev/null 2>>"$tp/apt-source.log") && { ok=1; break; }
    done
    [ $ok = 1 ] || { cat "$tp/apt-source.log" >&2; exit 1; }
  done
fi
sqlite_src=$(ls -d "$tp"/sqlite3-*/ | head -n 1)
if [ ! -f "$tp/sqlite-gen/sqlite3.c" ]; then
  echo "cross-windows: generating the SQLite amalgamation" >&2
  mkdir -p "$tp/sqlite-gen"
  (cd "$tp/sqlite-gen" && "$sqlite_src/configure" --disable-tcl >configure.log 2>&1 &&
     make sqlite3.c >make.log 2>&1) || { tail -20 "$tp/sqlite-gen/make.log" >&2; exit 1; }
fi

jobs=$(nproc 2>/dev/null || echo 2)
# libsodium with its own build system (it generates headers and picks CPU
# features at configure time), as a static library for mingw-w64.
sodium_src=$(ls -d "$tp"/libsodium-*/ | grep -v '\.orig' | head -n 1)
if [ ! -f "$tp/sodium-win/lib/libsodium.a" ]; then
  echo "cross-windows: building libsodium for Windows" >&2
  mkdir -p "$tp/sodium-build"
  # The Debian source ships no generated configure script: make it with the
  # autotools (never downloading newer config.guess/config.sub).
  [ -x "$sodium_src/configure" ] ||
    (cd "$sodium_src" && DO_NOT_UPDATE_CONFIG_SCRIPTS=1 ./autogen.sh -s >"$tp/sodium-autogen.log" 2>&1) ||
    { tail -20 "$tp/sodium-autogen.log" >&2; exit 1; }
  (cd "$tp/sodium-build" &&
     "$sodium_src/configure" --host=x86_64-w64-mingw32 --prefix="$tp/sodium-win" --disable-shared \
       --enable-static --disable-pie --disable-ssp >configure.log 2>&1 &&
     make -j"$jobs" >make.log 2>&1 && make install >install.log 2>&1) ||
    { tail -n 20 "$tp/sodium-build/configure.log" "$tp/sodium-build/make.log" >&2; exit 1; }
fi

# --- cross build
cmake -S "$src" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$src/cmake/mingw-w64.cmake" \
  -DPF_BUILD_BENCH=OFF -DPF_BUILD_TESTS=OFF -DPF_WIN_SQLITE_DIR="$tp/sqlite-gen" \
  -DPF_WIN_SODIUM_DIR="$tp/sodium-win" >/dev/null
cmake --build "$build" -j"$jobs" --target procflow-record procflow-analyze winlisten test_win_glue test_win_session
for exe in procflow-record procflow-analyze; do
  f=$(find "$build" -path "$build/native" -prune -o -name "$exe.exe" -print | head -n 1)
  [ -n "$f" ] && echo "cross-windows: built ${f#"$build"/}" >&2
done

# --- Wine test through the native build
if [ $run_test = 1 ]; then
  cmake -S "$src" -B "$build/native" -DPF_BUILD_RECORDER=OFF -DPF_BUILD_BENCH=OFF \
    -DPF_WIN_BUILD_DIR="$build" >/dev/null
  cmake --build "$build/native" -j"$jobs" --target procflow-analyze pfdump
  (cd "$build/native" && ctest -R '^windows_' --output-on-failure)
fi
