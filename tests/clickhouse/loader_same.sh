#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The direct loader (ingest --to) puts the same rows into the store as the
# older loader through a temporary SQLite database (ingest --to
# --via-sqlite): every table of both stores, every column (but the time of
# the ingest), row for row. Then a load cut short (its captures row
# removed, the state a killed ingest leaves) is cleaned up and done again
# by the next ingest, with the same rows. The direct loader sends every
# block in its table's order (the server's count of blocks it found sorted
# equals its count of blocks), which the older loader does not.
#   loader_same.sh PROCFLOW_ANALYZE HTTP_PORT CAPTURE...
set -u
analyze=$1 port=$2
shift 2
fail=0
bad() { echo "FAIL: $*"; fail=1; }
post() { curl -sf "http://127.0.0.1:$port/" --data-binary "$1"; }
# the row tables, and those of schema 004 and 005 written once per capture
# (the summed ones hold the sums of each insert's block: the loaders' blocks
# differ)
tables="captures processes flows bytes bytes_rollup snapshots losses damage dns hostinfo markers timeline_ranked
  process_ranked udp_peers remote_first endpoint_owners"
for db in fleet_direct fleet_staged fleet_resume; do post "DROP DATABASE IF EXISTS $db" >/dev/null; done
# blocks NAME: the server's count of written blocks of event NAME
blocks() { post "SELECT sum(value) FROM system.events WHERE event = 'MergeTreeDataWriterBlocks$1'"; }
b0=$(blocks "") s0=$(blocks AlreadySorted)
"$analyze" ingest -q --to "clickhouse://127.0.0.1:$port/fleet_direct" "$@" || bad "direct ingest"
b1=$(blocks "") s1=$(blocks AlreadySorted)
"$analyze" ingest -q --via-sqlite --to "clickhouse://127.0.0.1:$port/fleet_staged" "$@" || bad "ingest --via-sqlite"
b2=$(blocks "") s2=$(blocks AlreadySorted)
[ $((b1 - b0)) -gt 0 ] && [ $((s1 - s0)) = $((b1 - b0)) ] ||
  bad "direct loader: $((s1 - s0)) of $((b1 - b0)) blocks came sorted"
[ $((s2 - s1)) -lt $((b2 - b1)) ] || bad "the older loader's blocks all came sorted: the check above proves nothing"
[ $fail = 0 ] && echo "direct loader: all $((b1 - b0)) blocks came in their table's order (older loader: $((s2 - s1)) of $((b2 - b1)))"
# same DB1 DB2: every table's rows in both, sorted by every column; the
# number of rows compared in $compared
same() {
  local t cols a b
  compared=0
  for t in $tables; do
    cols=$(post "SELECT arrayStringConcat(groupArray(name), ', ') FROM system.columns
                 WHERE database = '$1' AND table = '$t' AND name != 'ingested_ns'")
    a=$(post "SELECT $cols FROM $1.$t ORDER BY $cols") || { bad "$1.$t unreadable"; continue; }
    b=$(post "SELECT $cols FROM $2.$t ORDER BY $cols") || { bad "$2.$t unreadable"; continue; }
    if [ "$a" != "$b" ]; then
      bad "$t differs between $1 and $2 ($(echo "$a" | wc -l) vs $(echo "$b" | wc -l) rows)"
      diff <(echo "$a") <(echo "$b") | head -n 6
    fi
    [ -n "$a" ] && compared=$((compared + $(echo "$a" | wc -l)))
  done
}
same fleet_direct fleet_staged
rows=$compared
[ "${rows:-0}" -gt 0 ] 2>/dev/null || bad "no rows compared"
# remote_name (from DNS answers) is set on some flows
named=$(post "SELECT count() FROM fleet_direct.flows WHERE remote_name IS NOT NULL")
[ "${named:-0}" -gt 0 ] 2>/dev/null || bad "no flow got a remote_name: $named"
[ $fail = 0 ] && echo "direct loader: $rows rows in $(echo $tables | wc -w) tables identical to the loader through SQLite ($named named flows)"

# an interrupted load: the rows are there, the captures row is not
"$analyze" ingest -q --to "clickhouse://127.0.0.1:$port/fleet_resume" "$@" || bad "ingest (resume store)"
post "ALTER TABLE fleet_resume.captures DELETE WHERE 1" >/dev/null
for _ in $(seq 100); do [ "$(post "SELECT count() FROM fleet_resume.captures")" = 0 ] && break; sleep 0.1; done
[ "$(post "SELECT count() FROM fleet_resume.visible_flows")" = 0 ] || bad "a capture without its captures row is visible"
out=$("$analyze" ingest --to "clickhouse://127.0.0.1:$port/fleet_resume" "$@" 2>&1) || bad "resume ingest: $out"
[ "$(echo "$out" | grep -c "rows of an interrupted load removed first")" = $# ] || bad "not resumed: $out"
same fleet_resume fleet_staged
[ "$compared" = "$rows" ] || bad "after the resumed load: $compared rows, expected $rows"
out=$("$analyze" ingest --to "clickhouse://127.0.0.1:$port/fleet_resume" "$@" 2>&1) || bad "third ingest: $out"
[ "$(echo "$out" | grep -c "already in clickhouse")" = $# ] || bad "a complete capture was loaded again: $out"
[ $fail = 0 ] && echo "direct loader: an interrupted load is cleaned up and done again; a complete one is skipped"
for db in fleet_direct fleet_staged fleet_resume; do post "DROP DATABASE IF EXISTS $db" >/dev/null; done
exit $fail
