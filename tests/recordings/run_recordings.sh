#!/bin/bash
# SPDX-License-Identifier: MIT
# Recordings, hosts and conversations, end to end with exact values:
#  1. a rotated series of 288 files ingested in a scrambled order equals the
#     same traffic ingested from one file, row for row;
#  2. a missing file is a gap with its time range, never bridged;
#  3. a capture stored from an unclosed (cut) file is replaced by its
#     longer version, which gives the same rows as a one-shot ingest;
#  4. two hosts (the generator's peer view of the same traffic, one clock
#     shifted by a known amount): every connection pairs with equal bytes on
#     both sides, the offset is recovered exactly; the same on one host;
#     a reused tuple at a time that does not overlap never pairs.
# usage: run_recordings.sh ANALYZE PFGEN WORKDIR
set -u
A=$1 G=$2 W=$3
export TZ=UTC
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
# 288 ingest transactions, each synced: in memory-backed storage when there is some
fast=$W
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    fast=$(mktemp -d /dev/shm/pf-recordings.XXXXXX) || fast=$W
    trap 'rm -rf "$fast"' EXIT
fi
fail=0
check() { # name got want
    if [ "$2" != "$3" ]; then echo "FAIL $1: got '$2', want '$3'"; fail=1; else echo "ok   $1: $2"; fi
}
q() { "$A" query -d "$1" --raw --format csv "$2" | tail -n +2; }

Q1="SELECT pid,start_ns,exit_ns,ppid,uid,comm,exe,cmdline,exit_code FROM processes ORDER BY 1,2"
Q2="SELECT p.pid,p.start_ns,f.proto,f.family,f.local_addr,f.local_port,f.remote_addr,f.remote_port,f.direction,f.first_ns,f.last_ns,f.bytes_sent,f.bytes_recv,f.sends,f.recvs,f.state,f.retransmits,f.sock_id,f.closed FROM flows f LEFT JOIN processes p USING(process_id) ORDER BY 1,2,3,4,5,6,7,8,10,18"
Q3="SELECT f.sock_id,f.first_ns,b.bucket_ns,b.bytes_sent,b.bytes_recv,b.sends,b.recvs,p.pid FROM bytes b JOIN flows f USING(flow_id) LEFT JOIN processes p ON p.process_id=b.process_id ORDER BY 1,2,3"
Q4="SELECT f.sock_id,f.first_ns,b.bucket_ns,b.bytes_sent,b.bytes_recv,b.sends,b.recvs FROM bytes_rollup b JOIN flows f USING(flow_id) ORDER BY 1,2,3"
same_rows() { # name db1 db2
    local i=0
    for sql in "$Q1" "$Q2" "$Q3" "$Q4"; do
        i=$((i + 1))
        q "$2" "$sql" > "$1.a$i"; q "$3" "$sql" > "$1.b$i"
        if cmp -s "$1.a$i" "$1.b$i"; then echo "ok   $1: table $i equal ($(wc -l < "$1.a$i") rows)"
        else echo "FAIL $1: table $i differs"; diff "$1.a$i" "$1.b$i" | head -5; fail=1; fi
    done
}

# ---- 1. 288-file rotation == one file
"$G" -o one.pfcap -n 28800 --seed 7 --step-ns 200000000 > /dev/null || exit 1
"$G" -o rot.pfcap -n 28800 --seed 7 --step-ns 200000000 --rotate-records 100 > /dev/null || exit 1
check "files written" "$(ls rot-*.pfcap | wc -l)" 288
"$A" ingest one.pfcap -d one.db --quiet || exit 1
# odd sequence numbers backwards, then even ones forwards
order=$( (ls rot-*.pfcap | awk -F'[-.]' '$2 % 2 == 1' | sort -r; ls rot-*.pfcap | awk -F'[-.]' '$2 % 2 == 0') )
t0=$(date +%s.%N)
"$A" ingest $order -d "$fast/rot.db" --quiet || exit 1
mv "$fast/rot.db" rot.db
t1=$(date +%s.%N)
echo "figure: 288 files ingested in $(echo "$t1 - $t0" | bc) s"
same_rows rotation one.db rot.db
check "rotation counts" "$(q rot.db 'SELECT (SELECT count(*) FROM processes),(SELECT count(*) FROM flows),(SELECT count(*) FROM bytes),(SELECT sum(bytes_recv) FROM flows)')" \
      "$(q one.db 'SELECT (SELECT count(*) FROM processes),(SELECT count(*) FROM flows),(SELECT count(*) FROM bytes),(SELECT sum(bytes_recv) FROM flows)')"
check "one recording" "$(q rot.db 'SELECT host,files,first_seq,last_seq,files_missing,records FROM v_recordings')" \
      "gen-host,288,0,287,0,28800"
check "summary one row" "$(q rot.db "SELECT count(*) FROM captures")" 288
check "summary per host" "$("$A" report summary -d rot.db --raw --format csv | tail -n +2 | cut -d, -f1-4,16,17)" \
      "gen-host,linux,1,288,0,events lost"

# ---- 2. a missing file is a gap
"$G" -o small.pfcap -n 4000 --seed 3 --step-ns 200000000 > /dev/null || exit 1
"$G" -o srot.pfcap -n 4000 --seed 3 --step-ns 200000000 --rotate-records 200 > /dev/null || exit 1
"$A" ingest $(ls srot-*.pfcap | grep -v srot-010) -d gap.db --quiet || exit 1
check "gap row" "$(q gap.db 'SELECT g.first_missing_seq, g.last_missing_seq, g.from_ns = a.ended_ns, g.to_ns = b.started_ns FROM v_gaps g, captures a, captures b WHERE a.file_seq = 9 AND b.file_seq = 11')" "10,10,1,1"
check "gap in summary" "$("$A" report summary -d gap.db --raw --format csv | tail -n +2 | grep -c '^gen-host,linux,1,19,.*,1,"events lost, files missing"$')" 1
check "no flow bridges the gap" "$(q gap.db "SELECT count(*) FROM flows f JOIN captures a ON a.capture_id = f.capture_id JOIN captures b ON b.capture_id = coalesce(f.last_capture_id, f.capture_id) WHERE a.file_seq < 10 AND b.file_seq > 10")" 0
# the missing file arrives: same rows as the whole series
"$A" ingest srot-010.pfcap -d gap.db --quiet || exit 1
"$A" ingest small.pfcap -d small.db --quiet || exit 1
same_rows gap-filled small.db gap.db

# ---- 3. a cut (unclosed) capture, then its closed version
"$G" -o full.pfcap -n 20000 --seed 5 --chunk-bytes 16384 > /dev/null || exit 1
size=$(stat -c %s full.pfcap)
head -c $((size / 2)) full.pfcap > full.pfcap.partial
"$A" ingest full.pfcap.partial -d grow.db --quiet 2> /dev/null
partial_records=$(q grow.db 'SELECT records FROM captures')
check "partial stored, not closed" "$(q grow.db 'SELECT count(*), clean_close, records < 20000 FROM captures')" "1,0,1"
check "partial completeness" "$("$A" report summary -d grow.db --raw --format csv | tail -n +2 | grep -c ',"not closed (no footer)')" 1
"$A" html -d grow.db -o partial.html 2> /dev/null || fail=1
check "partial html banner" "$(grep -c 'id="loss" role="alert">Incomplete data: 1 capture file(s) not closed (no footer' partial.html)" 1
check "partial info" "$("$A" info full.pfcap.partial 2> /dev/null | grep '^Completeness:' | grep -c 'not closed (no footer)')" 1
check "closed info" "$("$A" info full.pfcap | grep '^Completeness:')" "Completeness:      events lost"
msg=$("$A" ingest full.pfcap -d grow.db 2>&1)
case $msg in *"replaces the shorter version"*) echo "ok   extend message";; *) echo "FAIL extend message: $msg"; fail=1;; esac
check "closed version replaced it" "$(q grow.db 'SELECT count(*), clean_close, records FROM captures')" "1,1,20000"
"$A" ingest full.pfcap -d full.db --quiet || exit 1
same_rows extend full.db grow.db
msg=$("$A" ingest full.pfcap.partial -d grow.db 2>&1)
case $msg in *"already in the database"*) echo "ok   shorter version skipped";; *) echo "FAIL shorter version: $msg"; fail=1;; esac
check "still the closed one" "$(q grow.db 'SELECT count(*), clean_close, records FROM captures')" "1,1,20000"
echo "figure: partial had $partial_records records"

# ---- 4. two hosts, one clock 2.500000123 s ahead
"$G" -o alpha.pfcap -n 20000 --seed 42 --host alpha > /dev/null || exit 1
"$G" -o beta.pfcap -n 20000 --seed 42 --host beta --peer-view --shift-ns 2500000123 > /dev/null || exit 1
"$A" ingest alpha.pfcap beta.pfcap -d two.db --quiet || exit 1
check "offset recovered" "$(q two.db "SELECT a.name, b.name, o.offset_ns, o.pairs = o.candidates FROM clock_offsets o JOIN hosts a ON a.host_id = o.host_id JOIN hosts b ON b.host_id = o.peer_host_id ORDER BY 1")" \
      "$(printf 'alpha,beta,2500000123,1\nbeta,alpha,-2500000123,1')"
flows=$(q two.db "SELECT count(*) FROM flows f JOIN captures c USING (capture_id) WHERE c.host = 'alpha'")
"$A" report conversations -d two.db --raw --format csv > conv.csv || fail=1
check "all paired" "$(tail -n +2 conv.csv | cut -d, -f1 | sort | uniq -c | awk '{print $2 "=" $1}')" "paired=$flows"
check "bytes equal both sides" "$(tail -n +2 conv.csv | awk -F, '$17 != 0 || $20 != 0' | wc -l)" 0
check "client/server hosts" "$(tail -n +2 conv.csv | cut -d, -f3,8,21 | sort -u)" "alpha,beta,2500.000123"
check "client bytes total" "$(tail -n +2 conv.csv | awk -F, '{s += $15; r += $19} END {printf "%.0f,%.0f\n", s, r}')" \
      "$(q two.db "SELECT sum(bytes_sent), sum(bytes_recv) FROM flows f JOIN captures c USING (capture_id) WHERE c.host = 'alpha' AND f.direction <> 'listen'")"
# a reused tuple 10 minutes later on beta: never paired, listed as unmatched
# (conversations are rebuilt after every ingest, even of a file already there)
sqlite3 two.db "INSERT INTO flows(capture_id, process_id, proto, family, local_addr, local_port, remote_addr, remote_port, direction, first_ns, last_ns, bytes_sent, bytes_recv) SELECT capture_id, process_id, proto, family, local_addr, local_port, remote_addr, remote_port, 'in', first_ns + 600000000000, last_ns + 600000000000, 7, 9 FROM flows WHERE flow_id = (SELECT server_flow_id FROM v_conversations ORDER BY server_flow_id LIMIT 1)" || fail=1
"$A" ingest alpha.pfcap -d two.db --quiet || fail=1
"$A" report conversations -d two.db --raw --format csv > conv2.csv || fail=1
check "reused tuple not paired" "$(tail -n +2 conv2.csv | cut -d, -f1 | sort | uniq -c | awk '{print $2 $3 $4 "=" $1}' | tr '\n' ' ')" \
      "paired=$flows unmatchedserverend=1 "
check "host filter" "$("$A" report summary -d two.db --raw --format csv --param host=beta | tail -n +2 | cut -d, -f1)" beta
check "repeated host filter" "$("$A" report top-talkers -d two.db --raw --format csv --param host=beta --param host=alpha --param limit=1000 | tail -n +2 | cut -d, -f1 | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')" \
      "alpha=$(q two.db "SELECT count(DISTINCT process_id) FROM flows f JOIN captures c USING (capture_id) WHERE c.host='alpha'") beta=$(q two.db "SELECT count(DISTINCT process_id) FROM flows f JOIN captures c USING (capture_id) WHERE c.host='beta'") "

# --from/--to: only activity overlapping the window, in every report
F=1767225610000000000 T=1767225620000000000 # 2026-01-01T00:00:10Z, 00:00:20Z
check "window: conversations" "$("$A" report conversations -d two.db --raw --format csv --from 2026-01-01T00:00:10Z --to 2026-01-01T00:00:20Z | tail -n +2 | grep -c '^paired')" \
      "$(q two.db "SELECT count(*) FROM v_conversations WHERE last_ns >= $F AND first_ns < $T")"
check "window: summary flows" "$("$A" report summary -d two.db --raw --format csv --host alpha --from 2026-01-01T00:00:10Z --to 2026-01-01T00:00:20Z | tail -n +2 | cut -d, -f9)" \
      "$(q two.db "SELECT count(*) FROM flows f JOIN captures c USING (capture_id) WHERE c.host = 'alpha' AND last_ns >= $F AND first_ns < $T")"
check "window: top-talkers bytes" "$("$A" report top-talkers -d two.db --raw --format csv --host beta --from 2026-01-01T00:00:10Z --to 2026-01-01T00:00:20Z --param limit=100000 | tail -n +2 | awk -F, '{s += $6} END {printf "%.0f\n", s}')" \
      "$(q two.db "SELECT sum(bytes_sent + bytes_recv) FROM flows f JOIN captures c USING (capture_id) WHERE c.host = 'beta' AND last_ns >= $F AND first_ns < $T")"

# HTML: the process-to-process graph, hosts as groups
"$A" html -d two.db -o two.html 2> /dev/null || fail=1
sed -n '/<section id="conversations">/,/<\/section>/p' two.html > graph.svg
check "html graph" "$(grep -c '<g class="host">' graph.svg) $(grep -c '<g class="proc">' graph.svg) $(grep -c '<path d="M[0-9]* [0-9]* L' graph.svg)" "2 80 40"

# the same two views as one host: loopback-style pairs, no offset
"$G" -o peer-local.pfcap -n 20000 --seed 42 --host alpha --peer-view > /dev/null || exit 1
"$A" ingest alpha.pfcap peer-local.pfcap -d one-host.db --quiet || exit 1
"$A" report conversations -d one-host.db --raw --format csv > conv3.csv || fail=1
check "one host: all paired" "$(tail -n +2 conv3.csv | cut -d, -f1,3,8,21 | sort | uniq -c | awk '{print $2 "=" $1}')" "paired,alpha,alpha,0.0=$flows"
check "one host: no offset row" "$(q one-host.db 'SELECT count(*) FROM clock_offsets')" 0
"$A" html -d one-host.db -o one-host.html 2> /dev/null || fail=1
check "one host: graph arcs" "$(sed -n '/<section id="conversations">/,/<\/section>/p' one-host.html | grep -c '<path d="M[0-9]* [0-9]* C')" 40

[ $fail = 0 ] && echo "all recording checks passed"
exit $fail
