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
SELECT source, CAST(total(lost) AS INTEGER) FROM losses GROUP BY source ORDER BY source;
-- @span
SELECT min(bucket_ns), max(bucket_ns) FROM bytes;
-- @chart-top
SELECT b.process_id, p.pid, p.comm
FROM bytes b LEFT JOIN processes p ON p.process_id = b.process_id
WHERE b.bucket_ns >= :t0 AND b.bucket_ns < :t1
GROUP BY b.process_id
ORDER BY CAST(total(b.bytes_sent + b.bytes_recv) AS INTEGER) DESC, b.process_id
LIMIT :n;
-- @chart-bytes
SELECT process_id, (bucket_ns - :t0) / :w, CAST(total(bytes_sent) AS INTEGER), CAST(total(bytes_recv) AS INTEGER)
FROM bytes WHERE bucket_ns >= :t0 AND bucket_ns < :t1
GROUP BY 1, 2;
-- @chart-rollup
SELECT process_id, (bucket_ns - :t0) / :w, CAST(total(bytes_sent) AS INTEGER), CAST(total(bytes_recv) AS INTEGER)
FROM bytes_rollup WHERE bucket_ns >= :t0 AND bucket_ns < :t1
GROUP BY 1, 2;
-- @sections
SELECT p.process_id, p.pid, p.ppid, p.comm, p.exe, p.cmdline, p.start_ns, p.exit_ns, p.uid, p.user,
       p.exit_code, p.container,
       (SELECT pp.comm FROM main.processes pp
        WHERE pp.capture_id = p.capture_id AND pp.pid = p.ppid
          AND (pp.start_ns IS NULL OR p.start_ns IS NULL OR pp.start_ns <= p.start_ns)
        ORDER BY pp.start_ns DESC LIMIT 1) AS parent_comm,
       coalesce(t.sent, 0), coalesce(t.recv, 0), coalesce(t.n, 0)
FROM processes p
LEFT JOIN (SELECT process_id, CAST(total(bytes_sent) AS INTEGER) AS sent, CAST(total(bytes_recv) AS INTEGER) AS recv, count(*) AS n
           FROM flows GROUP BY process_id) t ON t.process_id = p.process_id
WHERE t.n > 0 OR :all
ORDER BY coalesce(t.sent + t.recv, 0) DESC, p.process_id
LIMIT :n;
-- @process-flows
SELECT proto, direction,
       CASE WHEN family = 6 AND local_addr LIKE '%:%' THEN '[' || local_addr || ']' ELSE local_addr END
         || ':' || coalesce(local_port, '') AS local,
       CASE WHEN remote_addr IS NULL THEN '' WHEN remote_addr LIKE '%:%' THEN '[' || remote_addr || ']'
            ELSE remote_addr END || coalesce(':' || remote_port, '') AS remote,
       first_ns, last_ns, last_ns - first_ns AS active_dur_ns, bytes_sent, bytes_recv, state
FROM flows WHERE process_id = :process_id
ORDER BY first_ns, flow_id LIMIT 1000000;
-- @process-timeline
SELECT ts_ns, what, detail FROM (
  SELECT start_ns AS ts_ns, 0 AS k, 'started' AS what, cmdline AS detail
  FROM processes WHERE process_id = :process_id AND start_ns IS NOT NULL
  UNION ALL
  SELECT first_ns, 1, CASE direction WHEN 'listen' THEN 'listening' WHEN 'in' THEN 'accepted'
                                     WHEN 'out' THEN 'connected' ELSE 'seen' END,
         proto || ' ' || coalesce(remote_addr || ' port ' || remote_port, 'port ' || local_port)
  FROM flows WHERE process_id = :process_id AND first_ns IS NOT NULL
  UNION ALL
  SELECT last_ns, 2, 'closed',
         proto || ' ' || coalesce(remote_addr || ' port ' || remote_port, 'port ' || local_port)
  FROM flows WHERE process_id = :process_id AND closed = 1 AND last_ns IS NOT NULL
  UNION ALL
  SELECT exit_ns, 3, 'exited', 'code ' || coalesce(exit_code, '?')
  FROM processes WHERE process_id = :process_id AND exit_ns IS NOT NULL)
ORDER BY ts_ns, k LIMIT 1000000;
