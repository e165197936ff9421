-- SPDX-License-Identifier: MIT
-- Ingest: losses (batched, see ingest-flows.sql).
-- @insert
INSERT INTO losses(capture_id, ts_ns, source, lost, cpu, since_ns)
VALUES (?, ?, ?, ?, ?, ?);
-- @insert-header
-- what an ETW file's header says was lost (no CPU, no interval)
INSERT INTO losses(capture_id, ts_ns, source, lost) VALUES (?, ?, ?, ?);
