-- SPDX-License-Identifier: MIT
-- name: who-owned
-- ClickHouse dialect of queries/who-owned.sql (same parameters, columns
-- and order; the parameters are declared there). Reads the visible_* views;
-- process_id is numbered per capture here.
SELECT host, pid, comm, side, proto, local_addr, local_port, remote_addr, remote_port, direction,
       from_ns AS first_ns, until_ns AS last_ns, source, exe, name
FROM (SELECT *
      FROM (SELECT capture_id, process_id, side, proto, local_addr, local_port, remote_addr, remote_port, direction,
                   from_ns, until_ns, source, name
            FROM (SELECT 'flow' AS source, capture_id, process_id,
                         if(ifNull(remote_addr = :addr AND remote_port = :port, 0), 'remote', 'local') AS side,
                         proto, local_addr, local_port, remote_addr, remote_port, toNullable(direction) AS direction,
                         first_ns AS from_ns,
                         if(direction = 'listen' AND closed = 0, greatest(last_ns, ifNull(p_exit, c_ended)), last_ns)
                           AS until_ns,
                         f_name AS name
                  FROM (SELECT *
                        FROM (SELECT capture_id, process_id, proto, local_addr, local_port, remote_addr, remote_port,
                                     direction, first_ns, last_ns, closed, remote_name AS f_name
                              FROM visible_flows
                              WHERE (remote_addr = :addr AND remote_port = :port)
                                 OR (local_port = :port AND (local_addr = :addr OR local_addr IN ('0.0.0.0', '::'))))
                        ALL INNER JOIN (SELECT capture_id, ended_ns AS c_ended FROM visible_captures) USING capture_id)
                  ANY LEFT JOIN (SELECT capture_id, process_id, exit_ns AS p_exit FROM visible_processes)
                  USING capture_id, process_id
                  UNION ALL
                  SELECT 'snapshot', capture_id, process_id,
                         if(ifNull(remote_addr = :addr AND remote_port = :port, 0), 'remote', 'local'),
                         proto, local_addr, local_port, remote_addr, remote_port, CAST(NULL AS Nullable(String)),
                         toNullable(min(ts_ns)), toNullable(max(ts_ns)), CAST(NULL AS Nullable(String))
                  FROM visible_snapshots
                  WHERE (remote_addr = :addr AND remote_port = :port)
                     OR (local_port = :port AND (local_addr = :addr OR local_addr IN ('0.0.0.0', '::')))
                  GROUP BY capture_id, process_id, proto, local_addr, local_port, remote_addr, remote_port
                  UNION ALL
                  -- lookups answered with the address (any port): valid from the answer until its TTL ran out
                  SELECT 'dns', capture_id, process_id, 'lookup', proto, CAST(NULL AS Nullable(String)),
                         CAST(NULL AS Nullable(Int64)), server_addr, server_port, CAST(NULL AS Nullable(String)),
                         toNullable(ts_ns), toNullable(ts_ns + ifNull(ttl, 0) * 1000000000), toNullable(qname)
                  FROM visible_dns
                  WHERE addr = :addr))
      ALL INNER JOIN (SELECT capture_id, host FROM visible_captures) USING capture_id
      WHERE (:from IS NULL OR until_ns >= :from) AND (:to IS NULL OR from_ns < :to)
        AND (:host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host))
        AND (:at IS NULL OR (:at >= from_ns - :slack AND :at <= until_ns + :slack)))
ANY LEFT JOIN (SELECT capture_id, process_id, pid, comm, exe FROM visible_processes) USING capture_id, process_id
ORDER BY from_ns NULLS FIRST, host, pid NULLS FIRST, source, local_port NULLS FIRST, remote_addr NULLS FIRST,
         remote_port NULLS FIRST
