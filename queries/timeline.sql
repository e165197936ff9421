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
  -- the derived tables, when the last ingest finished rebuilding them: per
  -- process rollup rows, and the rowid range of the window's bytes rows
  -- (an hour that has none gives an empty range: no rows in the window)
  d AS (SELECT EXISTS (SELECT 1 FROM meta WHERE key = 'rollups_current') AS current),
  r AS (SELECT CASE WHEN d.current THEN
                 coalesce((SELECT min(h.first_rowid) FROM bytes_hours h
                           WHERE (:to IS NULL OR h.hour_ns < :to) AND (:from IS NULL OR h.hour_ns > :from - 3600000000000)), 0)
               ELSE -9223372036854775808 END AS lo,
               CASE WHEN d.current THEN
                 coalesce((SELECT max(h.last_rowid) FROM bytes_hours h
                           WHERE (:to IS NULL OR h.hour_ns < :to) AND (:from IS NULL OR h.hour_ns > :from - 3600000000000)), -1)
               ELSE 9223372036854775807 END AS hi,
               d.current AND coalesce(:by, 'process') <> 'flow' AS per_process
        FROM d),
  -- how many processes of each bucket the ranked table keeps at this width
  -- (0: none): meta 'timeline_top_widths' lists ",WIDTH:N,..."; a database
  -- built before that list ranks the first 'timeline_top' at 1 and 10 buckets
  k AS (SELECT CASE WHEN l.v IS NULL THEN
                 CASE WHEN w.ns = m.base OR w.ns = 10 * m.base
                      THEN coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'timeline_top'), 0) ELSE 0 END
               WHEN instr(l.v, ',' || w.ns || ':') > 0 THEN
                 CAST(substr(l.v, instr(l.v, ',' || w.ns || ':') + length(',' || w.ns || ':')) AS INTEGER)
               ELSE 0 END AS n
        FROM m CROSS JOIN w CROSS JOIN (SELECT (SELECT value FROM meta WHERE key = 'timeline_top_widths') AS v) l),
  -- the busiest processes of each bucket, ranked at ingest for the widths k
  -- counts: read when no process filter narrows the ranking and top is at
  -- most k.n. An output bucket a from/to window cuts (possible for the
  -- wider ones) is summed from the base tables; one starting
  -- at or after `from` whose last ingest bucket is before `to` is whole.
  -- A host filter that every capture passes narrows nothing when every flow
  -- has a process (the filter drops bytes without one).
  t AS (SELECT r.per_process AND :pid IS NULL AND :comm IS NULL
                 AND (:host IS NULL
                      OR (NOT EXISTS (SELECT 1 FROM captures c
                                      WHERE instr(char(10) || :host || char(10), char(10) || coalesce(c.host, '') || char(10)) = 0)
                          AND NOT EXISTS (SELECT 1 FROM flows f WHERE f.process_id IS NULL)))
                 AND EXISTS (SELECT 1 FROM meta WHERE key = 'timeline_top')
                 AND :top > 0 AND :top <= k.n AS ranked,
               coalesce(:from, -9223372036854775807) AS whole_from,
               coalesce(:to - w.ns + m.base, 9223372036854775807) AS whole_to,
               w.ns <> m.base AND (:from IS NOT NULL OR :to IS NOT NULL) AS cut
        FROM m CROSS JOIN w CROSS JOIN r CROSS JOIN k),
  -- the processes a pid/comm/host filter keeps (read only when there is one)
  kept AS (SELECT pp.process_id FROM processes pp JOIN captures c ON c.capture_id = pp.capture_id
           WHERE (:pid IS NULL OR pp.pid = :pid) AND (:comm IS NULL OR pp.comm = :comm)
             AND (:host IS NULL OR instr(char(10) || :host || char(10), char(10) || coalesce(c.host, '') || char(10)) > 0)),
  -- wide buckets read the pre-summed rollup rows (per process when flows are not asked for)
  src AS (SELECT x.* FROM w CROSS JOIN r CROSS JOIN t CROSS JOIN bytes x
          WHERE (w.roll IS NULL OR w.ns % w.roll <> 0) AND (NOT t.ranked OR t.cut) AND x.rowid BETWEEN r.lo AND r.hi
            AND ((:pid IS NULL AND :comm IS NULL AND :host IS NULL) OR x.process_id IN kept)
          UNION ALL
          SELECT x.* FROM w CROSS JOIN r CROSS JOIN t CROSS JOIN bytes_rollup x
          WHERE w.roll IS NOT NULL AND w.ns % w.roll = 0 AND NOT r.per_process AND (NOT t.ranked OR t.cut)
            AND ((:pid IS NULL AND :comm IS NULL AND :host IS NULL) OR x.process_id IN kept)
          UNION ALL
          SELECT NULL, x.bucket_ns, x.bytes_sent, x.bytes_recv, x.sends, x.recvs, x.process_id
          FROM w CROSS JOIN r CROSS JOIN t CROSS JOIN process_rollup x
          WHERE w.roll IS NOT NULL AND w.ns % w.roll = 0 AND r.per_process AND (NOT t.ranked OR t.cut)
            AND ((:pid IS NULL AND :comm IS NULL AND :host IS NULL) OR x.process_id IN kept)),
  agg AS (SELECT (x.bucket_ns / w.ns) * w.ns AS bucket_ns,
                 x.process_id,
                 CASE WHEN :by = 'flow' THEN x.flow_id END AS flow_id,
                 CAST(total(x.bytes_sent) AS INTEGER) AS bytes_sent,
                 CAST(total(x.bytes_recv) AS INTEGER) AS bytes_recv,
                 CAST(total(x.sends) AS INTEGER) AS sends,
                 CAST(total(x.recvs) AS INTEGER) AS recvs
          FROM src x CROSS JOIN w CROSS JOIN t
          WHERE (NOT t.ranked OR (x.bucket_ns / w.ns) * w.ns < t.whole_from OR (x.bucket_ns / w.ns) * w.ns >= t.whole_to)
            AND (:from IS NULL OR x.bucket_ns >= :from)
            AND (:to IS NULL OR x.bucket_ns < :to)
          GROUP BY 1, 2, 3),
  -- the first `top` of each bucket (before the merge sorts them in)
  ranked AS (SELECT * FROM (SELECT a.*, row_number() OVER (PARTITION BY a.bucket_ns
                                                          ORDER BY a.bytes_sent + a.bytes_recv DESC, a.process_id,
                                                                   a.flow_id) AS rn
                            FROM t CROSS JOIN agg a WHERE NOT t.ranked OR t.cut)
             WHERE :top <= 0 OR rn <= :top
             UNION ALL
             SELECT x.bucket_ns, x.process_id, NULL, x.bytes_sent, x.bytes_recv, x.sends, x.recvs, x.rank
             FROM timeline_top x
             WHERE (SELECT ranked FROM t) AND x.width_ns = (SELECT ns FROM w) AND x.rank <= :top
               AND x.bucket_ns >= (SELECT whole_from FROM t) AND x.bucket_ns < (SELECT whole_to FROM t)
             ORDER BY 1, 8 LIMIT -1)
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
WHERE :top <= 0 OR a.rn <= :top;
