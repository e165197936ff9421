-- SPDX-License-Identifier: MIT
-- name: conversations
-- description: Both ends of each connection recorded on one or two hosts, process to process, with each side's bytes and their difference; unmatched ends listed
-- param: host list null only conversations with an end on this host (repeatable)
-- param: proto text null only this protocol (tcp, udp, icmp, icmpv6, raw)
-- param: from time null only activity at or after this time
-- param: to time null only activity before this time
-- Ends pair on protocol and both endpoints with overlapping times once the
-- server host's clock offset (clock_offsets, estimated at ingest) is taken
-- out. An end whose remote address belongs to a recorded host but that has
-- no partner is listed as unmatched.
WITH
  sel AS (SELECT h.host_id FROM hosts h
          WHERE :host IS NULL OR instr(char(10) || :host || char(10), char(10) || h.name || char(10)) > 0),
  v AS (SELECT * FROM v_conversations
        WHERE (:from IS NULL OR last_ns >= :from) AND (:to IS NULL OR first_ns < :to)
          AND (client_host_id IN (SELECT host_id FROM sel) OR server_host_id IN (SELECT host_id FROM sel))
          AND (:proto IS NULL OR proto = :proto)),
  -- addresses some recorded host uses locally: the other end could have been recorded
  mine AS (SELECT DISTINCT local_addr FROM v_flow_ends),
  lone AS (SELECT e.* FROM v_flow_ends e
           WHERE (:from IS NULL OR e.last_ns >= :from) AND (:to IS NULL OR e.first_ns < :to)
             AND e.host_id IN (SELECT host_id FROM sel) AND (:proto IS NULL OR e.proto = :proto)
             AND e.remote_addr IN (SELECT local_addr FROM mine)
             AND e.flow_id NOT IN (SELECT client_flow_id FROM conversations)
             AND e.flow_id NOT IN (SELECT server_flow_id FROM conversations))
SELECT 'paired' AS match,
       v.proto,
       ch.name AS client_host, cp.pid AS client_pid, cp.comm AS client_comm,
       v.client_addr, v.client_port,
       sh.name AS server_host, sp.pid AS server_pid, sp.comm AS server_comm,
       v.server_addr, v.server_port,
       v.first_ns, v.last_ns,
       v.client_sent, v.server_recv, v.client_sent - v.server_recv AS sent_diff,
       v.server_sent, v.client_recv, v.server_sent - v.client_recv AS reply_diff,
       v.offset_ns / 1e6 AS clock_offset_ms
FROM v
JOIN hosts ch ON ch.host_id = v.client_host_id
JOIN hosts sh ON sh.host_id = v.server_host_id
LEFT JOIN processes cp ON cp.process_id = v.client_process_id
LEFT JOIN processes sp ON sp.process_id = v.server_process_id
UNION ALL
SELECT CASE WHEN e.direction = 'in' THEN 'unmatched server end' ELSE 'unmatched client end' END,
       e.proto,
       CASE WHEN e.direction <> 'in' THEN h.name END, CASE WHEN e.direction <> 'in' THEN p.pid END,
       CASE WHEN e.direction <> 'in' THEN p.comm END,
       CASE WHEN e.direction <> 'in' THEN e.local_addr ELSE e.remote_addr END,
       CASE WHEN e.direction <> 'in' THEN e.local_port ELSE e.remote_port END,
       CASE WHEN e.direction = 'in' THEN h.name END, CASE WHEN e.direction = 'in' THEN p.pid END,
       CASE WHEN e.direction = 'in' THEN p.comm END,
       CASE WHEN e.direction = 'in' THEN e.local_addr ELSE e.remote_addr END,
       CASE WHEN e.direction = 'in' THEN e.local_port ELSE e.remote_port END,
       e.first_ns, e.last_ns,
       CASE WHEN e.direction <> 'in' THEN e.bytes_sent END, CASE WHEN e.direction = 'in' THEN e.bytes_recv END, NULL,
       CASE WHEN e.direction = 'in' THEN e.bytes_sent END, CASE WHEN e.direction <> 'in' THEN e.bytes_recv END, NULL,
       NULL
FROM lone e
JOIN hosts h ON h.host_id = e.host_id
LEFT JOIN processes p ON p.process_id = e.process_id
ORDER BY 1 DESC, 13, 3, 8, 6, 7, 11, 12;
