-- SPDX-License-Identifier: MIT
-- Statements of the HTML report; each starts at a "-- @name" line.
-- @meta
SELECT (SELECT value FROM meta WHERE key = 'bucket_ns'), (SELECT value FROM meta WHERE key = 'rollup_ns');
-- @captures
SELECT capture_id, host, os, platform, recorder, started_ns, ended_ns, records,
       chunks_ok, chunks_damaged, events_lost, bytes_skipped, clean_close, path
FROM captures ORDER BY started_ns, capture_id;
-- @losses
SELECT source, CAST(total(lost) AS INTEGER) FROM losses GROUP BY source ORDER BY source;
-- @span
SELECT min(bucket_ns), max(bucket_ns) FROM bytes;
-- @span-rollup
SELECT min(bucket_ns), max(bucket_ns) FROM bytes_rollup;
-- @chart-load
-- The chart's bytes per process (from bytes, or the rollup when the slot
-- width allows), summed once into a temp table for chart-total and
-- chart-top; chart-bytes then reads the same rows unsorted (a sort of every
-- row by process and slot was most of the chart's time).
CREATE TEMP TABLE pf_chart AS
SELECT t.process_id, p.pid, p.comm, t.total
FROM (SELECT process_id, total(bytes_sent + bytes_recv) AS total
      FROM bytes WHERE bucket_ns >= :t0 AND bucket_ns < :t1 GROUP BY process_id) t
LEFT JOIN processes p ON p.process_id = t.process_id;
-- @chart-bytes
SELECT x.process_id, p.comm, (x.bucket_ns - :t0) / :w, x.bytes_sent, x.bytes_recv
FROM bytes x LEFT JOIN processes p ON p.process_id = x.process_id
WHERE x.bucket_ns >= :t0 AND x.bucket_ns < :t1;
-- @chart-load-rollup
-- (the per-process rollup rows when the last ingest rebuilt them: the same
-- sums from fewer rows; not under a --process/--from/--to selection, whose
-- TEMP views shadow bytes_rollup but not process_rollup)
CREATE TEMP TABLE pf_chart AS
SELECT t.process_id, p.pid, p.comm, t.total
FROM (SELECT process_id, total(bytes_sent + bytes_recv) AS total
      FROM (SELECT x.process_id, x.bucket_ns, x.bytes_sent, x.bytes_recv FROM process_rollup x
            WHERE EXISTS (SELECT 1 FROM main.meta WHERE key = 'rollups_current')
              AND NOT EXISTS (SELECT 1 FROM temp.sqlite_master WHERE name = 'bytes_rollup')
            UNION ALL
            SELECT x.process_id, x.bucket_ns, x.bytes_sent, x.bytes_recv FROM bytes_rollup x
            WHERE NOT EXISTS (SELECT 1 FROM main.meta WHERE key = 'rollups_current')
               OR EXISTS (SELECT 1 FROM temp.sqlite_master WHERE name = 'bytes_rollup'))
      WHERE bucket_ns >= :t0 AND bucket_ns < :t1 GROUP BY process_id) t
LEFT JOIN processes p ON p.process_id = t.process_id;
-- @chart-bytes-rollup
SELECT x.process_id, p.comm, (x.bucket_ns - :t0) / :w, x.bytes_sent, x.bytes_recv
FROM (SELECT x.process_id, x.bucket_ns, x.bytes_sent, x.bytes_recv FROM process_rollup x
      WHERE EXISTS (SELECT 1 FROM main.meta WHERE key = 'rollups_current')
        AND NOT EXISTS (SELECT 1 FROM temp.sqlite_master WHERE name = 'bytes_rollup')
      UNION ALL
      SELECT x.process_id, x.bucket_ns, x.bytes_sent, x.bytes_recv FROM bytes_rollup x
      WHERE NOT EXISTS (SELECT 1 FROM main.meta WHERE key = 'rollups_current')
         OR EXISTS (SELECT 1 FROM temp.sqlite_master WHERE name = 'bytes_rollup')) x
LEFT JOIN processes p ON p.process_id = x.process_id
WHERE x.bucket_ns >= :t0 AND x.bucket_ns < :t1;
-- @chart-drop
DROP TABLE IF EXISTS temp.pf_chart;
-- @chart-total
SELECT total(total) FROM temp.pf_chart;
-- @chart-top
-- Programs (process names) by bytes; a program's processes are one series.
-- Every program is returned: the report picks how many to name from the
-- running share (of chart-total).
SELECT comm, count(process_id), min(pid), CAST(total(total) AS INTEGER) AS total, process_id IS NULL
FROM temp.pf_chart
GROUP BY comm, process_id IS NULL
ORDER BY total DESC, comm;
-- @proc-load
-- Each process's flow totals, read once (in process order, through the
-- flows_process index: no sort of every flow) for the sections, the top
-- talkers and the number of UDP peers. Flows without a process are one row
-- per host, as top-talkers groups them. A process's flows are all of its
-- host, so its first capture gives the host.
CREATE TEMP TABLE pf_proc AS
SELECT process_id, min(capture_id) AS capture_id, total(bytes_sent) AS sent, total(bytes_recv) AS recv,
       count(*) AS n, count(DISTINCT remote_addr) AS remotes,
       count(DISTINCT CASE WHEN proto = 'udp' AND remote_addr IS NOT NULL AND direction <> 'listen'
                           THEN quote(remote_addr) || ',' || quote(remote_port) END) AS udp_peers
FROM flows WHERE process_id IS NOT NULL GROUP BY process_id
UNION ALL
SELECT NULL, min(f.capture_id), total(f.bytes_sent), total(f.bytes_recv), count(*), count(DISTINCT f.remote_addr), 0
FROM flows f JOIN captures c ON c.capture_id = f.capture_id
WHERE f.process_id IS NULL GROUP BY c.host_id;
-- @proc-drop
DROP TABLE IF EXISTS temp.pf_proc;
-- @sections
-- The busiest processes first (ids; each is then read by section).
SELECT p.process_id, p.pid
FROM processes p
LEFT JOIN temp.pf_proc t ON t.process_id = p.process_id
WHERE t.n > 0 OR :all
ORDER BY coalesce(CAST(t.sent AS INTEGER) + CAST(t.recv AS INTEGER), 0) DESC, p.process_id
LIMIT :n;
-- @top-talkers
-- The top-talkers report (queries/top-talkers.sql, no filter) from pf_proc:
-- the same rows without grouping every flow again.
SELECT c.host,
       p.pid,
       p.comm,
       CAST(t.sent AS INTEGER) AS bytes_sent,
       CAST(t.recv AS INTEGER) AS bytes_recv,
       CAST(t.sent + t.recv AS INTEGER) AS bytes_total,
       t.n AS flows,
       t.remotes AS remotes,
       p.exe
FROM temp.pf_proc t
JOIN captures c ON c.capture_id = t.capture_id
LEFT JOIN processes p ON p.process_id = t.process_id
ORDER BY bytes_total DESC, c.host, t.process_id
LIMIT :limit;
-- @host-count
SELECT count(DISTINCT host_id) FROM captures;
-- @top-remotes
-- The top-remotes report (queries/top-remotes.sql, no filter; keep the two
-- in step) for a database of one host. Outbound flows are summed in the
-- order of the flows_remote index (no sort of every flow); only the other
-- directions, whose grouping needs local_port, are sorted. The process and
-- looked-up names of the chosen rows are gathered as the report does.
WITH hh AS (SELECT min(host_id) AS host_id, coalesce(min(host), '') AS host FROM captures),
g AS (
  SELECT remote_addr, remote_port, NULL AS local_port, proto, 'out' AS direction,
         total(bytes_sent) AS sent, total(bytes_recv) AS recv, count(*) AS n
  FROM flows
  WHERE remote_addr IS NOT NULL AND direction = 'out'
  GROUP BY remote_addr, remote_port, proto
  UNION ALL
  SELECT remote_addr, CASE WHEN inbound THEN NULL ELSE remote_port END, CASE WHEN inbound THEN local_port END, proto,
         CASE WHEN inbound THEN 'in' ELSE 'out' END, total(bytes_sent), total(bytes_recv), count(*)
  FROM (SELECT remote_addr, remote_port, local_port, proto, bytes_sent, bytes_recv,
               (direction = 'in' OR (direction = 'unknown' AND remote_port >= 32768
                                     AND local_port < remote_port)) AS inbound
        FROM flows
        WHERE remote_addr IS NOT NULL AND direction NOT IN ('out', 'listen'))
  GROUP BY 1, 2, 3, 4, 5
),
r AS (SELECT hh.host_id, hh.host, g.remote_addr, g.remote_port, g.local_port, g.proto, g.direction,
             CAST(total(g.sent) AS INTEGER) AS bytes_sent, CAST(total(g.recv) AS INTEGER) AS bytes_recv,
             CAST(total(g.n) AS INTEGER) AS flows
      FROM g, hh
      GROUP BY g.remote_addr, g.remote_port, g.local_port, g.proto, g.direction
      ORDER BY CAST(total(g.sent) AS INTEGER) + CAST(total(g.recv) AS INTEGER) DESC, hh.host, g.remote_addr,
               g.remote_port, g.local_port, g.proto
      LIMIT :limit),
e0 AS NOT MATERIALIZED (
  SELECT f.capture_id, f.process_id, f.remote_addr, f.remote_port, f.local_port, f.proto, f.direction,
         f.remote_name,
         (f.direction = 'in' OR (f.direction = 'unknown' AND f.remote_port >= 32768
                                 AND f.local_port < f.remote_port)) AS inbound
  FROM flows f
  WHERE f.remote_addr IS NOT NULL AND f.direction <> 'listen'
),
e AS NOT MATERIALIZED (
  SELECT c.host_id, f.remote_addr,
         CASE WHEN f.inbound THEN NULL ELSE f.remote_port END AS remote_port,
         CASE WHEN f.inbound THEN f.local_port END AS local_port,
         f.proto,
         CASE WHEN f.inbound THEN 'in' ELSE 'out' END AS direction,
         coalesce(p.comm, '?') AS comm,
         f.remote_port AS raw_remote_port, f.local_port AS raw_local_port, f.remote_name
  FROM e0 f
  JOIN captures c ON c.capture_id = f.capture_id
  LEFT JOIN processes p ON p.process_id = f.process_id
),
-- process names of the chosen rows only, found through the remote endpoint
-- (outbound) or the local port (inbound) indexes
d AS (SELECT DISTINCT e.host_id, e.remote_addr, e.remote_port, e.local_port, e.proto, e.direction, e.comm
      FROM r JOIN e ON e.remote_addr = r.remote_addr AND e.raw_remote_port IS r.remote_port AND e.proto = r.proto
      WHERE r.direction = 'out' AND e.direction = 'out' AND e.host_id = r.host_id
      UNION
      SELECT DISTINCT e.host_id, e.remote_addr, e.remote_port, e.local_port, e.proto, e.direction, e.comm
      FROM r JOIN e ON e.remote_addr = r.remote_addr AND e.raw_local_port IS r.local_port AND e.proto = r.proto
      WHERE r.direction = 'in' AND e.direction = 'in' AND e.host_id = r.host_id
      ORDER BY 1, 2, 3, 4, 5, 6, 7),
pc AS (SELECT host_id, remote_addr, remote_port, local_port, proto, direction, group_concat(comm, ',') AS processes
       FROM d GROUP BY host_id, remote_addr, remote_port, local_port, proto, direction),
-- the names the remote address was looked up under (flows.remote_name)
dn AS (SELECT DISTINCT e.host_id, e.remote_addr, e.remote_port, e.local_port, e.proto, e.direction, e.remote_name
       FROM r JOIN e ON e.remote_addr = r.remote_addr AND e.raw_remote_port IS r.remote_port AND e.proto = r.proto
       WHERE r.direction = 'out' AND e.direction = 'out' AND e.host_id = r.host_id AND e.remote_name IS NOT NULL
       UNION
       SELECT DISTINCT e.host_id, e.remote_addr, e.remote_port, e.local_port, e.proto, e.direction, e.remote_name
       FROM r JOIN e ON e.remote_addr = r.remote_addr AND e.raw_local_port IS r.local_port AND e.proto = r.proto
       WHERE r.direction = 'in' AND e.direction = 'in' AND e.host_id = r.host_id AND e.remote_name IS NOT NULL
       ORDER BY 1, 2, 3, 4, 5, 6, 7),
nc AS (SELECT host_id, remote_addr, remote_port, local_port, proto, direction, group_concat(remote_name, ',') AS names
       FROM dn GROUP BY host_id, remote_addr, remote_port, local_port, proto, direction)
SELECT r.host,
       r.remote_addr,
       r.remote_port,
       r.local_port,
       r.proto,
       r.direction,
       r.bytes_sent,
       r.bytes_recv,
       r.bytes_sent + r.bytes_recv AS bytes_total,
       r.flows,
       pc.processes,
       nc.names AS remote_name
FROM r
JOIN pc ON pc.host_id = r.host_id AND pc.remote_addr = r.remote_addr AND pc.remote_port IS r.remote_port
       AND pc.local_port IS r.local_port AND pc.proto = r.proto AND pc.direction = r.direction
LEFT JOIN nc ON nc.host_id = r.host_id AND nc.remote_addr = r.remote_addr AND nc.remote_port IS r.remote_port
       AND nc.local_port IS r.local_port AND nc.proto = r.proto AND nc.direction = r.direction
ORDER BY bytes_total DESC, r.host, r.remote_addr, r.remote_port, r.local_port, r.proto;
-- @udp-peers-count
-- The number of rows of the udp-peers report (no filter).
SELECT CAST(total(t.udp_peers) AS INTEGER)
FROM temp.pf_proc t
JOIN processes p ON p.process_id = t.process_id
JOIN captures c ON c.capture_id = t.capture_id;
-- @udp-peers-head
-- The first :limit rows of the udp-peers report (queries/udp-peers.sql, no
-- filter): only the flows of the first processes in its order that have
-- that many peers between them are grouped.
WITH o AS (SELECT t.process_id,
                  sum(t.udp_peers) OVER (ORDER BY c.host, p.pid, p.process_id ROWS UNBOUNDED PRECEDING)
                    - t.udp_peers AS before
           FROM temp.pf_proc t
           JOIN processes p ON p.process_id = t.process_id
           JOIN captures c ON c.capture_id = t.capture_id
           WHERE t.udp_peers > 0)
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
       CASE WHEN g.last_ns > p.exit_ns AND g.first_ns <= p.exit_ns THEN p.exit_ns ELSE g.last_ns END AS last_ns,
       g.remote_name
FROM (SELECT f.process_id, min(f.capture_id) AS capture_id, f.remote_addr, f.remote_port,
             CAST(total(f.bytes_sent) AS INTEGER) AS bytes_sent, CAST(total(f.bytes_recv) AS INTEGER) AS bytes_recv,
             CAST(total(f.sends) AS INTEGER) AS sends, CAST(total(f.recvs) AS INTEGER) AS recvs,
             min(f.first_ns) AS first_ns, max(f.last_ns) AS last_ns, max(f.remote_name) AS remote_name
      FROM flows f
      WHERE f.proto = 'udp' AND f.remote_addr IS NOT NULL AND f.direction <> 'listen'
        AND f.process_id IN (SELECT process_id FROM o WHERE before < :limit)
      GROUP BY f.process_id, f.remote_addr, f.remote_port) g
JOIN processes p ON p.process_id = g.process_id
JOIN captures c ON c.capture_id = g.capture_id
ORDER BY c.host, p.pid, p.process_id, g.first_ns, g.remote_addr, g.remote_port
LIMIT :limit;
-- @section
SELECT p.process_id, p.pid, p.ppid, p.comm, p.exe, p.cmdline, p.start_ns, p.exit_ns, p.uid, p.user,
       p.exit_code, p.container,
       (SELECT pp.comm FROM main.processes pp
        WHERE pp.capture_id = p.capture_id AND pp.pid = p.ppid
          AND (pp.start_ns IS NULL OR p.start_ns IS NULL OR pp.start_ns <= p.start_ns)
        ORDER BY pp.start_ns DESC LIMIT 1) AS parent_comm,
       (SELECT CAST(total(bytes_sent) AS INTEGER) FROM flows WHERE process_id = :process_id),
       (SELECT CAST(total(bytes_recv) AS INTEGER) FROM flows WHERE process_id = :process_id),
       (SELECT count(*) FROM flows WHERE process_id = :process_id)
FROM processes p WHERE p.process_id = :process_id;
-- @process-flows
-- A process makes no calls after it exits: a later last_ns is the time the
-- recorder flushed its aggregate, so the flow ends at the exit.
SELECT proto, direction,
       CASE WHEN family = 6 AND local_addr LIKE '%:%' THEN '[' || local_addr || ']' ELSE local_addr END
         || ':' || coalesce(local_port, '') AS local,
       CASE WHEN remote_addr IS NULL THEN '' WHEN remote_addr LIKE '%:%' THEN '[' || remote_addr || ']'
            ELSE remote_addr END || coalesce(':' || remote_port, '') || coalesce(' (' || remote_name || ')', '') AS remote,
       first_ns, last_ns, last_ns - first_ns AS active_dur_ns, bytes_sent, bytes_recv, state
FROM (SELECT f.proto, f.direction, f.family, f.local_addr, f.local_port, f.remote_addr, f.remote_port, f.remote_name,
             f.first_ns,
             CASE WHEN f.last_ns > p.exit_ns AND f.first_ns <= p.exit_ns THEN p.exit_ns ELSE f.last_ns END AS last_ns,
             f.bytes_sent, f.bytes_recv, f.state, f.flow_id
      FROM flows f LEFT JOIN processes p ON p.process_id = f.process_id
      WHERE f.process_id = :process_id)
ORDER BY first_ns, flow_id LIMIT 1000000;
-- @process-timeline
-- TCP connects, accepts and closes; UDP has no connection: its first and
-- last datagram. Ends are clamped to the exit as in process-flows.
SELECT ts_ns, what, detail FROM (
  SELECT start_ns AS ts_ns, 0 AS k, 'started' AS what, cmdline AS detail
  FROM processes WHERE process_id = :process_id AND start_ns IS NOT NULL
  UNION ALL
  SELECT first_ns, 1,
         CASE WHEN direction = 'listen' THEN 'listening'
              WHEN proto = 'udp' AND direction = 'in' THEN 'first datagram from'
              WHEN proto = 'udp' THEN 'first datagram to'
              WHEN direction = 'in' THEN 'accepted' WHEN direction = 'out' THEN 'connected' ELSE 'seen' END,
         proto || ' ' || coalesce(remote_addr || ' port ' || remote_port, 'port ' || local_port)
           || coalesce(' (' || remote_name || ')', '')
  FROM flows WHERE process_id = :process_id AND first_ns IS NOT NULL
  UNION ALL
  SELECT CASE WHEN f.last_ns > p.exit_ns AND f.first_ns <= p.exit_ns THEN p.exit_ns ELSE f.last_ns END, 2,
         CASE WHEN f.proto = 'udp' AND f.remote_addr IS NOT NULL THEN 'last datagram' ELSE 'closed' END,
         f.proto || ' ' || coalesce(f.remote_addr || ' port ' || f.remote_port, 'port ' || f.local_port)
  FROM flows f LEFT JOIN processes p ON p.process_id = f.process_id
  WHERE f.process_id = :process_id AND f.last_ns IS NOT NULL
    AND (f.closed = 1 OR (f.proto = 'udp' AND f.remote_addr IS NOT NULL AND f.direction <> 'listen'))
  UNION ALL
  SELECT exit_ns, 3, 'exited', 'code ' || coalesce(exit_code, '?')
  FROM processes WHERE process_id = :process_id AND exit_ns IS NOT NULL)
ORDER BY ts_ns, k LIMIT 1000000;
