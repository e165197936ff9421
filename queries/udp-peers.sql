-- name: udp-peers
-- description: Every UDP remote peer of a process, with bytes each way and first/last seen
-- param: comm text null process name (exact)
-- param: pid int null process id
SELECT p.pid,
       p.comm,
       f.remote_addr,
       f.remote_port,
       CAST(total(f.bytes_sent) AS INTEGER) AS bytes_sent,
       CAST(total(f.bytes_recv) AS INTEGER) AS bytes_recv,
       CAST(total(f.sends) AS INTEGER) AS sends,
       CAST(total(f.recvs) AS INTEGER) AS recvs,
       min(f.first_ns) AS first_ns,
       max(f.last_ns) AS last_ns
FROM flows f
JOIN processes p ON p.process_id = f.process_id
WHERE f.proto = 'udp' AND f.remote_addr IS NOT NULL AND f.direction <> 'listen'
  AND (:comm IS NULL OR p.comm = :comm)
  AND (:pid IS NULL OR p.pid = :pid)
GROUP BY p.process_id, f.remote_addr, f.remote_port
ORDER BY p.pid, p.process_id, first_ns, f.remote_addr, f.remote_port;
