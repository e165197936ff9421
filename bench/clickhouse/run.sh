#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fleet store benchmark: one pfgen capture (10 M records by default) into a
# private ClickHouse server (tests/clickhouse/server.sh) and, in the same
# run, into SQLite: ingest rate (records/s) both ways, every canned report's
# wall time on both stores, and bytes per record in ClickHouse, SQLite and
# the .pfcap. Prints name<TAB>value<TAB>unit; nothing is asserted.
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

"$pfgen" -o "$work/big.pfcap" -n "$records" --seed 7 >/dev/null
printf 'clickhouse.records\t%s\trecords\n' "$records"

t0=$(ns); "$analyze" ingest -q -d "$work/big.db" "$work/big.pfcap"; t1=$(ns)
rate clickhouse.sqlite_ingest_rate "$records" $((t1 - t0))
t0=$(ns); "$analyze" ingest -q --to "$url" "$work/big.pfcap"; t1=$(ns)
rate clickhouse.ingest_rate "$records" $((t1 - t0))
secs clickhouse.ingest_time $((t1 - t0))

# every canned report on both stores (default parameters; who-owned asks
# about the busiest remote endpoint)
ep=$("$analyze" query -d "$work/big.db" --csv \
  "SELECT remote_addr, remote_port FROM flows WHERE remote_addr IS NOT NULL GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1" |
  sed -n 2p)
for r in $("$analyze" report | awk '/^[a-z]/ { print $1 }'); do
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
capb=$(stat -c %s "$work/big.pfcap")
for x in "clickhouse $chb" "sqlite $dbb" "pfcap $capb"; do
  set -- $x
  awk -v n="$records" -v b="$2" -v name="$1" 'BEGIN { printf "clickhouse.bytes_per_record.%s\t%.2f\tB/record\n", name, b / n }'
done
