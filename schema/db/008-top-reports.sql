-- SPDX-License-Identifier: MIT
-- The top-talkers and top-remotes reports without a time window, ranked when
-- the derived tables are rebuilt after a load (schema/db/rollups.sql), valid
-- while meta holds 'rollups_current'. seq is the report's order.

-- every (host, process) group of top-talkers: flows summed over the whole
-- database, in the report's order (bytes both ways, most first; host;
-- process_id)
CREATE TABLE top_talkers (
  seq         INTEGER PRIMARY KEY,
  host_id     INTEGER REFERENCES hosts(host_id),
  host        TEXT,
  process_id  INTEGER REFERENCES processes(process_id),
  bytes_sent  INTEGER NOT NULL,
  bytes_recv  INTEGER NOT NULL,
  bytes_total INTEGER NOT NULL,
  flows       INTEGER NOT NULL,
  remotes     INTEGER NOT NULL -- distinct remote addresses
);

-- the first N groups of top-remotes (host, remote address, remote or local
-- port, protocol, direction) of every host and protocol, with the names the
-- report lists; N in meta 'top_remotes' (present only while this table is
-- current; the largest integer when no host and protocol had N groups: the
-- table then holds them all). Any host and protocol filter with a limit of
-- at most N finds its rows here.
CREATE TABLE top_remotes (
  seq         INTEGER PRIMARY KEY,
  host_id     INTEGER REFERENCES hosts(host_id),
  host        TEXT NOT NULL,
  remote_addr TEXT NOT NULL,
  remote_port INTEGER, -- NULL for inbound groups
  local_port  INTEGER, -- inbound groups only
  proto       TEXT NOT NULL,
  direction   TEXT NOT NULL, -- 'in' or 'out'
  bytes_sent  INTEGER NOT NULL,
  bytes_recv  INTEGER NOT NULL,
  flows       INTEGER NOT NULL,
  processes   TEXT NOT NULL, -- distinct process names of its flows, sorted, comma-separated
  names       TEXT           -- distinct remote names of its flows (flows.remote_name), likewise
);

-- a database from before has none of these rows: not current until the next
-- ingest rebuilds them
DELETE FROM meta WHERE key = 'rollups_current';
