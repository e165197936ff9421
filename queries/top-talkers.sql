-- SPDX-License-Identifier: MIT
-- name: top-talkers
-- description: Processes by bytes sent plus received
-- param: limit int 20 maximum rows
-- param: host list null only this host (repeatable)
-- param: capture int null only this capture_id
-- param: from time null only activity at or after this time
-- param: to time null only activity before this time
SELECT c.host,
       p.pid,
       p.comm,
       CAST(total(f.bytes_sent) AS INTEGER) AS bytes_sent,
       CAST(total(f.bytes_recv) AS INTEGER) AS bytes_recv,
       CAST(total(f.bytes_sent + f.bytes_recv) AS INTEGER) AS bytes_total,
       count(*) AS flows,
       count(DISTINCT f.remote_addr) AS remotes,
       p.exe
FROM flows f
JOIN captures c ON c.capture_id = f.capture_id
LEFT JOIN processes p ON p.process_id = f.process_id
WHERE (:capture IS NULL OR f.capture_id = :capture)
  AND (:from IS NULL OR f.last_ns >= :from) AND (:to IS NULL OR f.first_ns < :to)
  AND (:host IS NULL OR instr(char(10) || :host || char(10), char(10) || coalesce(c.host, '') || char(10)) > 0)
GROUP BY c.host_id, f.process_id
ORDER BY bytes_total DESC, c.host, f.process_id
LIMIT :limit;
