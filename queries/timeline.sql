-- SPDX-License-Identifier: MIT
-- name: timeline
-- description: Bytes per process (or per flow) per time bucket; --param bucket=10s re-aggregates
-- param: bucket duration null bucket width (default: about 200 buckets over the range, at least the ingest bucket)
-- param: by process|flow process process or flow
-- param: pid int null only this pid
-- param: comm text null only this process name
-- param: from time null only buckets at or after this time
-- param: to time null only buckets before this time
-- param: top int 20 only the N busiest processes (or flows) of each bucket; 0 = all
-- param: host list null only this host (repeatable)
WITH
  m AS (SELECT (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'bucket_ns') AS base,
               (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'rollup_ns') AS roll,
               coalesce(:to, (SELECT max(ended_ns) FROM captures))
                 - coalesce(:from, (SELECT min(started_ns) FROM captures)) AS span),
  -- default width: the ingest bucket, or the first "round" width giving <= 200 buckets
  w AS (SELECT coalesce(:bucket,
                        CASE WHEN coalesce(m.span, 0) / 200 <= m.base THEN m.base
                             ELSE coalesce((SELECT min(c.v * 1000000000) FROM
                                             (SELECT 60 AS v UNION ALL SELECT 300 UNION ALL SELECT 600
                                              UNION ALL SELECT 900 UNION ALL SELECT 1800 UNION ALL SELECT 3600
                                              UNION ALL SELECT 7200 UNION ALL SELECT 21600 UNION ALL SELECT 43200
                                              UNION ALL SELECT 86400) c
                                           WHERE c.v * 1000000000 >= m.span / 200 AND (c.v * 1000000000) % m.base = 0),
                                          m.base * ((m.span / 200) / m.base + 1)) END) AS ns,
               m.roll AS roll
        FROM m),
  -- wide buckets read the pre-summed rollup rows
  src AS (SELECT x.* FROM bytes x, w WHERE w.roll IS NULL OR w.ns % w.roll <> 0
          UNION ALL
          SELECT x.* FROM bytes_rollup x, w WHERE w.roll IS NOT NULL AND w.ns % w.roll = 0),
  agg AS (SELECT (x.bucket_ns / w.ns) * w.ns AS bucket_ns,
                 x.process_id,
                 CASE WHEN :by = 'flow' THEN x.flow_id END AS flow_id,
                 CAST(total(x.bytes_sent) AS INTEGER) AS bytes_sent,
                 CAST(total(x.bytes_recv) AS INTEGER) AS bytes_recv,
                 CAST(total(x.sends) AS INTEGER) AS sends,
                 CAST(total(x.recvs) AS INTEGER) AS recvs
          FROM src x CROSS JOIN w
          WHERE ((:pid IS NULL AND :comm IS NULL AND :host IS NULL)
                 OR x.process_id IN (SELECT process_id FROM processes pp JOIN captures c ON c.capture_id = pp.capture_id
                                     WHERE (:pid IS NULL OR pp.pid = :pid) AND (:comm IS NULL OR pp.comm = :comm)
                                       AND (:host IS NULL OR instr(char(10) || :host || char(10), char(10) || coalesce(c.host, '') || char(10)) > 0)))
            AND (:from IS NULL OR x.bucket_ns >= :from)
            AND (:to IS NULL OR x.bucket_ns < :to)
          GROUP BY 1, 2, 3),
  ranked AS (SELECT a.*, row_number() OVER (PARTITION BY a.bucket_ns
                                            ORDER BY a.bytes_sent + a.bytes_recv DESC, a.process_id, a.flow_id) AS rn
             FROM agg a)
SELECT a.bucket_ns,
       c.host,
       p.pid,
       p.comm,
       a.flow_id,
       f.proto,
       f.remote_addr,
       f.remote_port,
       a.bytes_sent,
       a.bytes_recv,
       a.sends,
       a.recvs
FROM ranked a
LEFT JOIN processes p ON p.process_id = a.process_id
LEFT JOIN captures c ON c.capture_id = p.capture_id
LEFT JOIN flows f ON f.flow_id = a.flow_id
WHERE :top <= 0 OR a.rn <= :top
ORDER BY a.bucket_ns, a.rn;
