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
       f.remote_addr,
       f.remote_port,
       sum(f.bytes_sent) AS bytes_sent,
       sum(f.bytes_recv) AS bytes_recv,
       sum(f.sends) AS sends,
       sum(f.recvs) AS recvs,
       min(f.first_ns) AS first_ns,
       max(f.last_ns) AS last_ns
FROM flows f
JOIN processes p ON p.process_id = f.process_id
JOIN captures c ON c.capture_id = f.capture_id
WHERE f.proto = 'udp' AND f.remote_addr IS NOT NULL AND f.direction <> 'listen'
  AND (:comm IS NULL OR p.comm = :comm)
  AND (:pid IS NULL OR p.pid = :pid)
  AND (:from IS NULL OR f.last_ns >= :from) AND (:to IS NULL OR f.first_ns < :to)
  AND (:host IS NULL OR instr(char(10) || :host || char(10), char(10) || coalesce(c.host, '') || char(10)) > 0)
GROUP BY p.process_id, f.remote_addr, f.remote_port
ORDER BY c.host, p.pid, p.process_id, first_ns, f.remote_addr, f.remote_port;
