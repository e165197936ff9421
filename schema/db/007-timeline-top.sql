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
