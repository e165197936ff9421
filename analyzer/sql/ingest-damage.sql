-- SPDX-License-Identifier: MIT
-- Ingest: damaged ranges of a capture file (see ingest-captures.sql).
-- @insert
INSERT INTO damage(capture_id, file_offset, resume_offset, chunk_seq, error, what)
VALUES (?, ?, ?, ?, ?, ?);
