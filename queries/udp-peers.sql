-- SPDX-License-Identifier: MIT
-- name: udp-peers
-- description: Every UDP remote peer of a process, with bytes each way and first/last seen
-- param: comm text null process name (exact)
-- param: pid int null process id
-- param: host list null only this host (repeatable)
-- param: from time null only activity at or after this time
-- param: to time null only activity before this time
SELECT c.host,
       p.pid,
       p.comm,
       g.remote_addr,
       g.remote_port,
       g.bytes_sent,
       g.bytes_recv,
       g.sends,
       g.recvs,
       g.first_ns,
       -- a process makes no calls after it exits: a later last time is an
       -- aggregate's flush, so the peer was last seen at the exit
       CASE WHEN g.last_ns > p.exit_ns AND g.first_ns <= p.exit_ns THEN p.exit_ns ELSE g.last_ns END AS last_ns,
       g.remote_name
-- grouped before the join: the join then touches one row per peer. Without
-- a time window the groups are stored (udp_peers, rebuilt after each
-- ingest); '+' keeps the planner off the remote-address index (a scan is
-- faster here)
FROM (SELECT x.process_id, x.capture_id, x.remote_addr, x.remote_port, x.bytes_sent, x.bytes_recv, x.sends, x.recvs,
             x.first_ns, x.last_ns, x.remote_name
      FROM (SELECT EXISTS (SELECT 1 FROM meta WHERE key = 'rollups_current') AND :from IS NULL AND :to IS NULL
                   AS stored) d
      CROSS JOIN udp_peers x
      WHERE d.stored
      UNION ALL
      SELECT f.process_id, min(f.capture_id) AS capture_id, f.remote_addr, f.remote_port,
             CAST(total(f.bytes_sent) AS INTEGER) AS bytes_sent, CAST(total(f.bytes_recv) AS INTEGER) AS bytes_recv,
             CAST(total(f.sends) AS INTEGER) AS sends, CAST(total(f.recvs) AS INTEGER) AS recvs,
             min(f.first_ns) AS first_ns, max(f.last_ns) AS last_ns, max(f.remote_name) AS remote_name
      FROM flows f
      WHERE f.proto = 'udp' AND +f.remote_addr IS NOT NULL AND f.direction <> 'listen'
        AND NOT (EXISTS (SELECT 1 FROM meta WHERE key = 'rollups_current') AND :from IS NULL AND :to IS NULL)
        AND (:from IS NULL OR f.last_ns >= :from) AND (:to IS NULL OR f.first_ns < :to)
        AND ((:comm IS NULL AND :pid IS NULL)
             OR f.process_id IN (SELECT process_id FROM processes
                                 WHERE (:comm IS NULL OR comm = :comm) AND (:pid IS NULL OR pid = :pid)))
      GROUP BY f.process_id, f.remote_addr, f.remote_port) g
JOIN processes p ON p.process_id = g.process_id
JOIN captures c ON c.capture_id = g.capture_id
WHERE (:comm IS NULL OR p.comm = :comm)
  AND (:pid IS NULL OR p.pid = :pid)
  AND (:host IS NULL OR instr(char(10) || :host || char(10), char(10) || coalesce(c.host, '') || char(10)) > 0)
ORDER BY c.host, p.pid, p.process_id, g.first_ns, g.remote_addr, g.remote_port;
