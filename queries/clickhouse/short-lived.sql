-- SPDX-License-Identifier: MIT
-- name: short-lived
-- ClickHouse dialect of queries/short-lived.sql (same parameters, columns
-- and order; the parameters are declared there). Reads the visible_* views;
-- process_id is numbered per capture here.
SELECT host, pid, ppid, comm, start_ns, exit_ns, exit_ns - start_ns AS lifetime_dur_ns,
       count() AS flows, sum(sent) AS bytes_sent, sum(recv) AS bytes_recv, cmdline
FROM (SELECT capture_id, process_id, pid, ppid, comm, start_ns, exit_ns, cmdline, host, ingested
      FROM visible_processes
      ALL INNER JOIN (SELECT capture_id, host, ingested_ns AS ingested FROM visible_captures) USING capture_id
      WHERE start_ns IS NOT NULL AND exit_ns IS NOT NULL AND exit_ns - start_ns < :max
        AND (:host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host)))
ALL INNER JOIN (SELECT capture_id, process_id, bytes_sent AS sent, bytes_recv AS recv
                FROM visible_flows
                WHERE (:from IS NULL OR last_ns >= :from) AND (:to IS NULL OR first_ns < :to)) USING capture_id, process_id
GROUP BY host, capture_id, process_id, pid, ppid, comm, start_ns, exit_ns, cmdline, ingested
ORDER BY start_ns, host, pid, ingested, process_id
