#!/bin/bash
# SPDX-License-Identifier: MIT
# Follow latency: how far `ingest --follow` lags behind a running recording.
# Usage: bench/follow/run.sh BUILD_DIR   (root: the recorder needs eBPF)
# While udpflood drives ~PF_BENCH_RATE (default 100000) UDP sends/s through
# the recorder, a marker datagram goes to a fresh port every round and the
# database is polled (every 20 ms, a reader beside the following writer)
# until that flow is there. Printed per round set (median and worst):
#   follow.call_to_query     from the marker's send call to the flow being
#                            queryable: recorder flush (1 s) + chunk close
#                            (1 s) + follow interval + ingest
#   follow.record_to_query   from the marker's record being readable in the
#                            .partial (a reader polling it beside) to the flow
#                            being queryable: the figure the target (<= 2 s)
#                            is about; both polls run every ~20 ms
# Env: PF_BENCH_FOLLOW_ROUNDS (default 8), PF_BENCH_RATE.
set -u
B=${1:?usage: run.sh BUILD_DIR}
REC=$B/recorder/procflow-record
A=$B/analyzer/procflow-analyze
FLOOD=$B/bench/recorder/udpflood
DUMP=$B/tests/tools/pfdump
ROUNDS=${PF_BENCH_FOLLOW_ROUNDS:-8}
RATE=${PF_BENCH_RATE:-100000}
[ "$(id -u)" = 0 ] || { echo "bench/follow: needs root" >&2; exit 77; }
for f in "$REC" "$A" "$FLOOD" "$DUMP"; do [ -x "$f" ] || { echo "missing $f" >&2; exit 1; }; done
W=$(mktemp -d /tmp/pf-follow-XXXXXX)
pids=
trap 'for p in $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$W"' EXIT
out() { printf '%s\t%s\t%s\n' "$1" "$2" "$3"; }
now_ns() { date +%s%N; }

mkdir "$W/rec"
"$REC" -o "$W/rec/f.pfcap" -s 0 2>"$W/rec.err" &
rec=$!
pids="$rec"
i=0
until grep -q "recording to" "$W/rec.err" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 400 ] && { cat "$W/rec.err" >&2; exit 1; }
    sleep 0.05
done
"$A" ingest --follow "$W/rec" -d "$W/f.db" --quiet 2>"$W/follow.err" &
pids="$pids $!"
"$FLOOD" --threads 1 --rate "$RATE" --seconds $((ROUNDS * 4 + 6)) >"$W/flood.out" &
flood=$!
pids="$pids $flood"
sleep 3 # the flood is on, the first chunks are in

c2q=() r2q=()
for r in $(seq 1 "$ROUNDS"); do
    port=$((47000 + r))
    t_send=$(now_ns)
    echo marker >"/dev/udp/127.0.0.1/$port"
    t_file=0 t_seen=0
    for _ in $(seq 1 400); do
        # in the file: the reader gives what the closed chunks hold
        if [ $t_file = 0 ] && "$DUMP" "$W/rec/f.pfcap.partial" 2>/dev/null | grep -q " traffic .*-> 127.0.0.1:$port "; then
            t_file=$(now_ns)
        fi
        n=$("$A" query -d "$W/f.db" --format csv "SELECT count(*) FROM flows WHERE remote_port = $port AND proto = 'udp'" 2>/dev/null | tail -1)
        if [ "${n:-0}" -ge 1 ] 2>/dev/null; then t_seen=$(now_ns); break; fi
        sleep 0.02
    done
    [ $t_seen != 0 ] || { echo "bench/follow: marker $r not seen" >&2; continue; }
    [ $t_file != 0 ] || t_file=$t_seen # seen in both in the same poll
    c2q+=($(( (t_seen - t_send) / 1000000 )))
    r2q+=($(( (t_seen - t_file) / 1000000 )))
    sleep 1
done
stats() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%d %d\n", v[int((NR + 1) / 2)], v[NR]; else print "- -" }'; }
read -r c_med c_max <<<"$(stats "${c2q[@]}")"
read -r r_med r_max <<<"$(stats "${r2q[@]}")"
wait $flood # its achieved rate (it ran through every round)
rate=$(awk '{ printf "%d", $5 }' "$W/flood.out" 2>/dev/null)
kill $rec 2>/dev/null
out follow.rate_calls_per_s "${rate:-running}" calls/s
out follow.rounds "${#c2q[@]}" markers
out follow.call_to_query_median "$c_med" ms
out follow.call_to_query_max "$c_max" ms
out follow.record_to_query_median "$r_med" ms
out follow.record_to_query_max "$r_max" ms
