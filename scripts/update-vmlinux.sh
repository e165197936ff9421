#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regenerates the pinned vmlinux.h of this machine's architecture from the
# running kernel's BTF (only when asked: the build never does it by itself).
#   scripts/update-vmlinux.sh [BTF_FILE]      default /sys/kernel/btf/vmlinux
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
btf=${1:-/sys/kernel/btf/vmlinux}
case $(uname -m) in
  x86_64) arch=x86 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;;
esac
command -v bpftool >/dev/null || { echo "update-vmlinux: bpftool not found" >&2; exit 1; }
dir=$top/recorder/linux/vmlinux/$arch
mkdir -p "$dir"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
  printf '/* SPDX-License-Identifier: GPL-2.0-only */\n'
  printf '/* Kernel types for the eBPF program (CO-RE: field offsets are relocated at\n'
  printf ' * load time, so one pinned copy serves every kernel with BTF). Generated with\n'
  printf ' *   bpftool btf dump file /sys/kernel/btf/vmlinux format c\n'
  printf ' * from Linux %s (%s). Regenerate only on request: cmake -DPF_BPF_VMLINUX=kernel,\n' \
    "$(uname -r | cut -d- -f1)" "$(uname -m)"
  printf ' * or scripts/update-vmlinux.sh. */\n'
  bpftool btf dump file "$btf" format c
} >"$tmp"
mv "$tmp" "$dir/vmlinux.h"
trap - EXIT
echo "update-vmlinux: wrote ${dir#"$top"/}/vmlinux.h ($(wc -l <"$dir/vmlinux.h") lines)"
