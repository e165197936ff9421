-- SPDX-License-Identifier: MIT
-- name: timeline
-- ClickHouse dialect of queries/timeline.sql (same parameters, columns and
-- order; the parameters are declared there). Reads the visible_* views and
-- the store's bucket and rollup width (meta). The rank inside a bucket is
-- the position in the bucket's rows sorted by bytes, process, flow (18.16
-- has no window functions); process_id is numbered per capture here, so
-- processes of several files tie-break in the order their files were ingested.
SELECT bucket_ns, if(isNull(pid), NULL, host) AS host, pid, comm, flow_id, proto, remote_addr, remote_port,
       bytes_sent, bytes_recv, sends, recvs
FROM (SELECT *
      FROM (SELECT *
            FROM (SELECT b AS bucket_ns, r.1 AS capture_id, r.2 AS process_id, r.3 AS flow_id, r.4 AS bytes_sent,
                         r.5 AS bytes_recv, r.6 AS sends, r.7 AS recvs, rn
                  FROM (SELECT b, arraySort(x -> (-(x.4 + x.5), if(isNull(x.2), -9223372036854775807, x.8),
                                                  ifNull(x.2, -9223372036854775807),
                                                  ifNull(x.3, -9223372036854775807)),
                                            groupArray((capture_id, process_id, fid, s, rv, sd, rc, ingested))) AS rows
                        FROM (SELECT intDiv(x_bucket, ns) * ns AS b, capture_id, process_id,
                                     if(:by = 'flow', toNullable(flow_id), CAST(NULL AS Nullable(Int64))) AS fid,
                                     sum(x_sent) AS s, sum(x_recv) AS rv, sum(x_sends) AS sd, sum(x_recvs) AS rc
                              FROM (SELECT capture_id, process_id, flow_id, x_bucket, x_sent, x_recv, x_sends, x_recvs, ns
                                    FROM (SELECT capture_id, process_id, flow_id, bucket_ns AS x_bucket, bytes_sent AS x_sent,
                                                 bytes_recv AS x_recv, sends AS x_sends, recvs AS x_recvs, 0 AS rolled
                                          FROM visible_bytes
                                          UNION ALL
                                          -- wide buckets read the pre-summed rollup rows
                                          SELECT capture_id, process_id, flow_id, bucket_ns, bytes_sent, bytes_recv, sends, recvs, 1
                                          FROM visible_bytes_rollup)
                                    CROSS JOIN (SELECT toInt64(ifNull(CAST(:bucket AS Nullable(Int64)),
                                                               if(intDiv(ifNull(span, 0), 200) <= base, base,
                                                                  if(empty(cands), base * (intDiv(intDiv(ifNull(span, 0), 200), base) + 1),
                                                                     arrayReduce('min', cands))))) AS ns, roll
                                                 FROM (SELECT base, roll, span,
                                                              -- the first "round" width giving <= 200 buckets
                                                              arrayFilter(v -> v >= intDiv(ifNull(span, 0), 200) AND v % base = 0,
                                                                          CAST([60000000000, 300000000000, 600000000000,
                                                                           900000000000, 1800000000000, 3600000000000,
                                                                           7200000000000, 21600000000000, 43200000000000,
                                                                           86400000000000] AS Array(Int64))) AS cands
                                                       FROM (SELECT (SELECT max(toInt64OrZero(value)) FROM meta WHERE key = 'bucket_ns') AS base,
                                                                    (SELECT max(toInt64OrZero(value)) FROM meta WHERE key = 'rollup_ns') AS roll,
                                                                    ifNull(CAST(:to AS Nullable(Int64)), (SELECT max(ended_ns) FROM visible_captures))
                                                                      - ifNull(CAST(:from AS Nullable(Int64)), (SELECT min(started_ns) FROM visible_captures)) AS span)))
                                    -- one width for both: the raw rows, or the rollup rows when it is a multiple of theirs
                                    WHERE rolled = (roll <> 0 AND ns % roll = 0))
                              WHERE ((:pid IS NULL AND :comm IS NULL AND :host IS NULL)
                                     OR (capture_id, process_id) GLOBAL IN
                                        (SELECT capture_id, process_id
                                         FROM visible_processes
                                         ALL INNER JOIN (SELECT capture_id, host FROM visible_captures) USING capture_id
                                         WHERE (:pid IS NULL OR pid = :pid) AND (:comm IS NULL OR comm = :comm)
                                           AND (:host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host))))
                                AND (:from IS NULL OR x_bucket >= :from) AND (:to IS NULL OR x_bucket < :to)
                              GROUP BY b, capture_id, process_id, fid)
                        ALL INNER JOIN (SELECT capture_id, toInt64(ifNull(ingested_ns, 0)) AS ingested FROM visible_captures)
                        USING capture_id
                        GROUP BY b)
                  ARRAY JOIN rows AS r, arrayEnumerate(rows) AS rn
                  WHERE :top <= 0 OR rn <= :top)
            ANY LEFT JOIN (SELECT capture_id, process_id, pid, comm FROM visible_processes) USING capture_id, process_id)
      ANY LEFT JOIN (SELECT capture_id, host FROM visible_captures) USING capture_id)
-- per process, flow_id is NULL in every row: no flow is read (the join would hash every flow)
ANY LEFT JOIN (SELECT capture_id, flow_id, proto, remote_addr, remote_port FROM visible_flows WHERE :by = 'flow')
USING capture_id, flow_id
ORDER BY bucket_ns, rn
