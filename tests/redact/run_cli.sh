#!/bin/sh
# SPDX-License-Identifier: MIT
# convert --redact and export --redact on a capture full of known secrets:
# nothing of them is left (file bytes and decompressed chunks; export
# outputs), pseudonyms are stable for a key and differ between keys, the
# redacted capture ingests to the same flows and bytes, and both paths (the
# capture's records, the database's values) give the same pseudonyms.
# usage: run_cli.sh ANALYZE REDACT_TOOL PFDUMP WORKDIR
set -u
A=$1 T=$2 DUMP=$3 W=$4
rm -rf "$W" && mkdir -p "$W" || exit 1
fail=0
check() { # NAME CONDITION...
  name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fail=1; fi
}
secrets=$("$T" secrets)

"$T" mksecret "$W/orig.pfcap" || exit 1
# The scanner finds every secret in the original (else the checks below prove nothing).
n=$("$T" scan "$W/orig.pfcap" $secrets | grep -c '^found: ')
check "scanner finds all $(echo "$secrets" | wc -l) secrets in the original ($n)" [ "$n" -eq "$(echo "$secrets" | wc -l)" ]

printf '0123456789abcdef0123456789abcdef' >"$W/key1"
printf 'fedcba9876543210fedcba9876543210' >"$W/key2"
printf 'short' >"$W/short"
chmod 600 "$W/key1" "$W/key2" "$W/short" # keys must be private (below)

"$A" convert "$W/orig.pfcap" -o "$W/red.pfcap" --redact-key "$W/key1" 2>"$W/convert.err"; rc=$?
check "convert --redact-key exits 0" [ $rc -eq 0 ]
check "convert names what it redacted" grep -q "^redacted: cmdline,user,host,addr=10.0.0.0/8" "$W/convert.err"
"$T" scan "$W/red.pfcap" $secrets >"$W/red.scan"; rc=$?
check "no secret left in the redacted capture (bytes and chunks)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$W/red.scan"
"$DUMP" "$W/red.pfcap" >"$W/red.dump" 2>&1
for s in $secrets; do
  if grep -qF -- "$s" "$W/red.dump"; then echo "FAIL pfdump output holds $s"; fail=1; fi
done
check "command line replaced" grep -q 'cmdline="curl \[args redacted: [0-9a-f]\{12\}\]"' "$W/red.dump"
check "home directory replaced" grep -q 'exe="/home/user-[0-9a-f]\{12\}/bin/curl"' "$W/red.dump"
check "public address kept" grep -q -- "-> 8.8.8.8:53" "$W/red.dump"
check "loopback kept" grep -q -- "127.0.0.1:40002 -> 127.0.0.1:6379" "$W/red.dump"
check "unspecified address kept" grep -q "tcp4 0.0.0.0:80 -> 0.0.0.0:0" "$W/red.dump"
check "the file says it was redacted (record)" grep -q '^[0-9]* hostinfo "redaction"="cmdline,user,host,' "$W/red.dump"
"$A" info "$W/red.pfcap" >"$W/red.info"
check "the file says it was redacted (header)" grep -q "^Redacted: *cmdline,user,host,addr=10.0.0.0/8.* key=[0-9a-f]\{12\} key-source=file$" "$W/red.info"
check "host name replaced in the header" grep -q "^Host: *host-[0-9a-f]\{12\}$" "$W/red.info"
"$A" info "$W/orig.pfcap" >"$W/orig.info"
check "original has no Redacted line" sh -c "! grep -q '^Redacted:' '$W/orig.info'"
check "uuid replaced" sh -c "[ \"\$(grep '^UUID:' '$W/orig.info')\" != \"\$(grep '^UUID:' '$W/red.info')\" ]"

# stable for a key, different for another, random without one
"$A" convert "$W/orig.pfcap" -o "$W/red-again.pfcap" --redact-key "$W/key1" 2>/dev/null
check "same key: byte-identical output" cmp -s "$W/red.pfcap" "$W/red-again.pfcap"
"$A" convert "$W/orig.pfcap" -o "$W/red-k2.pfcap" --redact --redact-key "$W/key2" 2>/dev/null
"$DUMP" "$W/red-k2.pfcap" >"$W/red-k2.dump"
check "other key: other pseudonyms" sh -c "! cmp -s '$W/red.dump' '$W/red-k2.dump'"
h1=$(grep -o 'cmdline="curl[^"]*"' "$W/red.dump") h2=$(grep -o 'cmdline="curl[^"]*"' "$W/red-k2.dump")
check "other key: other command-line pseudonym ($h1 / $h2)" [ "$h1" != "$h2" ]
"$A" convert "$W/orig.pfcap" -o "$W/rnd1.pfcap" --redact 2>"$W/rnd.err"
"$A" convert "$W/orig.pfcap" -o "$W/rnd2.pfcap" --redact 2>/dev/null
check "no key: random key announced" grep -q "key-source=random" "$W/rnd.err"
check "no key: runs differ" sh -c "! cmp -s '$W/rnd1.pfcap' '$W/rnd2.pfcap'"
"$T" scan "$W/rnd1.pfcap" $secrets >/dev/null
check "no key: no secret left" [ $? -eq 0 ]
"$A" convert "$W/orig.pfcap" -o "$W/only-addr.pfcap" --redact=addr=8.8.8.0/24 --redact-key "$W/key1" 2>/dev/null
"$DUMP" "$W/only-addr.pfcap" >"$W/only-addr.dump"
check "--redact=LIST: only what is listed" grep -q 'cmdline="curl --user zelda' "$W/only-addr.dump"
check "--redact=LIST: that range mapped" sh -c "! grep -q -- '-> 8.8.8.8:53' '$W/only-addr.dump' && grep -q -- '-> 8.8.8.[0-9]*:53' '$W/only-addr.dump'"

# usage errors
"$A" convert "$W/orig.pfcap" -o "$W/x.pfcap" --redact=bogus 2>"$W/e1"; rc=$?
check "unknown item refused (exit 2)" [ $rc -eq 2 ]
check "unknown item named" grep -q "unknown redaction item 'bogus'" "$W/e1"
check "nothing written on a usage error" [ ! -e "$W/x.pfcap" ]
"$A" convert "$W/orig.pfcap" -o "$W/x.pfcap" --redact-key "$W/short" 2>"$W/e2"; rc=$?
check "short key refused (exit 2)" [ $rc -eq 2 ] && grep -q "fewer than 16" "$W/e2"
"$A" convert "$W/orig.pfcap" -o "$W/x.pfcap" --redact-key "$W/nonexistent" 2>"$W/e3"; rc=$?
check "missing key file refused (exit 2)" [ $rc -eq 2 ] && grep -q "cannot read the redaction key file" "$W/e3"
# a key others may read is refused, like ssh refuses such private keys
cp "$W/key1" "$W/open.key"
for mode in 644 640 604 620; do
  chmod $mode "$W/open.key"
  "$A" convert "$W/orig.pfcap" -o "$W/x.pfcap" --redact-key "$W/open.key" 2>"$W/e5"; rc=$?
  check "key file mode $mode refused (exit 2)" [ $rc -eq 2 ]
  check "... saying why and how to fix it" grep -q "open.key is readable or writable by others (mode 0$mode).*chmod 600" "$W/e5"
  check "... and nothing written" [ ! -e "$W/x.pfcap" ]
done
"$A" convert "$W/orig.pfcap" -o "$W/x.pfcap" --redact=addr=10.0.0.0/40 2>/dev/null; rc=$?
check "bad range refused (exit 2)" [ $rc -eq 2 ]

# the analyzer sees the same traffic
"$A" ingest -q "$W/orig.pfcap" -d "$W/orig.db" && "$A" ingest -q "$W/red.pfcap" -d "$W/red.db" || fail=1
q='SELECT count(*), sum(bytes_sent), sum(bytes_recv), sum(sends), sum(recvs), count(DISTINCT remote_addr),
          count(DISTINCT local_addr), count(DISTINCT local_addr || remote_addr), group_concat(direction) FROM
          (SELECT * FROM flows ORDER BY flow_id)'
"$A" query -d "$W/orig.db" --format csv "$q" >"$W/orig.counts"
"$A" query -d "$W/red.db" --format csv "$q" >"$W/red.counts"
check "same flows, bytes, calls and peers after redaction ($(tail -1 "$W/red.counts"))" cmp -s "$W/orig.counts" "$W/red.counts"
q2='SELECT direction, proto, family, local_port, remote_port, bytes_sent, bytes_recv FROM flows ORDER BY flow_id'
"$A" query -d "$W/orig.db" --format csv "$q2" >"$W/orig.flows"
"$A" query -d "$W/red.db" --format csv "$q2" >"$W/red.flows"
check "every flow keeps direction, ports and bytes" cmp -s "$W/orig.flows" "$W/red.flows"
"$A" query -d "$W/red.db" --format csv "SELECT count(*) FROM processes WHERE user LIKE 'user-%'" >"$W/users"
check "user names replaced in the database" [ "$(tail -1 "$W/users")" = 2 ]

# export --redact from the original database
for fmt in chrome-trace csv jsonl zeek; do
  "$A" export --format $fmt -d "$W/orig.db" -o "$W/exp.$fmt" --redact --redact-key "$W/key1"; rc=$?
  check "export --format $fmt --redact exits 0" [ $rc -eq 0 ]
  for s in $secrets; do
    if grep -qF -- "$s" "$W/exp.$fmt"; then echo "FAIL export $fmt holds $s"; fail=1; fi
  done
  "$A" export --format $fmt -d "$W/orig.db" -o "$W/plain.$fmt"
done
"$A" export --format csv --what bytes -d "$W/orig.db" -o "$W/exp.bytes.csv" --redact-key "$W/key1"
check "export without --redact is unchanged (holds the original addresses)" grep -q "10.9.8.7" "$W/plain.csv"
check "chrome-trace labels show redacted command lines" grep -q '"labels":"curl \[args redacted: [0-9a-f]*\]"' "$W/exp.chrome-trace"
# the two paths agree: redacting the capture, or the export of the original
"$A" export --format csv -d "$W/red.db" -o "$W/red.csv"
"$A" export --format csv --what bytes -d "$W/red.db" -o "$W/red.bytes.csv"
check "export --redact == export of the redacted capture (flows)" cmp -s "$W/exp.csv" "$W/red.csv"
check "export --redact == export of the redacted capture (bytes)" cmp -s "$W/exp.bytes.csv" "$W/red.bytes.csv"
"$A" export --format zeek -d "$W/orig.db" -o "$W/x.log" --redact=nope 2>"$W/e4"; rc=$?
check "export: unknown item refused (exit 2)" [ $rc -eq 2 ]
if command -v python3 >/dev/null 2>&1; then
  python3 -m json.tool "$W/exp.chrome-trace" >/dev/null
  check "redacted chrome trace is valid JSON" [ $? -eq 0 ]
fi

[ $fail -eq 0 ] && echo "all redaction CLI checks passed"
exit $fail
