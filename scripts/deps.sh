#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian 12 packages procflow needs to build and test.
#   scripts/deps.sh            everything for the native build and its tests
#                              (the Windows cross build installs its own: scripts/cross-windows.sh)
#   scripts/deps.sh --minimal  only what the format library and analyzer need
# Needs root (or sudo). Does nothing when everything is already installed.
set -euo pipefail
minimal=(build-essential cmake pkg-config libzstd-dev libsqlite3-dev libsodium-dev zstd sqlite3)
full=("${minimal[@]}" libcurl4-openssl-dev clickhouse-server clickhouse-client clang llvm libclang-rt-14-dev bpftool libbpf-dev libelf-dev zlib1g-dev
      libcmocka-dev iproute2 procps xz-utils unzip valgrind python3 chromium nftables iputils-ping)
want=("${full[@]}")
[ "${1:-}" = "--minimal" ] && want=("${minimal[@]}")
# packaging tests (tests/dist): Debian package build, lintian, systemd-analyze, man
[ "${1:-}" = "--minimal" ] || want+=(debhelper lintian systemd man-db)

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: need root to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
