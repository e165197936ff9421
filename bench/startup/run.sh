#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Recorder start-up: time from exec to "recording" (programs loaded and
# attached, rundown of processes and sockets written) and the recorder's
# memory then, on this host as it is and on a crowded one (PF_BENCH_PROCS
# processes holding PF_BENCH_SOCKS sockets in all; defaults 2000 and 20000).
# Median of PF_BENCH_RUNS runs (default 5), runs alternating between the two.
#   bench/startup/run.sh BUILD_DIR     prints "name<TAB>value<TAB>unit" lines
set -u
B=${1:?usage: run.sh BUILD_DIR}
REC=$B/recorder/procflow-record
CROWD=$B/bench/startup/crowd
PROCS=${PF_BENCH_PROCS:-2000}
SOCKS=${PF_BENCH_SOCKS:-20000}
RUNS=${PF_BENCH_RUNS:-5}
if [ "$(id -u)" != 0 ]; then echo "bench/startup: needs root" >&2; exit 77; fi
for f in "$REC" "$CROWD"; do [ -x "$f" ] || { echo "missing $f" >&2; exit 1; }; done
W=$(mktemp -d /tmp/pf-startup-XXXXXX)
crowd_pid=""
cleanup() { [ -n "$crowd_pid" ] && kill "$crowd_pid" 2>/dev/null && wait "$crowd_pid" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
out() { printf '%s\t%s\t%s\n' "$1" "$2" "$3"; }
median() { sort -n | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# one_start TAG: runs the recorder until it says it records; appends
# "ms rss_kib hwm_kib" to $W/TAG.
one_start() {
  local tag=$1 f=$W/$1.pfcap t0 line pid ms rss hwm
  rm -f "$f" "$f.partial"
  t0=$(date +%s%N)
  coproc RECORDER { exec "$REC" -o "$f" -s 0 2>&1 >/dev/null; }
  pid=$RECORDER_PID
  ms=""
  while IFS= read -r -t 30 line <&"${RECORDER[0]}"; do
    case $line in
      *"recording to"*)
        ms=$(( ($(date +%s%N) - t0) / 1000000 ))
        rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
        hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
        break ;;
    esac
  done
  kill -INT "$pid" 2>/dev/null
  # drain the rest so the recorder never blocks on a full pipe
  cat <&"${RECORDER[0]}" >/dev/null 2>&1 || true
  wait "$pid" 2>/dev/null
  [ -n "$ms" ] || { echo "bench/startup: the recorder never started" >&2; return 1; }
  echo "$ms $rss $hwm" >>"$W/$tag"
}

start_crowd() {
  "$CROWD" "$PROCS" $(( (SOCKS + PROCS - 1) / PROCS )) >"$W/crowd.out" &
  crowd_pid=$!
  local i=0
  until grep -q '^ready' "$W/crowd.out" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 1200 ] && { echo "bench/startup: crowd did not start" >&2; exit 1; }
    sleep 0.1
  done
  read -r _ got_procs got_socks <"$W/crowd.out"
}

stop_crowd() { kill "$crowd_pid"; wait "$crowd_pid" 2>/dev/null; crowd_pid=""; }

procs_now() { ls /proc | grep -c '^[0-9]*$'; }
socks_now() { cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 2>/dev/null | grep -vc "local_address"; }

one_start warmup >/dev/null || exit 1   # page cache, BTF parsing caches
quiet_procs=$(procs_now) quiet_socks=$(socks_now)
for i in $(seq "$RUNS"); do
  one_start quiet || exit 1
  start_crowd
  crowd_procs=$(procs_now) crowd_socks=$(socks_now)
  one_start crowd || exit 1
  stop_crowd
done
for tag in quiet crowd; do
  out "startup_${tag}_ms_median" "$(awk '{print $1}' "$W/$tag" | median)" ms
  out "startup_${tag}_rss_kib_median" "$(awk '{print $2}' "$W/$tag" | median)" KiB
  out "startup_${tag}_peak_rss_kib_max" "$(awk '{print $3}' "$W/$tag" | sort -n | tail -n 1)" KiB
done
out startup_quiet_host_processes "$quiet_procs" processes
out startup_quiet_host_sockets "$quiet_socks" sockets
out startup_crowd_host_processes "$crowd_procs" processes
out startup_crowd_host_sockets "$crowd_socks" sockets
out startup_crowd_made "$got_procs/$got_socks" "processes/sockets"
