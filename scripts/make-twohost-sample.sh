#!/bin/sh
# SPDX-License-Identifier: MIT
# Remakes samples/web1.pfcap and samples/db1.pfcap: two hosts recorded at
# once on one machine, each a network namespace with its own recorder
# (procflow-record --netns NS --host NAME). Needs root (eBPF, network
# namespaces), iproute2 and Debian's python3. Nothing leaves the machine:
# the two "hosts" talk over a veth pair with documentation addresses.
#
# usage: sudo scripts/make-twohost-sample.sh [PROCFLOW_RECORD] [OUTDIR]
#
# The scene (about 10 s):
#   web1 198.51.100.10        db1 198.51.100.20
#   api      --TCP 5432-->    dbserver   queries: 200 bytes out, 4000 back, 5 a second
#   api      --UDP 8125-->    metrics    one 120-byte datagram a second
#   exporter --TCP 9000-->    archive    one 3 MB upload, 4 s in: the thing to find
#   prober   <--TCP 8080--    health     db1 checks web1's health page 3 times
set -eu
. "$(dirname "$0")/sample-common.sh"
sample_init make-twohost-sample procflow-twohost "${1:-}" "${2:-}"
A=pfh-web-$$ B=pfh-db-$$
cleanup() {
    sample_cleanup "$A" "$B"
}
trap cleanup EXIT INT TERM

sample_netns_pair "$A" "$B" pfh-a$$ pfh-b$$
ip -n "$A" addr add 198.51.100.10/24 dev pfh-a$$
ip -n "$B" addr add 198.51.100.20/24 dev pfh-b$$
ip -n "$A" link set pfh-a$$ up
ip -n "$B" link set pfh-b$$ up

cat >"$W/scene.py" <<'EOF'
import socket, sys, threading, time

role = sys.argv[1]
END = time.time() + 8

def serve(addr, handler):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(addr)
    s.listen(8)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handler, args=(c,), daemon=True).start()

def answer(size):
    def h(c):
        try:
            while c.recv(4096):
                c.sendall(b"r" * size)
        except OSError:
            pass
        c.close()
    return h

def sink(c):
    while c.recv(65536):
        pass
    c.close()

def dbserver():
    serve(("198.51.100.20", 5432), answer(4000))

def metrics():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("198.51.100.20", 8125))
    while True:
        u.recvfrom(2048)

def archive():
    serve(("198.51.100.20", 9000), sink)

def health():
    serve(("198.51.100.10", 8080), answer(300))

def api():
    s = socket.create_connection(("198.51.100.20", 5432))
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.connect(("198.51.100.20", 8125))
    n = 0
    while time.time() < END:
        s.sendall(b"q" * 200)
        got = 0
        while got < 4000:
            got += len(s.recv(65536))
        if n % 5 == 0:
            u.send(b"m" * 120)
        n += 1
        time.sleep(0.2)
    s.close()

def exporter():
    time.sleep(4)
    s = socket.create_connection(("198.51.100.20", 9000))
    s.sendall(b"x" * 3000000)
    s.close()

def prober():
    for _ in range(3):
        time.sleep(2)
        s = socket.create_connection(("198.51.100.10", 8080))
        s.sendall(b"GET /health HTTP/1.0\r\n\r\n")
        got = 0
        while got < 300:
            got += len(s.recv(4096))
        s.close()

{"dbserver": dbserver, "metrics": metrics, "archive": archive, "health": health, "api": api,
 "exporter": exporter, "prober": prober}[role]()
EOF
for r in dbserver metrics archive health api exporter prober; do ln -s "$PY" "$W/$r"; done

start() { # NETNS ROLE
    (cd "$W" && exec ip netns exec "$1" "./$2" scene.py "$2") &
    echo $! >>"$W/pids"
}
record() { # NETNS HOST
    "$REC" -o "$OUT/$2.pfcap" -f -d 11 -s 5 --netns "$1" --host "$2" 2>"$W/$2.err" &
    echo $! >>"$W/recs"
    i=0
    until grep -q "recording to" "$W/$2.err" 2>/dev/null; do
        i=$((i + 1))
        [ $i -gt 200 ] && { cat "$W/$2.err" >&2; exit 1; }
        sleep 0.05
    done
}

record "$A" web1
record "$B" db1
start "$B" dbserver
start "$B" metrics
start "$B" archive
start "$A" health
sleep 0.5
start "$A" api
start "$A" exporter
start "$B" prober
for p in $(cat "$W/recs"); do wait "$p" || true; done
cat "$W/web1.err" "$W/db1.err" >&2
echo "wrote $OUT/web1.pfcap $OUT/db1.pfcap"
