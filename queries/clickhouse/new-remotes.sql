-- SPDX-License-Identifier: MIT
-- name: new-remotes
-- ClickHouse dialect of queries/new-remotes.sql (same parameters, columns
-- and order; the parameters are declared there). Reads the visible_* views.
-- The first flow of each endpoint (by time, then flow_id) names the host,
-- process, direction and name: argMin over the group instead of a correlated
-- subquery (18.16 has none); flows of several files tie-break in the order
-- their files were ingested (SQLite's flow_id order).
SELECT first_ns, host, remote_addr, remote_port, proto, pid, comm, direction, flows, remote_name
FROM (SELECT *
      FROM (SELECT remote_addr, remote_port, proto, min(f_first) AS first_ns, count() AS flows,
                   argMin(capture_id, (f_first, ingested, flow_id)) AS capture_id,
                   argMin(process_id, (f_first, ingested, flow_id)) AS process_id,
                   argMin(f_dir, (f_first, ingested, flow_id)) AS direction,
                   argMin(f_name, (f_first, ingested, flow_id)) AS remote_name
            FROM (SELECT remote_addr, remote_port, proto, first_ns AS f_first, capture_id, flow_id, process_id,
                         direction AS f_dir, remote_name AS f_name, ingested
                  FROM visible_flows
                  ALL INNER JOIN (SELECT capture_id, ifNull(ingested_ns, 0) AS ingested FROM visible_captures)
                  USING capture_id
                  WHERE remote_addr IS NOT NULL AND direction <> 'listen'
                    AND (:from IS NULL OR last_ns >= :from) AND (:to IS NULL OR first_ns < :to)
                    AND (:host IS NULL OR capture_id GLOBAL IN (SELECT capture_id FROM visible_captures
                                                               WHERE has(splitByChar('\n', ifNull(:host, '')), host))))
            GROUP BY remote_addr, remote_port, proto
            HAVING :since IS NULL OR min(f_first) >= :since
            ORDER BY first_ns, remote_addr, remote_port, proto
            LIMIT :limit)
      ALL INNER JOIN (SELECT capture_id, host FROM visible_captures) USING capture_id)
ANY LEFT JOIN (SELECT capture_id, process_id, pid, comm FROM visible_processes) USING capture_id, process_id
ORDER BY first_ns, remote_addr, remote_port, proto
