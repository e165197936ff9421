#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Full disks, on small tmpfs mounts in a private mount namespace.
# Recorder:
#  - the disk fills while recording (per-call records of a steady workload):
#    it stops by itself, exit status 1, one "disk full" line naming the file;
#    the .partial it leaves ends on a block boundary, every completed chunk
#    verifies and ingests, and its size is the byte count the summary gave;
#  - the disk is full before it starts: exit 1, one line naming the file, no
#    file left behind.
# Analyzer:
#  - its database volume fills during an ingest: exit 1, one line saying the
#    database's disk is full; the database still opens, passes SQLite's
#    integrity check, holds exactly the rows it had (every table counted), no
#    journal is left, reports run on it, and with space again the same
#    capture ingests.
# Usage: disk_full.sh RECORDER ANALYZER PFLOAD PFFAULT WORKDIR PFGEN
set -euo pipefail
REC=$1 AN=$2 LOAD=$3 FAULT=$4 WORK=$5 GEN=$6
NAME=faults.disk_full
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
fault_need_bpf
command -v unshare >/dev/null || { echo "SKIP: unshare (util-linux) missing"; exit 77; }

# Everything below runs in a private mount namespace: the mounts go away
# with it, whatever happens.
if [ -z "${PF_FAULTS_IN_NS:-}" ]; then
  export PF_FAULTS_IN_NS=1
  exec unshare -m --propagation private bash "$0" "$@"
fi

rm -rf "$WORK"
mkdir -p "$WORK/small" "$WORK/dbvol"
LOAD_PID= REC_PID=
cleanup() {
  touch "$WORK/stop"
  if [ -n "$REC_PID" ]; then kill -KILL "$REC_PID" 2>/dev/null || true; wait "$REC_PID" 2>/dev/null || true; fi
  if [ -n "$LOAD_PID" ]; then kill "$LOAD_PID" 2>/dev/null || true; wait "$LOAD_PID" 2>/dev/null || true; fi
  umount "$WORK/small" 2>/dev/null || true
  umount "$WORK/dbvol" 2>/dev/null || true
}
trap cleanup EXIT
figures_reset

# ------------------------------------------------------------ recorder
mount -t tmpfs -o size=256k,mode=0755 tmpfs "$WORK/small"
"$LOAD" steady --seconds 60 --udp-rate 50000 --tcp-rate 50 --stop "$WORK/stop" >"$WORK/load.out" 2>"$WORK/load.err" &
LOAD_PID=$!
sleep 0.3
out=$WORK/small/full.pfcap
t0=$(date +%s%N)
rc=0
timeout 60 "$REC" -o "$out" --per-call -s 1 -d 30 2>"$WORK/rec.err" || rc=$?
secs=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
touch "$WORK/stop"
wait "$LOAD_PID" || true
LOAD_PID=
echo "recorder stderr:"
cat "$WORK/rec.err"
df -k "$WORK/small" | tail -n 1
check "recorder exits 1 on a full disk (exit $rc)" [ $rc -eq 1 ]
check "it stopped by itself, before its 30 s duration ($secs s)" awk -v s="$secs" 'BEGIN { exit !(s < 25) }'
check "exactly one 'disk full' line" [ "$(grep -c "disk full" "$WORK/rec.err")" = 1 ]
check "the line names the file" grep -q "disk full.*$out" "$WORK/rec.err"
check "no final file (the recording did not finish)" [ ! -e "$out" ]
check "the .partial file is there" [ -f "$out.partial" ]
cp "$out.partial" "$WORK/full.pfcap.partial"
summary_bytes=$(sed -n 's/.* \([0-9]*\) bytes in 1 file.*/\1/p' "$WORK/rec.err")
size=$(stat -c %s "$WORK/full.pfcap.partial")
check "file size $size = bytes the summary reports (${summary_bytes:-none}): no half block" [ "$size" = "${summary_bytes:-x}" ]
scan_vars "$WORK/full.pfcap.partial"
echo "scan: $("$FAULT" scan "$WORK/full.pfcap.partial")"
check "completed chunks intact ($SCAN_intact)" [ "$SCAN_intact" -ge 1 ]
check "no damage, no torn tail, chunks in order" [ "$SCAN_torn/$SCAN_other_damage/$SCAN_seq_ok" = 0/0/1 ]
vrc=0
vout=$("$AN" verify "$WORK/full.pfcap.partial") || vrc=$?
echo "$vout"
check "verify passes on all $SCAN_intact chunks" [ $vrc -eq 0 ]
irc=0
"$AN" ingest "$WORK/full.pfcap.partial" -d "$WORK/full.db" --quiet || irc=$?
check "the partial capture ingests" [ $irc -eq 0 ]
got=$("$AN" query -d "$WORK/full.db" --format csv "SELECT chunks_ok || '/' || records FROM captures" | tail -n 1)
check "database holds its $SCAN_intact chunks / $SCAN_records records ($got)" [ "$got" = "$SCAN_intact/$SCAN_records" ]
figure "disk full: recorder" "$([ $FAILS -eq 0 ] && echo "clean stop" || echo FAILED): exit $rc after $secs s, \
$SCAN_intact chunks ($SCAN_records records) intact"

# Full before the first byte.
rm -f "$out.partial"
dd if=/dev/zero of="$WORK/small/filler" bs=4k 2>/dev/null || true
rc=0
timeout 30 "$REC" -o "$WORK/small/none.pfcap" -s 1 -d 5 2>"$WORK/rec2.err" || rc=$?
cat "$WORK/rec2.err"
check "full disk at start: exit 1 (exit $rc)" [ $rc -eq 1 ]
check "full disk at start: one line naming the file" \
  [ "$(grep -c "none.pfcap.*no space left" "$WORK/rec2.err")" = 1 ]
none_left() { [ ! -e "$1" ] && [ ! -e "$1.partial" ]; }
check "full disk at start: nothing left behind" none_left "$WORK/small/none.pfcap"
umount "$WORK/small"

# ------------------------------------------------------------ analyzer
"$GEN" -o "$WORK/small.pfcap" -n 3000 --seed 1 >/dev/null
"$GEN" -o "$WORK/big.pfcap" -n 300000 --seed 2 --flows 2000 >/dev/null
rec_fails=$FAILS
mount -t tmpfs -o size=4m,mode=0755 tmpfs "$WORK/dbvol"
db=$WORK/dbvol/net.db
"$AN" ingest "$WORK/small.pfcap" -d "$db" --quiet
COUNTS="SELECT (SELECT count(*) FROM captures) || ' ' || (SELECT count(*) FROM processes) || ' ' ||
  (SELECT count(*) FROM flows) || ' ' || (SELECT count(*) FROM bytes) || ' ' || (SELECT count(*) FROM bytes_rollup)
  || ' ' || (SELECT count(*) FROM snapshots) || ' ' || (SELECT count(*) FROM losses) || ' ' ||
  (SELECT count(*) FROM damage) || ' ' || (SELECT count(*) FROM hostinfo) || ' ' || (SELECT count(*) FROM markers)
  || ' ' || (SELECT coalesce(sum(bytes_sent), 0) FROM flows)"
before=$("$AN" query -d "$db" --format csv "$COUNTS" | tail -n 1)
echo "rows before (captures processes flows bytes rollup snapshots losses damage hostinfo markers sent): $before"
df -k "$WORK/dbvol" | tail -n 1
rc=0
"$AN" ingest "$WORK/big.pfcap" -d "$db" 2>"$WORK/an.err" || rc=$?
cat "$WORK/an.err"
check "analyzer exits 1 when its disk fills (exit $rc)" [ $rc -eq 1 ]
check "one line of error" [ "$(wc -l <"$WORK/an.err")" = 1 ]
check "it says the database's disk is full and names it" grep -q "disk full writing the database $db" "$WORK/an.err"
check "no journal left behind" [ ! -e "$db-journal" ]
after=$("$AN" query -d "$db" --format csv "$COUNTS" | tail -n 1)
echo "rows after:  $after"
check "the database opens and holds exactly what it had" [ "$after" = "$before" ]
check "integrity check ok" [ "$("$AN" query -d "$db" --format csv "PRAGMA integrity_check" | tail -n 1)" = ok ]
check "report summary runs on it" "$AN" report summary -d "$db" --format csv
mount -o remount,size=64m "$WORK/dbvol"
rc=0
"$AN" ingest "$WORK/big.pfcap" -d "$db" --quiet || rc=$?
check "with space again the same capture ingests (exit $rc)" [ $rc -eq 0 ]
check "now 2 captures" [ "$("$AN" query -d "$db" --format csv "SELECT count(*) FROM captures" | tail -n 1)" = 2 ]
figure "disk full: analyzer" "$([ $FAILS -eq $rec_fails ] && echo "clean rollback" || echo FAILED): exit 1, \
every table's row count unchanged"
[ $FAILS -eq 0 ]
