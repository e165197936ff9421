-- SPDX-License-Identifier: MIT
-- procflow fleet store (ClickHouse), schema version 5: tables the
-- new-remotes and who-owned reports read instead of the row tables, so
-- their time does not grow with the flows and snapshots (see docs/fleet.md
-- "Summed tables"). Both are written by the loader once a capture's rows
-- are in, before its captures row (analyzer/sql/clickhouse-capture-end.sql);
-- a store of an older version gets them for its complete captures when it
-- is next opened for loading. Like the tables of 004, their rows are one
-- capture's: retain and the clean-up of an interrupted load remove them
-- with the capture's other rows.

-- per (host, capture, remote endpoint as new-remotes groups it: address,
-- port, protocol) of the flows with a remote address that do not listen:
-- the first contact (min first_ns), the flows, and the capture's first flow
-- there (by first_ns, NULL first, then flow_id) with its process's pid and
-- name (NULL: no process, or one without a row). A few thousand rows per
-- capture where the flows are hundreds of thousands.
CREATE TABLE IF NOT EXISTS {db}.remote_first{engine_suffix} (
  host          String,
  capture_id    UInt64,
  remote_addr   String,
  remote_port   Nullable(Int64),
  proto         String,
  first_ns      Nullable(Int64),
  flows         UInt64,
  flow_first_ns Nullable(Int64),
  flow_id       Int64,
  process_id    Nullable(Int64),
  direction     String,
  remote_name   Nullable(String),
  pid           Nullable(Int64),
  comm          Nullable(String)
) ENGINE = MergeTree
PARTITION BY intDiv(ifNull(first_ns, 0), 86400000000000)
ORDER BY (host, capture_id, remote_addr);

-- the flows and snapshot sockets by endpoint: one row for each side of a
-- flow or of a snapshot group (per capture, process, protocol and both
-- endpoints, as who-owned groups them) whose address and port are known,
-- ordered by that side's port and address, so who-owned reads the few
-- granules of one endpoint (and of the wildcard addresses on its port)
-- instead of every flow and snapshot. is_remote: 1 for the remote side.
-- source 'flow' or 'snapshot'; a snapshot group's first_ns/last_ns are its
-- first and last snapshot, its direction and remote_name NULL, closed 1.
CREATE TABLE IF NOT EXISTS {db}.endpoint_owners{engine_suffix} (
  port        Int64,
  addr        String,
  is_remote   UInt8,
  host        String,
  capture_id  UInt64,
  source      String,
  process_id  Nullable(Int64),
  proto       String,
  local_addr  Nullable(String),
  local_port  Nullable(Int64),
  remote_addr Nullable(String),
  remote_port Nullable(Int64),
  direction   Nullable(String),
  first_ns    Nullable(Int64),
  last_ns     Nullable(Int64),
  closed      Int64,
  remote_name Nullable(String)
) ENGINE = MergeTree
PARTITION BY intDiv(ifNull(first_ns, 0), 86400000000000)
ORDER BY (port, addr, host, capture_id);

-- what readers read: rows of complete captures only (as 002)
CREATE VIEW IF NOT EXISTS {db}.visible_remote_first AS
SELECT * FROM {db}.remote_first WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);

CREATE VIEW IF NOT EXISTS {db}.visible_endpoint_owners AS
SELECT * FROM {db}.endpoint_owners WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);
