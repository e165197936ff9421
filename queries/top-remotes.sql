-- name: top-remotes
-- description: Remote endpoints by bytes, with the processes that talked to them
-- param: limit int 20 maximum rows
-- param: proto tcp|udp null tcp or udp only
SELECT r.remote_addr,
       r.remote_port,
       r.proto,
       r.bytes_sent,
       r.bytes_recv,
       r.bytes_sent + r.bytes_recv AS bytes_total,
       r.flows,
       (SELECT group_concat(comm, ',') FROM
          (SELECT DISTINCT coalesce(p2.comm, '?') AS comm
           FROM flows f2 LEFT JOIN processes p2 ON p2.process_id = f2.process_id
           WHERE f2.remote_addr = r.remote_addr AND f2.remote_port = r.remote_port AND f2.proto = r.proto
           ORDER BY 1)) AS processes
FROM (SELECT remote_addr, remote_port, proto,
             CAST(total(bytes_sent) AS INTEGER) AS bytes_sent, CAST(total(bytes_recv) AS INTEGER) AS bytes_recv, count(*) AS flows
      FROM flows
      WHERE remote_addr IS NOT NULL AND direction <> 'listen'
        AND (:proto IS NULL OR proto = :proto)
      GROUP BY remote_addr, remote_port, proto) r
ORDER BY bytes_total DESC, r.remote_addr, r.remote_port, r.proto
LIMIT :limit;
