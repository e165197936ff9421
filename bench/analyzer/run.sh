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
"$bench" "$work/small.pfcap" "$work" "analyzer.small" | grep -E 'records|rate|rss|db_size|html' || true
rm -f "$work/small.pfcap"

start=$(date +%s%N)
"$pfgen" -o "$work/big.pfcap" -n "$records" --seed 7 >/dev/null
end=$(date +%s%N)
awk -v d=$((end - start)) 'BEGIN { printf "analyzer.generate_time\t%.3f\ts\n", d / 1e9 }'
printf 'analyzer.capture_size\t%s\tMiB\n' "$(du -m "$work/big.pfcap" | cut -f1)"
"$bench" "$work/big.pfcap" "$work" analyzer
rm -f "$work/big.pfcap"

# Two hosts x 1 M records each (the generator's peer view: every connection
# recorded at both ends, one clock 1.234567890 s behind): ingest, then
# `report conversations` wall and CPU time, and the offset it recovered.
analyze=$build/analyzer/procflow-analyze
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
