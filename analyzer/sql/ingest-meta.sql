-- SPDX-License-Identifier: MIT
-- Ingest: the database's bucket widths (see ingest-captures.sql).
-- @bucket
SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'bucket_ns';
-- @set-bucket
INSERT OR REPLACE INTO meta(key, value) VALUES ('bucket_ns', ?), ('rollup_ns', ?);
