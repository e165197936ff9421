#!/bin/sh
# SPDX-License-Identifier: MIT
# bash completion: subcommands, report names (= the `-- name:` headers of
# queries/*.sql), a report's --param names (= its `-- param:` headers), the
# options of the help texts and capture files as arguments.
# usage: run_completion.sh COMPLETION_DIR QUERIES_DIR RECORD|- ANALYZE|- WORK_DIR
set -eu
cdir=$1 qdir=$2 record=$3 analyze=$4 work=$5
command -v bash >/dev/null || { echo "SKIP: bash missing"; exit 77; }
rm -rf "$work"
mkdir -p "$work/bin" "$work/caps"
fail=0
abspath() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
[ "$record" != - ] && ln -s "$(abspath "$record")" "$work/bin/procflow-record"
[ "$analyze" != - ] && ln -s "$(abspath "$analyze")" "$work/bin/procflow-analyze"
touch "$work/caps/a.pfcap" "$work/caps/b.pfcap.partial" "$work/caps/c.etl" "$work/caps/notes.txt"

# complete WORDS...: the candidates for the last word, sorted, one per line
complete_words() {
    PATH="$work/bin:$PATH" bash -c '
        shopt -s extglob
        for f in "$0"/*; do . "$f"; done
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        fn=$(complete -p "$1" | sed -E "s/.*-F ([^ ]+).*/\1/")
        "$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"' "$cdir" "$@" | LC_ALL=C sort
}
expect() { # expect WHAT WANT-FILE GOT-FILE
    if cmp -s "$2" "$3"; then echo "ok $1"; else echo "FAIL $1 (< want, > got)"; diff "$2" "$3" || true; fail=1; fi
}

if [ "$analyze" != - ]; then
    printf '%s\n' ingest report query info verify convert html export retain version --help --version |
        LC_ALL=C sort >"$work/want"
    complete_words procflow-analyze "" >"$work/got"
    expect "commands" "$work/want" "$work/got"

    sed -n 's/^-- name: *//p' "$qdir"/*.sql | LC_ALL=C sort >"$work/want"
    [ -s "$work/want" ] || { echo "FAIL: no report names in $qdir"; fail=1; }
    complete_words procflow-analyze report "" >"$work/got"
    expect "report names ($(wc -l <"$work/want"))" "$work/want" "$work/got"

    for q in "$qdir"/*.sql; do
        r=$(sed -n 's/^-- name: *//p' "$q")
        sed -n 's/^-- param: *\([a-z_0-9]*\).*/\1=/p' "$q" | LC_ALL=C sort >"$work/want"
        complete_words procflow-analyze report "$r" -d x.db --param "" >"$work/got"
        expect "--param names of $r" "$work/want" "$work/got"
    done

    complete_words procflow-analyze export --format "" >"$work/got"
    printf '%s\n' chrome-trace csv jsonl zeek >"$work/want"
    expect "export formats" "$work/want" "$work/got"

    complete_words procflow-analyze ingest "$work/caps/" >"$work/got"
    printf '%s\n' "$work/caps/a.pfcap" "$work/caps/b.pfcap.partial" "$work/caps/c.etl" | LC_ALL=C sort >"$work/want"
    expect "capture files" "$work/want" "$work/got"

    # every --long option of the html usage completes (and --db, the long -d)
    "$analyze" html --help 2>&1 | grep -oE -- '--[a-z][a-z-]*' | grep -vx -- '--help' | LC_ALL=C sort -u >"$work/want"
    echo --db >>"$work/want"; LC_ALL=C sort -o "$work/want" "$work/want"
    complete_words procflow-analyze html -- | grep -vx -- '--help' >"$work/got" || true
    expect "html options" "$work/want" "$work/got"
fi
if [ "$record" != - ]; then
    "$record" --help 2>&1 | grep -oE -- '(^|[ ,])--[a-z][a-z-]*' | sed 's/^[ ,]//' | LC_ALL=C sort -u >"$work/want"
    complete_words procflow-record -- >"$work/got"
    expect "procflow-record options ($(wc -l <"$work/want"))" "$work/want" "$work/got"
    complete_words procflow-record --redact=cmdline,ad >"$work/got"
    printf '%s\n' --redact=cmdline,addr= --redact=cmdline,addr=private >"$work/want"
    expect "--redact= values" "$work/want" "$work/got"
fi
exit $fail
