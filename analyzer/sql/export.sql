-- SPDX-License-Identifier: MIT
-- Statements of `procflow-analyze export`; each starts at a "-- @name" line.
-- pf_redact_*() apply `export --redact` (analyzer/src/pfa_redact.h); without
-- it they return their argument.
-- @flows
SELECT f.flow_id, f.capture_id, p.pid, p.comm, f.proto, f.family, f.direction,
       pf_redact_addr(f.local_addr) AS local_addr, f.local_port,
       pf_redact_addr(f.remote_addr) AS remote_addr, f.remote_port, f.first_ns, f.last_ns,
       f.bytes_sent, f.bytes_recv, f.sends, f.recvs, f.state, f.retransmits, f.closed,
       pf_redact_path(p.exe) AS exe, pf_redact_host(f.remote_name) AS remote_name
FROM flows f LEFT JOIN processes p ON p.process_id = f.process_id
ORDER BY f.first_ns, f.flow_id;
-- @bytes
SELECT b.flow_id, b.bucket_ns, p.pid, p.comm, f.proto, pf_redact_addr(f.remote_addr) AS remote_addr, f.remote_port,
       CAST(total(b.bytes_sent) AS INTEGER) AS bytes_sent, CAST(total(b.bytes_recv) AS INTEGER) AS bytes_recv,
       CAST(total(b.sends) AS INTEGER) AS sends, CAST(total(b.recvs) AS INTEGER) AS recvs
FROM bytes b JOIN flows f ON f.flow_id = b.flow_id
LEFT JOIN processes p ON p.process_id = f.process_id
GROUP BY b.flow_id, b.bucket_ns
ORDER BY b.bucket_ns, b.flow_id;
-- @base
-- the base of relative times (+5m, -1h): the start of the earliest capture
-- (pfa_capture_start(); the only place that says it)
SELECT min(started_ns) FROM main.captures;
-- @span
SELECT min(started_ns), max(ended_ns) FROM captures;
-- @bucket
SELECT value FROM meta WHERE key = 'bucket_ns';
-- @trace-processes
SELECT p.process_id, p.pid, p.comm, pf_redact_cmdline(p.cmdline, p.exe, p.comm) AS cmdline FROM processes p
WHERE p.process_id IN (SELECT process_id FROM flows)
ORDER BY p.start_ns, p.process_id;
-- @trace-flows
-- A process makes no calls after it exits: a later last_ns is the time the
-- recorder flushed its aggregate, so the slice ends at the exit.
SELECT f.flow_id, f.process_id, f.proto, f.direction, pf_redact_addr(f.local_addr) AS local_addr, f.local_port,
       pf_redact_addr(f.remote_addr) AS remote_addr, f.remote_port, f.first_ns,
       CASE WHEN f.last_ns > p.exit_ns AND f.first_ns <= p.exit_ns THEN p.exit_ns ELSE f.last_ns END AS last_ns,
       f.bytes_sent, f.bytes_recv, f.state, f.family, pf_redact_host(f.remote_name) AS remote_name
FROM flows f LEFT JOIN processes p ON p.process_id = f.process_id
WHERE f.process_id IS NOT NULL AND f.first_ns IS NOT NULL
ORDER BY f.process_id, f.first_ns, f.flow_id;
-- @trace-bytes
SELECT b.process_id, b.bucket_ns, CAST(total(b.bytes_sent) AS INTEGER), CAST(total(b.bytes_recv) AS INTEGER)
FROM bytes b WHERE b.process_id IS NOT NULL
GROUP BY b.process_id, b.bucket_ns ORDER BY b.process_id, b.bucket_ns;
-- @zeek
-- peer: the flow of the other end of the same connection on the same host
-- (loopback or a local address; an unconnected socket's unspecified local
-- address matches any); both rows then share one uid. The peer's remote
-- address is the true local address of an unconnected UDP socket.
-- remote_local: the remote address is one of the host's own.
WITH locals AS MATERIALIZED (
  SELECT DISTINCT c.host, f.local_addr AS addr
  FROM main.flows f JOIN main.captures c ON c.capture_id = f.capture_id
  WHERE f.local_addr IS NOT NULL AND f.local_addr NOT IN ('0.0.0.0', '::')),
z AS (
  SELECT f.*, c.uuid, c.host,
         (SELECT min(g.flow_id) FROM main.flows g JOIN main.captures gc ON gc.capture_id = g.capture_id
          WHERE g.local_port = f.remote_port AND g.remote_port = f.local_port AND g.proto = f.proto
            AND g.flow_id <> f.flow_id AND g.direction <> 'listen' AND gc.host IS c.host
            AND (g.remote_addr = f.local_addr OR f.local_addr IN ('0.0.0.0', '::'))
            AND (g.local_addr = f.remote_addr OR g.local_addr IN ('0.0.0.0', '::'))
            AND coalesce(g.first_ns, 0) <= coalesce(f.last_ns, f.first_ns, 0)
            AND coalesce(f.first_ns, 0) <= coalesce(g.last_ns, g.first_ns, 0)) AS peer_id
  FROM flows f JOIN captures c ON c.capture_id = f.capture_id
  WHERE f.direction <> 'listen' AND f.remote_addr IS NOT NULL)
SELECT z.flow_id, z.first_ns,
       CASE WHEN z.last_ns > p.exit_ns AND z.first_ns <= p.exit_ns THEN p.exit_ns ELSE z.last_ns END AS last_ns,
       z.proto, z.direction,
       pf_redact_addr(CASE WHEN z.local_addr IN ('0.0.0.0', '::') THEN g.remote_addr ELSE z.local_addr END)
         AS local_addr,
       z.local_port,
       pf_redact_addr(CASE WHEN z.remote_addr IN ('0.0.0.0', '::') THEN NULL ELSE z.remote_addr END) AS remote_addr,
       z.remote_port, z.bytes_sent, z.bytes_recv,
       z.state, z.closed, p.pid, p.comm,
       CASE WHEN g.flow_id < z.flow_id THEN gc.uuid ELSE z.uuid END AS uid_uuid,
       CASE WHEN g.flow_id < z.flow_id THEN g.flow_id ELSE z.flow_id END AS uid_flow,
       g.flow_id IS NOT NULL OR z.remote_addr LIKE '127.%' OR z.remote_addr = '::1'
         OR z.remote_addr LIKE '::ffff:127.%'
         OR EXISTS (SELECT 1 FROM locals l WHERE l.host IS z.host AND l.addr = z.remote_addr) AS remote_local
FROM z LEFT JOIN processes p ON p.process_id = z.process_id
LEFT JOIN main.flows g ON g.flow_id = z.peer_id
LEFT JOIN main.captures gc ON gc.capture_id = g.capture_id
ORDER BY z.first_ns, z.flow_id;
