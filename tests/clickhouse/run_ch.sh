#!/usr/bin/env bash
# Starts two private ClickHouse servers (the shards of the cluster
# procflow_two_shards), runs the fleet-store test once against the first
# server alone and once against the cluster, stops them. Skips (77) when
# clickhouse-server is not installed.
#   run_ch.sh TEST_BINARY WORK_DIR CAPTURE...
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=$1 work=$2
shift 2
rm -rf "$work"
mkdir -p "$work"
ports=$("$here/server.sh" start "$work/servers" 2)
rc=$?
[ $rc = 0 ] || exit $rc
trap '"$here/server.sh" stop "$work/servers"' EXIT
h1=$(echo "$ports" | sed -n 1p | cut -d' ' -f1)
h2=$(echo "$ports" | sed -n 2p | cut -d' ' -f1)
"$bin" "clickhouse://default@127.0.0.1:$h1/fleet_test" "$work" "$@" || exit 1
"$bin" "clickhouse://default@127.0.0.1:$h1,127.0.0.1:$h2/fleet_dist?cluster=procflow_two_shards" "$work" "$@"
