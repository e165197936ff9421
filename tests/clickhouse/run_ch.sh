#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Starts two private ClickHouse servers (the shards of the cluster
# procflow_two_shards), runs the fleet-store test once against the first
# server alone and once against the cluster, stops them. Skips (77) when
# clickhouse-server is not installed.
# Then the command line: ingest --to twice (the second run skips), and its
# refusals; the same reports from both stores (parity.sh) and the same rows
# from both loaders (loader_same.sh).
#   run_ch.sh TEST_BINARY PROCFLOW_ANALYZE WORK_DIR CAPTURE...
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=$1 analyze=$2 work=$3
shift 3
rm -rf "$work"
mkdir -p "$work"
ports=$("$here/server.sh" start "$work/servers" 2)
rc=$?
[ $rc = 0 ] || exit $rc
trap '"$here/server.sh" stop "$work/servers"' EXIT
h1=$(echo "$ports" | sed -n 1p | cut -d' ' -f1)
h2=$(echo "$ports" | sed -n 2p | cut -d' ' -f1)
"$bin" "clickhouse://default@127.0.0.1:$h1/fleet_test" "$work" "$@" || exit 1
"$bin" "clickhouse://default@127.0.0.1:$h1,127.0.0.1:$h2/fleet_dist?cluster=procflow_two_shards" "$work" "$@" || exit 1

fail=0
bad() { echo "FAIL: $*"; fail=1; }
url="clickhouse://127.0.0.1:$h1/fleet_cli"
out=$("$analyze" ingest --to "$url" "$@" 2>&1); rc=$?
[ $rc = 0 ] || bad "ingest --to exit $rc: $out"
n=$(echo "$out" | grep -c "rows into clickhouse 127.0.0.1:$h1/fleet_cli")
[ "$n" = $# ] || bad "expected $# loaded captures: $out"
out=$("$analyze" ingest --to "$url" "$@" 2>&1); rc=$?
[ $rc = 0 ] && [ "$(echo "$out" | grep -c "already in clickhouse")" = $# ] || bad "second ingest --to did not skip: $out"
flows=$(curl -s "http://127.0.0.1:$h1/" --data-binary "SELECT count() FROM fleet_cli.flows")
[ "$flows" -gt 0 ] 2>/dev/null || bad "no flows in the store: $flows"
printf 'secret\n' >"$work/pw"; chmod 644 "$work/pw"
out=$("$analyze" ingest --to "$url" --password-file "$work/pw" "$@" 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "can be read by others" || bad "a readable password file was accepted: $rc $out"
out=$("$analyze" ingest --to "clickhouse://127.0.0.1:99999/x" "$@" 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "'99999' is not a port" || bad "bad port: $rc $out"
out=$("$analyze" ingest --to "postgres://x/y" "$@" 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "is not a clickhouse:// address" || bad "other scheme: $rc $out"
out=$("$analyze" ingest -d "$work/x.db" --to "$url" "$@" 2>&1); rc=$?
[ $rc = 2 ] || bad "-d with --to: $rc $out"
out=$("$analyze" ingest --to "clickhouse://default:hunter2@127.0.0.1:1/x" "$@" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "clickhouse 127.0.0.1:1: " && ! echo "$out" | grep -q hunter2 ||
  bad "unreachable server: $rc $out"
[ $fail = 0 ] && echo "command line: ingest --to loads each capture once; refusals named"

# shipping: ingest --follow DIR --to ships each closed file once (not a .partial)
ship=$work/ship tmp=$work/ship-tmp
mkdir -p "$ship" "$tmp"
furl="clickhouse://127.0.0.1:$h1/fleet_ship"
count() { curl -s "http://127.0.0.1:$h1/" --data-binary "SELECT count() FROM fleet_ship.visible_captures" 2>/dev/null; }
wait_count() { # wait_count N: up to 20 s for N complete captures
  for _ in $(seq 200); do [ "$(count)" = "$1" ] && return 0; sleep 0.1; done
  return 1
}
TMPDIR=$tmp "$analyze" ingest --follow "$ship" --to "$furl" >"$work/ship.log" 2>&1 &
fpid=$!
cp "$1" "$ship/a.pfcap.partial"
wait_count 0 || bad "store not made"
sleep 1.5
[ "$(count)" = 0 ] || bad "a .partial file was shipped"
mv "$ship/a.pfcap.partial" "$ship/a.pfcap"
wait_count 1 || bad "the closed file was not shipped: $(cat "$work/ship.log")"
if [ $# -ge 2 ]; then
  cp "$2" "$ship/b.pfcap"
  wait_count 2 || bad "the second file was not shipped: $(cat "$work/ship.log")"
fi
kill -TERM $fpid
wait $fpid; rc=$?
[ $rc = 0 ] || bad "ingest --follow --to exit $rc after SIGTERM: $(cat "$work/ship.log")"
[ "$(grep -c 'rows into clickhouse' "$work/ship.log")" = $(($# >= 2 ? 2 : 1)) ] || bad "each file once: $(cat "$work/ship.log")"
[ -z "$(ls -A "$tmp")" ] || bad "staging files left: $(ls -A "$tmp")"
TMPDIR=$tmp "$analyze" ingest --follow "$ship" --to "$furl" >"$work/ship2.log" 2>&1 &
fpid=$!
sleep 2
kill -TERM $fpid
wait $fpid
[ "$(grep -c 'already in clickhouse' "$work/ship2.log")" = $(($# >= 2 ? 2 : 1)) ] && [ "$(count)" = $(($# >= 2 ? 2 : 1)) ] ||
  bad "a restarted shipper loaded again: $(cat "$work/ship2.log")"
[ $fail = 0 ] && echo "shipping: ingest --follow DIR --to ships closed files once, skips them after a restart"

# migration: a store of schema version 2 (made here from files 001 and 002 as
# the loader of that version made them, with a capture in it) gains the
# columns, the dns table and the views of version 3, and the summed tables of
# version 4 (with the old capture's sums) and the endpoint tables of version
# 5 (with the old capture's flow), when the next capture is loaded, on one
# server and on the cluster; its rows stay, with NULL in the new columns
schema=$here/../../schema/clickhouse
post() { curl -sf "http://127.0.0.1:$1/?insert_distributed_sync=1" --data-binary "$2"; }
ddl() { # ddl PORT FILE DB SUFFIX: every statement of a schema file
  local stmt
  while IFS= read -r -d ';' stmt; do
    [ -n "${stmt//[[:space:]]/}" ] || continue
    post "$1" "$stmt" >/dev/null || { bad "migration: $2 on $1: $stmt"; return 1; }
  done < <(sed -e 's/--.*$//' -e "s/{db}/$3/g" -e "s/{engine_suffix}/$4/g" "$2")
}
if [ -n "${PF_MKCAP:-}" ]; then
  "$PF_MKCAP" dns "$work/dns.pfcap" || bad "pfa-mkcap dns"
  for layout in one two; do
    db=fleet_v2_$layout
    if [ $layout = one ]; then ports=$h1 url="clickhouse://127.0.0.1:$h1/$db" suffix=""
    else ports="$h1 $h2" url="clickhouse://127.0.0.1:$h1,127.0.0.1:$h2/$db?cluster=procflow_two_shards" suffix=_local; fi
    for p in $ports; do
      post "$p" "CREATE DATABASE $db" && ddl "$p" "$schema/001-initial.sql" $db "$suffix" || bad "v2 store on $p"
      if [ -n "$suffix" ]; then
        for t in $(grep -o 'CREATE TABLE IF NOT EXISTS {db}\.[a-z_]*' "$schema/001-initial.sql" | sed 's/.*\.//'); do
          key=host; [ "$t" = meta ] && key=key
          post "$p" "CREATE TABLE $db.$t AS $db.${t}_local ENGINE = Distributed(procflow_two_shards, $db, ${t}_local, cityHash64($key))" ||
            bad "v2 Distributed $t on $p"
        done
      fi
      ddl "$p" "$schema/002-visible.sql" $db "$suffix"
    done
    post $h1 "INSERT INTO $db.meta VALUES ('schema_version', '2')"
    post $h1 "INSERT INTO $db.flows (host, capture_id, flow_id, proto, family, local_addr, local_port, remote_addr, remote_port, direction, first_ns, last_ns, bytes_sent, bytes_recv, sends, recvs, retransmits, closed) VALUES ('old', 1, 7, 'tcp', 4, '192.0.2.1', 40000, '198.51.100.9', 80, 'out', 5, 9, 10, 20, 1, 1, 0, 1)"
    post $h1 "INSERT INTO $db.captures (host, capture_id, uuid, records, chunks_ok, chunks_damaged, events_lost, bytes_skipped) VALUES ('old', 1, 'u', 3, 1, 0, 0, 0)"
    out=$("$analyze" ingest --to "$url" "$work/dns.pfcap" 2>&1) || bad "migration ingest ($layout): $out"
    got=$(post $h1 "SELECT max(toInt64(value)) FROM $db.meta WHERE key = 'schema_version'")
    [ "$got" = "$(ls "$schema"/[0-9]*.sql | wc -l)" ] || bad "migration ($layout): schema_version $got"
    got=$(post $h1 "SELECT flow_id, proto_num, remote_name FROM $db.visible_flows WHERE host = 'old'")
    [ "$got" = "$(printf '7\t\\N\t\\N')" ] || bad "migration ($layout): the old flow: $got"
    got=$(post $h1 "SELECT count(), countIf(remote_name IS NOT NULL), sum(proto_num) FROM $db.visible_flows WHERE host = 'dnshost'")
    [ "$got" = "$(printf '8\t7\t65')" ] || bad "migration ($layout): flows, named, sum of proto_num: $got"
    got=$(post $h1 "SELECT count(), uniqExact(lookup_id), countIf(addr IS NULL) FROM $db.visible_dns")
    [ "$got" = "$(printf '6\t5\t1')" ] || bad "migration ($layout): dns rows, lookups, without address: $got"
    # version 4 summed the old capture's flows (no process: one group) and
    # sums the new one's as it loads
    got=$(post $h1 "SELECT host, process_null, sum(bytes_sent), sum(bytes_recv), sum(flows) FROM $db.visible_process_totals
                    GROUP BY host, process_null ORDER BY host")
    [ "$got" = "$(printf 'dnshost\t0\t1320\t13420\t8\nold\t1\t10\t20\t1')" ] ||
      bad "migration ($layout): process totals: $got"
    # version 5: the old capture's first contact and its flow by both endpoints
    got=$(post $h1 "SELECT remote_addr, remote_port, first_ns, flows, flow_id, pid FROM $db.visible_remote_first WHERE host = 'old'")
    [ "$got" = "$(printf '198.51.100.9\t80\t5\t1\t7\t\\N')" ] || bad "migration ($layout): remote_first: $got"
    got=$(post $h1 "SELECT groupArray((port, addr, is_remote)) FROM (SELECT * FROM $db.visible_endpoint_owners
                    WHERE host = 'old' ORDER BY port)")
    [ "$got" = "[(80,'198.51.100.9',1),(40000,'192.0.2.1',0)]" ] || bad "migration ($layout): endpoint_owners: $got"
    for p in $ports; do
      # flows 3, processes 1, snapshots 2: in each table, view (and local table)
      got=$(post "$p" "SELECT count() FROM system.columns WHERE database = '$db' AND name IN ('proto_num', 'remote_name', 'netns')
                       AND match(table, '^(visible_)?(flows|processes|snapshots)(_local)?$')")
      [ "$got" = $([ -n "$suffix" ] && echo 18 || echo 12) ] || bad "migration ($layout): new columns on $p: $got"
    done
  done
  # a store of version 4 (files 001-004, one server) with a complete capture:
  # opened for loading, it gains version 5 and its capture's rows there, and
  # only those (version 4's capture-end tables were the old loader's to write)
  db=fleet_v4
  post $h1 "CREATE DATABASE $db" || bad "v4 store"
  for f in 001-initial 002-visible 003-ipsock-dns-netns 004-aggregates; do ddl $h1 "$schema/$f.sql" $db ""; done
  post $h1 "INSERT INTO $db.meta VALUES ('schema_version', '4')"
  post $h1 "INSERT INTO $db.flows (host, capture_id, flow_id, proto, family, local_addr, local_port, remote_addr, remote_port, direction, first_ns, last_ns, bytes_sent, bytes_recv, sends, recvs, retransmits, closed) VALUES ('old', 1, 7, 'udp', 4, '0.0.0.0', 53, '198.51.100.9', 5353, 'in', 5, 9, 10, 20, 1, 1, 0, 1)"
  post $h1 "INSERT INTO $db.captures (host, capture_id, uuid, records, chunks_ok, chunks_damaged, events_lost, bytes_skipped) VALUES ('old', 1, 'u', 3, 1, 0, 0, 0)"
  out=$("$analyze" ingest --to "clickhouse://127.0.0.1:$h1/$db" "$work/dns.pfcap" 2>&1) || bad "v4 migration ingest: $out"
  got=$(post $h1 "SELECT (SELECT count() FROM $db.remote_first WHERE host = 'old'),
                         (SELECT count() FROM $db.endpoint_owners WHERE host = 'old'),
                         (SELECT count() FROM $db.remote_comms WHERE host = 'old'),
                         (SELECT count() FROM $db.remote_first WHERE host = 'dnshost') > 0,
                         (SELECT max(toInt64(value)) FROM $db.meta WHERE key = 'schema_version')")
  [ "$got" = "$(printf '1\t2\t0\t1\t%s' "$(ls "$schema"/[0-9]*.sql | wc -l)")" ] ||
    bad "v4 migration: old first contacts, endpoint rows, remote_comms; new capture's; version: $got"
  out=$("$analyze" report who-owned -d "clickhouse://127.0.0.1:$h1/$db" --csv --param addr=0.0.0.0 --param port=53 2>&1)
  [ "$out" = "$(printf '%s\n%s' "host,pid,comm,side,proto,local_addr,local_port,remote_addr,remote_port,direction,first_ns,last_ns,source,exe,name" \
                  "old,,,local,udp,0.0.0.0,53,198.51.100.9,5353,in,5,9,flow,,")" ] || bad "v4 migration: who-owned: $out"

  # loaders making the same new store at once all succeed (each runs
  # the schema files; an ADD COLUMN another one made is no error)
  rurl="clickhouse://127.0.0.1:$h1/fleet_race"
  pids=()
  for f in "$work/dns.pfcap" "$@"; do
    "$analyze" ingest -q --to "$rurl" "$f" >"$work/race.${#pids[@]}.log" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || bad "a loader at the same time failed: $(cat "$work"/race.*.log)"; done
  got=$(post $h1 "SELECT count() FROM fleet_race.visible_captures")
  [ "$got" = $(($# + 1)) ] || bad "loaders at the same time: $got captures"
  # a store of a newer procflow (a version this one does not know) is refused, named
  post $h1 "INSERT INTO fleet_v2_one.meta VALUES ('schema_version', '9')"
  out=$("$analyze" ingest --to "clickhouse://127.0.0.1:$h1/fleet_v2_one" "$work/dns.pfcap" 2>&1); rc=$?
  [ $rc = 1 ] && echo "$out" | grep -q "the store fleet_v2_one has schema version 9, this procflow knows [0-9]" ||
    bad "a newer store's version: $rc $out"
  [ $fail = 0 ] && echo "migration: a schema 2 store (one server, cluster) gains schema 3 to 5 in place, a schema 4 store schema 5; old rows kept; a newer one is refused"
fi

# the same reports from both stores, on one server and on the cluster
if [ -n "${PF_PFGEN:-}" ] && [ -n "${PF_MKCAP:-}" ]; then
  "$here/parity.sh" "$analyze" "$PF_PFGEN" "$PF_MKCAP" "clickhouse://127.0.0.1:$h1/fleet_parity" "$work/parity" "$@" ||
    fail=1
  "$here/parity.sh" "$analyze" "$PF_PFGEN" "$PF_MKCAP" \
    "clickhouse://127.0.0.1:$h1,127.0.0.1:$h2/fleet_parity_dist?cluster=procflow_two_shards" "$work/parity-dist" "$@" ||
    fail=1
fi
# the direct loader's rows are the older loader's (through SQLite), on the
# test captures (parity.sh made them) and the samples
caps=("$@")
[ -d "$work/parity" ] && caps+=("$work/parity"/*.pfcap)
"$here/loader_same.sh" "$analyze" "$h1" "${caps[@]}" || fail=1
exit $fail
