#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks a Zeek conn.log (ASCII writer format) by Zeek's column rules: the
header directives in order, #fields and #types of equal length, tab-separated
rows with exactly that many columns, "-" for unset and "(empty)" only in
string and set columns, each value valid for its type (time and interval
with 6 decimals, addr a real IPv4/IPv6 address, port 0..65535, count an
unsigned integer, bool T/F, enum a transport_proto). Connection rules of
procflow's export: uid C + 11 base62 characters, shared by at most the two
ends of one connection (their id tuples equal), ip_proto matching proto,
never an unspecified address as id.orig_h/id.resp_h.
usage: check_zeek.py CONN.log [MIN_ROWS [MIN_SHARED_UIDS]]"""
import ipaddress
import re
import sys

TIME_RE = re.compile(r"^-?\d+\.\d{6}$")
COUNT_RE = re.compile(r"^\d+$")
UID_RE = re.compile(r"^C[0-9A-Za-z]{11}$")
PROTOS = {"tcp": "6", "udp": "17", "icmp": ("1", "58"), "unknown_transport": None}
CONN_FIELDS = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service", "duration",
               "orig_bytes", "resp_bytes", "conn_state", "local_orig", "local_resp", "missed_bytes", "history",
               "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes", "tunnel_parents", "ip_proto"]
CONN_TYPES = ["time", "string", "addr", "port", "addr", "port", "enum", "string", "interval", "count", "count",
              "string", "bool", "bool", "count", "string", "count", "count", "count", "count", "set[string]",
              "count"]
STATES = {"S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH"}


def valid(typ, v):
    if typ in ("time", "interval"):
        return bool(TIME_RE.match(v)) and (typ == "time" or not v.startswith("-"))
    if typ == "count":
        return bool(COUNT_RE.match(v)) and int(v) < 2 ** 64
    if typ == "port":
        return bool(COUNT_RE.match(v)) and int(v) <= 65535
    if typ == "bool":
        return v in ("T", "F")
    if typ == "addr":
        try:
            ipaddress.ip_address(v)
            return True
        except ValueError:
            return False
    if typ == "enum":
        return v in PROTOS
    if typ in ("string", "set[string]"):
        return "\t" not in v and "\n" not in v and v != ""
    return False


def main():
    path = sys.argv[1]
    min_rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    min_shared = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    problems = []
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        print("FAIL: %s: not UTF-8 at byte %d" % (path, e.start))
        return 1
    lines = text.split("\n")
    if lines[-1] != "":
        problems.append("last line not terminated")
    lines = lines[:-1]
    want_head = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", "#path\tconn"]
    if lines[:5] != want_head:
        problems.append("header directives differ from Zeek's: %r" % lines[:5])
    if len(lines) < 8 or not lines[5].startswith("#open\t") or not lines[6].startswith("#fields\t") \
            or not lines[7].startswith("#types\t"):
        problems.append("#open, #fields, #types missing or out of order")
        print("\n".join("FAIL: %s: %s" % (path, p) for p in problems))
        return 1
    stamp = re.compile(r"^\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$")
    if not stamp.match(lines[5].split("\t", 1)[1]):
        problems.append("#open time %r" % lines[5])
    fields = lines[6].split("\t")[1:]
    types = lines[7].split("\t")[1:]
    if len(fields) != len(types):
        problems.append("%d fields but %d types" % (len(fields), len(types)))
    if fields[:len(CONN_FIELDS)] != CONN_FIELDS or types[:len(CONN_TYPES)] != CONN_TYPES:
        problems.append("conn.log columns or types differ from Zeek's")
    if len(set(fields)) != len(fields):
        problems.append("duplicate field names")
    if not lines[-1].startswith("#close\t") or not stamp.match(lines[-1].split("\t", 1)[1]):
        problems.append("no #close line at the end")
    col = {n: i for i, n in enumerate(fields)}
    rows = []
    for ln, line in enumerate(lines[8:-1], start=9):
        if line.startswith("#"):
            problems.append("line %d: directive inside the data" % ln)
            continue
        vals = line.split("\t")
        if len(vals) != len(fields):
            problems.append("line %d: %d columns, header has %d" % (ln, len(vals), len(fields)))
            continue
        for name, typ, v in zip(fields, types, vals):
            if v == "-":
                continue
            if v == "(empty)":
                if typ not in ("string", "set[string]"):
                    problems.append("line %d: (empty) in %s column %s" % (ln, typ, name))
                continue
            if not valid(typ, v):
                problems.append("line %d: %s=%r is not a valid %s" % (ln, name, v, typ))
        r = dict(zip(fields, vals))
        r["_line"] = ln
        rows.append(r)
    uids = {}
    for r in rows:
        ln = r["_line"]
        if not UID_RE.match(r["uid"]):
            problems.append("line %d: uid %r" % (ln, r["uid"]))
        for h in ("id.orig_h", "id.resp_h"):
            if r[h] != "-" and r[h] not in ("(empty)",) and valid("addr", r[h]) and \
                    ipaddress.ip_address(r[h]).is_unspecified:
                problems.append("line %d: unspecified address as %s" % (ln, h))
        want = PROTOS.get(r["proto"])
        ipp = r.get("ip_proto", "-")
        if want is None and ipp != "-" or want is not None and ipp not in (want if isinstance(want, tuple)
                                                                             else (want,)):
            problems.append("line %d: ip_proto %s does not match proto %s" % (ln, ipp, r["proto"]))
        if r["conn_state"] not in STATES and r["conn_state"] != "-":
            problems.append("line %d: conn_state %r" % (ln, r["conn_state"]))
        if r["local_orig"] == "-" or r["local_resp"] == "-":
            problems.append("line %d: local_orig/local_resp unset" % ln)
        uids.setdefault(r["uid"], []).append(r)
    shared = 0
    for uid, rs in uids.items():
        if len(rs) > 2:
            problems.append("uid %s on %d rows (lines %s)" % (uid, len(rs), [r["_line"] for r in rs]))
        elif len(rs) == 2:
            shared += 1
            a, b = rs
            for k in ("id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto"):
                if a[k] != b[k]:
                    problems.append("uid %s: the two ends differ in %s" % (uid, k))
            if a["local_orig"] != "T" or a["local_resp"] != "T" or b["local_orig"] != "T" or b["local_resp"] != "T":
                problems.append("uid %s: both ends are on this host but not both local" % uid)
    if len(rows) < min_rows:
        problems.append("%d rows, expected at least %d" % (len(rows), min_rows))
    if shared < min_shared:
        problems.append("%d uids shared by both ends of a connection, expected at least %d" % (shared, min_shared))
    for p in problems[:50]:
        print("FAIL: %s: %s" % (path, p))
    if not problems:
        print("%s: %d rows (%d same-host connections), valid Zeek conn.log" % (path, len(rows), shared))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
