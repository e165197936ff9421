-- SPDX-License-Identifier: MIT
-- procflow fleet store (ClickHouse), schema version 1: the tables of the
-- SQLite contract (schema/db.md) with the same column names and meanings,
-- plus `host` in every table (the sharding and ordering key). capture_id is
-- global here: the first 8 bytes of the capture UUID as a number, so many
-- hosts ingest at once without coordinating ids; process_id and flow_id stay
-- numbers local to their capture and are joined together with capture_id.
-- Written for ClickHouse 18.16 and later (no column codecs, no TTL, no
-- DateTime64: see docs/fleet.md). {db} is the database, {engine_suffix} is
-- empty for plain tables and `_local` under a Distributed table.
-- A capture is visible once its row in `captures` exists: it is inserted
-- last, and the visible_* views (002) read only rows of visible captures.

CREATE TABLE IF NOT EXISTS {db}.meta{engine_suffix} (
  key   String,
  value String
) ENGINE = ReplacingMergeTree ORDER BY key;

CREATE TABLE IF NOT EXISTS {db}.captures{engine_suffix} (
  host           String,
  capture_id     UInt64,
  uuid           String,
  path           Nullable(String),
  os             Nullable(String),
  platform       Nullable(String),
  started_ns     Nullable(Int64),
  ended_ns       Nullable(Int64),
  records        Int64,
  chunks_ok      Int64,
  chunks_damaged Int64,
  events_lost    Int64,
  series_uuid    Nullable(String),
  file_seq       Nullable(Int64),
  recorder       Nullable(String),
  comment        Nullable(String),
  clean_close    Nullable(Int64),
  bytes_skipped  Int64,
  ingested_ns    Nullable(Int64)
) ENGINE = MergeTree
PARTITION BY intDiv(ifNull(started_ns, 0), 86400000000000)
ORDER BY (host, capture_id);

CREATE TABLE IF NOT EXISTS {db}.processes{engine_suffix} (
  host       String,
  capture_id UInt64,
  process_id Int64,
  pid        Int64,
  ppid       Nullable(Int64),
  start_ns   Nullable(Int64),
  exit_ns    Nullable(Int64),
  uid        Nullable(Int64),
  comm       Nullable(String),
  exe        Nullable(String),
  cmdline    Nullable(String),
  container  Nullable(String),
  exit_code  Nullable(Int64),
  user       Nullable(String),
  cgroup     Nullable(String)
) ENGINE = MergeTree
PARTITION BY intDiv(ifNull(start_ns, 0), 86400000000000)
ORDER BY (host, capture_id, process_id);

CREATE TABLE IF NOT EXISTS {db}.flows{engine_suffix} (
  host        String,
  capture_id  UInt64,
  flow_id     Int64,
  process_id  Nullable(Int64),
  proto       String,
  family      Int64,
  local_addr  Nullable(String),
  local_port  Nullable(Int64),
  remote_addr Nullable(String),
  remote_port Nullable(Int64),
  direction   String,
  first_ns    Nullable(Int64),
  last_ns     Nullable(Int64),
  bytes_sent  Int64,
  bytes_recv  Int64,
  sends       Int64,
  recvs       Int64,
  state       Nullable(String),
  retransmits Int64,
  sock_id     Nullable(Int64),
  closed      Int64
) ENGINE = MergeTree
PARTITION BY intDiv(ifNull(first_ns, 0), 86400000000000)
ORDER BY (host, capture_id, flow_id);

CREATE TABLE IF NOT EXISTS {db}.bytes{engine_suffix} (
  host       String,
  capture_id UInt64,
  flow_id    Int64,
  bucket_ns  Int64,
  bytes_sent Int64,
  bytes_recv Int64,
  sends      Int64,
  recvs      Int64,
  process_id Nullable(Int64)
) ENGINE = MergeTree
PARTITION BY intDiv(bucket_ns, 86400000000000)
ORDER BY (host, bucket_ns, capture_id, flow_id);

CREATE TABLE IF NOT EXISTS {db}.bytes_rollup{engine_suffix} (
  host       String,
  capture_id UInt64,
  flow_id    Int64,
  bucket_ns  Int64,
  bytes_sent Int64,
  bytes_recv Int64,
  sends      Int64,
  recvs      Int64,
  process_id Nullable(Int64)
) ENGINE = MergeTree
PARTITION BY intDiv(bucket_ns, 86400000000000)
ORDER BY (host, bucket_ns, capture_id, flow_id);

CREATE TABLE IF NOT EXISTS {db}.snapshots{engine_suffix} (
  host        String,
  capture_id  UInt64,
  ts_ns       Int64,
  proto       String,
  family      Int64,
  state       Nullable(String),
  local_addr  Nullable(String),
  local_port  Nullable(Int64),
  remote_addr Nullable(String),
  remote_port Nullable(Int64),
  pid         Nullable(Int64),
  process_id  Nullable(Int64),
  uid         Nullable(Int64),
  bytes_sent  Nullable(Int64),
  bytes_recv  Nullable(Int64),
  sock_id     Nullable(Int64)
) ENGINE = MergeTree
PARTITION BY intDiv(ts_ns, 86400000000000)
ORDER BY (host, ts_ns, capture_id);

CREATE TABLE IF NOT EXISTS {db}.losses{engine_suffix} (
  host       String,
  capture_id UInt64,
  ts_ns      Int64,
  source     String,
  lost       Int64,
  cpu        Nullable(Int64),
  since_ns   Nullable(Int64)
) ENGINE = MergeTree
PARTITION BY intDiv(ts_ns, 86400000000000)
ORDER BY (host, ts_ns, capture_id);

CREATE TABLE IF NOT EXISTS {db}.damage{engine_suffix} (
  host          String,
  capture_id    UInt64,
  file_offset   Int64,
  resume_offset Nullable(Int64),
  chunk_seq     Nullable(Int64),
  error         Nullable(String),
  what          Nullable(String)
) ENGINE = MergeTree ORDER BY (host, capture_id, file_offset);

CREATE TABLE IF NOT EXISTS {db}.hostinfo{engine_suffix} (
  host       String,
  capture_id UInt64,
  key        Nullable(String),
  value      Nullable(String)
) ENGINE = MergeTree ORDER BY (host, capture_id);

CREATE TABLE IF NOT EXISTS {db}.markers{engine_suffix} (
  host       String,
  capture_id UInt64,
  ts_ns      Int64,
  text       Nullable(String)
) ENGINE = MergeTree
PARTITION BY intDiv(ts_ns, 86400000000000)
ORDER BY (host, ts_ns, capture_id);
