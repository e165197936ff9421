-- SPDX-License-Identifier: MIT
-- name: new-remotes
-- ClickHouse dialect of queries/new-remotes.sql (same parameters, columns
-- and order; the parameters are declared there).
-- The first flow of each endpoint (by time, then flow_id) names the host,
-- process, direction and name; flows of several files tie-break in the
-- order their files were ingested (SQLite's flow_id order).
-- Without a from/to window (the first part) each capture's first contacts
-- come from the loader (remote_first, schema/clickhouse/005: per capture
-- and endpoint the first time, the flows and the first flow with its
-- process): the endpoints are grouped over captures, and the first flow of
-- each is its captures' first flows' first. A window reads the flows (the
-- second part): 18.16 has no correlated subquery, and argMin over a tuple
-- key compares slowly, so not per flow: the endpoints are grouped with
-- plain min and count, then only the flows at some endpoint's first moment
-- (PREWHERE on that one column) are read again, and among those the first
-- of each endpoint is chosen. Both read the tables with the visible_*
-- views' filter written out (complete captures only); GLOBAL IN: on a
-- cluster each set is built once and sent to the shards. A NULL port joins
-- as -1 (no port is negative). (Inner columns get other names than the
-- outputs: ClickHouse aliases are global to a query.)
SELECT *
FROM (SELECT s_first AS first_ns, s_host AS host, s_addr AS remote_addr, s_rport AS remote_port, s_proto AS proto,
             s_pid AS pid, s_comm AS comm, s_dir AS direction, s_flows AS flows, s_name AS remote_name
      FROM (SELECT remote_addr AS s_addr, remote_port AS s_rport, ifNull(remote_port, -1) AS s_port, proto AS s_proto,
                   min(first_ns) AS s_first, sum(flows) AS s_flows
            FROM remote_first
            WHERE :from IS NULL AND :to IS NULL
              AND (:host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host))
              AND capture_id GLOBAL IN (SELECT capture_id FROM captures)
            GROUP BY s_addr, s_rport, s_port, s_proto
            HAVING :since IS NULL OR min(first_ns) >= :since
            ORDER BY s_first, s_addr, s_rport, s_proto
            LIMIT :limit)
      -- each endpoint's first flow: the first of its captures' first flows
      ANY LEFT JOIN
           (SELECT *
            FROM (SELECT *
                  FROM (SELECT capture_id, host AS s_host, remote_addr AS s_addr, ifNull(remote_port, -1) AS s_port,
                               proto AS s_proto, flow_first_ns AS s_ffirst, flow_id AS s_flow, direction AS s_dir,
                               remote_name AS s_name, pid AS s_pid, comm AS s_comm
                        FROM remote_first
                        WHERE :from IS NULL AND :to IS NULL
                          AND (:host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host)))
                  ALL INNER JOIN (SELECT capture_id, ifNull(ingested_ns, 0) AS s_ingested FROM visible_captures)
                  USING capture_id)
            ORDER BY s_ffirst NULLS FIRST, s_ingested, s_flow
            LIMIT 1 BY s_addr, s_port, s_proto)
      USING s_addr, s_port, s_proto
      UNION ALL
      SELECT e_first AS first_ns, host, remote_addr, remote_port, proto, pid, comm, direction, flows, remote_name
      FROM (SELECT *
            FROM (SELECT *
                  FROM (SELECT remote_addr, remote_port, ifNull(remote_port, -1) AS e_port, proto, min(first_ns) AS e_first,
                               count() AS flows
                        FROM flows
                        WHERE remote_addr IS NOT NULL AND direction <> 'listen' AND NOT (:from IS NULL AND :to IS NULL)
                          AND (:from IS NULL OR last_ns >= :from) AND (:to IS NULL OR first_ns < :to)
                          AND capture_id GLOBAL IN (SELECT capture_id FROM captures
                                                    WHERE :host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host))
                        GROUP BY remote_addr, remote_port, proto
                        HAVING :since IS NULL OR min(first_ns) >= :since
                        ORDER BY e_first, remote_addr, remote_port, proto
                        LIMIT :limit)
                  ANY LEFT JOIN
                       (SELECT remote_addr, e_port, proto, e_first,
                               argMin(capture_id, (ingested, flow_id)) AS capture_id,
                               argMin(process_id, (ingested, flow_id)) AS process_id,
                               argMin(c_dir, (ingested, flow_id)) AS direction,
                               argMin(c_name, (ingested, flow_id)) AS remote_name
                        FROM (SELECT *
                              FROM (SELECT remote_addr, ifNull(remote_port, -1) AS e_port, proto, first_ns AS e_first,
                                           capture_id, flow_id, process_id, direction AS c_dir, remote_name AS c_name
                                    FROM flows
                                    PREWHERE first_ns GLOBAL IN
                                             (SELECT min(first_ns) FROM flows
                                              WHERE remote_addr IS NOT NULL AND direction <> 'listen' AND NOT (:from IS NULL AND :to IS NULL)
                                                AND (:from IS NULL OR last_ns >= :from) AND (:to IS NULL OR first_ns < :to)
                                                AND capture_id GLOBAL IN
                                                    (SELECT capture_id FROM captures
                                                     WHERE :host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host))
                                              GROUP BY remote_addr, remote_port, proto)
                                    WHERE remote_addr IS NOT NULL AND direction <> 'listen' AND NOT (:from IS NULL AND :to IS NULL)
                                      AND (:from IS NULL OR last_ns >= :from) AND (:to IS NULL OR first_ns < :to)
                                      AND capture_id GLOBAL IN (SELECT capture_id FROM captures
                                                                WHERE :host IS NULL
                                                                   OR has(splitByChar('\n', ifNull(:host, '')), host)))
                              ALL INNER JOIN (SELECT capture_id, ifNull(ingested_ns, 0) AS ingested FROM visible_captures)
                              USING capture_id)
                        GROUP BY remote_addr, e_port, proto, e_first)
                  USING remote_addr, e_port, proto, e_first)
            ALL INNER JOIN (SELECT capture_id, host FROM visible_captures) USING capture_id)
      ANY LEFT JOIN (SELECT capture_id, process_id, pid, comm FROM visible_processes WHERE NOT (:from IS NULL AND :to IS NULL))
      USING capture_id, process_id)
ORDER BY first_ns, remote_addr, remote_port, proto
