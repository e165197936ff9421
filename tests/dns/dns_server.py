#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A small authoritative DNS server for the test: names under example.test,
documentation addresses only, over UDP and TCP on ADDR:53, plus a TCP
service on port 8080 that clients connect to after resolving.
Usage: dns_server.py ADDR READY_FILE STOP_FILE"""
import os
import select
import socket
import struct
import sys
import time

A, CNAME, AAAA = 1, 5, 28
ZONE = {
    ("www.example.test", A): [("A", "192.0.2.80", 300)],
    ("www.example.test", AAAA): [("AAAA", "2001:db8::80", 600)],
    ("alias.example.test", A): [("CNAME", "www.example.test", 120), ("A", "192.0.2.80", 300)],
    ("alias.example.test", AAAA): [("CNAME", "www.example.test", 120)],
    ("tcp.example.test", A): [("A", "198.51.100.80", 60)],
    ("tcp.example.test", AAAA): [],
}


def wire_name(n):
    return b"".join(bytes([len(p)]) + p.encode() for p in n.split(".")) + b"\0"


def read_qname(msg):
    labels, i = [], 12
    while msg[i]:
        labels.append(msg[i + 1:i + 1 + msg[i]].decode().lower())
        i += 1 + msg[i]
    return ".".join(labels), i + 1


def answer(msg):
    ident, flags = struct.unpack(">HH", msg[:4])
    qname, end = read_qname(msg)
    qtype = struct.unpack(">H", msg[end:end + 2])[0]
    question = msg[12:end + 4]
    known = any(n == qname for n, _ in ZONE)
    rrs = ZONE.get((qname, qtype), [])
    rcode = 0 if known else 3
    out = struct.pack(">HHHHHH", ident, 0x8400 | (flags & 0x0100) | rcode, 1, len(rrs), 0, 0) + question
    for kind, value, ttl in rrs:
        owner = b"\xc0\x0c" if kind == "CNAME" or not any(k == "CNAME" for k, _, _ in rrs) else wire_name(
            next(v for k, v, _ in rrs if k == "CNAME"))
        if kind == "A":
            rtype, rdata = A, socket.inet_pton(socket.AF_INET, value)
        elif kind == "AAAA":
            rtype, rdata = AAAA, socket.inet_pton(socket.AF_INET6, value)
        else:
            rtype, rdata = CNAME, wire_name(value)
        out += owner + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata
    return out


def main():
    addr, ready, stop = sys.argv[1], sys.argv[2], sys.argv[3]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((addr, 53))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((addr, 53))
    tcp.listen(8)
    svc = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    svc.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    svc.bind(("0.0.0.0", 8080))
    svc.listen(8)
    open(ready, "w").close()
    deadline = time.time() + 60
    while not os.path.exists(stop) and time.time() < deadline:
        r, _, _ = select.select([udp, tcp, svc], [], [], 0.1)
        if udp in r:
            msg, peer = udp.recvfrom(4096)
            udp.sendto(answer(msg), peer)
        if tcp in r:
            c, _ = tcp.accept()
            c.settimeout(5)
            try:
                while True:
                    hdr = c.recv(2)
                    if len(hdr) < 2:
                        break
                    n = struct.unpack(">H", hdr)[0]
                    msg = b""
                    while len(msg) < n:
                        part = c.recv(n - len(msg))
                        if not part:
                            break
                        msg += part
                    reply = answer(msg)
                    c.sendall(struct.pack(">H", len(reply)) + reply)
            except OSError:
                pass
            c.close()
        if svc in r:
            c, _ = svc.accept()
            c.settimeout(5)
            try:
                c.recv(16)
                c.sendall(b"ok")
            except OSError:
                pass
            c.close()


main()
