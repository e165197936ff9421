-- SPDX-License-Identifier: MIT
-- name: who-owned
-- ClickHouse dialect of queries/who-owned.sql (same parameters, columns
-- and order; the parameters are declared there). process_id is numbered
-- per capture here.
-- The flows and snapshot groups come from endpoint_owners
-- (schema/clickhouse/005, written by the loader): a row for each side of
-- each, ordered by that side's port and address, so only the granules of
-- the endpoint and of the wildcard addresses on its port are read. A flow
-- or snapshot group matching on both sides is taken once, by its remote
-- side's row. The complete captures are chosen by the join with
-- visible_captures. The processes are joined once, only those of the rows
-- found (a join hashes its whole right side).
SELECT host, pid, comm, side, proto, local_addr, local_port, remote_addr, remote_port, direction,
       from_ns AS first_ns, until_ns AS last_ns, source, exe, name
FROM (SELECT *,
             if(ifNull(source = 'flow' AND direction = 'listen' AND closed = 0, 0),
                greatest(m_last, ifNull(p_exit, c_ended)), m_last) AS until_ns
      FROM (SELECT *
            FROM (SELECT source, capture_id, process_id,
                         if(ifNull(remote_addr = :addr AND remote_port = :port, 0), 'remote', 'local') AS side,
                         proto, local_addr, local_port, remote_addr, remote_port, direction,
                         first_ns AS from_ns, last_ns AS m_last, closed, remote_name AS name
                  FROM endpoint_owners
                  WHERE port = :port AND addr IN (:addr, '0.0.0.0', '::')
                    AND if(is_remote = 1, addr = :addr, NOT ifNull(remote_addr = :addr AND remote_port = :port, 0))
                  UNION ALL
                  -- lookups answered with the address (any port): valid from the answer until its TTL ran out
                  SELECT 'dns', capture_id, process_id, 'lookup', proto, CAST(NULL AS Nullable(String)),
                         CAST(NULL AS Nullable(Int64)), server_addr, server_port, CAST(NULL AS Nullable(String)),
                         toNullable(ts_ns), toNullable(ts_ns + ifNull(ttl, 0) * 1000000000), toInt64(1),
                         toNullable(qname)
                  FROM dns
                  WHERE addr = :addr)
            ALL INNER JOIN (SELECT capture_id, host, ended_ns AS c_ended FROM visible_captures) USING capture_id)
      ANY LEFT JOIN (SELECT capture_id, process_id, pid, comm, exe, exit_ns AS p_exit
                     FROM processes
                     WHERE (capture_id, process_id) GLOBAL IN
                           (SELECT capture_id, assumeNotNull(process_id) FROM endpoint_owners
                            WHERE port = :port AND addr IN (:addr, '0.0.0.0', '::') AND process_id IS NOT NULL)
                        OR (capture_id, process_id) GLOBAL IN
                           (SELECT capture_id, assumeNotNull(process_id) FROM dns
                            WHERE addr = :addr AND process_id IS NOT NULL))
      USING capture_id, process_id)
WHERE (:from IS NULL OR until_ns >= :from) AND (:to IS NULL OR from_ns < :to)
  AND (:host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host))
  AND (:at IS NULL OR (:at >= from_ns - :slack AND :at <= until_ns + :slack))
ORDER BY from_ns NULLS FIRST, host, pid NULLS FIRST, source, local_port NULLS FIRST, remote_addr NULLS FIRST,
         remote_port NULLS FIRST
