-- name: short-lived
-- description: Processes that lived under N seconds and used the network
-- param: max duration 10s lifetime below this
SELECT p.capture_id,
       p.pid,
       p.ppid,
       p.comm,
       p.start_ns,
       p.exit_ns,
       p.exit_ns - p.start_ns AS lifetime_dur_ns,
       count(f.flow_id) AS flows,
       CAST(total(f.bytes_sent) AS INTEGER) AS bytes_sent,
       CAST(total(f.bytes_recv) AS INTEGER) AS bytes_recv,
       p.cmdline
FROM processes p
JOIN flows f ON f.process_id = p.process_id
WHERE p.start_ns IS NOT NULL AND p.exit_ns IS NOT NULL
  AND p.exit_ns - p.start_ns < :max
GROUP BY p.process_id
ORDER BY p.start_ns, p.pid, p.process_id;
