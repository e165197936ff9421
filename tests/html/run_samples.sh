#!/bin/sh
# SPDX-License-Identifier: MIT
# Golden outputs of the bundled samples: each samples/NAME.pfcap is
# ingested, the canned reports are run as CSV and the Zeek export written,
# and all are compared byte for byte with expected/samples/NAME.*; the HTML
# report must be produced too.
# usage: run_samples.sh ANALYZE SAMPLES_DIR EXPECTED_DIR WORKDIR
# PF_UPDATE_EXPECTED=1 rewrites the expected files.
set -u
A=$1 S=$2 EXP=$3 W=$4
rm -rf "$W" && mkdir -p "$W" "$EXP" || exit 1
fail=0 n=0
for cap in "$S"/*.pfcap; do
    [ -e "$cap" ] || continue
    n=$((n + 1))
    name=$(basename "$cap" .pfcap)
    db="$W/$name.db"
    "$A" ingest -q "$cap" -d "$db" || { echo "FAIL: ingest $name"; fail=1; continue; }
    for r in summary top-talkers top-remotes udp-peers listeners short-lived new-remotes; do
        "$A" report "$r" -d "$db" --format csv >"$W/$name.$r.csv" || { echo "FAIL: $name: report $r"; fail=1; }
    done
    "$A" export --format zeek -d "$db" -o "$W/$name.conn.log" || { echo "FAIL: $name: zeek"; fail=1; }
    "$A" html -d "$db" -o "$W/$name.html" || { echo "FAIL: $name: html"; fail=1; }
    "$A" export --format chrome-trace -d "$db" -o "$W/$name.trace.json" || { echo "FAIL: $name: trace"; fail=1; }
    if command -v python3 >/dev/null 2>&1; then
        python3 "$(dirname "$0")/check_trace.py" "$W/$name.trace.json" 10 || fail=1
        python3 "$(dirname "$0")/check_zeek.py" "$W/$name.conn.log" 5 || fail=1
    fi
    for f in "$W/$name".*.csv "$W/$name.conn.log"; do
        b=$(basename "$f")
        if [ "${PF_UPDATE_EXPECTED:-0}" = 1 ]; then
            cp "$f" "$EXP/$b"
        elif ! cmp -s "$f" "$EXP/$b"; then
            echo "FAIL: $b differs from expected:"
            diff "$EXP/$b" "$f" | head -20
            fail=1
        fi
    done
done
[ $n -gt 0 ] || { echo "FAIL: no samples in $S"; exit 1; }
[ $fail -eq 0 ] && echo "all $n sample(s) match their golden outputs"
exit $fail
