-- SPDX-License-Identifier: MIT
-- name: new-remotes
-- description: Remote endpoints in order of first contact, with the process that made it
-- param: since time null only endpoints first contacted at or after this time
-- param: limit int 1000 maximum rows
-- param: host list null only this host (repeatable)
-- param: from time null only activity at or after this time
-- param: to time null only activity before this time
WITH r AS (
  SELECT remote_addr, remote_port, proto, min(first_ns) AS first_ns, count(*) AS flows
  FROM flows
  WHERE remote_addr IS NOT NULL AND direction <> 'listen'
    AND (:from IS NULL OR last_ns >= :from) AND (:to IS NULL OR first_ns < :to)
    AND (:host IS NULL OR capture_id IN (SELECT capture_id FROM captures c WHERE (:host IS NULL OR instr(char(10) || :host || char(10), char(10) || coalesce(c.host, '') || char(10)) > 0)))
  GROUP BY remote_addr, remote_port, proto
  HAVING :since IS NULL OR min(first_ns) >= :since
  ORDER BY first_ns, remote_addr, remote_port, proto
  LIMIT :limit
)
SELECT r.first_ns,
       c.host,
       r.remote_addr,
       r.remote_port,
       r.proto,
       p.pid,
       p.comm,
       f.direction,
       r.flows,
       f.remote_name
FROM r
JOIN flows f ON f.flow_id = (SELECT f2.flow_id FROM flows f2
                             WHERE f2.remote_addr = r.remote_addr AND f2.remote_port IS r.remote_port
                               AND f2.proto = r.proto AND f2.direction <> 'listen'
                               AND (:from IS NULL OR f2.last_ns >= :from) AND (:to IS NULL OR f2.first_ns < :to)
                               AND (:host IS NULL OR f2.capture_id IN (SELECT capture_id FROM captures c WHERE (:host IS NULL OR instr(char(10) || :host || char(10), char(10) || coalesce(c.host, '') || char(10)) > 0)))
                             ORDER BY f2.first_ns, f2.flow_id LIMIT 1)
JOIN captures c ON c.capture_id = f.capture_id
LEFT JOIN processes p ON p.process_id = f.process_id
ORDER BY r.first_ns, r.remote_addr, r.remote_port, r.proto;
