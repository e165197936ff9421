-- SPDX-License-Identifier: MIT
-- Indexes the canned reports use. Built after a bulk load (IF NOT EXISTS:
-- ingest runs this file after every load). Kept few and narrow: building
-- them is part of every ingest.
CREATE INDEX IF NOT EXISTS processes_capture_pid ON processes(capture_id, pid);
CREATE INDEX IF NOT EXISTS flows_process ON flows(process_id);
-- covers top-remotes and new-remotes, and finds remote endpoints (who-owned)
CREATE INDEX IF NOT EXISTS flows_remote ON flows(remote_addr, remote_port, proto, direction, first_ns,
                                                 bytes_sent, bytes_recv, process_id);
CREATE INDEX IF NOT EXISTS flows_local_port ON flows(local_port);
CREATE INDEX IF NOT EXISTS snapshots_remote_port ON snapshots(remote_port);
CREATE INDEX IF NOT EXISTS snapshots_local_port ON snapshots(local_port);
CREATE INDEX IF NOT EXISTS losses_capture ON losses(capture_id);
