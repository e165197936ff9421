#!/bin/sh
# SPDX-License-Identifier: MIT
# The man pages name every option and command the programs' help texts name
# (options change often; this says which page lacks which option), and they
# format without warnings.
# procflow-analyze(1) lists every canned report, procflow-capture(5) every
# record type of records.h.
# usage: run_man.sh MAN_DIR RECORD|- ANALYZE|- RECORDS_H
set -eu
mandir=$1 record=$2 analyze=$3 records_h=$4
fail=0

# Option tokens (-x, --long) of a help text.
options() { grep -oE -- '(^|[][ |(,])--?[a-zA-Z][a-zA-Z0-9-]*' | sed -E 's/^[][ |(,]//' | LC_ALL=C sort -u; }
# Page text with roff escapes for '-' and fonts removed.
page() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$mandir/$1"; }

check() { # check PAGE HELP-TEXT-FILE WHAT
    for opt in $(options <"$2"); do
        if ! page "$1" | grep -qE -- "(^|[^a-zA-Z0-9-])$opt([^a-zA-Z0-9-]|\$)"; then
            echo "FAIL $1: $3 names $opt, the page does not (docs/man/$1)"
            fail=1
        fi
    done
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
if [ "$record" != - ]; then
    "$record" --help >"$tmp/record.help" 2>&1 || true
    check procflow-record.1 "$tmp/record.help" "procflow-record --help"
    n=$((n + $(options <"$tmp/record.help" | wc -l)))
fi
if [ "$analyze" != - ]; then
    "$analyze" --help >"$tmp/analyze.help" 2>&1 || true
    check procflow-analyze.1 "$tmp/analyze.help" "procflow-analyze --help"
    n=$((n + $(options <"$tmp/analyze.help" | wc -l)))
    # Commands: the words that start the usage lines.
    cmds=$(awk '/^  [a-z]+( |$)/ { print $1 }' "$tmp/analyze.help" | LC_ALL=C sort -u)
    [ -n "$cmds" ] || { echo "FAIL: no commands found in procflow-analyze --help"; fail=1; }
    for c in $cmds; do
        page procflow-analyze.1 | grep -qx "\.B $c" ||
            { echo "FAIL procflow-analyze.1: command $c has no entry under COMMANDS"; fail=1; }
        # A command's own usage, when it prints one.
        if "$analyze" "$c" --help >"$tmp/$c.help" 2>&1 && grep -q "usage" "$tmp/$c.help"; then
            check procflow-analyze.1 "$tmp/$c.help" "procflow-analyze $c --help"
        fi
    done
    n=$((n + $(echo "$cmds" | wc -w)))
    # Reports: every name `procflow-analyze report` lists, under REPORTS.
    for r in $("$analyze" report 2>/dev/null | awk '/^[a-z0-9]/ { print $1 }'); do
        page procflow-analyze.1 | sed -n '/^\.SH REPORTS/,/^\.SH /p' | grep -q "^\.BR* $r\( \|,\|\.\|$\)" ||
            { echo "FAIL procflow-analyze.1: report $r is not listed under REPORTS"; fail=1; }
        n=$((n + 1))
    done
fi
# Record types: each "PF_REC_NAME = N" of records.h is a row "N NAME" of the table.
for t in $(sed -n 's/^ *PF_REC_\([A-Z_]*\) *= *\([0-9][0-9]*\),.*/\2:\1/p' "$records_h" | grep -v ':TYPE_MAX'); do
    printf '%s\n' "$(page procflow-capture.5)" | grep -q "^${t%%:*} ${t#*:}	" ||
        { echo "FAIL procflow-capture.5: record type ${t#*:} (${t%%:*}) is not in the table"; fail=1; }
    n=$((n + 1))
done
# Formatting: man reports roff problems (lintian does the same).
if command -v man >/dev/null; then
    for p in "$mandir"/*.[0-9]; do
        if MANWIDTH=80 man --warnings -E UTF-8 -l "$p" 2>"$tmp/warn" >/dev/null && [ ! -s "$tmp/warn" ]; then :; else
            echo "FAIL $(basename "$p"): man --warnings:"; cat "$tmp/warn"; fail=1
        fi
    done
fi
[ $fail -eq 0 ] && echo "ok: $n options, commands, reports and record types are in the man pages"
exit $fail
