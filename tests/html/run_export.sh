#!/bin/sh
# SPDX-License-Identifier: MIT
# Exports of hand-built captures compared byte for byte with expected/,
# and JSON outputs checked with python3's parser.
# usage: run_export.sh ANALYZE MKCAP EXPECTED_DIR WORKDIR
# PF_UPDATE_EXPECTED=1 rewrites expected/ (review the diff before committing).
set -u
A=$1 MK=$2 EXP=$3 W=$4
rm -rf "$W" && mkdir -p "$W" || exit 1
fail=0
"$MK" basic "$W/basic.pfcap" && "$MK" hostile "$W/hostile.pfcap" && "$MK" local "$W/local.pfcap" || exit 1
for c in basic hostile local; do
    "$A" ingest -q "$W/$c.pfcap" -d "$W/$c.db" || exit 1
done

run() { # NAME DB ARGS...
    name=$1 db=$2
    shift 2
    if ! "$A" export -d "$W/$db.db" -o "$W/$name" "$@"; then
        echo "FAIL: export $name exited non-zero"
        fail=1
    fi
}
run basic.trace.json basic --format chrome-trace
run basic.flows.csv basic --format csv
run basic.bytes.csv basic --format csv --what bytes
run basic.flows.jsonl basic --format jsonl
run basic.bytes.jsonl basic --format jsonl --what bytes
run basic.conn.log basic --format zeek
run basic-nginx.conn.log basic --format zeek --process nginx
run basic-window.trace.json basic --format chrome-trace --from +4s --to +7s
run hostile.conn.log hostile --format zeek
run hostile.flows.jsonl hostile --format jsonl
run local.conn.log local --format zeek
run local.trace.json local --format chrome-trace

for f in basic.trace.json basic.flows.csv basic.bytes.csv basic.flows.jsonl basic.bytes.jsonl basic.conn.log \
         basic-nginx.conn.log basic-window.trace.json hostile.conn.log hostile.flows.jsonl local.conn.log local.trace.json; do
    if [ "${PF_UPDATE_EXPECTED:-0}" = 1 ]; then
        cp "$W/$f" "$EXP/$f"
    elif ! cmp -s "$W/$f" "$EXP/$f"; then
        echo "FAIL: $f differs from expected:"
        diff "$EXP/$f" "$W/$f" | head -20
        fail=1
    fi
done

# bad usage is refused with exit 2
"$A" export --format pcap -d "$W/basic.db" -o "$W/x" 2>/dev/null
[ $? -eq 2 ] || { echo "FAIL: unknown format not refused"; fail=1; }
"$A" export --format zeek -d "$W/basic.db" -o "$W/x" --from yesterday 2>/dev/null
[ $? -eq 2 ] || { echo "FAIL: bad --from not refused"; fail=1; }

if command -v python3 >/dev/null 2>&1; then
    # the Trace Event Format and Zeek's column rules (scripts beside this one)
    for f in basic.trace.json basic-window.trace.json local.trace.json; do
        python3 "$(dirname "$0")/check_trace.py" "$W/$f" 10 || fail=1
    done
    python3 "$(dirname "$0")/check_zeek.py" "$W/basic.conn.log" 7 || fail=1
    python3 "$(dirname "$0")/check_zeek.py" "$W/hostile.conn.log" 7 || fail=1
    python3 "$(dirname "$0")/check_zeek.py" "$W/basic-nginx.conn.log" 2 || fail=1
    # local: loopback TCP, same-host IPv6 TCP and loopback UDP each one uid for both ends
    python3 "$(dirname "$0")/check_zeek.py" "$W/local.conn.log" 7 3 || fail=1
    # absurd field values still give valid files
    if "$MK" extreme "$W/extreme.pfcap" && "$A" ingest -q "$W/extreme.pfcap" -d "$W/extreme.db" 2>/dev/null; then
        run extreme.conn.log extreme --format zeek
        run extreme.trace.json extreme --format chrome-trace
        python3 "$(dirname "$0")/check_zeek.py" "$W/extreme.conn.log" 1 || fail=1
        python3 "$(dirname "$0")/check_trace.py" "$W/extreme.trace.json" 1 || fail=1
    else
        echo "FAIL: extreme capture not ingested"; fail=1
    fi
    for f in basic.flows.jsonl basic.bytes.jsonl hostile.flows.jsonl; do
        python3 -c 'import json,sys
for line in open(sys.argv[1], encoding="utf-8"):
    json.loads(line)' "$W/$f" || { echo "FAIL: $f has invalid JSON lines"; fail=1; }
    done
else
    echo "note: python3 not found, JSON validity not checked"
fi
[ $fail -eq 0 ] && echo "all export checks passed"
exit $fail
