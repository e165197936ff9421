# SPDX-License-Identifier: MIT
# Shared by the fault scripts (sourced, bash). Expects NAME (the ctest name,
# for the figures file) to be set.

# Skips (exit 77) where the recorder cannot use eBPF.
fault_need_bpf() {
  if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root for eBPF"; exit 77; fi
  if [ ! -r /sys/kernel/btf/vmlinux ]; then echo "SKIP: no kernel BTF"; exit 77; fi
}

# Starts a fresh figures file for this test.
figures_reset() {
  if [ -n "${PF_FIGURES_DIR:-}" ]; then
    mkdir -p "$PF_FIGURES_DIR"
    : >"$PF_FIGURES_DIR/$NAME.tsv"
  fi
}

# figure NAME VALUE: prints it and appends "faults<TAB>NAME<TAB>VALUE".
figure() {
  echo "figure: $1: $2"
  if [ -n "${PF_FIGURES_DIR:-}" ]; then
    printf 'faults\t%s\t%s\n' "$1" "$2" >>"$PF_FIGURES_DIR/$NAME.tsv"
  fi
}

FAILS=0
# check WHAT COMMAND...: runs COMMAND, prints ok/FAIL with WHAT.
check() {
  local what=$1
  shift
  if "$@"; then
    echo "ok   $what"
  else
    echo "FAIL $what"
    FAILS=$((FAILS + 1))
  fi
}

# wait_for_line FILE PATTERN PID [STEPS]: until PATTERN is in FILE; fails if
# PID exits first or after STEPS x 50 ms (default 600: 30 s).
wait_for_line() {
  local i=0 max=${4:-600}
  while ! grep -q -- "$2" "$1" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt "$max" ] || ! kill -0 "$3" 2>/dev/null; then
      return 1
    fi
    sleep 0.05
  done
}

# wait_for_file FILE PID: until FILE exists (30 s at most, or until PID exits).
wait_for_file() {
  local i=0
  while [ ! -e "$1" ]; do
    i=$((i + 1))
    if [ $i -gt 600 ] || ! kill -0 "$2" 2>/dev/null; then
      return 1
    fi
    sleep 0.05
  done
}

# rec_start LOG ARGS...: starts the recorder ($REC, behind the words of
# $REC_WRAP if set) in the background with stderr in LOG and waits until it
# records. Sets REC_PID. Exits 77 when the recorder fell back to
# snapshot-only mode (no eBPF here).
rec_start() {
  local log=$1
  shift
  ${REC_WRAP:-} "$REC" "$@" 2>"$log" &
  REC_PID=$!
  if ! wait_for_line "$log" "recording to" "$REC_PID"; then
    echo "recorder did not start:"
    cat "$log"
    kill -KILL "$REC_PID" 2>/dev/null || true
    wait "$REC_PID" 2>/dev/null || true
    REC_PID=
    return 1
  fi
  if grep -q "snapshot-only" "$log"; then
    echo "SKIP: eBPF unavailable:"
    cat "$log"
    kill -INT "$REC_PID" 2>/dev/null || true
    wait "$REC_PID" 2>/dev/null || true
    exit 77
  fi
}

# scan_vars FILE: runs "pffault scan" and sets SCAN_<key> for each key=value.
SCAN_intact=0 SCAN_seq_ok=0 SCAN_torn=0 SCAN_other_damage=0 SCAN_records=0 SCAN_anchor=0 SCAN_last_ts=0
SCAN_footer=0 SCAN_lost=0
scan_vars() {
  local line kv
  line=$("$FAULT" scan "$1") || return 1
  for kv in $line; do
    case ${kv%%=*} in
      intact | seq_ok | torn | other_damage | records | anchor | last_ts | footer | lost)
        printf -v "SCAN_${kv%%=*}" '%s' "${kv#*=}" ;;
    esac
  done
}
