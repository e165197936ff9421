#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks a recorder capture against trafficgen's truth through the analyzer:
# ingest into SQLite, then one parameterised query per FLOW line.
# Usage: sqlcheck.sh ANALYZER CAPTURE TRUTH DB
set -u
AN=$1 CAP=$2 TRUTH=$3 DB=$4
rm -f "$DB"
"$AN" ingest "$CAP" -d "$DB" >/dev/null || { echo "FAIL ingest"; exit 1; }
fails=0 n=0
while read -r kind pid comm proto fam la lp ra rp sent recv sends recvs; do
  [ "$kind" = FLOW ] || continue
  n=$((n + 1))
  # The database shows IPv4-mapped IPv6 addresses as plain IPv4.
  case $la in ::ffff:*.*) la=${la#::ffff:} ;; esac
  case $ra in ::ffff:*.*) ra=${ra#::ffff:} ;; esac
  got=$("$AN" query -d "$DB" --format csv \
        --param pid="$pid" --param proto="$proto" --param fam="$fam" \
        --param la="$la" --param lp="$lp" --param ra="$ra" --param rp="$rp" \
        "SELECT coalesce(sum(bytes_sent),0), coalesce(sum(bytes_recv),0), coalesce(sum(sends),0),
                coalesce(sum(recvs),0), coalesce(group_concat(DISTINCT comm),'')
           FROM v_flows
          WHERE pid = CAST(:pid AS INTEGER) AND proto = :proto AND family = CAST(:fam AS INTEGER)
            AND local_addr = :la AND local_port = CAST(:lp AS INTEGER)
            AND remote_addr = :ra AND remote_port = CAST(:rp AS INTEGER)" | tail -n 1)
  # -1: that call count is not checked (sendfile, splice).
  got_cmp=$(echo "$got" | awk -F, -v s="$sends" -v r="$recvs" \
    '{print $1","$2","(s == -1 ? -1 : $3)","(r == -1 ? -1 : $4)","$5}')
  want="$sent,$recv,$sends,$recvs,$comm"
  if [ "$got_cmp" = "$want" ]; then
    echo "ok   sql $pid $comm $proto $la:$lp -> $ra:$rp"
  else
    echo "FAIL sql $pid $comm $proto $la:$lp -> $ra:$rp want $want got $got"
    fails=$((fails + 1))
  fi
done <"$TRUTH"
lost=$("$AN" query -d "$DB" --format csv "SELECT coalesce(sum(lost),0) FROM losses" | tail -n 1)
[ "$lost" = 0 ] || { echo "FAIL losses: $lost"; fails=$((fails + 1)); }
echo "$n sql flow checks, $fails failures"
[ $n -gt 0 ] && [ $fails -eq 0 ]
