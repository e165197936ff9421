-- SPDX-License-Identifier: MIT
-- The visible rows of the fleet store as a SQLite database (html and
-- export from clickhouse://). The loader has put each store table T into
-- temp.ch_T with the store's columns plus gid (the global capture id as a
-- signed integer). Here they get SQLite's numbering: captures 1, 2, ... in
-- the order they were ingested, processes, flows and DNS lookups numbered on
-- through the captures in that order (the numbers a SQLite ingest of the
-- same files in the same order gives), and every reference follows.
INSERT OR REPLACE INTO meta(key, value)
SELECT key, max(value) FROM temp.ch_meta WHERE key IN ('bucket_ns', 'rollup_ns') GROUP BY key;

CREATE TEMP TABLE cmap AS
SELECT gid, row_number() OVER (ORDER BY ingested_ns, gid) AS cid FROM temp.ch_captures;
CREATE INDEX temp.cmap_gid ON cmap(gid);

INSERT INTO hosts(name)
SELECT c.host FROM temp.ch_captures c JOIN temp.cmap m ON m.gid = c.gid GROUP BY c.host ORDER BY min(m.cid);
INSERT INTO recordings(key, host_id, series_uuid)
SELECT k, (SELECT h.host_id FROM hosts h WHERE h.name = hn), su
FROM (SELECT coalesce(c.series_uuid, c.uuid) AS k, min(c.host) AS hn, max(c.series_uuid) AS su, min(m.cid) AS o
      FROM temp.ch_captures c JOIN temp.cmap m ON m.gid = c.gid
      GROUP BY coalesce(c.series_uuid, c.uuid))
ORDER BY o;

INSERT INTO captures(capture_id, uuid, path, host, os, platform, started_ns, ended_ns, records, chunks_ok,
                     chunks_damaged, events_lost, series_uuid, file_seq, recorder, comment, clean_close,
                     bytes_skipped, ingested_ns, recording_id, host_id)
SELECT m.cid, c.uuid, c.path, c.host, c.os, c.platform, c.started_ns, c.ended_ns, c.records, c.chunks_ok,
       c.chunks_damaged, c.events_lost, c.series_uuid, c.file_seq, c.recorder, c.comment, c.clean_close,
       c.bytes_skipped, c.ingested_ns,
       (SELECT r.recording_id FROM recordings r WHERE r.key = coalesce(c.series_uuid, c.uuid)),
       (SELECT h.host_id FROM hosts h WHERE h.name = c.host)
FROM temp.ch_captures c JOIN temp.cmap m ON m.gid = c.gid ORDER BY m.cid;

CREATE TEMP TABLE pmap AS
SELECT p.gid, p.process_id AS old, row_number() OVER (ORDER BY m.cid, p.process_id) AS new, m.cid
FROM temp.ch_processes p JOIN temp.cmap m ON m.gid = p.gid;
CREATE INDEX temp.pmap_key ON pmap(gid, old);
INSERT INTO processes(process_id, capture_id, pid, ppid, start_ns, exit_ns, uid, comm, exe, cmdline, container,
                      exit_code, user, cgroup, netns)
SELECT k.new, k.cid, p.pid, p.ppid, p.start_ns, p.exit_ns, p.uid, p.comm, p.exe, p.cmdline, p.container,
       p.exit_code, p.user, p.cgroup, p.netns
FROM temp.ch_processes p JOIN temp.pmap k ON k.gid = p.gid AND k.old = p.process_id ORDER BY k.new;

CREATE TEMP TABLE fmap AS
SELECT f.gid, f.flow_id AS old, row_number() OVER (ORDER BY m.cid, f.flow_id) AS new, m.cid
FROM temp.ch_flows f JOIN temp.cmap m ON m.gid = f.gid;
CREATE INDEX temp.fmap_key ON fmap(gid, old);
INSERT INTO flows(flow_id, capture_id, process_id, proto, family, local_addr, local_port, remote_addr, remote_port,
                  direction, first_ns, last_ns, bytes_sent, bytes_recv, sends, recvs, state, retransmits, sock_id,
                  closed, proto_num, remote_name, netns)
SELECT k.new, k.cid, (SELECT pm.new FROM temp.pmap pm WHERE pm.gid = f.gid AND pm.old = f.process_id),
       f.proto, f.family, f.local_addr, f.local_port, f.remote_addr, f.remote_port, f.direction, f.first_ns,
       f.last_ns, f.bytes_sent, f.bytes_recv, f.sends, f.recvs, f.state, f.retransmits, f.sock_id, f.closed,
       f.proto_num, f.remote_name, f.netns
FROM temp.ch_flows f JOIN temp.fmap k ON k.gid = f.gid AND k.old = f.flow_id ORDER BY k.new;

INSERT INTO bytes(flow_id, bucket_ns, bytes_sent, bytes_recv, sends, recvs, process_id)
SELECT k.new, b.bucket_ns, b.bytes_sent, b.bytes_recv, b.sends, b.recvs,
       (SELECT pm.new FROM temp.pmap pm WHERE pm.gid = b.gid AND pm.old = b.process_id)
FROM temp.ch_bytes b JOIN temp.fmap k ON k.gid = b.gid AND k.old = b.flow_id ORDER BY k.new, b.bucket_ns;
INSERT INTO bytes_rollup(flow_id, bucket_ns, bytes_sent, bytes_recv, sends, recvs, process_id)
SELECT k.new, b.bucket_ns, b.bytes_sent, b.bytes_recv, b.sends, b.recvs,
       (SELECT pm.new FROM temp.pmap pm WHERE pm.gid = b.gid AND pm.old = b.process_id)
FROM temp.ch_bytes_rollup b JOIN temp.fmap k ON k.gid = b.gid AND k.old = b.flow_id ORDER BY k.new, b.bucket_ns;

INSERT INTO snapshots(capture_id, ts_ns, proto, family, state, local_addr, local_port, remote_addr, remote_port, pid,
                      process_id, uid, bytes_sent, bytes_recv, sock_id, proto_num, netns)
SELECT m.cid, s.ts_ns, s.proto, s.family, s.state, s.local_addr, s.local_port, s.remote_addr, s.remote_port, s.pid,
       (SELECT pm.new FROM temp.pmap pm WHERE pm.gid = s.gid AND pm.old = s.process_id), s.uid, s.bytes_sent,
       s.bytes_recv, s.sock_id, s.proto_num, s.netns
FROM temp.ch_snapshots s JOIN temp.cmap m ON m.gid = s.gid ORDER BY m.cid, s.ts_ns;
INSERT INTO losses(capture_id, ts_ns, source, lost, cpu, since_ns)
SELECT m.cid, l.ts_ns, l.source, l.lost, l.cpu, l.since_ns
FROM temp.ch_losses l JOIN temp.cmap m ON m.gid = l.gid ORDER BY m.cid, l.ts_ns;
INSERT INTO damage(capture_id, file_offset, resume_offset, chunk_seq, error, what)
SELECT m.cid, d.file_offset, d.resume_offset, d.chunk_seq, d.error, d.what
FROM temp.ch_damage d JOIN temp.cmap m ON m.gid = d.gid ORDER BY m.cid, d.file_offset;
-- lookups are numbered per capture in the store, on through the captures here
INSERT INTO dns(capture_id, lookup_id, process_id, ts_ns, qname, qtype, rcode, cname, addr, ttl, proto, server_addr,
                server_port, truncated)
SELECT m.cid, dense_rank() OVER (ORDER BY m.cid, d.lookup_id),
       (SELECT pm.new FROM temp.pmap pm WHERE pm.gid = d.gid AND pm.old = d.process_id), d.ts_ns, d.qname, d.qtype,
       d.rcode, d.cname, d.addr, d.ttl, d.proto, d.server_addr, d.server_port, d.truncated
FROM temp.ch_dns d JOIN temp.cmap m ON m.gid = d.gid ORDER BY m.cid, d.lookup_id, d.addr;
INSERT INTO hostinfo(capture_id, key, value)
SELECT m.cid, i.key, i.value FROM temp.ch_hostinfo i JOIN temp.cmap m ON m.gid = i.gid ORDER BY m.cid;
INSERT INTO markers(capture_id, ts_ns, text)
SELECT m.cid, k.ts_ns, k.text FROM temp.ch_markers k JOIN temp.cmap m ON m.gid = k.gid ORDER BY m.cid, k.ts_ns;
