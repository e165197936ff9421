-- name: top-talkers
-- description: Processes by bytes sent plus received
-- param: limit int 20 maximum rows
-- param: capture int null only this capture_id
SELECT p.capture_id,
       p.pid,
       p.comm,
       CAST(total(f.bytes_sent) AS INTEGER) AS bytes_sent,
       CAST(total(f.bytes_recv) AS INTEGER) AS bytes_recv,
       CAST(total(f.bytes_sent + f.bytes_recv) AS INTEGER) AS bytes_total,
       count(*) AS flows,
       count(DISTINCT f.remote_addr) AS remotes,
       p.exe
FROM flows f
LEFT JOIN processes p ON p.process_id = f.process_id
WHERE (:capture IS NULL OR f.capture_id = :capture)
GROUP BY f.process_id
ORDER BY bytes_total DESC, f.process_id
LIMIT :limit;
