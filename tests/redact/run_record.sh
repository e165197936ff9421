#!/bin/sh
# SPDX-License-Identifier: MIT
# procflow-record --redact on loopback traffic with known ground truth:
# the capture matches trafficgen's truth exactly once the truth's addresses
# are mapped with the same key (so bytes, calls and peers survive
# redaction), 127.0.0.0/8 addresses are replaced, command lines and the host
# name are gone, and the file says how it was redacted.
# Usage: run_record.sh RECORDER TRAFFICGEN PFCHECK REDACT_TOOL WORKDIR [ANALYZE]
# Exit 77 = cannot run here (needs root and kernel BTF).
set -u
REC=$1 GEN=$2 CHECK=$3 T=$4 W=$5 A=${6:-}
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root for eBPF"; exit 77; fi
if [ ! -r /sys/kernel/btf/vmlinux ]; then echo "SKIP: no kernel BTF"; exit 77; fi
rm -rf "$W" && mkdir -p "$W" || exit 1
fail=0
check() { # NAME CONDITION...
  name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fail=1; fi
}
SPEC="cmdline,user,host,addr=127.0.0.0/8"
printf 'procflow redaction test key 0001' >"$W/key"
chmod 600 "$W/key"

"$GEN" --truth "$W/truth.txt" --ready "$W/ready" --go "$W/go" 2>"$W/gen.err" &
gen=$!
i=0
while [ ! -e "$W/ready" ]; do
  i=$((i + 1)); [ $i -gt 400 ] && { echo "generator not ready"; kill $gen; exit 1; }
  sleep 0.05
done
"$REC" -o "$W/cap.pfcap" --snapshot-interval 1 --redact="$SPEC" --redact-key "$W/key" 2>"$W/rec.err" &
rec=$!
i=0
while ! grep -q "recording to" "$W/rec.err" 2>/dev/null; do
  i=$((i + 1))
  if [ $i -gt 400 ] || ! kill -0 $rec 2>/dev/null; then
    echo "recorder did not start:"; cat "$W/rec.err"; touch "$W/go"; wait $gen; exit 1
  fi
  sleep 0.05
done
if grep -q "snapshot-only" "$W/rec.err"; then
  echo "SKIP: eBPF unavailable:"; cat "$W/rec.err"
  kill -INT $rec; touch "$W/go"; wait $rec; wait $gen; exit 77
fi
touch "$W/go"
wait $gen; grc=$?
sleep 1.5 # the once-a-second aggregate flush
kill -INT $rec
wait $rec; rrc=$?
cat "$W/rec.err"
check "generator exit 0" [ $grc -eq 0 ]
check "recorder exit 0" [ $rrc -eq 0 ]
check "recorder announces the redaction" grep -q "redacting cmdline,user,host,addr=127.0.0.0/8 key=" "$W/rec.err"

# Map the truth's addresses with the same key and spec: exact match.
"$T" text "$W/key" "$SPEC" <"$W/truth.txt" >"$W/truth-redacted.txt" || fail=1
check "loopback addresses of the truth are mapped" sh -c "! cmp -s '$W/truth.txt' '$W/truth-redacted.txt'"
"$CHECK" "$W/cap.pfcap" "$W/truth-redacted.txt" >"$W/check.out" 2>&1; rc=$?
check "capture matches the mapped truth exactly (bytes, calls, peers)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || tail -20 "$W/check.out"
"$CHECK" "$W/cap.pfcap" "$W/truth.txt" >/dev/null 2>&1
check "capture does not match the unmapped truth" [ $? -ne 0 ]

"$CHECK" --dump "$W/cap.pfcap" >"$W/cap.dump"
check "no 127.0.0.1 left" sh -c "! grep -q '127\\.0\\.0\\.1[:]' '$W/cap.dump'"
check "loopback pseudonyms stay in 127/8" grep -q " 127\.[0-9]*\.[0-9]*\.[0-9]*:" "$W/cap.dump"
# every non-empty command line is a pseudonym
bad=$(grep ' process ' "$W/cap.dump" | grep -o 'cmdline="[^"]*"' | grep -v '^cmdline=""$' |
      grep -vc 'redacted: [0-9a-f]\{12\}\]"$')
check "every command line replaced ($bad left)" [ "$bad" -eq 0 ]
"$T" scan "$W/cap.pfcap" "$W/truth.txt" "$W/key" "--truth" >"$W/scan.out"; rc=$?
check "no command-line argument of the workload or recorder in the file" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$W/scan.out"
check "the file says it was redacted" grep -q 'hostinfo redaction=cmdline,user,host,addr=127.0.0.0/8 key=' "$W/cap.dump"

if [ -n "$A" ]; then
  "$A" info "$W/cap.pfcap" >"$W/info.txt"
  check "header host name replaced" grep -q "^Host: *host-[0-9a-f]\{12\}$" "$W/info.txt"
  check "header says it was redacted" grep -q "^Redacted: *cmdline,user,host,addr=127.0.0.0/8 key=" "$W/info.txt"
  h=$(hostname)
  check "real host name not in the header" sh -c "! grep -q '^Host: *$h\$' '$W/info.txt'"
  "$A" ingest -q "$W/cap.pfcap" -d "$W/cap.db" || fail=1
  n=$("$A" query -d "$W/cap.db" --format csv \
      "SELECT count(*) FROM processes WHERE user IS NOT NULL AND user <> '' AND user <> 'root' AND user NOT LIKE 'user-%'" | tail -1)
  check "user names are root or pseudonyms ($n others)" [ "$n" = 0 ]
fi
exit $fail
