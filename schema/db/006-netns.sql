-- SPDX-License-Identifier: MIT
-- procflow analysis database, schema version 5: the network namespace of
-- each flow and process (capture format 1.1). Documented in schema/db.md.

-- Linux: inode number of the network namespace (as in /proc/PID/ns/net);
-- NULL when the capture does not say (format 1.0, Windows).
ALTER TABLE flows ADD COLUMN netns INTEGER;
ALTER TABLE processes ADD COLUMN netns INTEGER;
ALTER TABLE snapshots ADD COLUMN netns INTEGER;
