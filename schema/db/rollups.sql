-- SPDX-License-Identifier: MIT
-- The SQL part of rebuilding the derived tables of 004-time-rollups.sql and
-- 007-timeline-top.sql after a load. analyzer/src/rollup.c runs it inside
-- its transaction, then fills bytes_hours and timeline_top from one pass over
-- bytes and sets meta 'rollups_current'.
DELETE FROM meta WHERE key IN ('rollups_current', 'timeline_top');
DELETE FROM process_rollup;
INSERT INTO process_rollup(bucket_ns, process_id, bytes_sent, bytes_recv, sends, recvs)
SELECT bucket_ns, process_id, CAST(total(bytes_sent) AS INTEGER), CAST(total(bytes_recv) AS INTEGER),
       CAST(total(sends) AS INTEGER), CAST(total(recvs) AS INTEGER)
FROM bytes_rollup
GROUP BY bucket_ns, process_id;
DELETE FROM bytes_hours;
DELETE FROM timeline_top;
