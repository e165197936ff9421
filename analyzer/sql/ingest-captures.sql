-- SPDX-License-Identifier: MIT
-- Ingest: one row per capture file (schema/db.md); each statement starts at
-- a "-- @name" line and binds positional parameters in the order written.
-- @find
SELECT capture_id FROM captures WHERE uuid = ?;
-- @find-unclosed
-- stored from a file that was not closed (a .partial): a longer or closed
-- version of it replaces it
SELECT records FROM captures WHERE uuid = ? AND coalesce(clean_close, 0) = 0;
-- @insert
INSERT INTO captures(uuid, path, host, os, platform, series_uuid, file_seq, recorder, comment, ingested_ns)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?);
-- @finish
UPDATE captures SET started_ns = ?, ended_ns = ?, records = ?, chunks_ok = ?, chunks_damaged = ?,
       events_lost = ?, clean_close = ?, bytes_skipped = ?
WHERE capture_id = ?;
-- @comment
UPDATE captures SET comment = ? WHERE capture_id = ?;
