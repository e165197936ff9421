#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Ring buffer pressure, counted exactly. The recorder runs with --per-call
# (one kernel event per send) and a 1 MB buffer, pinned to CPU 0. A burst of
# UDP sends runs as fast as it can on the last CPU, at real-time priority,
# while CPU 0 is held for its first 200 ms: the recorder cannot read, the
# buffer fills, and with every CPU held no other task makes events. Then:
#    sends the generator made - sends recorded = loss records of its CPU
# exactly (the kernel counts reservation failures per CPU; events of other
# tasks lost on other CPUs are in other loss records). The capture's total
# loss, the recorder's own summary and "procflow-analyze report summary"
# agree on it. A rare event of another task lost on the burst's CPU (a
# timer softirq) makes that CPU's count larger: the run is repeated, up to
# 3 times; a count smaller than the deficit fails at once.
# Usage: burst_loss.sh RECORDER ANALYZER PFLOAD PFFAULT WORKDIR
set -euo pipefail
REC=$1 AN=$2 LOAD=$3 FAULT=$4 WORK=$5
NAME=faults.burst_loss
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
fault_need_bpf
ncpu=$(nproc)
[ "$ncpu" -ge 2 ] || { echo "SKIP: needs 2 CPUs"; exit 77; }
command -v taskset >/dev/null || { echo "SKIP: taskset (util-linux) missing"; exit 77; }
GEN_CPU=$((ncpu - 1)) COUNT=400000 STALL_MS=200 BUFFER_MB=1

rm -rf "$WORK"
mkdir -p "$WORK"
GEN_PID= REC_PID=
cleanup() {
  if [ -n "$GEN_PID" ]; then kill "$GEN_PID" 2>/dev/null || true; wait "$GEN_PID" 2>/dev/null || true; fi
  if [ -n "$REC_PID" ]; then kill -KILL "$REC_PID" 2>/dev/null || true; wait "$REC_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT
figures_reset

q() { "$AN" query -d "$1" --format csv "$2" | tail -n 1; }

exact=0
for attempt in 1 2 3; do
  d=$WORK/try$attempt
  mkdir -p "$d"
  "$LOAD" burst --count $COUNT --batch 32 --cpu $GEN_CPU --fifo --hold-ms 200 --stall-cpu 0 --stall-ms $STALL_MS \
    --ready "$d/ready" --go "$d/go" >"$d/burst.out" 2>"$d/burst.err" &
  GEN_PID=$!
  if ! wait_for_file "$d/ready" "$GEN_PID"; then
    cat "$d/burst.err"
    echo "FAIL generator did not get ready"
    exit 1
  fi
  # The recorder shares CPU 0 with the stall; its events never come from
  # the burst's CPU.
  REC_WRAP="taskset -c 0" rec_start "$d/rec.err" -o "$d/burst.pfcap" --per-call --buffer-mb $BUFFER_MB -s 0
  touch "$d/go"
  grc=0
  wait "$GEN_PID" || grc=$?
  GEN_PID=
  if [ $grc -ne 0 ]; then
    cat "$d/burst.err"
    if grep -q "SCHED_FIFO\|real-time" "$d/burst.err"; then echo "SKIP: no real-time scheduling here"; exit 77; fi
    echo "FAIL burst generator exit $grc"
    exit 1
  fi
  read -r gpid sends bytes secs <"$d/burst.out"
  sleep 1.5 # a flush period: the final loss counts are read at stop anyway
  kill -INT "$REC_PID"
  rrc=0
  wait "$REC_PID" || rrc=$?
  REC_PID=
  cat "$d/rec.err"
  check "recorder exits 0 (exit $rrc)" [ $rrc -eq 0 ]
  "$AN" ingest "$d/burst.pfcap" -d "$d/burst.db" --quiet
  rsends=$(q "$d/burst.db" "SELECT coalesce(sum(sends), 0) FROM v_flows WHERE pid = $gpid")
  rbytes=$(q "$d/burst.db" "SELECT coalesce(sum(bytes_sent), 0) FROM v_flows WHERE pid = $gpid")
  lost_cpu=$(q "$d/burst.db" "SELECT coalesce(sum(lost), 0) FROM losses WHERE source = 'ringbuf' AND cpu = $GEN_CPU")
  lost_all=$(q "$d/burst.db" "SELECT coalesce(sum(lost), 0) FROM losses")
  deficit=$((sends - rsends))
  rate=$(awk -v n="$sends" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
  echo "attempt $attempt: generated $sends sends in $secs s ($rate/s) on CPU $GEN_CPU; recorded $rsends;" \
    "lost on CPU $GEN_CPU $lost_cpu, lost in all $lost_all"
  if [ "$deficit" -gt "$lost_cpu" ]; then
    echo "FAIL $((deficit - lost_cpu)) sends neither recorded nor counted as lost"
    exit 1
  fi
  if [ "$deficit" -eq "$lost_cpu" ]; then
    exact=1
    break
  fi
  echo "another task's event was lost on CPU $GEN_CPU meanwhile ($((lost_cpu - deficit))): again"
done
check "generated - recorded = loss records of the burst's CPU ($sends - $rsends = $lost_cpu)" [ $exact = 1 ]
check "the buffer overflowed (loss $lost_cpu > 0)" [ "$lost_cpu" -gt 0 ]
check "sends were recorded ($rsends > 0)" [ "$rsends" -gt 0 ]
check "recorded bytes are 64 per recorded send ($rbytes)" [ "$rbytes" = $((rsends * 64)) ]
check "the capture's loss covers it ($lost_all >= $lost_cpu)" [ "$lost_all" -ge "$lost_cpu" ]
check "the recorder's summary says lost $lost_all" grep -q "lost $lost_all\b" "$d/rec.err"
"$AN" report summary -d "$d/burst.db" --format csv >"$d/summary.csv"
cat "$d/summary.csv"
sum_lost=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "events_lost") c = i } NR == 2 { print $c }' "$d/summary.csv")
check "report summary shows events_lost $lost_all ($sum_lost)" [ "$sum_lost" = "$lost_all" ]
check "report summary says the capture is incomplete" grep -q "events lost" "$d/summary.csv"

figure "burst loss exact" "generated $sends, recorded $rsends, lost $lost_cpu"
figure "burst: rate into the ring" "$rate sends/s for $secs s, $BUFFER_MB MB ring, reader held $STALL_MS ms"
figure "burst: loss in report summary (all CPUs)" "$sum_lost (attempt $attempt of 3)"
[ $FAILS -eq 0 ]
