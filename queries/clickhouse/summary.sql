-- SPDX-License-Identifier: MIT
-- name: summary
-- ClickHouse dialect of queries/summary.sql (same parameters, columns and
-- order; the parameters are declared there). Reads the visible_* views.
-- A recording is the files of one series (series_uuid), or one file.
SELECT host, platform, recordings, files, started_ns, ended_ns, ended_ns - started_ns AS span_dur_ns,
       ifNull(p_n, 0) AS processes, ifNull(f_n, 0) AS flows, ifNull(f_sent, 0) AS bytes_sent,
       ifNull(f_recv, 0) AS bytes_recv, records, events_lost, ifNull(s_dur, 0) AS without_events_dur_ns,
       chunks_damaged, ifNull(g_missing, 0) AS files_missing,
       ifNull(nullIf(replaceRegexpAll(concat(if(not_closed > 0, ', not closed (no footer)', ''),
                                                      if(chunks_damaged > 0, ', damaged', ''),
                                                      if(events_lost > 0, ', events lost', ''),
                                                      if(ifNull(s_dur, 0) > 0, ', time without events', ''),
                                                      if(ifNull(g_missing, 0) > 0, ', files missing', '')),
                                               '^[, ]+|[, ]+$', ''), ''),
              'complete') AS completeness
FROM (SELECT *
      FROM (SELECT *
            FROM (SELECT *
                  FROM (SELECT *
                  FROM (SELECT host,
                               nullIf(arrayStringConcat(groupUniqArray(platform), ','), '') AS platform,
                               uniqExact(ifNull(series_uuid, uuid)) AS recordings,
                               count() AS files,
                               min(started_ns) AS started_ns, max(ended_ns) AS ended_ns,
                               sum(c_records) AS records, sum(c_lost) AS events_lost,
                               sum(c_damaged) AS chunks_damaged,
                               sum(ifNull(clean_close, 0) = 0) AS not_closed
                        FROM (SELECT host, platform, series_uuid, uuid, started_ns, ended_ns, records AS c_records,
                                     events_lost AS c_lost, chunks_damaged AS c_damaged, clean_close
                              FROM visible_captures
                              WHERE (:from IS NULL OR ended_ns >= :from) AND (:to IS NULL OR started_ns < :to)
                                AND (:host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host)))
                        GROUP BY host)
                  ANY LEFT JOIN
                       (SELECT host, count() AS p_n
                        FROM visible_processes
                        ALL INNER JOIN (SELECT capture_id, host, started_ns AS c_started, ended_ns AS c_ended
                                        FROM visible_captures
                                        WHERE (:from IS NULL OR ended_ns >= :from) AND (:to IS NULL OR started_ns < :to))
                        USING capture_id
                        WHERE (:from IS NULL OR ifNull(exit_ns, c_ended) >= :from)
                          AND (:to IS NULL OR ifNull(start_ns, c_started) < :to)
                        GROUP BY host) USING host)
                  ANY LEFT JOIN
                       -- spans in which the event source recorded nothing (an ETW session stopped from outside)
                       (SELECT host, sum(greatest(ts_ns - assumeNotNull(since_ns), toInt64(0))) AS s_dur
                        FROM visible_losses
                        ALL INNER JOIN (SELECT capture_id, host FROM visible_captures
                                        WHERE (:from IS NULL OR ended_ns >= :from) AND (:to IS NULL OR started_ns < :to))
                        USING capture_id
                        WHERE source = 'source-down' AND since_ns IS NOT NULL
                          AND (:from IS NULL OR ts_ns >= :from) AND (:to IS NULL OR since_ns < :to)
                        GROUP BY host) USING host)
            ANY LEFT JOIN
                 (SELECT host, count() AS f_n, sum(bytes_sent) AS f_sent, sum(bytes_recv) AS f_recv
                  FROM visible_flows
                  ALL INNER JOIN (SELECT capture_id, host FROM visible_captures
                                  WHERE (:from IS NULL OR ended_ns >= :from) AND (:to IS NULL OR started_ns < :to))
                  USING capture_id
                  WHERE (:from IS NULL OR last_ns >= :from) AND (:to IS NULL OR first_ns < :to)
                  GROUP BY host) USING host)
      ANY LEFT JOIN
           -- files missing inside each recording (a gap in file_seq)
           (SELECT host, sum(missing) AS g_missing
            FROM (SELECT any(host) AS host, max(file_seq) - min(file_seq) + 1 - uniqExact(file_seq) AS missing
                  FROM visible_captures
                  WHERE (:from IS NULL OR ended_ns >= :from) AND (:to IS NULL OR started_ns < :to)
                  GROUP BY ifNull(series_uuid, uuid))
            GROUP BY host) USING host)
ORDER BY host, started_ns NULLS FIRST
