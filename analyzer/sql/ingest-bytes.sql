-- SPDX-License-Identifier: MIT
-- Ingest: bytes per flow and bucket (batched, see ingest-flows.sql).
-- @insert
INSERT INTO bytes(flow_id, bucket_ns, bytes_sent, bytes_recv, sends, recvs, process_id)
VALUES (?, ?, ?, ?, ?, ?, ?);
