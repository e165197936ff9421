#!/bin/sh
# SPDX-License-Identifier: MIT
# Analyzer benchmark: generates pfgen captures (1 M and 10 M records), times
# ingest (records/s, peak RSS, DB size), the floor (plain prepared inserts of
# the same final rows) and every canned report. Prints name<TAB>value<TAB>unit.
# usage: bench/analyzer/run.sh BUILD_DIR [RECORDS]
set -eu
build=${1:?usage: run.sh BUILD_DIR [RECORDS]}
records=${2:-10000000}
pfgen=$build/tests/tools/pfgen
bench=$build/bench/analyzer/pfa_bench
for t in "$pfgen" "$bench"; do
  [ -x "$t" ] || { echo "missing $t (build the project first)" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/pfa-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# A short capture first: peak RSS should not grow with capture length.
small=$((records / 10))
"$pfgen" -o "$work/small.pfcap" -n "$small" --seed 7 >/dev/null
"$bench" "$work/small.pfcap" "$work" "analyzer.small" > "$work/small.txt"
grep -E 'records|rate|rss|db_size|html' "$work/small.txt" || true
rm -f "$work/small.pfcap"

# One-shot report of a one-hour recording of the same mix (the big capture
# covers about 9.3 h): end-to-end time of `report top-talkers FILE` (target 2 s).
analyze=$build/analyzer/procflow-analyze
hour=$((records * 3600 / 33385))
"$pfgen" -o "$work/hour.pfcap" -n "$hour" --seed 7 >/dev/null
start=$(date +%s%N)
# `times` in the subshell: the CPU time of its child (user and system)
cpu=$( ("$analyze" report top-talkers "$work/hour.pfcap" >/dev/null; times) | tail -n 1)
end=$(date +%s%N)
awk -v d=$((end - start)) 'BEGIN { printf "analyzer.oneshot_top_talkers_1h_time\t%.3f\ts\n", d / 1e9 }'
echo "$cpu" | awk '{ n = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); n += p[1] * 60 + p[2] }
                     printf "analyzer.oneshot_top_talkers_1h_cpu_time\t%.3f\ts\n", n }'
printf 'analyzer.oneshot_top_talkers_1h_target\t2\ts\n'
rm -f "$work/hour.pfcap"

start=$(date +%s%N)
"$pfgen" -o "$work/big.pfcap" -n "$records" --seed 7 >/dev/null
end=$(date +%s%N)
awk -v d=$((end - start)) 'BEGIN { printf "analyzer.generate_time\t%.3f\ts\n", d / 1e9 }'
printf 'analyzer.capture_size\t%s\tMiB\n' "$(du -m "$work/big.pfcap" | cut -f1)"
"$bench" "$work/big.pfcap" "$work" analyzer | tee "$work/big.txt"
rm -f "$work/big.pfcap"
# memory flat in capture length: peak RSS at 10x the records over that at 1x (target <= 1.10)
awk -F'\t' 'FNR == NR && $1 == "analyzer.small.peak_rss" { s = $2 } FNR != NR && $1 == "analyzer.peak_rss" { b = $2 }
             END { if (s > 0) printf "analyzer.peak_rss_ratio_10x\t%.3f\tx\nanalyzer.peak_rss_ratio_target\t1.1\tx\n", b / s }' \
  "$work/small.txt" "$work/big.txt"
# the same for .etl input: synthetic traces of records/25 and records*2/5
# events, one a millisecond: both past the trace's first 5 minutes, over
# which the import's memory still grows before it stays flat
etlgen=$build/bench/analyzer/pfa_etlgen
if [ -x "$etlgen" ]; then
  for n in $((records / 25)) $((records * 2 / 5)); do
    "$etlgen" "$work/t.etl" "$n"
    "$bench" "$work/t.etl" "$work" "analyzer.etl_$n" ingest | grep -E '[.](records|peak_rss)[[:space:]]' | tee -a "$work/etl.txt"
    rm -f "$work/t.etl"
  done
  awk -F'\t' '/peak_rss\t/ { v[++n] = $2 } END { if (n == 2 && v[1] > 0) printf "analyzer.etl_peak_rss_ratio_10x\t%.3f\tx\n", v[2] / v[1] }' \
    "$work/etl.txt"
fi
printf 'analyzer.ratio_ingest_to_floor_target\t1.0\tx\n'
printf 'analyzer.grid.worst_target\t1\ts\n'

# Two hosts x 1 M records each (the generator's peer view: every connection
# recorded at both ends, one clock 1.234567890 s behind): ingest, then
# `report conversations` wall and CPU time, and the offset it recovered.
"$pfgen" -o "$work/alpha.pfcap" -n 1000000 --seed 9 --host alpha >/dev/null
"$pfgen" -o "$work/beta.pfcap" -n 1000000 --seed 9 --host beta --peer-view --shift-ns -1234567890 >/dev/null
"$analyze" ingest "$work/alpha.pfcap" "$work/beta.pfcap" -d "$work/two.db" --quiet
start=$(date +%s%N)
"$analyze" report conversations -d "$work/two.db" --format csv > "$work/conv.csv"
end=$(date +%s%N)
awk -v d=$((end - start)) 'BEGIN { printf "analyzer.conversations_2x1M_time\t%.3f\ts\n", d / 1e9 }'
printf 'analyzer.conversations_2x1M_paired\t%s\trows\n' "$(grep -c '^paired' "$work/conv.csv")"
printf 'analyzer.conversations_2x1M_offset\t%s\tns\n' \
  "$("$analyze" query -d "$work/two.db" --raw --format csv "SELECT offset_ns FROM clock_offsets o JOIN hosts h ON h.host_id = o.host_id WHERE h.name = 'alpha'" | tail -n 1)"
