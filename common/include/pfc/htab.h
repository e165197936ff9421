/* SPDX-License-Identifier: MIT */
/* The hash table: chained, with fixed-size keys and values stored inline in
 * one allocation per entry, so a value's address stays the same until that
 * entry is deleted (callers keep pointers to values). Not thread-safe.
 *
 * Two layouts:
 *  - key and value (pfc_htab_init): the value follows the key at an
 *    8-aligned offset; lookups return the value.
 *  - records (pfc_htab_opts.key_in_value): the value is a struct whose
 *    first key_size bytes are the key; lookups return the struct. Change
 *    such a key only with pfc_htab_rekey.
 * Values start zeroed. Deleted entries are kept for reuse (up to one per
 * bucket), so a table that fills and drains keeps allocating nothing.
 *
 * Ownership: the table owns its entries; pointers to values are valid until
 * the entry is deleted, the table cleared or freed. Inserting during an
 * iteration is not allowed (the table may grow); deleting the entry the
 * iterator stands on is (pfc_htab_iter_del). */
#ifndef PFC_HTAB_H
#define PFC_HTAB_H

#include <stddef.h>
#include <stdint.h>

#include "pfc/error.h"

struct pfc_hent {
    struct pfc_hent *next;
    uint64_t hash;
    _Alignas(8) unsigned char data[]; /* key, then value (or the record) */
};

typedef uint64_t (*pfc_hash_fn)(const void *key);

struct pfc_htab_opts {
    size_t key_size;
    size_t value_size; /* with key_in_value: the record's size (>= key_size) */
    size_t max;        /* entry cap; 0 = none */
    size_t buckets;    /* initial bucket count (rounded up to a power of 2); 0 = 64 */
    pfc_hash_fn hash;  /* NULL = pfc_hash_bytes over key_size bytes */
    int key_in_value;
};

struct pfc_htab {
    struct pfc_hent **b;
    size_t nb, n, max;
    size_t ksz, voff, dsz;
    pfc_hash_fn hash;
    struct pfc_hent *spare; /* deleted entries kept for reuse */
    size_t nspare;
};

/* Key then value; max = entry cap (0 = none). 0 or PFC_E_NOMEM. */
int pfc_htab_init(struct pfc_htab *h, size_t key_size, size_t value_size, size_t max);
/* Any layout. 0, PFC_E_ARG or PFC_E_NOMEM. */
int pfc_htab_init_opts(struct pfc_htab *h, const struct pfc_htab_opts *o);
/* Frees every entry and the buckets; NULL-safe, and safe on a zeroed or
 * already freed table. */
void pfc_htab_free(struct pfc_htab *h);
/* Deletes every entry; keeps the buckets. */
void pfc_htab_clear(struct pfc_htab *h);

/* The default hash: 8 bytes at a time, then a final mix. */
uint64_t pfc_hash_bytes(const void *p, size_t n);
/* A 64-bit finaliser (for hash functions of small numeric keys). */
static inline uint64_t pfc_hash_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static inline size_t pfc_htab_count(const struct pfc_htab *h) { return h->n; }

/* Value for key, or NULL. */
void *pfc_htab_get(const struct pfc_htab *h, const void *key);
/* Value for key, inserted zeroed (key filled in) when missing; *created
 * says which (may be NULL). NULL when the cap is reached or memory ran
 * out. */
void *pfc_htab_put(struct pfc_htab *h, const void *key, int *created);
/* Inserts a new entry without looking for an equal key first (the caller
 * knows it is new). NULL when full or out of memory. */
void *pfc_htab_insert(struct pfc_htab *h, const void *key);
/* 1 if an entry with that key was deleted, else 0. */
int pfc_htab_del(struct pfc_htab *h, const void *key);
/* Deletes the entry holding value `val` (from get/put/next). */
void pfc_htab_del_value(struct pfc_htab *h, void *val);
/* Moves the entry holding `val` to a new key (value kept in place). The
 * caller makes sure no other entry has that key. */
void pfc_htab_rekey(struct pfc_htab *h, void *val, const void *new_key);
/* The key of the entry holding `val`. */
const void *pfc_htab_key(const struct pfc_htab *h, const void *val);

/* Iteration in bucket order:
 *     struct pfc_htab_iter it = PFC_HTAB_ITER_INIT;
 *     for (struct v *v; (v = pfc_htab_next(h, &it));)
 *         if (done(v)) pfc_htab_iter_del(h, &it);
 */
struct pfc_htab_iter {
    size_t bucket;
    struct pfc_hent **link; /* the link that points at cur */
    struct pfc_hent *cur;   /* NULL before the start or after a delete */
};
#define PFC_HTAB_ITER_INIT \
    { \
        0, NULL, NULL \
    }
void *pfc_htab_next(struct pfc_htab *h, struct pfc_htab_iter *it);
/* Deletes the entry the last pfc_htab_next returned; the next call
 * continues with the entry after it. */
void pfc_htab_iter_del(struct pfc_htab *h, struct pfc_htab_iter *it);
/* Calls fn for each entry; fn returning 1 deletes that entry. */
void pfc_htab_scan(struct pfc_htab *h, int (*fn)(void *ctx, const void *key, void *val), void *ctx);

#endif
