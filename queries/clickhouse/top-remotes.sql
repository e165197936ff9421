-- SPDX-License-Identifier: MIT
-- name: top-remotes
-- ClickHouse dialect of queries/top-remotes.sql (same parameters, columns
-- and order; the parameters are declared there). Reads the visible_* views.
-- The processes of a group are its distinct names, sorted, joined by ',';
-- so are the names its remote address was looked up under (NULL: none).
-- Without a from/to window (the first part) the flows come summed per
-- capture and remote endpoint at insert (remote_totals,
-- schema/clickhouse/004), and their process names per capture at load
-- (remote_comms). A window reads the flows (the second part).
-- (Inner columns get other names than the outputs: ClickHouse aliases are
-- global to a query.)
SELECT *
FROM (SELECT k_host AS host, k_addr AS remote_addr, if(k_way = 'out' AND k_pnull = 0, toNullable(k_port), NULL) AS remote_port,
             if(k_way = 'in' AND k_pnull = 0, toNullable(k_port), NULL) AS local_port, k_proto AS proto,
             k_way AS direction, k_sent AS bytes_sent, k_recv AS bytes_recv, k_sent + k_recv AS bytes_total,
             k_flows AS flows, e_procs AS processes,
             if(empty(k_names), NULL, arrayStringConcat(arraySort(k_names), ',')) AS remote_name
      FROM (SELECT host AS k_host, addr AS k_addr, proto AS k_proto, way AS k_way, port_null AS k_pnull,
                   port AS k_port, sum(bytes_sent) AS k_sent, sum(bytes_recv) AS k_recv, sum(flows) AS k_flows,
                   groupUniqArrayMerge(names) AS k_names
            FROM visible_remote_totals
            WHERE :from IS NULL AND :to IS NULL AND (:proto IS NULL OR proto = :proto)
              AND (:host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host))
            GROUP BY k_host, k_addr, k_proto, k_way, k_pnull, k_port
            ORDER BY k_sent + k_recv DESC, k_host, k_addr,
                     if(k_way = 'out' AND k_pnull = 0, toNullable(k_port), NULL) NULLS FIRST,
                     if(k_way = 'in' AND k_pnull = 0, toNullable(k_port), NULL) NULLS FIRST, k_proto
            LIMIT :limit)
      -- the process names of each group, per capture at load (remote_comms)
      ANY LEFT JOIN (SELECT host AS k_host, addr AS k_addr, proto AS k_proto, way AS k_way, port_null AS k_pnull,
                            port AS k_port, arrayStringConcat(arraySort(groupUniqArrayArray(comms)), ',') AS e_procs
                     FROM visible_remote_comms
                     WHERE :from IS NULL AND :to IS NULL AND (:proto IS NULL OR proto = :proto)
                       AND (:host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host))
                     GROUP BY k_host, k_addr, k_proto, k_way, k_pnull, k_port)
      USING k_host, k_addr, k_proto, k_way, k_pnull, k_port
      UNION ALL
      SELECT host, remote_addr, remote_port, local_port, proto, direction,
             sum(e_sent) AS bytes_sent, sum(e_recv) AS bytes_recv, bytes_sent + bytes_recv AS bytes_total,
             count() AS flows, arrayStringConcat(arraySort(groupUniqArray(comm)), ',') AS processes,
             if(empty(groupUniqArray(e_name)), NULL, arrayStringConcat(arraySort(groupUniqArray(e_name)), ',')) AS remote_name
      FROM (SELECT host, remote_addr, remote_port, local_port, proto, direction, e_sent, e_recv, ifNull(p_comm, '?') AS comm,
                   e_name
            FROM (SELECT capture_id, process_id, remote_addr,
                         if(inbound, NULL, f_rport) AS remote_port,
                         if(inbound, f_lport, NULL) AS local_port,
                         proto, if(inbound, 'in', 'out') AS direction, bytes_sent AS e_sent, bytes_recv AS e_recv, host,
                         f_name AS e_name
                  FROM (SELECT capture_id, process_id, remote_addr, remote_port AS f_rport, local_port AS f_lport, proto,
                               bytes_sent, bytes_recv, remote_name AS f_name,
                               ifNull(direction = 'in' OR (direction = 'unknown' AND remote_port >= 32768
                                                           AND local_port < remote_port), 0) AS inbound
                        FROM visible_flows
                        WHERE remote_addr IS NOT NULL AND direction <> 'listen' AND NOT (:from IS NULL AND :to IS NULL)
                          AND (:proto IS NULL OR proto = :proto)
                          AND (:from IS NULL OR last_ns >= :from) AND (:to IS NULL OR first_ns < :to))
                  ALL INNER JOIN (SELECT capture_id, host FROM visible_captures
                                  WHERE :host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host)) USING capture_id)
            -- (no process is read without a window)
            ANY LEFT JOIN (SELECT capture_id, process_id, comm AS p_comm FROM visible_processes
                           WHERE NOT (:from IS NULL AND :to IS NULL))
            USING capture_id, process_id)
      GROUP BY host, remote_addr, remote_port, local_port, proto, direction
      ORDER BY bytes_total DESC, host, remote_addr, remote_port NULLS FIRST, local_port NULLS FIRST, proto
      LIMIT :limit)
ORDER BY bytes_total DESC, host, remote_addr, remote_port NULLS FIRST, local_port NULLS FIRST, proto
