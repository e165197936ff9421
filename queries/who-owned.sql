-- SPDX-License-Identifier: MIT
-- name: who-owned
-- description: Process(es) owning a local or remote endpoint, optionally at a given time (the IDS-alert question), and the DNS lookups that answered with the address
-- param: addr addr required IP address (local or remote side)
-- param: port port required port
-- param: at time null moment to ask about (ISO-8601, +90s from capture start, @ns); empty = whole capture
-- param: slack duration 2s tolerance around first/last seen when --param at is given
-- param: host list null only this host (repeatable)
-- param: from time null only activity at or after this time
-- param: to time null only activity before this time
WITH m AS (
  SELECT 'flow' AS source, f.capture_id, f.process_id,
         CASE WHEN f.remote_addr = :addr AND f.remote_port = :port THEN 'remote' ELSE 'local' END AS side,
         f.proto, f.local_addr, f.local_port, f.remote_addr, f.remote_port, f.direction,
         f.first_ns AS from_ns,
         CASE WHEN f.direction = 'listen' AND f.closed = 0
              THEN max(f.last_ns, coalesce(p.exit_ns, c.ended_ns)) ELSE f.last_ns END AS until_ns,
         f.remote_name AS name
  FROM flows f
  JOIN captures c ON c.capture_id = f.capture_id
  LEFT JOIN processes p ON p.process_id = f.process_id
  WHERE (f.remote_addr = :addr AND f.remote_port = :port)
     OR (f.local_port = :port AND (f.local_addr = :addr OR f.local_addr IN ('0.0.0.0', '::')))
  UNION ALL
  SELECT 'snapshot', s.capture_id, s.process_id,
         CASE WHEN s.remote_addr = :addr AND s.remote_port = :port THEN 'remote' ELSE 'local' END,
         s.proto, s.local_addr, s.local_port, s.remote_addr, s.remote_port, NULL,
         min(s.ts_ns), max(s.ts_ns), NULL
  FROM snapshots s
  WHERE (s.remote_addr = :addr AND s.remote_port = :port)
     OR (s.local_port = :port AND (s.local_addr = :addr OR s.local_addr IN ('0.0.0.0', '::')))
  GROUP BY s.capture_id, s.process_id, s.proto, s.local_addr, s.local_port, s.remote_addr, s.remote_port
  UNION ALL
  -- lookups answered with the address (any port): valid from the answer until its TTL ran out
  SELECT 'dns', d.capture_id, d.process_id, 'lookup', d.proto, NULL, NULL, d.server_addr, d.server_port, NULL,
         d.ts_ns, d.ts_ns + coalesce(d.ttl, 0) * 1000000000, d.qname
  FROM dns d
  WHERE d.addr = :addr
)
SELECT c.host,
       p.pid,
       p.comm,
       m.side,
       m.proto,
       m.local_addr,
       m.local_port,
       m.remote_addr,
       m.remote_port,
       m.direction,
       m.from_ns AS first_ns,
       m.until_ns AS last_ns,
       m.source,
       p.exe,
       m.name
FROM m
JOIN captures c ON c.capture_id = m.capture_id
LEFT JOIN processes p ON p.process_id = m.process_id
WHERE (:from IS NULL OR m.until_ns >= :from) AND (:to IS NULL OR m.from_ns < :to)
  AND (:host IS NULL OR instr(char(10) || :host || char(10), char(10) || coalesce(c.host, '') || char(10)) > 0) AND (:at IS NULL OR :at BETWEEN m.from_ns - :slack AND m.until_ns + :slack)
ORDER BY m.from_ns, c.host, p.pid, m.source, m.local_port, m.remote_addr, m.remote_port;
