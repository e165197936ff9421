-- SPDX-License-Identifier: MIT
-- name: listeners
-- ClickHouse dialect of queries/listeners.sql (same parameters, columns
-- and order; the parameters are declared there). Reads the visible_* views;
-- process_id is numbered per capture here.
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
                                             FROM visible_flows WHERE direction = 'listen')
                              ALL INNER JOIN (SELECT capture_id, ended_ns AS c_ended FROM visible_captures)
                              USING capture_id) AS f
                        ANY LEFT JOIN (SELECT capture_id, process_id, exit_ns AS p_exit FROM visible_processes)
                        USING capture_id, process_id)
                  UNION ALL
                  SELECT capture_id, process_id, proto, local_addr, local_port, toNullable(ts_ns), toNullable(ts_ns),
                         'snapshot'
                  FROM visible_snapshots
                  WHERE (proto = 'tcp' AND state = 'LISTEN')
                     OR (proto = 'udp' AND remote_port = 0 AND remote_addr IN ('0.0.0.0', '::')))
            WHERE (:port IS NULL OR local_port = :port)
              AND (:from IS NULL OR l_last >= :from) AND (:to IS NULL OR l_first < :to)
              -- a UDP socket that spoke first to its peers and was never spoken
              -- to first is a client's (a resolver's query socket), not a listener
              AND (proto <> 'udp'
                   OR (capture_id, process_id, local_port) NOT IN
                      (SELECT capture_id, process_id, local_port FROM visible_flows
                       WHERE proto = 'udp' AND direction = 'out' AND process_id IS NOT NULL AND local_port IS NOT NULL)
                   OR (capture_id, process_id, local_port) IN
                      (SELECT capture_id, process_id, local_port FROM visible_flows
                       WHERE proto = 'udp' AND direction = 'in' AND process_id IS NOT NULL AND local_port IS NOT NULL)))
      ALL INNER JOIN (SELECT capture_id, host, ingested_ns AS ingested FROM visible_captures
                      WHERE :host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host)) USING capture_id)
ALL INNER JOIN (SELECT capture_id, process_id, pid, comm FROM visible_processes) USING capture_id, process_id
GROUP BY host, capture_id, process_id, pid, comm, proto, local_addr, local_port, ingested
ORDER BY local_port NULLS FIRST, proto, local_addr NULLS FIRST, host, pid, ingested, process_id
