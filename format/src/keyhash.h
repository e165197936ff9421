/* Keyed hashes of the redaction module, written from their specifications:
 * SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104) for pseudonyms of
 * strings and for key derivation; SipHash-2-4 (Aumasson and Bernstein,
 * 2012) as the fast round function of the address and uid permutations.
 * Internal to libpfformat; tests include it for the published test vectors.
 * No allocation, no failure modes. */
#ifndef PF_KEYHASH_H
#define PF_KEYHASH_H

#include <stddef.h>
#include <stdint.h>

#define PF_SHA256_LEN 32
#define PF_SHA256_BLOCK 64

struct pf_sha256 {
    uint32_t h[8];
    uint64_t total;          /* bytes absorbed */
    uint8_t buf[PF_SHA256_BLOCK];
    size_t n;                /* bytes waiting in buf */
};

void pf_sha256_init(struct pf_sha256 *c);
void pf_sha256_update(struct pf_sha256 *c, const void *data, size_t len);
void pf_sha256_final(struct pf_sha256 *c, uint8_t out[PF_SHA256_LEN]);
void pf_sha256(const void *data, size_t len, uint8_t out[PF_SHA256_LEN]);

/* An HMAC key: the hash states after the inner and outer padded key blocks,
 * so each message costs only its own blocks plus one outer block. */
struct pf_hmac_key {
    struct pf_sha256 inner, outer;
};

void pf_hmac_sha256_init(struct pf_hmac_key *k, const void *key, size_t len);
/* Start a message: *c continues from the inner state. */
void pf_hmac_sha256_begin(const struct pf_hmac_key *k, struct pf_sha256 *c);
/* Finish a message started with _begin. */
void pf_hmac_sha256_end(const struct pf_hmac_key *k, struct pf_sha256 *c, uint8_t out[PF_SHA256_LEN]);
/* One-shot. */
void pf_hmac_sha256(const struct pf_hmac_key *k, const void *msg, size_t len, uint8_t out[PF_SHA256_LEN]);

/* SipHash-2-4 of msg under a 128-bit key (bytes 0..7 and 8..15 are the two
 * little-endian key words), as the 64-bit number the paper defines. */
uint64_t pf_siphash24(const uint8_t key[16], const void *msg, size_t len);

/* Overwrites memory holding key material (not removed by the optimiser). */
void pf_wipe(void *p, size_t n);

#endif
