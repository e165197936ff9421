#!/bin/sh
# SPDX-License-Identifier: MIT
# DNS names per flow, end to end: a DNS server written for the test
# (dns_server.py: names under example.test, documentation addresses) in one
# network namespace, clients in another that resolve with getaddrinfo (over
# UDP, and over TCP with RES_OPTIONS=use-vc) and connect; the recorder runs
# on the host. Checks the exact rows of the dns table, the name each flow
# carries, and the reports that show them.
# Usage: run_dns.sh RECORDER ANALYZER WORKDIR. Exit 77 = cannot run here.
set -u
REC=$1 A=$2 W=$3
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -r /sys/kernel/btf/vmlinux ] || { echo "SKIP: no kernel BTF"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: no ip (iproute2)"; exit 77; }

tag=pfd$$
nc=${tag}c ns=${tag}s
rm -rf "$W" && mkdir -p "$W" || exit 1
rec=""
cleanup() {
  [ -n "$rec" ] && kill -INT "$rec" 2>/dev/null && wait "$rec" 2>/dev/null
  touch "$W/stop"
  ip netns del "$nc" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  rm -rf "/etc/netns/$nc"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }

ip netns add "$nc" && ip netns add "$ns" || { echo "SKIP: cannot create network namespaces"; exit 77; }
ip link add "${tag}a" netns "$nc" type veth peer name "${tag}b" netns "$ns" || fail "veth"
ip -n "$nc" link set lo up && ip -n "$ns" link set lo up || fail "lo"
ip -n "$nc" addr add 192.0.2.1/24 dev "${tag}a" && ip -n "$nc" link set "${tag}a" up || fail "client address"
ip -n "$nc" route add 198.51.100.0/24 dev "${tag}a" || fail "route"
for a in 192.0.2.53/24 192.0.2.80/24 198.51.100.80/24; do
  ip -n "$ns" addr add "$a" dev "${tag}b" || fail "server address $a"
done
ip -n "$ns" link set "${tag}b" up || fail "server link"
# `ip netns exec` puts this file over /etc/resolv.conf for the clients
mkdir -p "/etc/netns/$nc" && printf 'nameserver 192.0.2.53\noptions timeout:2 attempts:2\n' >"/etc/netns/$nc/resolv.conf"

ip netns exec "$ns" python3 "$HERE/dns_server.py" 192.0.2.53 "$W/ready" "$W/stop" 2>"$W/server.err" &
i=0
while [ ! -e "$W/ready" ]; do
  i=$((i + 1)); [ $i -gt 200 ] && { cat "$W/server.err"; fail "DNS server did not start"; }
  sleep 0.05
done

"$REC" -o "$W/cap.pfcap" 2>"$W/rec.err" &
rec=$!
i=0
while ! grep -q "recording to" "$W/rec.err" 2>/dev/null; do
  i=$((i + 1))
  if [ $i -gt 400 ] || ! kill -0 "$rec" 2>/dev/null; then cat "$W/rec.err"; fail "recorder did not start"; fi
  sleep 0.05
done
if grep -q "snapshot-only\|DNS answers are not recorded" "$W/rec.err"; then
  cat "$W/rec.err"; echo "SKIP: the kernel hooks DNS needs are missing"; exit 77
fi

cat >"$W/client.py" <<'PY'
import os, socket, sys
print(os.getpid(), flush=True)
def go(name, family):
    infos = socket.getaddrinfo(name, 8080, family, socket.SOCK_STREAM)
    addr = [i[4] for i in infos if i[0] == socket.AF_INET][0]
    s = socket.create_connection(addr, timeout=5)
    s.sendall(b"hi")
    s.recv(16)
    s.close()
for arg in sys.argv[1:]:
    name, fam = arg.split(":")
    if name.startswith("nx."):
        try:
            socket.getaddrinfo(name, 8080, socket.AF_INET, socket.SOCK_STREAM)
            sys.exit("resolved a name that does not exist")
        except socket.gaierror:
            continue
    go(name, socket.AF_UNSPEC if fam == "any" else socket.AF_INET)
PY
udp_pid=$(ip netns exec "$nc" python3 "$W/client.py" www.example.test:any alias.example.test:4 nx.example.test:4) ||
  fail "UDP client"
tcp_pid=$(RES_OPTIONS=use-vc ip netns exec "$nc" python3 "$W/client.py" tcp.example.test:4) || fail "TCP client"
# by address, no lookup of its own: the name another process looked up last
num_pid=$(ip netns exec "$nc" python3 "$W/client.py" 192.0.2.80:4) || fail "client by address"
sleep 1.5 # the once-a-second flush
kill -INT "$rec"; wait "$rec" || { cat "$W/rec.err"; fail "recorder exit"; }
rec=""

"$A" ingest "$W/cap.pfcap" -d "$W/cap.db" --quiet || fail "ingest"
q() { "$A" query -d "$W/cap.db" --format csv "$1"; }

got=$(q "SELECT p.pid = $udp_pid AS udp_client, d.qname, d.qtype, d.rcode, coalesce(d.cname, 'none') AS cname,
                coalesce(d.addr, 'none') AS addr, coalesce(d.ttl, 'none') AS ttl, d.proto, d.server_addr, d.server_port, d.truncated
         FROM dns d JOIN processes p ON p.process_id = d.process_id
         WHERE p.pid IN ($udp_pid, $tcp_pid) AND d.qname LIKE '%.example.test'
         ORDER BY d.ts_ns, d.qtype")
want="udp_client,qname,qtype,rcode,cname,addr,ttl,proto,server_addr,server_port,truncated"
# glibc sends the A and AAAA questions of one lookup together: either may be answered first
for row in "1,www.example.test,A,NOERROR,none,192.0.2.80,300,udp,192.0.2.53,53,0" \
           "1,www.example.test,AAAA,NOERROR,none,2001:db8::80,600,udp,192.0.2.53,53,0" \
           "1,alias.example.test,A,NOERROR,www.example.test,192.0.2.80,300,udp,192.0.2.53,53,0" \
           "1,nx.example.test,A,NXDOMAIN,none,none,none,udp,192.0.2.53,53,0" \
           "0,tcp.example.test,A,NOERROR,none,198.51.100.80,60,tcp,192.0.2.53,53,0"; do
  want="$want
$row"
done
sorted() { printf '%s\n' "$1" | sort; }
[ "$(sorted "$got")" = "$(sorted "$want")" ] || fail "dns rows:
$got
want:
$want"
# order: www (A, AAAA in either order), then alias, nx, tcp
order=$(printf '%s\n' "$got" | sed 1d | cut -d, -f2 | uniq | tr '\n' ' ')
[ "$order" = "www.example.test alias.example.test nx.example.test tcp.example.test " ] || fail "lookup order: $order"

flows=$(q "SELECT p.pid = $udp_pid AS udp_client, f.remote_addr, f.remote_port, f.remote_name
           FROM flows f JOIN processes p ON p.process_id = f.process_id
           WHERE p.pid IN ($udp_pid, $tcp_pid) AND f.remote_port = 8080 ORDER BY f.first_ns")
want="udp_client,remote_addr,remote_port,remote_name
1,192.0.2.80,8080,www.example.test
1,192.0.2.80,8080,alias.example.test
0,198.51.100.80,8080,tcp.example.test"
[ "$flows" = "$want" ] || fail "flow names:
$flows
want:
$want"
other=$(q "SELECT f.remote_name FROM flows f JOIN processes p ON p.process_id = f.process_id
           WHERE p.pid = $num_pid AND f.remote_port = 8080" | sed 1d)
[ "$other" = alias.example.test ] || fail "flow of a process that looked nothing up: '$other', want alias.example.test"
nolookup=$(q "SELECT count(*) FROM dns d JOIN processes p ON p.process_id = d.process_id WHERE p.pid = $num_pid" | sed 1d)
[ "$nolookup" = 0 ] || fail "the client by address made $nolookup lookups"
# the connections to the DNS server itself name nothing
unnamed=$(q "SELECT count(*) AS n FROM flows f JOIN processes p ON p.process_id = f.process_id
             WHERE p.pid IN ($udp_pid, $tcp_pid) AND f.remote_port = 53 AND f.remote_name IS NULL" | sed 1d)
[ "$unnamed" -ge 2 ] || fail "flows to the DNS server: $unnamed unnamed, want at least 2 (one UDP, one TCP)"

# reports
"$A" report dns -d "$W/cap.db" --format csv --param pid="$udp_pid" >"$W/report-dns.csv" || fail "report dns"
grep -q '^[^,]*,[^,]*,'"$udp_pid"',python3,alias.example.test,A,NOERROR,www.example.test,192.0.2.80,' "$W/report-dns.csv" ||
  { cat "$W/report-dns.csv"; fail "report dns: no alias row"; }
"$A" report top-remotes -d "$W/cap.db" --format csv --param limit=1000 >"$W/top.csv" || fail "top-remotes"
grep -q '^[^,]*,198\.51\.100\.80,8080,.*,tcp\.example\.test$' "$W/top.csv" || { cat "$W/top.csv"; fail "top-remotes: no name"; }
"$A" report new-remotes -d "$W/cap.db" --format csv >"$W/new.csv" || fail "new-remotes"
grep -q ',198\.51\.100\.80,8080,tcp,.*,tcp\.example\.test$' "$W/new.csv" || { cat "$W/new.csv"; fail "new-remotes: no name"; }
"$A" report udp-peers -d "$W/cap.db" --format csv --param pid="$udp_pid" >"$W/udp.csv" || fail "udp-peers"
grep -q ',192\.0\.2\.53,53,' "$W/udp.csv" || { cat "$W/udp.csv"; fail "udp-peers: no DNS server peer"; }
"$A" report who-owned -d "$W/cap.db" --format csv --param addr=198.51.100.80 --param port=8080 >"$W/who.csv" ||
  fail "who-owned"
grep -q "^[^,]*,$tcp_pid,python3,lookup,tcp,.*,dns,.*,tcp\.example\.test$" "$W/who.csv" || { cat "$W/who.csv"; fail "who-owned: no lookup"; }
grep -q "^[^,]*,$tcp_pid,python3,remote,tcp,.*,flow,.*,tcp\.example\.test$" "$W/who.csv" || { cat "$W/who.csv"; fail "who-owned: flow without its name"; }
# exports and the HTML report
"$A" export -d "$W/cap.db" --format csv -o "$W/flows.csv" || fail "export csv"
grep -q ',198\.51\.100\.80,8080,.*,tcp\.example\.test$' "$W/flows.csv" || fail "csv export: no name"
"$A" export -d "$W/cap.db" --format chrome-trace --process "$tcp_pid" -o "$W/trace.json" || fail "export trace"
grep -q '"remote_name":"tcp\.example\.test"' "$W/trace.json" || fail "trace export: no name"
"$A" html -d "$W/cap.db" --process "$tcp_pid" -o "$W/report.html" || fail "html"
grep -q '198\.51\.100\.80:8080 (tcp\.example\.test)' "$W/report.html" || fail "html: no name beside the flow"
python3 -c 'import sys
h=open(sys.argv[1],encoding="utf-8").read()
d=h[h.index("<section id=\"dns\">"):]
d=d[:d.index("</section>")]
sys.exit(0 if "tcp.example.test" in d and "www.example.test" not in d else 1)' "$W/report.html" ||
  fail "html: the DNS section does not list the selected process's lookup alone"
echo "dns: 5 lookups and 4 named flows as expected"
