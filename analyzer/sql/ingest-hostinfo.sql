-- SPDX-License-Identifier: MIT
-- Ingest: host facts (see ingest-captures.sql).
-- @insert
INSERT INTO hostinfo(capture_id, key, value) VALUES (?, ?, ?);
