-- SPDX-License-Identifier: MIT
-- procflow fleet store (ClickHouse), schema version 4: tables summed at
-- insert, which the top-talkers, top-remotes, timeline and udp-peers reports
-- read instead of the row tables when no time window narrows them (see
-- docs/fleet.md "Aggregate tables"). Each is filled by a materialized view
-- on its row table: every insert into flows or bytes_rollup (either loader,
-- an INSERT ... SELECT) adds its block's sums. A table's rows are one
-- capture's, so the visible_* views below and the removal of a capture's
-- rows (retain, an interrupted load) treat them like the row tables'.
-- Merges sum rows of the same key in the background: readers always GROUP
-- BY the key again. 18.16 refuses Nullable columns in a sorting key, so a
-- NULL of a key column is a 0 with a flag (*_null = 1); names differ from
-- the row tables' (process_num, not process_id) because ClickHouse aliases
-- are global to a query (the view's expressions would read their own alias).
-- Each view's SELECT ends ordered by its table's key: the server then
-- writes the block without sorting it.
-- Every table counts its rows (flows/rows): SummingMergeTree drops a row
-- whose sums are all 0, and a count is never 0.

-- per (host, capture, process): totals of its flows (top-talkers)
CREATE TABLE IF NOT EXISTS {db}.process_totals{engine_suffix} (
  host         String,
  capture_id   UInt64,
  process_num  Int64,
  process_null UInt8,
  bytes_sent   Int64,
  bytes_recv   Int64,
  flows        UInt64,
  remotes      AggregateFunction(uniqExact, String)
) ENGINE = SummingMergeTree
ORDER BY (host, capture_id, process_null, process_num);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.process_totals_mv{engine_suffix} TO {db}.process_totals{engine_suffix} AS
SELECT host, capture_id, ifNull(process_id, 0) AS process_num, isNull(process_id) AS process_null,
       sum(bytes_sent) AS bytes_sent, sum(bytes_recv) AS bytes_recv, count() AS flows,
       uniqExactState(remote_addr) AS remotes
FROM {db}.flows{engine_suffix}
GROUP BY host, capture_id, process_num, process_null
ORDER BY host, capture_id, process_null, process_num;

-- per (host, capture, remote endpoint) as top-remotes groups it: outbound
-- by remote port, inbound (or an unknown direction with the remote side on
-- the ephemeral port) by local port; `port` is that port. The processes are
-- kept as their ids (names are joined to the chosen rows only), flows
-- without a process counted in `unnamed`. addr: the remote address, way:
-- 'in' or 'out' (the report's direction).
CREATE TABLE IF NOT EXISTS {db}.remote_totals{engine_suffix} (
  host        String,
  capture_id  UInt64,
  addr        String,
  proto       String,
  way         String,
  port        Int64,
  port_null   UInt8,
  bytes_sent  Int64,
  bytes_recv  Int64,
  flows       UInt64,
  unnamed     UInt64,
  processes   AggregateFunction(groupUniqArray, Int64),
  names       AggregateFunction(groupUniqArray, String)
) ENGINE = SummingMergeTree
ORDER BY (host, capture_id, addr, proto, way, port_null, port);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.remote_totals_mv{engine_suffix} TO {db}.remote_totals{engine_suffix} AS
SELECT host, capture_id, assumeNotNull(remote_addr) AS addr, proto,
       if(ifNull(direction = 'in' OR (direction = 'unknown' AND remote_port >= 32768 AND local_port < remote_port), 0),
          'in', 'out') AS way,
       ifNull(if(way = 'in', local_port, remote_port), 0) AS port,
       isNull(if(way = 'in', local_port, remote_port)) AS port_null,
       sum(bytes_sent) AS bytes_sent, sum(bytes_recv) AS bytes_recv, count() AS flows,
       countIf(isNull(process_id)) AS unnamed, groupUniqArrayState(process_id) AS processes,
       groupUniqArrayState(remote_name) AS names
FROM {db}.flows{engine_suffix}
WHERE remote_addr IS NOT NULL AND direction <> 'listen'
GROUP BY host, capture_id, addr, proto, way, port_null, port
ORDER BY host, capture_id, addr, proto, way, port_null, port;

-- per (host, capture, process, rollup bucket): the rollup rows summed over
-- the process's flows (timeline per process at widths of whole rollup buckets)
CREATE TABLE IF NOT EXISTS {db}.process_buckets{engine_suffix} (
  host         String,
  capture_id   UInt64,
  process_num  Int64,
  process_null UInt8,
  bucket_ns    Int64,
  bytes_sent   Int64,
  bytes_recv   Int64,
  sends        Int64,
  recvs        Int64,
  rows         UInt64
) ENGINE = SummingMergeTree
PARTITION BY intDiv(bucket_ns, 86400000000000)
ORDER BY (host, bucket_ns, capture_id, process_null, process_num);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.process_buckets_mv{engine_suffix} TO {db}.process_buckets{engine_suffix} AS
SELECT host, capture_id, ifNull(process_id, 0) AS process_num, isNull(process_id) AS process_null, bucket_ns,
       sum(bytes_sent) AS bytes_sent, sum(bytes_recv) AS bytes_recv, sum(sends) AS sends, sum(recvs) AS recvs,
       count() AS rows
FROM {db}.bytes_rollup{engine_suffix}
GROUP BY host, capture_id, process_num, process_null, bucket_ns
ORDER BY host, bucket_ns, capture_id, process_null, process_num;

-- per capture and round timeline width: the capture's busiest processes of
-- each bucket, at most 20 of them (the timeline's default `top`). Written by the
-- loader once the capture's rows are in, before its captures row
-- (analyzer/sql/clickhouse-ranked.sql): the fleet's busiest processes of a
-- bucket are among the busiest of their own capture, so a timeline without
-- process filters ranks these few rows instead of every process. pid and
-- comm: the process's (NULL: no process, or one without a row).
CREATE TABLE IF NOT EXISTS {db}.timeline_ranked{engine_suffix} (
  host         String,
  capture_id   UInt64,
  width_ns     Int64,
  bucket_ns    Int64,
  process_num  Int64,
  process_null UInt8,
  bytes_sent   Int64,
  bytes_recv   Int64,
  sends        Int64,
  recvs        Int64,
  pid          Nullable(Int64),
  comm         Nullable(String)
) ENGINE = MergeTree
PARTITION BY intDiv(bucket_ns, 86400000000000)
ORDER BY (width_ns, bucket_ns, capture_id);

-- per capture: its processes ranked by bytes sent plus received (most
-- first, then process_id), with their totals; flows of no process are not
-- here (they group per host, over captures). Written by the loader like
-- timeline_ranked: the fleet's top N processes are among the top N of their
-- own capture.
CREATE TABLE IF NOT EXISTS {db}.process_ranked{engine_suffix} (
  host        String,
  capture_id  UInt64,
  rank        UInt64,
  process_num Int64,
  bytes_sent  Int64,
  bytes_recv  Int64,
  flows       UInt64,
  remotes     UInt64
) ENGINE = MergeTree
ORDER BY (rank, capture_id);

-- per capture and remote_totals group: the distinct names of its processes
-- ('?': no process, or one without a row), written by the loader
CREATE TABLE IF NOT EXISTS {db}.remote_comms{engine_suffix} (
  host       String,
  capture_id UInt64,
  addr       String,
  proto      String,
  way        String,
  port       Int64,
  port_null  UInt8,
  comms      Array(String)
) ENGINE = MergeTree
ORDER BY (host, capture_id, addr);

-- per capture: udp-peers' groups, summed once the capture is in (written by
-- the loader; the peers of a process are all in its capture)
CREATE TABLE IF NOT EXISTS {db}.udp_peers{engine_suffix} (
  host        String,
  capture_id  UInt64,
  process_id  Int64,
  remote_addr String,
  remote_port Nullable(Int64),
  bytes_sent  Int64,
  bytes_recv  Int64,
  sends       Int64,
  recvs       Int64,
  first_ns    Nullable(Int64),
  last_ns     Nullable(Int64),
  remote_name Nullable(String)
) ENGINE = MergeTree
PARTITION BY intDiv(ifNull(first_ns, 0), 86400000000000)
ORDER BY (host, capture_id, process_id);

-- rows of captures loaded before this version (complete ones; a capture
-- whose load runs while the store is migrated: see docs/fleet.md). Each
-- runs per shard on its local tables; a capture already summed is skipped.
INSERT INTO {db}.process_totals{engine_suffix}
SELECT host, capture_id, ifNull(process_id, 0) AS process_num, isNull(process_id) AS process_null,
       sum(bytes_sent) AS bytes_sent, sum(bytes_recv) AS bytes_recv, count() AS flows,
       uniqExactState(remote_addr) AS remotes
FROM {db}.flows{engine_suffix}
WHERE capture_id IN (SELECT capture_id FROM {db}.captures{engine_suffix})
  AND capture_id NOT IN (SELECT capture_id FROM {db}.process_totals{engine_suffix})
GROUP BY host, capture_id, process_num, process_null
ORDER BY host, capture_id, process_null, process_num;

INSERT INTO {db}.remote_totals{engine_suffix}
SELECT host, capture_id, assumeNotNull(remote_addr) AS addr, proto,
       if(ifNull(direction = 'in' OR (direction = 'unknown' AND remote_port >= 32768 AND local_port < remote_port), 0),
          'in', 'out') AS way,
       ifNull(if(way = 'in', local_port, remote_port), 0) AS port,
       isNull(if(way = 'in', local_port, remote_port)) AS port_null,
       sum(bytes_sent) AS bytes_sent, sum(bytes_recv) AS bytes_recv, count() AS flows,
       countIf(isNull(process_id)) AS unnamed, groupUniqArrayState(process_id) AS processes,
       groupUniqArrayState(remote_name) AS names
FROM {db}.flows{engine_suffix}
WHERE remote_addr IS NOT NULL AND direction <> 'listen'
  AND capture_id IN (SELECT capture_id FROM {db}.captures{engine_suffix})
  AND capture_id NOT IN (SELECT capture_id FROM {db}.remote_totals{engine_suffix})
GROUP BY host, capture_id, addr, proto, way, port_null, port
ORDER BY host, capture_id, addr, proto, way, port_null, port;

INSERT INTO {db}.process_buckets{engine_suffix}
SELECT host, capture_id, ifNull(process_id, 0) AS process_num, isNull(process_id) AS process_null, bucket_ns,
       sum(bytes_sent) AS bytes_sent, sum(bytes_recv) AS bytes_recv, sum(sends) AS sends, sum(recvs) AS recvs,
       count() AS rows
FROM {db}.bytes_rollup{engine_suffix}
WHERE capture_id IN (SELECT capture_id FROM {db}.captures{engine_suffix})
  AND capture_id NOT IN (SELECT capture_id FROM {db}.process_buckets{engine_suffix})
GROUP BY host, capture_id, process_num, process_null, bucket_ns
ORDER BY host, bucket_ns, capture_id, process_null, process_num;

-- what readers read: rows of complete captures only (as 002)
CREATE VIEW IF NOT EXISTS {db}.visible_process_totals AS
SELECT * FROM {db}.process_totals WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);

CREATE VIEW IF NOT EXISTS {db}.visible_remote_totals AS
SELECT * FROM {db}.remote_totals WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);

CREATE VIEW IF NOT EXISTS {db}.visible_process_buckets AS
SELECT * FROM {db}.process_buckets WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);

CREATE VIEW IF NOT EXISTS {db}.visible_timeline_ranked AS
SELECT * FROM {db}.timeline_ranked WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);

CREATE VIEW IF NOT EXISTS {db}.visible_process_ranked AS
SELECT * FROM {db}.process_ranked WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);

CREATE VIEW IF NOT EXISTS {db}.visible_remote_comms AS
SELECT * FROM {db}.remote_comms WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);

CREATE VIEW IF NOT EXISTS {db}.visible_udp_peers AS
SELECT * FROM {db}.udp_peers WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);
