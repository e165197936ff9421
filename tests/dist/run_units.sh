#!/bin/sh
# SPDX-License-Identifier: MIT
# The files `cmake --install` gives: the layout the Debian packages list
# (debian/*.install), and systemd units that pass `systemd-analyze verify`
# with no message at all, at a hardening exposure no worse than documented.
# usage: run_units.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -eu
build=$1 src=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
stage=$work/stage
DESTDIR=$stage cmake --install "$build" >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
fail=0

# 1. Layout: what cmake installs under the prefix /usr layout equals what the
#    packages ship (debian/*.install) plus what they leave out on purpose
#    (debian/not-installed).
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
if [ "$prefix" = /usr ]; then
    (cd "$stage" && find . -type f | sed 's|^\./||' | LC_ALL=C sort) >"$work/installed.txt"
    cat "$src/debian/procflow-record.install" "$src/debian/procflow-analyze.install" \
        "$src/debian/not-installed" | grep -v '^#' | LC_ALL=C sort >"$work/packaged.txt"
    if cmp -s "$work/installed.txt" "$work/packaged.txt"; then
        echo "ok layout: $(wc -l <"$work/installed.txt") files, same as debian/*.install"
    else
        echo "FAIL layout: cmake --install and debian/*.install differ (< cmake, > debian)"
        diff "$work/installed.txt" "$work/packaged.txt" || true
        fail=1
    fi
else
    echo "note: prefix $prefix, layout comparison needs -DCMAKE_INSTALL_PREFIX=/usr"
fi

# 2. The ring script is valid sh.
for s in $(find "$stage" -path '*/procflow/procflow-record-ring'); do
    sh -n "$s" || { echo "FAIL: $s is not valid sh"; fail=1; }
done

# 3. systemd-analyze verify and security.
if ! command -v systemd-analyze >/dev/null; then
    echo "SKIP: systemd-analyze missing (package systemd)"
    [ $fail -eq 0 ] && exit 77
    exit $fail
fi
units=$(find "$stage" -name '*.service' | LC_ALL=C sort)
[ -n "${PF_FIGURES_DIR:-}" ] && : >"$PF_FIGURES_DIR/dist.units.tsv"
[ -n "$units" ] || { echo "FAIL: no units installed"; exit 1; }
for u in $units; do
    name=$(basename "$u")
    # Commands and man pages resolved inside the staging tree.
    sed "s|^ExecStart=/|ExecStart=$stage/|" "$u" >"$work/$name"
    if MANPATH=$stage${prefix}/share/man systemd-analyze verify "$work/$name" >"$work/$name.verify" 2>&1 &&
       [ ! -s "$work/$name.verify" ]; then
        echo "ok verify $name"
    else
        echo "FAIL verify $name:"; cat "$work/$name.verify"; fail=1
    fi
    if systemd-analyze security --offline=yes "$work/$name" >"$work/$name.security" 2>&1; then
        score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$work/$name.security")
        case $name in
            procflow-record.service) limit=2.5 ;;
            *) limit=1.0 ;;
        esac
        echo "security $name: exposure $score (limit $limit)"
        if [ -z "$score" ] || [ "$(echo "$score > $limit" | awk '{print ($1 > $3)}')" = 1 ]; then
            echo "FAIL security $name: exposure ${score:-?} above $limit"; fail=1
        fi
        [ -n "${PF_FIGURES_DIR:-}" ] &&
            printf 'dist\tsystemd-analyze security %s\t%s\n' "$name" "$score" >>"$PF_FIGURES_DIR/dist.units.tsv"
    else
        echo "note: systemd-analyze security --offline not available here"
    fi
done
exit $fail
