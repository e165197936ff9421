#!/bin/sh
# SPDX-License-Identifier: MIT
# Recorder benchmarks. Usage: bench/recorder/run.sh BUILD_DIR
# Prints "name<TAB>value<TAB>unit" lines. Needs root (eBPF).
# Env: PF_BENCH_SECONDS (default 10) per measured run, PF_BENCH_RATE
# (default 100000 calls/s for the overhead runs), PF_BENCH_BPFTRACE=0 to
# skip the bpftrace comparison, PF_BENCH_HOOK_SECONDS (default 2) and
# PF_BENCH_HOOK_ROUNDS (default 3) for the per-call program cost next to
# empty programs (section 6).
set -u
B=${1:?usage: run.sh BUILD_DIR}
REC=$B/recorder/procflow-record
FLOOD=$B/bench/recorder/udpflood
CHECK=$B/tests/e2e/pfcheck
S=${PF_BENCH_SECONDS:-10}
RATE=${PF_BENCH_RATE:-100000}
HZ=$(getconf CLK_TCK)
W=$(mktemp -d /tmp/pf-bench-XXXXXX)
trap 'rm -rf "$W"' EXIT

if [ "$(id -u)" != 0 ]; then echo "bench/recorder: needs root" >&2; exit 77; fi
for f in "$REC" "$FLOOD" "$CHECK"; do [ -x "$f" ] || { echo "missing $f" >&2; exit 1; }; done

out() { printf '%s\t%s\t%s\n' "$1" "$2" "$3"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

start_rec() { # start_rec FILE [args]: recorder in the background, waits until it records
  f=$1; shift
  "$REC" -o "$f" --force -s 0 "$@" 2>"$W/rec.err" &
  RECPID=$!
  i=0
  while ! grep -q "recording to" "$W/rec.err" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 400 ] && { cat "$W/rec.err" >&2; exit 1; }
    sleep 0.05
  done
  REC_T0=$(cpu_ticks $RECPID)
}

stop_rec() { # sets REC_CPU_S (recorder CPU seconds while recording)
  sleep 1.5 # one aggregate flush period
  t1=$(cpu_ticks $RECPID)
  kill -INT $RECPID; wait $RECPID
  REC_CPU_S=$(awk -v a="$REC_T0" -v b="$t1" -v hz="$HZ" 'BEGIN {printf "%.3f", (b - a) / hz}')
}

bpf_prog_ns() { # kernel time of the send-path programs (tracepoint + cgroup hook) per send
  bpftool prog show 2>/dev/null | awk '/name (on_send|on_sendmsg4) /{for(i=1;i<=NF;i++){if($i=="run_time_ns")t+=$(i+1); if($i=="run_cnt" && $0 ~ /name on_send /)c+=$(i+1)}} END {if (c) printf "%.0f", t/c; else print "n/a"}'
}

# 1. Sustained rate, unpaced, both cores: recorder counts must equal.
start_rec "$W/sustained.pfcap"
old_stats=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
sysctl -qw kernel.bpf_stats_enabled=1 2>/dev/null
set -- $("$FLOOD" --threads 2 --seconds "$S")
fpid=$1 calls=$2 bytes=$3 secs=$4 rate=$5
ns_per_call=$(bpf_prog_ns)
sysctl -qw kernel.bpf_stats_enabled="$old_stats" 2>/dev/null
stop_rec
set -- $("$CHECK" --sum "$W/sustained.pfcap" "$fpid")
rcalls=$1 rbytes=$2 lost=$5
out sustained_workload_calls_per_s "$rate" calls/s
out sustained_workload_calls "$calls" calls
out sustained_recorder_calls "$rcalls" calls
out sustained_workload_bytes "$bytes" bytes
out sustained_recorder_bytes "$rbytes" bytes
out sustained_counts_equal "$([ "$calls" = "$rcalls" ] && [ "$bytes" = "$rbytes" ] && echo yes || echo NO)" bool
out sustained_lost "$lost" events
out sustained_capture_bytes "$(stat -c %s "$W/sustained.pfcap")" bytes
out recorder_cpu_per_million_events "$(awk -v c="$REC_CPU_S" -v n="$rcalls" 'BEGIN {printf "%.4f", n ? c / (n / 1e6) : 0}')" cpu_s
out kernel_bpf_ns_per_send "$ns_per_call" ns # includes bpf_stats timing overhead

# 2. Overhead at a fixed rate: workload CPU per call with and without.
set -- $("$FLOOD" --threads 2 --seconds "$S" --rate "$RATE")
base_rate=$5 base_cpu=$6
start_rec "$W/paced.pfcap"
set -- $("$FLOOD" --threads 2 --seconds "$S" --rate "$RATE")
fpid=$1 with_calls=$2 with_rate=$5 with_cpu=$6
stop_rec
out paced_target_rate "$RATE" calls/s
out paced_rate_without "$base_rate" calls/s
out paced_rate_with "$with_rate" calls/s
out paced_throughput_ratio "$(awk -v a="$with_rate" -v b="$base_rate" 'BEGIN {printf "%.4f", a / b}')" ratio
out paced_workload_cpu_ratio "$(awk -v a="$with_cpu" -v b="$base_cpu" 'BEGIN {printf "%.4f", a / b}')" ratio
out paced_recorder_cpu_per_million_events "$(awk -v c="$REC_CPU_S" -v n="$with_calls" 'BEGIN {printf "%.4f", c / (n / 1e6)}')" cpu_s

# 3. Maximum throughput with and without (same run, back to back).
set -- $("$FLOOD" --threads 2 --seconds "$S"); max_without=$5
start_rec "$W/max.pfcap"
set -- $("$FLOOD" --threads 2 --seconds "$S"); max_with=$5
stop_rec
out max_rate_without "$max_without" calls/s
out max_rate_with "$max_with" calls/s
out max_throughput_ratio "$(awk -v a="$max_with" -v b="$max_without" 'BEGIN {printf "%.4f", a / b}')" ratio

# 4. Capture size per hour: 300 UDP flows at 3000 calls/s in total.
start_rec "$W/mix.pfcap" --snapshot-interval 10
"$FLOOD" --threads 1 --seconds "$S" --rate 3000 --peers 300 >/dev/null
stop_rec
sz=$(stat -c %s "$W/mix.pfcap")
out mix_capture_bytes_per_hour "$(awk -v b="$sz" -v s="$S" 'BEGIN {printf "%.0f", b / (s + 1.5) * 3600}')" bytes/h

# 5. Side by side with bpftrace summing the same tracepoint by pid.
if [ "${PF_BENCH_BPFTRACE:-1}" != 0 ] && command -v bpftrace >/dev/null; then
  # bpftrace needs tracefs; mount it in a private mount namespace only.
  unshare -m sh -c 'mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing; exec bpftrace -e "tracepoint:sock:sock_send_length /args->ret > 0/ { @calls[pid] = count(); @bytes[pid] = sum(args->ret); }"' \
    >"$W/bt.out" 2>&1 &
  bt=$!
  i=0
  while ! grep -q "Attaching" "$W/bt.out" 2>/dev/null; do i=$((i + 1)); [ $i -gt 600 ] && break; sleep 0.05; done
  sleep 1
  t0=$(cpu_ticks $bt)
  set -- $("$FLOOD" --threads 2 --seconds "$S")
  fpid=$1 calls=$2 bytes=$3 bt_rate=$5
  t1=$(cpu_ticks $bt)
  kill -INT $bt; wait $bt
  btc=$(awk -v p="$fpid" '$1 == "@calls[" p "]:" {print $2}' "$W/bt.out")
  btb=$(awk -v p="$fpid" '$1 == "@bytes[" p "]:" {print $2}' "$W/bt.out")
  out bpftrace_workload_calls_per_s "$bt_rate" calls/s
  out bpftrace_workload_calls "$calls" calls
  out bpftrace_counted_calls "${btc:-0}" calls
  out bpftrace_workload_bytes "$bytes" bytes
  out bpftrace_counted_bytes "${btb:-0}" bytes
  out bpftrace_cpu_s "$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" 'BEGIN {printf "%.3f", (b - a) / hz}')" cpu_s
  out bpftrace_throughput_ratio_vs_max_without "$(awk -v a="$bt_rate" -v b="$max_without" 'BEGIN {printf "%.4f", a / b}')" ratio
fi

# 6. Per-call cost of the BPF programs on a UDP send, UDP recv and TCP send
# loop, next to empty programs on the same hooks. Program run time per call
# (kernel.bpf_stats_enabled) with both attached in the same run; workload
# time per call bare, with the empty programs and with the recorder
# (medians of PF_BENCH_HOOK_ROUNDS runs of PF_BENCH_HOOK_SECONDS each).
HC=$B/bench/recorder/hookcost
HS=${PF_BENCH_HOOK_SECONDS:-2}
HR=${PF_BENCH_HOOK_ROUNDS:-3}
median() { tr ' ' '\n' | awk 'NF' | sort -g | awk '{v[NR]=$1} END {if (NR) print v[int((NR + 1) / 2)]; else print "n/a"}'; }
if [ -x "$HC" ]; then
  for loop in udp-send udp-recv tcp-send; do
    bare="" empty=""
    for r in $(seq "$HR"); do
      bare="$bare $("$HC" $loop "$HS" | awk '{print $2}')"
      empty="$empty $("$HC" $loop "$HS" --empty | awk '{print $2}')"
    done
    eval "bare_${loop%-*}_${loop#*-}=\"\$bare\" empty_${loop%-*}_${loop#*-}=\"\$empty\""
  done
  start_rec "$W/hooks.pfcap"
  old_stats=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
  sysctl -qw kernel.bpf_stats_enabled=1 2>/dev/null
  for loop in udp-send udp-recv tcp-send; do
    n=$(echo "$loop" | tr - _)
    set -- $("$HC" $loop "$HS" --empty --rec-pid $RECPID)
    out "${n}_bpf_ns_per_call_recorder" "$3" ns
    out "${n}_bpf_ns_per_call_empty" "$4" ns
    out "${n}_bpf_ratio_recorder_to_empty" "$(awk -v a="$3" -v b="$4" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}')" ratio
    with=""
    for r in $(seq "$HR"); do with="$with $("$HC" $loop "$HS" | awk '{print $2}')"; done
    eval "b=\$bare_$n e=\$empty_$n"
    mb=$(echo $b | median) me=$(echo $e | median) mw=$(echo $with | median)
    out "${n}_ns_per_call_bare" "$mb" ns
    out "${n}_ns_per_call_empty_programs" "$me" ns
    out "${n}_ns_per_call_recorder" "$mw" ns
    out "${n}_added_ns_recorder" "$(awk -v a="$mw" -v b="$mb" 'BEGIN {printf "%.1f", a - b}')" ns
    out "${n}_added_ns_empty_programs" "$(awk -v a="$me" -v b="$mb" 'BEGIN {printf "%.1f", a - b}')" ns
  done
  sysctl -qw kernel.bpf_stats_enabled="$old_stats" 2>/dev/null
  stop_rec
fi
