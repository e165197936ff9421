#!/bin/sh
# SPDX-License-Identifier: MIT
# Two network namespaces recorded as two hosts at once (--netns, --host), and
# a recording limited to a cgroup (--cgroup). Traffic goes between the
# namespaces over a veth pair with documentation addresses; each capture must
# hold only its own namespace's flows, with exact bytes.
# Usage: netns_test.sh RECORDER ANALYZER WORKDIR
# Exit 77 (skip) without root, eBPF, ip netns, python3 or cgroup v2.
REC=$1 A=$2 WORK=$3
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
command -v ip >/dev/null 2>&1 || { echo "skip: no ip (iproute2)"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
[ -r /sys/kernel/btf/vmlinux ] || { echo "skip: kernel without BTF"; exit 77; }

rm -rf "$WORK"
mkdir -p "$WORK" || exit 1
cd "$WORK" || exit 1
P=pfns$$
NA=${P}a NB=${P}b
CG=
fail=0
pids=
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    ip netns del "$NA" 2>/dev/null
    ip netns del "$NB" 2>/dev/null
    [ -n "$CG" ] && rmdir "$CG" 2>/dev/null
}
trap cleanup EXIT INT TERM
check() {
    what=$1
    shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}
q() { "$A" query -d "$1" --format csv "$2" | tail -n +2; }

ip netns add "$NA" && ip netns add "$NB" || { echo "skip: cannot create network namespaces"; exit 77; }
ip link add "${P}x" netns "$NA" type veth peer name "${P}y" netns "$NB" || { echo "skip: no veth"; exit 77; }
ip -n "$NA" addr add 198.51.100.1/24 dev "${P}x"
ip -n "$NB" addr add 198.51.100.2/24 dev "${P}y"
ip -n "$NA" link set "${P}x" up
ip -n "$NB" link set "${P}y" up
ip -n "$NA" link set lo up
ip -n "$NB" link set lo up

# server (namespace b): TCP reads to EOF then answers 3000 bytes; UDP takes
# one 700-byte datagram and answers 300 bytes.
cat >server.py <<'EOF'
import socket, sys
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("198.51.100.2", 5001)); t.listen(1)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("198.51.100.2", 5002))
open(sys.argv[1], "w").close()
t.settimeout(20); u.settimeout(20)
c, _ = t.accept(); c.settimeout(20)
n = 0
while True:
    b = c.recv(65536)
    if not b: break
    n += len(b)
c.sendall(b"s" * 3000); c.close()
d, peer = u.recvfrom(65536); u.sendto(b"u" * 300, peer)
print(n, len(d))
EOF
# client (namespace a): 12345 bytes over TCP, reads the answer; 700 bytes over
# a connected UDP socket (so its local address is known for pairing).
cat >client.py <<'EOF'
import socket
s = socket.create_connection(("198.51.100.2", 5001), timeout=20)
s.sendall(b"c" * 12345); s.shutdown(socket.SHUT_WR)
n = 0
while True:
    b = s.recv(65536)
    if not b: break
    n += len(b)
s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(20)
u.connect(("198.51.100.2", 5002)); u.send(b"v" * 700); d = u.recv(65536)
print(n, len(d))
EOF
# the same exchange in the recorder's own namespace (loopback): recorded by neither
cat >noise.py <<'EOF'
import socket
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
s = socket.create_connection(l.getsockname(), timeout=10); c, _ = l.accept()
s.sendall(b"x" * 4321); c.recv(65536); s.close(); c.close()
EOF

wait_ready() {
    i=0
    while ! grep -q "recording to" "$1" 2>/dev/null && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
    grep -q "recording to" "$1"
}

# the server listens before recording starts: the rundown (a socket table
# dump inside namespace b) must find its listening socket and process
ip netns exec "$NB" python3 server.py ready >server.out 2>&1 &
srv=$!
pids=$srv
i=0
while [ ! -e ready ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
"$REC" -o a.pfcap --netns "$NA" --host host-a -s 1 2>a.err &
ra=$!
"$REC" -o b.pfcap --netns "/run/netns/$NB" --host host-b -s 1 2>b.err &
rb=$!
pids="$ra $rb $srv"
if ! wait_ready a.err || ! wait_ready b.err; then
    cat a.err b.err
    if grep -q "snapshot-only" a.err; then echo "skip: eBPF unavailable"; exit 77; fi
    echo "FAIL recorders did not start"
    exit 1
fi
ip netns exec "$NA" python3 client.py >client.out 2>&1
python3 noise.py
wait $srv
pids="$ra $rb"
sleep 1.3
kill -INT $ra $rb
wait $ra
rca=$?
wait $rb
rcb=$?
pids=
check "recorders exit 0 ($rca $rcb)" [ "$rca" = 0 ] && [ "$rcb" = 0 ]
check "server saw 12345 and 700 bytes ($(cat server.out))" [ "$(cat server.out)" = "12345 700" ]
check "client saw 3000 and 300 bytes ($(cat client.out))" [ "$(cat client.out)" = "3000 300" ]

ina=$(ip netns exec "$NA" stat -L -c %i /proc/self/ns/net)
inb=$(ip netns exec "$NB" stat -L -c %i /proc/self/ns/net)
"$A" ingest a.pfcap b.pfcap -d ab.db --quiet || fail=1

# each file: one host, one namespace, every flow of it
check "host names from --host" [ "$(q ab.db "select group_concat(host, '+') from (select host from captures order by host)")" = "host-a+host-b" ]
for h in a b; do
    eval "want=\$in$h"
    got=$(q ab.db "select group_concat(distinct coalesce(f.netns, 'NULL')) from flows f join captures c using (capture_id) where c.host = 'host-$h'")
    check "host-$h: every flow in namespace $want ($got)" [ "$got" = "$want" ]
done
check "no loopback flow recorded ($(q ab.db "select count(*) from flows where local_addr like '127.%'"))" \
    [ "$(q ab.db "select count(*) from flows where local_addr like '127.%'")" = 0 ]
row() {
    q ab.db "select f.bytes_sent || ' ' || f.bytes_recv from flows f join captures c using (capture_id)
             where c.host = '$1' and f.proto = '$2' and f.local_addr = '$3' and f.local_port $4 and f.remote_addr = '$5' and f.remote_port $6"
}
check "host-a: TCP client 12345 sent, 3000 received" [ "$(row host-a tcp 198.51.100.1 '> 0' 198.51.100.2 '= 5001')" = "12345 3000" ]
check "host-a: UDP client 700 sent, 300 received" [ "$(row host-a udp 198.51.100.1 '> 0' 198.51.100.2 '= 5002')" = "700 300" ]
check "host-b: TCP server 3000 sent, 12345 received" [ "$(row host-b tcp 198.51.100.2 '= 5001' 198.51.100.1 '> 0')" = "3000 12345" ]
check "host-b: UDP server 300 sent, 700 received" [ "$(row host-b udp 198.51.100.2 '= 5002' 198.51.100.1 '> 0')" = "300 700" ]
# socket tables are dumped inside each namespace: no row of ours (sshd, loopback ...)
check "snapshots only of the namespaces ($(q ab.db "select count(*) from snapshots"))" \
    [ "$(q ab.db "select count(*) from snapshots where local_addr not like '198.51.100.%'")" = 0 ]
check "rundown snapshot of the server's listening socket in host-b" \
    [ "$(q ab.db "select count(*) from snapshots s join captures c using (capture_id) where c.host = 'host-b' and s.local_port = 5001 and s.state = 'LISTEN'")" -ge 1 ]
for h in a b; do
    eval "want=\$in$h"
    check "host-$h: snapshot rows of namespace $want" \
        [ "$(q ab.db "select group_concat(distinct coalesce(s.netns, 'NULL')) from snapshots s join captures c using (capture_id) where c.host = 'host-$h'")" = "$want" ]
done
check "no notice about socket tables" [ "$(cat a.err b.err | grep -c 'socket table')" = 0 ]
check "host-a holds no server end" [ "$(q ab.db "select count(*) from flows f join captures c using (capture_id) where c.host = 'host-a' and f.local_addr = '198.51.100.2'")" = 0 ]
check "host-b holds no client end" [ "$(q ab.db "select count(*) from flows f join captures c using (capture_id) where c.host = 'host-b' and f.local_addr = '198.51.100.1'")" = 0 ]
check "server process (from the rundown) carries namespace b" \
    [ "$(q ab.db "select count(*) from processes p join captures c using (capture_id) where c.host = 'host-b' and p.comm = 'python3' and p.netns = $inb")" -ge 1 ]
check "client process carries namespace a" \
    [ "$(q ab.db "select count(*) from processes p join captures c using (capture_id) where c.host = 'host-a' and p.comm = 'python3' and p.netns = $ina")" -ge 1 ]
conv=$(q ab.db "select count(*) from conversations v join flows cf on cf.flow_id = v.client_flow_id join flows sf on sf.flow_id = v.server_flow_id
                where cf.bytes_sent = sf.bytes_recv and cf.bytes_recv = sf.bytes_sent and v.client_host_id <> v.server_host_id")
check "both conversations paired across the two hosts ($conv)" [ "$conv" = 2 ]

# --cgroup: a client inside a child cgroup talks to a server outside it over
# loopback; only the client's end is recorded.
CGROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -z "$CGROOT" ] || ! mkdir "$CGROOT/$P" 2>/dev/null; then
    echo "skip part: no writable cgroup v2 (--cgroup not tested)"
else
    CG=$CGROOT/$P
    cat >cgsrv.py <<'EOF'
import socket, sys
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
open(sys.argv[1], "w").write(str(l.getsockname()[1]))
l.settimeout(20); c, _ = l.accept(); c.settimeout(20)
n = 0
while n < 5555:
    b = c.recv(65536)
    if not b: break
    n += len(b)
c.sendall(b"r" * 777); c.close()
EOF
    cat >cgcli.py <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(open(sys.argv[1]).read())), timeout=20)
s.sendall(b"q" * 5555)
n = 0
while n < 777:
    b = s.recv(65536)
    if not b: break
    n += len(b)
s.close()
EOF
    "$REC" -o cg.pfcap --cgroup "/$P" -s 0 2>cg.err &
    rc_=$!
    pids=$rc_
    wait_ready cg.err || { cat cg.err; echo "FAIL cgroup recorder did not start"; exit 1; }
    python3 cgsrv.py port &
    srv=$!
    pids="$rc_ $srv"
    i=0
    while [ ! -s port ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
    sh -c 'echo $$ >"$1/cgroup.procs" && exec python3 cgcli.py port' sh "$CG"
    wait $srv
    sleep 1.3
    kill -INT $rc_
    wait $rc_
    pids=
    port=$(cat port)
    "$A" ingest cg.pfcap -d cg.db --quiet || fail=1
    check "cgroup: client end 5555 sent, 777 received" \
        [ "$(q cg.db "select bytes_sent || ' ' || bytes_recv from flows where proto = 'tcp' and remote_port = $port")" = "5555 777" ]
    check "cgroup: server end (outside the cgroup) not recorded" \
        [ "$(q cg.db "select count(*) from flows where local_port = $port")" = 0 ]
    check "cgroup: every process recorded is in it" \
        [ "$(q cg.db "select count(*) from processes where cgroup is null or (cgroup <> '/$P' and cgroup not like '/$P/%')")" = 0 ]
fi
exit $fail
