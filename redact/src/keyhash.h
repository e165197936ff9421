/* SPDX-License-Identifier: MIT */
/* The keyed hashes of the redaction library, as thin wrappers over
 * libsodium: SHA-256 and HMAC-SHA-256 (RFC 2104) for pseudonyms of strings
 * and for key derivation; SipHash-2-4 as the fast round function of the
 * address and uid permutations; OS randomness and wiping. The wrappers keep
 * one narrow seam so the rest of the library names no crypto API, and the
 * tests check the published vectors through it.
 * Internal to libpfredact. pf_crypto_init() must succeed before any other
 * call (pf_redact_create does it); after that nothing here fails. */
#ifndef PF_KEYHASH_H
#define PF_KEYHASH_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define PF_SHA256_LEN 32

/* 0, or -1 when the crypto library cannot start (no OS randomness). */
int pf_crypto_init(void);

struct pf_sha256 {
    crypto_hash_sha256_state st;
};

void pf_sha256_init(struct pf_sha256 *c);
void pf_sha256_update(struct pf_sha256 *c, const void *data, size_t len);
void pf_sha256_final(struct pf_sha256 *c, uint8_t out[PF_SHA256_LEN]);
void pf_sha256(const void *data, size_t len, uint8_t out[PF_SHA256_LEN]);

/* An HMAC key: the state after the padded key blocks, so each message
 * costs only its own blocks plus one outer block. Keys of any length. */
struct pf_hmac_key {
    crypto_auth_hmacsha256_state st;
};

void pf_hmac_sha256_init(struct pf_hmac_key *k, const void *key, size_t len);
void pf_hmac_sha256(const struct pf_hmac_key *k, const void *msg, size_t len, uint8_t out[PF_SHA256_LEN]);

/* SipHash-2-4 of msg under a 128-bit key (bytes 0..7 and 8..15 are the two
 * little-endian key words), as the 64-bit number the paper defines. */
uint64_t pf_siphash24(const uint8_t key[16], const void *msg, size_t len);

/* Fills buf from the OS's cryptographic random source. */
void pf_random_bytes(void *buf, size_t n);

/* Overwrites memory holding key material (not removed by the optimiser). */
void pf_wipe(void *p, size_t n);

#endif
