#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SIGKILL at random moments. The recorder is started PF_FAULTS_KILLS times
# (default 100) under a steady workload (UDP calls, short TCP connections,
# short-lived processes) and killed with SIGKILL after a random 50..2050 ms.
# Every file left behind (NAME.partial; NAME itself must not exist):
#  - reads back with its chunks numbered 0, 1, 2 ... without a gap, and no
#    damage but at most a torn tail (the chunk being appended at the kill);
#  - "procflow-analyze verify" says so: OK, or DAMAGED with exactly the
#    intact chunks still readable when the tail is torn;
#  - ingests: the database holds every recovered chunk and record.
# Chunks written = intact chunks + torn tails; recovered = intact chunks.
# Data age lost = kill time - newest recovered record (the file's start when
# no chunk was complete), both on the capture clock; the target is one chunk
# interval (1 s), asserted with a little slack for scheduling delays.
# Usage: sigkill.sh RECORDER ANALYZER PFLOAD PFFAULT WORKDIR
# Env: PF_FAULTS_KILLS (100), PF_FAULTS_SEED (random; printed),
#      PF_FAULTS_AGE_SLACK_MS (150)
set -euo pipefail
REC=$1 AN=$2 LOAD=$3 FAULT=$4 WORK=$5
NAME=faults.sigkill
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
fault_need_bpf

KILLS=${PF_FAULTS_KILLS:-100}
SEED=${PF_FAULTS_SEED:-$(($(date +%s) % 32768))}
TARGET_MS=1000
SLACK_MS=${PF_FAULTS_AGE_SLACK_MS:-150}
RANDOM=$SEED

rm -rf "$WORK"
mkdir -p "$WORK"
LOAD_PID= REC_PID=
cleanup() {
  touch "$WORK/stop"
  if [ -n "$REC_PID" ]; then kill -KILL "$REC_PID" 2>/dev/null || true; wait "$REC_PID" 2>/dev/null || true; fi
  if [ -n "$LOAD_PID" ]; then
    sleep 0.3
    kill "$LOAD_PID" 2>/dev/null || true
    wait "$LOAD_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT
figures_reset
echo "seed $SEED (PF_FAULTS_SEED=$SEED repeats these kill times)"

"$LOAD" steady --seconds 900 --udp-rate 20000 --tcp-rate 50 --spawn-rate 10 --stop "$WORK/stop" \
  >"$WORK/load.out" 2>"$WORK/load.err" &
LOAD_PID=$!
sleep 0.5

intact_total=0 torn_total=0 records_total=0 max_age=-1 max_age_run=0 runs=0 good_files=0
for i in $(seq 1 "$KILLS"); do
  f=$WORK/k$i.pfcap
  if ! rec_start "$WORK/k$i.err" -o "$f" -s 1; then
    FAILS=$((FAILS + 1))
    continue
  fi
  delay=$((50 + RANDOM % 2001))
  ok=1
  problem() { echo "FAIL run $i: $*"; ok=0; }
  kill_ns=$("$FAULT" kill "$REC_PID" "$delay") || problem "the recorder was gone before the kill: $(cat "$WORK/k$i.err")"
  rc=0
  { wait "$REC_PID"; } 2>/dev/null || rc=$? # no "Killed" job notice
  REC_PID=
  runs=$((runs + 1))
  if [ $ok = 0 ]; then
    FAILS=$((FAILS + 1))
    continue
  fi
  [ $rc -eq 137 ] || problem "recorder exit status $rc, not 137 (killed)"
  [ ! -e "$f" ] || problem "$f exists: a killed recording must stay .partial"
  if [ ! -f "$f.partial" ] || ! scan_vars "$f.partial"; then
    problem "no readable $f.partial"
    FAILS=$((FAILS + 1))
    continue
  fi
  [ "$SCAN_seq_ok" = 1 ] || problem "chunk numbers have a gap"
  [ "$SCAN_other_damage" = 0 ] || problem "$SCAN_other_damage damaged regions besides a torn tail"
  [ "$SCAN_footer" = 0 ] || problem "a footer after SIGKILL"
  vrc=0
  vout=$("$AN" verify "$f.partial") || vrc=$?
  if [ "$SCAN_torn" = 0 ]; then
    [ $vrc -eq 0 ] && [[ $vout == *"OK: $SCAN_intact chunks"* ]] || problem "verify: $vout (exit $vrc)"
  else
    [ $vrc -eq 1 ] && [[ $vout == *"DAMAGED: still readable: $SCAN_intact chunks"* ]] ||
      problem "verify of a torn tail: $vout (exit $vrc)"
  fi
  ref=$SCAN_last_ts
  [ "$ref" -ge "$SCAN_anchor" ] || ref=$SCAN_anchor
  age=$(((kill_ns - ref) / 1000000))
  if [ $age -gt $max_age ]; then max_age=$age max_age_run=$i; fi
  intact_total=$((intact_total + SCAN_intact))
  torn_total=$((torn_total + SCAN_torn))
  records_total=$((records_total + SCAN_records))
  echo "run $i: killed after $delay ms: $SCAN_intact chunk(s) intact, torn tail $SCAN_torn," \
    "$SCAN_records records, data age lost $age ms"
  if [ $ok = 1 ]; then good_files=$((good_files + 1)); else FAILS=$((FAILS + 1)); fi
done

touch "$WORK/stop"
wait "$LOAD_PID" || true
LOAD_PID=
echo "workload: $(cat "$WORK/load.out")"

# Every file ingests; the database holds exactly what the scans recovered.
irc=0
"$AN" ingest "$WORK"/k*.pfcap.partial -d "$WORK/all.db" --quiet || irc=$?
check "all $runs files ingest (exit $irc)" [ $irc -eq 0 ]
IFS=, read -r db_caps db_chunks db_records db_damaged <<<"$("$AN" query -d "$WORK/all.db" --format csv \
  "SELECT count(*), coalesce(sum(chunks_ok),0), coalesce(sum(records),0), coalesce(sum(chunks_damaged),0)
     FROM captures" | tail -n 1)"
check "database has $runs captures ($db_caps)" [ "$db_caps" = "$runs" ]
check "database has the $intact_total recovered chunks ($db_chunks)" [ "$db_chunks" = "$intact_total" ]
check "database has the $records_total recovered records ($db_records)" [ "$db_records" = "$records_total" ]
check "database counts the $torn_total torn tails as damaged ($db_damaged)" [ "$db_damaged" = "$torn_total" ]
check "every file read back up to its last complete chunk ($good_files of $runs)" [ "$good_files" = "$runs" ]
check "data age lost $max_age ms <= $TARGET_MS ms (+$SLACK_MS ms scheduling slack)" \
  [ $max_age -le $((TARGET_MS + SLACK_MS)) ]
check "$KILLS kills done ($runs)" [ "$runs" = "$KILLS" ]

figure "sigkill runs" "$runs (kill after 50..2050 ms, seed $SEED)"
figure "sigkill: files verified and ingested" "$good_files / $runs"
figure "sigkill: chunks recovered / written" "$intact_total / $((intact_total + torn_total))"
figure "sigkill: torn tail chunks (cut by the kill)" "$torn_total"
figure "sigkill: records recovered" "$records_total"
figure "sigkill: max data age lost (ms)" "$max_age (run $max_age_run; target <= $TARGET_MS)"
[ $FAILS -eq 0 ]
