-- SPDX-License-Identifier: MIT
-- name: who-owned
-- ClickHouse dialect of queries/who-owned.sql (same parameters, columns
-- and order; the parameters are declared there). process_id is numbered
-- per capture here.
-- Reads the tables with the visible_* views' filter written out (the join
-- with visible_captures: complete captures only), so that PREWHERE on the
-- port drops most rows before the addresses are read (18.16 evaluates every
-- condition of a WHERE on every row, and does not push a WHERE into a
-- view). The processes are joined once (a join hashes its whole right
-- side).
SELECT host, pid, comm, side, proto, local_addr, local_port, remote_addr, remote_port, direction,
       from_ns AS first_ns, until_ns AS last_ns, source, exe, name
FROM (SELECT *,
             if(ifNull(source = 'flow' AND direction = 'listen' AND closed = 0, 0),
                greatest(m_last, ifNull(p_exit, c_ended)), m_last) AS until_ns
      FROM (SELECT *
            FROM (SELECT 'flow' AS source, capture_id, process_id,
                         if(ifNull(remote_addr = :addr AND remote_port = :port, 0), 'remote', 'local') AS side,
                         proto, local_addr, local_port, remote_addr, remote_port, toNullable(direction) AS direction,
                         first_ns AS from_ns, last_ns AS m_last, closed, remote_name AS name
                  FROM flows PREWHERE remote_addr = :addr OR local_port = :port
                  WHERE (remote_addr = :addr AND remote_port = :port)
                     OR (local_port = :port AND (local_addr = :addr OR local_addr IN ('0.0.0.0', '::')))
                  UNION ALL
                  SELECT 'snapshot', capture_id, process_id,
                         if(ifNull(remote_addr = :addr AND remote_port = :port, 0), 'remote', 'local'),
                         proto, local_addr, local_port, remote_addr, remote_port, CAST(NULL AS Nullable(String)),
                         toNullable(min(ts_ns)), toNullable(max(ts_ns)), toInt64(1), CAST(NULL AS Nullable(String))
                  FROM snapshots PREWHERE remote_addr = :addr OR local_port = :port
                  WHERE (remote_addr = :addr AND remote_port = :port)
                     OR (local_port = :port AND (local_addr = :addr OR local_addr IN ('0.0.0.0', '::')))
                  GROUP BY capture_id, process_id, proto, local_addr, local_port, remote_addr, remote_port
                  UNION ALL
                  -- lookups answered with the address (any port): valid from the answer until its TTL ran out
                  SELECT 'dns', capture_id, process_id, 'lookup', proto, CAST(NULL AS Nullable(String)),
                         CAST(NULL AS Nullable(Int64)), server_addr, server_port, CAST(NULL AS Nullable(String)),
                         toNullable(ts_ns), toNullable(ts_ns + ifNull(ttl, 0) * 1000000000), toInt64(1),
                         toNullable(qname)
                  FROM dns
                  WHERE addr = :addr)
            ALL INNER JOIN (SELECT capture_id, host, ended_ns AS c_ended FROM visible_captures) USING capture_id)
      ANY LEFT JOIN (SELECT capture_id, process_id, pid, comm, exe, exit_ns AS p_exit FROM processes)
      USING capture_id, process_id)
WHERE (:from IS NULL OR until_ns >= :from) AND (:to IS NULL OR from_ns < :to)
  AND (:host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host))
  AND (:at IS NULL OR (:at >= from_ns - :slack AND :at <= until_ns + :slack))
ORDER BY from_ns NULLS FIRST, host, pid NULLS FIRST, source, local_port NULLS FIRST, remote_addr NULLS FIRST,
         remote_port NULLS FIRST
