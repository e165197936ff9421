#!/bin/bash
# SPDX-License-Identifier: MIT
# ingest --follow on a directory while a rotated recording "runs" (files
# appear as growing .partial files, then are renamed on close): reports work
# while it follows (WAL), Ctrl-C (SIGINT) stops it cleanly, and the final
# database equals a one-shot ingest of the finished files, row for row.
# usage: run_follow.sh ANALYZE PFGEN WORKDIR
set -u
A=$1 G=$2 W=$3
export TZ=UTC
rm -rf "$W" && mkdir -p "$W/gen" "$W/live" && cd "$W" || exit 1
fail=0
check() { if [ "$2" != "$3" ]; then echo "FAIL $1: got '$2', want '$3'"; fail=1; else echo "ok   $1: $2"; fi; }
q() { "$A" query -d "$1" --raw --format csv "$2" | tail -n +2; }

"$G" -o gen/rec.pfcap -n 6000 --seed 11 --step-ns 200000000 --rotate-records 600 --chunk-bytes 4096 > /dev/null || exit 1
"$A" ingest --follow live -d follow.db --quiet &
pid=$!
trap 'kill $pid 2> /dev/null' EXIT
for f in gen/rec-*.pfcap; do
    b=$(basename "$f")
    size=$(stat -c %s "$f")
    head -c $((size / 3)) "$f" > "live/$b.partial.tmp" && mv "live/$b.partial.tmp" "live/$b.partial"
    sleep 0.6
    head -c $((size * 2 / 3)) "$f" > "live/$b.partial.tmp" && mv "live/$b.partial.tmp" "live/$b.partial"
    sleep 0.6
    cp "$f" "live/$b.partial.tmp" && mv "live/$b.partial.tmp" "live/$b"
    rm -f "live/$b.partial"
done
sleep 1.5
# readable while it follows
"$A" report summary -d follow.db --raw --format csv > during.csv 2> during.err
check "report while following" "$?" 0
kill -INT $pid
wait $pid
check "follow exit after Ctrl-C" "$?" 0
trap - EXIT
check "journal mode" "$(sqlite3 follow.db 'PRAGMA journal_mode')" wal
"$A" ingest gen/rec-*.pfcap -d oneshot.db --quiet || exit 1
check "captures" "$(q follow.db 'SELECT count(*), sum(records), sum(clean_close) FROM captures')" \
      "$(q oneshot.db 'SELECT count(*), sum(records), sum(clean_close) FROM captures')"
Q1="SELECT pid,start_ns,exit_ns,ppid,uid,comm,exe,cmdline,exit_code FROM processes ORDER BY 1,2"
Q2="SELECT p.pid,p.start_ns,f.proto,f.family,f.local_addr,f.local_port,f.remote_addr,f.remote_port,f.direction,f.first_ns,f.last_ns,f.bytes_sent,f.bytes_recv,f.sends,f.recvs,f.state,f.retransmits,f.sock_id,f.closed FROM flows f LEFT JOIN processes p USING(process_id) ORDER BY 1,2,3,4,5,6,7,8,10,18"
Q3="SELECT f.sock_id,f.first_ns,b.bucket_ns,b.bytes_sent,b.bytes_recv,b.sends,b.recvs,p.pid FROM bytes b JOIN flows f USING(flow_id) LEFT JOIN processes p ON p.process_id=b.process_id ORDER BY 1,2,3"
Q4="SELECT count(*), sum(bytes_sent), sum(bytes_recv) FROM bytes_rollup"
i=0
for sql in "$Q1" "$Q2" "$Q3" "$Q4"; do
    i=$((i + 1))
    q follow.db "$sql" > f.$i; q oneshot.db "$sql" > o.$i
    if cmp -s f.$i o.$i; then echo "ok   table $i equal ($(wc -l < f.$i) rows)"; else echo "FAIL table $i differs"; diff f.$i o.$i | head -5; fail=1; fi
done
[ $fail = 0 ] && echo "all follow checks passed"
exit $fail
