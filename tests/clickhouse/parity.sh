#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The same reports on both stores: the samples and the test captures are
# ingested into a SQLite file and into the ClickHouse store URL, and every
# canned report (with several parameter sets, in CSV and JSON and as a
# table) must print byte for byte the same output from both.
#   parity.sh PROCFLOW_ANALYZE PFGEN MKCAP URL WORK SAMPLE...
set -u
analyze=$1 pfgen=$2 mkcap=$3 url=$4 work=$5
shift 5
export TZ=UTC
mkdir -p "$work"
cd "$work" || exit 1
rm -f parity.db parity.db-* ./*.pfcap
"$pfgen" -o gen.pfcap -n 20000 --seed 42 >/dev/null || exit 1
"$pfgen" -o peer.pfcap -n 5000 --seed 7 --host web2 --peer-view >/dev/null || exit 1
for s in basic hostile three-cut dns scoped; do "$mkcap" $s $s.pfcap || exit 1; done
caps=(gen.pfcap peer.pfcap basic.pfcap hostile.pfcap three-cut.pfcap dns.pfcap scoped.pfcap "$@")
"$analyze" ingest -q -d parity.db "${caps[@]}" 2>/dev/null
"$analyze" ingest -q --to "$url" "${caps[@]}" 2>/dev/null || { echo "FAIL: ingest --to $url"; exit 1; }

fail=0 n=0
# check NAME ARGS...: the report (or query) on both stores, three forms
check() {
  local what=$1
  shift
  for form in --csv --json "--raw"; do
    "$analyze" "$what" "$@" -d parity.db $form >sqlite.out 2>sqlite.err
    local a=$?
    "$analyze" "$what" "$@" -d "$url" $form >ch.out 2>ch.err
    local b=$?
    n=$((n + 1))
    if [ $a != $b ] || ! cmp -s sqlite.out ch.out || [ ! -s sqlite.out ]; then
      echo "FAIL: $what $* $form: exit sqlite $a, clickhouse $b"
      diff sqlite.out ch.out | head -n 8
      head -c 300 ch.err
      fail=1
    fi
  done
}
check report top-talkers
check report top-talkers --param limit=3 --host gen-host
check report top-talkers --from 2024-05-01T12:00:05Z --to 2024-05-01T12:00:20Z
check report short-lived
check report short-lived --param max=1s --host testhost
check report short-lived --from 2026-01-01T00:00:05Z --to 2026-01-01T00:00:50Z
check report udp-peers
check report udp-peers --param comm=ntpd
check report udp-peers --param pid=300 --from +5s
check report new-remotes
check report new-remotes --param limit=7 --host web2
check report new-remotes --param since=+30s
check report new-remotes --from 2026-01-01T00:00:10Z --to 2026-01-01T00:00:40Z
check report new-remotes --from 2026-01-01T00:00:10Z --param since=2026-01-01T00:00:20Z --param limit=50
check report top-remotes
check report top-remotes --param proto=udp --param limit=5
check report top-remotes --host testhost --host sample-host
check report listeners
check report listeners --param port=53
check report listeners --from 2024-05-01T12:00:02Z --to 2024-05-01T12:00:30Z
check report who-owned --param addr=198.51.100.57 --param port=5432
check report who-owned --param addr=203.0.113.66 --param port=4444 --param at=2024-05-01T12:00:10.2Z
check report who-owned --param addr=198.51.100.57 --param port=5432 --from 2026-01-01T00:00:30Z --to 2026-01-01T00:00:50Z
# names from DNS answers (dns.pfcap): a flow's own process's lookup, another
# process's, none (looked up after the flow began); lookups in who-owned
check report top-remotes --host dnshost
check report new-remotes --host dnshost
check report udp-peers --param comm=chronyd
check report who-owned --param addr=198.51.100.20 --param port=443
check report who-owned --param addr=203.0.113.123 --param port=123 --param at=2024-05-01T12:00:04.5Z
check report dns
check report dns --param comm=app
check report dns --param addr=198.51.100.20 --host dnshost
check report dns --param name=ntp.example.test --from +2s --param limit=3
check query "SELECT proto, proto_num, count(*) AS flows, count(remote_name) AS named FROM flows GROUP BY proto, proto_num ORDER BY proto, proto_num"
check query "SELECT proto, proto_num, count(*) AS n FROM snapshots GROUP BY proto, proto_num ORDER BY proto, proto_num"
check query "SELECT count(*) AS flows, count(netns) AS with_netns, count(DISTINCT netns) AS namespaces FROM flows"
check query "SELECT count(*) AS processes, count(netns) AS with_netns, count(DISTINCT netns) AS namespaces FROM processes"
check report summary
check report summary --host gen-host --from +10s
# time without events (scoped.pfcap: a source-down span), cut by the window
check report summary --host testhost --from 2024-05-01T12:00:02Z --to 2024-05-01T12:00:04Z
check report timeline
# flow ids are numbered per capture in the store: by flow on the first file's host
check report timeline --param bucket=10s --param by=flow --host gen-host
check report timeline --param bucket=10s --param comm=nginx --param top=3
check report timeline --param bucket=1m
# no dialect copy: the SQLite report on a local copy of the store
check report conversations
check report conversations --host web2 --param proto=tcp
# html and export from the store: the same bytes
for f in csv jsonl zeek chrome-trace; do
  "$analyze" export --format $f -d parity.db -o sqlite.$f --force && "$analyze" export --format $f -d "$url" -o ch.$f --force &&
    cmp -s sqlite.$f ch.$f && [ -s sqlite.$f ] || { echo "FAIL: export --format $f differs"; fail=1; }
  n=$((n + 1))
done
"$analyze" export --format csv --what bytes -d parity.db -o sqlite.bytes --force &&
  "$analyze" export --format csv --what bytes -d "$url" -o ch.bytes --force --process nginx --from +10s &&
  "$analyze" export --format csv --what bytes -d parity.db -o sqlite.bytes --force --process nginx --from +10s &&
  cmp -s sqlite.bytes ch.bytes || { echo "FAIL: export --what bytes --process --from differs"; fail=1; }
"$analyze" html -d parity.db -o sqlite.html --force --utc && "$analyze" html -d "$url" -o ch.html --force --utc &&
  cmp -s sqlite.html ch.html || { echo "FAIL: html differs"; fail=1; }
n=$((n + 2))
# ad-hoc query: the same rows from the same SQL where both dialects agree
check query "SELECT host, count(*) AS files, sum(records) AS records FROM captures GROUP BY host ORDER BY host"
# only reads: the server refuses a write, named like SQLite's refusal
out=$("$analyze" query -d "$url" "INSERT INTO meta VALUES ('x', 'y')" 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "query only reads the store" || { echo "FAIL: query wrote: $rc $out"; fail=1; }
out=$("$analyze" query -d "$url" "DROP TABLE flows" 2>&1); rc=$?
[ $rc = 2 ] || { echo "FAIL: query dropped: $rc $out"; fail=1; }
# a hostile parameter value stays one value
out=$("$analyze" report top-talkers -d "$url" --host "x') OR 1=1 OR ('" --csv 2>&1); rc=$?
[ $rc = 0 ] && [ "$out" = "host,pid,comm,bytes_sent,bytes_recv,bytes_total,flows,remotes,exe" ] ||
  { echo "FAIL: hostile host value: $rc $out"; fail=1; }
out=$("$analyze" report who-owned -d "$url" --param addr=1.2.3.4 --param port=x 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "'x' is not a port" || { echo "FAIL: bad port accepted: $rc $out"; fail=1; }
[ $fail = 0 ] && echo "parity: $n outputs (every canned report, html, exports) identical on SQLite and ClickHouse"
exit $fail
