#!/bin/sh
# SPDX-License-Identifier: MIT
# Recorder privileges, by experiment:
#  - as root it drops to what the running recorder needs: /proc/PID/status
#    shows the reduced CapEff/CapPrm/CapBnd, no inheritable or ambient caps,
#    NoNewPrivs 1, and the capture still matches trafficgen's truth exactly;
#  - started with only the documented minimum set (setpriv) it records just
#    as completely, and without any one capability of that set it does not;
#  - CAP_DAC_OVERRIDE survives the drop only for an output directory that is
#    not writable without it.
# "Completely" = pfcheck passes and the sockets of two held ports, one of a
# root process with full capabilities and one of user nobody, carry their
# owner in snapshots taken after the drop.
# Usage: run_privs.sh RECORDER TRAFFICGEN PFCHECK HOLDPORT WORKDIR
# Exit 77 = cannot run here.
set -u
REC=$1 GEN=$2 CHECK=$3 HOLD=$4 WORK=$5
NAME=security_recorder_privs
MINSET="bpf perfmon net_admin sys_ptrace dac_read_search"

if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root"; exit 77; fi
if [ ! -r /sys/kernel/btf/vmlinux ]; then echo "SKIP: no kernel BTF"; exit 77; fi
command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) missing"; exit 77; }

capbit() {
  case $1 in
    dac_override) echo 1 ;; dac_read_search) echo 2 ;; setpcap) echo 8 ;; net_admin) echo 12 ;;
    sys_ptrace) echo 19 ;; perfmon) echo 38 ;; bpf) echo 39 ;;
  esac
}
mask() { m=0; for c in "$@"; do m=$((m | (1 << $(capbit "$c")))); done; echo $m; }
field() { awk -v k="$1:" '$1 == k { print $2 }' "$2"; }
hex() { printf '%016x' "$1"; }

BASE=$((0x$(field CapPrm /proc/self/status)))
MIN=$(mask $MINSET)
if [ $((BASE & MIN)) != "$MIN" ]; then echo "SKIP: this shell lacks part of: $MINSET"; exit 77; fi
KEEP=$((BASE & $(mask sys_ptrace dac_read_search)))

rm -rf "$WORK"; mkdir -p "$WORK" || exit 1
# The nobody-owned holder runs from a directory nobody can reach.
NB=$(mktemp -d) || exit 1
chmod 755 "$NB"; cp "$HOLD" "$NB/holdport"; chmod 755 "$NB/holdport"
trap 'rm -rf "$NB"' EXIT

# owned PID PORT DUMP: a snapshot after the rundown names PID as the owner
# of the socket listening on PORT.
owned() {
  awk -v pid="pid=$1" -v port=":$2" '
    $2 == "snapshot" && $3 == pid && substr($6, length($6) - length(port) + 1) == port {
      f = $NF; sub("flags=", "", f); if (int(f / 4) % 2 == 0) n++ }
    END { exit n ? 0 : 1 }' "$3"
}

wait_for() { # FILE PATTERN PID: until PATTERN is in FILE (or PID exits)
  i=0
  while ! grep -q "$2" "$1" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 400 ] || ! kill -0 "$3" 2>/dev/null; then return 1; fi
    sleep 0.05
  done
}

# record NAME [WRAPPER...]: one recording; leaves $d/verdict ("exact" or
# what was missing) and $d/status (the recorder's capability lines).
record() {
  name=$1; shift
  d=$WORK/$name
  mkdir -p "$d"
  "$HOLD" 60 >"$d/root.port" &
  hr=$!
  setpriv --reuid=65534 --regid=65534 --clear-groups "$NB/holdport" 60 >"$d/nobody.port" &
  hn=$!
  "$GEN" --truth "$d/truth.txt" --ready "$d/ready" --go "$d/go" 2>"$d/gen.err" &
  gen=$!
  while [ ! -e "$d/ready" ] && kill -0 $gen 2>/dev/null; do sleep 0.05; done
  wait_for "$d/root.port" . $hr || echo "holdport did not start ($name)"
  wait_for "$d/nobody.port" . $hn || echo "holdport as user nobody did not start ($name)"
  "$@" "$REC" -o "$d/cap.pfcap" --snapshot-interval 1 2>"$d/rec.err" &
  rec=$!
  if ! wait_for "$d/rec.err" "recording to" $rec; then
    echo "recorder did not start ($name):"; cat "$d/rec.err"
  fi
  grep -E '^(Cap|NoNewPrivs)' /proc/$rec/status >"$d/status" 2>/dev/null
  touch "$d/go"
  wait $gen; grc=$?
  sleep 1.5 # the aggregate flush and another snapshot after the traffic
  kill -INT $rec 2>/dev/null; wait $rec; rrc=$?
  kill $hr $hn 2>/dev/null; wait $hr $hn 2>/dev/null
  v=""
  [ $grc = 0 ] && [ $rrc = 0 ] || v="$v exit(trafficgen=$grc,recorder=$rrc)"
  grep -q "snapshot-only" "$d/rec.err" && v="$v snapshot-only"
  "$CHECK" "$d/cap.pfcap" "$d/truth.txt" >"$d/check.out" 2>&1 || v="$v pfcheck"
  "$CHECK" --dump "$d/cap.pfcap" >"$d/dump" 2>/dev/null
  owned $hr "$(cat "$d/root.port")" "$d/dump" || v="$v owner-of-root-socket"
  owned $hn "$(cat "$d/nobody.port")" "$d/dump" || v="$v owner-of-nobody-socket"
  echo "${v:-exact}" >"$d/verdict"
  echo "== $name: $(cat "$d/verdict")"
}

status=0
bad() { echo "FAIL: $*"; status=1; }

# expect_caps DIR EFF BND: the recorder's sets after the drop
expect_caps() {
  s=$1/status
  [ -s "$s" ] || { bad "no /proc status of the recorder ($1)"; return; }
  cat "$s"
  eff=$((0x$(field CapEff "$s"))) prm=$((0x$(field CapPrm "$s"))) bnd=$((0x$(field CapBnd "$s")))
  inh=$((0x$(field CapInh "$s"))) amb=$((0x$(field CapAmb "$s"))) nnp=$(field NoNewPrivs "$s")
  [ $eff = "$2" ] || bad "CapEff $(hex $eff), expected $(hex $2)"
  [ $prm = "$2" ] || bad "CapPrm $(hex $prm), expected $(hex $2)"
  [ $bnd = "$3" ] || bad "CapBnd $(hex $bnd), expected $(hex $3)"
  [ $inh = 0 ] || bad "CapInh $(hex $inh), expected 0"
  [ $amb = 0 ] || bad "CapAmb $(hex $amb), expected 0"
  [ "$nnp" = 1 ] || bad "NoNewPrivs $nnp, expected 1"
}

# 1. Full root: drops to KEEP everywhere (CAP_SETPCAP lets it shrink the
#    bounding set), still exact.
record root
# The bounding set shrinks only with CAP_SETPCAP (root has it).
BND=$((0x$(field CapBnd /proc/self/status)))
[ $((BASE & (1 << 8))) != 0 ] && BND=$KEEP
expect_caps "$WORK/root" $KEEP $BND
[ "$(cat "$WORK/root/verdict")" = exact ] || bad "root: $(cat "$WORK/root/verdict")"
root_line="CapEff=$(hex $((0x$(field CapEff "$WORK/root/status")))) CapBnd=$(hex $((0x$(field CapBnd "$WORK/root/status")))) NoNewPrivs=$(field NoNewPrivs "$WORK/root/status")"

# 2. Only the minimum set: exact, and the same drop (the bounding set stays
#    as given without CAP_SETPCAP; no_new_privs makes that moot).
bset=$(echo "$MINSET" | sed 's/\([a-z_]*\)/+\1/g; s/ /,/g')
record minimum setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all,"$bset" --
expect_caps "$WORK/minimum" $KEEP $MIN
[ "$(cat "$WORK/minimum/verdict")" = exact ] || bad "minimum set: $(cat "$WORK/minimum/verdict")"

# 3. Each capability of the set is needed. These recordings run at once
#    (each in its own directory, with its own workload and held ports): one
#    after the other, their workloads' sleeps and the recorders' start-up
#    added up to the test's time limit on a loaded machine.
needed=0 total=0
for c in $MINSET; do
  less=$(echo "$MINSET" | tr ' ' '\n' | grep -vx "$c" | sed 's/^/+/' | paste -sd, -)
  (record "without-$c" setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all,"$less" --) &
done
wait
for c in $MINSET; do
  total=$((total + 1))
  if [ "$(cat "$WORK/without-$c/verdict")" = exact ]; then
    bad "records completely without cap_$c: the minimum set is smaller"
  else
    needed=$((needed + 1))
  fi
done

# 4. CAP_DAC_OVERRIDE: kept for a directory root cannot write without it
#    (another user's 0755), so rotation and the final rename still work.
dd=$WORK/foreign-dir
mkdir -p "$dd"; chown 65534:65534 "$dd"; chmod 755 "$dd"
"$REC" -o "$dd/x.pfcap" --no-ebpf -d 2.5 -s 1 --rotate-time 1 2>"$WORK/foreign.err" &
rec=$!
wait_for "$WORK/foreign.err" "recording to" $rec
eff=$((0x$(awk '$1 == "CapEff:" { print $2 }' /proc/$rec/status 2>/dev/null || echo 0)))
wait $rec; rrc=$?
cat "$WORK/foreign.err"
kept=no
if [ $((eff & 2)) != 0 ] && [ $rrc = 0 ] && [ -f "$dd/x-0001.pfcap" ] && [ -f "$dd/x-0002.pfcap" ] &&
   ! ls "$dd" | grep -q partial; then
  kept=yes
else
  bad "foreign output dir: CapEff $(hex $eff), exit $rrc, files: $(ls "$dd" | tr '\n' ' ')"
fi
[ $((0x$(field CapEff "$WORK/root/status") & 2)) = 0 ] || bad "CAP_DAC_OVERRIDE kept for a directory root owns"

exact=no
[ "$(cat "$WORK/root/verdict")" = exact ] && [ "$(cat "$WORK/minimum/verdict")" = exact ] && exact=yes
if [ -n "${PF_FIGURES_DIR:-}" ]; then
  mkdir -p "$PF_FIGURES_DIR"
  {
    printf 'security\trecorder minimum capabilities\t%s (each needed: %d of %d)\n' \
      "$(echo "$MINSET" | sed 's/\([a-z_]*\)/cap_\1/g')" $needed $total
    printf 'security\trecorder caps after drop\t%s (records exact: %s)\n' "$root_line" "$exact"
    printf 'security\tCAP_DAC_OVERRIDE kept only where output needs it\t%s\n' $kept
  } >"$PF_FIGURES_DIR/$NAME.tsv"
fi
[ $status = 0 ] && echo "recorder privileges: all checks passed"
exit $status
