-- SPDX-License-Identifier: MIT
-- procflow fleet store (ClickHouse), schema version 2: what readers read.
-- A capture is loaded table by table and its `captures` row comes last, so
-- until then its other rows are a half capture. Each visible_* view shows
-- the rows of captures whose `captures` row exists (complete ones) only;
-- reports, html, export and ad-hoc queries read these views. GLOBAL IN: over
-- Distributed tables the set of complete captures is built once and sent to
-- every shard (a plain IN there would be a refused double-distributed query).
-- No {engine_suffix}: on a cluster the views read the Distributed tables.

CREATE VIEW IF NOT EXISTS {db}.visible_captures AS
SELECT * FROM {db}.captures;

CREATE VIEW IF NOT EXISTS {db}.visible_processes AS
SELECT * FROM {db}.processes WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);

CREATE VIEW IF NOT EXISTS {db}.visible_flows AS
SELECT * FROM {db}.flows WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);

CREATE VIEW IF NOT EXISTS {db}.visible_bytes AS
SELECT * FROM {db}.bytes WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);

CREATE VIEW IF NOT EXISTS {db}.visible_bytes_rollup AS
SELECT * FROM {db}.bytes_rollup WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);

CREATE VIEW IF NOT EXISTS {db}.visible_snapshots AS
SELECT * FROM {db}.snapshots WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);

CREATE VIEW IF NOT EXISTS {db}.visible_losses AS
SELECT * FROM {db}.losses WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);

CREATE VIEW IF NOT EXISTS {db}.visible_damage AS
SELECT * FROM {db}.damage WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);

CREATE VIEW IF NOT EXISTS {db}.visible_hostinfo AS
SELECT * FROM {db}.hostinfo WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);

CREATE VIEW IF NOT EXISTS {db}.visible_markers AS
SELECT * FROM {db}.markers WHERE capture_id GLOBAL IN (SELECT capture_id FROM {db}.captures);
