-- SPDX-License-Identifier: MIT
-- After an ingest: clock offsets between hosts and the conversations table.
-- 1. Candidates: connection ends recorded at both ends (protocol, both
--    endpoints mirrored), found through an index on the mirrored key.
-- 2. The offset of each host pair: the median difference of the candidates'
--    first-activity times (a reused port pairs with wrong partners too; the
--    median ignores such minorities). `pairs` counts candidates within 1 s
--    of it.
-- 3. Conversations: candidates whose times overlap once the offset is taken
--    out (1 s tolerance: traffic is aggregated per second).
DROP TABLE IF EXISTS temp.pf_ends;
-- only an end whose local endpoint is some flow's remote one can have a
-- partner (found through flows_remote); in flow order, the candidates' order
CREATE TEMP TABLE pf_ends AS
SELECT * FROM v_flow_ends
WHERE (local_addr, local_port) IN (SELECT remote_addr, remote_port FROM flows)
ORDER BY flow_id;
CREATE INDEX temp.pf_ends_key ON pf_ends(proto, local_addr, local_port, remote_addr, remote_port);
DROP TABLE IF EXISTS temp.pf_cand;
CREATE TEMP TABLE pf_cand AS
SELECT a.flow_id AS a_flow, b.flow_id AS b_flow, a.host_id AS a_host, b.host_id AS b_host,
       b.first_ns - a.first_ns AS diff,
       a.first_ns AS a_first, a.last_ns AS a_last, b.first_ns AS b_first, b.last_ns AS b_last
FROM pf_ends a
JOIN pf_ends b
  ON b.proto = a.proto AND b.local_addr = a.remote_addr AND b.local_port = a.remote_port
 AND b.remote_addr = a.local_addr AND b.remote_port = a.local_port AND b.flow_id <> a.flow_id
-- a is the client end: it connected, or neither says and it has the higher (ephemeral) port
WHERE a.client_rank > b.client_rank
   OR (a.client_rank = b.client_rank AND (a.local_port > a.remote_port
                                          OR (a.local_port = a.remote_port AND a.flow_id < b.flow_id)));

DELETE FROM clock_offsets;
WITH d AS (SELECT min(a_host, b_host) AS h, max(a_host, b_host) AS p,
                  CASE WHEN a_host < b_host THEN diff ELSE -diff END AS diff
           FROM temp.pf_cand WHERE a_host <> b_host),
r AS (SELECT h, p, diff, row_number() OVER (PARTITION BY h, p ORDER BY diff) AS rn,
             count(*) OVER (PARTITION BY h, p) AS n
      FROM d),
m AS (SELECT h, p, diff AS off, n FROM r WHERE rn = (n + 1) / 2),
s AS (SELECT m.h, m.p, m.off, m.n,
             (SELECT count(*) FROM r WHERE r.h = m.h AND r.p = m.p AND r.diff BETWEEN m.off - 1000000000
                                                                                AND m.off + 1000000000) AS good
      FROM m)
INSERT INTO clock_offsets(host_id, peer_host_id, offset_ns, pairs, candidates)
SELECT h, p, off, good, n FROM s
UNION ALL
SELECT p, h, -off, good, n FROM s;

DELETE FROM conversations;
INSERT INTO conversations(client_flow_id, server_flow_id, client_host_id, server_host_id, offset_ns)
SELECT c.a_flow, c.b_flow, c.a_host, c.b_host, coalesce(o.offset_ns, 0)
FROM temp.pf_cand c
LEFT JOIN clock_offsets o ON o.host_id = c.a_host AND o.peer_host_id = c.b_host
WHERE c.a_first <= c.b_last - coalesce(o.offset_ns, 0) + 1000000000
  AND c.b_first - coalesce(o.offset_ns, 0) <= c.a_last + 1000000000;
DROP TABLE temp.pf_cand;
DROP TABLE temp.pf_ends;
