-- SPDX-License-Identifier: MIT
-- DNS statements of the ingest; each starts at a "-- @name" line.
-- @insert
INSERT INTO dns(capture_id, lookup_id, process_id, ts_ns, qname, qtype, rcode, cname, addr, ttl, proto,
                server_addr, server_port, truncated)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);
-- @next-lookup
SELECT coalesce(max(lookup_id), 0) + 1 FROM dns;
-- @remote-names
-- After capture ?1 is attached to its host: every flow of that capture, and
-- every flow of the same host whose remote address one of its answers
-- names, gets the name its process (else any process on the host) last
-- looked up for that address before the flow began.
UPDATE flows SET remote_name = coalesce(
  (SELECT d.qname FROM dns d
   WHERE d.addr = flows.remote_addr AND d.ts_ns <= flows.first_ns AND d.process_id = flows.process_id
   ORDER BY d.ts_ns DESC, d.lookup_id DESC LIMIT 1),
  (SELECT d.qname FROM dns d JOIN captures dc ON dc.capture_id = d.capture_id
   WHERE d.addr = flows.remote_addr AND d.ts_ns <= flows.first_ns
     AND dc.host_id IS (SELECT fc.host_id FROM captures fc WHERE fc.capture_id = flows.capture_id)
   ORDER BY d.ts_ns DESC, d.lookup_id DESC LIMIT 1))
WHERE remote_addr IN (SELECT addr FROM dns WHERE addr IS NOT NULL)
  AND (capture_id = ?1
       OR (remote_addr IN (SELECT addr FROM dns WHERE capture_id = ?1 AND addr IS NOT NULL)
           AND capture_id IN (SELECT c.capture_id FROM captures c
                              WHERE c.host_id IS (SELECT host_id FROM captures WHERE capture_id = ?1))));
