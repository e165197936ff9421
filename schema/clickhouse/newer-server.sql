-- SPDX-License-Identifier: MIT
-- procflow fleet store (ClickHouse): table options that ClickHouse 18.16
-- (Debian 12) refuses (CODEC and TTL are syntax errors there, Code 62), so
-- they are not part of the numbered schema files. The loader runs the
-- "codecs" section once per store, and `retain --ttl` the "ttl" section,
-- only when version() is 20.3 or newer (ch_retain.c); on every shard, on the
-- local tables. Not run against such a server in the project's tests (only
-- 18.16 is packaged here): see docs/fleet.md.
-- {days} is the number of days `retain --ttl` keeps.

-- section: codecs
-- times sorted within a part: delta of deltas; counters: T64 (drops the
-- unused high bits); both then LZ4 as before
ALTER TABLE {db}.bytes{engine_suffix} MODIFY COLUMN bucket_ns Int64 CODEC(DoubleDelta, LZ4);
ALTER TABLE {db}.bytes{engine_suffix} MODIFY COLUMN bytes_sent Int64 CODEC(T64, LZ4);
ALTER TABLE {db}.bytes{engine_suffix} MODIFY COLUMN bytes_recv Int64 CODEC(T64, LZ4);
ALTER TABLE {db}.bytes{engine_suffix} MODIFY COLUMN sends Int64 CODEC(T64, LZ4);
ALTER TABLE {db}.bytes{engine_suffix} MODIFY COLUMN recvs Int64 CODEC(T64, LZ4);
ALTER TABLE {db}.bytes_rollup{engine_suffix} MODIFY COLUMN bucket_ns Int64 CODEC(DoubleDelta, LZ4);
ALTER TABLE {db}.bytes_rollup{engine_suffix} MODIFY COLUMN bytes_sent Int64 CODEC(T64, LZ4);
ALTER TABLE {db}.bytes_rollup{engine_suffix} MODIFY COLUMN bytes_recv Int64 CODEC(T64, LZ4);
ALTER TABLE {db}.bytes_rollup{engine_suffix} MODIFY COLUMN sends Int64 CODEC(T64, LZ4);
ALTER TABLE {db}.bytes_rollup{engine_suffix} MODIFY COLUMN recvs Int64 CODEC(T64, LZ4);
ALTER TABLE {db}.flows{engine_suffix} MODIFY COLUMN flow_id Int64 CODEC(Delta, LZ4);
ALTER TABLE {db}.flows{engine_suffix} MODIFY COLUMN bytes_sent Int64 CODEC(T64, LZ4);
ALTER TABLE {db}.flows{engine_suffix} MODIFY COLUMN bytes_recv Int64 CODEC(T64, LZ4);
ALTER TABLE {db}.flows{engine_suffix} MODIFY COLUMN sends Int64 CODEC(T64, LZ4);
ALTER TABLE {db}.flows{engine_suffix} MODIFY COLUMN recvs Int64 CODEC(T64, LZ4);
ALTER TABLE {db}.snapshots{engine_suffix} MODIFY COLUMN ts_ns Int64 CODEC(DoubleDelta, LZ4);
ALTER TABLE {db}.losses{engine_suffix} MODIFY COLUMN ts_ns Int64 CODEC(DoubleDelta, LZ4);
ALTER TABLE {db}.markers{engine_suffix} MODIFY COLUMN ts_ns Int64 CODEC(DoubleDelta, LZ4);
ALTER TABLE {db}.dns{engine_suffix} MODIFY COLUMN ts_ns Int64 CODEC(DoubleDelta, LZ4);

-- section: ttl
-- each row by its partition's time column: the server drops a part once
-- every row of it is past the TTL. Row by row, not capture by capture: a
-- capture across the boundary loses its older rows first (retain removes
-- whole captures; see docs/fleet.md)
ALTER TABLE {db}.captures{engine_suffix} MODIFY TTL toDateTime(intDiv(ifNull(ended_ns, ifNull(started_ns, 0)), 1000000000)) + INTERVAL {days} DAY;
ALTER TABLE {db}.processes{engine_suffix} MODIFY TTL toDateTime(intDiv(ifNull(start_ns, 0), 1000000000)) + INTERVAL {days} DAY;
ALTER TABLE {db}.flows{engine_suffix} MODIFY TTL toDateTime(intDiv(ifNull(first_ns, 0), 1000000000)) + INTERVAL {days} DAY;
ALTER TABLE {db}.bytes{engine_suffix} MODIFY TTL toDateTime(intDiv(bucket_ns, 1000000000)) + INTERVAL {days} DAY;
ALTER TABLE {db}.bytes_rollup{engine_suffix} MODIFY TTL toDateTime(intDiv(bucket_ns, 1000000000)) + INTERVAL {days} DAY;
ALTER TABLE {db}.snapshots{engine_suffix} MODIFY TTL toDateTime(intDiv(ts_ns, 1000000000)) + INTERVAL {days} DAY;
ALTER TABLE {db}.losses{engine_suffix} MODIFY TTL toDateTime(intDiv(ts_ns, 1000000000)) + INTERVAL {days} DAY;
ALTER TABLE {db}.dns{engine_suffix} MODIFY TTL toDateTime(intDiv(ts_ns, 1000000000)) + INTERVAL {days} DAY;
ALTER TABLE {db}.markers{engine_suffix} MODIFY TTL toDateTime(intDiv(ts_ns, 1000000000)) + INTERVAL {days} DAY;
-- schema 004's tables with a time column; the per-capture ones without one
-- (process_totals, remote_totals, process_ranked, remote_comms) keep their
-- rows until `retain` removes the capture: readers do not see them once the
-- captures row is gone
ALTER TABLE {db}.process_buckets{engine_suffix} MODIFY TTL toDateTime(intDiv(bucket_ns, 1000000000)) + INTERVAL {days} DAY;
ALTER TABLE {db}.timeline_ranked{engine_suffix} MODIFY TTL toDateTime(intDiv(bucket_ns, 1000000000)) + INTERVAL {days} DAY;
ALTER TABLE {db}.udp_peers{engine_suffix} MODIFY TTL toDateTime(intDiv(ifNull(first_ns, 0), 1000000000)) + INTERVAL {days} DAY;
