-- SPDX-License-Identifier: MIT
-- Ingest: markers (see ingest-captures.sql).
-- @insert
INSERT INTO markers(capture_id, ts_ns, text) VALUES (?, ?, ?);
