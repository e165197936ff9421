/* SHA-256 as specified in FIPS 180-4 section 6.2, HMAC as in RFC 2104,
 * SipHash-2-4 as in "SipHash: a fast short-input PRF" (2012), section 2. */
#include "keyhash.h"

#include <string.h>

/* First 32 bits of the fractional parts of the cube roots of the first 64
 * primes (FIPS 180-4 section 4.2.2). */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void compress(uint32_t h[8], const uint8_t block[PF_SHA256_BLOCK])
{
    uint32_t w[64];
    for (int t = 0; t < 16; t++)
        w[t] = load_be32(block + 4 * t);
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int t = 0; t < 64; t++) {
        uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = k + S1 + ch + K[t] + w[t];
        uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = S0 + maj;
        k = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += k;
}

void pf_sha256_init(struct pf_sha256 *c)
{
    /* First 32 bits of the fractional parts of the square roots of the
     * first 8 primes (section 5.3.3). */
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, h0, sizeof h0);
    c->total = 0;
    c->n = 0;
}

void pf_sha256_update(struct pf_sha256 *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    c->total += len;
    if (c->n) {
        size_t take = PF_SHA256_BLOCK - c->n;
        if (take > len)
            take = len;
        memcpy(c->buf + c->n, p, take);
        c->n += take;
        p += take;
        len -= take;
        if (c->n < PF_SHA256_BLOCK)
            return;
        compress(c->h, c->buf);
        c->n = 0;
    }
    for (; len >= PF_SHA256_BLOCK; p += PF_SHA256_BLOCK, len -= PF_SHA256_BLOCK)
        compress(c->h, p);
    if (len) {
        memcpy(c->buf, p, len);
        c->n = len;
    }
}

void pf_sha256_final(struct pf_sha256 *c, uint8_t out[PF_SHA256_LEN])
{
    /* Padding (section 5.1.1): 0x80, zeros, the length in bits as a
     * big-endian 64-bit number, to a multiple of 64 bytes. */
    uint64_t bits = c->total * 8;
    uint8_t pad[PF_SHA256_BLOCK * 2];
    size_t padlen = (c->n < 56 ? 56 : 120) - c->n;
    memset(pad, 0, sizeof pad);
    pad[0] = 0x80;
    for (int i = 0; i < 8; i++)
        pad[padlen + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
    pf_sha256_update(c, pad, padlen + 8);
    for (int i = 0; i < 8; i++)
        store_be32(out + 4 * i, c->h[i]);
    pf_wipe(c, sizeof *c);
}

void pf_sha256(const void *data, size_t len, uint8_t out[PF_SHA256_LEN])
{
    struct pf_sha256 c;
    pf_sha256_init(&c);
    pf_sha256_update(&c, data, len);
    pf_sha256_final(&c, out);
}

void pf_hmac_sha256_init(struct pf_hmac_key *k, const void *key, size_t len)
{
    uint8_t k0[PF_SHA256_BLOCK], pad[PF_SHA256_BLOCK];
    memset(k0, 0, sizeof k0);
    if (len > PF_SHA256_BLOCK)
        pf_sha256(key, len, k0); /* long keys are hashed first */
    else if (len)
        memcpy(k0, key, len);
    for (int i = 0; i < PF_SHA256_BLOCK; i++)
        pad[i] = (uint8_t)(k0[i] ^ 0x36);
    pf_sha256_init(&k->inner);
    pf_sha256_update(&k->inner, pad, sizeof pad);
    for (int i = 0; i < PF_SHA256_BLOCK; i++)
        pad[i] = (uint8_t)(k0[i] ^ 0x5c);
    pf_sha256_init(&k->outer);
    pf_sha256_update(&k->outer, pad, sizeof pad);
    pf_wipe(k0, sizeof k0);
    pf_wipe(pad, sizeof pad);
}

void pf_hmac_sha256_begin(const struct pf_hmac_key *k, struct pf_sha256 *c)
{
    *c = k->inner;
}

void pf_hmac_sha256_end(const struct pf_hmac_key *k, struct pf_sha256 *c, uint8_t out[PF_SHA256_LEN])
{
    uint8_t inner[PF_SHA256_LEN];
    pf_sha256_final(c, inner);
    struct pf_sha256 o = k->outer;
    pf_sha256_update(&o, inner, sizeof inner);
    pf_sha256_final(&o, out);
    pf_wipe(inner, sizeof inner);
}

void pf_hmac_sha256(const struct pf_hmac_key *k, const void *msg, size_t len, uint8_t out[PF_SHA256_LEN])
{
    struct pf_sha256 c;
    pf_hmac_sha256_begin(k, &c);
    pf_sha256_update(&c, msg, len);
    pf_hmac_sha256_end(k, &c, out);
}

static uint64_t rotl64(uint64_t x, unsigned n)
{
    return (x << n) | (x >> (64 - n));
}

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

#define SIPROUND                                                                                                \
    do {                                                                                                        \
        v0 += v1;                                                                                               \
        v1 = rotl64(v1, 13);                                                                                    \
        v1 ^= v0;                                                                                               \
        v0 = rotl64(v0, 32);                                                                                    \
        v2 += v3;                                                                                               \
        v3 = rotl64(v3, 16);                                                                                    \
        v3 ^= v2;                                                                                               \
        v0 += v3;                                                                                               \
        v3 = rotl64(v3, 21);                                                                                    \
        v3 ^= v0;                                                                                               \
        v2 += v1;                                                                                               \
        v1 = rotl64(v1, 17);                                                                                    \
        v1 ^= v2;                                                                                               \
        v2 = rotl64(v2, 32);                                                                                    \
    } while (0)

uint64_t pf_siphash24(const uint8_t key[16], const void *msg, size_t len)
{
    const uint8_t *p = msg;
    uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
    /* "somepseudorandomlygeneratedbytes" */
    uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
    size_t left = len;
    for (; left >= 8; p += 8, left -= 8) {
        uint64_t m = load_le64(p);
        v3 ^= m;
        SIPROUND; /* c = 2 compression rounds */
        SIPROUND;
        v0 ^= m;
    }
    /* last word: the remaining bytes, and len mod 256 in the top byte */
    uint64_t b = (uint64_t)(len & 0xff) << 56;
    for (size_t i = 0; i < left; i++)
        b |= (uint64_t)p[i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND; /* d = 4 finalization rounds */
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

void pf_wipe(void *p, size_t n)
{
    /* Stores through a volatile pointer are never elided. */
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
}
