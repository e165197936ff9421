-- SPDX-License-Identifier: MIT
-- procflow analysis database, schema version 3: ICMP ping sockets, raw IP
-- sockets and packet sockets as flows and snapshot rows (proto 'icmp',
-- 'icmpv6', 'raw', 'packet'), and the protocol number behind each proto.
-- Documented in schema/db.md.

-- The number the socket was opened with: the IP protocol for tcp (6), udp
-- (17), icmp (1), icmpv6 (58) and raw (any: 1 for a raw ICMP socket); the
-- EtherType for packet (3 = every protocol).
ALTER TABLE flows ADD COLUMN proto_num INTEGER;
ALTER TABLE snapshots ADD COLUMN proto_num INTEGER;

-- databases of version 2 hold TCP and UDP only
UPDATE flows SET proto_num = CASE proto WHEN 'tcp' THEN 6 WHEN 'udp' THEN 17 END;
UPDATE snapshots SET proto_num = CASE proto WHEN 'tcp' THEN 6 WHEN 'udp' THEN 17 END;
