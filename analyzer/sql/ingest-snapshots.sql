-- SPDX-License-Identifier: MIT
-- Ingest: socket table snapshots (batched, see ingest-flows.sql).
-- @insert
INSERT INTO snapshots(capture_id, ts_ns, proto, family, state, local_addr, local_port, remote_addr, remote_port,
                      pid, process_id, uid, bytes_sent, bytes_recv, sock_id, proto_num, netns)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);
