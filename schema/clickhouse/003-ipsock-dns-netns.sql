-- SPDX-License-Identifier: MIT
-- procflow fleet store (ClickHouse), schema version 3: what SQLite schemas
-- 3, 5 and 6 added (schema/db/003-ip-sockets.sql, 005-dns.sql,
-- 006-netns.sql): the protocol number behind each proto (ICMP, raw and
-- packet sockets), the DNS answers the processes received, per flow the
-- name its remote address was looked up under, and the network namespace
-- of flows, processes and snapshot rows. Columns in the SQLite meaning
-- (schema/db.md).
-- ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS: the loader runs this
-- file once per store (schema_version below 3) and skips an ADD COLUMN
-- whose column is there (an earlier, interrupted run). On a cluster each
-- ALTER runs on NAME_local and on the Distributed NAME. New columns go last:
-- the loader's copy statements list them in this order.

ALTER TABLE {db}.flows{engine_suffix} ADD COLUMN proto_num Nullable(Int64);
ALTER TABLE {db}.flows{engine_suffix} ADD COLUMN remote_name Nullable(String);
ALTER TABLE {db}.flows{engine_suffix} ADD COLUMN netns Nullable(Int64);
ALTER TABLE {db}.processes{engine_suffix} ADD COLUMN netns Nullable(Int64);
ALTER TABLE {db}.snapshots{engine_suffix} ADD COLUMN proto_num Nullable(Int64);
ALTER TABLE {db}.snapshots{engine_suffix} ADD COLUMN netns Nullable(Int64);

-- one row per answer address of a lookup (none: one row, addr NULL);
-- lookup_id is numbered per capture here, like process_id and flow_id
CREATE TABLE IF NOT EXISTS {db}.dns{engine_suffix} (
  host        String,
  capture_id  UInt64,
  lookup_id   Int64,
  process_id  Nullable(Int64),
  ts_ns       Int64,
  qname       String,
  qtype       String,
  rcode       String,
  cname       Nullable(String),
  addr        Nullable(String),
  ttl         Nullable(Int64),
  proto       String,
  server_addr Nullable(String),
  server_port Nullable(Int64),
  truncated   Int64
) ENGINE = MergeTree
PARTITION BY intDiv(ts_ns, 86400000000000)
ORDER BY (host, ts_ns, capture_id, lookup_id);

-- a view keeps the columns it was made with: those whose tables grew are
-- made again (readers see no view for that moment, once per store)
DROP TABLE IF EXISTS {db}.visible_processes;
CREATE VIEW IF NOT EXISTS {db}.visible_processes AS
SELECT * FROM {db}.processes WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);

DROP TABLE IF EXISTS {db}.visible_flows;
CREATE VIEW IF NOT EXISTS {db}.visible_flows AS
SELECT * FROM {db}.flows WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);

DROP TABLE IF EXISTS {db}.visible_snapshots;
CREATE VIEW IF NOT EXISTS {db}.visible_snapshots AS
SELECT * FROM {db}.snapshots WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);

CREATE VIEW IF NOT EXISTS {db}.visible_dns AS
SELECT * FROM {db}.dns WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);
