#!/bin/sh
# SPDX-License-Identifier: MIT
# Recorder benchmarks. Usage: bench/recorder/run.sh BUILD_DIR
# Prints "name<TAB>value<TAB>unit" lines. Needs root (eBPF).
# Env: PF_BENCH_SECONDS (default 10) per measured udpflood run,
# PF_BENCH_RATE (default 100000 calls/s for the paced runs),
# PF_BENCH_ROUNDS (default 3) alternated rounds without/with the recorder
# (sections 2-3: medians), PF_BENCH_HOOK_SECONDS (default 2) per hookcost
# run, PF_BENCH_BPFTRACE=0 to skip the bpftrace comparison.
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

bpf_prog_ns() { # kernel time of the send-path programs (tracepoint + cgroup hook: egress, sendmsg where egress cannot load) per send
  bpftool prog show 2>/dev/null | awk '/name (on_send|on_sendmsg4|on_egress) /{for(i=1;i<=NF;i++){if($i=="run_time_ns")t+=$(i+1); if($i=="run_cnt" && $0 ~ /name on_send /)c+=$(i+1)}} END {if (c) printf "%.0f", t/c; else print "n/a"}'
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

# 2. Alternated rounds without / with the recorder (the order flips every
# round; each round's recorder is a fresh one): the udpflood workload paced
# at RATE (its CPU per call) and unpaced (its maximum rate), and the three
# hookcost loops (udp-send, udp-recv, tcp-send): the loop thread's CPU time
# per call bare, with empty programs on the recorder's hooks and with the
# recorder (its inverse ratio is the loop's maximum-rate ratio), and the
# programs' own run time per call (recorder and empty ones side by side in
# the same run, from the kernel's run-time statistics: the steadiest figure
# on a shared machine; at most one run per call of each hook counted).
# Medians printed; a program breakdown of the last
# round shows where the time goes.
HC=$B/bench/recorder/hookcost
HS=${PF_BENCH_HOOK_SECONDS:-2}
ROUNDS=${PF_BENCH_ROUNDS:-3}
LOOPS="udp_send udp_recv tcp_send"
[ -x "$HC" ] || LOOPS=""
median() { tr ' ' '\n' | awk 'NF && $1 >= 0' | sort -g | awk '{v[NR]=$1} END {if (NR) print v[int((NR + 1) / 2)]; else print "n/a"}'; }
add() { eval "$1=\"\${$1:-} $2\""; } # add LIST VALUE
get() { eval "echo \${$1:-}"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0 && a != "" && a >= 0) printf "%.4f", a / b; else print "n/a"}'; }

run_without() {
  set -- $("$FLOOD" --threads 2 --seconds "$S" --rate "$RATE")
  paced_rate_wo=$5 paced_cpu_wo=$(awk -v c="$6" -v n="$2" 'BEGIN {printf "%.9f", c / n}')
  set -- $("$FLOOD" --threads 2 --seconds "$S")
  max_wo=$5 max_cpu_wo=$(awk -v c="$6" -v n="$2" 'BEGIN {printf "%.9f", c / n}')
  for n in $LOOPS; do
    l=$(echo "$n" | tr _ -)
    set -- $("$HC" "$l" "$HS"); add "bare_$n" "$2"; eval "bare1_$n=$2"
    set -- $("$HC" "$l" "$HS" --empty); add "empty_$n" "$2"
  done
}

run_with() {
  start_rec "$W/round.pfcap"
  set -- $("$FLOOD" --threads 2 --seconds "$S" --rate "$RATE")
  paced_rate_w=$5 paced_cpu_w=$(awk -v c="$6" -v n="$2" 'BEGIN {printf "%.9f", c / n}') paced_calls_w=$2
  set -- $("$FLOOD" --threads 2 --seconds "$S")
  max_w=$5 max_pid=$1 max_cpu_w=$(awk -v c="$6" -v n="$2" 'BEGIN {printf "%.9f", c / n}')
  for n in $LOOPS; do
    l=$(echo "$n" | tr _ -)
    set -- $("$HC" "$l" "$HS"); add "with_$n" "$2"; eval "with1_$n=$2"
    set -- $("$HC" "$l" "$HS" --empty --rec-pid "$RECPID" -v 2>"$W/progs_$n"); add "progrec_$n" "$3"; add "progempty_$n" "$4"
  done
  stop_rec
  set -- $("$CHECK" --sum "$W/round.pfcap" "$max_pid")
  add round_lost "$5"
  add rec_cpu_per_m "$(awk -v c="$REC_CPU_S" -v n="$paced_calls_w" 'BEGIN {printf "%.4f", c / (n / 1e6)}')"
}

for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then run_without; run_with; else run_with; run_without; fi
  add paced_rate_without "$paced_rate_wo"; add paced_rate_with "$paced_rate_w"
  add paced_throughput_ratio "$(ratio "$paced_rate_w" "$paced_rate_wo")"
  add paced_cpu_ratio "$(ratio "$paced_cpu_w" "$paced_cpu_wo")"
  add max_rate_without "$max_wo"; add max_rate_with "$max_w"
  add max_ratio "$(ratio "$max_w" "$max_wo")"
  add max_cpu_ratio "$(ratio "$max_cpu_wo" "$max_cpu_w")"
  for n in $LOOPS; do
    add "maxratio_$n" "$(ratio "$(get "bare1_$n")" "$(get "with1_$n")")" # rate ratio = time ratio inverted
  done
done
out paced_target_rate "$RATE" calls/s
out paced_rate_without "$(echo $paced_rate_without | median)" calls/s
out paced_rate_with "$(echo $paced_rate_with | median)" calls/s
out paced_throughput_ratio "$(echo $paced_throughput_ratio | median)" ratio
out paced_workload_cpu_ratio "$(echo $paced_cpu_ratio | median)" ratio # CPU per call with/without; target <= 1.03
out paced_recorder_cpu_per_million_events "$(echo $rec_cpu_per_m | median)" cpu_s
out max_rate_without "$(echo $max_rate_without | median)" calls/s
out max_rate_with "$(echo $max_rate_with | median)" calls/s
out max_throughput_ratio "$(echo $max_ratio | median)" ratio # target >= 0.95 (wall clock: moves with the machine's load)
out max_calls_per_cpu_s_ratio "$(echo $max_cpu_ratio | median)" ratio # the same per CPU second of the workload
out max_rate_lost_events_worst_round "$(echo $round_lost | tr ' ' '\n' | awk 'NF' | sort -g | tail -1)" events # target 0
for n in $LOOPS; do
  pr=$(get "progrec_$n" | median) pe=$(get "progempty_$n" | median)
  mb=$(get "bare_$n" | median) me=$(get "empty_$n" | median) mw=$(get "with_$n" | median)
  out "${n}_bpf_ns_per_call_recorder" "$pr" ns
  out "${n}_bpf_ns_per_call_empty" "$pe" ns
  out "${n}_bpf_added_ns_per_call" "$(awk -v a="$pr" -v b="$pe" 'BEGIN {printf "%.1f", a - b}')" ns # target <= 100
  out "${n}_bpf_ratio_recorder_to_empty" "$(ratio "$pr" "$pe" | cut -c1-4)" ratio           # target <= 2
  out "${n}_ns_per_call_bare" "$mb" ns
  out "${n}_ns_per_call_empty_programs" "$me" ns
  out "${n}_ns_per_call_recorder" "$mw" ns
  out "${n}_added_ns_recorder" "$(awk -v a="$mw" -v b="$mb" 'BEGIN {printf "%.1f", a - b}')" ns
  out "${n}_added_ns_empty_programs" "$(awk -v a="$me" -v b="$mb" 'BEGIN {printf "%.1f", a - b}')" ns
  out "${n}_max_rate_ratio" "$(get "maxratio_$n" | median)" ratio # target >= 0.95
  out "${n}_max_rate_ratio_empty_programs" "$(ratio "$mb" "$me")" ratio # the floor the hooks alone set
  # where the time goes (last round): each program's run time per call
  awk -v n="$n" '$2 == "runs/call" && $3 >= 0.01 {printf "%s_prog_%s_ns_per_call\t%s\tns\n", n, $1, $7}' "$W/progs_$n"
done

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
  out bpftrace_throughput_ratio_vs_max_without "$(awk -v a="$bt_rate" -v b="$(echo $max_rate_without | median)" 'BEGIN {printf "%.4f", a / b}')" ratio
fi

