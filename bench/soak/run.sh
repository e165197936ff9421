#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Long run: the recorder (default aggregated mode) under ~100k calls/s over
# loopback with sockets and processes churning: paced UDP calls, 300 short
# TCP connections a second and 30 short-lived processes a second (each one
# connection and a few datagrams). The churn starts 65 s before the
# recorder, so the TIME_WAIT population (60 s) is steady when it starts:
# every snapshot lists those sockets, and the memory that takes is reached
# at once instead of growing with it. The UDP load starts with the recorder
# so its calls can be counted exactly. Every second it samples the recorder's
# RSS (VmRSS, and RssAnon: its own heap and stacks), open fds and the
# entries of its BPF maps (flows, retrans); at the end it prints
# first/last/max of each and checks:
#   - memory flat: after the warm-up, the last RssAnon sample is at most
#     2 MB (or 10%) above the warm-up level and none exceeds it by 4 MB;
#     VmRSS also counts the kernel event ring as the reader first touches
#     its pages (mapped twice: up to 2 x 8 MB), so it may rise by that once;
#   - no fd growth: the fewest of the last 5 samples equals the first (a
#     snapshot in progress holds a few more for a moment: max <= first + 4);
#   - BPF map entries bounded: the flows map holds every process's flows
#     until the once-a-second flush after their socket closed, so samples
#     swing between 0 and about a second's worth of connections (sampling
#     and flush beat against each other), and other work on the machine adds
#     to it; what must not rise is its floor: the fewest entries of the last
#     40 samples at most the fewest of the 20 after the warm-up + 1000;
#   - no loss: no loss record in the capture, the recorder's summary says
#     lost 0, and the workload's UDP calls equal those recorded exactly.
# Usage: bench/soak/run.sh BUILD_DIR [SECONDS] [WORKDIR]
#   SECONDS: 600 (the soak) by default; ctest runs 60 (faults.soak_short).
# Figures go to $PF_FIGURES_DIR/faults.soak_short.tsv (or faults.soak.tsv
# for other durations) when PF_FIGURES_DIR is set. Exit 77 without root/BPF,
# and for sanitizer builds: several times slower, such a recorder cannot keep
# up with this load, and its memory is the sanitizer's.
set -euo pipefail
B=${1:?usage: run.sh BUILD_DIR [SECONDS] [WORKDIR]}
SECONDS_TOTAL=${2:-600}
WORK=${3:-$(mktemp -d /tmp/pf-soak-XXXXXX)}
REC=$B/recorder/procflow-record
AN=$B/analyzer/procflow-analyze
LOAD=$B/tests/faults/pfload
FAULT=$B/tests/faults/pffault
NAME=faults.soak
[ "$SECONDS_TOTAL" = 60 ] && NAME=faults.soak_short
# shellcheck source=../../tests/faults/common.sh
. "$(dirname "$0")/../../tests/faults/common.sh"
fault_need_bpf
for f in "$REC" "$AN" "$LOAD" "$FAULT"; do [ -x "$f" ] || { echo "missing $f (build first)"; exit 1; }; done
if grep -aq __asan_init "$REC"; then echo "SKIP: sanitizer build; the soak measures a release build"; exit 77; fi
command -v bpftool >/dev/null || echo "note: bpftool not found: BPF map entries are not sampled"

UDP_RATE=100000 TCP_RATE=300 SPAWN_RATE=30
PREWARM=${PF_SOAK_PREWARM:-65}
WARM=$((SECONDS_TOTAL / 3 < 20 ? SECONDS_TOTAL / 3 : 20)) # two snapshots
rm -rf "$WORK"
mkdir -p "$WORK"
LOAD_PID= CHURN_PID= REC_PID=
cleanup() {
  touch "$WORK/stop"
  if [ -n "$LOAD_PID" ]; then kill "$LOAD_PID" 2>/dev/null || true; wait "$LOAD_PID" 2>/dev/null || true; fi
  if [ -n "$CHURN_PID" ]; then kill "$CHURN_PID" 2>/dev/null || true; wait "$CHURN_PID" 2>/dev/null || true; fi
  if [ -n "$REC_PID" ]; then kill -KILL "$REC_PID" 2>/dev/null || true; wait "$REC_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT
figures_reset

"$LOAD" steady --seconds $((PREWARM + SECONDS_TOTAL + 30)) --tcp-rate $TCP_RATE --spawn-rate $SPAWN_RATE \
  --stop "$WORK/stop" >"$WORK/churn.out" 2>"$WORK/churn.err" &
CHURN_PID=$!
echo "soak: TCP and process churn for ${PREWARM}s before the recorder starts"
sleep "$PREWARM"
rec_start "$WORK/rec.err" -o "$WORK/soak.pfcap"
# The recorder's maps, by name, from its open BPF map fds.
declare -A MAP_ID=()
for fdinfo in /proc/"$REC_PID"/fdinfo/*; do
  id=$(awk '$1 == "map_id:" { print $2 }' "$fdinfo" 2>/dev/null || true)
  [ -n "$id" ] && command -v bpftool >/dev/null || continue
  name=$(bpftool map show id "$id" 2>/dev/null | awk 'NR == 1 { for (i = 1; i < NF; i++) if ($i == "name") print $(i + 1) }')
  [ -n "$name" ] && MAP_ID[$name]=$id
done
map_entries() { # map_entries NAME: entries now, or - when unknown
  local id=${MAP_ID[$1]:-}
  if [ -z "$id" ]; then echo -; return; fi
  bpftool -j map dump id "$id" 2>/dev/null | grep -o '"key":' | wc -l
}

"$LOAD" steady --seconds "$SECONDS_TOTAL" --udp-rate $UDP_RATE --stop "$WORK/stop" >"$WORK/load.out" 2>"$WORK/load.err" &
LOAD_PID=$!
echo "soak: ${SECONDS_TOTAL}s at $UDP_RATE UDP calls/s, $TCP_RATE TCP connections/s, $SPAWN_RATE processes/s;" \
  "recorder pid $REC_PID, workload pid $LOAD_PID, warm-up ${WARM}s"
echo "t rss_kb anon_kb fds flows_entries retrans_entries" >"$WORK/samples.txt"
t=0
while kill -0 "$LOAD_PID" 2>/dev/null && [ $t -lt $((SECONDS_TOTAL + 30)) ]; do
  sleep 1
  t=$((t + 1))
  kill -0 "$REC_PID" 2>/dev/null || { echo "FAIL the recorder died"; cat "$WORK/rec.err"; exit 1; }
  mem=$(awk '$1 == "VmRSS:" { r = $2 } $1 == "RssAnon:" { a = $2 } END { print r, a }' /proc/"$REC_PID"/status)
  fds=$(ls /proc/"$REC_PID"/fd | wc -l)
  echo "$t $mem $fds $(map_entries flows) $(map_entries retrans)" >>"$WORK/samples.txt"
  if [ $((t % 30)) = 0 ]; then echo "  $(tail -n 1 "$WORK/samples.txt")"; fi
done
lrc=0
load_pid=$LOAD_PID
wait "$LOAD_PID" || lrc=$?
LOAD_PID=
touch "$WORK/stop"
wait "$CHURN_PID" || lrc=$((lrc + $?))
CHURN_PID=
sleep 1.5 # one aggregate flush
kill -INT "$REC_PID"
rrc=0
wait "$REC_PID" || rrc=$?
REC_PID=
cat "$WORK/rec.err"
read -r _ calls _ _ _ _ _ secs <"$WORK/load.out"
read -r _ _ _ conns _ procs _ csecs <"$WORK/churn.out"
echo "workload: $calls UDP calls in $secs s; churn: $conns TCP connections, $procs processes in $csecs s (exit $lrc)"
cat "$WORK/load.err" "$WORK/churn.err"

# column C of the samples: first, last, max, and the level at the warm-up
stat_col() {
  awk -v c="$1" -v w="$WARM" 'NR > 1 && $c != "-" {
      if (!n++) first = $c; last = $c; if ($c > max) max = $c; if ($1 == w) warm = $c }
    END { if (!n) { print "- - - -"; exit } if (warm == "") warm = first; print first, last, max, warm }' \
    "$WORK/samples.txt"
}
read -r rss_first rss_last rss_max rss_warm <<<"$(stat_col 2)"
read -r anon_first anon_last anon_max anon_warm <<<"$(stat_col 3)"
read -r fd_first _ fd_max _ <<<"$(stat_col 4)"
fd_last=$(tail -n 5 "$WORK/samples.txt" | awk 'NR == 1 || $4 < m { m = $4 } END { print m }')
read -r fl_first fl_last fl_max fl_warm <<<"$(stat_col 5)"
read -r rt_first rt_last rt_max _ <<<"$(stat_col 6)"
echo "VmRSS kB: first $rss_first, at warm-up $rss_warm, last $rss_last, max $rss_max"
echo "RssAnon kB: first $anon_first, at warm-up $anon_warm, last $anon_last, max $anon_max"
echo "fds: first $fd_first, last $fd_last, max $fd_max"
echo "BPF flows map entries: first $fl_first, last $fl_last, max $fl_max; retrans: first $rt_first, last $rt_last, max $rt_max"

scan_vars "$WORK/soak.pfcap"
vrc=0
"$AN" verify "$WORK/soak.pfcap" || vrc=$?
"$AN" ingest "$WORK/soak.pfcap" -d "$WORK/soak.db" --quiet
rcalls=$("$AN" query -d "$WORK/soak.db" --format csv \
  "SELECT coalesce(sum(sends + recvs), 0) FROM v_flows WHERE pid = $load_pid AND proto = 'udp'" | tail -n 1)
rate=$(awk -v c="$calls" -v s="$secs" 'BEGIN { printf "%.0f", c / s }')
allow=$((anon_warm / 10 > 2048 ? anon_warm / 10 : 2048))

check "workload and recorder exit 0 ($lrc, $rrc)" [ "$lrc/$rrc" = 0/0 ]
check "workload reached a quarter of the target rate at least ($rate calls/s)" [ "$rate" -ge $((UDP_RATE / 4)) ]
check "capture verifies" [ $vrc -eq 0 ]
check "memory flat: RssAnon last $anon_last kB <= warm-up $anon_warm kB + $allow kB" \
  [ "$anon_last" -le $((anon_warm + allow)) ]
check "RssAnon max $anon_max kB <= warm-up + 4 MB" [ "$anon_max" -le $((anon_warm + 4096)) ]
check "VmRSS max $rss_max kB <= warm-up $rss_warm kB + 16 MB (ring pages) + 4 MB" \
  [ "$rss_max" -le $((rss_warm + 20480)) ]
check "no fd growth: last (fewest of the last 5 samples) $fd_last = first $fd_first" [ "$fd_last" = "$fd_first" ]
check "fds never more than first + 4 (max $fd_max)" [ "$fd_max" -le $((fd_first + 4)) ]
if [ "$fl_last" != - ]; then
  floor_early=$(awk -v w="$WARM" 'NR > 1 && $1 > w && $1 <= w + 20 && (m == "" || $5 < m) { m = $5 } END { print m }' \
    "$WORK/samples.txt")
  floor_late=$(tail -n 40 "$WORK/samples.txt" | awk 'NR == 1 || $5 < m { m = $5 } END { print m }')
  check "BPF flows entries do not pile up: floor $floor_late <= floor after warm-up $floor_early + 1000" \
    [ "$floor_late" -le $((${floor_early:-0} + 1000)) ]
fi
check "no loss records in the capture ($SCAN_lost)" [ "$SCAN_lost" = 0 ]
check "the recorder's summary says lost 0" grep -q "lost 0" "$WORK/rec.err"
check "every UDP call recorded: $calls made, $rcalls recorded" [ "$calls" = "$rcalls" ]

S=${SECONDS_TOTAL}s
figure "soak $S: workload" "$rate UDP calls/s, $conns TCP connections, $procs processes"
figure "soak $S: VmRSS kB first/warm-up/last/max" "$rss_first / $rss_warm / $rss_last / $rss_max"
figure "soak $S: RssAnon kB first/warm-up/last/max" "$anon_first / $anon_warm / $anon_last / $anon_max"
figure "soak $S: recorder fds first/last/max" "$fd_first / $fd_last / $fd_max"
figure "soak $S: BPF flows entries first/last/max" "$fl_first / $fl_last / $fl_max"
figure "soak $S: events lost" "$SCAN_lost (UDP calls made $calls, recorded $rcalls)"
[ $FAILS -eq 0 ]
