-- SPDX-License-Identifier: MIT
-- Ingest: processes (see ingest-captures.sql for the layout).
-- @next-id
SELECT coalesce(max(process_id), 0) + 1 FROM processes;
-- @insert
INSERT INTO processes(process_id, capture_id, pid, ppid, start_ns, exit_ns, uid, comm, exe, cmdline, container,
                      exit_code, user, cgroup, netns)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);
