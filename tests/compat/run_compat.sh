#!/bin/sh
# SPDX-License-Identifier: MIT
# Reads every golden capture of an earlier format version (tests/compat):
# verify must pass, the records by type and the bytes per process after
# ingest must equal the committed expectations. Where a full dump is
# committed (expected/NAME.dump.txt, made by the reader of that version),
# every record must read the same, and read the same again after the
# capture is rewritten in the current format version.
# usage: run_compat.sh ANALYZE PFDUMP COMPAT_DIR WORK_DIR
set -eu
analyze=$1 pfdump=$2 dir=$3 work=$4
rm -rf "$work"
mkdir -p "$work"
fail=0 n=0
for cap in "$dir"/pfcap-*.pfcap; do
    name=$(basename "$cap" .pfcap)
    n=$((n + 1))
    if ! "$analyze" verify "$cap" >"$work/$name.verify" 2>&1; then
        echo "FAIL $name: verify"; cat "$work/$name.verify"; fail=1
    fi
    "$pfdump" "$cap" | awk '{ n[$2]++ } END { for (t in n) print t, n[t] }' | LC_ALL=C sort >"$work/$name.records.txt"
    if ! cmp -s "$work/$name.records.txt" "$dir/expected/$name.records.txt"; then
        echo "FAIL $name: records by type differ"; diff "$dir/expected/$name.records.txt" "$work/$name.records.txt" || true; fail=1
    fi
    if [ -f "$dir/expected/$name.dump.txt" ]; then
        "$pfdump" "$cap" >"$work/$name.dump.txt"
        if ! cmp -s "$work/$name.dump.txt" "$dir/expected/$name.dump.txt"; then
            echo "FAIL $name: records differ"; diff "$dir/expected/$name.dump.txt" "$work/$name.dump.txt" | head -20; fail=1
        fi
        "$analyze" convert "$cap" -o "$work/$name.now.pfcap" >/dev/null 2>&1 || { echo "FAIL $name: convert"; fail=1; }
        "$pfdump" "$work/$name.now.pfcap" >"$work/$name.now.dump.txt"
        if ! cmp -s "$work/$name.now.dump.txt" "$dir/expected/$name.dump.txt"; then
            echo "FAIL $name: records differ after a rewrite in the current version"
            diff "$dir/expected/$name.dump.txt" "$work/$name.now.dump.txt" | head -20; fail=1
        fi
    fi
    "$analyze" ingest "$cap" -d "$work/$name.db" --quiet
    "$analyze" query -d "$work/$name.db" --format csv \
        "SELECT comm, count(*) AS flows, sum(bytes_sent) AS bytes_sent, sum(bytes_recv) AS bytes_recv
         FROM v_flows GROUP BY comm ORDER BY comm" >"$work/$name.bytes.txt"
    if ! cmp -s "$work/$name.bytes.txt" "$dir/expected/$name.bytes.txt"; then
        echo "FAIL $name: bytes per process differ"; diff "$dir/expected/$name.bytes.txt" "$work/$name.bytes.txt" || true; fail=1
    fi
    [ $fail -eq 0 ] && echo "ok $name"
done
[ $n -gt 0 ] || { echo "FAIL: no golden captures in $dir"; exit 1; }
exit $fail
