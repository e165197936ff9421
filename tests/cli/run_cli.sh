#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run_cli.sh ANALYZE RECORD PFGEN SAMPLE EXPECTED WORK FIGURES
# Runs both programs as a user would and compares stdout, stderr and the
# exit status of each case with exact expectations.
set -u
A=$1 REC=$2 PFGEN=$3 SAMPLE=$4 EXP=$5 W=$6 FIG=${7:-}
rm -rf "$W" && mkdir -p "$W/tmp" || exit 1
cd "$W" || exit 1
export TMPDIR="$W/tmp" TZ=UTC
fails=0 cases=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# run NAME CMD...: stdout in out.txt, stderr in err.txt, status in $rc
run() {
  local name=$1; shift
  cases=$((cases + 1))
  "$@" >out.txt 2>err.txt </dev/null; rc=$?
  last=$name
}
expect_rc() { [ "$rc" -eq "$1" ] || fail "$last: exit $rc, expected $1 (stderr: $(head -c 300 err.txt))"; }
expect_err() { [ "$(cat err.txt)" = "$1" ] || fail "$last: stderr '$(cat err.txt)', expected '$1'"; }
expect_out() { [ "$(cat out.txt)" = "$1" ] || fail "$last: stdout '$(head -c 600 out.txt)', expected '$1'"; }
expect_no_err() { [ ! -s err.txt ] || fail "$last: unexpected stderr '$(head -c 300 err.txt)'"; }

# golden NAME: out.txt equals expected/NAME (UPDATE=1 rewrites it)
golden() {
  if [ "${UPDATE:-0}" = 1 ]; then cp out.txt "$EXP/$1"; return; fi
  cmp -s out.txt "$EXP/$1" || { fail "$last: differs from $EXP/$1"; diff "$EXP/$1" out.txt | head -20; }
}

# ---------------------------------------------------------------- --help
run "help" "$A" --help; expect_rc 0; expect_no_err; golden help-analyze.txt
for sub in ingest report query info verify convert html export; do
  run "$sub --help" "$A" $sub --help; expect_rc 0; expect_no_err; golden help-$sub.txt
  run "$sub -h" "$A" $sub -h; expect_rc 0; golden help-$sub.txt
  grep -q '^  130  interrupted' out.txt || fail "$sub --help: no exit status table"
done
run "no command" "$A"; expect_rc 2
if [ -n "$REC" ]; then
  run "record --help" "$REC" --help; expect_rc 0; expect_no_err; golden help-record.txt
fi

# ---------------------------------------------------------------- --version
run "version" "$A" --version; expect_rc 0; expect_no_err
grep -Eq '^procflow-analyze [0-9]+\.[0-9]+\.[0-9]+ \(SQLite ' out.txt || fail "version: $(cat out.txt)"
if [ -n "$REC" ]; then
  run "record --version" "$REC" --version; expect_rc 0; expect_out "procflow-record 0.1.0"
fi

# ---------------------------------------------------------------- option errors
run "missing -d value" "$A" ingest -d
expect_rc 2; expect_err "procflow-analyze ingest: option -d needs a value"
run "missing --db value" "$A" query --db
expect_rc 2; expect_err "procflow-analyze query: option --db needs a value"
run "unknown option" "$A" info --bogus x.pfcap
expect_rc 2; expect_err "procflow-analyze info: unknown option --bogus (--help lists the options)"
run "value to a flag" "$A" verify --help=yes
expect_rc 2; expect_err "procflow-analyze verify: option --help takes no value"
run "--bucket abc" "$A" ingest x.pfcap -d x.db --bucket abc
expect_rc 2; expect_err "procflow-analyze ingest: --bucket: 'abc' is not a bucket width (like 1s, 100ms, 1m; at least 1us)"
[ ! -e x.db ] || fail "--bucket abc: created x.db"
run "--format xml" "$A" report summary -d x.db --format xml
expect_rc 2; expect_err "procflow-analyze report: --format: 'xml' is not a format (table, line, csv or json)"
run "html --top abc" "$A" html -d x.db -o r.html --top abc
expect_rc 2; expect_err "procflow-analyze html: --top: 'abc' is not a number of processes (0-100000)"
run "export --what foo" "$A" export --format csv -d x.db -o e.csv --what foo
expect_rc 2; expect_err "procflow-analyze export: --what: 'foo' is not flows or bytes"
run "export --format xml" "$A" export --format xml -d x.db -o e.xml
expect_rc 2; expect_err "procflow-analyze export: --format: 'xml' is not an export format (chrome-trace, csv, jsonl or zeek)"
run "info --format xml" "$A" info --format=xml "$SAMPLE"
expect_rc 2; expect_err "procflow-analyze info: --format: 'xml' is not a format of info (text or json)"
if [ -n "$REC" ]; then
  run "record --rotate-size abc" "$REC" -o r.pfcap --rotate-size abc
  expect_rc 2; expect_err "procflow-record: --rotate-size: 'abc' is not a size (megabytes, 1 or more)"
  run "record -o" "$REC" -o
  expect_rc 2; expect_err "procflow-record: option -o needs a value"
  run "record --duration x" "$REC" -o r.pfcap --duration=x
  expect_rc 2; expect_err "procflow-record: --duration: 'x' is not a number of seconds"
  mkdir -p rdir
  run "record -o DIR" "$REC" -o rdir --force
  expect_rc 2; expect_err "procflow-record: rdir: is a directory; -o needs a file name"
  run "record -o - rotating" "$REC" -o - --rotate-time 5
  expect_rc 2; expect_err "procflow-record: -o - (standard output) cannot rotate"
fi

# ---------------------------------------------------------------- database for the rest
run "ingest" "$A" ingest "$SAMPLE" -d t.db -q; expect_rc 0; expect_no_err
run "--db= and --format=" "$A" query --db=t.db --format=csv "SELECT count(*) AS n FROM flows"
expect_rc 0; expect_out $'n\n13'

# ---------------------------------------------------------------- parameter validation
run "by=foo" "$A" report timeline -d t.db --param by=foo
expect_rc 2; expect_err "procflow-analyze: parameter by: 'foo' is not one of process|flow"
run "port 70000" "$A" report who-owned -d t.db -p addr=192.0.2.1 -p port=70000
expect_rc 2; expect_err "procflow-analyze: parameter port: '70000' is not a port (0-65535)"
run "listeners port -1" "$A" report listeners -d t.db -p port=-1
expect_rc 2; expect_err "procflow-analyze: parameter port: '-1' is not a port (0-65535)"
run "proto sctp" "$A" report top-remotes -d t.db -p proto=sctp
expect_rc 2; expect_err "procflow-analyze: parameter proto: 'sctp' is not one of tcp|udp|icmp|icmpv6|raw|packet"
run "unknown param" "$A" report top-talkers -d t.db -p colour=red
expect_rc 2; expect_err "procflow-analyze: report top-talkers has no parameter 'colour'"
run "param without =" "$A" report top-talkers -d t.db -p limit
expect_rc 2; expect_err "procflow-analyze report: --param: 'limit' is not KEY=VALUE"
run "proto udp" "$A" report top-remotes -d t.db -p proto=udp --format csv; expect_rc 0; expect_no_err

# ---------------------------------------------------------------- query reads only
run "VACUUM INTO" "$A" query -d t.db "VACUUM INTO 'copy.db'"
expect_rc 2; [ ! -e copy.db ] || fail "VACUUM INTO wrote copy.db"
grep -q 'query only reads the database' err.txt || fail "VACUUM INTO: $(cat err.txt)"
run "ATTACH" "$A" query -d t.db "ATTACH 'other.db' AS o"
expect_rc 2; [ ! -e other.db ] || fail "ATTACH created other.db"
run "INSERT" "$A" query -d t.db "INSERT INTO meta(key, value) VALUES ('x', 'y')"; expect_rc 2
run "DELETE" "$A" query -d t.db "DELETE FROM flows"; expect_rc 2
run "CREATE TEMP" "$A" query -d t.db "CREATE TEMP TABLE x(a)"; expect_rc 2
run "pragma write" "$A" query -d t.db "PRAGMA user_version = 7"; expect_rc 2
run "pragma call" "$A" query -d t.db "PRAGMA wal_checkpoint"; expect_rc 2
run "load_extension" "$A" query -d t.db "SELECT load_extension('x')"; expect_rc 2
run "pragma read" "$A" query -d t.db --format csv "PRAGMA user_version"; expect_rc 0
run "flows intact" "$A" query -d t.db --format csv "SELECT count(*) FROM flows"; expect_out $'count(*)\n13'
run "bad SQL" "$A" query -d t.db "SELEC 1"; expect_rc 2

# ---------------------------------------------------------------- query SQL from stdin
cases=$((cases + 1))
out=$(echo "SELECT 40 + 2 AS answer" | "$A" query -d t.db --format csv); rc=$?
[ $rc -eq 0 ] && [ "$out" = $'answer\n42' ] || fail "query from stdin: $rc '$out'"
out=$(echo "SELECT 1 AS one" | "$A" query -d t.db - --format csv); rc=$?
[ $rc -eq 0 ] && [ "$out" = $'one\n1' ] || fail "query - from stdin: $rc '$out'"

# ---------------------------------------------------------------- headers and formats
run "summary headers" "$A" report summary -d t.db
head -1 out.txt | grep -Eq '^host +platform +recordings +files +started +ended +span +processes' || fail "summary header: $(head -1 out.txt)"
run "summary --raw" "$A" report summary -d t.db --raw
head -1 out.txt | grep -Eq 'started_ns +ended_ns +span_dur_ns' || fail "raw header: $(head -1 out.txt)"
grep -Eq '12007[0-9]{6}' out.txt || fail "raw span value: $(sed -n 3p out.txt)"
run "line format" "$A" query -d t.db --format line --utc \
  "SELECT 1 AS id, 'x' AS name, 1795463698000000000 AS first_ns, 1500000000 AS span_dur_ns UNION ALL SELECT 2, 'yy', 0, 0"
expect_rc 0
expect_out "   id = 1
 name = x
first = 2026-11-23 19:54:58.000Z
 span = 1.500 s

   id = 2
 name = yy
first = 1970-01-01 00:00:00.000Z
 span = 0 ns"
run "json times" "$A" query -d t.db --format json \
  "SELECT 1795463698123456789 AS first_ns, -1 AS last_ns, 5 AS gap_dur_ns, 'a' AS t"
expect_rc 0
expect_out '[
{"first_ns":1795463698123456789,"first_time":"2026-11-23T19:54:58.123456789Z","last_ns":-1,"last_time":"1969-12-31T23:59:59.999999999Z","gap_dur_ns":5,"t":"a"}
]'
run "wide characters" "$A" query -d t.db "SELECT '日本' AS a, 1 AS b UNION ALL SELECT 'abcd', 22"
expect_rc 0
expect_out "a      b
----  --
日本   1
abcd  22
(2 rows)"

# ---------------------------------------------------------------- info --format json
run "info json" "$A" info --format json "$SAMPLE"
expect_rc 0; expect_no_err
python3 - out.txt <<'EOF' || fail "info json: not the expected document"
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, list) and len(d) == 1, d
c = d[0]
assert c["format"] == "pfcap" and c["records"] == 126 and c["chunks_intact"] == 11 and c["chunks_damaged"] == 0, c
assert c["clean_close"] is True and c["host"] == "sample-host", c
assert c["first_record_time"].endswith("Z") and c["first_record_ns"] > 0, c
assert sum(c["records_by_type"].values()) == 126, c
EOF

# ---------------------------------------------------------------- exit codes
cp "$SAMPLE" damaged.pfcap
size=$(stat -c %s damaged.pfcap)
printf '\377\377\377\377\377\377\377\377' | dd of=damaged.pfcap bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
run "verify damaged" "$A" verify damaged.pfcap; expect_rc 1
grep -q 'DAMAGED' out.txt || fail "verify damaged: $(cat out.txt)"
run "info damaged" "$A" info damaged.pfcap; expect_rc 1
run "verify intact" "$A" verify "$SAMPLE"; expect_rc 0
run "verify missing" "$A" verify nosuch.pfcap; expect_rc 2
run "info missing" "$A" info nosuch.pfcap; expect_rc 2
run "ingest missing" "$A" ingest nosuch.pfcap -d t.db -q; expect_rc 2
run "no db" "$A" report summary -d nosuch.db; expect_rc 2

# ---------------------------------------------------------------- write errors
if [ -w /dev/full ]; then
  full() {
    cases=$((cases + 1))
    "$@" >/dev/full 2>err.txt </dev/null; rc=$?
    last="$* > /dev/full"
    expect_rc 1
    grep -q 'standard output: write error: No space left on device$' err.txt || fail "$last: stderr '$(cat err.txt)'"
  }
  full "$A" query -d t.db "SELECT * FROM flows"
  full "$A" query -d t.db --format csv "SELECT * FROM flows"
  full "$A" query -d t.db --format json "SELECT * FROM flows"
  full "$A" report summary -d t.db
  full "$A" report
  full "$A" info "$SAMPLE"
  full "$A" info --format json "$SAMPLE"
  full "$A" verify "$SAMPLE"
  full "$A" export --format csv -d t.db -o -
  full "$A" html -d t.db -o -
  full "$A" convert "$SAMPLE" -o -
  full "$A" --help
  full "$A" query --help
fi

# a full file system (a private tmpfs, filled up): output files
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1; then
  cat >full.sh <<'EOS'
A=$1 SAMPLE=$2
mkdir -p full && mount -t tmpfs -o size=64k,mode=0755 tmpfs full || exit 77
dd if=/dev/zero of=full/fill bs=4k 2>/dev/null
n=0
check() { # NAME OUT CMD...: exit 1, the error names OUT, no file left
  local name=$1 out=$2; shift 2
  "$@" >/dev/null 2>err.full; rc=$?
  msg="$(cat err.full)"
  case $msg in *"$out: write error: No space left on device"*) ;; *) echo "FAIL: $name: '$msg'"; n=$((n + 1)) ;; esac
  [ $rc -eq 1 ] || { echo "FAIL: $name: exit $rc"; n=$((n + 1)); }
}
check "export to a full disk" full/e.csv "$A" export --format csv --what bytes -d t.db -o full/e.csv
[ ! -e full/e.csv ] || { echo "FAIL: export left full/e.csv"; n=$((n + 1)); }
check "html to a full disk" full/r.html "$A" html -d t.db -o full/r.html
[ ! -e full/r.html ] || { echo "FAIL: html left full/r.html"; n=$((n + 1)); }
check "convert to a full disk" full/c.pfcap "$A" convert "$SAMPLE" -o full/c.pfcap
"$A" query -d t.db --format csv "SELECT * FROM bytes" >full/q.csv 2>err.full; rc=$?
[ $rc -eq 1 ] && grep -q 'standard output: write error: No space left on device' err.full ||
  { echo "FAIL: query > full disk: $rc $(cat err.full)"; n=$((n + 1)); }
umount full
exit $n
EOS
  cases=$((cases + 4))
  unshare -m --propagation private bash full.sh "$A" "$SAMPLE"; rc=$?
  [ $rc -eq 0 ] || [ $rc -eq 77 ] || fail "full file system: $rc case(s)"
fi

# ---------------------------------------------------------------- one rule for outputs
run "html new" "$A" html -d t.db -o r.html; expect_rc 0
run "html exists" "$A" html -d t.db -o r.html
expect_rc 2; expect_err "procflow-analyze html: r.html exists; use --force to overwrite it"
run "html --force" "$A" html -d t.db -o r.html --force; expect_rc 0
run "export exists" "$A" export --format zeek -d t.db -o r.html
expect_rc 2; expect_err "procflow-analyze export: r.html exists; use --force to overwrite it"
mkdir -p adir
run "convert -o DIR" "$A" convert "$SAMPLE" -o adir --force
expect_rc 2; expect_err "procflow-analyze convert: adir: is a directory; -o needs a file name"
run "html -o DIR" "$A" html -d t.db -o adir
expect_rc 2; expect_err "procflow-analyze html: adir: is a directory; -o needs a file name"
[ ! -e - ] || fail "a file named - was created"

# ---------------------------------------------------------------- - as input and output
cases=$((cases + 1))
"$A" convert "$SAMPLE" -o - 2>conv.err | "$A" verify - >out.txt 2>err.txt; rc=$?
[ $rc -eq 0 ] && [ "$(cat out.txt)" = "-: OK: 1 chunks, 126 records" ] || fail "convert -o - | verify -: $rc $(cat out.txt err.txt)"
[ "$(cat conv.err)" = "wrote 126 records" ] || fail "convert -o -: stderr $(cat conv.err)"
cases=$((cases + 1))
"$A" verify <(cat "$SAMPLE") >out.txt 2>err.txt; rc=$?
[ $rc -eq 0 ] && grep -q ': OK: 11 chunks, 126 records$' out.txt || fail "verify <(pipe): $rc $(cat out.txt err.txt)"
cases=$((cases + 1))
cat "$SAMPLE" | "$A" info - >out.txt 2>err.txt; rc=$?
[ $rc -eq 0 ] && grep -q '^Records: *126$' out.txt || fail "info -: $rc $(cat err.txt)"
cases=$((cases + 1))
cat "$SAMPLE" | "$A" convert - -o fromstdin.pfcap 2>err.txt; rc=$?
[ $rc -eq 0 ] && [ "$("$A" verify fromstdin.pfcap)" = "fromstdin.pfcap: OK: 1 chunks, 126 records" ] || fail "convert - -o FILE: $rc $(cat err.txt)"
cases=$((cases + 1))
cat "$SAMPLE" | "$A" ingest - -d s.db -q 2>err.txt; rc=$?
[ $rc -eq 0 ] && [ "$("$A" query -d s.db --format csv 'SELECT count(*) || path FROM flows JOIN captures USING (capture_id)' | tail -1)" = 13- ] || fail "ingest -: $rc $(cat err.txt)"
[ -z "$(ls "$TMPDIR")" ] || fail "spool files left in TMPDIR: $(ls "$TMPDIR")"
if [ -n "$REC" ]; then
  cases=$((cases + 1))
  timeout 30 "$REC" -o - --no-ebpf -q -d 1 -s 0 2>err.txt | cat >streamed.pfcap; rc=${PIPESTATUS[0]}
  [ $rc -eq 0 ] && "$A" verify streamed.pfcap | grep -q ': OK: .*records$' || fail "record -o -: $rc $(cat err.txt) $("$A" verify streamed.pfcap)"
  [ ! -e - ] && [ ! -e -.partial ] || fail "record -o - created a file named -"
fi

# ---------------------------------------------------------------- terminal: width, pager, progress
if command -v script >/dev/null 2>&1; then
  tty_run() { # COLS ROWS CMD: runs CMD on a pseudo-terminal of that size
    local cols=$1 rows=$2; shift 2
    script -qec "stty cols $cols rows $rows; $*" /dev/null </dev/null | tr -d '\r'
  }
  LONG="SELECT 'a-very-long-command-line-that-does-not-fit-' || x AS cmdline, x AS n FROM (SELECT 1 AS x UNION ALL SELECT 2)"
  cases=$((cases + 1))
  got=$(tty_run 30 24 "PAGER=cat '$A' query -d t.db \"$LONG\"")
  # the text column gives up columns until a row is 30 wide: 27 = 26 + …
  want=$(printf '%s\n' "cmdline                      n" "---------------------------  -" \
    "a-very-long-command-line-t…  1" "a-very-long-command-line-t…  2" "(2 rows)")
  [ "$got" = "$want" ] || fail "table fitted to 30 columns: got
$got"
  cases=$((cases + 1))
  got=$(tty_run 80 10 "PAGER='sed s/^/P:/' '$A' query -d t.db --format csv 'SELECT 1 AS x'")
  [ "$got" = $'x\n1' ] || fail "csv on a terminal went through the pager: $got"
  cases=$((cases + 1))
  got=$(tty_run 80 10 "PAGER='sed s/^/P:/' '$A' query -d t.db 'SELECT flow_id FROM flows'")
  [ "$(echo "$got" | grep -c '^P:')" = 16 ] || fail "long table not paged: $got"
  cases=$((cases + 1))
  got=$(tty_run 80 10 "PAGER='sed s/^/P:/' '$A' query -d t.db --no-pager 'SELECT flow_id FROM flows'")
  [ "$(echo "$got" | grep -c '^P:')" = 0 ] && [ "$(echo "$got" | wc -l)" = 16 ] || fail "--no-pager paged: $got"
  cases=$((cases + 1))
  got=$(tty_run 80 40 "PAGER='sed s/^/P:/' '$A' query -d t.db 'SELECT flow_id FROM flows'")
  [ "$(echo "$got" | grep -c '^P:')" = 0 ] || fail "short table paged: $got"
  # progress: on a terminal, for an input that takes over a second
  "$PFGEN" -o big.pfcap -n 800000 --seed 7 >/dev/null || fail "pfgen"
  cases=$((cases + 1))
  # the line appears from one second in; the test lowers that so a fast machine shows it too
  got=$(tty_run 100 24 "PROCFLOW_PROGRESS_AFTER_MS=0 '$A' ingest big.pfcap -d big.db" | tr '\r' '\n')
  echo "$got" | grep -Eq '^[0-9.]+ [KM]iB of [0-9.]+ MiB \([0-9]+%\), [0-9]+ records/s, [0-9]+ s left' ||
    fail "no progress line on a terminal: $got"
  cases=$((cases + 1))
  PROCFLOW_PROGRESS_AFTER_MS=0 "$A" ingest big.pfcap -d big2.db 2>err.txt; rc=$?
  [ $rc -eq 0 ] && ! grep -q 'records/s' err.txt || fail "progress printed to a file: $(head -c 300 err.txt)"
fi

# ---------------------------------------------------------------- bounded memory for big tables
cases=$((cases + 1))
python3 - "$A" t.db "$FIG" <<'EOF' || fail "streaming table memory"
import os, resource, subprocess, sys
a, db, fig = sys.argv[1:4]
n = 1200000
sql = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %d) "
       "SELECT x AS id, 'host-' || x AS name, x * 1000000000 AS first_ns FROM c" % n)
# sanitizer builds: no quarantine of freed memory, so RSS shows what is live
env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0")
p = subprocess.run([a, "query", "-d", db, sql], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
lines = p.stdout.count(b"\n")
ok = p.returncode == 0 and lines == n + 3 and p.stdout.endswith(b"(%d rows)\n" % n) and rss_kib < 64 * 1024
print("table of %d rows: %d lines, peak RSS %d KiB" % (n, lines, rss_kib))
if fig:
    with open(os.path.join(fig, "cli.commands.tsv"), "a") as f:
        f.write("cli\tpeak RSS of a %d-row table query (KiB)\t%d\n" % (n, rss_kib))
sys.exit(0 if ok else 1)
EOF

echo "$cases cases, $fails failed"
[ $fails -eq 0 ]
