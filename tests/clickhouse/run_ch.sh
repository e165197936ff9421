#!/usr/bin/env bash
# Starts a private ClickHouse server, runs the fleet-store test against it,
# stops it. Skips (77) when clickhouse-server is not installed.
#   run_ch.sh TEST_BINARY WORK_DIR CAPTURE...
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=$1 work=$2
shift 2
rm -rf "$work"
mkdir -p "$work"
ports=$("$here/server.sh" start "$work/servers" 1)
rc=$?
[ $rc = 0 ] || exit $rc
trap '"$here/server.sh" stop "$work/servers"' EXIT
http=$(echo "$ports" | head -n 1 | cut -d' ' -f1)
"$bin" "$http" "$work" "$@"
