#!/bin/sh
# SPDX-License-Identifier: MIT
# Capture integrity and OS errors through the command line: a chunk cut out
# or repeated, two captures concatenated, and the OS reason for files that
# cannot be opened; one definition of record count and span everywhere.
# Usage: cli_integrity.sh ANALYZE PFGEN WORKDIR SAMPLES_DIR
set -u
A=$1 GEN=$2 W=$3 S=$4
command -v python3 >/dev/null || { echo "SKIP: python3 needed for block surgery"; exit 77; }
rm -rf "$W"; mkdir -p "$W" || exit 1
cd "$W" || exit 1
fail=0
check() { # check NAME CONDITION...
  name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fail=1; fi
}
eq() { [ "$1" = "$2" ] || { echo "     got:      $1"; echo "     expected: $2"; return 1; }; }

# --- OS reasons
"$A" info nosuch.pfcap >out 2>err; rc=$?
check "info missing file exits 2" [ $rc -eq 2 ]
check "info missing file names the OS reason" eq "$(cat err)" "nosuch.pfcap: cannot open: No such file or directory"
mkdir adir
"$A" info adir >out 2>err; rc=$?
check "info directory exits 2" [ $rc -eq 2 ]
check "info directory names the OS reason" eq "$(cat err)" "adir: cannot open: Is a directory"
"$A" verify adir >out 2>err; rc=$?
check "verify directory exits 2" [ $rc -eq 2 ]
check "verify directory names the OS reason" eq "$(cat out)" "adir: cannot open: Is a directory"
"$A" ingest nosuch.pfcap -d t.db >out 2>err; rc=$?
check "ingest missing file names the OS reason" \
  eq "$(cat err)" "procflow-analyze: nosuch.pfcap: cannot open: No such file or directory"
rm -f t.db

# --- block surgery: list chunk blocks, cut one, repeat one
"$GEN" -o g.pfcap -n 3000 --chunk-bytes 8192 >/dev/null 2>&1 || exit 1
cat >surgery.py <<'PY'
import struct, sys
def chunks(d):
    off, out = 8, []
    while off + 16 <= len(d):
        t, n = struct.unpack_from('<II', d, off)
        if t == 2:
            seq, = struct.unpack_from('<Q', d, off + 8)
            recs, = struct.unpack_from('<I', d, off + 8 + 24)
            out.append((off, n, seq, recs))
        off += n
    return out
op, src, dst, k = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
d = open(src, 'rb').read()
off, n, seq, recs = chunks(d)[k]
if op == 'cut': d = d[:off] + d[off + n:]
elif op == 'dup': d = d[:off + n] + d[off:]
open(dst, 'wb').write(d)
print(recs)
PY
lost=$(python3 surgery.py cut g.pfcap cut.pfcap 5)
python3 surgery.py dup g.pfcap dup.pfcap 3 >/dev/null

"$A" verify g.pfcap >out 2>&1; rc=$?
check "intact file verifies" eq "$rc $(cat out)" "0 g.pfcap: OK: 18 chunks, 3000 records"

"$A" verify cut.pfcap >out 2>&1; rc=$?
check "chunk cut out: verify exits 1" [ $rc -eq 1 ]
check "chunk cut out: verify names it" grep -q "^cut.pfcap: offset [0-9]*: chunk 5: chunk 5 missing" out
check "chunk cut out: verify counts it" \
  grep -q "DAMAGED: still readable: 17 chunks, $((3000 - lost)) records; 1 chunk(s) damaged" out
"$A" info cut.pfcap >out 2>&1
check "chunk cut out: info counts it" grep -q "^Chunks: *17 intact, 1 damaged" out
"$A" ingest -q cut.pfcap -d cut.db 2>/dev/null
"$A" query -d cut.db "select records, chunks_damaged from captures" --format csv >out 2>&1
check "chunk cut out: summary counts it" eq "$(tail -1 out)" "$((3000 - lost)),1"

"$A" verify dup.pfcap >out 2>&1; rc=$?
check "repeated chunk: verify exits 1" [ $rc -eq 1 ]
check "repeated chunk: verify names it" grep -q "chunk 3 at offset [0-9]* repeats a chunk already read; skipped" out
"$A" info dup.pfcap >out 2>&1
check "repeated chunk: info counts it" grep -q "^Chunks: *18 intact, 1 damaged" out
"$A" ingest -q dup.pfcap -d dup.db 2>/dev/null
"$A" query -d dup.db "select records from captures" --format csv >out 2>&1
check "repeated chunk: never counted twice" eq "$(tail -1 out)" "3000"
"$A" query -d dup.db "select count(*) from processes" --format csv >p1 2>&1
"$A" ingest -q g.pfcap -d g.db 2>/dev/null
"$A" query -d g.db "select count(*) from processes" --format csv >p2 2>&1
"$A" query -d dup.db "select sum(bytes_sent) from flows" --format csv >b1 2>&1
"$A" query -d g.db "select sum(bytes_sent) from flows" --format csv >b2 2>&1
check "repeated chunk: same bytes as the intact file" cmp -s b1 b2

# --- time parameters: @N is seconds (GNU date), impossible values named
"$A" report timeline -d g.db --param from=9999-01-01T00:00:00Z >out 2>err; rc=$?
check "year 9999 refused" eq "$rc $(cat err)" "2 procflow-analyze: parameter from: '9999-01-01T00:00:00Z' is outside the times nanoseconds since 1970 can hold (1677-09-21 to 2262-04-11)"
"$A" report timeline -d g.db --param to=2026-02-31 >out 2>err; rc=$?
check "2026-02-31 refused" eq "$rc $(cat err)" "2 procflow-analyze: parameter to: '2026-02-31': 2026-02 has no day 31"
"$A" report timeline -d g.db --param from=2026-01-01T00:00:00+99:99 >out 2>err; rc=$?
check "+99:99 refused" eq "$rc $(cat err)" "2 procflow-analyze: parameter from: '2026-01-01T00:00:00+99:99': +99:99 is not a UTC offset (-23:59 to +23:59)"
"$A" export --format csv -d g.db -o x.csv --from 9999-01-01T00:00:00Z >out 2>err; rc=$?
check "export --from year 9999 refused" eq "$rc $(cat err)" "2 procflow-analyze: --from: '9999-01-01T00:00:00Z' is outside the times nanoseconds since 1970 can hold (1677-09-21 to 2262-04-11)"
check "export --from year 9999 writes nothing" test ! -e x.csv
all=$("$A" report timeline -d g.db --format csv | wc -l)
late=$("$A" report timeline -d g.db --format csv --param from=@1767225605 | wc -l)
check "@SECONDS selects by seconds ($late of $all lines)" test "$late" -gt 1 -a "$late" -lt "$all"
iso=$("$A" report timeline -d g.db --format csv --param from=2026-01-01T00:00:05Z | wc -l)
check "@SECONDS equals the ISO time" eq "$late" "$iso"

# --- one record count and one span: verify, info and report summary agree
"$A" verify "$S/incident.pfcap" >out 2>&1
vrec=$(sed -n 's/.*OK: [0-9]* chunks, \([0-9]*\) records.*/\1/p' out)
"$A" info "$S/incident.pfcap" >out 2>&1
irec=$(sed -n 's/^Records: *//p' out)
ispan=$(sed -n 's/^Span: *//p' out)
"$A" ingest -q "$S/incident.pfcap" -d inc.db 2>/dev/null
"$A" report summary -d inc.db --format csv >out 2>&1
srec=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "records") c = i } NR > 1 { v = $c } END { print v }' out)
"$A" report summary -d inc.db >out 2>&1
sspan=$(sed -n 3p out | sed 's/.*+0000 *\([0-9.]* s\) .*/\1/')
check "records: verify, info, summary agree ($vrec $irec $srec)" eq "$vrec $irec $srec" "126 126 126"
check "span: info and summary agree ($ispan, $sspan)" eq "$ispan|$sspan" "12.007 s|12.007 s"

# --- concatenated captures
"$GEN" -o b.pfcap -n 500 --seed 7 --start-utc 4102444800000000000 >/dev/null 2>&1 || exit 1
cat g.pfcap b.pfcap >ab.pfcap
"$A" verify ab.pfcap >out 2>&1; rc=$?
check "concatenated: verify exits 1" [ $rc -eq 1 ]
check "concatenated: verify says so" \
  grep -q "^ab.pfcap: offset $(stat -c %s g.pfcap): chunk ?: another capture begins here (files concatenated)" out
"$A" info ab.pfcap >out 2>&1
check "concatenated: info says there is damage" grep -q "^Damage: *1 region(s)" out
"$A" ingest -q ab.pfcap -d ab.db 2>/dev/null
"$A" query -d ab.db "select records from captures" --format csv >out 2>&1
check "concatenated: only the first capture's records" eq "$(tail -1 out)" "3000"
"$A" query -d ab.db "select count(*) from flows where last_ns >= 4102444800000000000" --format csv >out 2>&1
check "concatenated: nothing of the second capture mixed in" eq "$(tail -1 out)" "0"

exit $fail
