#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The analysis database under concurrency and interruption (issue 10 items
# 11-15, issue 11 item 10):
#  - 20 ingests creating one new database at once all succeed;
#  - an ingest waits for another writer's lock as long as it takes, saying
#    what it waits for; a reader holding a transaction does not delay it;
#  - errors name the database;
#  - after SIGKILL of an ingest, and with a hot rollback journal left by an
#    older writer, read-only commands still work;
#  - a capture truncated while it is ingested is survived (damage, no crash,
#    no journal);
#  - a one-shot "report NAME CAPTURE" leaves nothing in TMPDIR after
#    SIGTERM, SIGINT or an error; "ingest nosuch -d DB" creates no DB.
# Usage: analyzer_db.sh ANALYZER PFGEN WORKDIR
set -u
A=$1 GEN=$2 WORK=$3
SCHEMA_DIR=$(cd "$(dirname "$0")/../../schema/db" && pwd)
rm -rf "$WORK"; mkdir -p "$WORK" || exit 1
cd "$WORK" || exit 1
fail=0
check() { # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fail=1; fi
}
lacks() { ! grep -q -- "$1" "$2"; }
# hold DB: an sqlite3 shell on DB reading SQL from fd 3 (send with >&3)
HOLD=
hold() {
  rm -f hold.fifo; mkfifo hold.fifo
  sqlite3 "$1" <hold.fifo >/dev/null 2>&1 &
  HOLD=$!
  exec 3>hold.fifo
}
release() { exec 3>&-; wait "$HOLD" 2>/dev/null; HOLD=; }
cleanup() { [ -z "$HOLD" ] || kill -KILL "$HOLD" 2>/dev/null; }
trap cleanup EXIT
for i in $(seq 1 20); do "$GEN" -o c$i.pfcap -n 1500 --seed $i >/dev/null || exit 1; done
"$GEN" -o big.pfcap -n 1000000 --seed 99 >/dev/null || exit 1

# --- 11: concurrent creation -------------------------------------------
for i in $(seq 1 20); do
  ( "$A" ingest c$i.pfcap -d new.db -q 2>err$i; echo $? >rc$i ) &
done
wait
bad=0
for i in $(seq 1 20); do [ "$(cat rc$i)" = 0 ] || { bad=$((bad + 1)); cat err$i; }; done
echo "figure: concurrent creations failed: $bad of 20"
check "20 concurrent ingests into a new DB: 0 failures" [ $bad -eq 0 ]
n=$("$A" query -d new.db "select count(*) from captures" --format csv | tail -1)
check "all 20 captures in the DB ($n)" [ "$n" = 20 ]
v=$(sqlite3 new.db "pragma user_version; pragma journal_mode;" | tr '\n' ' ')
# the newest migration file names the version
sv=$(ls "$SCHEMA_DIR" | sed -n 's/^0*\([0-9][0-9]*\)-.*\.sql$/\1/p' | sort -n | tail -1)
check "schema version set once, WAL mode ($v)" [ "$v" = "$sv wal " ]

# --- 12: waiting for the writer lock; readers never block -----------------
"$A" ingest c1.pfcap -d w.db -q || fail=1
hold w.db
echo "BEGIN IMMEDIATE; INSERT INTO meta(key,value) VALUES('held','1');" >&3
sleep 0.3
"$A" ingest c2.pfcap -d w.db 2>wait.err &
p=$!
sleep 6.5
check "the ingest is still waiting after 6.5 s" kill -0 $p
echo "COMMIT;" >&3
release
wait $p; rc=$?
check "ingest waits past 5 s for another writer and succeeds (rc $rc)" [ $rc -eq 0 ]
check "the wait is announced with the DB's name" grep -q "waiting for .*w.db: another process holds its write lock" wait.err
check "the waited-for ingest is in the DB" grep -q "capture 2:" wait.err
hold w.db
echo "BEGIN; SELECT count(*) FROM flows;" >&3
sleep 0.3
t0=$(date +%s%N)
"$A" ingest c3.pfcap -d w.db -q 2>read.err; rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
echo "COMMIT;" >&3
release
echo "figure: ingest while a reader holds a transaction: ${ms} ms"
check "a reader holding a transaction does not block the ingest (rc $rc, ${ms} ms)" [ $rc -eq 0 -a $ms -lt 3000 ]
check "... and does not wait" lacks waiting read.err
sqlite3 w.db "CREATE TRIGGER boom BEFORE INSERT ON captures BEGIN SELECT RAISE(ABORT,'refused by a test trigger'); END;"
"$A" ingest c4.pfcap -d w.db 2>trig.err; rc=$?
check "an SQL error during ingest names capture and DB" grep -q "c4.pfcap: database .*w.db: .*refused by a test trigger" trig.err
"$A" query -d w.db "select nosuch from flows" 2>q.err; rc=$?
check "a query error names the DB (rc $rc)" grep -q "w.db: .*no such column" q.err

# --- 13: interrupted ingests and readers ---------------------------------
"$A" ingest c1.pfcap -d k.db -q || fail=1
"$A" ingest big.pfcap -d k.db -q 2>/dev/null &
p=$!
sleep 1.5
kill -KILL $p; wait $p 2>/dev/null
"$A" report summary -d k.db --format csv >k.out 2>k.err; rc=$?
check "report after SIGKILL of an ingest works (rc $rc)" [ $rc -eq 0 -a "$(wc -l <k.out)" = 2 ]
check "no 'readonly database' error" lacks readonly k.err
"$A" ingest c1.pfcap c2.pfcap -d h.db -q || fail=1
sqlite3 h.db "PRAGMA journal_mode=DELETE" >/dev/null
before=$(sqlite3 h.db "select count(*) from bytes")
hold h.db
echo "PRAGMA cache_size=1; BEGIN; DELETE FROM bytes; DELETE FROM flows; SELECT 1;" >&3
for _ in $(seq 1 50); do [ -s h.db-journal ] && break; sleep 0.1; done
sleep 0.3
kill -KILL "$HOLD"; release
check "a hot rollback journal is there" [ -s h.db-journal ]
"$A" query -d h.db "select count(*) from bytes" --format csv >h.out 2>h.err; rc=$?
check "a read-only query rolls the hot journal back (rc $rc, $(tail -1 h.out) of $before rows)" \
  [ $rc -eq 0 -a "$(tail -1 h.out)" = "$before" ]
check "no 'readonly database' error" lacks readonly h.err
check "the hot journal is gone" [ ! -s h.db-journal ]

# a killed writer of a WAL database with uncommitted frames in the -wal
"$A" ingest c1.pfcap c2.pfcap -d f.db -q || fail=1
before=$(sqlite3 f.db "select count(*) from bytes")
hold f.db
echo "PRAGMA cache_size=1; BEGIN; DELETE FROM bytes; DELETE FROM flows; SELECT 1;" >&3
for _ in $(seq 1 50); do [ -s f.db-wal ] && break; sleep 0.1; done
sleep 0.3
check "uncommitted frames are in the WAL" [ -s f.db-wal ]
kill -KILL "$HOLD"; release
"$A" query -d f.db "select count(*) from bytes" --format csv >f.out 2>f.err; rc=$?
check "a read-only query ignores a killed writer's WAL frames (rc $rc, $(tail -1 f.out) of $before rows)" \
  [ $rc -eq 0 -a "$(tail -1 f.out)" = "$before" ]
"$A" ingest c3.pfcap -d f.db -q; rc=$?
n=$("$A" query -d f.db "select count(*) from captures" --format csv | tail -1)
check "the next ingest works on it (rc $rc, $n captures)" [ $rc -eq 0 -a "$n" = 3 ]

# --- 14: input truncated while it is ingested ----------------------------
cp big.pfcap shrink.pfcap
"$A" ingest shrink.pfcap -d s.db 2>s.err &
p=$!
# truncate once the ingest itself (not the first look at the input) maps it
for _ in $(seq 1 200); do [ -e s.db ] && grep -q shrink.pfcap /proc/$p/maps 2>/dev/null && break; sleep 0.02; done
truncate -s 2000000 shrink.pfcap
wait $p; rc=$?
check "ingest survives its input shrinking (rc $rc, not a signal)" [ $rc -lt 128 ]
check "the shrink is reported" grep -q "shrank while it was read" s.err
check "the capture is in the DB" grep -q "capture 1:" s.err
check "no journal left" [ ! -e s.db-journal ]
d=$("$A" query -d s.db "select count(*) from damage" --format csv | tail -1)
check "the lost tail is damage in the DB ($d rows)" [ "${d:-0}" -ge 1 ]

# --- 15 / issue 11 item 10: one-shot temporary DB, nothing created for no input
# The one-shot takes well under a second, so a signal sent after a fixed
# sleep may come after it finished. Instead it is stopped (SIGSTOP) once its
# temporary database exists, shortly after on the first try and at once on
# later ones; the signal is sent while it is stopped, and SIGCONT delivers
# it. A try in which the one-shot ended before it was stopped is repeated.
# state PID: the process state letter (T stopped, Z exited), empty when gone
state() { sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null; }
for sig in TERM INT HUP; do
  mkdir -p tmp-$sig
  rc=0 tries=0 stopped=no
  while [ $stopped = no ] && [ $tries -lt 10 ]; do
    tries=$((tries + 1))
    TMPDIR=$PWD/tmp-$sig "$A" report summary big.pfcap >/dev/null 2>&1 &
    p=$!
    for _ in $(seq 1 1000); do
      [ -n "$(ls tmp-$sig)" ] || ! kill -0 $p 2>/dev/null && break
      sleep 0.01
    done
    [ $tries -eq 1 ] && sleep 0.1
    kill -STOP $p 2>/dev/null
    # a stop takes effect when the process next runs: wait for it (or its end)
    for _ in $(seq 1 1000); do
      st=$(state $p)
      [ "$st" = T ] && { stopped=yes; break; }
      [ -z "$st" ] || [ "$st" = Z ] && break
      sleep 0.01
    done
    if [ $stopped = yes ]; then
      kill -$sig $p
      kill -CONT $p
    fi
    wait $p; rc=$?
  done
  # SQLite's own temporary files are removed right after it creates them; a
  # signal in between can leave one, empty (nothing of the capture in it)
  left=$(find tmp-$sig -mindepth 1 ! \( -name 'etilqs_*' -empty \) | wc -l)
  echo "one-shot SIG$sig: signalled on try $tries"
  check "one-shot report killed by SIG$sig: exit $rc, $left file(s) left in TMPDIR" \
    [ $stopped = yes -a $rc -ge 128 -a $left -eq 0 ]
done
mkdir -p tmp-err
printf 'not a capture at all' >junk.pfcap
TMPDIR=$PWD/tmp-err "$A" report summary c1.pfcap --param nosuch=1 >/dev/null 2>&1
TMPDIR=$PWD/tmp-err "$A" report summary junk.pfcap >/dev/null 2>&1; rc=$?
check "one-shot on unreadable input exits 2 ($rc)" [ $rc -eq 2 ]
TMPDIR=$PWD/tmp-err "$A" report summary c1.pfcap >/dev/null 2>&1; rc=$?
check "one-shot report works ($rc)" [ $rc -eq 0 ]
check "nothing left in TMPDIR after errors and success" [ -z "$(ls tmp-err)" ]
"$A" ingest nosuch.pfcap -d none.db 2>none.err; rc=$?
check "ingest of a missing file exits 2 ($rc)" [ $rc -eq 2 ]
check "... and creates no database" [ -z "$(ls none.db* 2>/dev/null)" ]
check "... and names the file" grep -q "nosuch.pfcap" none.err
"$A" ingest nosuch.pfcap c1.pfcap -d some.db -q 2>some.err; rc=$?
check "one missing of two inputs: exit 1, the other ingested" [ $rc -eq 1 -a -s some.db ]

exit $fail
