#!/bin/sh
# SPDX-License-Identifier: MIT
# End-to-end recorder test: record while trafficgen runs its scenarios, then
# compare the capture with the generator's ground truth (pfcheck).
# Usage: run_e2e.sh RECORDER TRAFFICGEN PFCHECK WORKDIR [MODE...]
# MODE: aggregated (default) and/or per-call. Exit 77 = cannot run here.
# With PF_ANALYZER set to procflow-analyze, the capture is also ingested and
# every flow is checked with SQL (sqlcheck.sh).
set -u
REC=$1 GEN=$2 CHECK=$3 WORK=$4
shift 4
MODES=${*:-aggregated per-call}

if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root for eBPF"; exit 77; fi
if [ ! -r /sys/kernel/btf/vmlinux ]; then echo "SKIP: no kernel BTF"; exit 77; fi

mkdir -p "$WORK" || exit 1
status=0
for mode in $MODES; do
  d="$WORK/$mode"
  rm -rf "$d"; mkdir -p "$d"
  extra=""
  [ "$mode" = per-call ] && extra="--per-call"

  "$GEN" --truth "$d/truth.txt" --ready "$d/ready" --go "$d/go" 2>"$d/gen.err" &
  gen=$!
  i=0
  while [ ! -e "$d/ready" ]; do
    i=$((i + 1)); [ $i -gt 400 ] && { echo "generator not ready"; kill $gen; exit 1; }
    sleep 0.05
  done

  "$REC" -o "$d/cap.pfcap" --snapshot-interval 1 $extra 2>"$d/rec.err" &
  rec=$!
  i=0
  while ! grep -q "recording to" "$d/rec.err" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 400 ] || ! kill -0 $rec 2>/dev/null; then
      echo "recorder did not start:"; cat "$d/rec.err"; touch "$d/go"; wait $gen; exit 1
    fi
    sleep 0.05
  done
  if grep -q "snapshot-only" "$d/rec.err"; then
    echo "SKIP: eBPF unavailable:"; cat "$d/rec.err"
    kill -INT $rec; touch "$d/go"; wait $rec; wait $gen; exit 77
  fi

  touch "$d/go"
  wait $gen; grc=$?
  # Let the once-a-second aggregate flush run before stopping.
  sleep 1.5
  kill -INT $rec
  wait $rec; rrc=$?
  echo "== $mode: recorder exit $rrc, generator exit $grc"
  cat "$d/rec.err"
  [ -s "$d/gen.err" ] && cat "$d/gen.err"
  if [ $grc -ne 0 ] || [ $rrc -ne 0 ]; then status=1; continue; fi
  if ! "$CHECK" "$d/cap.pfcap" "$d/truth.txt"; then
    status=1
  fi
  if [ -n "${PF_ANALYZER:-}" ]; then
    if ! "$(dirname "$0")/sqlcheck.sh" "$PF_ANALYZER" "$d/cap.pfcap" "$d/truth.txt" "$d/cap.db"; then
      status=1
    fi
  fi
done
exit $status
