-- SPDX-License-Identifier: MIT
-- The SQL part of rebuilding the derived tables of 004-time-rollups.sql,
-- 007-ranked-reports.sql and 008-top-reports.sql after a load
-- (process_rollup, udp_peers, top_talkers).
-- analyzer/src/rollup.c runs it inside its transaction, then fills
-- bytes_hours and timeline_top from two passes over bytes, top_remotes from
-- one over flows, and sets meta 'rollups_current'. A load into an empty
-- database builds process_rollup, bytes_hours and timeline_top as it goes
-- (analyzer/src/rollup_live.c) and sets meta 'rollups_live': then only the
-- part from @after-live runs.
DELETE FROM meta WHERE key IN ('rollups_current', 'timeline_top', 'timeline_top_widths', 'rollups_live', 'top_remotes');
DELETE FROM process_rollup;
INSERT INTO process_rollup(bucket_ns, process_id, bytes_sent, bytes_recv, sends, recvs)
SELECT bucket_ns, process_id, CAST(total(bytes_sent) AS INTEGER), CAST(total(bytes_recv) AS INTEGER),
       CAST(total(sends) AS INTEGER), CAST(total(recvs) AS INTEGER)
FROM bytes_rollup
GROUP BY bucket_ns, process_id;
DELETE FROM bytes_hours;
DELETE FROM timeline_top;
-- @after-live
DELETE FROM meta WHERE key = 'rollups_live';
DELETE FROM udp_peers;
-- grouped first, ordered in a second statement: one sorter (4 MiB) at a time
DROP TABLE IF EXISTS temp.pf_udp;
CREATE TEMP TABLE pf_udp AS
SELECT f.process_id, min(f.capture_id) AS capture_id, f.remote_addr, f.remote_port,
       CAST(total(f.bytes_sent) AS INTEGER) AS bytes_sent, CAST(total(f.bytes_recv) AS INTEGER) AS bytes_recv,
       CAST(total(f.sends) AS INTEGER) AS sends, CAST(total(f.recvs) AS INTEGER) AS recvs,
       min(f.first_ns) AS first_ns, max(f.last_ns) AS last_ns, max(f.remote_name) AS remote_name
FROM flows f NOT INDEXED -- one pass over the table: reading it in process_id order costs more
WHERE f.proto = 'udp' AND +f.remote_addr IS NOT NULL AND f.direction <> 'listen'
GROUP BY f.process_id, f.remote_addr, f.remote_port;
INSERT INTO udp_peers(process_id, capture_id, remote_addr, remote_port, bytes_sent, bytes_recv, sends, recvs,
                      first_ns, last_ns, remote_name)
SELECT g.process_id, g.capture_id, g.remote_addr, g.remote_port, g.bytes_sent, g.bytes_recv, g.sends, g.recvs,
       g.first_ns, g.last_ns, g.remote_name
FROM temp.pf_udp g
JOIN processes p ON p.process_id = g.process_id
JOIN captures c ON c.capture_id = g.capture_id
ORDER BY c.host, p.pid, p.process_id, g.first_ns, g.remote_addr, g.remote_port;
DROP TABLE temp.pf_udp;
DELETE FROM top_talkers;
INSERT INTO top_talkers(host_id, host, process_id, bytes_sent, bytes_recv, bytes_total, flows, remotes)
SELECT c.host_id, c.host, f.process_id,
       CAST(total(f.bytes_sent) AS INTEGER) AS bytes_sent,
       CAST(total(f.bytes_recv) AS INTEGER) AS bytes_recv,
       CAST(total(f.bytes_sent + f.bytes_recv) AS INTEGER) AS bytes_total,
       count(*),
       count(DISTINCT f.remote_addr)
FROM flows f
JOIN captures c ON c.capture_id = f.capture_id
GROUP BY c.host_id, f.process_id
ORDER BY bytes_total DESC, c.host, f.process_id;
-- top_remotes: filled by analyzer/src/top_remotes.c after this script
DELETE FROM top_remotes;
