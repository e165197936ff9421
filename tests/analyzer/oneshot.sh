#!/bin/sh
# SPDX-License-Identifier: MIT
# One-shot reports (`report NAME CAPTURE...`) build only what the report
# reads in their throwaway database: every canned report, with parameters
# that reach its other paths, must print exactly what ingest + report prints.
# Usage: oneshot.sh ANALYZE PFGEN WORKDIR
set -u
A=$1 GEN=$2 W=$3
rm -rf "$W"; mkdir -p "$W" || exit 1
cd "$W" || exit 1
TMPDIR=$W; export TMPDIR
"$GEN" -o one.pfcap -n 60000 --seed 7 >/dev/null 2>&1 || exit 1
"$GEN" -o alpha.pfcap -n 20000 --seed 9 --host alpha >/dev/null 2>&1 || exit 1
"$GEN" -o beta.pfcap -n 20000 --seed 9 --host beta --peer-view --shift-ns -1234567890 >/dev/null 2>&1 || exit 1
"$A" ingest --quiet one.pfcap -d one.db || exit 1
"$A" ingest --quiet alpha.pfcap beta.pfcap -d two.db || exit 1
set -- $("$A" query -d one.db --raw --format csv \
  "SELECT remote_addr, remote_port FROM flows WHERE remote_addr IS NOT NULL ORDER BY bytes_recv DESC, flow_id LIMIT 1" |
  tail -n 1 | tr ',' ' ')
addr=$1 port=$2
fail=0 n=0
same() { # same DB CAPTURES... -- REPORT ARGS...
  db=$1; shift
  caps=
  while [ "$1" != -- ]; do caps="$caps $1"; shift; done
  shift
  "$A" report "$@" -d "$db" --format csv >full.csv 2>full.err; rc1=$?
  # shellcheck disable=SC2086
  "$A" report "$@" $caps --format csv >one.csv 2>one.err; rc2=$?
  n=$((n + 1))
  if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ -s one.csv ] && cmp -s full.csv one.csv; then
    echo "ok   $* ($(wc -l <one.csv) lines)"
  else
    echo "FAIL $* (exit $rc1 / $rc2)"; diff full.csv one.csv | head -5; cat one.err; fail=1
  fi
}
for r in top-talkers top-remotes udp-peers short-lived new-remotes listeners summary dns conversations; do
  same one.db one.pfcap -- "$r"
done
same one.db one.pfcap -- timeline -p bucket=10s
same one.db one.pfcap -- timeline -p bucket=1min -p by=flow
same one.db one.pfcap -- top-talkers -p limit=1000
same one.db one.pfcap -- who-owned -p addr="$addr" -p port="$port"
same two.db alpha.pfcap beta.pfcap -- conversations
same two.db alpha.pfcap beta.pfcap -- top-talkers -p limit=50
same two.db alpha.pfcap beta.pfcap -- timeline -p bucket=1h
left=$(ls "$W" | grep -c '^procflow-') || true
[ "$left" = 0 ] || { echo "FAIL temporary databases left behind: $left"; fail=1; }
[ $fail -eq 0 ] && echo "all $n one-shot reports identical to ingest + report"
exit $fail
