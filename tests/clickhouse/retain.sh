#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# retain against real ClickHouse servers (one server, then the two-shard
# cluster): whole captures that ended before the cutoff leave the store,
# day partitions of only such captures are dropped, the rest of their rows
# deleted; what stays gives the reports of a SQLite database of the kept
# captures alone; the rows of a load in progress stay; a second run does
# nothing; an interrupted run is finished by the next; --ttl is refused by
# the 18.16 server before anything is removed. Skips (77) without
# clickhouse-server.
#   retain.sh PROCFLOW_ANALYZE PFGEN WORK_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
analyze=$1 pfgen=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
ports=$("$here/server.sh" start "$work/servers" 2)
rc=$?
[ $rc = 0 ] || exit $rc
trap '"$here/server.sh" stop "$work/servers"' EXIT
h1=$(echo "$ports" | sed -n 1p | cut -d' ' -f1)
h2=$(echo "$ports" | sed -n 2p | cut -d' ' -f1)
fail=0
bad() { echo "FAIL: $*"; fail=1; }
q() { curl -sS "http://127.0.0.1:$h1/" --data-binary "$1"; }
day=86400000000000
jan1=1767225600000000000 # 2026-01-01T00:00:00Z

# four hosts' captures over five days (pfgen: 20000 records span about a minute)
#   a1: Jan 1          b: Jan 2 23:59:40 into Jan 3 (crosses midnight)
#   a2: Jan 3 12:00    c: Jan 5
mk() { "$pfgen" -o "$work/$1.pfcap" -n 20000 --seed "$2" --host "$3" --start-utc "$4" >/dev/null || bad "pfgen $1"; }
mk a1 11 host-a $jan1
mk b 12 host-b $((jan1 + 2 * day - 20000000000))
mk a2 13 host-a $((jan1 + 2 * day + day / 2))
mk c 14 host-c $((jan1 + 4 * day))
"$analyze" ingest -q -d "$work/kept.db" "$work/a2.pfcap" "$work/c.pfcap" || bad "sqlite ingest"
# the row tables, and the summed and capture-end tables of schema 004 and 005
tables="processes flows bytes bytes_rollup snapshots losses damage dns hostinfo markers process_totals remote_totals
  process_buckets timeline_ranked process_ranked remote_comms udp_peers remote_first endpoint_owners"
# what a table holds of captures: rows, or for a summed one the rows summed
# into it (background merges change its row count, not those)
held() {
  case $1 in process_totals | remote_totals) echo "sum(flows)" ;; process_buckets) echo "sum(rows)" ;; *) echo "count()" ;; esac
}

for layout in one cluster; do
  if [ $layout = one ]; then
    db=keep_one url="clickhouse://127.0.0.1:$h1/$db" sfx="" shards=$h1
  else
    db=keep_two url="clickhouse://127.0.0.1:$h1,127.0.0.1:$h2/$db?cluster=procflow_two_shards" sfx=_local shards="$h1 $h2"
  fi
  out=$("$analyze" ingest -q --to "$url" "$work/a1.pfcap" "$work/b.pfcap" "$work/a2.pfcap" "$work/c.pfcap" 2>&1) ||
    bad "$layout: ingest: $out"
  id() { q "SELECT capture_id FROM $db.captures WHERE started_ns = $1"; }
  a1=$(id $jan1) b=$(id $((jan1 + 2 * day - 20000000000))) a2=$(id $((jan1 + 2 * day + day / 2))) c=$(id $((jan1 + 4 * day)))
  [ -n "$a1" ] && [ -n "$b" ] && [ -n "$a2" ] && [ -n "$c" ] || bad "$layout: capture ids '$a1' '$b' '$a2' '$c'"
  # b really has rows on both sides of midnight
  got=$(q "SELECT uniqExact(intDiv(bucket_ns, $day)) FROM $db.bytes WHERE capture_id = $b")
  [ "$got" = 2 ] || bad "$layout: b's byte rows are on $got days"
  # the rows kept captures have, per table (must not change)
  kept_rows() { for t in $tables captures; do q "SELECT '$t', $(held $t) FROM $db.$t WHERE capture_id IN ($a2, $c)"; done; }
  before=$(kept_rows)
  # a load in progress (no captures row yet) with an old row: must stay
  q "INSERT INTO $db.flows (host, capture_id, flow_id, proto, family, direction, first_ns, bytes_sent, bytes_recv,
     sends, recvs, retransmits, closed) VALUES ('host-z', 999, 1, 'tcp', 4, 'out', $((jan1 + 5)), 1, 2, 1, 1, 0, 0)"

  # --ttl: 18.16 has no table TTL: refused, named, nothing removed
  out=$("$analyze" retain -d "$url" --older-than 30d --ttl 2>&1); rc=$?
  [ $rc = 2 ] && echo "$out" | grep -q "server 18\.[0-9.]* has no table TTL (20.3 or newer)" || bad "$layout: --ttl: $rc $out"
  [ "$(q "SELECT count() FROM $db.visible_captures")" = 4 ] || bad "$layout: --ttl removed captures"
  # 18.16: the loader set no codecs
  [ "$(q "SELECT count() FROM $db.meta WHERE key = 'codecs'")" = 0 ] || bad "$layout: codecs marked on 18.16"

  out=$("$analyze" retain -d "$url" --before 2026-01-03T06:00:00Z 2>&1); rc=$?
  [ $rc = 0 ] && echo "$out" | grep -q "^retain: 2 captures ended before 2026-01-03 06:00:00.000Z removed" ||
    bad "$layout: retain: $rc $out"
  dropped=$(echo "$out" | sed -n 's/.*(\([0-9]*\) day partitions dropped, \([0-9]*\) rows deleted).*/\1 \2/p')
  set -- $dropped
  # whole days of a1 and b (Jan 1, Jan 2) in every table with rows there; b's
  # tail on Jan 3 and a1's flows beside the load in progress: deleted
  [ "${1:-0}" -ge 6 ] && [ "${2:-0}" -gt 0 ] || bad "$layout: dropped/deleted: $out"
  [ "$(q "SELECT count() FROM $db.visible_captures")" = 2 ] || bad "$layout: visible captures after retain"
  for t in $tables captures; do
    got=$(q "SELECT count() FROM $db.$t WHERE capture_id IN ($a1, $b)")
    [ "$got" = 0 ] || bad "$layout: $got rows of removed captures left in $t"
  done
  [ "$(kept_rows)" = "$before" ] || bad "$layout: the kept captures' rows changed: $(kept_rows) / $before"
  [ "$(q "SELECT count() FROM $db.flows WHERE capture_id = 999")" = 1 ] || bad "$layout: the load in progress lost its row"
  for p in $shards; do
    got=$(curl -sS "http://127.0.0.1:$p/" --data-binary "SELECT count() FROM system.parts WHERE database = '$db'
          AND table = 'bytes$sfx' AND active AND partition IN ('20454', '20455')")
    [ "$got" = 0 ] || bad "$layout: bytes parts of Jan 1/2 left on $p: $got"
    got=$(curl -sS "http://127.0.0.1:$p/" --data-binary "EXISTS TABLE $db.retired_captures")
    [ "$got" = 0 ] || bad "$layout: the list of retired captures was left on $p"
  done
  # the kept store answers as a SQLite database of the kept captures
  for r in summary top-talkers top-remotes udp-peers timeline; do
    a=$("$analyze" report "$r" -d "$work/kept.db" --csv 2>&1)
    b2=$("$analyze" report "$r" -d "$url" --csv 2>&1)
    [ "$a" = "$b2" ] || bad "$layout: report $r differs from SQLite of the kept captures"
  done

  # again: nothing to do
  out=$("$analyze" retain -d "$url" --before 2026-01-03T06:00:00Z 2>&1); rc=$?
  [ $rc = 0 ] && echo "$out" | grep -q "^retain: 0 captures .* (0 day partitions dropped, 0 rows deleted)" ||
    bad "$layout: second retain: $rc $out"

  # interrupted after c was listed and made unseen: the next run (whose own
  # cutoff retires nothing) removes c's rows
  for p in $shards; do
    curl -sS "http://127.0.0.1:$p/" --data-binary \
      "CREATE TABLE $db.retired_captures (capture_id UInt64) ENGINE = MergeTree ORDER BY capture_id"
    curl -sS "http://127.0.0.1:$p/" --data-binary "INSERT INTO $db.retired_captures VALUES ($c)"
    curl -sS "http://127.0.0.1:$p/" --data-binary \
      "ALTER TABLE $db.captures$sfx DELETE WHERE capture_id = $c"
  done
  for _ in $(seq 100); do [ "$(q "SELECT count() FROM $db.captures WHERE capture_id = $c")" = 0 ] && break; sleep 0.1; done
  out=$("$analyze" retain -d "$url" --before 2000-01-01 2>&1); rc=$?
  [ $rc = 0 ] && echo "$out" | grep -q "^retain: 1 captures" || bad "$layout: resumed retain: $rc $out"
  for t in $tables; do
    got=$(q "SELECT count() FROM $db.$t WHERE capture_id = $c")
    [ "$got" = 0 ] || bad "$layout: resumed retain left $got rows in $t"
  done
  [ "$(q "SELECT count() FROM $db.bytes WHERE capture_id = $a2")" -gt 0 ] || bad "$layout: a2 lost its bytes"
  [ $fail = 0 ] && echo "retain ($layout): whole captures out, partitions dropped, kept ones answer as SQLite; resumable"
done

# refusals
out=$("$analyze" retain -d "clickhouse://127.0.0.1:$h1/keep_one" 2>&1); rc=$?
[ $rc = 2 ] || bad "retain without a cutoff: $rc $out"
out=$("$analyze" retain -d "clickhouse://127.0.0.1:$h1/keep_one" --older-than soon 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "'soon' is not a duration" || bad "retain --older-than soon: $rc $out"
out=$("$analyze" retain -d "clickhouse://127.0.0.1:$h1/nothing_here" --older-than 30d 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "nothing_here is not a procflow store" || bad "retain of no store: $rc $out"
# a store of an older schema (no dns table): the tables it has; everything goes
q "DROP TABLE keep_one.visible_dns"; q "DROP TABLE keep_one.dns"
out=$("$analyze" retain -d "clickhouse://127.0.0.1:$h1/keep_one" --before 2100-01-01 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q "^retain: 1 captures" || bad "retain of a store without dns: $rc $out"
for t in processes flows bytes snapshots captures; do
  got=$(q "SELECT count() FROM keep_one.$t WHERE capture_id <> 999")
  [ "$got" = 0 ] || bad "retain of everything left $got rows in $t"
done
exit $fail
