#!/bin/sh
# SPDX-License-Identifier: MIT
# Capture size for the recorder benchmark's traffic mix (300 UDP flows,
# 3000 calls/s in all): bytes per recorded flow-second of the .pfcap, next to
# the same records as naive fixed structs + zstd -3 and as pcapng-style
# per-event blocks + zstd -3 (bench/format/format_bench --capture).
#   bench/size/run.sh BUILD_DIR     prints "name<TAB>value<TAB>unit" lines
# Env: PF_BENCH_SECONDS (default 10) of recording. Needs root (eBPF).
set -u
B=${1:?usage: run.sh BUILD_DIR}
REC=$B/recorder/procflow-record
FLOOD=$B/bench/recorder/udpflood
FB=$B/bench/format/format_bench
S=${PF_BENCH_SECONDS:-10}
if [ "$(id -u)" != 0 ]; then echo "bench/size: needs root" >&2; exit 77; fi
for f in "$REC" "$FLOOD" "$FB"; do [ -x "$f" ] || { echo "missing $f" >&2; exit 1; }; done
W=$(mktemp -d /tmp/pf-size-XXXXXX)
trap 'rm -rf "$W"' EXIT
"$REC" -o "$W/mix.pfcap" -s 10 2>"$W/rec.err" &
rec=$!
i=0
while ! grep -q "recording to" "$W/rec.err" 2>/dev/null; do
  i=$((i + 1)); [ $i -gt 400 ] && { cat "$W/rec.err" >&2; exit 1; }
  sleep 0.05
done
"$FLOOD" --threads 1 --seconds "$S" --rate 3000 --peers 300 >/dev/null
sleep 1.5
kill -INT $rec
wait $rec
"$FB" --capture "$W/mix.pfcap"
