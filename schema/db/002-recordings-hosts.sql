-- SPDX-License-Identifier: MIT
-- procflow analysis database, schema version 2: hosts, recordings (the
-- files of one rotated series are one recording), clock offsets between
-- hosts and the conversations view. Documented in schema/db.md.

CREATE TABLE hosts (
  host_id INTEGER PRIMARY KEY,
  name    TEXT NOT NULL UNIQUE      -- host name from the file header ('' when unknown)
);

CREATE TABLE recordings (
  recording_id INTEGER PRIMARY KEY,
  key          TEXT NOT NULL UNIQUE, -- series UUID, or the file UUID of a file outside a series
  host_id      INTEGER NOT NULL REFERENCES hosts(host_id),
  series_uuid  TEXT
);

ALTER TABLE captures ADD COLUMN recording_id INTEGER REFERENCES recordings(recording_id);
ALTER TABLE captures ADD COLUMN host_id INTEGER REFERENCES hosts(host_id);
-- a flow continued in later files of its recording: the last file it reaches
-- (NULL: it lies in capture_id's file only)
ALTER TABLE flows ADD COLUMN last_capture_id INTEGER REFERENCES captures(capture_id);

-- Clock offset of a host pair, estimated from the connections both ends
-- recorded: a moment at host_id's time T is peer_host_id's time T + offset_ns.
CREATE TABLE clock_offsets (
  host_id      INTEGER NOT NULL REFERENCES hosts(host_id),
  peer_host_id INTEGER NOT NULL REFERENCES hosts(host_id),
  offset_ns    INTEGER NOT NULL,
  pairs        INTEGER NOT NULL,  -- matched connections the estimate agrees with (within 1 s)
  candidates   INTEGER NOT NULL,  -- endpoint matches it was estimated from
  PRIMARY KEY (host_id, peer_host_id)
);

-- databases of version 1: every capture its own recording
INSERT OR IGNORE INTO hosts(name) SELECT DISTINCT coalesce(host, '') FROM captures;
INSERT OR IGNORE INTO recordings(key, host_id, series_uuid)
  SELECT coalesce(series_uuid, uuid), (SELECT h.host_id FROM hosts h WHERE h.name = coalesce(c.host, '')), series_uuid
  FROM captures c ORDER BY capture_id;
UPDATE captures SET
  host_id = (SELECT h.host_id FROM hosts h WHERE h.name = coalesce(captures.host, '')),
  recording_id = (SELECT r.recording_id FROM recordings r WHERE r.key = coalesce(captures.series_uuid, captures.uuid));

-- One row per recording: its files, time range, losses and completeness.
CREATE VIEW v_recordings AS
SELECT r.recording_id,
       h.name AS host,
       r.series_uuid,
       count(c.capture_id) AS files,
       min(c.file_seq) AS first_seq,
       max(c.file_seq) AS last_seq,
       min(c.started_ns) AS started_ns,
       max(c.ended_ns) AS ended_ns,
       sum(c.records) AS records,
       sum(c.events_lost) AS events_lost,
       sum(c.chunks_damaged) AS chunks_damaged,
       sum(coalesce(c.clean_close, 0) = 0) AS files_not_closed,
       (max(c.file_seq) - min(c.file_seq) + 1) - count(DISTINCT c.file_seq) AS files_missing
FROM recordings r
JOIN hosts h ON h.host_id = r.host_id
JOIN captures c ON c.recording_id = r.recording_id
GROUP BY r.recording_id;

-- Files missing inside a recording: the time range nothing covers.
CREATE VIEW v_gaps AS
WITH s AS (
  SELECT c.recording_id, c.host_id, c.file_seq, c.ended_ns,
         lead(c.file_seq) OVER w AS next_seq,
         lead(c.started_ns) OVER w AS next_started_ns
  FROM captures c
  WINDOW w AS (PARTITION BY c.recording_id ORDER BY c.file_seq)
)
SELECT s.recording_id,
       h.name AS host,
       s.file_seq + 1 AS first_missing_seq,
       s.next_seq - 1 AS last_missing_seq,
       s.ended_ns AS from_ns,
       s.next_started_ns AS to_ns
FROM s JOIN hosts h ON h.host_id = s.host_id
WHERE s.next_seq > s.file_seq + 1;

-- Connection ends with their host: the input of conversation matching.
CREATE VIEW v_flow_ends AS
SELECT f.flow_id, c.host_id, f.process_id, f.proto, f.family, f.local_addr, f.local_port,
       f.remote_addr, f.remote_port, f.direction, f.first_ns, f.last_ns,
       f.bytes_sent, f.bytes_recv,
       CASE f.direction WHEN 'out' THEN 2 WHEN 'in' THEN 0 ELSE 1 END AS client_rank
FROM flows f JOIN captures c ON c.capture_id = f.capture_id
WHERE f.remote_addr IS NOT NULL AND f.direction <> 'listen';

-- Both ends of a connection, when both were recorded: the client end (we
-- connected / spoke first / ephemeral port) and the server end, matched on
-- protocol and both endpoints with time ranges that overlap once the
-- server host's clock offset is taken out (1 s tolerance for aggregation).
-- Rebuilt after every ingest (analyzer/sql/conversations.sql).
CREATE TABLE conversations (
  client_flow_id INTEGER NOT NULL REFERENCES flows(flow_id),
  server_flow_id INTEGER NOT NULL REFERENCES flows(flow_id),
  client_host_id INTEGER NOT NULL REFERENCES hosts(host_id),
  server_host_id INTEGER NOT NULL REFERENCES hosts(host_id),
  offset_ns      INTEGER NOT NULL  -- server clock minus client clock (0 on one host)
);

CREATE VIEW v_conversations AS
SELECT v.client_flow_id, v.server_flow_id, v.client_host_id, v.server_host_id,
       a.process_id AS client_process_id,
       b.process_id AS server_process_id,
       a.proto,
       a.local_addr AS client_addr, a.local_port AS client_port,
       a.remote_addr AS server_addr, a.remote_port AS server_port,
       min(a.first_ns, b.first_ns - v.offset_ns) AS first_ns,
       max(a.last_ns, b.last_ns - v.offset_ns) AS last_ns,
       a.bytes_sent AS client_sent, a.bytes_recv AS client_recv,
       b.bytes_sent AS server_sent, b.bytes_recv AS server_recv,
       v.offset_ns
FROM conversations v
JOIN flows a ON a.flow_id = v.client_flow_id
JOIN flows b ON b.flow_id = v.server_flow_id;
