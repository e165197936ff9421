-- SPDX-License-Identifier: MIT
-- name: top-talkers
-- description: Processes by bytes sent plus received
-- param: limit int 20 maximum rows
-- param: host list null only this host (repeatable)
-- param: capture int null only this capture_id
-- param: from time null only activity at or after this time
-- param: to time null only activity before this time
-- Without a capture or time filter the groups are stored, ranked
-- (top_talkers, rebuilt after each ingest): the report reads them in order
-- instead of summing every flow.
WITH s AS (SELECT EXISTS (SELECT 1 FROM meta WHERE key = 'rollups_current')
                  AND :capture IS NULL AND :from IS NULL AND :to IS NULL AS stored),
g AS (SELECT * FROM (SELECT t.host, t.process_id, t.bytes_sent, t.bytes_recv, t.bytes_total, t.flows, t.remotes
                     FROM s CROSS JOIN top_talkers t
                     WHERE s.stored
                       AND (:host IS NULL
                            OR instr(char(10) || :host || char(10), char(10) || coalesce(t.host, '') || char(10)) > 0)
                     ORDER BY t.seq
                     LIMIT :limit)
      UNION ALL
      SELECT * FROM (SELECT c.host,
                            f.process_id,
                            CAST(total(f.bytes_sent) AS INTEGER) AS bytes_sent,
                            CAST(total(f.bytes_recv) AS INTEGER) AS bytes_recv,
                            CAST(total(f.bytes_sent + f.bytes_recv) AS INTEGER) AS bytes_total,
                            count(*) AS flows,
                            count(DISTINCT f.remote_addr) AS remotes
                     FROM s
                     CROSS JOIN flows f
                     JOIN captures c ON c.capture_id = f.capture_id
                     WHERE NOT s.stored
                       AND (:capture IS NULL OR f.capture_id = :capture)
                       AND (:from IS NULL OR f.last_ns >= :from) AND (:to IS NULL OR f.first_ns < :to)
                       AND (:host IS NULL
                            OR instr(char(10) || :host || char(10), char(10) || coalesce(c.host, '') || char(10)) > 0)
                     GROUP BY c.host_id, f.process_id
                     ORDER BY bytes_total DESC, c.host, f.process_id
                     LIMIT :limit))
SELECT g.host,
       p.pid,
       p.comm,
       g.bytes_sent,
       g.bytes_recv,
       g.bytes_total,
       g.flows,
       g.remotes,
       p.exe
FROM g
LEFT JOIN processes p ON p.process_id = g.process_id
ORDER BY g.bytes_total DESC, g.host, g.process_id
LIMIT :limit;
