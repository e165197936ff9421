#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Starts two private ClickHouse servers (the shards of the cluster
# procflow_two_shards), runs the fleet-store test once against the first
# server alone and once against the cluster, stops them. Skips (77) when
# clickhouse-server is not installed.
# Then the command line: ingest --to twice (the second run skips), and its
# refusals.
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

# the same reports from both stores, on one server and on the cluster
if [ -n "${PF_PFGEN:-}" ] && [ -n "${PF_MKCAP:-}" ]; then
  "$here/parity.sh" "$analyze" "$PF_PFGEN" "$PF_MKCAP" "clickhouse://127.0.0.1:$h1/fleet_parity" "$work/parity" "$@" ||
    fail=1
  "$here/parity.sh" "$analyze" "$PF_PFGEN" "$PF_MKCAP" \
    "clickhouse://127.0.0.1:$h1,127.0.0.1:$h2/fleet_parity_dist?cluster=procflow_two_shards" "$work/parity-dist" "$@" ||
    fail=1
fi
exit $fail
