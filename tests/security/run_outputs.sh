#!/bin/sh
# SPDX-License-Identifier: MIT
# Output files of both programs, through their command lines, with umask 000:
#  - every file they create is mode 0600 (database, HTML report, each export
#    format, convert output, capture files including rotated ones);
#  - a symlinked output path is refused with one line naming it, and the
#    link's target is untouched (dangling links: the target is not created);
#  - outputs into a world-writable directory without the sticky bit are
#    refused;
#  - (root) in a sticky world-writable directory another user's file is
#    refused, --force or not.
# Usage: run_outputs.sh ANALYZE RECORDER|- CAPTURE WORKDIR
set -u
PFA=$1 REC=$2 CAP=$3 WORK=$4
NAME=security_outputs
[ "$REC" = - ] && REC=""

rm -rf "$WORK"; mkdir -p "$WORK" || exit 1
cd "$WORK" || exit 1
umask 000
status=0
bad() { echo "FAIL: $*"; status=1; }

# produce KIND PATH [--force]: creates the output KIND at PATH; stderr in err.txt
produce() {
  kind=$1 out=$2; shift 2
  case $kind in
    db) "$PFA" ingest "$CAP" -d "$out" -q ;;
    html) "$PFA" html -d base.db -o "$out" "$@" ;;
    csv|jsonl|chrome-trace|zeek) "$PFA" export --format "$kind" -d base.db -o "$out" "$@" ;;
    convert) "$PFA" convert "$CAP" -o "$out" "$@" ;;
    record) "$REC" --no-ebpf -q -d 1 -s 0 -o "$out" "$@" ;;
  esac 2>err.txt
}

KINDS="db html csv jsonl chrome-trace zeek convert"
[ -n "$REC" ] && KINDS="$KINDS record"
"$PFA" ingest "$CAP" -d base.db -q || { echo "cannot ingest $CAP"; exit 1; }
rm -f base.db; "$PFA" ingest "$CAP" -d base.db -q

# 1. Modes.
mkdir -m 755 modes
made=0 ok=0
check_mode() {
  made=$((made + 1))
  m=$(stat -c %a "$1" 2>/dev/null)
  if [ "$m" = 600 ]; then ok=$((ok + 1)); else bad "$1: mode ${m:-missing}, expected 600"; fi
}
for k in $KINDS; do
  produce $k modes/out.$k || { bad "$k: failed"; cat err.txt; }
  check_mode modes/out.$k
done
check_mode base.db
if [ -n "$REC" ]; then
  # Rotated files are created while recording (after the privilege drop).
  "$REC" --no-ebpf -q -d 2.5 -s 1 --rotate-time 1 -o modes/rot.pfcap 2>err.txt || { bad "rotation run failed"; cat err.txt; }
  for f in modes/rot-0001.pfcap modes/rot-0002.pfcap; do check_mode $f; done
fi
echo "modes: $ok of $made files are 0600"

# refused KIND PATH WHAT [--force]: KIND at PATH fails with one line naming
# PATH and saying WHAT.
refused() {
  kind=$1 p=$2 what=$3; shift 3
  if produce $kind "$p" "$@"; then bad "$kind: $p accepted"; return 1; fi
  if [ "$(wc -l <err.txt)" != 1 ] || ! grep -qF "$p" err.txt || ! grep -q "$what" err.txt; then
    bad "$kind: $p: expected one line naming it ($what), got:"; cat err.txt; return 1
  fi
  return 0
}

# 2. Symlinks.
mkdir -m 755 links
syms=0 symok=0
for k in $KINDS; do
  echo untouched >links/target.$k; chmod 644 links/target.$k
  ln -s target.$k links/link.$k
  ln -s absent.$k links/dangling.$k
  for l in link dangling; do
    syms=$((syms + 1))
    refused $k links/$l.$k "symbolic link" || continue
    if [ "$(cat links/target.$k)" != untouched ] || [ "$(stat -c %a links/target.$k)" != 644 ]; then
      bad "$k: target of links/$l.$k changed"; continue
    fi
    if [ -e links/absent.$k ] || [ -e links/absent.$k.partial ]; then bad "$k: dangling target created"; continue; fi
    symok=$((symok + 1))
  done
done
if [ -n "$REC" ]; then
  # A link already where a rotated file would go is refused at start,
  # naming it, before anything is written.
  syms=$((syms + 1))
  echo untouched >links/target.rot
  ln -s target.rot links/rot-0002.pfcap
  if "$REC" --no-ebpf -q -d 4 -s 1 --rotate-time 1 -o links/rot.pfcap 2>err.txt; then
    bad "rotation into a symlink accepted"
  elif [ "$(wc -l <err.txt)" != 1 ] || ! grep -qF "links/rot-0002.pfcap" err.txt || ! grep -q "symbolic link" err.txt; then
    bad "rotation into a symlink: expected one line naming links/rot-0002.pfcap, got:"; cat err.txt
  elif [ "$(cat links/target.rot)" != untouched ] || [ -e links/rot-0001.pfcap ] || [ -e links/rot-0001.pfcap.partial ]; then
    bad "rotation into a symlink: target changed or a file written"
  else
    symok=$((symok + 1))
  fi
  # A link planted while recording stops the recording at the rotation
  # that reaches it, naming that file; the files before it stay intact.
  syms=$((syms + 1))
  echo untouched >links/target.late
  "$REC" --no-ebpf -q -d 4 -s 1 --rotate-time 1 -o links/late.pfcap 2>err.txt &
  rp=$!
  for _ in $(seq 1 100); do [ -e links/late-0001.pfcap.partial ] && break; sleep 0.02; done
  ln -s target.late links/late-0002.pfcap
  if wait $rp; then
    bad "rotation into a late symlink accepted"
  elif [ "$(wc -l <err.txt)" != 1 ] || ! grep -qF "links/late-0002.pfcap" err.txt || ! grep -q "symbolic link" err.txt; then
    bad "rotation into a late symlink: expected one line naming links/late-0002.pfcap, got:"; cat err.txt
  elif [ "$(cat links/target.late)" != untouched ] || [ ! -s links/late-0001.pfcap ] || [ -e links/late-0002.pfcap.partial ]; then
    bad "rotation into a late symlink: target changed or first file missing"
  else
    symok=$((symok + 1))
  fi
fi
echo "symlinks: $symok of $syms refused"

# 3. World-writable directory without the sticky bit.
mkdir ww; chmod 777 ww
wws=0 wwok=0
for k in $KINDS; do
  wws=$((wws + 1))
  refused $k ww/out.$k "writable by everyone" && [ -z "$(ls ww)" ] && wwok=$((wwok + 1))
  rm -f ww/*
done
echo "world-writable directory: $wwok of $wws refused"

# 4. Another user's file in a sticky world-writable directory.
sticky="skipped (not root)"
if [ "$(id -u)" = 0 ]; then
  mkdir st; chmod 1777 st
  sts=0 stok=0
  for k in $KINDS; do
    sts=$((sts + 1))
    echo theirs >st/out.$k; chown 65534:65534 st/out.$k
    force=""
    case $k in convert|record) force=--force ;; esac
    refused $k st/out.$k "another user" $force && [ "$(cat st/out.$k)" = theirs ] && stok=$((stok + 1))
  done
  # Our own file there is replaced as asked.
  echo mine >st/own.html
  produce html st/own.html --force || bad "own file in a sticky directory refused: $(cat err.txt)"
  sticky="$stok of $sts"
  echo "others' files in a sticky directory: $sticky refused"
fi

if [ -n "${PF_FIGURES_DIR:-}" ]; then
  (umask 022; mkdir -p "$PF_FIGURES_DIR")
  {
    printf 'security\tfiles created 0600 (umask 000)\t%d of %d\n' $ok $made
    printf 'security\tsymlinked outputs refused, targets untouched\t%d of %d\n' $symok $syms
    printf 'security\toutputs into a world-writable non-sticky dir refused\t%d of %d\n' $wwok $wws
    printf "security\tother users' files in a sticky dir refused\t%s\n" "$sticky"
  } >"$PF_FIGURES_DIR/$NAME.tsv"
fi
exit $status
