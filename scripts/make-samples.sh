#!/bin/sh
# SPDX-License-Identifier: MIT
# Remakes the bundled sample captures (samples/*.pfcap) by recording a
# scripted scene with procflow-record. Needs root (eBPF, network namespaces),
# iproute2, unshare and Debian's python3. Nothing leaves the machine: the
# "internet" is a network namespace holding documentation addresses.
#
# usage: sudo scripts/make-samples.sh [PROCFLOW_RECORD] [OUTDIR]
#   PROCFLOW_RECORD defaults to build/recorder/procflow-record,
#   OUTDIR to samples/ next to this script.
#
# The scene, recorded twice (about 12 s each): "incident.pfcap" in the
# recorder's default aggregated mode, "incident-percall.pfcap" with --per-call:
#   browser     4 TCP connections to web servers (203.0.113.5:443,
#               203.0.113.7:80, 198.51.100.20:8443, [2001:db8:1::5]:443)
#   game        UDP exchange with 3 peers (198.51.100.21-23:27015), 40 pkt/s
#   downloader  short-lived: fetches 2 MiB from 203.0.113.80:80 and exits
#   beacon      small UDP datagram every second to 203.0.113.99:4500
#   webui       listens on 192.0.2.10:8080; 198.51.100.66 connects 3 times
# Only the scene's own programs are recorded (--comm), in a UTS namespace
# whose host name is "sample-host".
set -eu
. "$(dirname "$0")/sample-common.sh"
sample_init make-samples procflow-scene "${1:-}" "${2:-}"
C=pfs-client-$$ N=pfs-world-$$
cleanup() {
    [ -n "${recpid:-}" ] && kill -INT "$recpid" 2>/dev/null || true
    sample_cleanup "$C" "$N"
}
trap cleanup EXIT INT TERM

# --- network: client namespace <-veth-> "world" namespace -------------------
sample_netns_pair "$C" "$N" pfs-c$$ pfs-w$$
ip -n "$C" addr add 192.0.2.10/24 dev pfs-c$$
ip -n "$C" addr add 2001:db8::10/64 dev pfs-c$$ nodad
ip -n "$N" addr add 192.0.2.1/24 dev pfs-w$$
ip -n "$N" addr add 2001:db8::1/64 dev pfs-w$$ nodad
ip -n "$C" link set pfs-c$$ up
ip -n "$N" link set pfs-w$$ up
ip -n "$C" route add default via 192.0.2.1
ip -n "$C" -6 route add default via 2001:db8::1
for a in 203.0.113.5 203.0.113.7 203.0.113.80 203.0.113.99 198.51.100.20 198.51.100.21 198.51.100.22 \
         198.51.100.23 198.51.100.66; do
    ip -n "$N" addr add "$a/32" dev lo
done
ip -n "$N" addr add 2001:db8:1::5/128 dev lo nodad
ip -n "$N" route add 192.0.2.10/32 dev pfs-w$$ src 198.51.100.66

# --- the scene's programs: one python file, named by the link it runs as ---
cat >"$W/scene.py" <<'EOF'
import os, socket, sys, threading, time

role = sys.argv[1]
END = time.time() + float(os.environ.get("SCENE_SECONDS", "8"))

def serve_tcp(addr, family, reply):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(addr)
    s.listen(16)
    def handle(c):
        try:
            while True:
                d = c.recv(4096)
                if not d:
                    break
                c.sendall(b"x" * reply)
        except OSError:
            pass
        c.close()
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()

def world():
    # web servers, CDN, game peers and the beacon's collector
    for a, p, n in [("203.0.113.5", 443, 120000), ("203.0.113.7", 80, 40000),
                    ("198.51.100.20", 8443, 250000), ("203.0.113.80", 80, 2 << 20)]:
        threading.Thread(target=serve_tcp, args=((a, p), socket.AF_INET, n), daemon=True).start()
    threading.Thread(target=serve_tcp, args=(("2001:db8:1::5", 443), socket.AF_INET6, 60000),
                     daemon=True).start()
    def udp_echo(a, p, mult):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((a, p))
        while True:
            d, peer = u.recvfrom(2048)
            if mult:
                u.sendto(d * mult, peer)
    for i, a in enumerate(["198.51.100.21", "198.51.100.22", "198.51.100.23"]):
        threading.Thread(target=udp_echo, args=(a, 27015, i + 2), daemon=True).start()
    threading.Thread(target=udp_echo, args=("203.0.113.99", 4500, 0), daemon=True).start()
    while True:
        time.sleep(1)

def browser():
    conns = []
    for fam, a, p in [(socket.AF_INET, "203.0.113.5", 443), (socket.AF_INET, "203.0.113.7", 80),
                      (socket.AF_INET, "198.51.100.20", 8443), (socket.AF_INET6, "2001:db8:1::5", 443)]:
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.connect((a, p))
        conns.append(s)
        time.sleep(0.3)
    while time.time() < END:
        for s in conns:
            s.sendall(b"GET / HTTP/1.1\r\nHost: example.org\r\n\r\n")
            s.settimeout(0.2)
            try:
                while s.recv(65536):
                    pass
            except (socket.timeout, OSError):
                pass
        time.sleep(0.5)
    for s in conns:
        s.close()

def game():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("192.0.2.10", 40100))
    u.settimeout(0.005)
    peers = [("198.51.100.21", 27015), ("198.51.100.22", 27015), ("198.51.100.23", 27015)]
    while time.time() < END:
        for p in peers:
            u.sendto(b"state" * 20, p)
        try:
            while True:
                u.recvfrom(4096)
        except (socket.timeout, OSError):
            pass
        time.sleep(0.025)

def downloader():
    s = socket.create_connection(("203.0.113.80", 80))
    s.sendall(b"GET /update.bin HTTP/1.1\r\n\r\n")
    got = 0
    while got < (2 << 20):
        d = s.recv(65536)
        if not d:
            break
        got += len(d)
    s.close()

def beacon():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    while time.time() < END:
        u.sendto(b"\x01hb", ("203.0.113.99", 4500))
        time.sleep(1)

def webui():
    serve_tcp(("192.0.2.10", 8080), socket.AF_INET, 1500)

def scanner():
    for _ in range(3):
        time.sleep(1.5)
        s = socket.create_connection(("192.0.2.10", 8080))
        s.sendall(b"GET /admin HTTP/1.0\r\n\r\n")
        s.recv(4096)
        s.close()

{"world": world, "browser": browser, "game": game, "downloader": downloader, "beacon": beacon,
 "webui": webui, "scanner": scanner}[role]()
EOF
for r in world browser game downloader beacon webui scanner; do ln -s "$PY" "$W/$r"; done

start() { # NETNS ROLE [ENV=...]
    ns=$1 role=$2
    shift 2
    (cd "$W" && exec ip netns exec "$ns" env "$@" "./$role" scene.py "$role") &
    echo $! >>"$W/pids"
}

# --- record ------------------------------------------------------------------
scene() { # NAME [RECORDER OPTIONS...]
    name=$1
    shift
    unshare --uts sh -c "hostname sample-host && exec \"\$0\" \"\$@\"" "$REC" -o "$OUT/$name.pfcap" -f -d 12 -s 2 \
        -c browser,game,downloader,beacon,webui "$@" 2>"$W/rec.err" &
    recpid=$!
    i=0
    until grep -q "recording to" "$W/rec.err" 2>/dev/null; do
        i=$((i + 1))
        [ $i -gt 200 ] && { cat "$W/rec.err" >&2; exit 1; }
        sleep 0.05
    done
    : >"$W/pids.scene"
    start "$C" webui
    webui=$!
    start "$C" beacon SCENE_SECONDS=9
    start "$C" game SCENE_SECONDS=8
    start "$C" browser SCENE_SECONDS=8
    start "$N" scanner
    sleep 3
    start "$C" downloader
    wait "$recpid" || true
    recpid=
    kill "$webui" 2>/dev/null || true
    wait "$webui" 2>/dev/null || true
    cat "$W/rec.err" >&2
    echo "wrote $OUT/$name.pfcap"
}

start "$N" world
sleep 1
scene incident                 # aggregated: one traffic record per flow and second
scene incident-percall --per-call  # one record per send/recv call
