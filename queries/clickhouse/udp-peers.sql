-- SPDX-License-Identifier: MIT
-- name: udp-peers
-- ClickHouse dialect of queries/udp-peers.sql (same parameters, columns
-- and order; the parameters are declared there). Reads the visible_* views;
-- process_id is numbered per capture here.
-- Without a from/to window the peers come summed per capture at load
-- (udp_peers, schema/clickhouse/004); a window reads the flows.
SELECT host, pid, comm, remote_addr, remote_port, bytes_sent, bytes_recv, sends, recvs, first_ns,
       -- a process makes no calls after it exits: a later last time is an
       -- aggregate's flush, so the peer was last seen at the exit
       if(ifNull(g_last > exit_ns AND g_first <= exit_ns, 0), exit_ns, g_last) AS last_ns, remote_name
FROM (SELECT *
      FROM (SELECT toNullable(process_id) AS process_id, capture_id, toNullable(remote_addr) AS remote_addr, remote_port,
                   bytes_sent, bytes_recv, sends, recvs, first_ns AS g_first, last_ns AS g_last, remote_name
            FROM visible_udp_peers
            WHERE :from IS NULL AND :to IS NULL
            UNION ALL
            SELECT process_id, capture_id, remote_addr, remote_port,
                   sum(f_sent) AS bytes_sent, sum(f_recv) AS bytes_recv, sum(f_sends) AS sends, sum(f_recvs) AS recvs,
                   min(first_ns) AS g_first, max(last_ns) AS g_last, max(f_name) AS remote_name
            FROM (SELECT capture_id, process_id, remote_addr, remote_port, bytes_sent AS f_sent, bytes_recv AS f_recv,
                         sends AS f_sends, recvs AS f_recvs, first_ns, last_ns, remote_name AS f_name
                  FROM visible_flows
                  WHERE proto = 'udp' AND remote_addr IS NOT NULL AND direction <> 'listen'
                    AND NOT (:from IS NULL AND :to IS NULL)
                    AND (:from IS NULL OR last_ns >= :from) AND (:to IS NULL OR first_ns < :to))
            GROUP BY capture_id, process_id, remote_addr, remote_port)
      ALL INNER JOIN (SELECT capture_id, process_id, pid, comm, exit_ns FROM visible_processes
                      WHERE (:comm IS NULL OR comm = :comm) AND (:pid IS NULL OR pid = :pid))
      USING capture_id, process_id)
ALL INNER JOIN (SELECT capture_id, host, ingested_ns AS ingested FROM visible_captures
                WHERE :host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host)) USING capture_id
ORDER BY host, pid, ingested, process_id, g_first AS first_ns, remote_addr, remote_port
