-- After an ingest: the clock offset of every host pair, the median
-- difference of the first-activity times of connections whose two ends
-- (protocol, both endpoints mirrored) were recorded on the two hosts.
-- A reused port pairs with wrong partners too; the median ignores such
-- minorities. `pairs` counts the matches within 1 s of the estimate.
DELETE FROM clock_offsets;
WITH d AS (
  SELECT a.host_id AS h, b.host_id AS p, b.first_ns - a.first_ns AS diff
  FROM v_flow_ends a
  JOIN v_flow_ends b
    ON b.proto = a.proto AND b.local_addr = a.remote_addr AND b.local_port = a.remote_port
   AND b.remote_addr = a.local_addr AND b.remote_port = a.local_port
  WHERE a.host_id < b.host_id
),
r AS (SELECT h, p, diff, row_number() OVER (PARTITION BY h, p ORDER BY diff) AS rn,
             count(*) OVER (PARTITION BY h, p) AS n
      FROM d),
m AS (SELECT h, p, diff AS off, n FROM r WHERE rn = (n + 1) / 2),
s AS (SELECT m.h, m.p, m.off, m.n, (SELECT count(*) FROM d WHERE d.h = m.h AND d.p = m.p
                                      AND abs(d.diff - m.off) <= 1000000000) AS good
      FROM m)
INSERT INTO clock_offsets(host_id, peer_host_id, offset_ns, pairs, candidates)
SELECT h, p, off, good, n FROM s
UNION ALL
SELECT p, h, -off, good, n FROM s;
