#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The recorder's output files under operator mistakes and signals (issue 10
# items 16-20):
#  16 a live .partial is never removed by a second recorder, --force or not;
#     a dead recorder's .partial is kept as NAME.recovered-N.pfcap;
#  17 stale numbered files are found at start; with --max-files 1 a complete
#     capture is on disk; the summary counts the files on disk;
#  18 SIGHUP and SIGTERM close the file like SIGINT; SIGUSR1 rotates;
#  19 a low open-file limit is named as such;
#  20 a --redact-key file others may read is refused.
# Most runs use --no-ebpf (no root needed, fast); the eBPF runs need root and
# BTF and are skipped otherwise. Other recorders may run on this machine:
# nothing here depends on what they do.
# Usage: recorder_files.sh RECORDER ANALYZER WORKDIR
set -u
R=$1 A=$2 WORK=$3
rm -rf "$WORK"; mkdir -p "$WORK" || exit 1
cd "$WORK" || exit 1
fail=0
check() { # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fail=1; fi
}
has() { grep -q -- "$1" "$2"; }
lacks() { ! grep -q -- "$1" "$2"; }
P=
cleanup() { [ -z "$P" ] || kill -KILL "$P" 2>/dev/null; }
trap cleanup EXIT
bpf=0
[ "$(id -u)" = 0 ] && [ -r /sys/kernel/btf/vmlinux ] && bpf=1
# wait_for FILE: until it exists (10 s at most)
wait_for() { for _ in $(seq 1 200); do [ -e "$1" ] && return 0; sleep 0.05; done; return 1; }
verify_ok() { "$A" verify "$1" >/dev/null 2>&1; }

# --- 16: a live .partial, a dead one ------------------------------------
"$R" -o live.pfcap --no-ebpf -s 0.2 -q 2>live.err &
P=$!
wait_for live.pfcap.partial
sleep 0.3
"$R" -o live.pfcap --no-ebpf -s 0.2 -d 0.5 --force 2>second.err; rc=$?
check "a second recorder with --force on a live .partial is refused (rc $rc)" [ $rc -eq 1 ]
check "... saying another recorder writes it" has "live.pfcap.partial is being written by another running recorder" second.err
check "... and the live .partial is still there" [ -e live.pfcap.partial ]
kill -INT $P; wait $P; rc=$?; P=
check "the first recorder finishes normally (rc $rc)" [ $rc -eq 0 ]
check "... its capture is complete" verify_ok live.pfcap
check "... and it printed no error" lacks "stopped" live.err

"$R" -o dead.pfcap --no-ebpf -s 0.2 -q &
P=$!
wait_for dead.pfcap.partial
sleep 0.8
kill -KILL $P; wait $P 2>/dev/null; P=
size=$(stat -c %s dead.pfcap.partial)
"$R" -o dead.pfcap --no-ebpf -s 0.2 -d 0.5 2>dead.err; rc=$?
check "after a crash, rerunning without --force works (rc $rc)" [ $rc -eq 0 ]
check "... no false 'exists; use --force'" lacks "exists" dead.err
check "... the dead .partial is kept as dead.recovered-1.pfcap, same size" \
  [ "$(stat -c %s dead.recovered-1.pfcap 2>/dev/null)" = "$size" ]
check "... with a notice naming both" has "dead.pfcap.partial was left by a recorder that stopped without closing it: kept as dead.recovered-1.pfcap" dead.err
check "... and the new capture is complete" verify_ok dead.pfcap
"$R" -o dead.pfcap --no-ebpf -s 0.2 -q --force &
P=$!
wait_for dead.pfcap.partial
sleep 0.5
kill -KILL $P; wait $P 2>/dev/null; P=
"$R" -o dead.pfcap --no-ebpf -s 0.2 -d 0.3 --force 2>dead2.err; rc=$?
check "--force after a crash keeps the dead .partial too (recovered-2)" [ $rc -eq 0 -a -s dead.recovered-2.pfcap ]
check "... and the first recovered file is untouched" [ "$(stat -c %s dead.recovered-1.pfcap)" = "$size" ]
: >exists.pfcap
"$R" -o exists.pfcap --no-ebpf -d 0.3 2>ex.err; rc=$?
check "an existing capture still needs --force (rc $rc)" [ $rc -eq 1 ] && has "exists.pfcap exists" ex.err

# --- 17: rotation ------------------------------------------------------------
: >stale-0003.pfcap
"$R" -o stale.pfcap --no-ebpf -s 0.2 --rotate-time 0.4 -d 2 2>stale.err; rc=$?
check "a stale later numbered file is found at start (rc $rc)" [ $rc -eq 1 ]
check "... and named" has "stale-0003.pfcap exists (from an earlier recording)" stale.err
check "... before any file is written" [ ! -e stale-0001.pfcap -a ! -e stale-0001.pfcap.partial ]
"$R" -o one.pfcap --no-ebpf -s 0.2 --rotate-time 0.4 --max-files 1 2>one.err &
P=$!
# at every look during rotations at least one complete capture is on disk
# (the first one appears after the first rotation)
wait_for one-0002.pfcap.partial
seen_empty=0
for _ in $(seq 1 40); do
  n=$(ls one-*.pfcap 2>/dev/null | wc -l)
  [ "$n" -ge 1 ] || seen_empty=$((seen_empty + 1))
  sleep 0.05
done
check "--max-files 1: a complete capture on disk at every one of 40 looks ($seen_empty without)" [ $seen_empty -eq 0 ]
kill -INT $P; wait $P; rc=$?; P=
files=$(ls one-*.pfcap | wc -l)
check "--max-files 1: exactly one capture left at the end ($files), complete" [ "$files" -eq 1 ] && verify_ok "$(ls one-*.pfcap)"
check "... and no .partial" [ -z "$(ls one-*.partial 2>/dev/null)" ]
check "the summary counts the file on disk, and those made" has " in 1 file on disk ([0-9]* made" one.err
bytes=$(stat -c %s one-*.pfcap)
check "the summary's bytes are those on disk ($bytes)" has " $bytes bytes in 1 file" one.err
"$R" -o three.pfcap --no-ebpf -s 0.2 --rotate-time 0.3 --max-files 3 -d 2.5 2>three.err; rc=$?
files=$(ls three-*.pfcap | wc -l)
check "--max-files 3 leaves 3 files (rc $rc, $files)" [ $rc -eq 0 -a "$files" -eq 3 ]
check "... and the summary says 3 files on disk" has " in 3 files on disk (" three.err

# --- 18: signals -------------------------------------------------------------
for sig in HUP TERM INT; do
  "$R" -o sig-$sig.pfcap --no-ebpf -s 0.2 -q &
  P=$!
  wait_for sig-$sig.pfcap.partial
  sleep 0.4
  kill -$sig $P; wait $P; rc=$?; P=
  check "SIG$sig: exit 0 ($rc), capture closed and renamed" [ $rc -eq 0 -a -e sig-$sig.pfcap -a ! -e sig-$sig.pfcap.partial ]
  check "SIG$sig: capture verifies" verify_ok sig-$sig.pfcap
done
if [ $bpf = 1 ]; then
  "$R" -o hup-bpf.pfcap -s 0.5 -q &
  P=$!
  wait_for hup-bpf.pfcap.partial
  sleep 0.5
  kill -HUP $P; wait $P; rc=$?; P=
  check "SIGHUP with eBPF: exit 0 ($rc), capture closed" [ $rc -eq 0 -a -e hup-bpf.pfcap ] && verify_ok hup-bpf.pfcap
else
  echo "skip SIGHUP with eBPF (needs root and BTF)"
fi
"$R" -o usr.pfcap --no-ebpf -s 0.2 --rotate-time 3600 2>usr.err &
P=$!
wait_for usr-0001.pfcap.partial
sleep 0.3
kill -USR1 $P
wait_for usr-0002.pfcap.partial
sleep 0.3
kill -USR1 $P
wait_for usr-0003.pfcap.partial
sleep 0.3
kill -INT $P; wait $P; rc=$?; P=
check "SIGUSR1 rotates: 3 complete files (rc $rc)" [ $rc -eq 0 -a -e usr-0001.pfcap -a -e usr-0002.pfcap -a -e usr-0003.pfcap ]
check "... each verifies" verify_ok usr-0001.pfcap && verify_ok usr-0002.pfcap && verify_ok usr-0003.pfcap
"$R" -o usr1.pfcap --no-ebpf -s 0.2 2>usr1.err &
P=$!
wait_for usr1.pfcap.partial
sleep 0.3
kill -USR1 $P
sleep 0.4
kill -INT $P; wait $P; rc=$?; P=
check "SIGUSR1 without rotation: goes on in the same file and says so (rc $rc)" \
  [ $rc -eq 0 -a -e usr1.pfcap ] && has "SIGUSR1: starting a new file needs --rotate-size or --rotate-time" usr1.err

# --- 19: open-file limit ----------------------------------------------------
# (the limit is checked before anything is loaded: no root needed to see it)
for n in 24 32; do
  (ulimit -n $n; "$R" -o fd$n.pfcap -d 0.3 2>fd$n.err); rc=$?
  check "RLIMIT_NOFILE $n: refused at start (rc $rc)" [ $rc -eq 1 ]
  check "... naming the limit and 'Too many open files'" has "open-file limit (RLIMIT_NOFILE) is $n.*Too many open files" fd$n.err
  check "... and no false 'no cgroup v2 mount'" lacks "no cgroup v2 mount" fd$n.err
done
(ulimit -n 24; "$R" -o fdsnap.pfcap --no-ebpf -d 0.3 -q 2>fdsnap.err); rc=$?
check "RLIMIT_NOFILE 24 is enough for --no-ebpf (rc $rc)" [ $rc -eq 0 ]
if [ $bpf = 1 ]; then
  # a soft limit below the hard one is raised, and the recording works
  (ulimit -S -n 24; "$R" -o fdsoft.pfcap -d 0.5 2>fdsoft.err); rc=$?
  check "a low soft limit is raised to the hard one: recording works (rc $rc)" [ $rc -eq 0 ]
  check "... without misleading notices" lacks "no cgroup v2 mount" fdsoft.err
fi

# --- 20: a redaction key others may read -------------------------------------
printf 'procflow key for the ops test 01' >k.key
for mode in 644 604 640 660; do
  chmod $mode k.key
  "$R" -o key$mode.pfcap --no-ebpf -d 0.3 --redact --redact-key k.key 2>key$mode.err; rc=$?
  check "--redact-key with mode $mode refused (rc $rc)" [ $rc -eq 2 -a ! -e key$mode.pfcap ]
  check "... saying why" has "k.key is readable or writable by others (mode 0$mode).*chmod 600" key$mode.err
done
chmod 600 k.key
"$R" -o key600.pfcap --no-ebpf -d 0.3 --redact --redact-key k.key 2>key600.err; rc=$?
check "--redact-key with mode 600 accepted (rc $rc)" [ $rc -eq 0 -a -e key600.pfcap ]

exit $fail
