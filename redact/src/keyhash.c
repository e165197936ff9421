/* SPDX-License-Identifier: MIT */
/* libsodium behind the narrow seam of keyhash.h. */
#include "keyhash.h"

int pf_crypto_init(void)
{
    /* 0: started now, 1: already started; both are fine. */
    return sodium_init() < 0 ? -1 : 0;
}

void pf_sha256_init(struct pf_sha256 *c) { crypto_hash_sha256_init(&c->st); }

void pf_sha256_update(struct pf_sha256 *c, const void *data, size_t len)
{
    crypto_hash_sha256_update(&c->st, data, len);
}

void pf_sha256_final(struct pf_sha256 *c, uint8_t out[PF_SHA256_LEN])
{
    crypto_hash_sha256_final(&c->st, out);
    sodium_memzero(c, sizeof *c);
}

void pf_sha256(const void *data, size_t len, uint8_t out[PF_SHA256_LEN]) { crypto_hash_sha256(out, data, len); }

void pf_hmac_sha256_init(struct pf_hmac_key *k, const void *key, size_t len)
{
    crypto_auth_hmacsha256_init(&k->st, key, len);
}

void pf_hmac_sha256(const struct pf_hmac_key *k, const void *msg, size_t len, uint8_t out[PF_SHA256_LEN])
{
    /* Each message continues from a copy of the keyed state. */
    crypto_auth_hmacsha256_state st = k->st;
    crypto_auth_hmacsha256_update(&st, msg, len);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
}

uint64_t pf_siphash24(const uint8_t key[16], const void *msg, size_t len)
{
    uint8_t h[crypto_shorthash_siphash24_BYTES];
    crypto_shorthash_siphash24(h, msg, len, key);
    /* libsodium writes the 64-bit result little-endian. */
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | h[i];
    return v;
}

void pf_random_bytes(void *buf, size_t n) { randombytes_buf(buf, n); }

void pf_wipe(void *p, size_t n) { sodium_memzero(p, n); }
