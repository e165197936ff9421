-- Statements of `procflow-analyze export`; each starts at a "-- @name" line.
-- pf_redact_*() apply `export --redact` (analyzer/src/pfa_redact.h); without
-- it they return their argument.
-- @flows
SELECT f.flow_id, f.capture_id, p.pid, p.comm, f.proto, f.family, f.direction,
       pf_redact_addr(f.local_addr) AS local_addr, f.local_port,
       pf_redact_addr(f.remote_addr) AS remote_addr, f.remote_port, f.first_ns, f.last_ns,
       f.bytes_sent, f.bytes_recv, f.sends, f.recvs, f.state, f.retransmits, f.closed,
       pf_redact_path(p.exe) AS exe
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
SELECT f.flow_id, f.process_id, f.proto, f.direction, pf_redact_addr(f.local_addr) AS local_addr, f.local_port,
       pf_redact_addr(f.remote_addr) AS remote_addr, f.remote_port, f.first_ns, f.last_ns, f.bytes_sent,
       f.bytes_recv, f.state, f.family
FROM flows f WHERE f.process_id IS NOT NULL AND f.first_ns IS NOT NULL
ORDER BY f.process_id, f.first_ns, f.flow_id;
-- @trace-bytes
SELECT b.process_id, b.bucket_ns, CAST(total(b.bytes_sent) AS INTEGER), CAST(total(b.bytes_recv) AS INTEGER)
FROM bytes b WHERE b.process_id IS NOT NULL
GROUP BY b.process_id, b.bucket_ns ORDER BY b.process_id, b.bucket_ns;
-- @zeek
SELECT f.flow_id, f.first_ns, f.last_ns, f.proto, f.direction, pf_redact_addr(f.local_addr) AS local_addr,
       f.local_port, pf_redact_addr(f.remote_addr) AS remote_addr, f.remote_port, f.bytes_sent, f.bytes_recv,
       f.state, f.closed, p.pid, p.comm, c.uuid
FROM flows f JOIN captures c ON c.capture_id = f.capture_id
LEFT JOIN processes p ON p.process_id = f.process_id
WHERE f.direction <> 'listen' AND f.remote_addr IS NOT NULL
ORDER BY f.first_ns, f.flow_id;
