-- SPDX-License-Identifier: MIT
-- name: listeners
-- description: Listening TCP and serving UDP ports per process (client UDP sockets and ownerless rows left out)
-- param: port port null only this local port
-- param: host list null only this host (repeatable)
-- param: from time null only activity at or after this time
-- param: to time null only activity before this time
WITH l AS (
  SELECT f.capture_id, f.process_id, f.proto, f.local_addr, f.local_port,
         f.first_ns AS first_ns,
         CASE WHEN f.closed = 0 THEN max(f.last_ns, coalesce(p.exit_ns, c.ended_ns)) ELSE f.last_ns END AS last_ns,
         'events' AS seen
  FROM flows f
  JOIN captures c ON c.capture_id = f.capture_id
  LEFT JOIN processes p ON p.process_id = f.process_id
  WHERE f.direction = 'listen'
  UNION ALL
  SELECT s.capture_id, s.process_id, s.proto, s.local_addr, s.local_port,
         s.ts_ns, s.ts_ns, 'snapshot'
  FROM snapshots s
  WHERE (s.proto = 'tcp' AND s.state = 'LISTEN')
     OR (s.proto = 'udp' AND s.remote_port = 0 AND s.remote_addr IN ('0.0.0.0', '::'))
)
SELECT c.host,
       p.pid,
       p.comm,
       l.proto,
       l.local_addr,
       l.local_port,
       min(l.first_ns) AS first_ns,
       max(l.last_ns) AS last_ns,
       CASE WHEN max(l.seen = 'events') AND max(l.seen = 'snapshot') THEN 'events,snapshot'
            WHEN max(l.seen = 'events') THEN 'events' ELSE 'snapshot' END AS seen_by
FROM l
JOIN captures c ON c.capture_id = l.capture_id
JOIN processes p ON p.process_id = l.process_id
WHERE (:port IS NULL OR l.local_port = :port)
  AND (:from IS NULL OR l.last_ns >= :from) AND (:to IS NULL OR l.first_ns < :to)
  AND (:host IS NULL OR instr(char(10) || :host || char(10), char(10) || coalesce(c.host, '') || char(10)) > 0)
  -- a UDP socket that spoke first to its peers and was never spoken to first
  -- is a client's (a resolver's query socket), not a listener
  AND (l.proto <> 'udp'
       OR NOT EXISTS (SELECT 1 FROM flows o WHERE o.process_id = l.process_id AND o.local_port = l.local_port
                      AND o.proto = 'udp' AND o.direction = 'out')
       OR EXISTS (SELECT 1 FROM flows i WHERE i.process_id = l.process_id AND i.local_port = l.local_port
                  AND i.proto = 'udp' AND i.direction = 'in'))
GROUP BY c.host_id, l.process_id, l.proto, l.local_addr, l.local_port
ORDER BY l.local_port, l.proto, l.local_addr, c.host, p.pid, l.process_id;
