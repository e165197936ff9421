-- SPDX-License-Identifier: MIT
-- Ingest: bytes per flow and rollup bucket (batched, see ingest-flows.sql).
-- @insert
INSERT INTO bytes_rollup(flow_id, bucket_ns, bytes_sent, bytes_recv, sends, recvs, process_id)
VALUES (?, ?, ?, ?, ?, ?, ?);
