-- SPDX-License-Identifier: MIT
-- name: top-talkers
-- ClickHouse dialect of queries/top-talkers.sql (same parameters, columns
-- and order; the parameters are declared there). Reads the visible_* views.
-- process_id is numbered per capture here: flows without a process group
-- per host, as in SQLite. Processes of several files tie-break in the
-- order their files were ingested (SQLite's process_id order).
-- Without a from/to window (the first part) the processes come ranked
-- within their capture at load (process_ranked, schema/clickhouse/004): the
-- top N of the fleet are among the top N of their own capture; the flows of
-- no process come summed per capture at insert (process_totals). A window
-- reads the flows (the second part).
-- The names are joined to the chosen rows only (a process is one
-- (capture, process_id): the same groups).
-- (Inner columns get other names than the outputs: ClickHouse aliases are
-- global to a query.)
SELECT host, pid, comm, bytes_sent, bytes_recv, bytes_total, flows, remotes, exe
FROM (SELECT *
      FROM (SELECT host, capture_id AS pcap, toNullable(process_num) AS process_id, bytes_sent, bytes_recv,
                   bytes_sent + bytes_recv AS bytes_total, flows, remotes, ingested AS p_ingested
            FROM (SELECT capture_id, process_num, bytes_sent, bytes_recv, flows, remotes
                  FROM visible_process_ranked
                  WHERE :from IS NULL AND :to IS NULL AND rank <= :limit AND (:capture IS NULL OR capture_id = :capture))
            ALL INNER JOIN (SELECT capture_id, host, ingested_ns AS ingested FROM visible_captures
                            WHERE :host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host))
            USING capture_id
            UNION ALL
            SELECT host, toUInt64(0), CAST(NULL AS Nullable(Int64)), sum(bytes_sent) AS u_sent, sum(bytes_recv) AS u_recv,
                   u_sent + u_recv, sum(flows), uniqExactMerge(remotes), CAST(0 AS Nullable(Int64))
            -- the table itself with PREWHERE, not its visible_ view: the view would read every
            -- process's remotes state; complete captures only, as in the view
            FROM process_totals
            PREWHERE process_null = 1
            WHERE :from IS NULL AND :to IS NULL AND capture_id GLOBAL IN (SELECT capture_id FROM captures)
              -- (not `capture_id = NULL` where the key index sees it: 18.16 refuses to compare a number with NULL)
              AND (:capture IS NULL OR ifNull(capture_id = :capture, 0))
              AND (:host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host))
            GROUP BY host
            UNION ALL
            SELECT host, pcap, process_id, sum(sent) AS bytes_sent, sum(recv) AS bytes_recv,
                   sum(sent + recv) AS bytes_total, count() AS flows, uniqExact(remote_addr) AS remotes,
                   if(isNull(process_id), 0, any(ingested)) AS p_ingested
            FROM (SELECT capture_id, process_id, sent, recv, remote_addr, host, ingested
                  FROM (SELECT capture_id, process_id, bytes_sent AS sent, bytes_recv AS recv, remote_addr
                        FROM visible_flows
                        WHERE NOT (:from IS NULL AND :to IS NULL) AND (:capture IS NULL OR capture_id = :capture)
                          AND (:from IS NULL OR last_ns >= :from) AND (:to IS NULL OR first_ns < :to))
                  ALL INNER JOIN (SELECT capture_id, host, ingested_ns AS ingested FROM visible_captures
                                  WHERE :host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host))
                  USING capture_id)
            GROUP BY host, if(isNull(process_id), 0, capture_id) AS pcap, process_id)
      ORDER BY bytes_total DESC, host, p_ingested NULLS FIRST, process_id NULLS FIRST
      LIMIT :limit)
ANY LEFT JOIN (SELECT capture_id AS pcap, process_id, pid, comm, exe FROM visible_processes
               -- without a window only the ranked rows can be chosen
               WHERE NOT (:from IS NULL AND :to IS NULL)
                  OR (capture_id, process_id) GLOBAL IN (SELECT capture_id, process_num FROM visible_process_ranked
                                                         WHERE rank <= :limit))
USING pcap, process_id
ORDER BY bytes_total DESC, host, p_ingested NULLS FIRST, process_id NULLS FIRST
