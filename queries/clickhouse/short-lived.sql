-- SPDX-License-Identifier: MIT
-- name: short-lived
-- ClickHouse dialect of queries/short-lived.sql (same parameters, columns
-- and order; the parameters are declared there). process_id is numbered
-- per capture here.
-- Reads the tables with the visible_* views' filter written out (complete
-- captures only). The flows of the short-lived processes alone are summed
-- per process, then joined (the join hashes its right side: the summed
-- rows, not every flow). GLOBAL IN: on a cluster each set is built once and
-- sent to the shards.
SELECT host, pid, ppid, comm, start_ns, exit_ns, exit_ns - start_ns AS lifetime_dur_ns,
       n AS flows, sent AS bytes_sent, recv AS bytes_recv, cmdline
FROM (SELECT capture_id, process_id, pid, ppid, comm, start_ns, exit_ns, cmdline, host, ingested
      FROM (SELECT capture_id, process_id, pid, ppid, comm, start_ns, exit_ns, cmdline
            FROM processes PREWHERE start_ns IS NOT NULL AND exit_ns IS NOT NULL AND exit_ns - start_ns < :max)
      ALL INNER JOIN (SELECT capture_id, host, ingested_ns AS ingested FROM visible_captures
                      WHERE :host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host)) USING capture_id)
ALL INNER JOIN (SELECT capture_id, process_id, count() AS n, sum(bytes_sent) AS sent, sum(bytes_recv) AS recv
                FROM flows
                WHERE (capture_id, process_id) GLOBAL IN
                      (SELECT capture_id, process_id FROM processes
                       WHERE start_ns IS NOT NULL AND exit_ns IS NOT NULL AND exit_ns - start_ns < :max)
                  AND capture_id GLOBAL IN (SELECT capture_id FROM captures)
                  AND (:from IS NULL OR last_ns >= :from) AND (:to IS NULL OR first_ns < :to)
                GROUP BY capture_id, process_id) USING capture_id, process_id
ORDER BY start_ns, host, pid, ingested, process_id
