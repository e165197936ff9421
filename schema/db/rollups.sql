-- SPDX-License-Identifier: MIT
-- Rebuilds the derived tables of 003-time-rollups.sql after a load, in one
-- transaction so that a concurrent reader sees either the old complete set
-- or the new one. Runs after indexes.sql.
BEGIN IMMEDIATE;
DELETE FROM meta WHERE key = 'rollups_current';
DELETE FROM process_rollup;
INSERT INTO process_rollup(bucket_ns, process_id, bytes_sent, bytes_recv, sends, recvs)
SELECT bucket_ns, process_id, CAST(total(bytes_sent) AS INTEGER), CAST(total(bytes_recv) AS INTEGER),
       CAST(total(sends) AS INTEGER), CAST(total(recvs) AS INTEGER)
FROM bytes_rollup
GROUP BY bucket_ns, process_id;
DELETE FROM bytes_hours;
INSERT INTO bytes_hours(hour_ns, first_rowid, last_rowid)
SELECT bucket_ns - ((bucket_ns % 3600000000000) + 3600000000000) % 3600000000000, min(rowid), max(rowid)
FROM bytes
GROUP BY 1;
INSERT OR REPLACE INTO meta(key, value) VALUES('rollups_current', '1');
COMMIT;
