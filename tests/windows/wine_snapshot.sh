#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the cross-built procflow-record.exe under Wine in snapshot mode while
# winlisten.exe listens on a TCP and a UDP loopback port, then checks with
# the Linux analyzer (or pfdump) that the capture names both ports and the
# workload's process.
#   wine_snapshot.sh WIN_BUILD_DIR WORK_DIR ANALYZE_BIN PFDUMP_BIN
# Exits 77 (skip) when Wine or the cross build is missing.
set -u
win=$1 work=$2 analyze=${3:-} pfdump=${4:-}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; [ -f "$work/rec.err" ] && sed 's/^/  rec: /' "$work/rec.err"; exit 1; }

wine=$(command -v wine64 || true)
[ -z "$wine" ] && [ -x /usr/lib/wine/wine64 ] && wine=/usr/lib/wine/wine64
[ -n "$wine" ] || skip "wine64 not installed (apt-get install wine64)"
rec=$win/recorder/windows/procflow-record.exe
wl=$win/recorder/windows/winlisten.exe
[ -f "$rec" ] && [ -f "$wl" ] || skip "no cross build in $win (run scripts/cross-windows.sh)"

mkdir -p "$work"
work=$(cd "$work" && pwd)
export WINEPREFIX="$work/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
wineserver=$(dirname "$wine")/wineserver
[ -x "$wineserver" ] || wineserver=$(command -v wineserver || true)
cleanup() {
  [ -n "${wlpid:-}" ] && kill "$wlpid" 2>/dev/null
  # Ends only the wine processes of this private prefix.
  [ -n "$wineserver" ] && WINEPREFIX="$work/wineprefix" "$wineserver" -k 2>/dev/null
}
trap cleanup EXIT

# First start creates the prefix (slow); later runs reuse it.
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "creating Wine prefix (first run is slow)"
  timeout 150 "$wine" wineboot -i >"$work/wineboot.log" 2>&1 || fail "wineboot failed or timed out"
fi

# Ports from the pid, retried when taken.
ready=0
for try in 1 2 3 4 5; do
  tport=$(( 20000 + ( ($$ * 7 + try * 101) % 20000 ) * 2 ))
  uport=$(( tport + 1 ))
  : >"$work/wl.out"
  "$wine" "$wl" "$tport" "$uport" 60 >"$work/wl.out" 2>&1 &
  wlpid=$!
  for _ in $(seq 100); do
    grep -q ready "$work/wl.out" && { ready=1; break; }
    kill -0 "$wlpid" 2>/dev/null || break
    sleep 0.2
  done
  [ $ready = 1 ] && break
  kill "$wlpid" 2>/dev/null; wait "$wlpid" 2>/dev/null; wlpid=""
done
[ $ready = 1 ] || fail "winlisten.exe did not start: $(cat "$work/wl.out")"
echo "workload: winlisten.exe tcp/$tport udp/$uport"

cap=$work/wine.pfcap
rm -f "$cap" "$cap.partial"
winpath="Z:${cap//\//\\}"
timeout 90 "$wine" "$rec" -o "$winpath" -f --duration 3 --snapshot-interval 1 >"$work/rec.out" 2>"$work/rec.err"
rc=$?
[ $rc = 0 ] || fail "procflow-record.exe exited $rc"
[ -s "$cap" ] || fail "no capture written"
grep -q "snapshot-only" "$work/rec.err" || fail "summary does not say snapshot-only"

# Ctrl-C (Wine turns SIGINT into CTRL_C_EVENT): a clean stop with the
# end-of-recording rundown in a complete file.
cap2=$work/wine-ctrlc.pfcap
rm -f "$cap2" "$cap2.partial"
"$wine" "$rec" -o "Z:${cap2//\//\\}" -f --snapshot-interval 1 >"$work/rec2.out" 2>"$work/rec2.err" &
recpid=$!
for _ in $(seq 100); do grep -q "recording to" "$work/rec2.err" && break; sleep 0.1; done
sleep 1.5
kill -INT "$recpid" 2>/dev/null
for _ in $(seq 100); do kill -0 "$recpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$recpid" 2>/dev/null && { kill "$recpid"; fail "procflow-record.exe ignored Ctrl-C"; }
wait "$recpid"
rc=$?
[ $rc = 0 ] || fail "procflow-record.exe exited $rc after Ctrl-C"
[ -s "$cap2" ] && [ ! -e "$cap2.partial" ] || fail "no complete capture after Ctrl-C"

kill "$wlpid" 2>/dev/null; wait "$wlpid" 2>/dev/null; wlpid=""

if [ -n "$pfdump" ] && [ -x "$pfdump" ]; then
  "$pfdump" "$cap" >"$work/dump.txt" 2>&1 || fail "pfdump rejected the capture"
  grep -q 'hostinfo "source"="windows-etw"' "$work/dump.txt" || fail "no windows-etw source in the capture"
  grep -Eq "snapshot LISTEN .* tcp4 127\.0\.0\.1:$tport -> 0\.0\.0\.0:0 " "$work/dump.txt" ||
    fail "tcp/$tport LISTEN row missing"
  grep -Eq "snapshot CLOSE .* udp4 127\.0\.0\.1:$uport -> 0\.0\.0\.0:0 " "$work/dump.txt" ||
    fail "udp/$uport row missing"
  grep -Eq 'process rundown .*comm="winlisten\.exe"' "$work/dump.txt" || fail "winlisten.exe rundown row missing"
  "$pfdump" "$cap2" >"$work/dump2.txt" 2>&1 || fail "pfdump rejected the Ctrl-C capture"
  grep -Eq 'process end-rundown .*comm="winlisten\.exe"' "$work/dump2.txt" ||
    fail "Ctrl-C capture has no end-of-recording rundown"
fi

# Wine's socket tables name no owning process (pid 0), so the listeners
# report (owned sockets only) has nothing to show: check the snapshot rows.
listen_sql="SELECT count(DISTINCT proto || local_port) AS n FROM snapshots WHERE local_addr = '127.0.0.1' AND
  ((proto = 'tcp' AND state = 'LISTEN' AND local_port = $tport) OR (proto = 'udp' AND local_port = $uport))"
if [ -n "$analyze" ] && [ -x "$analyze" ]; then
  db=$work/wine.db
  rm -f "$db"
  "$analyze" ingest "$cap" -d "$db" --quiet || fail "ingest failed"
  n=$("$analyze" query -d "$db" --format csv "$listen_sql" | tail -n 1)
  [ "$n" = 2 ] || fail "snapshots: expected tcp/$tport listening and udp/$uport bound, got $n"
  n=$("$analyze" query -d "$db" --format csv "SELECT count(*) AS n FROM processes WHERE comm = 'winlisten.exe'" | tail -n 1)
  [ "$n" = 1 ] || fail "expected exactly 1 winlisten.exe process, got $n"
  echo "analyzer: tcp/$tport listening and udp/$uport bound in the snapshots, 1 winlisten.exe process"
fi
# The cross-built analyzer reads the same capture under Wine.
wan=$win/analyzer/procflow-analyze.exe
if [ -f "$wan" ]; then
  wdb=$work/wine-win.db
  rm -f "$wdb"
  timeout 60 "$wine" "$wan" ingest "$winpath" -d "Z:${wdb//\//\\}" --quiet >/dev/null 2>"$work/wan.err" ||
    fail "procflow-analyze.exe ingest failed: $(cat "$work/wan.err")"
  out=$(timeout 60 "$wine" "$wan" query -d "Z:${wdb//\//\\}" --format csv "$listen_sql" 2>&1 | tr -d '\r')
  n=$(printf '%s\n' "$out" | tail -n 1)
  [ "$n" = 2 ] || fail "procflow-analyze.exe: expected tcp/$tport and udp/$uport in the snapshots, got: $out"
  echo "procflow-analyze.exe: tcp/$tport and udp/$uport found under Wine"
fi
echo "PASS"
