-- SPDX-License-Identifier: MIT
-- name: listeners
-- ClickHouse dialect of queries/listeners.sql (same parameters, columns
-- and order; the parameters are declared there). process_id is numbered
-- per capture here.
-- Reads the tables with the visible_* views' filter written out (complete
-- captures only) so that a cheap PREWHERE drops most rows before the other
-- columns are read (18.16 evaluates every condition of a WHERE on every
-- row, and does not push a WHERE into a view). GLOBAL IN: on a cluster the
-- sets are built once and sent to the shards.
-- The UDP client check builds its sets from the flows on the ports of UDP
-- listener rows only (the ports the check can ask about).
SELECT host, pid, comm, proto, local_addr, local_port, min(l_first) AS first_ns, max(l_last) AS last_ns,
       multiIf(max(seen = 'events') AND max(seen = 'snapshot'), 'events,snapshot',
               max(seen = 'events'), 'events', 'snapshot') AS seen_by
FROM (SELECT *
      FROM (SELECT *
            FROM (SELECT capture_id, process_id, proto, local_addr, local_port, l_first, l_last, seen
                  FROM (SELECT f.capture_id AS capture_id, f.process_id AS process_id, proto, local_addr, local_port,
                               first_ns AS l_first,
                               if(closed = 0, greatest(last_ns, ifNull(p_exit, c_ended)), last_ns) AS l_last,
                               'events' AS seen
                        FROM (SELECT * FROM (SELECT capture_id, process_id, proto, local_addr, local_port, first_ns,
                                                    last_ns, closed
                                             FROM flows PREWHERE direction = 'listen'
                                             WHERE capture_id GLOBAL IN (SELECT capture_id FROM captures))
                              ALL INNER JOIN (SELECT capture_id, ended_ns AS c_ended FROM visible_captures)
                              USING capture_id) AS f
                        ANY LEFT JOIN (SELECT capture_id, process_id, exit_ns AS p_exit FROM processes
                                       WHERE (capture_id, process_id) GLOBAL IN
                                             (SELECT capture_id, process_id FROM flows PREWHERE direction = 'listen'))
                        USING capture_id, process_id)
                  UNION ALL
                  SELECT capture_id, process_id, proto, local_addr, local_port, toNullable(ts_ns), toNullable(ts_ns),
                         'snapshot'
                  FROM snapshots PREWHERE state = 'LISTEN' OR remote_port = 0
                  WHERE ((proto = 'tcp' AND state = 'LISTEN')
                         OR (proto = 'udp' AND remote_port = 0 AND remote_addr IN ('0.0.0.0', '::')))
                    AND capture_id GLOBAL IN (SELECT capture_id FROM captures))
            WHERE (:port IS NULL OR local_port = :port)
              AND (:from IS NULL OR l_last >= :from) AND (:to IS NULL OR l_first < :to)
              -- a UDP socket that spoke first to its peers and was never spoken
              -- to first is a client's (a resolver's query socket), not a listener
              AND (proto <> 'udp'
                   OR (capture_id, process_id, local_port) NOT IN
                      (SELECT capture_id, process_id, local_port FROM flows
                       PREWHERE local_port GLOBAL IN
                                (SELECT local_port FROM flows PREWHERE direction = 'listen' WHERE proto = 'udp'
                                 UNION ALL
                                 SELECT local_port FROM snapshots PREWHERE remote_port = 0
                                 WHERE proto = 'udp' AND remote_addr IN ('0.0.0.0', '::'))
                       WHERE proto = 'udp' AND direction = 'out' AND process_id IS NOT NULL AND local_port IS NOT NULL
                         AND capture_id GLOBAL IN (SELECT capture_id FROM captures))
                   OR (capture_id, process_id, local_port) IN
                      (SELECT capture_id, process_id, local_port FROM flows
                       PREWHERE local_port GLOBAL IN
                                (SELECT local_port FROM flows PREWHERE direction = 'listen' WHERE proto = 'udp'
                                 UNION ALL
                                 SELECT local_port FROM snapshots PREWHERE remote_port = 0
                                 WHERE proto = 'udp' AND remote_addr IN ('0.0.0.0', '::'))
                       WHERE proto = 'udp' AND direction = 'in' AND process_id IS NOT NULL AND local_port IS NOT NULL
                         AND capture_id GLOBAL IN (SELECT capture_id FROM captures))))
      ALL INNER JOIN (SELECT capture_id, host, ingested_ns AS ingested FROM visible_captures
                      WHERE :host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host)) USING capture_id)
ALL INNER JOIN (SELECT capture_id, process_id, pid, comm FROM processes
                WHERE (capture_id, process_id) GLOBAL IN
                      (SELECT capture_id, process_id FROM flows PREWHERE direction = 'listen'
                       UNION ALL
                       SELECT capture_id, process_id FROM snapshots PREWHERE state = 'LISTEN' OR remote_port = 0
                       WHERE (proto = 'tcp' AND state = 'LISTEN')
                          OR (proto = 'udp' AND remote_port = 0 AND remote_addr IN ('0.0.0.0', '::'))))
USING capture_id, process_id
GROUP BY host, capture_id, process_id, pid, comm, proto, local_addr, local_port, ingested
ORDER BY local_port NULLS FIRST, proto, local_addr NULLS FIRST, host, pid, ingested, process_id
