-- SPDX-License-Identifier: MIT
-- Ingest: flows (see ingest-captures.sql for the layout). Batched inserts:
-- @insert holds one row; ingest repeats its VALUES tuple for many.
-- @next-id
SELECT coalesce(max(flow_id), 0) + 1 FROM flows;
-- @insert
INSERT INTO flows(flow_id, capture_id, process_id, proto, family, local_addr, local_port, remote_addr, remote_port,
                  direction, first_ns, last_ns, bytes_sent, bytes_recv, sends, recvs, state, retransmits, sock_id,
                  closed, proto_num, netns)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);
