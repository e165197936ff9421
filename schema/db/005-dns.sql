-- SPDX-License-Identifier: MIT
-- procflow analysis database, schema version 4: DNS answers the processes
-- received (capture format 1.1 DNS records) and, per flow, the name its
-- remote address was looked up under. Documented in schema/db.md.

-- One row per answer address of a lookup; a response without addresses
-- (NXDOMAIN, no data, a CNAME only) is one row with addr NULL.
CREATE TABLE dns (
  capture_id  INTEGER NOT NULL REFERENCES captures(capture_id),
  lookup_id   INTEGER NOT NULL,            -- one per response: the rows of its answers share it
  process_id  INTEGER REFERENCES processes(process_id),
  ts_ns       INTEGER NOT NULL,            -- when the response reached the host
  qname       TEXT NOT NULL,               -- the name asked for
  qtype       TEXT NOT NULL,               -- 'A', 'AAAA', ... ('TYPE65' when unnamed)
  rcode       TEXT NOT NULL,               -- 'NOERROR', 'NXDOMAIN', ... ('RCODE11' when unnamed)
  cname       TEXT,                        -- last CNAME target on the way, NULL when none
  addr        TEXT,                        -- one answer address (canonical text), NULL when none
  ttl         INTEGER,                     -- its TTL in seconds
  proto       TEXT NOT NULL,               -- how the answer came: 'udp' or 'tcp'
  server_addr TEXT,                        -- who answered (a local stub resolver counts)
  server_port INTEGER,
  truncated   INTEGER NOT NULL DEFAULT 0   -- TC set or only part of the response seen
);
CREATE INDEX dns_addr ON dns(addr, ts_ns);
CREATE INDEX dns_capture ON dns(capture_id, lookup_id);

-- The name the flow's process (else any process on the same host) last
-- looked up that resolved to remote_addr, before the flow began; NULL when none.
ALTER TABLE flows ADD COLUMN remote_name TEXT;

CREATE VIEW v_dns AS
SELECT d.*, p.pid, p.comm,
       strftime('%Y-%m-%dT%H:%M:%fZ', d.ts_ns / 1e9, 'unixepoch') AS time
FROM dns d LEFT JOIN processes p ON p.process_id = d.process_id;
