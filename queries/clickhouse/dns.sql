-- SPDX-License-Identifier: MIT
-- name: dns
-- ClickHouse dialect of queries/dns.sql (same parameters, columns and
-- order; the parameters are declared there). Reads the visible_* views.
-- lookup_id and process_id are numbered per capture here: lookups at the
-- same moment come in the order their files were ingested (SQLite's
-- lookup_id order), then by lookup.
SELECT ts_ns, host, pid, comm, qname, qtype, rcode, cname, addr, ttl, proto, server_addr, truncated
FROM (SELECT *
      FROM (SELECT capture_id, lookup_id, process_id, ts_ns, qname, qtype, rcode, cname, addr, ttl, proto,
                   server_addr, truncated
            FROM visible_dns
            WHERE (:name IS NULL OR qname = :name)
              AND (:addr IS NULL OR addr = :addr)
              AND (:from IS NULL OR ts_ns >= :from) AND (:to IS NULL OR ts_ns < :to))
      ALL INNER JOIN (SELECT capture_id, host, ifNull(ingested_ns, 0) AS ingested FROM visible_captures
                      WHERE :host IS NULL OR has(splitByChar('\n', ifNull(:host, '')), host)) USING capture_id)
-- the processes of captures with lookups only (the join hashes what it reads)
ANY LEFT JOIN (SELECT capture_id, process_id, pid, comm FROM visible_processes
               WHERE capture_id GLOBAL IN (SELECT capture_id FROM visible_dns)) USING capture_id, process_id
WHERE (:comm IS NULL OR comm = :comm) AND (:pid IS NULL OR pid = :pid)
ORDER BY ts_ns, ingested, capture_id, lookup_id, addr NULLS FIRST
LIMIT :limit
