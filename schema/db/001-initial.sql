-- SPDX-License-Identifier: MIT
-- procflow analysis database, schema version 1.
-- All *_ns columns are integer nanoseconds since the Unix epoch (UTC),
-- except *_dur_ns which are durations. Documented in schema/db.md.

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT
);

CREATE TABLE captures (
  capture_id     INTEGER PRIMARY KEY,
  uuid           TEXT NOT NULL UNIQUE,
  path           TEXT,
  host           TEXT,
  os             TEXT,
  platform       TEXT,
  started_ns     INTEGER,
  ended_ns       INTEGER,
  records        INTEGER NOT NULL DEFAULT 0,
  chunks_ok      INTEGER NOT NULL DEFAULT 0,
  chunks_damaged INTEGER NOT NULL DEFAULT 0,
  events_lost    INTEGER NOT NULL DEFAULT 0,
  series_uuid    TEXT,
  file_seq       INTEGER,
  recorder       TEXT,
  comment        TEXT,
  clean_close    INTEGER,
  bytes_skipped  INTEGER NOT NULL DEFAULT 0,
  ingested_ns    INTEGER
);

CREATE TABLE processes (
  process_id INTEGER PRIMARY KEY,
  capture_id INTEGER NOT NULL REFERENCES captures(capture_id),
  pid        INTEGER NOT NULL,
  ppid       INTEGER,
  start_ns   INTEGER,
  exit_ns    INTEGER,
  uid        INTEGER,
  comm       TEXT,
  exe        TEXT,
  cmdline    TEXT,
  container  TEXT,
  exit_code  INTEGER,
  user       TEXT,
  cgroup     TEXT
);

CREATE TABLE flows (
  flow_id     INTEGER PRIMARY KEY,
  capture_id  INTEGER NOT NULL REFERENCES captures(capture_id),
  process_id  INTEGER REFERENCES processes(process_id),
  proto       TEXT NOT NULL,
  family      INTEGER NOT NULL,
  local_addr  TEXT,
  local_port  INTEGER,
  remote_addr TEXT,
  remote_port INTEGER,
  direction   TEXT NOT NULL,
  first_ns    INTEGER,
  last_ns     INTEGER,
  bytes_sent  INTEGER NOT NULL DEFAULT 0,
  bytes_recv  INTEGER NOT NULL DEFAULT 0,
  sends       INTEGER NOT NULL DEFAULT 0,
  recvs       INTEGER NOT NULL DEFAULT 0,
  state       TEXT,
  retransmits INTEGER NOT NULL DEFAULT 0,
  sock_id     INTEGER,
  closed      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE bytes (
  flow_id    INTEGER NOT NULL REFERENCES flows(flow_id),
  bucket_ns  INTEGER NOT NULL,
  bytes_sent INTEGER NOT NULL,
  bytes_recv INTEGER NOT NULL,
  sends      INTEGER NOT NULL,
  recvs      INTEGER NOT NULL,
  process_id INTEGER REFERENCES processes(process_id) -- copy of flows.process_id
);

-- The same series summed into wider buckets (meta 'rollup_ns', 60 s by
-- default) so long time ranges read few rows.
CREATE TABLE bytes_rollup (
  flow_id    INTEGER NOT NULL REFERENCES flows(flow_id),
  bucket_ns  INTEGER NOT NULL,
  bytes_sent INTEGER NOT NULL,
  bytes_recv INTEGER NOT NULL,
  sends      INTEGER NOT NULL,
  recvs      INTEGER NOT NULL,
  process_id INTEGER REFERENCES processes(process_id)
);

CREATE TABLE snapshots (
  capture_id  INTEGER NOT NULL REFERENCES captures(capture_id),
  ts_ns       INTEGER NOT NULL,
  proto       TEXT NOT NULL,
  family      INTEGER NOT NULL,
  state       TEXT,
  local_addr  TEXT,
  local_port  INTEGER,
  remote_addr TEXT,
  remote_port INTEGER,
  pid         INTEGER,
  process_id  INTEGER REFERENCES processes(process_id),
  uid         INTEGER,
  bytes_sent  INTEGER,
  bytes_recv  INTEGER,
  sock_id     INTEGER
);

CREATE TABLE losses (
  capture_id INTEGER NOT NULL REFERENCES captures(capture_id),
  ts_ns      INTEGER NOT NULL,
  source     TEXT NOT NULL,
  lost       INTEGER NOT NULL,
  cpu        INTEGER,
  since_ns   INTEGER
);

CREATE TABLE damage (
  capture_id    INTEGER NOT NULL REFERENCES captures(capture_id),
  file_offset   INTEGER NOT NULL,
  resume_offset INTEGER,
  chunk_seq     INTEGER,
  error         TEXT,
  what          TEXT
);

CREATE TABLE hostinfo (
  capture_id INTEGER NOT NULL REFERENCES captures(capture_id),
  key        TEXT,
  value      TEXT
);

CREATE TABLE markers (
  capture_id INTEGER NOT NULL REFERENCES captures(capture_id),
  ts_ns      INTEGER NOT NULL,
  text       TEXT
);

-- Readable views: times as ISO-8601 UTC text, process names joined in.
CREATE VIEW v_processes AS
SELECT p.*,
       strftime('%Y-%m-%dT%H:%M:%fZ', p.start_ns / 1e9, 'unixepoch') AS start_time,
       strftime('%Y-%m-%dT%H:%M:%fZ', p.exit_ns / 1e9, 'unixepoch') AS exit_time
FROM processes p;

CREATE VIEW v_flows AS
SELECT f.*, p.pid, p.comm, p.exe,
       strftime('%Y-%m-%dT%H:%M:%fZ', f.first_ns / 1e9, 'unixepoch') AS first_time,
       strftime('%Y-%m-%dT%H:%M:%fZ', f.last_ns / 1e9, 'unixepoch') AS last_time
FROM flows f LEFT JOIN processes p ON p.process_id = f.process_id;

CREATE VIEW v_bytes AS
SELECT b.*, f.capture_id, p.pid, p.comm, f.proto,
       f.remote_addr, f.remote_port,
       strftime('%Y-%m-%dT%H:%M:%fZ', b.bucket_ns / 1e9, 'unixepoch') AS bucket_time
FROM bytes b JOIN flows f ON f.flow_id = b.flow_id
LEFT JOIN processes p ON p.process_id = f.process_id;

CREATE VIEW v_snapshots AS
SELECT s.*, p.comm,
       strftime('%Y-%m-%dT%H:%M:%fZ', s.ts_ns / 1e9, 'unixepoch') AS time
FROM snapshots s LEFT JOIN processes p ON p.process_id = s.process_id;

CREATE VIEW v_losses AS
SELECT l.*, strftime('%Y-%m-%dT%H:%M:%fZ', l.ts_ns / 1e9, 'unixepoch') AS time
FROM losses l;
