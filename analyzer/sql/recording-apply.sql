-- SPDX-License-Identifier: MIT
-- Ingest, after recording.c walked the flows: temp.pf_fmap maps each
-- continuing row to the row it continues (the earliest of its chain),
-- temp.pf_fhead holds each chain's end. One row with summed counts and its
-- true first/last times replaces the chain.
UPDATE flows SET
  bytes_sent = bytes_sent + (SELECT CAST(total(f.bytes_sent) AS INTEGER) FROM flows f JOIN temp.pf_fmap m ON m.old = f.flow_id WHERE m.new = flows.flow_id),
  bytes_recv = bytes_recv + (SELECT CAST(total(f.bytes_recv) AS INTEGER) FROM flows f JOIN temp.pf_fmap m ON m.old = f.flow_id WHERE m.new = flows.flow_id),
  sends = sends + (SELECT CAST(total(f.sends) AS INTEGER) FROM flows f JOIN temp.pf_fmap m ON m.old = f.flow_id WHERE m.new = flows.flow_id),
  recvs = recvs + (SELECT CAST(total(f.recvs) AS INTEGER) FROM flows f JOIN temp.pf_fmap m ON m.old = f.flow_id WHERE m.new = flows.flow_id),
  retransmits = retransmits + (SELECT CAST(total(f.retransmits) AS INTEGER) FROM flows f JOIN temp.pf_fmap m ON m.old = f.flow_id WHERE m.new = flows.flow_id),
  first_ns = min(first_ns, (SELECT min(f.first_ns) FROM flows f JOIN temp.pf_fmap m ON m.old = f.flow_id WHERE m.new = flows.flow_id)),
  state = coalesce((SELECT f.state FROM flows f JOIN temp.pf_fmap m ON m.old = f.flow_id
                    JOIN captures c ON c.capture_id = f.capture_id
                    WHERE m.new = flows.flow_id AND f.state IS NOT NULL ORDER BY c.file_seq DESC, f.first_ns DESC LIMIT 1), state),
  direction = CASE WHEN direction = 'unknown'
                   THEN coalesce((SELECT f.direction FROM flows f JOIN temp.pf_fmap m ON m.old = f.flow_id
                                  JOIN captures c ON c.capture_id = f.capture_id
                                  WHERE m.new = flows.flow_id AND f.direction <> 'unknown' ORDER BY c.file_seq, f.first_ns LIMIT 1), direction)
                   ELSE direction END,
  last_ns = (SELECT h.last_ns FROM temp.pf_fhead h WHERE h.flow_id = flows.flow_id),
  closed = (SELECT h.closed FROM temp.pf_fhead h WHERE h.flow_id = flows.flow_id),
  last_capture_id = (SELECT nullif(h.last_capture_id, flows.capture_id) FROM temp.pf_fhead h WHERE h.flow_id = flows.flow_id)
WHERE flow_id IN (SELECT flow_id FROM temp.pf_fhead);

UPDATE bytes SET flow_id = (SELECT new FROM temp.pf_fmap WHERE old = bytes.flow_id)
WHERE EXISTS (SELECT 1 FROM temp.pf_fmap) AND flow_id IN (SELECT old FROM temp.pf_fmap);
UPDATE bytes_rollup SET flow_id = (SELECT new FROM temp.pf_fmap WHERE old = bytes_rollup.flow_id)
WHERE EXISTS (SELECT 1 FROM temp.pf_fmap) AND flow_id IN (SELECT old FROM temp.pf_fmap);
DELETE FROM flows WHERE EXISTS (SELECT 1 FROM temp.pf_fmap) AND flow_id IN (SELECT old FROM temp.pf_fmap);

-- A bucket the file boundary cut in two is one bucket again.
DROP TABLE IF EXISTS temp.pf_bdup;
CREATE TEMP TABLE pf_bdup AS
SELECT flow_id, bucket_ns, min(rowid) AS keep, CAST(total(bytes_sent) AS INTEGER) AS s, CAST(total(bytes_recv) AS INTEGER) AS r,
       CAST(total(sends) AS INTEGER) AS ns, CAST(total(recvs) AS INTEGER) AS nr
FROM bytes WHERE EXISTS (SELECT 1 FROM temp.pf_fhead) AND flow_id IN (SELECT flow_id FROM temp.pf_fhead)
GROUP BY flow_id, bucket_ns HAVING count(*) > 1;
UPDATE bytes SET bytes_sent = d.s, bytes_recv = d.r, sends = d.ns, recvs = d.nr
FROM temp.pf_bdup d WHERE bytes.rowid = d.keep;
DELETE FROM bytes WHERE rowid IN (SELECT b.rowid FROM bytes b JOIN temp.pf_bdup d
                                  ON b.flow_id = d.flow_id AND b.bucket_ns = d.bucket_ns AND b.rowid <> d.keep);
DROP TABLE IF EXISTS temp.pf_bdup;
CREATE TEMP TABLE pf_bdup AS
SELECT flow_id, bucket_ns, min(rowid) AS keep, CAST(total(bytes_sent) AS INTEGER) AS s, CAST(total(bytes_recv) AS INTEGER) AS r,
       CAST(total(sends) AS INTEGER) AS ns, CAST(total(recvs) AS INTEGER) AS nr
FROM bytes_rollup WHERE EXISTS (SELECT 1 FROM temp.pf_fhead) AND flow_id IN (SELECT flow_id FROM temp.pf_fhead)
GROUP BY flow_id, bucket_ns HAVING count(*) > 1;
UPDATE bytes_rollup SET bytes_sent = d.s, bytes_recv = d.r, sends = d.ns, recvs = d.nr
FROM temp.pf_bdup d WHERE bytes_rollup.rowid = d.keep;
DELETE FROM bytes_rollup WHERE rowid IN (SELECT b.rowid FROM bytes_rollup b JOIN temp.pf_bdup d
                                         ON b.flow_id = d.flow_id AND b.bucket_ns = d.bucket_ns AND b.rowid <> d.keep);
DROP TABLE IF EXISTS temp.pf_bdup;
