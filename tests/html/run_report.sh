#!/bin/sh
# SPDX-License-Identifier: MIT
# HTML report content: flow ends never after the process exit (aggregates
# are flushed later), UDP rows named as datagrams rather than connections,
# singular/plural counts, local time by default and UTC with --utc, and the
# stacked chart naming the programs that carry most bytes.
# usage: run_report.sh ANALYZE MKCAP PFGEN WORKDIR
set -u
A=$1 MK=$2 GEN=$3 W=$4
rm -rf "$W" && mkdir -p "$W" || exit 1
fail=0
"$MK" local "$W/local.pfcap" && "$A" ingest -q "$W/local.pfcap" -d "$W/local.db" || exit 1
# POSIX TZ strings need no tz database: UTC+05:30 without daylight saving
TZ=IST-5:30 "$A" html -d "$W/local.db" -o "$W/local.html" || exit 1
TZ=IST-5:30 "$A" html -d "$W/local.db" -o "$W/local-utc.html" --utc || exit 1

has() { # FILE TEXT WHAT
    grep -q -F -- "$2" "$1" || { echo "FAIL: $3: $(basename "$1") lacks: $2"; fail=1; }
}
lacks() {
    ! grep -q -F -- "$2" "$1" || { echo "FAIL: $3: $(basename "$1") has: $2"; fail=1; }
}
# one process's article, charts left out
article() { # FILE COMM
    python3 -c 'import re,sys
h=open(sys.argv[1],encoding="utf-8").read()
i=h.index("<h3>"+sys.argv[2]+" <small>")
print(re.sub(r"<svg.*?</svg>","",h[i:h.index("</article>",i)],flags=re.S))' "$1" "$2"
}
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not installed"; exit 77; }
article "$W/local-utc.html" beacon >"$W/beacon.txt" || exit 1
article "$W/local-utc.html" dnsd >"$W/dnsd.txt" || exit 1
article "$W/local-utc.html" client >"$W/client.txt" || exit 1

# beacon exited at 12:00:06.000; its aggregate was flushed at 12:00:06.800
has "$W/beacon.txt" '<tr><th>exited</th><td>2024-05-01 12:00:06.000Z (code 0)</td></tr>' "exit"
has "$W/beacon.txt" '<td class="num t" data-v="1714564806000000000">2024-05-01 12:00:06.000Z</td><td class="num" data-v="1000000000">1.000 s</td>' "flow end clamped to exit"
lacks "$W/beacon.txt" '06.800' "flush time shown"
python3 -c 'import sys
h=open(sys.argv[1],encoding="utf-8").read()
u=h[h.index("<section id=\"udp-peers\">"):]
u=u[:u.index("</section>")]
sys.exit(0 if "data-v=\"1714564806000000000\">2024-05-01 12:00:06.000Z</td><td></td></tr>" in u and "06.800" not in u else 1)' \
    "$W/local-utc.html" || { echo "FAIL: udp-peers table: beacon not last seen at its exit"; fail=1; }
# the timeline: last datagram, then exited, both at the exit
python3 - "$W/beacon.txt" <<'EOF' || fail=1
import re, sys
rows = re.findall(r'<tr><td class="num t" data-v="(\d+)">[^<]*</td><td>([^<]*)</td>', open(sys.argv[1]).read())
want = [("1714564800500000000", "started"), ("1714564805000000000", "first datagram to"),
        ("1714564806000000000", "last datagram"), ("1714564806000000000", "exited")]
if rows != want:
    print("FAIL: beacon timeline %r, expected %r" % (rows, want))
    sys.exit(1)
EOF
# UDP is not connected or closed; TCP is
has "$W/dnsd.txt" '<td>first datagram from</td><td>udp 127.0.0.1 port 42000</td>' "udp first"
has "$W/dnsd.txt" '<td>last datagram</td><td>udp 127.0.0.1 port 42000</td>' "udp last"
lacks "$W/dnsd.txt" '<td>connected</td>' "udp named connected"
lacks "$W/dnsd.txt" '<td>closed</td>' "udp named closed"
has "$W/client.txt" '<td>connected</td><td>tcp 127.0.0.1 port 8080</td>' "tcp connect"
has "$W/client.txt" '<td>closed</td><td>tcp 127.0.0.1 port 8080</td>' "tcp close"
# counts
has "$W/beacon.txt" '<h3>beacon <small>pid 700 &middot; 1 flow &middot;' "singular"
has "$W/client.txt" '<h3>client <small>pid 500 &middot; 3 flows &middot;' "plural"
# --utc and local time
has "$W/local-utc.html" 'Times are UTC.' "--utc footer"
has "$W/local-utc.html" '>12:00:06</text>' "--utc axis"
lacks "$W/local-utc.html" '+0530' "--utc"
has "$W/local.html" '<tr><th>exited</th><td>2024-05-01 17:30:06.000+0530 (code 0)</td></tr>' "local time"
has "$W/local.html" '>17:30:06</text>' "local axis"
has "$W/local.html" 'Time axis local time, 2024-05-01 17:30:02.000+0530 to 2024-05-01 17:30:07.000+0530' "local note"
lacks "$W/local.html" '.000Z' "local time"

# a large capture: the chart names the programs carrying >= 80 % of the
# bytes (pfgen spreads traffic over 14 program names)
"$GEN" -o "$W/gen.pfcap" -n 60000 --seed 11 --processes 300 >/dev/null && "$A" ingest -q "$W/gen.pfcap" -d "$W/gen.db" &&
    "$A" html -d "$W/gen.db" -o "$W/gen.html" || exit 1
python3 - "$W/gen.db" "$W/gen.html" <<'EOF' || fail=1
import re, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
tot = dict(db.execute("SELECT p.comm, sum(b.bytes_sent + b.bytes_recv) FROM bytes b "
                      "JOIN processes p USING (process_id) GROUP BY p.comm").fetchall())
h = open(sys.argv[2], encoding="utf-8").read()
sec = h[h.index('<section id="bandwidth">'):]
legend = re.findall(r'<li><span class="sw" style="background:[^"]*"></span>([^<]*)</li>', sec[:sec.index("</ul>")])
named = [re.sub(r" \((pid \d+|\d+ processes)\)$", "", l) for l in legend if l != "other programs"]
share = sum(tot[n] for n in named) / sum(tot.values())
# the fewest programs reaching 80 %, biggest first
order = sorted(tot, key=lambda c: (-tot[c], c))
need = next(i + 1 for i in range(len(order)) if sum(tot[c] for c in order[:i + 1]) >= 0.8 * sum(tot.values()))
if named != order[:max(need, 6)] or share < 0.8 or "other programs" not in legend:
    print("FAIL: chart names %r (%.1f %% of bytes), expected %r and other programs" % (named, 100 * share,
          order[:max(need, 6)]))
    sys.exit(1)
print("chart names %d of %d programs, %.1f %% of the bytes" % (len(named), len(tot), 100 * share))
EOF
[ $fail -eq 0 ] && echo "all report content checks passed"
exit $fail
