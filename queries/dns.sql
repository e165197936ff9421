-- SPDX-License-Identifier: MIT
-- name: dns
-- description: DNS lookups the processes made (plain DNS over UDP or TCP port 53): name, type, answers with TTL, resolver
-- param: name text null only this name asked for (exact)
-- param: addr addr null only lookups answered with this address
-- param: comm text null process name (exact)
-- param: pid int null process id
-- param: limit int 1000 maximum rows
-- param: host list null only this host (repeatable)
-- param: from time null only lookups at or after this time
-- param: to time null only lookups before this time
-- One row per answer address (a lookup without one: one row, addr empty).
-- DNS over HTTPS or TLS, mDNS and /etc/hosts are not seen.
SELECT d.ts_ns,
       c.host,
       p.pid,
       p.comm,
       d.qname,
       d.qtype,
       d.rcode,
       d.cname,
       d.addr,
       d.ttl,
       d.proto,
       d.server_addr,
       d.truncated
FROM dns d
JOIN captures c ON c.capture_id = d.capture_id
LEFT JOIN processes p ON p.process_id = d.process_id
WHERE (:name IS NULL OR d.qname = :name)
  AND (:addr IS NULL OR d.addr = :addr)
  AND (:comm IS NULL OR p.comm = :comm)
  AND (:pid IS NULL OR p.pid = :pid)
  AND (:from IS NULL OR d.ts_ns >= :from) AND (:to IS NULL OR d.ts_ns < :to)
  AND (:host IS NULL OR instr(char(10) || :host || char(10), char(10) || coalesce(c.host, '') || char(10)) > 0)
ORDER BY d.ts_ns, d.lookup_id, d.addr
LIMIT :limit;
