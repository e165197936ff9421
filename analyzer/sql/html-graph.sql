-- SPDX-License-Identifier: MIT
-- HTML report: the process-to-process graph. The busiest pairs of
-- processes that talked to each other (both ends recorded), with their
-- hosts; one row per pair.
WITH pairs AS (
  SELECT client_host_id, client_process_id, server_host_id, server_process_id,
         count(*) AS conns, CAST(total(client_sent + server_sent) AS INTEGER) AS bytes
  FROM v_conversations
  GROUP BY client_host_id, client_process_id, server_host_id, server_process_id
  ORDER BY bytes DESC, client_process_id, server_process_id
  LIMIT :limit
)
SELECT x.client_host_id, ch.name, x.client_process_id, cp.pid, cp.comm,
       x.server_host_id, sh.name, x.server_process_id, sp.pid, sp.comm,
       x.conns, x.bytes
FROM pairs x
JOIN hosts ch ON ch.host_id = x.client_host_id
JOIN hosts sh ON sh.host_id = x.server_host_id
LEFT JOIN processes cp ON cp.process_id = x.client_process_id
LEFT JOIN processes sp ON sp.process_id = x.server_process_id
ORDER BY x.bytes DESC, x.client_process_id, x.server_process_id;
