#!/bin/sh
# SPDX-License-Identifier: MIT
# Command-line behaviour of procflow-record: usage, bad values, existing
# output, symlinks, snapshot-only mode; as root also --comm filtering and a
# full disk (a small tmpfs in a private mount namespace).
# Usage: cli_test.sh RECORDER PFCHECK WORKDIR [TRAFFICGEN] [UDPFLOOD]
set -u
REC=$1 CHECK=$2 WORK=$3 GEN=${4:-} FLOOD=${5:-}
rm -rf "$WORK"; mkdir -p "$WORK" || exit 1
fail=0
check() { # check NAME CONDITION...
  name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fail=1; fi
}

"$REC" >/dev/null 2>"$WORK/e1"; rc=$?
check "no -o exits 2" [ $rc -eq 2 ]
check "no -o says why" grep -q -- "-o FILE is required" "$WORK/e1"
"$REC" --help >"$WORK/h" 2>&1; rc=$?
check "--help exits 0" [ $rc -eq 0 ]
check "--help has examples" grep -q "Examples:" "$WORK/h"
"$REC" -o "$WORK/x.pfcap" --duration abc 2>/dev/null; rc=$?
check "bad --duration exits 2" [ $rc -eq 2 ]
"$REC" -o "$WORK/x.pfcap" --max-files 3 2>/dev/null; rc=$?
check "--max-files without rotation exits 2" [ $rc -eq 2 ]

: >"$WORK/exists.pfcap"
"$REC" -o "$WORK/exists.pfcap" --no-ebpf -d 0.2 2>"$WORK/e2"; rc=$?
check "existing output refused" [ $rc -eq 1 ]
check "existing output message" grep -q "exists; use --force" "$WORK/e2"
check "existing output untouched" [ ! -s "$WORK/exists.pfcap" ]

"$REC" -o /nonexistent-pf-dir/x.pfcap --no-ebpf -d 0.2 2>"$WORK/e_nodir"; rc=$?
check "missing directory exits 1" [ $rc -eq 1 ]
check "missing directory names the OS reason" grep -q \
  "cannot start recording to /nonexistent-pf-dir/x.pfcap: No such file or directory" "$WORK/e_nodir"

# rotation reads the output's directory first: a path through a regular
# file gives the OS reason (its -errno once read as a capture-damage code)
"$REC" -o "$WORK/exists.pfcap/x.pfcap" --rotate-size 1 --no-ebpf -d 0.2 2>"$WORK/e_notdir"; rc=$?
check "path through a file exits 1" [ $rc -eq 1 ]
check "path through a file names the OS reason" grep -q \
  "cannot start recording to $WORK/exists.pfcap/x.pfcap: Not a directory" "$WORK/e_notdir"

ln -s "$WORK/target" "$WORK/link.pfcap"
"$REC" -o "$WORK/link.pfcap" --no-ebpf -d 0.2 --force 2>"$WORK/e3"; rc=$?
check "symlink output refused even with --force" [ $rc -eq 1 ]
check "symlink target not created" [ ! -e "$WORK/target" ]

"$REC" -o "$WORK/snap.pfcap" --no-ebpf -d 1 -s 0.3 2>"$WORK/e4"; rc=$?
check "snapshot-only run exits 0" [ $rc -eq 0 ]
check "snapshot-only is announced" grep -q "snapshot-only" "$WORK/e4"
check "summary printed" grep -q "flows, .* events" "$WORK/e4"
check "output mode 0600" [ "$(stat -c %a "$WORK/snap.pfcap")" = 600 ]
"$CHECK" --dump "$WORK/snap.pfcap" >"$WORK/snap.txt"; rc=$?
check "snapshot-only capture readable" [ $rc -eq 0 ]
check "snapshot-only has rundown" grep -q "process rundown pid=$$ " "$WORK/snap.txt"
check "snapshot-only has socket rows" grep -q "^[0-9]* snapshot " "$WORK/snap.txt"
check "snapshot-only mode recorded" grep -q "hostinfo mode=snapshot-only" "$WORK/snap.txt"

"$REC" -o "$WORK/pid.pfcap" --no-ebpf -d 0.5 -s 0 --pid $$ -q 2>/dev/null; rc=$?
check "--pid run exits 0" [ $rc -eq 0 ]
"$CHECK" --dump "$WORK/pid.pfcap" >"$WORK/pid.txt"
others=$(grep "^[0-9]* process " "$WORK/pid.txt" | grep -vc " pid=$$ ")
check "--pid keeps only that process ($others others)" [ "$others" -eq 0 ]
check "--pid keeps that process" grep -q "process rundown pid=$$ " "$WORK/pid.txt"

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
   setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$REC" 2>/dev/null; then
  # An unprivileged user gets snapshot-only mode with a clear message.
  mkdir -p "$WORK/nobody" && chown 65534 "$WORK/nobody" && chmod 700 "$WORK/nobody"
  setpriv --reuid=65534 --regid=65534 --clear-groups "$REC" -o "$WORK/nobody/n.pfcap" -d 0.5 -s 0 \
    2>"$WORK/e8"; rc=$?
  check "unprivileged run exits 0" [ $rc -eq 0 ]
  check "unprivileged run explains snapshot-only" grep -q "not permitted to load eBPF.*snapshot-only" "$WORK/e8"
  check "unprivileged run has no libbpf noise" [ "$(grep -vc '^procflow-record: ' "$WORK/e8")" -eq 0 ]
  # A directory the user may not read: rotation's directory listing fails
  # with EACCES, whose -errno (-13) once read as "output file exists".
  mkdir -p "$WORK/closed" && chmod 700 "$WORK/closed"
  setpriv --reuid=65534 --regid=65534 --clear-groups "$REC" -o "$WORK/closed/r.pfcap" --rotate-size 1 \
    --no-ebpf -d 0.2 -q 2>"$WORK/e_closed_rot"; rc=$?
  check "unreadable directory exits 1" [ $rc -eq 1 ]
  check "unreadable directory names the OS reason" grep -q \
    "cannot start recording to $WORK/closed/r.pfcap: Permission denied" "$WORK/e_closed_rot"
  check "unreadable directory is not called an existing file" [ "$(grep -c 'exists' "$WORK/e_closed_rot")" -eq 0 ]
  # the same without rotation: the writer's open says it
  setpriv --reuid=65534 --regid=65534 --clear-groups "$REC" -o "$WORK/closed/p.pfcap" \
    --no-ebpf -d 0.2 -q 2>"$WORK/e_closed_out"; rc=$?
  check "unwritable output exits 1" [ $rc -eq 1 ]
  check "unwritable output names the OS reason" grep -q "Permission denied" "$WORK/e_closed_out"
fi

if [ "$(id -u)" != 0 ] || [ ! -r /sys/kernel/btf/vmlinux ]; then
  echo "SKIP: privileged checks need root and BTF"
  [ $fail -eq 0 ] && exit 77
  exit 1
fi

# wait_recording LOG PID: until the recorder says it records (BPF loading
# takes long on a loaded machine: up to 60 s) or has ended
wait_recording() {
  i=0
  while ! grep -q "recording to" "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null && [ $i -lt 1200 ]; do
    i=$((i + 1)); sleep 0.05
  done
}

if [ -n "$GEN" ]; then
  # Other test runs on the machine start processes named pfg-udp-hub too:
  # this run's hubs carry a suffix of their own (comm holds 15 characters).
  sfx=$(printf '%04d' $(($$ % 10000)))
  HUB=pfg-udp-hub$sfx
  "$REC" -o "$WORK/filt.pfcap" --comm "$HUB" -s 0 2>"$WORK/e5" &
  rec=$!
  wait_recording "$WORK/e5" $rec
  "$GEN" --truth "$WORK/filt.truth" --only udp --comm-suffix "$sfx"
  sleep 1.3
  kill -INT $rec; wait $rec; rc=$?
  check "--comm run exits 0" [ $rc -eq 0 ]
  "$CHECK" --dump "$WORK/filt.pfcap" >"$WORK/filt.txt"
  hubs=$(awk -v hub="$HUB" '$1 == "FLOW" && $3 == hub {print $2}' "$WORK/filt.truth" | sort -u | tr '\n' ' ')
  tpids=$(awk '$2 == "traffic" {sub("pid=", "", $3); print $3}' "$WORK/filt.txt" | sort -u | tr '\n' ' ')
  check "--comm keeps only the named processes' traffic ($tpids= $hubs)" [ "$tpids" = "$hubs" ]
  check "--comm kept some traffic" [ -n "$tpids" ]
fi

if [ -n "$FLOOD" ] && command -v unshare >/dev/null; then
  mkdir -p "$WORK/small"
  # The flood starts once the recorder records and goes on, 2 s at a time,
  # until the recorder stops on the full disk by itself (at most 30 s): a
  # loaded machine attaches late and sends and records slower.
  unshare -m sh -c "mount -t tmpfs -o size=1m tmpfs '$WORK/small' &&
    { '$REC' -o '$WORK/small/full.pfcap' --per-call -s 0 -d 120 2>'$WORK/e6' & rec=\$!;
      i=0; while ! grep -q 'recording to' '$WORK/e6' && kill -0 \$rec && [ \$i -lt 1200 ]; do
        i=\$((i + 1)); sleep 0.05; done 2>/dev/null;
      i=0; while kill -0 \$rec 2>/dev/null && ! grep -q 'disk full' '$WORK/e6' && [ \$i -lt 15 ]; do
        '$FLOOD' --seconds 2 --threads 1 >/dev/null; i=\$((i + 1)); done;
      i=0; while kill -0 \$rec 2>/dev/null && [ \$i -lt 100 ]; do i=\$((i + 1)); sleep 0.05; done;
      kill -INT \$rec 2>/dev/null; wait \$rec; echo \$? >'$WORK/full.rc';
      ls -l '$WORK/small' >'$WORK/full.ls';
      '$CHECK' --dump '$WORK/small/full.pfcap.partial' >'$WORK/full.txt' 2>'$WORK/full.err';
      echo \$? >'$WORK/fullcheck.rc'; }"
  check "disk full stops with exit 1" [ "$(cat "$WORK/full.rc")" = 1 ]
  check "disk full message" grep -q "disk full" "$WORK/e6"
  check "partial capture readable" [ "$(cat "$WORK/fullcheck.rc")" = 0 ]
  check "partial capture has records" grep -q "traffic pid=" "$WORK/full.txt"

  # Losses are counted, written and reported: stop the recorder while a
  # flood fills a 1 MB buffer.
  "$REC" -o "$WORK/loss.pfcap" --per-call --buffer-mb 1 -s 0 2>"$WORK/e9" &
  rec=$!
  wait_recording "$WORK/e9" $rec
  # The whole flood runs while the recorder is stopped: 2 s make well over
  # the ~11,000 calls a 1 MB ring holds even when the flood gets little CPU.
  kill -STOP $rec
  "$FLOOD" --seconds 2 --threads 1 >"$WORK/loss.flood"
  kill -CONT $rec
  sleep 1.2
  kill -INT $rec; wait $rec; rc=$?
  check "loss run exits 0" [ $rc -eq 0 ]
  set -- $(cat "$WORK/loss.flood"); fpid=$1 fcalls=$2
  set -- $("$CHECK" --sum "$WORK/loss.pfcap" "$fpid"); rcalls=$1 lost=$5
  check "losses recorded ($lost)" [ "$lost" -gt 0 ]
  check "recorded + lost covers the workload ($rcalls + $lost >= $fcalls)" [ $((rcalls + lost)) -ge "$fcalls" ]
  check "recorded calls are not more than sent ($rcalls <= $fcalls)" [ "$rcalls" -le "$fcalls" ]
  check "summary reports the loss" grep -q "lost [1-9]" "$WORK/e9"

  # Size rotation with a ring of 2: per-call records fill 1 MB files fast.
  "$REC" -o "$WORK/rot.pfcap" --per-call -s 0 --rotate-size 1 --max-files 2 2>"$WORK/e7" &
  rec=$!
  wait_recording "$WORK/e7" $rec
  # Many peers make records less compressible; flood until file 3 exists
  # (on a loaded machine the flood gets little CPU: up to 60 s).
  i=0
  while [ ! -e "$WORK/rot-0003.pfcap.partial" ] && [ ! -e "$WORK/rot-0003.pfcap" ] && [ $i -lt 30 ]; do
    "$FLOOD" --seconds 2 --threads 1 --peers 300 >/dev/null; i=$((i + 1))
  done
  sleep 1.2
  kill -INT $rec; wait $rec; rc=$?
  check "size rotation run exits 0" [ $rc -eq 0 ]
  check "size rotation removed the oldest file" [ ! -e "$WORK/rot-0001.pfcap" ]
  n=$(ls "$WORK" | grep -c '^rot-[0-9]*\.pfcap$')
  check "size rotation keeps 2 files ($n)" [ "$n" -eq 2 ]
  check "size rotation made more than 2 files" grep -q "in 2 files on disk ([3-9][0-9]* made\|in 2 files on disk ([1-9][0-9][0-9]* made" "$WORK/e7"
  for f in "$WORK"/rot-*.pfcap; do
    "$CHECK" --dump "$f" >/dev/null 2>"$WORK/rot.err"
    check "rotated file $(basename "$f") reads cleanly" [ ! -s "$WORK/rot.err" ]
  done
fi
exit $fail
