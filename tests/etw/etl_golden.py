#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Expected process rows and capture facts of real .etl files, derived
without procflow's decoder: this script walks the buffers and events itself
(from the published ETW layouts; compressed buffers with its own MS-XCA
LZ77 decompressor) and states the process model on its own.

  etl_golden.py expect FILE            print the expected rows and facts
  etl_golden.py check ANALYZE FILE GOLDEN WORK
        ingest FILE with procflow-analyze into WORK/x.db, compare its
        processes table and capture row with the expected ones, and the
        expected ones with the committed GOLDEN file (exit 77 when FILE is
        absent)

Process model (one row per real process):
  - events are taken in time order (ties: file order);
  - a Start begins a process, unless the other provider (classic Process vs
    Microsoft-Windows-Kernel-Process) started the same pid less than 10 ms
    before and it has not ended: then it is the same process;
  - a DCStart / ProcessRundown begins a process (it was running when the
    trace began);
  - End / ProcessStop ends the current process of that pid (its exit time:
    the event time, or the ExitTime the payload states); Defunct (classic
    v5 states ExitTime) likewise;
  - DCEnd belongs to the current process of that pid;
  - an end event with no current process is a process of unknown start;
  - pid 0 and 4 have parent 0; names, parent and command line come from the
    event that began the process; an end event only fills what is missing;
  - a network event of a pid with no current process is a process of
    unknown start (nothing else known).
Times: UTC ns since 1970; a QPC clock counts from the logfile header event
(its StartTime) at the header's frequency, rounded down.
"""
import lzma
import os
import sqlite3
import struct
import subprocess
import sys

FT_UNIX = 116444736000000000
KPROC = bytes.fromhex("d62cfb227b0e2b42a0c72fad1fd0e716")
KNET = bytes.fromhex("492ad47d295332488dfd43d979153a88")
TCP_IDS = set(range(10, 17)) | set(range(26, 33))  # send .. reconnect, IPv4 and IPv6
KNET_IDS = TCP_IDS | {42, 43, 58, 59}
UDP_IDS = {10, 11, 26, 27}


def u16(b, o):
    return struct.unpack_from("<H", b, o)[0]


def u32(b, o):
    return struct.unpack_from("<I", b, o)[0]


def u64(b, o):
    return struct.unpack_from("<Q", b, o)[0]


def cstr(b, o):
    e = b.index(0, o)
    return b[o:e].decode("latin-1"), e + 1


def wstr(b, o):
    e = o
    while e + 1 < len(b) and (b[e] or b[e + 1]):
        e += 2
    return b[o:e].decode("utf-16-le", errors="replace"), e + 2


def lz77_plain(src, out_len):
    """MS-XCA plain LZ77 ("XPRESS") decompression, written from the spec."""
    out = bytearray()
    pos = flags = nflags = 0
    half = None  # position of the byte whose high nibble is still unused
    while len(out) < out_len:
        if nflags == 0:
            flags = u32(src, pos)
            pos += 4
            nflags = 32
        nflags -= 1
        if not flags & (1 << nflags):
            out.append(src[pos])
            pos += 1
            continue
        if pos >= len(src):
            break
        word = u16(src, pos)
        pos += 2
        length, offset = word % 8, word // 8 + 1
        if length == 7:
            if half is None:
                length = src[pos] % 16
                half = pos
                pos += 1
            else:
                length = src[half] // 16
                half = None
            if length == 15:
                length = src[pos]
                pos += 1
                if length == 255:
                    length = u16(src, pos)
                    pos += 2
                    if length == 0:
                        length = u32(src, pos)
                        pos += 4
                    length -= 15 + 7
                length += 15
            length += 7
        length += 3
        for _ in range(length):
            out.append(out[-offset])
    if len(out) != out_len:
        raise ValueError("LZ77 data gives %d bytes, header says %d" % (len(out), out_len))
    return bytes(out)


def read_events(data):
    """Yields (seq, header_type, raw_ts, group_or_guid, id, version, psize, payload)."""
    off = 0
    seq = 0
    first = True
    while off + 0x48 <= len(data):
        bsize = u32(data, off)
        if bsize < 0x48 or off + bsize > len(data):
            raise ValueError("buffer size %d at %d" % (bsize, off))
        filled, saved = u32(data, off + 0x30), u32(data, off + 4)
        if u16(data, off + 0x34) & 0x40:  # compressed: events follow the header as LZ77 data
            buf = data[off:off + 0x48] + lz77_plain(data[off + 0x48:off + bsize], filled - 0x48)
        else:
            end = filled if 0x48 <= filled <= bsize else saved if 0x48 <= saved <= bsize else bsize
            buf = data[off:off + end]
        pos = 0x48
        while pos + 8 <= len(buf):
            marker = u32(buf, pos)
            if marker in (0, 0xFFFFFFFF):
                break
            ht = buf[pos + 2]
            psize = 4
            if ht in (1, 2, 3, 4, 16, 17):
                hsize = {1: 0x20, 2: 0x20, 3: 0x18, 4: 0x18, 16: 0x10, 17: 0x10}[ht]
                size = u16(buf, pos + 4)
                ts = u64(buf, pos + 16) if hsize >= 0x18 else u64(buf, pos + 8)
                key, eid, ver = buf[pos + 7], buf[pos + 6], u16(buf, pos)
                psize = 8 if ht in (2, 4, 17) else 4
            elif ht in (10, 20, 11, 21):
                hsize = 0x30 if ht in (10, 20) else 0x38
                size = u16(buf, pos)
                ts = u64(buf, pos + 16)
                key, eid, ver = bytes(buf[pos + 24:pos + 40]), buf[pos + 4], u16(buf, pos + 6)
                psize = 8 if ht in (20, 21) else 4
            elif ht in (18, 19):
                hsize = 0x50
                size = u16(buf, pos)
                ts = u64(buf, pos + 16)
                key, eid, ver = bytes(buf[pos + 24:pos + 40]), u16(buf, pos + 40), buf[pos + 42]
                psize = 8 if ht == 19 else 4
                payload_start = pos + hsize
                if u16(buf, pos + 4) & 1:  # extended data items first
                    while True:
                        item = u16(buf, payload_start)
                        more = u16(buf, payload_start + 4) & 1
                        payload_start += item
                        if not more:
                            break
                payload = bytes(buf[payload_start:pos + size])
                yield seq, ht, ts, key, eid, ver, psize, payload, first
                first = False
                seq += 1
                pos += (size + 7) & ~7
                continue
            elif ht in (12, 13, 14, 15):
                pos += (u16(buf, pos) + 7) & ~7
                continue
            else:
                raise ValueError("header type %d" % ht)
            yield seq, ht, ts, key, eid, ver, psize, bytes(buf[pos + hsize:pos + size]), first
            first = False
            seq += 1
            pos += (size + 7) & ~7
        off += bsize


class Clock:
    def __init__(self, payload, header_psize, raw0):
        self.events_lost = u32(payload, 48)
        tz_end = 56 + 2 * header_psize + 172
        boot = (tz_end + 7) & ~7
        self.freq = u64(payload, boot + 8)
        self.start_ns = (u64(payload, boot + 16) - FT_UNIX) * 100
        self.clock_type = u32(payload, boot + 24)
        self.buffers_lost = u32(payload, boot + 28)
        self.raw0 = raw0

    def ns(self, raw):
        if self.clock_type == 2:
            return (raw - FT_UNIX) * 100
        if raw >= self.raw0:
            return self.start_ns + (raw - self.raw0) * 10**9 // self.freq
        return self.start_ns - (self.raw0 - raw) * 10**9 // self.freq


def token_sid_len(p, o, psize):
    if u32(p, o) == 0:
        return 4
    return 2 * psize + 8 + 4 * p[o + 2 * psize + 1]


def classic_process(p, ver, psize):
    """Process_V3/V4 TypeGroup1, and V5 (V4 + ExitTime) for Defunct."""
    o = psize
    pid, ppid, _session, status = struct.unpack_from("<IIIi", p, o)
    o += 16 + psize  # DirectoryTableBase
    if ver >= 4:
        o += 4  # Flags
    o += token_sid_len(p, o, psize)
    comm, o = cstr(p, o)
    cmd, o = wstr(p, o)
    exit_ft = None
    if ver == 5:
        exit_ft = u64(p, len(p) - 8)
    return dict(pid=pid, ppid=ppid, status=status, comm=comm, cmd=cmd, exit_ft=exit_ft)


def kernel_process(p, eid, ver):
    """Microsoft-Windows-Kernel-Process ProcessStart v0-v2 / ProcessStop v0-v1 (the versions these files hold)."""
    if eid == 1:
        pid, _ct, ppid, _sess = struct.unpack_from("<IQII", p, 0)
        o = 20 + (4 if ver >= 1 else 0)
        exe, o = wstr(p, o)
        return dict(pid=pid, ppid=ppid, exe=exe, comm=exe.rsplit("\\", 1)[-1])
    pid, _ct, exit_ft, code = struct.unpack_from("<IQQi", p, 0)
    o = 4 + 8 + 8 + 4 + 4 + 4 + 8 + 8 + (28 if ver >= 1 else 0)
    comm, o = cstr(p, o)
    return dict(pid=pid, status=code, comm=comm, exit_ft=exit_ft)


def expect(path):
    if path.endswith(".xz"):
        data = lzma.open(path).read()
    else:
        with open(path, "rb") as f:
            data = f.read()
    clock = None
    events = []
    first_ns = last_ns = None
    for seq, ht, ts, key, eid, ver, psize, payload, first in read_events(data):
        if first:
            clock = Clock(payload, 8 if ht == 2 else 4, ts)
            continue
        ns = clock.ns(ts)
        first_ns = ns if first_ns is None else min(first_ns, ns)
        last_ns = ns if last_ns is None else max(last_ns, ns)
        if key == 3 and eid in (1, 2, 3, 4, 39) and ver >= 3:
            events.append((ns, seq, "classic", eid, classic_process(payload, ver, psize)))
        elif key == KPROC and eid in (1, 2):
            events.append((ns, seq, "kernel", eid, kernel_process(payload, eid, ver)))
        elif (key == KNET and eid in KNET_IDS) or (key == 6 and eid in TCP_IDS and ver == 2) or \
                (key == 8 and eid in UDP_IDS and ver == 2):
            events.append((ns, seq, "net", eid, dict(pid=u32(payload, 0))))
    events.sort(key=lambda e: (e[0], e[1]))

    rows = []
    live = {}  # pid -> row

    def new_row(pid, start):
        r = dict(pid=pid, ppid=None, start=start, exit=None, code=None, comm="", cmd="", exe="", began_by=set())
        rows.append(r)
        live[pid] = r
        return r

    for ns, _seq, prov, eid, f in events:
        pid = f["pid"]
        cur = live.get(pid)
        if prov == "net":  # traffic of a process not seen otherwise
            if pid and not cur:
                new_row(pid, None)
            continue
        begin = eid in (1, 3)
        if begin:
            if (eid == 1 and cur and cur["exit"] is None and cur["began_by"] and prov not in cur["began_by"]
                    and 0 <= ns - cur["start"] <= 10_000_000):
                r = cur
            else:
                r = new_row(pid, ns)
            if eid == 1:
                r["began_by"].add(prov)
            r["ppid"] = 0 if pid in (0, 4) else f["ppid"]
            for k in ("comm", "cmd", "exe"):
                if f.get(k):
                    r[k] = f[k]
            continue
        r = cur if cur else new_row(pid, None)
        for k in ("comm", "cmd", "exe"):
            if f.get(k) and not r[k]:
                r[k] = f[k]
        if r["ppid"] is None and f.get("ppid") is not None:
            r["ppid"] = 0 if pid in (0, 4) else f["ppid"]
        if eid in (2, 39):  # End / ProcessStop / Defunct
            r["exit"] = (f["exit_ft"] - FT_UNIX) * 100 if f.get("exit_ft") else ns
            r["code"] = f["status"]
    facts = dict(started=first_ns, ended=last_ns, events_lost=clock.events_lost,
                 buffers_lost=clock.buffers_lost, header_start=clock.start_ns, freq=clock.freq)
    return rows, facts


def fmt_rows(rows):
    def n(v):
        return "NULL" if v is None else str(v)
    out = []
    for r in rows:
        out.append("|".join([str(r["pid"]), n(r["ppid"]), n(r["start"]), n(r["exit"]), n(r["code"]),
                             r["comm"], r["exe"], r["cmd"]]))
    return sorted(out)


def fmt_facts(f):
    return ["started_ns=%d" % f["started"], "ended_ns=%d" % f["ended"], "header_start_ns=%d" % f["header_start"],
            "qpc_hz=%d" % f["freq"], "header_events_lost=%d" % f["events_lost"],
            "header_buffers_lost=%d" % f["buffers_lost"]]


def render(path):
    rows, facts = expect(path)
    return fmt_facts(facts) + ["processes=%d" % len(rows)] + fmt_rows(rows)


def check(analyze, path, golden, work):
    if not os.path.exists(path):
        print("SKIP: %s absent" % path)
        return 77
    want = render(path)
    with open(golden, encoding="utf-8") as f:
        committed = f.read().splitlines()
    if committed != want:
        print("expected rows differ from the committed golden file %s" % golden)
        for a, b in zip(committed, want):
            if a != b:
                print("  golden: %s\n  now:    %s" % (a, b))
                break
        return 1
    os.makedirs(work, exist_ok=True)
    db = os.path.join(work, "x.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    subprocess.run([analyze, "ingest", path, "-d", db, "--quiet"], check=True)
    con = sqlite3.connect(db)
    got_rows = []
    for pid, ppid, start, exit_, code, comm, exe, cmd in con.execute(
            "SELECT pid, ppid, start_ns, exit_ns, exit_code, comm, exe, cmdline FROM processes"):
        r = dict(pid=pid, ppid=ppid, start=start, exit=exit_, code=code, comm=comm or "", exe=exe or "",
                 cmd=cmd or "")
        got_rows.append(r)
    started, ended, lost, comment = con.execute(
        "SELECT started_ns, ended_ns, events_lost, comment FROM captures").fetchone()
    losses = dict(con.execute("SELECT source, sum(lost) FROM losses GROUP BY source").fetchall())
    con.close()
    _, facts = expect(path)
    fails = 0
    got = fmt_rows(got_rows)
    exp = want[7:]
    if got != exp:
        fails += 1
        print("processes table differs: %d rows, expected %d" % (len(got), len(exp)))
        for line in sorted(set(exp) - set(got))[:10]:
            print("  missing: " + line)
        for line in sorted(set(got) - set(exp))[:10]:
            print("  extra:   " + line)
    checks = [("started_ns", started, facts["started"]), ("ended_ns", ended, facts["ended"]),
              ("events_lost", lost, facts["events_lost"]),
              ("loss etl-header-events", losses.get("etl-header-events", 0), facts["events_lost"]),
              ("loss etl-header-buffers", losses.get("etl-header-buffers", 0), facts["buffers_lost"])]
    for name, a, b in checks:
        if a != b:
            fails += 1
            print("%s: %s, expected %s" % (name, a, b))
    if "ETW header start %d ns" % facts["header_start"] not in (comment or ""):
        fails += 1
        print("comment does not state the header start: %r" % comment)
    if fails:
        return 1
    print("ok: %s: %d processes, span %d..%d" % (os.path.basename(path), len(exp), started, ended))
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "expect":
        print("\n".join(render(argv[2])))
        return 0
    if len(argv) == 6 and argv[1] == "check":
        return check(argv[2], argv[3], argv[4], argv[5])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
