#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job, from a fresh clone: install dependencies, build, then
#  - as root: record this machine for a few seconds (with a little loopback
#    traffic so there is something to see) and report on it;
#  - otherwise: report on a bundled sample capture (samples/), or on a
#    synthetic capture when no sample is bundled.
# Writes everything under ./quickstart/ and prints the summary and top reports.
#   scripts/quickstart.sh [SECONDS]      (default 8)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
seconds=${1:-8}
if [ "$(id -u)" -eq 0 ]; then scripts/deps.sh; else scripts/deps.sh --minimal; fi

build=build-release
if [ "$(id -u)" -eq 0 ]; then recorder=ON; else recorder=OFF; fi
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DPF_BUILD_RECORDER=$recorder -DPF_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
analyze=$build/analyzer/procflow-analyze
out=quickstart
mkdir -p "$out"
chmod 700 "$out"
rm -f "$out/capture.pfcap" "$out/capture.db"

captures=()
if [ "$(id -u)" -eq 0 ] && [ -x "$build/recorder/procflow-record" ]; then
  echo "== recording this machine for ${seconds}s"
  "$build/recorder/procflow-record" -o "$out/capture.pfcap" --duration "$seconds" --snapshot-interval 2 --force &
  rec=$!
  sleep 1
  # a small loopback scene: a TCP exchange and one UDP socket talking to three peers
  python3 - <<'PY' || true
import socket, threading
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0)); srv.listen()
def serve():
    c, _ = srv.accept(); c.sendall(c.recv(4096) * 10); c.close()
t = threading.Thread(target=serve); t.start()
cl = socket.create_connection(srv.getsockname()); cl.sendall(b"GET / 1234567890" * 8)
while cl.recv(65536): pass
t.join(); cl.close()
peers = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3)]
for p in peers: p.bind(("127.0.0.1", 0))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
for i, p in enumerate(peers):
    for _ in range(5 + i):
        u.sendto(b"ping" * 16, p.getsockname()); d, a = p.recvfrom(2048); p.sendto(d[:32], a); u.recvfrom(2048)
PY
  wait "$rec"
  captures=("$out/capture.pfcap")
else
  # one sample only: the other holds the same scene recorded per call
  captures=()
  [ -f samples/incident.pfcap ] && captures=(samples/incident.pfcap)
  if [ ${#captures[@]} -eq 0 ]; then
    echo "== no bundled sample: using a synthetic capture"
    "$build/tests/tools/pfgen" -o "$out/capture.pfcap" -n 200000 --force >/dev/null
    captures=("$out/capture.pfcap")
  else
    echo "== not root: analyzing the bundled samples ${captures[*]}"
  fi
fi

"$analyze" ingest "${captures[@]}" -d "$out/capture.db" --quiet
for report in summary top-talkers top-remotes listeners; do
  echo
  echo "== $report"
  "$analyze" report "$report" -d "$out/capture.db" | head -n 25
done
if "$analyze" html --help >/dev/null 2>&1; then
  "$analyze" html -d "$out/capture.db" -o "$out/report.html" && echo && echo "HTML report: $out/report.html"
fi
echo
echo "Database: $out/capture.db   (try: $analyze report; $analyze query -d $out/capture.db \"select * from flows limit 5\")"
