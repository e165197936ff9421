#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fleet store benchmark: one pfgen capture (10 M records by default) into a
# private ClickHouse server (tests/clickhouse/server.sh) and, in the same
# run, into SQLite: ingest rate (records/s) both ways, every canned report's
# wall time on both stores, and bytes per record in ClickHouse, SQLite and
# the .pfcap. Prints name<TAB>value<TAB>unit; nothing is asserted.
# Ingest: PF_BENCH_CH_RUNS (default 3) alternated runs of SQLite ingest and
# the direct ClickHouse loader, each a new database; the medians of wall
# time, of the client's CPU time (decode, aggregation, encoding, sending)
# and of the server's CPU time during the load (parse, sort, compress,
# write, merges), which shares the machine's cores with the client; and
# the server's CPU time until the merges the load started have ended (at
# most 60 s more), since a load's parts are merged in the background.
# PF_BENCH_CH_OLD=1 adds one run of the older loader (--via-sqlite).
# PF_BENCH_CH_CAPTURE=FILE uses an existing capture of RECORDS records
# (pfgen -n RECORDS --seed 7) instead of making one.
# usage: bench/clickhouse/run.sh BUILD_DIR [RECORDS]
set -eu
build=${1:?usage: run.sh BUILD_DIR [RECORDS]}
records=${2:-${PF_BENCH_CH_RECORDS:-10000000}}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
pfgen=$build/tests/tools/pfgen
analyze=$build/analyzer/procflow-analyze
for t in "$pfgen" "$analyze"; do
  [ -x "$t" ] || { echo "missing $t (build the project first)" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/pfa-chbench.XXXXXX")
ports=$("$top/tests/clickhouse/server.sh" start "$work/servers" 1) || { rm -rf "$work"; exit 0; }
trap '"$top/tests/clickhouse/server.sh" stop "$work/servers"; rm -rf "$work"' EXIT INT TERM
http=${ports%% *}
url="clickhouse://127.0.0.1:$http/bench"
ns() { date +%s%N; }
rate() { awk -v n="$2" -v d="$3" -v name="$1" 'BEGIN { printf "%s\t%.0f\trecords/s\n", name, n / (d / 1e9) }'; }
secs() { awk -v d="$2" -v name="$1" 'BEGIN { printf "%s\t%.3f\ts\n", name, d / 1e9 }'; }

cap=${PF_BENCH_CH_CAPTURE:-}
if [ -z "$cap" ]; then
  cap=$work/big.pfcap
  "$pfgen" -o "$cap" -n "$records" --seed 7 >/dev/null
fi
printf 'clickhouse.records\t%s\trecords\n' "$records"

# ingest: alternated runs, each into a new database (the ClickHouse one
# made by the loader, as SQLite's is); wall, client CPU (bash's time: the
# process and its threads) and server CPU (/proc of the server) per run
runs=${PF_BENCH_CH_RUNS:-3}
server_pid=$(cat "$work/servers/s1/pid")
hz=$(getconf CLK_TCK)
server_cpu() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }
post() { curl -sf "http://127.0.0.1:$http/" --data-binary "$1"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
TIMEFORMAT='%R %U %S'
merges() { post "SELECT count() FROM system.merges" || echo 0; }
: >"$work/sqlite.runs"
: >"$work/ch.runs"
for i in $(seq "$runs"); do
  rm -f "$work/big.db" "$work/big.db-"*
  { time "$analyze" ingest -q -d "$work/big.db" "$cap"; } 2>"$work/t" || { cat "$work/t" >&2; exit 1; }
  read -r w u s <"$work/t"; echo "$w $u $s 0" >>"$work/sqlite.runs"
  post "DROP DATABASE IF EXISTS bench" >/dev/null || true
  c0=$(server_cpu)
  { time "$analyze" ingest -q --to "$url" "$cap"; } 2>"$work/t" || { cat "$work/t" >&2; exit 1; }
  c1=$(server_cpu)
  for _ in $(seq 60); do [ "$(merges)" = 0 ] && break; sleep 1; done
  c2=$(server_cpu)
  read -r w u s <"$work/t"; echo "$w $u $s $(( c1 - c0 )) $(( c2 - c0 ))" >>"$work/ch.runs"
done
# name FILE: the medians of wall, client CPU and server CPU of the runs
report() {
  local w c sv sm
  w=$(awk '{ print $1 }' "$2" | median)
  c=$(awk '{ print $2 + $3 }' "$2" | median)
  sv=$(awk -v hz="$hz" '{ print $4 / hz }' "$2" | median)
  sm=$(awk -v hz="$hz" '{ print ($5 == "" ? 0 : $5) / hz }' "$2" | median)
  awk -v n="$records" -v w="$w" -v c="$c" -v sv="$sv" -v sm="$sm" -v name="$1" -v runs="$runs" 'BEGIN {
    printf "%s_rate\t%.0f\trecords/s (wall, median of %d)\n", name, n / w, runs
    printf "%s_wall\t%.2f\ts\n", name, w
    printf "%s_client_cpu\t%.2f\ts (%.0f records per client CPU second)\n", name, c, n / c
    if (sv > 0) printf "%s_server_cpu\t%.2f\ts (%.0f records per server CPU second)\n", name, sv, n / sv
    if (sm > 0) printf "%s_server_cpu_merged\t%.2f\ts (with the merges the load started)\n", name, sm
    if (sv > 0) printf "%s_cpu_per_record\t%.0f\tns (client and server)\n", name, (c + (sm > 0 ? sm : sv)) / n * 1e9 }'
}
report clickhouse.sqlite_ingest "$work/sqlite.runs"
report clickhouse.ingest "$work/ch.runs"
if [ "${PF_BENCH_CH_OLD:-0}" = 1 ]; then
  post "DROP DATABASE IF EXISTS bench_old" >/dev/null || true
  old="clickhouse://127.0.0.1:$http/bench_old"
  c0=$(server_cpu)
  { time "$analyze" ingest -q --via-sqlite --to "$old" "$cap"; } 2>"$work/t"
  c1=$(server_cpu)
  read -r w u s <"$work/t"; echo "$w $u $s $(( c1 - c0 ))" >"$work/old.runs"
  runs=1 report clickhouse.via_sqlite_ingest "$work/old.runs"
  post "DROP DATABASE IF EXISTS bench_old" >/dev/null || true
fi
rm -f "$work/t" "$work"/*.runs

# every canned report on both stores (default parameters; who-owned asks
# about the busiest remote endpoint); PF_BENCH_CH_REPORTS=0 leaves them out
ep=$("$analyze" query -d "$work/big.db" --csv \
  "SELECT remote_addr, remote_port FROM flows WHERE remote_addr IS NOT NULL GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1" |
  sed -n 2p)
reports=$("$analyze" report | awk '/^[a-z]/ { print $1 }')
[ "${PF_BENCH_CH_REPORTS:-1}" = 1 ] || reports=""
for r in $reports; do
  args=()
  [ "$r" = who-owned ] && args=(--param "addr=${ep%,*}" --param "port=${ep#*,}")
  t0=$(ns); "$analyze" report "$r" -d "$work/big.db" --csv "${args[@]}" >/dev/null 2>&1; t1=$(ns)
  secs "clickhouse.report.$r.sqlite" $((t1 - t0))
  t0=$(ns)
  if "$analyze" report "$r" -d "$url" --csv "${args[@]}" >/dev/null 2>&1; then
    t1=$(ns); secs "clickhouse.report.$r.clickhouse" $((t1 - t0))
  else
    printf 'clickhouse.report.%s.clickhouse\t-\tnot ported\n' "$r"
  fi
done

# storage: the store's parts (compressed columns), the SQLite file, the capture
curl -s "http://127.0.0.1:$http/" --data-binary "OPTIMIZE TABLE bench.flows FINAL" >/dev/null || true
chb=$(curl -s "http://127.0.0.1:$http/" --data-binary \
  "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = 'bench' AND active")
dbb=$(stat -c %s "$work/big.db")
capb=$(stat -c %s "$cap")
for x in "clickhouse $chb" "sqlite $dbb" "pfcap $capb"; do
  set -- $x
  awk -v n="$records" -v b="$2" -v name="$1" 'BEGIN { printf "clickhouse.bytes_per_record.%s\t%.2f\tB/record\n", name, b / n }'
done
