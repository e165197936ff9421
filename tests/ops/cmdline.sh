#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Long command lines are recorded whole, or visibly marked (issue 10 item 6):
#  - the /proc rundown (its buffer holds 2047 bytes) records a 5000-byte
#    command line whole (--no-ebpf: no root needed);
#  - exec events (the kernel copies 511 bytes) record a 6000-byte command
#    line whole, read from /proc (eBPF: root);
#  - one over the 1 MiB cap is cut there and ends with " [truncated]";
#  - a short-lived process with a long command line is recorded whole or
#    marked, never silently cut.
# Only the test's own processes are looked at (unique markers, pids).
# Usage: cmdline.sh RECORDER ANALYZER WORKDIR
set -u
R=$1 A=$2 WORK=$3
rm -rf "$WORK"; mkdir -p "$WORK" || exit 1
cd "$WORK" || exit 1
fail=0
check() { # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fail=1; fi
}
KIDS=()
# the long-lived ones run in their own process group (setsid): end it whole
cleanup() { for k in "${KIDS[@]}"; do kill -- "-$k" 2>/dev/null || kill "$k" 2>/dev/null; done; }
rec=
trap 'cleanup; [ -z "$rec" ] || kill -INT "$rec" 2>/dev/null' EXIT
CUT=" [truncated]"
# args N WORD: N space-separated copies of WORD
args() { local i; for ((i = 0; i < $1; i++)); do printf '%s ' "$2"; done; }
# joined PID: /proc/PID/cmdline as recorded (NULs -> spaces, no trailing)
joined() { tr '\0' ' ' </proc/$1/cmdline | sed 's/ *$//'; }
# recorded DB PID: the command line the DB holds for PID (the longest row)
recorded() { "$A" query -d "$1" "select cmdline from processes where pid=$2 order by length(cmdline) desc limit 1" \
               --format csv --raw | tail -n +2 | sed 's/^"//; s/"$//'; }

# --- rundown ---------------------------------------------------------------
marker=pfcmd-rundown-$$
# shellcheck disable=SC2046
setsid bash -c 'sleep 30; :' "$marker" $(args 500 abcdefghi) &
KIDS+=($!); kid=$!
sleep 0.2
want=$(joined $kid)
# an argument boundary (NUL) exactly at the end of the 2047-byte buffer:
# "bash\0-c\0sleep 30; :\0MARKER\0PAD\0" with the NUL after PAD at 2046
edge=pfcmd-edge-$$
pad=$(head -c $((2046 - 21 - ${#edge})) /dev/zero | tr '\0' 'p')
# shellcheck disable=SC2046
setsid bash -c 'sleep 30; :' "$edge" "$pad" $(args 300 abcdefghi) &
KIDS+=($!); ekid=$!
sleep 0.2
ewant=$(joined $ekid)
"$R" -o run.pfcap --no-ebpf -s 0 -d 0.3 --pid $kid,$ekid -q || fail=1
"$A" ingest run.pfcap -d run.db -q || fail=1
got=$(recorded run.db $kid)
echo "figure: rundown command line: ${#want} bytes, recorded ${#got}"
check "rundown: a ${#want}-byte command line is recorded whole (${#got})" [ "$got" = "$want" -a ${#want} -gt 4000 ]
got=$(recorded run.db $ekid)
check "rundown: one with an argument boundary at the buffer's end, whole (${#ewant}, ${#got})" \
  [ "$got" = "$ewant" -a ${#ewant} -gt 4000 ]

if [ "$(id -u)" != 0 ] || [ ! -r /sys/kernel/btf/vmlinux ]; then
  echo "SKIP: exec events need root and BTF"
  [ $fail = 0 ] && exit 77
  exit $fail
fi

# --- exec events -----------------------------------------------------------
"$R" -o ev.pfcap -s 0 -q 2>ev.err &
rec=$!
for _ in $(seq 1 200); do [ -e ev.pfcap.partial ] && break; sleep 0.05; done
sleep 1
marker=pfcmd-exec-$$
# shellcheck disable=SC2046
setsid bash -c 'sleep 30; :' "$marker" $(args 600 abcdefghi) &
KIDS+=($!); long=$!
# one over the cap: 10 arguments of 120 KiB
big=$(head -c 122880 /dev/zero | tr '\0' 'x')
# shellcheck disable=SC2046
setsid bash -c 'sleep 30; :' "$marker-big" $(args 10 "$big") &
KIDS+=($!); huge=$!
# short-lived: gone at once
# shellcheck disable=SC2046
/bin/true "$marker-short" $(args 600 abcdefghi) &
short=$!
wait $short
sleep 2
kill -INT $rec; wait $rec; rc=$?; rec=
check "recorder exits 0 ($rc)" [ $rc -eq 0 ]
"$A" ingest ev.pfcap -d ev.db -q || fail=1
want=$(joined $long)
got=$(recorded ev.db $long)
echo "figure: exec command line: ${#want} bytes, recorded ${#got}"
check "exec: a ${#want}-byte command line is recorded whole (${#got})" [ "$got" = "$want" -a ${#want} -gt 5000 ]
got=$(recorded ev.db $huge)
want=$(joined $huge)
cap=$((1 << 20))
echo "figure: exec command line over the cap: ${#want} bytes, recorded ${#got}"
check "exec: a ${#want}-byte command line is cut at 1 MiB and marked (${#got})" \
  [ ${#got} -eq $((cap + ${#CUT})) -a "${got:$cap}" = "$CUT" -a "${got:0:$cap}" = "${want:0:$cap}" ]
got=$(recorded ev.db $short)
want="/bin/true $marker-short $(args 600 abcdefghi)"
want=${want% }
echo "figure: short-lived process: ${#want} bytes, recorded ${#got}"
if [ "$got" = "$want" ]; then
  echo "ok   short-lived: recorded whole (${#got})"
else
  pre=${got%"$CUT"}
  check "short-lived: not whole, so marked and a true beginning (${#got})" \
    [ "$pre" != "$got" -a "${want:0:${#pre}}" = "$pre" ]
fi
exit $fail
