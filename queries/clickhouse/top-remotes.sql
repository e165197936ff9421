-- SPDX-License-Identifier: MIT
-- name: top-remotes
-- ClickHouse dialect of queries/top-remotes.sql (same parameters, columns
-- and order; the parameters are declared there). Reads the visible_* views.
-- The processes of a group are its distinct names, sorted, joined by ',';
-- so are the names its remote address was looked up under (NULL: none).
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
                  WHERE remote_addr IS NOT NULL AND direction <> 'listen'
                    AND (:proto IS NULL OR proto = :proto)
                    AND (:from IS NULL OR last_ns >= :from) AND (:to IS NULL OR first_ns < :to))
            ALL INNER JOIN (SELECT capture_id, host FROM visible_captures
                            WHERE :host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host)) USING capture_id)
      ANY LEFT JOIN (SELECT capture_id, process_id, comm AS p_comm FROM visible_processes) USING capture_id, process_id)
GROUP BY host, remote_addr, remote_port, local_port, proto, direction
ORDER BY bytes_total DESC, host, remote_addr, remote_port NULLS FIRST, local_port NULLS FIRST, proto
LIMIT :limit
