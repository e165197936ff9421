#!/bin/sh
# SPDX-License-Identifier: MIT
# DNS answers follow --netns: two network namespaces, each with its own DNS
# server (dns_server.py on a documentation address of its loopback) and a
# client that resolves a different name with getaddrinfo (over UDP, and over
# TCP with RES_OPTIONS=use-vc) and connects; one recorder per namespace runs
# at the same time, and a third one with --netns of the first and --cgroup
# of a child cgroup the second client of that namespace runs in. Each capture
# must hold exactly its own namespace's (and cgroup's) lookups.
# Usage: run_dns_netns.sh RECORDER ANALYZER WORKDIR. Exit 77 = cannot run here.
set -u
REC=$1 A=$2 W=$3
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -r /sys/kernel/btf/vmlinux ] || { echo "SKIP: no kernel BTF"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: no ip (iproute2)"; exit 77; }

tag=pfdn$$
na=${tag}a nb=${tag}b
rm -rf "$W" && mkdir -p "$W" || exit 1
recs="" cg=""
cleanup() {
  for r in $recs; do kill -INT "$r" 2>/dev/null && wait "$r" 2>/dev/null; done
  touch "$W/stop-a" "$W/stop-b"
  ip netns del "$na" 2>/dev/null
  ip netns del "$nb" 2>/dev/null
  rm -rf "/etc/netns/$na" "/etc/netns/$nb"
  [ -n "$cg" ] && rmdir "$cg" 2>/dev/null
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }

ip netns add "$na" && ip netns add "$nb" || { echo "SKIP: cannot create network namespaces"; exit 77; }
# namespace a: server 192.0.2.53, namespace b: server 198.51.100.53, both on
# the namespace's own loopback (names answered: see dns_server.py)
for x in "$na 192.0.2.53" "$nb 198.51.100.53"; do
  set -- $x
  ip -n "$1" link set lo up && ip -n "$1" addr add "$2/32" dev lo || fail "address $2 in $1"
  mkdir -p "/etc/netns/$1" && printf 'nameserver %s\noptions timeout:2 attempts:2\n' "$2" >"/etc/netns/$1/resolv.conf"
done
# the addresses the clients connect to after resolving, local in each namespace
ip -n "$na" addr add 192.0.2.80/32 dev lo && ip -n "$na" addr add 198.51.100.80/32 dev lo || fail "service a"
ip -n "$nb" addr add 192.0.2.80/32 dev lo && ip -n "$nb" addr add 198.51.100.80/32 dev lo || fail "service b"

ip netns exec "$na" python3 "$HERE/dns_server.py" 192.0.2.53 "$W/ready-a" "$W/stop-a" 2>"$W/server-a.err" &
ip netns exec "$nb" python3 "$HERE/dns_server.py" 198.51.100.53 "$W/ready-b" "$W/stop-b" 2>"$W/server-b.err" &
i=0
while [ ! -e "$W/ready-a" ] || [ ! -e "$W/ready-b" ]; do
  i=$((i + 1)); [ $i -gt 200 ] && { cat "$W"/server-*.err; fail "DNS servers did not start"; }
  sleep 0.05
done

# a child cgroup for the third recorder (skipped part without cgroup v2)
cgroot=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -n "$cgroot" ] && mkdir "$cgroot/$tag" 2>/dev/null; then cg=$cgroot/$tag; fi

start() { # name, args...
  n=$1; shift
  "$REC" -o "$W/$n.pfcap" "$@" 2>"$W/$n.err" &
  recs="$recs $!"
}
start a --netns "$na" --host host-a
start b --netns "/run/netns/$nb" --host host-b
[ -n "$cg" ] && start c --netns "$na" --cgroup "/$tag" --host host-c
for n in a b ${cg:+c}; do
  i=0
  while ! grep -q "recording to" "$W/$n.err" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 400 ] && { cat "$W/$n.err"; fail "recorder $n did not start"; }
    sleep 0.05
  done
  if grep -q "snapshot-only\|DNS answers are not recorded" "$W/$n.err"; then
    cat "$W/$n.err"; echo "SKIP: the kernel hooks DNS needs are missing"; exit 77
  fi
done

cat >"$W/client.py" <<'PY'
import os, socket, sys
print(os.getpid(), flush=True)
name = sys.argv[1]
addr = [i[4] for i in socket.getaddrinfo(name, 8080, socket.AF_INET, socket.SOCK_STREAM)][0]
s = socket.create_connection(addr, timeout=5)
s.sendall(b"hi")
s.recv(16)
s.close()
PY
# namespace a: www (UDP), then tcp (TCP) from inside the child cgroup;
# namespace b: alias (UDP), then tcp (TCP)
a_udp=$(ip netns exec "$na" python3 "$W/client.py" www.example.test) || fail "client a udp"
if [ -n "$cg" ]; then
  # joined before `ip netns exec`, which mounts a /sys of its own
  a_tcp=$(RES_OPTIONS=use-vc sh -c 'echo $$ >"$1/cgroup.procs" && exec ip netns exec "$2" python3 "$3" tcp.example.test' \
    sh "$cg" "$na" "$W/client.py") || fail "client a tcp"
else
  a_tcp=$(RES_OPTIONS=use-vc ip netns exec "$na" python3 "$W/client.py" tcp.example.test) || fail "client a tcp"
fi
b_udp=$(ip netns exec "$nb" python3 "$W/client.py" alias.example.test) || fail "client b udp"
b_tcp=$(RES_OPTIONS=use-vc ip netns exec "$nb" python3 "$W/client.py" tcp.example.test) || fail "client b tcp"
sleep 1.3 # the once-a-second flush
for r in $recs; do kill -INT "$r"; wait "$r" || fail "recorder exit"; done
recs=""

rows() { # capture name: its lookups as "client qname qtype addr proto server"
  "$A" ingest "$W/$1.pfcap" -d "$W/$1.db" --quiet || fail "ingest $1"
  "$A" query -d "$W/$1.db" --format csv "SELECT CASE p.pid WHEN $a_udp THEN 'a_udp' WHEN $a_tcp THEN 'a_tcp'
        WHEN $b_udp THEN 'b_udp' WHEN $b_tcp THEN 'b_tcp' ELSE 'other' END AS client,
        d.qname, d.qtype, coalesce(d.addr, 'none') AS addr, d.proto, d.server_addr
      FROM dns d JOIN processes p ON p.process_id = d.process_id ORDER BY 1, 2, 3" | sed 1d
}
check() { # capture name, expected rows
  got=$(rows "$1")
  [ "$got" = "$2" ] || fail "capture $1: dns rows:
$got
want:
$2"
}
check a "a_tcp,tcp.example.test,A,198.51.100.80,tcp,192.0.2.53
a_udp,www.example.test,A,192.0.2.80,udp,192.0.2.53"
check b "b_tcp,tcp.example.test,A,198.51.100.80,tcp,198.51.100.53
b_udp,alias.example.test,A,192.0.2.80,udp,198.51.100.53"
names=$("$A" query -d "$W/a.db" --format csv "SELECT remote_name FROM flows WHERE remote_port = 8080 ORDER BY first_ns" | sed 1d | tr '\n' ' ')
[ "$names" = "www.example.test tcp.example.test " ] || fail "capture a: flow names '$names'"
if [ -n "$cg" ]; then
  check c "a_tcp,tcp.example.test,A,198.51.100.80,tcp,192.0.2.53"
  echo "dns-netns: each namespace's lookups in its own capture, the cgroup's alone in the third"
else
  echo "dns-netns: each namespace's lookups in its own capture (no cgroup v2: --cgroup part not run)"
fi
