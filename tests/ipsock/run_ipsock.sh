#!/bin/sh
# SPDX-License-Identifier: MIT
# ICMP (ping sockets), raw IP and packet sockets recorded per process, end to
# end: two network namespaces joined by a veth pair (documentation
# addresses), the recorder running in the first one's network namespace,
# traffic from ping (raw ICMP socket, then ping sockets v4 and v6), rawpeer
# (raw IP protocol 253, v4 and v6) and packetpeer (AF_PACKET, EtherType
# 0x88b5); the capture is ingested and every flow checked with exact bytes
# and packets each way, its peer, proto and proto_num; the sockets open
# before the recording are in its rundown snapshot.
# Usage: run_ipsock.sh RECORDER ANALYZER RAWPEER PACKETPEER WORKDIR [per-call]
set -u
REC=$1 ANA=$2 RAWP=$3 PKTP=$4 WORK=$5
MODE=""
[ "${6:-}" = per-call ] && MODE=--per-call

if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root for eBPF and network namespaces"; exit 77; fi
if [ ! -r /sys/kernel/btf/vmlinux ]; then echo "SKIP: no kernel BTF"; exit 77; fi
for t in ip ping nsenter sqlite3; do
  command -v $t >/dev/null || { echo "SKIP: $t missing (scripts/deps.sh installs it)"; exit 77; }
done

P=pfip$$
NA=${P}a NB=${P}b
rm -rf "$WORK"; mkdir -p "$WORK" || exit 1
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null; done
  ip netns del $NA 2>/dev/null
  ip netns del $NB 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*"; status=1; }
status=0

ip netns add $NA && ip netns add $NB || { echo "SKIP: cannot create network namespaces"; exit 77; }
ip link add ${P}x netns $NA type veth peer name ${P}y netns $NB || exit 1
ip -n $NA link set lo up; ip -n $NB link set lo up
ip -n $NA addr add 192.0.2.1/24 dev ${P}x; ip -n $NB addr add 192.0.2.2/24 dev ${P}y
ip -n $NA addr add 2001:db8::1/64 dev ${P}x nodad; ip -n $NB addr add 2001:db8::2/64 dev ${P}y nodad
ip -n $NA link set ${P}x up; ip -n $NB link set ${P}y up
# Unprivileged ping sockets refused at first (the default): ping falls back to a raw socket.
ip netns exec $NA sysctl -q net.ipv4.ping_group_range="1 0"

# A process that stays in namespace B for the whole run, as a container's
# init would: the recorder reads B's packet table through it.
ip netns exec $NB sleep 120 & pids="$pids $!"

inA() { ip netns exec $NA "$@"; }
inB() { ip netns exec $NB "$@"; }

# Sockets opened before the recording starts (its rundown must list them),
# their traffic after the go file appears.
ip netns exec $NB "$RAWP" serve 4 253 5 40 >"$WORK/serve4.out" 2>&1 & pids="$pids $!"
ip netns exec $NB "$RAWP" serve 6 253 5 40 >"$WORK/serve6.out" 2>&1 & pids="$pids $!"
ip netns exec $NB "$PKTP" serve ${P}y 88b5 4 70 >"$WORK/pserve.out" 2>&1 & pids="$pids $!"
ip netns exec $NA "$RAWP" ask 4 253 192.0.2.2 5 100 "$WORK/go" >"$WORK/ask4.out" 2>&1 & ask4=$!; pids="$pids $!"
ip netns exec $NA "$PKTP" ask ${P}x 88b5 4 120 "$WORK/go" >"$WORK/pask.out" 2>&1 & pask=$!; pids="$pids $!"
i=0
while ! grep -q pid "$WORK/ask4.out" 2>/dev/null || ! grep -q pid "$WORK/pask.out" 2>/dev/null; do
  i=$((i + 1)); [ $i -gt 200 ] && { echo "peers did not start"; cat "$WORK"/*.out; exit 1; }
  sleep 0.05
done

nsenter --net=/var/run/netns/$NA "$REC" $MODE -o "$WORK/cap.pfcap" >"$WORK/rec.out" 2>"$WORK/rec.err" &
rec=$!; pids="$pids $rec"
i=0
while ! grep -q "recording to" "$WORK/rec.err" 2>/dev/null; do
  i=$((i + 1))
  if [ $i -gt 400 ] || ! kill -0 $rec 2>/dev/null; then echo "recorder did not start:"; cat "$WORK/rec.err"; exit 1; fi
  sleep 0.05
done
if grep -q "snapshot-only" "$WORK/rec.err"; then echo "SKIP: eBPF unavailable:"; cat "$WORK/rec.err"; exit 77; fi

ip netns exec $NA ping -4 -c 3 -i 0.2 -W 2 192.0.2.2 >"$WORK/ping-raw.out" 2>&1 & ping_raw=$!
wait $ping_raw || fail "ping (raw socket) failed: $(cat "$WORK/ping-raw.out")"
inA sysctl -q net.ipv4.ping_group_range="0 2147483647"
ip netns exec $NA ping -4 -c 2 -i 0.2 -W 2 192.0.2.2 >"$WORK/ping4.out" 2>&1 & ping4=$!
wait $ping4 || fail "ping (ping socket) failed: $(cat "$WORK/ping4.out")"
ip netns exec $NA ping -6 -c 4 -i 0.2 -W 2 2001:db8::2 >"$WORK/ping6.out" 2>&1 & ping6=$!
wait $ping6 || fail "ping -6 (ping socket) failed: $(cat "$WORK/ping6.out")"
touch "$WORK/go"
wait $ask4 || fail "rawpeer ask 4: $(cat "$WORK/ask4.out")"
wait $pask || fail "packetpeer ask: $(cat "$WORK/pask.out")"
ip netns exec $NA "$RAWP" ask 6 253 2001:db8::2 5 100 >"$WORK/ask6.out" 2>&1 & ask6=$!
wait $ask6 || fail "rawpeer ask 6: $(cat "$WORK/ask6.out")"
sleep 1.5
kill -INT $rec; wait $rec || fail "recorder exit status $?"
cat "$WORK/rec.err"

"$ANA" ingest "$WORK/cap.pfcap" -d "$WORK/cap.db" >"$WORK/ingest.out" 2>&1 || { cat "$WORK/ingest.out"; exit 1; }
q() { sqlite3 -separator ' ' "$WORK/cap.db" "$1"; }
# One line per flow of a process: proto proto_num family local_port remote sent recv sends recvs direction
flows_of() {
  q "SELECT f.proto, f.proto_num, f.family, coalesce(f.local_port, '-'), coalesce(f.remote_addr, '-'),
            coalesce(f.remote_port, '-'), f.bytes_sent, f.bytes_recv, f.sends, f.recvs, f.direction
     FROM flows f JOIN processes p USING (process_id) WHERE p.pid = $1 ORDER BY f.first_ns"
}
expect() { # pid-label pid expected-lines
  got=$(flows_of "$2")
  if [ "$got" != "$3" ]; then fail "$1 (pid $2): expected
$3
got
$got"; else echo "ok: $1: $got"; fi
}
pid_of() { sed -n 's/^pid //p' "$1" | head -1; }
# this run's pings only (another test may ping at the same time): those in
# namespace A, by the netns the capture records for each process
NA_INO=$(stat -L -c %i "/run/netns/$NA")
comm_pid() { # the ping runs: pids from the capture, by order of start
  q "SELECT pid FROM processes WHERE comm = 'ping' AND netns = $NA_INO ORDER BY start_ns" | sed -n "${1}p"
}

# ping over a raw ICMP socket: 64-byte echo requests out, 84-byte replies in (IP header included)
expect "ping, raw ICMP socket" "$(comm_pid 1)" "raw 1 4 - 192.0.2.2 - 192 252 3 3 out"
# ping sockets: the ICMP message both ways; the local port is the echo identifier
ident=$(q "SELECT f.local_port FROM flows f JOIN processes p USING (process_id) WHERE p.pid = $(comm_pid 2)")
expect "ping, ICMP ping socket" "$(comm_pid 2)" "icmp 1 4 $ident 192.0.2.2 - 128 128 2 2 out"
ident6=$(q "SELECT f.local_port FROM flows f JOIN processes p USING (process_id) WHERE p.pid = $(comm_pid 3)")
expect "ping -6, ICMPv6 ping socket" "$(comm_pid 3)" "icmpv6 58 6 $ident6 2001:db8::2 - 256 256 4 4 out"
# raw IP protocol 253: IPv4 receives carry the 20-byte header, IPv6 receives do not
expect "rawpeer ask 4" "$(pid_of "$WORK/ask4.out")" "raw 253 4 - 192.0.2.2 - 500 300 5 5 out"
expect "rawpeer serve 4" "$(pid_of "$WORK/serve4.out")" "raw 253 4 - 192.0.2.1 - 200 600 5 5 in"
expect "rawpeer ask 6" "$(pid_of "$WORK/ask6.out")" "raw 253 6 - 2001:db8::2 - 500 200 5 5 out"
expect "rawpeer serve 6" "$(pid_of "$WORK/serve6.out")" "raw 253 6 - 2001:db8::1 - 200 500 5 5 in"
# AF_PACKET datagram sockets: payload bytes, no IP endpoints; proto_num is the EtherType
expect "packetpeer ask" "$(pid_of "$WORK/pask.out")" "packet 34997 0 - - - 480 280 4 4 out"
expect "packetpeer serve" "$(pid_of "$WORK/pserve.out")" "packet 34997 0 - - - 280 480 4 4 in"

# Packet sockets have no release event: the recorder sees them closed when
# their namespace's packet table no longer lists them (at the next flush,
# well before the recording ends), and the flow ends at its last call.
if [ -z "$MODE" ]; then
  for f in pask pserve; do
    pid=$(pid_of "$WORK/$f.out")
    got=$(q "SELECT f.closed, f.last_ns <= p.exit_ns, f.last_ns > f.first_ns FROM flows f JOIN processes p USING (process_id)
             WHERE p.pid = $pid AND f.proto = 'packet'")
    [ "$got" = "1 1 1" ] && echo "ok: packetpeer $f: closed, last call before its exit" ||
      fail "packetpeer $f (pid $pid): closed, last_ns <= exit_ns, last_ns > first_ns: '$got', want '1 1 1'"
  done
fi

# The sockets open at the start are in the rundown (the recorder's namespace: A).
snap=$(q "SELECT s.proto, s.proto_num, s.family, coalesce(s.local_addr, '-'), s.pid FROM snapshots s
          WHERE s.pid IN ($(pid_of "$WORK/ask4.out"), $(pid_of "$WORK/pask.out")) ORDER BY s.ts_ns, s.proto LIMIT 2")
want="packet 34997 0 - $(pid_of "$WORK/pask.out")
raw 253 4 0.0.0.0 $(pid_of "$WORK/ask4.out")"
[ "$snap" = "$want" ] && echo "ok: rundown: $snap" || fail "rundown snapshot: expected
$want
got
$snap"
grep -q "no sock_diag for raw sockets" "$WORK/rec.err" && echo "note: raw sockets came from /proc/net/raw"

# The reports show them.
"$ANA" report top-talkers -d "$WORK/cap.db" >"$WORK/top-talkers.txt" 2>&1 || fail "report top-talkers"
"$ANA" report top-remotes -d "$WORK/cap.db" -p proto=icmpv6 >"$WORK/top-remotes.txt" 2>&1 || fail "report top-remotes -p proto=icmpv6: $(cat "$WORK/top-remotes.txt")"
grep -q "2001:db8::2" "$WORK/top-remotes.txt" || fail "top-remotes --proto icmpv6 lacks the peer: $(cat "$WORK/top-remotes.txt")"
exit $status
