-- SPDX-License-Identifier: MIT
-- The busiest processes of every time bucket, ranked when the derived tables
-- are rebuilt after a load (analyzer/src/rollup.c): for the ingest bucket
-- (meta 'bucket_ns') and for ten times it, the first N processes of each
-- bucket by bytes both ways (N in meta 'timeline_top', present only while
-- this table is current). The timeline report reads it instead of summing
-- and ranking every bytes row.
CREATE TABLE timeline_top (
  width_ns   INTEGER NOT NULL,
  bucket_ns  INTEGER NOT NULL,
  rank       INTEGER NOT NULL, -- 1 = most bytes; ties by process_id, NULL first
  process_id INTEGER REFERENCES processes(process_id),
  bytes_sent INTEGER NOT NULL,
  bytes_recv INTEGER NOT NULL,
  sends      INTEGER NOT NULL,
  recvs      INTEGER NOT NULL,
  PRIMARY KEY (width_ns, bucket_ns, rank)
) WITHOUT ROWID;

-- Every UDP peer of every process, as the udp-peers report lists them without
-- a time window: flows summed per (process, remote address, remote port),
-- rebuilt with the tables above. seq is the report's order (host, pid,
-- process_id, first_ns, remote_addr, remote_port).
CREATE TABLE udp_peers (
  seq         INTEGER PRIMARY KEY,
  process_id  INTEGER NOT NULL REFERENCES processes(process_id),
  capture_id  INTEGER NOT NULL REFERENCES captures(capture_id), -- the earliest capture of its flows
  remote_addr TEXT,
  remote_port INTEGER,
  bytes_sent  INTEGER NOT NULL,
  bytes_recv  INTEGER NOT NULL,
  sends       INTEGER NOT NULL,
  recvs       INTEGER NOT NULL,
  first_ns    INTEGER,
  last_ns     INTEGER,
  remote_name TEXT
);

-- A database from before has none of these rows: its derived tables are not
-- current until the next ingest rebuilds them (reports read the base tables
-- meanwhile).
DELETE FROM meta WHERE key = 'rollups_current';
