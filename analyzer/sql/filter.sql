-- SPDX-License-Identifier: MIT
-- Narrowing for `html`/`export --process/--from/--to`: TEMP views named
-- like the tables shadow them for this connection, so the canned reports
-- run unchanged on the selection. Values come from temp.pf_sel (bound).
CREATE TEMP TABLE pf_sel (pid INTEGER, comm TEXT, from_ns INTEGER, to_ns INTEGER);
INSERT INTO temp.pf_sel VALUES (:pid, :comm, :from_ns, :to_ns);
CREATE TEMP VIEW processes AS
SELECT p.* FROM main.processes p, temp.pf_sel s
WHERE (s.pid IS NULL OR p.pid = s.pid)
  AND (s.comm IS NULL OR p.comm = s.comm)
  AND (s.to_ns IS NULL OR p.start_ns IS NULL OR p.start_ns <= s.to_ns)
  AND (s.from_ns IS NULL OR p.exit_ns IS NULL OR p.exit_ns >= s.from_ns);
CREATE TEMP VIEW flows AS
SELECT f.* FROM main.flows f, temp.pf_sel s
WHERE ((s.pid IS NULL AND s.comm IS NULL) OR f.process_id IN (SELECT process_id FROM temp.processes))
  AND (s.to_ns IS NULL OR f.first_ns IS NULL OR f.first_ns <= s.to_ns)
  AND (s.from_ns IS NULL OR f.last_ns IS NULL OR f.last_ns >= s.from_ns);
CREATE TEMP VIEW bytes AS
SELECT b.* FROM main.bytes b, temp.pf_sel s
WHERE ((s.pid IS NULL AND s.comm IS NULL) OR b.process_id IN (SELECT process_id FROM temp.processes))
  AND (s.from_ns IS NULL OR b.bucket_ns >= s.from_ns)
  AND (s.to_ns IS NULL OR b.bucket_ns <= s.to_ns);
CREATE TEMP VIEW bytes_rollup AS
SELECT b.* FROM main.bytes_rollup b, temp.pf_sel s
WHERE ((s.pid IS NULL AND s.comm IS NULL) OR b.process_id IN (SELECT process_id FROM temp.processes))
  AND (s.from_ns IS NULL OR b.bucket_ns >= s.from_ns)
  AND (s.to_ns IS NULL OR b.bucket_ns <= s.to_ns);
CREATE TEMP VIEW snapshots AS
SELECT x.* FROM main.snapshots x, temp.pf_sel s
WHERE ((s.pid IS NULL AND s.comm IS NULL) OR x.process_id IN (SELECT process_id FROM temp.processes))
  AND (s.from_ns IS NULL OR x.ts_ns >= s.from_ns)
  AND (s.to_ns IS NULL OR x.ts_ns <= s.to_ns);
CREATE TEMP VIEW dns AS
SELECT d.* FROM main.dns d, temp.pf_sel s
WHERE ((s.pid IS NULL AND s.comm IS NULL) OR d.process_id IN (SELECT process_id FROM temp.processes))
  AND (s.from_ns IS NULL OR d.ts_ns >= s.from_ns)
  AND (s.to_ns IS NULL OR d.ts_ns <= s.to_ns);
-- the derived tables (top_talkers, udp_peers, timeline_top...) sum every
-- row, not the selection: without this key the reports read the views above
CREATE TEMP VIEW meta AS
SELECT m.* FROM main.meta m WHERE m.key <> 'rollups_current';
