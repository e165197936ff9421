#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of fuzz_dns (tests/fuzz/corpus/dns/): DNS responses
built by hand -- answers of each kind, a CNAME chain, compression, and the
hostile cases (truncation, pointer loops, forward pointers, oversized names,
reserved label types), plain and as a DNS-over-TCP stream."""
import os
import struct
import sys


def name(n):
    out = b""
    for label in n.split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def header(qd=1, an=0, flags=0x8180, ident=0x1234):
    return struct.pack(">HHHHHH", ident, flags, qd, an, 0, 0)


def rr(owner, rtype, rdata, ttl=300):
    return owner + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


def question(n, qtype=1):
    return name(n) + struct.pack(">HH", qtype, 1)


PTR_Q = b"\xc0\x0c"  # the question name
seeds = {}
seeds["a"] = header(an=2) + question("www.example.test") + rr(PTR_Q, 1, bytes([192, 0, 2, 10])) + \
    rr(PTR_Q, 1, bytes([192, 0, 2, 11]), 60)
seeds["aaaa"] = header(an=1) + question("v6.example.test", 28) + \
    rr(PTR_Q, 28, bytes.fromhex("20010db8000000000000000000000053"))
cname_target = name("cdn.example.test")
msg = header(an=2) + question("alias.example.test")
msg += rr(PTR_Q, 5, cname_target)
target_off = len(msg) - len(cname_target)
msg += rr(struct.pack(">H", 0xc000 | target_off), 1, bytes([198, 51, 100, 7]))
seeds["cname"] = msg
seeds["nxdomain"] = header(flags=0x8183) + question("nope.example.test")
seeds["tc"] = header(flags=0x8380) + question("big.example.test")
seeds["query"] = header(flags=0x0100) + question("www.example.test")
seeds["cut-answer"] = seeds["a"][:-3]
seeds["cut-header"] = seeds["a"][:7]
seeds["loop-self"] = header(an=1) + question("loop.example.test") + rr(b"\xc0\x25", 1, b"\x01\x02\x03\x04")
loop = header(an=0)[:12]
seeds["loop-question"] = loop + b"\xc0\x0c" + struct.pack(">HH", 1, 1)
seeds["forward-pointer"] = header() + b"\xc0\x20" + struct.pack(">HH", 1, 1) + b"\0" * 20
seeds["long-name"] = header() + b"".join(bytes([63]) + b"a" * 63 for _ in range(5)) + b"\0" + struct.pack(">HH", 1, 1)
seeds["label-0x40"] = header() + b"\x41abc\0" + struct.pack(">HH", 1, 1)
seeds["odd-bytes"] = header(an=1) + b"\x05A.B\xff\x00\x04TEST\0" + struct.pack(">HH", 1, 1) + \
    rr(PTR_Q, 1, bytes([203, 0, 113, 5]))
many = header(an=70) + question("many.example.test")
for i in range(70):
    many += rr(PTR_Q, 1, bytes([203, 0, 113, i]))
seeds["many-answers"] = many
seeds["tcp-two"] = b"".join(struct.pack(">H", len(m)) + m for m in (seeds["a"], seeds["cname"]))
seeds["tcp-oversize"] = struct.pack(">H", 20000) + b"\0" * 20000 + struct.pack(">H", len(seeds["a"])) + seeds["a"]

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "dns")
os.makedirs(out, exist_ok=True)
for k, v in seeds.items():
    with open(os.path.join(out, k), "wb") as f:
        f.write(v)
