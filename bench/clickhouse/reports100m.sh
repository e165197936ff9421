#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fleet store at scale: every canned report on 100 M records (10 hosts of
# 10 M records each by default) in ClickHouse, next to SQLite's time for the
# same report on the same data, and bytes per record in both stores and in
# the .pfcap. Prints name<TAB>value<TAB>unit; nothing is asserted.
#   bench/clickhouse/reports100m.sh BUILD_DIR [RECORDS_PER_HOST] [HOSTS]
#
# The data: host k (k = 0 .. HOSTS-1) is `pfgen -n RECORDS_PER_HOST --seed 7
# --host fleet-KK --uuid-seq k`: the same traffic recorded by HOSTS hosts,
# each file with its own UUID (so its own capture), all in the same hours.
# - SQLite: all HOSTS files are generated and ingested, as a user would.
# - ClickHouse: file 0 is ingested (ingest --to); the other hosts are made
#   inside the server with INSERT ... SELECT from capture 0, changing only
#   what differs between the files (host, capture id, UUID, path, ingest
#   order), the captures row last as the loader does. This is what
#   ingesting those files gives, without the loader's rate in the way.
# With PF_CH100M_CHECK=1 the script compares every report's CSV from both
# stores instead of timing them (the replicated store gives SQLite's
# answers); exit 1 on a difference (tests run it small).
# Reports run with their defaults; who-owned asks about the busiest remote
# endpoint. Each time is the median of PF_CH100M_RUNS runs (default 3),
# alternating the stores.
set -eu
build=${1:?usage: reports100m.sh BUILD_DIR [RECORDS_PER_HOST] [HOSTS]}
per_host=${2:-${PF_CH100M_RECORDS:-10000000}}
hosts=${3:-${PF_CH100M_HOSTS:-10}}
runs=${PF_CH100M_RUNS:-3}
check=${PF_CH100M_CHECK:-0}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
pfgen=$build/tests/tools/pfgen
analyze=$build/analyzer/procflow-analyze
for t in "$pfgen" "$analyze"; do
  [ -x "$t" ] || { echo "missing $t (build the project first)" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/pfa-ch100m.XXXXXX")
ports=$("$top/tests/clickhouse/server.sh" start "$work/servers" 1) || {
  rc=$?
  rm -rf "$work"
  [ "$check" = 1 ] && exit "$rc"
  exit 0
}
# PF_CH100M_KEEP=1 leaves the server running and the files (to work on queries)
if [ "${PF_CH100M_KEEP:-0}" = 1 ]; then
  echo "reports100m: keeping $work (server: http://127.0.0.1:${ports%% *}/; stop: tests/clickhouse/server.sh stop $work/servers)" >&2
else
  trap '"$top/tests/clickhouse/server.sh" stop "$work/servers"; rm -rf "$work"' EXIT INT TERM
fi
http=${ports%% *}
db=bench100m
url="clickhouse://127.0.0.1:$http/$db"
ch() { curl -sS --fail-with-body "http://127.0.0.1:$http/" --data-binary "$1"; }
ns() { date +%s%N; }
total=$((per_host * hosts))
[ "$check" = 1 ] || printf 'clickhouse100m.records\t%s\trecords\n' "$total"

# SQLite: every host's file, generated and ingested; file 0 stays for the store
files=()
for k in $(seq 0 $((hosts - 1))); do
  f=$work/fleet-$(printf %02d "$k").pfcap
  "$pfgen" -o "$f" -n "$per_host" --seed 7 --host "fleet-$(printf %02d "$k")" --uuid-seq "$k" >/dev/null
  files+=("$f")
done
t0=$(ns)
"$analyze" ingest -q -d "$work/fleet.db" "${files[@]}"
t1=$(ns)
[ "$check" = 1 ] || awk -v n="$total" -v d=$((t1 - t0)) \
  'BEGIN { printf "clickhouse100m.sqlite_ingest_rate\t%.0f\trecords/s\n", n / (d / 1e9) }'
capb=$(stat -c %s "${files[0]}")
rm -f "${files[@]:1}"

# ClickHouse: file 0 loaded, the other hosts copied from it in the server
"$analyze" ingest -q --to "$url" "${files[0]}"
src=$(ch "SELECT capture_id FROM $db.captures")
# the tables a loader writes (the summed ones of schema 004 fill themselves
# from these by their materialized views; the capture-end ones are the loader's)
tables="processes flows bytes bytes_rollup snapshots losses damage dns hostinfo markers timeline_ranked process_ranked
  remote_comms udp_peers remote_first endpoint_owners captures"
select_list() { # select_list TABLE NEW_ID HOST UUID PATH K: the table's columns, the capture's identity replaced
  local cols
  cols=$(ch "DESCRIBE TABLE $db.$1" | cut -f1 | tr '\n' ' ') || return 1
  local out="" c e
  for c in $cols; do
    case $c in
    host) e="'$3'" ;;
    capture_id) e="toUInt64($2)" ;;
    uuid) e="'$4'" ;;
    series_uuid) e="toNullable('$4')" ;;
    path) e="toNullable('$5')" ;;
    ingested_ns) e="ingested_ns + $6" ;;
    *) e=$c ;;
    esac
    out+="${out:+, }$e"
  done
  echo "$out"
}
t0=$(ns)
k=0
while IFS=$'\t' read -r uuid host path; do
  if [ "$k" -gt 0 ]; then
    gid=$(ch "SELECT reinterpretAsUInt64(reverse(unhex(substring(replaceAll('$uuid', '-', ''), 1, 16))))")
    for t in $tables; do
      cols=$(select_list "$t" "$gid" "$host" "$uuid" "$path" "$k")
      ch "INSERT INTO $db.$t SELECT $cols FROM $db.$t WHERE capture_id = $src" >/dev/null
    done
  fi
  k=$((k + 1))
done < <("$analyze" query -d "$work/fleet.db" --csv --raw \
  "SELECT uuid, host, path FROM captures ORDER BY capture_id" | sed 1d | tr ',' '\t')
t1=$(ns)
[ "$check" = 1 ] || awk -v d=$((t1 - t0)) 'BEGIN { printf "clickhouse100m.replicate_time\t%.1f\ts\n", d / 1e9 }'
got=$(ch "SELECT count(), sum(records) FROM $db.visible_captures")
[ "$got" = "$(printf '%s\t%s' "$hosts" "$total")" ] || { echo "reports100m: the store has $got captures/records" >&2; exit 1; }

# every canned report on both stores
ep=$("$analyze" query -d "$work/fleet.db" --csv \
  "SELECT remote_addr, remote_port FROM flows WHERE remote_addr IS NOT NULL GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1" |
  sed -n 2p)
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
fail=0
for r in $("$analyze" report | awk '/^[a-z]/ { print $1 }'); do
  args=()
  [ "$r" = who-owned ] && args=(--param "addr=${ep%,*}" --param "port=${ep#*,}")
  if [ "$check" = 1 ]; then
    ok=1
    "$analyze" report "$r" -d "$work/fleet.db" --csv "${args[@]}" >"$work/$r.sqlite.csv" 2>&1 || ok=0
    "$analyze" report "$r" -d "$url" --csv "${args[@]}" >"$work/$r.ch.csv" 2>&1 || ok=0
    if [ $ok = 1 ] && cmp -s "$work/$r.sqlite.csv" "$work/$r.ch.csv"; then
      echo "same: $r ($(($(wc -l <"$work/$r.ch.csv") - 1)) rows)"
    else
      echo "DIFFERENT: $r"; diff "$work/$r.sqlite.csv" "$work/$r.ch.csv" | head -5; fail=1
    fi
    continue
  fi
  : >"$work/t.sqlite"; : >"$work/t.ch"
  ported=1
  # a report without a ClickHouse dialect copy runs on a local copy of the
  # whole store (docs/fleet.md): not a store figure, and 100 M rows to copy
  [ -f "$top/queries/clickhouse/$r.sql" ] || ported=-1
  for _ in $(seq "$runs"); do
    t0=$(ns); "$analyze" report "$r" -d "$work/fleet.db" --csv "${args[@]}" >/dev/null 2>&1; t1=$(ns)
    echo $((t1 - t0)) >>"$work/t.sqlite"
    [ $ported = -1 ] && continue
    t0=$(ns)
    if "$analyze" report "$r" -d "$url" --csv "${args[@]}" >/dev/null 2>&1; then
      t1=$(ns); echo $((t1 - t0)) >>"$work/t.ch"
    else
      ported=0
    fi
  done
  printf 'clickhouse100m.report.%s.sqlite\t%s\ts\n' "$r" "$(awk '{ print $1 / 1e9 }' "$work/t.sqlite" | median)"
  if [ $ported = 1 ]; then
    printf 'clickhouse100m.report.%s.clickhouse\t%s\ts\n' "$r" "$(awk '{ print $1 / 1e9 }' "$work/t.ch" | median)"
  elif [ $ported = -1 ]; then
    printf 'clickhouse100m.report.%s.clickhouse\t-\tnot ported (local copy)\n' "$r"
  else
    printf 'clickhouse100m.report.%s.clickhouse\t-\tfailed\n' "$r"
  fi
done
[ "$check" = 1 ] && exit $fail

# storage: the store's active parts (compressed columns, merged), the SQLite
# file, the capture files (HOSTS copies of file 0's size)
ch "OPTIMIZE TABLE $db.bytes FINAL" >/dev/null 2>&1 || true
ch "OPTIMIZE TABLE $db.flows FINAL" >/dev/null 2>&1 || true
chb=$(ch "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = '$db' AND active")
dbb=$(stat -c %s "$work/fleet.db")
for x in "clickhouse $chb" "sqlite $dbb" "pfcap $((capb * hosts))"; do
  set -- $x
  awk -v n="$total" -v b="$2" -v name="$1" \
    'BEGIN { printf "clickhouse100m.bytes_per_record.%s\t%.2f\tB/record\n", name, b / n }'
done
ch "SELECT table, sum(rows), sum(bytes_on_disk) FROM system.parts WHERE database = '$db' AND active GROUP BY table
    ORDER BY table" | while IFS=$'\t' read -r t n b; do
  printf 'clickhouse100m.store.%s\t%s\trows (%s bytes)\n' "$t" "$n" "$b"
done
