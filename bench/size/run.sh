#!/bin/sh
# SPDX-License-Identifier: MIT
# Capture size for the recorder benchmark's traffic mix (300 UDP flows,
# 3000 calls/s in all): bytes per recorded flow-second of the .pfcap, next to
# the same records as naive fixed structs + zstd -3 and as pcapng-style
# per-event blocks + zstd -3 (bench/format/format_bench --capture).
#   bench/size/run.sh BUILD_DIR [BASELINE_BUILD_DIR]
# prints "name<TAB>value<TAB>unit" lines: the median of PF_BENCH_RUNS
# recordings. Each run records twice: the whole host (size.*: the mix plus
# whatever else runs on the machine, so it varies with that) and only the
# flood's process (size.mix_only.*, `--comm udpflood`: the mix alone). With a baseline build (e.g. of the commit before a format
# change) the two builds record in turn (A/B, alternated, the same load on
# the machine for both) and the baseline's figures follow as "before.*".
# Env: PF_BENCH_SECONDS (default 10) of recording, PF_BENCH_RUNS (default 3).
# Needs root (eBPF).
set -u
B=${1:?usage: run.sh BUILD_DIR [BASELINE_BUILD_DIR]}
BASE=${2:-}
S=${PF_BENCH_SECONDS:-10}
RUNS=${PF_BENCH_RUNS:-3}
if [ "$(id -u)" != 0 ]; then echo "bench/size: needs root" >&2; exit 77; fi
for d in $B $BASE; do
  for f in "$d/recorder/procflow-record" "$d/bench/recorder/udpflood" "$d/bench/format/format_bench"; do
    [ -x "$f" ] || { echo "missing $f" >&2; exit 1; }
  done
done
W=$(mktemp -d /tmp/pf-size-XXXXXX)
trap 'rm -rf "$W"' EXIT

# measure BUILD TAG: records the mix with BUILD's recorder, the whole host
# and then the flood alone, and appends BUILD's figures to $W/TAG.txt
measure() {
  record "$1" "$2" ""
  record "$1" "$2" udpflood
}

record() {
  rm -f "$W/mix.pfcap" "$W/rec.err"
  set --  "$1" "$2" "$3" ${3:+-c "$3"}
  b=$1 tag=$2 only=$3
  shift 3
  "$b/recorder/procflow-record" -o "$W/mix.pfcap" -s 10 "$@" 2>"$W/rec.err" &
  rec=$!
  i=0
  while ! grep -q "recording to" "$W/rec.err" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 400 ] && { cat "$W/rec.err" >&2; kill -INT $rec; exit 1; }
    sleep 0.05
  done
  "$b/bench/recorder/udpflood" --threads 1 --seconds "$S" --rate 3000 --peers 300 >/dev/null
  sleep 1.5
  kill -INT $rec
  wait $rec
  "$b/bench/format/format_bench" --capture "$W/mix.pfcap" >"$W/one.txt" || exit 1
  if [ -n "$only" ]; then sed 's/^size\./size.mix_only./' "$W/one.txt"; else cat "$W/one.txt"; fi >>"$W/$tag.txt"
}

r=0
while [ $r -lt "$RUNS" ]; do
  # alternate which build goes first, so neither always meets the same load
  if [ -n "$BASE" ] && [ $((r % 2)) = 0 ]; then measure "$BASE" before; fi
  measure "$B" now
  if [ -n "$BASE" ] && [ $((r % 2)) = 1 ]; then measure "$BASE" before; fi
  r=$((r + 1))
done

# medians per figure: now first, then the baseline's as before.*
for tag in now before; do
  [ -f "$W/$tag.txt" ] || continue
  pre=""; [ $tag = before ] && pre="before."
  awk -F '\t' -v pre="$pre" '
    { v[$1, ++n[$1]] = $2; unit[$1] = $3; if (n[$1] == 1) order[++k] = $1 }
    END {
      for (j = 1; j <= k; j++) {
        name = order[j]; m = n[name]
        for (a = 1; a <= m; a++) s[a] = v[name, a] + 0
        for (a = 2; a <= m; a++) { x = s[a]; b = a - 1; while (b >= 1 && s[b] > x) { s[b + 1] = s[b]; b-- } s[b + 1] = x }
        med = m % 2 ? s[(m + 1) / 2] : (s[m / 2] + s[m / 2 + 1]) / 2
        printf "%s%s\t%.3f\t%s (median of %d)\n", pre, name, med, unit[name], m
      }
    }' "$W/$tag.txt"
done
