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

# the same reports from both stores, on one server and on the cluster
if [ -n "${PF_PFGEN:-}" ] && [ -n "${PF_MKCAP:-}" ]; then
  "$here/parity.sh" "$analyze" "$PF_PFGEN" "$PF_MKCAP" "clickhouse://127.0.0.1:$h1/fleet_parity" "$work/parity" "$@" ||
    fail=1
  "$here/parity.sh" "$analyze" "$PF_PFGEN" "$PF_MKCAP" \
    "clickhouse://127.0.0.1:$h1,127.0.0.1:$h2/fleet_parity_dist?cluster=procflow_two_shards" "$work/parity-dist" "$@" ||
    fail=1
fi
exit $fail
