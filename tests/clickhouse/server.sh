#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Starts (or stops) ClickHouse servers for the tests as ordinary processes:
# each with its own config, data folder and loopback ports under DIR, the
# first two joined in a cluster "procflow_two_shards" (one shard each) that
# every server's config defines, so Distributed tables spread over both.
#   tests/clickhouse/server.sh start DIR [COUNT]   prints "http_port tcp_port" per server
#   tests/clickhouse/server.sh stop DIR
# Exit 77 when clickhouse-server is not installed.
set -euo pipefail
cmd=${1:?usage: server.sh start|stop DIR [COUNT]}
dir=${2:?usage: server.sh start|stop DIR [COUNT]}
count=${3:-2}

stop_all() {
  for pidf in "$dir"/s*/pid; do
    [ -f "$pidf" ] || continue
    pid=$(cat "$pidf")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidf"
  done
}

if [ "$cmd" = stop ]; then stop_all; exit 0; fi
[ "$cmd" = start ] || { echo "server.sh: start or stop" >&2; exit 2; }
server=$(command -v clickhouse-server || true)
[ -n "$server" ] || { echo "server.sh: clickhouse-server is not installed" >&2; exit 77; }
mkdir -p "$dir"

free_port() { # a loopback port nobody listens on
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

declare -a http tcp inter
for i in $(seq "$count"); do
  http[$i]=$(free_port); tcp[$i]=$(free_port); inter[$i]=$(free_port)
done
shards=""
for i in 1 2; do
  [ "$i" -le "$count" ] || break
  shards+="<shard><replica><host>127.0.0.1</host><port>${tcp[$i]}</port></replica></shard>"
done
for i in $(seq "$count"); do
  s=$dir/s$i
  mkdir -p "$s/data" "$s/tmp" "$s/user_files" "$s/format_schemas" "$s/log"
  cat >"$s/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$s/log/server.log</log><errorlog>$s/log/server.err.log</errorlog>
    <size>10M</size><count>2</count></logger>
  <http_port>${http[$i]}</http_port>
  <tcp_port>${tcp[$i]}</tcp_port>
  <interserver_http_port>${inter[$i]}</interserver_http_port>
  <listen_host>127.0.0.1</listen_host>
  <max_connections>256</max_connections>
  <keep_alive_timeout>3</keep_alive_timeout>
  <max_concurrent_queries>100</max_concurrent_queries>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <mark_cache_size>268435456</mark_cache_size>
  <path>$s/data/</path>
  <tmp_path>$s/tmp/</tmp_path>
  <user_files_path>$s/user_files/</user_files_path>
  <format_schema_path>$s/format_schemas/</format_schema_path>
  <users_config>$s/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <remote_servers><procflow_two_shards>$shards</procflow_two_shards></remote_servers>
  <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
  <max_session_timeout>3600</max_session_timeout>
  <default_session_timeout>60</default_session_timeout>
</yandex>
XML
  cp /etc/clickhouse-server/users.xml "$s/users.xml"
  chmod 600 "$s/users.xml"
  (cd "$s" && exec "$server" --config-file="$s/config.xml" >"$s/log/stdout.log" 2>&1) &
  echo $! >"$s/pid"
done
for i in $(seq "$count"); do
  ok=0
  for _ in $(seq 300); do
    if curl -sf "http://127.0.0.1:${http[$i]}/ping" >/dev/null 2>&1; then ok=1; break; fi
    kill -0 "$(cat "$dir/s$i/pid")" 2>/dev/null || break
    sleep 0.1
  done
  if [ $ok != 1 ]; then
    echo "server.sh: server $i did not start; its log:" >&2
    tail -n 20 "$dir/s$i/log/server.err.log" "$dir/s$i/log/stdout.log" >&2 2>/dev/null || true
    stop_all
    exit 1
  fi
  echo "${http[$i]} ${tcp[$i]}"
done
