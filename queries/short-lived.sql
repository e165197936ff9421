-- SPDX-License-Identifier: MIT
-- name: short-lived
-- description: Processes that lived under N seconds and used the network
-- param: max duration 10s lifetime below this
-- param: host list null only this host (repeatable)
-- param: from time null only activity at or after this time
-- param: to time null only activity before this time
SELECT c.host,
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
JOIN captures c ON c.capture_id = p.capture_id
JOIN flows f ON f.process_id = p.process_id
WHERE p.start_ns IS NOT NULL AND (:from IS NULL OR f.last_ns >= :from) AND (:to IS NULL OR f.first_ns < :to) AND (:host IS NULL OR instr(char(10) || :host || char(10), char(10) || coalesce(c.host, '') || char(10)) > 0) AND p.exit_ns IS NOT NULL
  AND p.exit_ns - p.start_ns < :max
GROUP BY p.process_id
ORDER BY p.start_ns, c.host, p.pid, p.process_id;
