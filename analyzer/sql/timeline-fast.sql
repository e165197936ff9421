-- SPDX-License-Identifier: MIT
-- The timeline report's summing path (analyzer/src/timeline_fast.c): the
-- statements in this order. The report's own SQL (queries/timeline.sql)
-- decides the width, the rowid range, the table and the processes kept;
-- the C code sums and ranks the rows these read, then the last statement
-- prints them with the report's columns.
-- 0: what 5 prints of one process
SELECT p.pid, p.comm, c.host
FROM processes p LEFT JOIN captures c ON c.capture_id = p.capture_id
WHERE p.process_id = ?1;
-- 1 to 4 read the rows of the processes pf_timeline_kept() keeps
-- (every row when no filter is given).
-- 1: every bytes row
SELECT bucket_ns, process_id, flow_id, bytes_sent, bytes_recv, sends, recvs
FROM bytes WHERE pf_timeline_kept(process_id);
-- 2: the bytes rows of a rowid range (a time window's hours)
SELECT bucket_ns, process_id, flow_id, bytes_sent, bytes_recv, sends, recvs
FROM bytes WHERE rowid BETWEEN ?1 AND ?2 AND pf_timeline_kept(process_id);
-- 3: the rollup rows per flow
SELECT bucket_ns, process_id, flow_id, bytes_sent, bytes_recv, sends, recvs
FROM bytes_rollup WHERE pf_timeline_kept(process_id);
-- 4: the rollup rows per process
SELECT bucket_ns, process_id, NULL, bytes_sent, bytes_recv, sends, recvs
FROM process_rollup WHERE pf_timeline_kept(process_id);
-- 5 (last): the ranked rows (bucket, then rank), as the report prints them (the
-- process's pid, comm and host from 0)
SELECT a.bucket_ns,
       a.host,
       a.pid,
       a.comm,
       a.flow_id,
       f.proto,
       f.remote_addr,
       f.remote_port,
       a.bytes_sent,
       a.bytes_recv,
       a.sends,
       a.recvs
FROM pf_timeline_rows(:pf_timeline_rows) a
LEFT JOIN flows f ON f.flow_id = a.flow_id
ORDER BY a.rowid;
