-- SPDX-License-Identifier: MIT
-- name: top-talkers
-- ClickHouse dialect of queries/top-talkers.sql (same parameters, columns
-- and order; the parameters are declared there). Reads the visible_* views.
-- process_id is numbered per capture here: flows without a process group
-- per host, as in SQLite. Processes of several files tie-break in the
-- order their files were ingested (SQLite's process_id order).
-- The flows are summed per process first and only the chosen rows get
-- their names (a process is one (capture, process_id): the same groups).
-- (Inner columns get other names than the outputs: ClickHouse aliases are
-- global to a query.)
SELECT host, pid, comm, bytes_sent, bytes_recv, bytes_total, flows, remotes, exe
FROM (SELECT host, pcap, process_id, sum(sent) AS bytes_sent, sum(recv) AS bytes_recv,
             sum(sent + recv) AS bytes_total, count() AS flows, uniqExact(remote_addr) AS remotes,
             if(isNull(process_id), 0, any(ingested)) AS p_ingested
      FROM (SELECT capture_id, process_id, bytes_sent AS sent, bytes_recv AS recv, remote_addr, host, ingested
            FROM visible_flows
            ALL INNER JOIN (SELECT capture_id, host, ingested_ns AS ingested FROM visible_captures) USING capture_id
            WHERE (:capture IS NULL OR capture_id = :capture)
              AND (:from IS NULL OR last_ns >= :from) AND (:to IS NULL OR first_ns < :to)
              AND (:host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host)))
      GROUP BY host, if(isNull(process_id), 0, capture_id) AS pcap, process_id
      ORDER BY bytes_total DESC, host, p_ingested NULLS FIRST, process_id NULLS FIRST
      LIMIT :limit)
ANY LEFT JOIN (SELECT capture_id AS pcap, process_id, pid, comm, exe FROM visible_processes) USING pcap, process_id
ORDER BY bytes_total DESC, host, p_ingested NULLS FIRST, process_id NULLS FIRST
