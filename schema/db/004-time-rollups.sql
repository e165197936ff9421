-- SPDX-License-Identifier: MIT
-- Derived helpers for time-bucketed reports. Every ingest's finishing step
-- (schema/db/rollups.sql) rebuilds them from bytes and bytes_rollup and then
-- sets meta 'rollups_current'; an ingest removes that key first, so a report
-- uses these tables only while they match the base tables.

-- bytes_rollup summed per process: what timeline reads for wide buckets
CREATE TABLE process_rollup (
  bucket_ns  INTEGER NOT NULL,
  process_id INTEGER REFERENCES processes(process_id),
  bytes_sent INTEGER NOT NULL,
  bytes_recv INTEGER NOT NULL,
  sends      INTEGER NOT NULL,
  recvs      INTEGER NOT NULL
);

-- per hour of bucket_ns, the rowid range of its bytes rows (ingest writes
-- bytes in nearly time order, so a time window reads only its rows)
CREATE TABLE bytes_hours (
  hour_ns     INTEGER PRIMARY KEY,
  first_rowid INTEGER NOT NULL,
  last_rowid  INTEGER NOT NULL
);
