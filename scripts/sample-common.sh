# SPDX-License-Identifier: MIT
# Shared start of the scripts that remake the bundled samples (sourced, POSIX sh).

# sample_init NAME TMPNAME [PROCFLOW_RECORD] [OUTDIR]: sets here, REC, OUT
# (made, absolute), PY and the work folder W; refuses without root (exit 77),
# a recorder or python3.
sample_init() {
    here=$(cd "$(dirname "$0")/.." && pwd)
    REC=${3:-$here/build/recorder/procflow-record}
    OUT=${4:-$here/samples}
    PY=/usr/bin/python3
    [ "$(id -u)" = 0 ] || { echo "$1: needs root" >&2; exit 77; }
    [ -x "$REC" ] || { echo "$1: no recorder at $REC" >&2; exit 2; }
    [ -x "$PY" ] || { echo "$1: needs $PY" >&2; exit 2; }
    mkdir -p "$OUT"
    OUT=$(cd "$OUT" && pwd)
    W=$(mktemp -d "/tmp/$2.XXXXXX")
}

# Stops the scene's programs (their pids are in $W/pids).
sample_kill_scene() {
    for p in $(cat "$W/pids" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
}

# sample_netns_pair NS1 NS2 VETH1 VETH2: two network namespaces joined by a
# veth pair (VETH1 in NS1), loopback up in both; addresses are the caller's.
sample_netns_pair() {
    ip netns add "$1"
    ip netns add "$2"
    ip link add "$3" netns "$1" type veth peer name "$4" netns "$2"
    ip -n "$1" link set lo up
    ip -n "$2" link set lo up
}

# sample_cleanup NS1 NS2: stops the scene, removes the namespaces and W.
sample_cleanup() {
    sample_kill_scene
    ip netns del "$1" 2>/dev/null || true
    ip netns del "$2" 2>/dev/null || true
    rm -rf "$W"
}
