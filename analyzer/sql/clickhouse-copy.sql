-- SPDX-License-Identifier: MIT
-- The rows of one capture of the SQLite database, table by table, in the
-- column order of schema/clickhouse/ after its two leading columns (host
-- and the global capture_id, which the loader writes): a column a later
-- file added comes last.
-- :cid is the capture's id in the SQLite database. `captures` comes last:
-- its row makes the capture visible in the store.

-- table: processes
SELECT process_id, pid, ppid, start_ns, exit_ns, uid, comm, exe, cmdline, container, exit_code, user, cgroup, netns
FROM processes WHERE capture_id = :cid;

-- table: flows
SELECT flow_id, process_id, proto, family, local_addr, local_port, remote_addr, remote_port, direction,
       first_ns, last_ns, bytes_sent, bytes_recv, sends, recvs, state, retransmits, sock_id, closed,
       proto_num, remote_name, netns
FROM flows WHERE capture_id = :cid;

-- table: bytes
SELECT b.flow_id, b.bucket_ns, b.bytes_sent, b.bytes_recv, b.sends, b.recvs, b.process_id
FROM bytes b JOIN flows f ON f.flow_id = b.flow_id WHERE f.capture_id = :cid;

-- table: bytes_rollup
SELECT b.flow_id, b.bucket_ns, b.bytes_sent, b.bytes_recv, b.sends, b.recvs, b.process_id
FROM bytes_rollup b JOIN flows f ON f.flow_id = b.flow_id WHERE f.capture_id = :cid;

-- table: snapshots
SELECT ts_ns, proto, family, state, local_addr, local_port, remote_addr, remote_port, pid, process_id, uid,
       bytes_sent, bytes_recv, sock_id, proto_num, netns
FROM snapshots WHERE capture_id = :cid;

-- table: losses
SELECT ts_ns, source, lost, cpu, since_ns FROM losses WHERE capture_id = :cid;

-- table: damage
SELECT file_offset, resume_offset, chunk_seq, error, what FROM damage WHERE capture_id = :cid;

-- table: dns
SELECT lookup_id, process_id, ts_ns, qname, qtype, rcode, cname, addr, ttl, proto, server_addr, server_port, truncated
FROM dns WHERE capture_id = :cid;

-- table: hostinfo
SELECT key, value FROM hostinfo WHERE capture_id = :cid;

-- table: markers
SELECT ts_ns, text FROM markers WHERE capture_id = :cid;

-- table: captures
SELECT uuid, path, os, platform, started_ns, ended_ns, records, chunks_ok, chunks_damaged, events_lost,
       series_uuid, file_seq, recorder, comment, clean_close, bytes_skipped, ingested_ns
FROM captures WHERE capture_id = :cid;
