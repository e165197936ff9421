-- SPDX-License-Identifier: MIT
-- name: summary
-- description: Per host: recordings, files, time range, processes, flows, bytes, losses, time without events and completeness (never hidden)
-- param: host list null only this host (repeatable)
-- param: from time null only activity at or after this time
-- param: to time null only activity before this time
WITH
  c AS (SELECT * FROM captures
        WHERE (:from IS NULL OR ended_ns >= :from) AND (:to IS NULL OR started_ns < :to)
          AND (:host IS NULL OR instr(char(10) || :host || char(10), char(10) || coalesce(host, '') || char(10)) > 0)),
  -- files missing inside each recording (a gap in file_seq)
  g AS (SELECT host_id, CAST(total(missing) AS INTEGER) AS missing FROM
          (SELECT host_id, max(file_seq) - min(file_seq) + 1 - count(DISTINCT file_seq) AS missing
           FROM c GROUP BY recording_id) GROUP BY host_id),
  p AS (SELECT c.host_id, count(*) AS n FROM processes x JOIN c ON c.capture_id = x.capture_id
        WHERE (:from IS NULL OR coalesce(x.exit_ns, c.ended_ns) >= :from) AND (:to IS NULL OR coalesce(x.start_ns, c.started_ns) < :to)
        GROUP BY c.host_id),
  -- flows summed per capture first: joined to c directly, the planner
  -- builds an automatic index over every flow row (most of the report's time)
  f AS (SELECT c.host_id, CAST(total(x.n) AS INTEGER) AS n, CAST(total(x.sent) AS INTEGER) AS sent,
               CAST(total(x.recv) AS INTEGER) AS recv
        FROM (SELECT capture_id, count(*) AS n, total(bytes_sent) AS sent, total(bytes_recv) AS recv
              FROM flows
              WHERE (:from IS NULL OR last_ns >= :from) AND (:to IS NULL OR first_ns < :to)
              GROUP BY capture_id) x
        JOIN c ON c.capture_id = x.capture_id
        GROUP BY c.host_id),
  -- spans in which the event source recorded nothing (an ETW session stopped from outside)
  s AS (SELECT c.host_id, CAST(total(max(x.ts_ns - x.since_ns, 0)) AS INTEGER) AS dur
        FROM losses x JOIN c ON c.capture_id = x.capture_id
        WHERE x.source = 'source-down' AND x.since_ns IS NOT NULL
          AND (:from IS NULL OR x.ts_ns >= :from) AND (:to IS NULL OR x.since_ns < :to)
        GROUP BY c.host_id),
  h AS (SELECT c.host_id,
               coalesce(c.host, '') AS host,
               group_concat(DISTINCT c.platform) AS platform,
               count(DISTINCT c.recording_id) AS recordings,
               count(*) AS files,
               min(c.started_ns) AS started_ns,
               max(c.ended_ns) AS ended_ns,
               CAST(total(c.records) AS INTEGER) AS records,
               CAST(total(c.events_lost) AS INTEGER) AS events_lost,
               CAST(total(c.chunks_damaged) AS INTEGER) AS chunks_damaged,
               CAST(total(coalesce(c.clean_close, 0) = 0) AS INTEGER) AS not_closed
        FROM c GROUP BY c.host_id)
SELECT h.host,
       h.platform,
       h.recordings,
       h.files,
       h.started_ns,
       h.ended_ns,
       h.ended_ns - h.started_ns AS span_dur_ns,
       coalesce(p.n, 0) AS processes,
       coalesce(f.n, 0) AS flows,
       coalesce(f.sent, 0) AS bytes_sent,
       coalesce(f.recv, 0) AS bytes_recv,
       h.records,
       h.events_lost,
       coalesce(s.dur, 0) AS without_events_dur_ns,
       h.chunks_damaged,
       coalesce(g.missing, 0) AS files_missing,
       coalesce(nullif(trim(CASE WHEN h.not_closed > 0 THEN ', not closed (no footer)' ELSE '' END
                            || CASE WHEN h.chunks_damaged > 0 THEN ', damaged' ELSE '' END
                            || CASE WHEN h.events_lost > 0 THEN ', events lost' ELSE '' END
                            || CASE WHEN coalesce(s.dur, 0) > 0 THEN ', time without events' ELSE '' END
                            || CASE WHEN coalesce(g.missing, 0) > 0 THEN ', files missing' ELSE '' END, ', '), ''),
                'complete') AS completeness
FROM h
LEFT JOIN p ON p.host_id = h.host_id
LEFT JOIN f ON f.host_id = h.host_id
LEFT JOIN g ON g.host_id = h.host_id
LEFT JOIN s ON s.host_id = h.host_id
ORDER BY h.host, h.started_ns;
