-- SPDX-License-Identifier: MIT
-- The tables of schema/clickhouse/004 and later a loader writes once a capture's
-- rows are in, before its captures row (the materialized views of 004 have
-- summed its rows by then): per capture, what is fixed once the capture is
-- complete. Each ends ordered by its table's key, so the server need not
-- sort the block it writes. The loader runs these for its capture, a
-- migration to version 4 or later for the complete captures loaded before
-- (the statements from its "-- since schema version N" line on, N above the
-- store's version). {db} is the database, {captures} the condition choosing
-- the captures. Statements end with ";" and a new line.

-- since schema version 4

-- timeline_ranked: for the rollup width and each round width the timeline
-- report picks by default that is whole rollup buckets, each bucket's
-- processes of the capture summed (process_buckets), ordered as the report
-- orders a bucket's rows (bytes sent plus received, most first; flows of no
-- process first; then process_id), the first 20 kept (the timeline's
-- default `top`; queries/clickhouse/timeline.sql reads these for a `top` up
-- to 20), with the process's pid and name.
INSERT INTO {db}.timeline_ranked
SELECT host, capture_id, width_ns, b, process_num, r_null, r_sent, r_recv, r_sends, r_recvs, if(r_null = 1, NULL, p_pid),
       if(r_null = 1, NULL, p_comm)
FROM (SELECT host, capture_id, width_ns, b, r.1 AS process_num, r.2 AS r_null, r.3 AS r_sent, r.4 AS r_recv, r.5 AS r_sends,
             r.6 AS r_recvs
FROM (SELECT host, capture_id, width_ns, b,
             arraySlice(arraySort(x -> (-(x.3 + x.4), -toInt64(x.2), x.1),
                                  groupArray((process_num, process_null, s, rv, sd, rc))),
                        1, 20) AS top
      FROM (WITH (SELECT max(toInt64OrZero(value)) FROM {db}.meta WHERE key = 'rollup_ns') AS roll
            SELECT host, capture_id, width_ns, intDiv(bucket_ns, width_ns) * width_ns AS b, process_num, process_null,
                   sum(bytes_sent) AS s, sum(bytes_recv) AS rv, sum(sends) AS sd, sum(recvs) AS rc
            FROM {db}.process_buckets
            ARRAY JOIN arrayConcat([roll], arrayFilter(v -> v > roll AND v % greatest(roll, 1) = 0,
                                   CAST([60000000000, 300000000000, 600000000000, 900000000000, 1800000000000,
                                         3600000000000, 7200000000000, 21600000000000, 43200000000000,
                                         86400000000000] AS Array(Int64)))) AS width_ns
            WHERE roll > 0 AND ({captures})
            GROUP BY host, capture_id, width_ns, b, process_num, process_null)
      GROUP BY host, capture_id, width_ns, b)
ARRAY JOIN top AS r)
-- the names (toNullable: a process without a row gets NULL, not 0)
ANY LEFT JOIN (SELECT capture_id, process_id AS process_num, toNullable(pid) AS p_pid, comm AS p_comm FROM {db}.processes
               WHERE {captures})
USING capture_id, process_num
ORDER BY width_ns, b, capture_id;

-- process_ranked: the capture's processes by bytes sent plus received, most
-- first, then by process_id (top-talkers' order within one capture)
INSERT INTO {db}.process_ranked
SELECT host, capture_id, pos, r.1, r.2, r.3, r.4, r.5
FROM (SELECT host, capture_id, arraySort(x -> (-(x.2 + x.3), x.1), groupArray((process_num, s, rv, n, rem))) AS ranked
      FROM (SELECT host, capture_id, process_num, sum(bytes_sent) AS s, sum(bytes_recv) AS rv, sum(flows) AS n,
                   uniqExactMerge(remotes) AS rem
            FROM {db}.process_totals
            WHERE process_null = 0 AND ({captures})
            GROUP BY host, capture_id, process_num)
      GROUP BY host, capture_id)
ARRAY JOIN ranked AS r, arrayEnumerate(ranked) AS pos
ORDER BY pos, capture_id;

-- remote_comms: each remote_totals group's process names, '?' for flows of
-- no process and for a process without a row (p_found 0)
INSERT INTO {db}.remote_comms
SELECT host, capture_id, addr, proto, way, port, port_null, groupUniqArray(if(p_found = 1, ifNull(p_comm, '?'), '?'))
FROM (SELECT host, capture_id, addr, proto, way, port, port_null,
             arrayJoin(if(unnamed_n > 0, arrayPushBack(ids, NULL), ids)) AS process_id
      FROM (SELECT host, capture_id, addr, proto, way, port, port_null,
                   CAST(groupUniqArrayMerge(processes) AS Array(Nullable(Int64))) AS ids, sum(unnamed) AS unnamed_n
            FROM {db}.remote_totals
            WHERE {captures}
            GROUP BY host, capture_id, addr, proto, way, port, port_null))
ANY LEFT JOIN (SELECT capture_id, process_id, comm AS p_comm, toUInt8(1) AS p_found FROM {db}.processes WHERE {captures})
USING capture_id, process_id
GROUP BY host, capture_id, addr, proto, way, port, port_null
ORDER BY host, capture_id, addr;

-- udp_peers: udp-peers' groups of the capture, from its flows
INSERT INTO {db}.udp_peers
SELECT host, capture_id, pn, ra, remote_port, sum(bytes_sent), sum(bytes_recv), sum(sends), sum(recvs), min(first_ns),
       max(last_ns), max(remote_name)
FROM {db}.flows
WHERE proto = 'udp' AND remote_addr IS NOT NULL AND direction <> 'listen' AND process_id IS NOT NULL AND ({captures})
GROUP BY host, capture_id, assumeNotNull(process_id) AS pn, assumeNotNull(remote_addr) AS ra, remote_port
ORDER BY host, capture_id, pn;

-- since schema version 5

-- remote_first: each remote endpoint's first contact in the capture (as
-- new-remotes groups the flows), its flows, and the capture's first flow
-- there (first_ns NULL first, then flow_id) with its process's pid and name
INSERT INTO {db}.remote_first
SELECT host, capture_id, r_addr, f_rport, r_proto, e_first, e_flows, f_first, f_flow, f_process, f_dir, f_name, p_pid,
       p_comm
FROM (SELECT *
      FROM (SELECT host, capture_id, assumeNotNull(remote_addr) AS r_addr, remote_port AS f_rport,
                   ifNull(remote_port, -1) AS r_port, proto AS r_proto, first_ns AS f_first, flow_id AS f_flow,
                   process_id AS f_process, direction AS f_dir, remote_name AS f_name
            FROM {db}.flows
            WHERE remote_addr IS NOT NULL AND direction <> 'listen' AND ({captures})
            ORDER BY f_first NULLS FIRST, f_flow
            LIMIT 1 BY capture_id, r_addr, r_port, r_proto)
      ANY INNER JOIN
           (SELECT capture_id, assumeNotNull(remote_addr) AS r_addr, ifNull(remote_port, -1) AS r_port, proto AS r_proto,
                   min(first_ns) AS e_first, count() AS e_flows
            FROM {db}.flows
            WHERE remote_addr IS NOT NULL AND direction <> 'listen' AND ({captures})
            GROUP BY capture_id, r_addr, r_port, r_proto)
      USING capture_id, r_addr, r_port, r_proto)
-- (toNullable: a process without a row gets NULL, not 0)
ANY LEFT JOIN (SELECT capture_id, process_id AS f_process, toNullable(pid) AS p_pid, comm AS p_comm FROM {db}.processes
               WHERE {captures})
USING capture_id, f_process
ORDER BY host, capture_id, r_addr;

-- endpoint_owners: each side of every flow with its address and port known
INSERT INTO {db}.endpoint_owners
SELECT assumeNotNull(if(o_remote = 1, remote_port, local_port)) AS o_port,
       assumeNotNull(if(o_remote = 1, remote_addr, local_addr)) AS o_addr, o_remote, host, capture_id, 'flow',
       process_id, proto, local_addr, local_port, remote_addr, remote_port, toNullable(direction), first_ns, last_ns,
       closed, remote_name
FROM {db}.flows
ARRAY JOIN [toUInt8(0), toUInt8(1)] AS o_remote
WHERE ({captures}) AND if(o_remote = 1, remote_addr IS NOT NULL AND remote_port IS NOT NULL,
                          local_addr IS NOT NULL AND local_port IS NOT NULL)
ORDER BY o_port, o_addr, host, capture_id;

-- and of every snapshot group (who-owned's: per process, protocol and both
-- endpoints), from its first to its last snapshot (grouped before the sides
-- are made: half the rows to group)
INSERT INTO {db}.endpoint_owners
SELECT assumeNotNull(if(o_remote = 1, remote_port, local_port)) AS o_port,
       assumeNotNull(if(o_remote = 1, remote_addr, local_addr)) AS o_addr, o_remote, host, capture_id, 'snapshot',
       process_id, proto, local_addr, local_port, remote_addr, remote_port, CAST(NULL AS Nullable(String)),
       toNullable(s_first), toNullable(s_last), toInt64(1), CAST(NULL AS Nullable(String))
FROM (SELECT host, capture_id, process_id, proto, local_addr, local_port, remote_addr, remote_port,
             min(ts_ns) AS s_first, max(ts_ns) AS s_last
      FROM {db}.snapshots
      WHERE ({captures}) AND ((remote_addr IS NOT NULL AND remote_port IS NOT NULL)
                              OR (local_addr IS NOT NULL AND local_port IS NOT NULL))
      GROUP BY host, capture_id, process_id, proto, local_addr, local_port, remote_addr, remote_port)
ARRAY JOIN [toUInt8(0), toUInt8(1)] AS o_remote
WHERE if(o_remote = 1, remote_addr IS NOT NULL AND remote_port IS NOT NULL, local_addr IS NOT NULL AND local_port IS NOT NULL)
ORDER BY o_port, o_addr, host, capture_id;
