-- SPDX-License-Identifier: MIT
-- Ingest, after a capture's rows are written (same transaction): attach the
-- capture :capture to its host and recording, and make a process that
-- continues across files of the recording one row. Files that were not
-- closed (a live .partial) stay apart until their closed version replaces
-- them. The last statement lists the flows that may continue across files;
-- the caller walks them (recording.c) and fills temp.pf_fmap.
INSERT OR IGNORE INTO hosts(name) SELECT coalesce(host, '') FROM captures WHERE capture_id = :capture;
INSERT OR IGNORE INTO recordings(key, host_id, series_uuid)
  SELECT coalesce(c.series_uuid, c.uuid), h.host_id, c.series_uuid
  FROM captures c JOIN hosts h ON h.name = coalesce(c.host, '') WHERE c.capture_id = :capture;
UPDATE captures SET
  host_id = (SELECT h.host_id FROM hosts h WHERE h.name = coalesce(captures.host, '')),
  recording_id = (SELECT r.recording_id FROM recordings r WHERE r.key = coalesce(captures.series_uuid, captures.uuid))
WHERE capture_id = :capture;

-- merge: from here on only when another closed file of the recording is
-- stored (recording.c skips the rest otherwise: nothing can continue).
CREATE TEMP TABLE IF NOT EXISTS pf_pmap(old INTEGER PRIMARY KEY, new INTEGER NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS pf_fmap(old INTEGER PRIMARY KEY, new INTEGER NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS pf_fhead(flow_id INTEGER PRIMARY KEY, last_ns INTEGER, closed INTEGER,
                                         last_capture_id INTEGER);
DELETE FROM temp.pf_pmap;
DELETE FROM temp.pf_fmap;
DELETE FROM temp.pf_fhead;

-- A process instance is (pid, start time): the same in every file of the
-- recording. The row of the earliest file keeps it.
INSERT INTO temp.pf_pmap(old, new)
SELECT process_id, keep FROM (
  SELECT p.process_id, p.capture_id,
         first_value(p.process_id) OVER (PARTITION BY p.pid, p.start_ns ORDER BY c.file_seq, p.process_id) AS keep,
         first_value(p.capture_id) OVER (PARTITION BY p.pid, p.start_ns ORDER BY c.file_seq, p.process_id) AS keep_capture
  FROM processes p JOIN captures c ON c.capture_id = p.capture_id
  WHERE c.recording_id = (SELECT recording_id FROM captures WHERE capture_id = :capture)
    AND c.clean_close = 1 AND p.start_ns IS NOT NULL
    AND (p.pid, p.start_ns) IN (SELECT q.pid, q.start_ns FROM processes q WHERE q.capture_id = :capture))
-- two instances in one file with equal times stay two (hostile or odd files)
WHERE process_id <> keep AND capture_id <> keep_capture;

DROP TABLE IF EXISTS temp.pf_pmember;
CREATE TEMP TABLE pf_pmember AS
SELECT m.new AS keep, c.file_seq AS seq, p.*
FROM (SELECT old, new FROM temp.pf_pmap UNION SELECT DISTINCT new, new FROM temp.pf_pmap) m
JOIN processes p ON p.process_id = m.old
JOIN captures c ON c.capture_id = p.capture_id;
CREATE INDEX temp.pf_pmember_keep ON pf_pmember(keep, seq);

-- Facts known from the start come from the earliest file, the rest (exit,
-- latest image) from the latest file that knows them.
UPDATE processes SET
  ppid = (SELECT m.ppid FROM temp.pf_pmember m WHERE m.keep = processes.process_id AND m.ppid IS NOT NULL ORDER BY m.seq LIMIT 1),
  uid = (SELECT m.uid FROM temp.pf_pmember m WHERE m.keep = processes.process_id AND m.uid IS NOT NULL ORDER BY m.seq LIMIT 1),
  exit_ns = (SELECT m.exit_ns FROM temp.pf_pmember m WHERE m.keep = processes.process_id AND m.exit_ns IS NOT NULL ORDER BY m.seq DESC LIMIT 1),
  exit_code = (SELECT m.exit_code FROM temp.pf_pmember m WHERE m.keep = processes.process_id AND m.exit_code IS NOT NULL ORDER BY m.seq DESC LIMIT 1),
  comm = (SELECT m.comm FROM temp.pf_pmember m WHERE m.keep = processes.process_id AND m.comm IS NOT NULL ORDER BY m.seq DESC LIMIT 1),
  exe = (SELECT m.exe FROM temp.pf_pmember m WHERE m.keep = processes.process_id AND m.exe IS NOT NULL ORDER BY m.seq DESC LIMIT 1),
  cmdline = (SELECT m.cmdline FROM temp.pf_pmember m WHERE m.keep = processes.process_id AND m.cmdline IS NOT NULL ORDER BY m.seq DESC LIMIT 1),
  container = (SELECT m.container FROM temp.pf_pmember m WHERE m.keep = processes.process_id AND m.container IS NOT NULL ORDER BY m.seq DESC LIMIT 1),
  user = (SELECT m.user FROM temp.pf_pmember m WHERE m.keep = processes.process_id AND m.user IS NOT NULL ORDER BY m.seq DESC LIMIT 1),
  cgroup = (SELECT m.cgroup FROM temp.pf_pmember m WHERE m.keep = processes.process_id AND m.cgroup IS NOT NULL ORDER BY m.seq DESC LIMIT 1)
WHERE process_id IN (SELECT new FROM temp.pf_pmap);

-- (nothing to do, and no scan of the big tables, when no process continues)
UPDATE flows SET process_id = (SELECT new FROM temp.pf_pmap WHERE old = flows.process_id)
WHERE EXISTS (SELECT 1 FROM temp.pf_pmap) AND process_id IN (SELECT old FROM temp.pf_pmap);
UPDATE snapshots SET process_id = (SELECT new FROM temp.pf_pmap WHERE old = snapshots.process_id)
WHERE EXISTS (SELECT 1 FROM temp.pf_pmap) AND process_id IN (SELECT old FROM temp.pf_pmap);
UPDATE bytes SET process_id = (SELECT new FROM temp.pf_pmap WHERE old = bytes.process_id)
WHERE EXISTS (SELECT 1 FROM temp.pf_pmap) AND process_id IN (SELECT old FROM temp.pf_pmap);
UPDATE bytes_rollup SET process_id = (SELECT new FROM temp.pf_pmap WHERE old = bytes_rollup.process_id)
WHERE EXISTS (SELECT 1 FROM temp.pf_pmap) AND process_id IN (SELECT old FROM temp.pf_pmap);
UPDATE dns SET process_id = (SELECT new FROM temp.pf_pmap WHERE old = dns.process_id)
WHERE EXISTS (SELECT 1 FROM temp.pf_pmap) AND process_id IN (SELECT old FROM temp.pf_pmap);
DELETE FROM processes WHERE EXISTS (SELECT 1 FROM temp.pf_pmap) AND process_id IN (SELECT old FROM temp.pf_pmap);

-- Flows of sockets still open at the end of some closed file of the
-- recording (a file in between may hold nothing of them),
-- in key order then file order: a row continues the one before it when the key
-- is the same, the earlier one was still open at the end of its file, the
-- later one starts in the very next file and within the idle time.
SELECT f.flow_id, f.process_id, f.proto, f.family, f.local_addr, f.local_port, f.remote_addr, f.remote_port,
       f.sock_id, f.first_ns, f.last_ns, f.closed,
       c.file_seq AS first_seq, coalesce(lc.file_seq, c.file_seq) AS last_seq,
       coalesce(f.last_capture_id, f.capture_id) AS last_capture_id
FROM flows f
JOIN captures c ON c.capture_id = f.capture_id
LEFT JOIN captures lc ON lc.capture_id = f.last_capture_id
WHERE c.recording_id = (SELECT recording_id FROM captures WHERE capture_id = :capture)
  AND c.clean_close = 1 AND (lc.capture_id IS NULL OR lc.clean_close = 1)
  AND f.sock_id IN (SELECT g.sock_id FROM flows g JOIN captures gc ON gc.capture_id = g.capture_id
                    WHERE gc.recording_id = (SELECT recording_id FROM captures WHERE capture_id = :capture)
                      AND gc.clean_close = 1 AND g.closed = 0)
ORDER BY f.process_id, f.proto, f.family, f.local_addr, f.local_port, f.remote_addr, f.remote_port, f.sock_id,
         c.file_seq, f.first_ns, f.flow_id;
