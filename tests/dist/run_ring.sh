#!/bin/sh
# SPDX-License-Identifier: MIT
# procflow-record.service's ring, with the real recorder:
#   ring  (any user): files rotate and the newest PROCFLOW_MAX_FILES stay;
#         SIGTERM closes the current file (no .partial left, every file
#         verifies); a restart records into new names and leaves every closed
#         file of the earlier run byte for byte; files of earlier runs are
#         pruned oldest first to PROCFLOW_MAX_FILES, other files never;
#         bad settings are refused.
#   caps  (root with BPF, else 77): the script run as an unprivileged user
#         with exactly the unit's AmbientCapabilities/CapabilityBoundingSet
#         and no-new-privileges records in eBPF mode (not snapshot-only).
# usage: run_ring.sh ring|caps RING_SCRIPT RECORD ANALYZE PFDUMP UNIT_FILE WORK_DIR
set -eu
mode=$1 ring=$2 record=$3 analyze=$4 pfdump=$5 unit=$6 work=$7
rm -rf "$work"
mkdir -p "$work"
fail=0
bad() { echo "FAIL $*"; fail=1; }

# run_for SECONDS [env...]: runs the ring script, then SIGTERM; sets $rc
run_for() {
    secs=$1; shift
    env "$@" PROCFLOW_RECORDER="$record" sh "$ring" >"$work/run.log" 2>&1 &
    pid=$!
    sleep "$secs"
    kill -TERM "$pid" 2>/dev/null || true
    rc=0; wait "$pid" || rc=$?
}

if [ "$mode" = ring ]; then
    dir=$work/ring
    mkdir -p "$dir"
    for i in 1 2 3 4 5; do echo "old run file $i" >"$dir/oldhost-20260101T000000Z-000$i.pfcap"; done
    echo "crashed" >"$dir/oldhost-20260101T010000Z-0001.pfcap.partial"
    echo "not ours" >"$dir/keep-me.pfcap"
    echo "a copy" >"$dir/oldhost-20250101T000000Z-0001-copy.pfcap"   # not a ring name either
    echo "notes" >"$dir/notes.txt"
    set -- PROCFLOW_DIR="$dir" PROCFLOW_ROTATE_TIME=1 PROCFLOW_ROTATE_SIZE_MB=1 PROCFLOW_MAX_FILES=3 \
        PROCFLOW_OPTIONS="--no-ebpf -s 1 -q"
    run_for 4.5 "$@"
    [ $rc -eq 0 ] || { bad "run 1 exit $rc"; cat "$work/run.log"; }
    # earlier runs pruned to the newest 3, oldest first; other files untouched
    left=$(cd "$dir" && ls oldhost-2026* | tr '\n' ' ')
    [ "$left" = "oldhost-20260101T000000Z-0004.pfcap oldhost-20260101T000000Z-0005.pfcap oldhost-20260101T010000Z-0001.pfcap.partial " ] ||
        bad "prune kept: $left"
    [ -f "$dir/keep-me.pfcap" ] && [ -f "$dir/notes.txt" ] && [ -f "$dir/oldhost-20250101T000000Z-0001-copy.pfcap" ] ||
        bad "a file of another pattern was removed"
    run1=$(cd "$dir" && ls | grep -v '^oldhost-' | grep -- '-[0-9]\{8\}T[0-9]\{6\}Z-' || true)
    n1=$(echo "$run1" | grep -c . || true)
    # 4.5 s at 1 s per file: 4-5 files made, the oldest removed by --max-files 3
    [ "$n1" -eq 3 ] || bad "run 1 left $n1 files, want 3: $run1"
    case $run1 in *.partial*) bad "run 1 left a .partial after SIGTERM: $run1" ;; esac
    for f in $run1; do
        "$analyze" verify "$dir/$f" >/dev/null 2>&1 || bad "$f does not verify"
    done
    (cd "$dir" && cksum $run1) >"$work/run1.sums"

    sleep 1.1 # restart (RestartSec= is 10 s)
    run_for 2.5 "$@"
    [ $rc -eq 0 ] || { bad "run 2 exit $rc"; cat "$work/run.log"; }
    (cd "$dir" && cksum $run1) >"$work/run1.after" 2>&1 || true
    cmp -s "$work/run1.sums" "$work/run1.after" || bad "run 1's closed files changed after the restart"
    all=$(cd "$dir" && ls | grep -- '-[0-9]\{8\}T[0-9]\{6\}Z-' | grep -v '^oldhost-')
    n2=$(($(echo "$all" | grep -c .) - n1))
    [ "$n2" -ge 1 ] && [ "$n2" -le 3 ] || bad "run 2 made $n2 files, want 1-3"
    # run 2 pruned the earlier runs (3 old + 3 of run 1) down to 3: the newest are run 1's
    [ ! -e "$dir/oldhost-20260101T000000Z-0004.pfcap" ] || bad "prune at the second start kept an old file"
    series=$(for f in $all; do "$pfdump" "$dir/$f" >/dev/null 2>&1 || echo "bad $f"; done)
    [ -z "$series" ] || bad "$series"

    # bad settings: a clear message, nothing started
    for s in PROCFLOW_MAX_FILES=abc PROCFLOW_ROTATE_TIME=0 PROCFLOW_ROTATE_SIZE_MB=-1; do
        if env PROCFLOW_DIR="$dir" "$s" PROCFLOW_RECORDER="$record" sh "$ring" >"$work/bad.log" 2>&1; then
            bad "$s accepted"
        elif ! grep -q "${s%%=*} must be a positive integer" "$work/bad.log"; then
            bad "$s: message: $(cat "$work/bad.log")"
        fi
    done
    [ $fail -eq 0 ] && echo "ok ring: rotation, max files, SIGTERM close, restart keeps closed files, prune, bad settings"
    exit $fail
fi

# caps
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to start as another user with capabilities"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) missing"; exit 77; }
[ -e /sys/kernel/btf/vmlinux ] || { echo "SKIP: no kernel BTF"; exit 77; }
ambient=$(sed -n 's/^AmbientCapabilities=//p' "$unit")
bounding=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
[ -n "$ambient" ] && [ "$ambient" = "$bounding" ] || { bad "unit: ambient '$ambient' != bounding '$bounding'"; exit 1; }
grep -qx 'NoNewPrivileges=yes' "$unit" || bad "unit lacks NoNewPrivileges=yes"
caps=$(echo "$ambient" | tr 'A-Z' 'a-z' | sed 's/cap_//g; s/ /,+/g; s/^/+/')
dir=$work/caps
mkdir -p "$dir"
chmod 755 "$work"
chown 65534:65534 "$dir"
# every directory above must be searchable by the unprivileged user
d=$work
while [ "$d" != / ]; do
    setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$d" ||
        { echo "SKIP: $d is not searchable by an unprivileged user"; exit 77; }
    d=$(dirname "$d")
done
run_for 3 setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs \
    --inh-caps="$caps" --ambient-caps="$caps" --bounding-set=-all,"$caps" -- \
    env PROCFLOW_DIR="$dir" PROCFLOW_ROTATE_TIME=60 PROCFLOW_MAX_FILES=2 PROCFLOW_OPTIONS="-s 1"
[ $rc -eq 0 ] || { bad "exit $rc"; cat "$work/run.log"; }
files=$(ls "$dir")
[ "$(echo "$files" | grep -c '\.pfcap$')" -eq 1 ] || bad "files: $files"
f=$dir/$(echo "$files" | head -n 1)
"$analyze" verify "$f" >/dev/null || bad "$f does not verify"
owner=$(stat -c %u "$f"); perms=$(stat -c %a "$f")
[ "$owner" = 65534 ] && [ "$perms" = 600 ] || bad "$f owner $owner mode $perms, want 65534 600"
mode_rec=$("$pfdump" "$f" | sed -n 's/.*hostinfo "mode"="\([^"]*\)".*/\1/p' | head -n 1)
if [ "$mode_rec" = snapshot-only ]; then
    if grep -qi "bpf" "$work/run.log" && ! "$record" -o "$work/probe.pfcap" -d 1 -q -f >/dev/null 2>&1; then
        echo "SKIP: eBPF does not load here even as root"; exit 77
    fi
    bad "with the unit's capabilities the recorder fell back to snapshot-only:"; cat "$work/run.log"
fi
[ $fail -eq 0 ] && echo "ok caps: recorded in '$mode_rec' mode as uid 65534 with only: $ambient"
exit $fail
