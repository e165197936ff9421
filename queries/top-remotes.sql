-- SPDX-License-Identifier: MIT
-- name: top-remotes
-- description: Remote endpoints by bytes, with the processes that talked to them; inbound connections grouped by remote address and local service port
-- param: limit int 20 maximum rows
-- param: proto tcp|udp|icmp|icmpv6|raw|packet null only this protocol
-- param: host list null only this host (repeatable)
-- param: from time null only activity at or after this time
-- param: to time null only activity before this time
-- An inbound connection's remote port is the client's ephemeral port: such
-- rows are grouped by remote address and the local (service) port instead.
-- A connection already open when recording started (direction unknown)
-- counts as inbound when the remote side has the ephemeral port.
-- only the columns used, and only rows with a remote end: this set is
-- materialized, and copying whole flow rows was most of the report's time
WITH e0 AS NOT MATERIALIZED (
  SELECT f.capture_id, f.process_id, f.remote_addr, f.remote_port, f.local_port, f.proto, f.direction,
         f.first_ns, f.last_ns, f.bytes_sent, f.bytes_recv, f.remote_name,
         (f.direction = 'in' OR (f.direction = 'unknown' AND f.remote_port >= 32768
                                 AND f.local_port < f.remote_port)) AS inbound
  FROM flows f
  WHERE +f.remote_addr IS NOT NULL AND f.direction <> 'listen'
),
e AS NOT MATERIALIZED (
  SELECT c.host_id, coalesce(c.host, '') AS host, f.remote_addr,
         CASE WHEN f.inbound THEN NULL ELSE f.remote_port END AS remote_port,
         CASE WHEN f.inbound THEN f.local_port END AS local_port,
         f.proto,
         CASE WHEN f.inbound THEN 'in' ELSE 'out' END AS direction,
         f.bytes_sent, f.bytes_recv, coalesce(p.comm, '?') AS comm,
         f.remote_port AS raw_remote_port, f.local_port AS raw_local_port, f.remote_name
  FROM e0 f
  JOIN captures c ON c.capture_id = f.capture_id
  LEFT JOIN processes p ON p.process_id = f.process_id
  WHERE +f.remote_addr IS NOT NULL AND f.direction <> 'listen'
    AND (:proto IS NULL OR f.proto = :proto)
    AND (:from IS NULL OR f.last_ns >= :from) AND (:to IS NULL OR f.first_ns < :to)
    AND (:host IS NULL OR instr(char(10) || :host || char(10), char(10) || coalesce(c.host, '') || char(10)) > 0)
),
-- Without a time window, and with a limit of at most the rows stored per
-- host and protocol (or any, when all are stored), the groups are read
-- ranked, with their names (top_remotes, rebuilt after each ingest), instead
-- of summed from every flow.
s AS (SELECT EXISTS (SELECT 1 FROM meta WHERE key = 'rollups_current') AND :from IS NULL AND :to IS NULL
             AND (n.kept = 9223372036854775807 OR (:limit >= 0 AND :limit <= n.kept)) AS stored
      FROM (SELECT coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'top_remotes'), -1) AS kept) n),
-- (+ drops the columns' affinity, which the computed rows have not: the
-- automatic indexes of the joins below need the two alike)
r AS (SELECT * FROM (SELECT x.host_id, x.host, x.remote_addr, +x.remote_port AS remote_port,
                            +x.local_port AS local_port, x.proto, +x.direction AS direction,
                            x.bytes_sent, x.bytes_recv, x.flows, x.processes, x.names
                     FROM s CROSS JOIN top_remotes x
                     WHERE s.stored AND (:proto IS NULL OR x.proto = :proto)
                       AND (:host IS NULL OR instr(char(10) || :host || char(10), char(10) || x.host || char(10)) > 0)
                     ORDER BY x.seq
                     LIMIT :limit)
      UNION ALL
      SELECT * FROM (SELECT host_id, host, remote_addr, remote_port, local_port, proto, direction,
                            CAST(total(bytes_sent) AS INTEGER) AS bytes_sent, CAST(total(bytes_recv) AS INTEGER) AS bytes_recv,
                            count(*) AS flows, NULL AS processes, NULL AS names
                     FROM s CROSS JOIN e
                     WHERE NOT s.stored
                     GROUP BY host_id, remote_addr, remote_port, local_port, proto, direction
                     ORDER BY CAST(total(bytes_sent) AS INTEGER) + CAST(total(bytes_recv) AS INTEGER) DESC, host,
                              remote_addr, remote_port, local_port, proto
                     LIMIT :limit)),
-- process names of the chosen rows only (stored rows have them), found
-- through the remote endpoint (outbound) or the local port (inbound) indexes
d AS (SELECT DISTINCT e.host_id, e.remote_addr, e.remote_port, e.local_port, e.proto, e.direction, e.comm
      FROM r JOIN e ON e.remote_addr = r.remote_addr AND e.raw_remote_port IS r.remote_port AND e.proto = r.proto
      WHERE r.processes IS NULL AND r.direction = 'out' AND e.direction = 'out' AND e.host_id = r.host_id
      UNION
      SELECT DISTINCT e.host_id, e.remote_addr, e.remote_port, e.local_port, e.proto, e.direction, e.comm
      FROM r JOIN e ON e.remote_addr = r.remote_addr AND e.raw_local_port IS r.local_port AND e.proto = r.proto
      WHERE r.processes IS NULL AND r.direction = 'in' AND e.direction = 'in' AND e.host_id = r.host_id
      ORDER BY 1, 2, 3, 4, 5, 6, 7),
pc AS (SELECT host_id, remote_addr, remote_port, local_port, proto, direction, group_concat(comm, ',') AS processes
       FROM d GROUP BY host_id, remote_addr, remote_port, local_port, proto, direction
       UNION ALL
       SELECT host_id, remote_addr, remote_port, local_port, proto, direction, processes FROM r
       WHERE processes IS NOT NULL),
-- the names the remote address was looked up under (flows.remote_name)
dn AS (SELECT DISTINCT e.host_id, e.remote_addr, e.remote_port, e.local_port, e.proto, e.direction, e.remote_name
       FROM r JOIN e ON e.remote_addr = r.remote_addr AND e.raw_remote_port IS r.remote_port AND e.proto = r.proto
       WHERE r.processes IS NULL AND r.direction = 'out' AND e.direction = 'out' AND e.host_id = r.host_id
         AND e.remote_name IS NOT NULL
       UNION
       SELECT DISTINCT e.host_id, e.remote_addr, e.remote_port, e.local_port, e.proto, e.direction, e.remote_name
       FROM r JOIN e ON e.remote_addr = r.remote_addr AND e.raw_local_port IS r.local_port AND e.proto = r.proto
       WHERE r.processes IS NULL AND r.direction = 'in' AND e.direction = 'in' AND e.host_id = r.host_id
         AND e.remote_name IS NOT NULL
       ORDER BY 1, 2, 3, 4, 5, 6, 7),
nc AS (SELECT host_id, remote_addr, remote_port, local_port, proto, direction, group_concat(remote_name, ',') AS names
       FROM dn GROUP BY host_id, remote_addr, remote_port, local_port, proto, direction
       UNION ALL
       SELECT host_id, remote_addr, remote_port, local_port, proto, direction, names FROM r
       WHERE processes IS NOT NULL AND names IS NOT NULL)
SELECT r.host,
       r.remote_addr,
       r.remote_port,
       r.local_port,
       r.proto,
       r.direction,
       r.bytes_sent,
       r.bytes_recv,
       r.bytes_sent + r.bytes_recv AS bytes_total,
       r.flows,
       pc.processes,
       nc.names AS remote_name
FROM r
JOIN pc ON pc.host_id = r.host_id AND pc.remote_addr = r.remote_addr AND pc.remote_port IS r.remote_port
       AND pc.local_port IS r.local_port AND pc.proto = r.proto AND pc.direction = r.direction
LEFT JOIN nc ON nc.host_id = r.host_id AND nc.remote_addr = r.remote_addr AND nc.remote_port IS r.remote_port
       AND nc.local_port IS r.local_port AND nc.proto = r.proto AND nc.direction = r.direction
ORDER BY bytes_total DESC, r.host, r.remote_addr, r.remote_port, r.local_port, r.proto;
