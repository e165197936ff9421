-- SPDX-License-Identifier: MIT
-- Removes every row of one capture (ingest --replace, and a stored
-- unclosed capture that a longer version replaces). Run statement by
-- statement with :capture_id bound; rows that point at others go first.
-- A table that holds rows of a capture gets its line here.
DELETE FROM bytes WHERE flow_id IN (SELECT flow_id FROM flows WHERE capture_id = :capture_id);
DELETE FROM bytes_rollup WHERE flow_id IN (SELECT flow_id FROM flows WHERE capture_id = :capture_id);
DELETE FROM flows WHERE capture_id = :capture_id;
DELETE FROM processes WHERE capture_id = :capture_id;
DELETE FROM snapshots WHERE capture_id = :capture_id;
DELETE FROM losses WHERE capture_id = :capture_id;
DELETE FROM damage WHERE capture_id = :capture_id;
DELETE FROM hostinfo WHERE capture_id = :capture_id;
DELETE FROM markers WHERE capture_id = :capture_id;
DELETE FROM dns WHERE capture_id = :capture_id;
DELETE FROM captures WHERE capture_id = :capture_id;
