-- Statements of the HTML report; each starts at a "-- @name" line.
-- @base
SELECT min(started_ns) FROM main.captures;
-- @meta
SELECT (SELECT value FROM meta WHERE key = 'bucket_ns'), (SELECT value FROM meta WHERE key = 'rollup_ns');
-- @captures
SELECT capture_id, host, os, platform, recorder, started_ns, ended_ns, records,
       chunks_ok, chunks_damaged, events_lost, bytes_skipped, clean_close, path
FROM captures ORDER BY started_ns, capture_id;
-- @losses
SELECT source, sum(lost) FROM losses GROUP BY source ORDER BY source;
-- @span
SELECT min(bucket_ns), max(bucket_ns) FROM bytes;
-- @chart-top
-- Programs (process names) by bytes in the window; a program's processes
-- are one series. Every program is returned: the report picks how many to
-- name from the running share.
SELECT p.comm, count(*), min(p.pid), sum(t.total) AS total, t.process_id IS NULL
FROM (SELECT process_id, sum(bytes_sent + bytes_recv) AS total FROM bytes
      WHERE bucket_ns >= :t0 AND bucket_ns < :t1 GROUP BY process_id) t
LEFT JOIN processes p ON p.process_id = t.process_id
GROUP BY p.comm, t.process_id IS NULL
ORDER BY total DESC, p.comm;
-- @chart-top-rollup
SELECT p.comm, count(*), min(p.pid), sum(t.total) AS total, t.process_id IS NULL
FROM (SELECT process_id, sum(bytes_sent + bytes_recv) AS total FROM bytes_rollup
      WHERE bucket_ns >= :t0 AND bucket_ns < :t1 GROUP BY process_id) t
LEFT JOIN processes p ON p.process_id = t.process_id
GROUP BY p.comm, t.process_id IS NULL
ORDER BY total DESC, p.comm;
-- @chart-bytes
SELECT t.process_id, p.comm, t.slot, t.sent, t.recv
FROM (SELECT process_id, (bucket_ns - :t0) / :w AS slot, sum(bytes_sent) AS sent, sum(bytes_recv) AS recv
      FROM bytes WHERE bucket_ns >= :t0 AND bucket_ns < :t1 GROUP BY 1, 2) t
LEFT JOIN processes p ON p.process_id = t.process_id;
-- @chart-rollup
SELECT t.process_id, p.comm, t.slot, t.sent, t.recv
FROM (SELECT process_id, (bucket_ns - :t0) / :w AS slot, sum(bytes_sent) AS sent, sum(bytes_recv) AS recv
      FROM bytes_rollup WHERE bucket_ns >= :t0 AND bucket_ns < :t1 GROUP BY 1, 2) t
LEFT JOIN processes p ON p.process_id = t.process_id;
-- @sections
SELECT p.process_id, p.pid, p.ppid, p.comm, p.exe, p.cmdline, p.start_ns, p.exit_ns, p.uid, p.user,
       p.exit_code, p.container,
       (SELECT pp.comm FROM main.processes pp
        WHERE pp.capture_id = p.capture_id AND pp.pid = p.ppid
          AND (pp.start_ns IS NULL OR p.start_ns IS NULL OR pp.start_ns <= p.start_ns)
        ORDER BY pp.start_ns DESC LIMIT 1) AS parent_comm,
       coalesce(t.sent, 0), coalesce(t.recv, 0), coalesce(t.n, 0)
FROM processes p
LEFT JOIN (SELECT process_id, sum(bytes_sent) AS sent, sum(bytes_recv) AS recv, count(*) AS n
           FROM flows GROUP BY process_id) t ON t.process_id = p.process_id
WHERE t.n > 0 OR :all
ORDER BY coalesce(t.sent + t.recv, 0) DESC, p.process_id
LIMIT :n;
-- @process-flows
-- A process makes no calls after it exits: a later last_ns is the time the
-- recorder flushed its aggregate, so the flow ends at the exit.
SELECT proto, direction,
       CASE WHEN family = 6 AND local_addr LIKE '%:%' THEN '[' || local_addr || ']' ELSE local_addr END
         || ':' || coalesce(local_port, '') AS local,
       CASE WHEN remote_addr IS NULL THEN '' WHEN remote_addr LIKE '%:%' THEN '[' || remote_addr || ']'
            ELSE remote_addr END || coalesce(':' || remote_port, '') AS remote,
       first_ns, last_ns, last_ns - first_ns AS active_dur_ns, bytes_sent, bytes_recv, state
FROM (SELECT f.proto, f.direction, f.family, f.local_addr, f.local_port, f.remote_addr, f.remote_port, f.first_ns,
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
