-- SPDX-License-Identifier: MIT
-- name: timeline
-- ClickHouse dialect of queries/timeline.sql (same parameters, columns and
-- order; the parameters are declared there). Reads the visible_* views and
-- the store's bucket and rollup width (meta). The rank inside a bucket is
-- the position in the bucket's rows sorted by bytes, process, flow (18.16
-- has no window functions); process_id is numbered per capture here, so
-- processes of several files tie-break in the order their files were ingested.
-- The rows come from one of four tables, chosen by the width and the
-- parameters (`kind`, below; every part but the chosen one reads nothing):
-- 0 the byte buckets, for a width that is not whole rollup buckets;
-- 1 the rollup buckets, per flow (by=flow);
-- 2 the rollup buckets summed per process at insert (process_buckets,
--   schema/clickhouse/004);
-- 3 without process filters or a window, at a width ranked at load and a
--   `top` up to 20 (timeline_ranked, 004): each capture's 20 busiest
--   processes of each bucket, among which are the fleet's busiest `top`.
SELECT bucket_ns, if(isNull(pid), NULL, host) AS host, pid, comm, flow_id, proto, remote_addr, remote_port,
       bytes_sent, bytes_recv, sends, recvs
FROM (SELECT *, ifNull(p_pid, r_pid) AS pid, ifNull(p_comm, r_comm) AS comm
      FROM (SELECT *
            FROM (SELECT b AS bucket_ns, r.1 AS capture_id, r.2 AS process_id, r.3 AS flow_id, r.4 AS bytes_sent,
                         r.5 AS bytes_recv, r.6 AS sends, r.7 AS recvs, r.9 AS r_pid, r.10 AS r_comm, rn
                  FROM (SELECT b, arraySort(x -> (-(x.4 + x.5), if(isNull(x.2), -9223372036854775807, x.8),
                                                  ifNull(x.2, -9223372036854775807),
                                                  ifNull(x.3, -9223372036854775807)),
                                            groupArray((capture_id, process_id, fid, s, rv, sd, rc, ingested, x_pid, x_comm))) AS rows
                        FROM (SELECT intDiv(x_bucket, ns) * ns AS b, capture_id, process_id,
                                     if(:by = 'flow', x_flow, CAST(NULL AS Nullable(Int64))) AS fid,
                                     sum(x_sent) AS s, sum(x_recv) AS rv, sum(x_sends) AS sd, sum(x_recvs) AS rc,
                                     any(ranked_pid) AS x_pid, any(ranked_comm) AS x_comm
                              FROM (SELECT capture_id, process_id, x_flow, x_bucket, x_sent, x_recv, x_sends, x_recvs, ns,
                                           ranked_pid, ranked_comm
                                    FROM (SELECT capture_id, process_id, toNullable(flow_id) AS x_flow, bucket_ns AS x_bucket,
                                                 bytes_sent AS x_sent, bytes_recv AS x_recv, sends AS x_sends, recvs AS x_recvs,
                                                 0 AS x_width, CAST(NULL AS Nullable(Int64)) AS ranked_pid,
                                                 CAST(NULL AS Nullable(String)) AS ranked_comm
                                          FROM visible_bytes
                                          WHERE (SELECT kind
                                           FROM (SELECT toInt64(ifNull(CAST(:bucket AS Nullable(Int64)),
                                                          if(intDiv(ifNull(span, 0), 200) <= base, base,
                                                             if(empty(cands), base * (intDiv(intDiv(ifNull(span, 0), 200), base) + 1),
                                                                arrayReduce('min', cands))))) AS ns,
                                                        if(roll <> 0 AND ns % greatest(roll, 1) = 0,
                                                           if(:by = 'flow', 1,
                                                              if(:pid IS NULL AND :comm IS NULL AND :from IS NULL AND :to IS NULL
                                                                 AND :top > 0 AND :top <= 20 AND (ns = roll OR has(round, ns)), 3, 2)),
                                                           0) AS kind
                                                 FROM (SELECT base, roll, span, round,
                                                              -- the first "round" width giving <= 200 buckets
                                                              arrayFilter(v -> v >= intDiv(ifNull(span, 0), 200) AND v % greatest(base, 1) = 0, round) AS cands
                                                       FROM (SELECT base, roll,
                                                                    CAST([60000000000, 300000000000, 600000000000, 900000000000, 1800000000000,
                                                                          3600000000000, 7200000000000, 21600000000000, 43200000000000,
                                                                          86400000000000] AS Array(Int64)) AS round,
                                                                    ifNull(CAST(:to AS Nullable(Int64)), last_end)
                                                                      - ifNull(CAST(:from AS Nullable(Int64)), first_start) AS span
                                                             FROM (SELECT maxIf(toInt64OrZero(value), key = 'bucket_ns') AS base,
                                                                          maxIf(toInt64OrZero(value), key = 'rollup_ns') AS roll
                                                                   FROM meta)
                                                             CROSS JOIN (SELECT min(started_ns) AS first_start, max(ended_ns) AS last_end
                                                                         FROM visible_captures))))) = 0
                                          UNION ALL
                                          SELECT capture_id, process_id, toNullable(flow_id), bucket_ns, bytes_sent, bytes_recv,
                                                 sends, recvs, 0, CAST(NULL AS Nullable(Int64)), CAST(NULL AS Nullable(String))
                                          FROM visible_bytes_rollup
                                          WHERE (SELECT kind
                                           FROM (SELECT toInt64(ifNull(CAST(:bucket AS Nullable(Int64)),
                                                          if(intDiv(ifNull(span, 0), 200) <= base, base,
                                                             if(empty(cands), base * (intDiv(intDiv(ifNull(span, 0), 200), base) + 1),
                                                                arrayReduce('min', cands))))) AS ns,
                                                        if(roll <> 0 AND ns % greatest(roll, 1) = 0,
                                                           if(:by = 'flow', 1,
                                                              if(:pid IS NULL AND :comm IS NULL AND :from IS NULL AND :to IS NULL
                                                                 AND :top > 0 AND :top <= 20 AND (ns = roll OR has(round, ns)), 3, 2)),
                                                           0) AS kind
                                                 FROM (SELECT base, roll, span, round,
                                                              -- the first "round" width giving <= 200 buckets
                                                              arrayFilter(v -> v >= intDiv(ifNull(span, 0), 200) AND v % greatest(base, 1) = 0, round) AS cands
                                                       FROM (SELECT base, roll,
                                                                    CAST([60000000000, 300000000000, 600000000000, 900000000000, 1800000000000,
                                                                          3600000000000, 7200000000000, 21600000000000, 43200000000000,
                                                                          86400000000000] AS Array(Int64)) AS round,
                                                                    ifNull(CAST(:to AS Nullable(Int64)), last_end)
                                                                      - ifNull(CAST(:from AS Nullable(Int64)), first_start) AS span
                                                             FROM (SELECT maxIf(toInt64OrZero(value), key = 'bucket_ns') AS base,
                                                                          maxIf(toInt64OrZero(value), key = 'rollup_ns') AS roll
                                                                   FROM meta)
                                                             CROSS JOIN (SELECT min(started_ns) AS first_start, max(ended_ns) AS last_end
                                                                         FROM visible_captures))))) = 1
                                          UNION ALL
                                          SELECT capture_id, if(process_null, NULL, process_num), CAST(NULL AS Nullable(Int64)),
                                                 bucket_ns, bytes_sent, bytes_recv, sends, recvs, 0,
                                                 CAST(NULL AS Nullable(Int64)), CAST(NULL AS Nullable(String))
                                          FROM visible_process_buckets
                                          WHERE (SELECT kind
                                           FROM (SELECT toInt64(ifNull(CAST(:bucket AS Nullable(Int64)),
                                                          if(intDiv(ifNull(span, 0), 200) <= base, base,
                                                             if(empty(cands), base * (intDiv(intDiv(ifNull(span, 0), 200), base) + 1),
                                                                arrayReduce('min', cands))))) AS ns,
                                                        if(roll <> 0 AND ns % greatest(roll, 1) = 0,
                                                           if(:by = 'flow', 1,
                                                              if(:pid IS NULL AND :comm IS NULL AND :from IS NULL AND :to IS NULL
                                                                 AND :top > 0 AND :top <= 20 AND (ns = roll OR has(round, ns)), 3, 2)),
                                                           0) AS kind
                                                 FROM (SELECT base, roll, span, round,
                                                              -- the first "round" width giving <= 200 buckets
                                                              arrayFilter(v -> v >= intDiv(ifNull(span, 0), 200) AND v % greatest(base, 1) = 0, round) AS cands
                                                       FROM (SELECT base, roll,
                                                                    CAST([60000000000, 300000000000, 600000000000, 900000000000, 1800000000000,
                                                                          3600000000000, 7200000000000, 21600000000000, 43200000000000,
                                                                          86400000000000] AS Array(Int64)) AS round,
                                                                    ifNull(CAST(:to AS Nullable(Int64)), last_end)
                                                                      - ifNull(CAST(:from AS Nullable(Int64)), first_start) AS span
                                                             FROM (SELECT maxIf(toInt64OrZero(value), key = 'bucket_ns') AS base,
                                                                          maxIf(toInt64OrZero(value), key = 'rollup_ns') AS roll
                                                                   FROM meta)
                                                             CROSS JOIN (SELECT min(started_ns) AS first_start, max(ended_ns) AS last_end
                                                                         FROM visible_captures))))) = 2
                                          UNION ALL
                                          SELECT capture_id, if(process_null, NULL, process_num), CAST(NULL AS Nullable(Int64)),
                                                 bucket_ns, bytes_sent, bytes_recv, sends, recvs, width_ns, pid, comm
                                          FROM visible_timeline_ranked
                                          WHERE (SELECT kind
                                           FROM (SELECT toInt64(ifNull(CAST(:bucket AS Nullable(Int64)),
                                                          if(intDiv(ifNull(span, 0), 200) <= base, base,
                                                             if(empty(cands), base * (intDiv(intDiv(ifNull(span, 0), 200), base) + 1),
                                                                arrayReduce('min', cands))))) AS ns,
                                                        if(roll <> 0 AND ns % greatest(roll, 1) = 0,
                                                           if(:by = 'flow', 1,
                                                              if(:pid IS NULL AND :comm IS NULL AND :from IS NULL AND :to IS NULL
                                                                 AND :top > 0 AND :top <= 20 AND (ns = roll OR has(round, ns)), 3, 2)),
                                                           0) AS kind
                                                 FROM (SELECT base, roll, span, round,
                                                              -- the first "round" width giving <= 200 buckets
                                                              arrayFilter(v -> v >= intDiv(ifNull(span, 0), 200) AND v % greatest(base, 1) = 0, round) AS cands
                                                       FROM (SELECT base, roll,
                                                                    CAST([60000000000, 300000000000, 600000000000, 900000000000, 1800000000000,
                                                                          3600000000000, 7200000000000, 21600000000000, 43200000000000,
                                                                          86400000000000] AS Array(Int64)) AS round,
                                                                    ifNull(CAST(:to AS Nullable(Int64)), last_end)
                                                                      - ifNull(CAST(:from AS Nullable(Int64)), first_start) AS span
                                                             FROM (SELECT maxIf(toInt64OrZero(value), key = 'bucket_ns') AS base,
                                                                          maxIf(toInt64OrZero(value), key = 'rollup_ns') AS roll
                                                                   FROM meta)
                                                             CROSS JOIN (SELECT min(started_ns) AS first_start, max(ended_ns) AS last_end
                                                                         FROM visible_captures))))) = 3)
                                    CROSS JOIN (SELECT ns
                                           FROM (SELECT toInt64(ifNull(CAST(:bucket AS Nullable(Int64)),
                                                          if(intDiv(ifNull(span, 0), 200) <= base, base,
                                                             if(empty(cands), base * (intDiv(intDiv(ifNull(span, 0), 200), base) + 1),
                                                                arrayReduce('min', cands))))) AS ns,
                                                        if(roll <> 0 AND ns % greatest(roll, 1) = 0,
                                                           if(:by = 'flow', 1,
                                                              if(:pid IS NULL AND :comm IS NULL AND :from IS NULL AND :to IS NULL
                                                                 AND :top > 0 AND :top <= 20 AND (ns = roll OR has(round, ns)), 3, 2)),
                                                           0) AS kind
                                                 FROM (SELECT base, roll, span, round,
                                                              -- the first "round" width giving <= 200 buckets
                                                              arrayFilter(v -> v >= intDiv(ifNull(span, 0), 200) AND v % greatest(base, 1) = 0, round) AS cands
                                                       FROM (SELECT base, roll,
                                                                    CAST([60000000000, 300000000000, 600000000000, 900000000000, 1800000000000,
                                                                          3600000000000, 7200000000000, 21600000000000, 43200000000000,
                                                                          86400000000000] AS Array(Int64)) AS round,
                                                                    ifNull(CAST(:to AS Nullable(Int64)), last_end)
                                                                      - ifNull(CAST(:from AS Nullable(Int64)), first_start) AS span
                                                             FROM (SELECT maxIf(toInt64OrZero(value), key = 'bucket_ns') AS base,
                                                                          maxIf(toInt64OrZero(value), key = 'rollup_ns') AS roll
                                                                   FROM meta)
                                                             CROSS JOIN (SELECT min(started_ns) AS first_start, max(ended_ns) AS last_end
                                                                         FROM visible_captures)))))
                                    WHERE x_width = 0 OR x_width = ns)
                              WHERE ((:pid IS NULL AND :comm IS NULL AND :host IS NULL)
                                     OR (capture_id, process_id) GLOBAL IN
                                        (SELECT capture_id, process_id
                                         FROM visible_processes
                                         ALL INNER JOIN (SELECT capture_id, host FROM visible_captures) USING capture_id
                                         -- (nothing read without those parameters)
                                         WHERE NOT (:pid IS NULL AND :comm IS NULL AND :host IS NULL)
                                           AND (:pid IS NULL OR pid = :pid) AND (:comm IS NULL OR comm = :comm)
                                           AND (:host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host))))
                                AND (:from IS NULL OR x_bucket >= :from) AND (:to IS NULL OR x_bucket < :to)
                              GROUP BY b, capture_id, process_id, fid)
                        ALL INNER JOIN (SELECT capture_id, toInt64(ifNull(ingested_ns, 0)) AS ingested FROM visible_captures)
                        USING capture_id
                        GROUP BY b)
                  ARRAY JOIN rows AS r, arrayEnumerate(rows) AS rn
                  WHERE :top <= 0 OR rn <= :top)
            -- ranked rows (kind 3) come with their names: no process is read then
            ANY LEFT JOIN (SELECT capture_id, process_id, pid AS p_pid, comm AS p_comm FROM visible_processes
                           WHERE (SELECT kind
                                           FROM (SELECT toInt64(ifNull(CAST(:bucket AS Nullable(Int64)),
                                                          if(intDiv(ifNull(span, 0), 200) <= base, base,
                                                             if(empty(cands), base * (intDiv(intDiv(ifNull(span, 0), 200), base) + 1),
                                                                arrayReduce('min', cands))))) AS ns,
                                                        if(roll <> 0 AND ns % greatest(roll, 1) = 0,
                                                           if(:by = 'flow', 1,
                                                              if(:pid IS NULL AND :comm IS NULL AND :from IS NULL AND :to IS NULL
                                                                 AND :top > 0 AND :top <= 20 AND (ns = roll OR has(round, ns)), 3, 2)),
                                                           0) AS kind
                                                 FROM (SELECT base, roll, span, round,
                                                              -- the first "round" width giving <= 200 buckets
                                                              arrayFilter(v -> v >= intDiv(ifNull(span, 0), 200) AND v % greatest(base, 1) = 0, round) AS cands
                                                       FROM (SELECT base, roll,
                                                                    CAST([60000000000, 300000000000, 600000000000, 900000000000, 1800000000000,
                                                                          3600000000000, 7200000000000, 21600000000000, 43200000000000,
                                                                          86400000000000] AS Array(Int64)) AS round,
                                                                    ifNull(CAST(:to AS Nullable(Int64)), last_end)
                                                                      - ifNull(CAST(:from AS Nullable(Int64)), first_start) AS span
                                                             FROM (SELECT maxIf(toInt64OrZero(value), key = 'bucket_ns') AS base,
                                                                          maxIf(toInt64OrZero(value), key = 'rollup_ns') AS roll
                                                                   FROM meta)
                                                             CROSS JOIN (SELECT min(started_ns) AS first_start, max(ended_ns) AS last_end
                                                                         FROM visible_captures))))) <> 3)
            USING capture_id, process_id)
      ANY LEFT JOIN (SELECT capture_id, host FROM visible_captures) USING capture_id)
-- per process, flow_id is NULL in every row: no flow is read (the join would hash every flow)
ANY LEFT JOIN (SELECT capture_id, flow_id, proto, remote_addr, remote_port FROM visible_flows WHERE :by = 'flow')
USING capture_id, flow_id
ORDER BY bucket_ns, rn
