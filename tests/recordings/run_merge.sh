#!/bin/bash
# SPDX-License-Identifier: MIT
# convert with several inputs (merge), exact:
#  1. the 20 files of a rotated series, given in reverse order, merge into the
#     record stream of the same traffic recorded into one file (record for
#     record), and ingest to the same rows;
#  2. inputs of two hosts are refused in one file; --split-by host writes one
#     file per host holding exactly that host's records; --host selects;
#  3. --from/--to keep exactly the records inside the window (plus processes,
#     host facts and clock anchors);
#  4. the two-host sample (two namespaces recorded by two recorders with
#     --netns/--host): every conversation pairs with exact bytes on both ends.
# usage: run_merge.sh ANALYZE PFGEN PFDUMP WORKDIR SAMPLES_DIR
set -u
A=$1 G=$2 D=$3 W=$4 S=$5
export TZ=UTC
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
fail=0
check() { # name got want
    if [ "$2" != "$3" ]; then echo "FAIL $1: got '$2', want '$3'"; fail=1; else echo "ok   $1: $2"; fi
}
q() { "$A" query -d "$1" --raw --format csv "$2" | tail -n +2; }

# ---- 1. a rotated series merged == one file
"$G" -o one.pfcap -n 4000 --seed 3 --step-ns 200000000 > /dev/null || exit 1
"$G" -o rot.pfcap -n 4000 --seed 3 --step-ns 200000000 --rotate-records 200 > /dev/null || exit 1
check "series files" "$(ls rot-*.pfcap | wc -l)" 20
"$A" convert $(ls rot-*.pfcap | sort -r) -o merged.pfcap 2> merge.err
check "merge exit status" $? 0
check "merge message" "$(cat merge.err)" "wrote 4000 records from 20 files to merged.pfcap"
"$D" one.pfcap > one.txt && "$D" merged.pfcap > merged.txt || exit 1
check "merged records equal the one-file recording" "$(cmp -s one.txt merged.txt && echo same) $(wc -l < merged.txt)" "same 4000"
"$A" ingest one.pfcap -d one.db --quiet && "$A" ingest merged.pfcap -d merged.db --quiet || exit 1
Q="SELECT (SELECT count(*) FROM processes),(SELECT count(*) FROM flows),(SELECT sum(bytes_sent) FROM flows),(SELECT sum(bytes_recv) FROM flows),(SELECT count(*) FROM bytes)"
check "merged ingests to the same rows" "$(q merged.db "$Q")" "$(q one.db "$Q")"
check "merged file: one capture, its own series" "$(q merged.db "SELECT count(*), uuid = series_uuid, comment FROM captures")" "1,1,merged from 20 files"
"$A" convert rot-0001.pfcap rot-0002.pfcap -o merged.pfcap 2> /dev/null
check "existing output refused without --force" $? 2

# ---- 2. two hosts
"$G" -o h1.pfcap -n 3000 --seed 9 --host alpha > /dev/null || exit 1
"$G" -o h2.pfcap -n 3000 --seed 9 --host beta --peer-view --shift-ns 250000000 > /dev/null || exit 1
"$A" convert h1.pfcap h2.pfcap -o both.pfcap 2> two.err
check "two hosts in one file refused" "$? $(grep -c 'different hosts' two.err) $([ -e both.pfcap ] && echo file || echo nofile)" "2 1 nofile"
"$A" convert h2.pfcap h1.pfcap --split-by host -o split 2> split.err
check "split exit status" $? 0
check "split files" "$(cd split && ls | tr '\n' ' ')" "alpha.pfcap beta.pfcap "
"$D" h1.pfcap > h1.txt && "$D" split/alpha.pfcap > alpha.txt && "$D" h2.pfcap > h2.txt && "$D" split/beta.pfcap > beta.txt
check "alpha file holds alpha's records" "$(cmp -s h1.txt alpha.txt && echo same) $(wc -l < alpha.txt)" "same 3000"
check "beta file holds beta's records" "$(cmp -s h2.txt beta.txt && echo same) $(wc -l < beta.txt)" "same 3000"
"$A" convert h1.pfcap h2.pfcap --host beta -o sel.pfcap 2> /dev/null && "$D" sel.pfcap > sel.txt
check "--host selects beta" "$(cmp -s h2.txt sel.txt && echo same)" "same"
"$A" convert h1.pfcap h2.pfcap --host gamma -o none.pfcap 2> none.err
check "--host matching nothing" "$? $(cat none.err)" "2 procflow-analyze convert: no input was recorded on the host given"
"$A" ingest split/alpha.pfcap split/beta.pfcap -d split.db --quiet && "$A" ingest h1.pfcap h2.pfcap -d orig.db --quiet || exit 1
QH="SELECT h.name, count(*), sum(f.bytes_sent), sum(f.bytes_recv) FROM flows f JOIN captures c USING (capture_id) JOIN hosts h ON h.host_id = c.host_id GROUP BY 1 ORDER BY 1"
check "split files ingest to the hosts' rows" "$(q split.db "$QH" | tr '\n' ' ')" "$(q orig.db "$QH" | tr '\n' ' ')"
check "conversations survive the split" "$(q split.db 'SELECT count(*) FROM conversations')" "$(q orig.db 'SELECT count(*) FROM conversations')"

# ---- 3. time cut: one.pfcap starts at UTC 1767225600 (capture clock 100 s)
"$A" convert one.pfcap --from @1767225605 --to @1767225610 -o cut.pfcap 2> cut.err
check "cut exit status" $? 0
"$D" cut.pfcap > cut.txt
awk '$2 == "process" || $2 == "hostinfo" || $2 == "clock" || ($1 >= 105000000000 && $1 <= 110000000000)' one.txt > want.txt
check "cut keeps exactly the window" "$(cmp -s want.txt cut.txt && echo same) $(wc -l < cut.txt)" "same $(wc -l < want.txt)"
check "window has traffic" "$([ "$(grep -c ' traffic ' cut.txt)" -gt 100 ] && echo yes)" "yes"
"$A" convert one.pfcap --from +5s --to +10s -o cut2.pfcap 2> /dev/null && "$D" cut2.pfcap > cut2.txt
check "relative times from the first input's start" "$(cmp -s cut.txt cut2.txt && echo same)" "same"
"$A" convert one.pfcap --from +10s --to +5s -o bad.pfcap 2> bad.err
check "--to before --from" "$? $(cat bad.err)" "2 procflow-analyze convert: --to is before --from"
# ---- 4. the two-host sample
"$A" ingest "$S/web1.pfcap" "$S/db1.pfcap" -d twohost.db --quiet || exit 1
check "sample hosts, one namespace each" "$(q twohost.db "SELECT group_concat(n, ' ') FROM (SELECT h.name || ':' || count(DISTINCT f.netns) AS n FROM flows f JOIN captures c USING (capture_id) JOIN hosts h ON h.host_id = c.host_id GROUP BY h.name ORDER BY h.name)")" "db1:1 web1:1"
check "sample conversations" "$("$A" report conversations -d twohost.db --raw --format csv | tail -n +2 | cut -d, -f1-3,5,8,10,15-20 | sort | tr '\n' ' ')" \
    "paired,tcp,db1,prober,web1,health,24,24,0,300,300,0 paired,tcp,db1,prober,web1,health,24,24,0,300,300,0 paired,tcp,db1,prober,web1,health,24,24,0,300,300,0 paired,tcp,web1,api,db1,dbserver,7800,7800,0,156000,156000,0 paired,tcp,web1,exporter,db1,archive,3000000,3000000,0,0,0,0 paired,udp,web1,api,db1,metrics,960,960,0,0,0,0 "
exit $fail
