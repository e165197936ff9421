-- name: summary
-- description: Per capture: host, span, processes, flows, bytes, and events lost (never hidden)
SELECT c.capture_id,
       c.host,
       c.platform,
       c.started_ns,
       c.ended_ns,
       c.ended_ns - c.started_ns AS span_dur_ns,
       coalesce(p.n, 0) AS processes,
       coalesce(f.n, 0) AS flows,
       coalesce(f.sent, 0) AS bytes_sent,
       coalesce(f.recv, 0) AS bytes_recv,
       c.records,
       c.events_lost,
       c.chunks_damaged,
       CASE WHEN c.events_lost > 0 AND c.chunks_damaged > 0 THEN 'INCOMPLETE: events lost, damaged chunks'
            WHEN c.events_lost > 0 THEN 'INCOMPLETE: events lost'
            WHEN c.chunks_damaged > 0 THEN 'INCOMPLETE: damaged chunks'
            ELSE 'complete' END AS completeness
FROM captures c
LEFT JOIN (SELECT capture_id, count(*) AS n FROM processes GROUP BY capture_id) p USING (capture_id)
LEFT JOIN (SELECT capture_id, count(*) AS n, CAST(total(bytes_sent) AS INTEGER) AS sent, CAST(total(bytes_recv) AS INTEGER) AS recv
           FROM flows GROUP BY capture_id) f USING (capture_id)
ORDER BY c.started_ns, c.capture_id;
