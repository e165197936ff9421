#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Independent reference for the golden pseudonyms of test_redact.c.

Recomputes, with Python's own HMAC-SHA-256 and a SipHash-2-4 written here
from the paper, what redact/src/redact.c derives for the fixed test key
00 01 .. 1f, and checks it against the values test_redact.c expects. If the
C code or this file changes the derivation, one of the two tests fails.
"""
import hashlib
import hmac
import ipaddress
import sys

KEY = bytes(range(32))
M64 = (1 << 64) - 1


def mac(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest()


def subkey(label):
    return mac(KEY, b"procflow-redact-v1/" + label.encode())


def rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & M64


def siphash24(key, msg):
    k0 = int.from_bytes(key[:8], "little")
    k1 = int.from_bytes(key[8:16], "little")
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]

    def sipround():
        v[0] = (v[0] + v[1]) & M64
        v[1] = rotl(v[1], 13) ^ v[0]
        v[0] = rotl(v[0], 32)
        v[2] = (v[2] + v[3]) & M64
        v[3] = rotl(v[3], 16) ^ v[2]
        v[0] = (v[0] + v[3]) & M64
        v[3] = rotl(v[3], 21) ^ v[0]
        v[2] = (v[2] + v[1]) & M64
        v[1] = rotl(v[1], 17) ^ v[2]
        v[2] = rotl(v[2], 32)

    full = len(msg) - len(msg) % 8
    words = [int.from_bytes(msg[i:i + 8], "little") for i in range(0, full, 8)]
    words.append(int.from_bytes(msg[full:], "little") | ((len(msg) & 0xFF) << 56))
    for w in words:
        v[3] ^= w
        sipround()
        sipround()
        v[0] ^= w
    v[2] ^= 0xFF
    for _ in range(4):
        sipround()
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def pseudo(label, text):
    return mac(subkey(label), text.encode())[:6].hex()


def feistel(fam, plen, prefix16, bits, x):
    sk = subkey("addr")[:16]
    wr = bits // 2
    wl = bits - wr
    right = x & ((1 << wr) - 1)
    left = x >> wr
    for i in range(10):
        msg = bytes([fam, plen]) + prefix16 + bytes([i, wr]) + right.to_bytes(8, "little")
        f = siphash24(sk, msg) & ((1 << wl) - 1)
        left, right = right, left ^ f
        wl, wr = wr, wl
    return (left << wr) | right


def map_addr(addr, net):
    n = ipaddress.ip_network(net)
    fam = 4 if n.version == 4 else 6
    bits = (32 if fam == 4 else 128) - n.prefixlen
    prefix16 = n.network_address.packed.ljust(16, b"\0")
    v = int(ipaddress.ip_address(addr))
    host = v & ((1 << bits) - 1)
    while True:  # cycle walking around the unspecified address
        host = feistel(fam, n.prefixlen, prefix16, bits, host)
        y = (v & ~((1 << bits) - 1)) | host
        if y:
            return str(ipaddress.ip_address(y))


def map_uid(uid):
    sk = subkey("uid")[:16]
    x = uid
    while True:
        left, right = x >> 16, x & 0xFFFF
        for i in range(10):
            f = siphash24(sk, bytes([i, right & 0xFF, right >> 8])) & 0xFFFF
            left, right = right, left ^ f
        x = (left << 16) | right
        if 1000 <= x < 0xFFFFFFFF:
            return x


def main():
    assert siphash24(bytes(range(16)), bytes(range(15))) == 0xA129CA6149BE45E5  # the paper's example
    expect = {
        "key id": (mac(KEY, b"procflow-redact-v1/key-id")[:6].hex(), "380de52a018f"),
        "user alice": ("user-" + pseudo("user", "alice"), "user-bc3e58265f71"),
        "host web01": ("host-" + pseudo("host", "web01"), "host-c1c633eb5df9"),
        "cmdline curl": (pseudo("cmdline", "curl -u alice:hunter2 https://10.1.2.3/"), "6d37030372b9"),
        "cmdline x y": (pseudo("cmdline", "x y"), "db2b9c86b843"),
        "10.1.2.3 in 10/8": (map_addr("10.1.2.3", "10.0.0.0/8"), "10.24.220.255"),
        "192.168.1.20 in 192.168/16": (map_addr("192.168.1.20", "192.168.0.0/16"), "192.168.253.50"),
        "fd00::1 in fd00::/8": (map_addr("fd00::1", "fd00::/8"), "fddb:c57d:c176:a8d1:74c1:c10f:dfa9:191"),
        "fd00::1 in fc00::/7": (map_addr("fd00::1", "fc00::/7"), "fc2f:be11:b860:e761:3bac:7b8d:7495:15af"),
        "uid 1000": (map_uid(1000), 2181237551),
    }
    bad = 0
    for name, (got, want) in expect.items():
        ok = got == want
        bad += not ok
        print(("ok   " if ok else "FAIL ") + f"{name}: {got}" + ("" if ok else f" (test_redact.c expects {want})"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
