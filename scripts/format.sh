#!/bin/bash
# SPDX-License-Identifier: MIT
# Applies the house style (.clang-format) to the C sources, or with --check
# lists the files that differ from it (exit 1). The pinned vmlinux.h is
# generated and left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h' | grep -v '/vmlinux/')
if [ "${1:-}" = "--check" ]; then
    bad=0
    for f in "${files[@]}"; do
        if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
            echo "$f"
            bad=1
        fi
    done
    exit $bad
fi
clang-format -i "${files[@]}"
