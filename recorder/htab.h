/* SPDX-License-Identifier: MIT */
/* A small chained hash table with fixed-size keys and values stored inline
 * (the recorder's shadow totals, owners, caches). Not thread-safe. */
#ifndef PF_HTAB_H
#define PF_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct pf_htab_ent {
    struct pf_htab_ent *next;
    uint64_t hash;
    _Alignas(8) unsigned char data[]; /* key, then value at an 8-aligned offset */
};

struct pf_htab {
    struct pf_htab_ent **b;
    size_t nb, n, max;
    size_t ksz, vsz, voff;
};

/* max = entry cap (0 = unlimited). Returns 0 or -ENOMEM. */
int pf_htab_init(struct pf_htab *h, size_t ksz, size_t vsz, size_t max);
void pf_htab_free(struct pf_htab *h); /* NULL-safe */
/* Value for key, or NULL. */
void *pf_htab_get(const struct pf_htab *h, const void *key);
/* Value for key, inserted zeroed when missing (*created = 1). NULL when the
 * table is full or memory ran out. */
void *pf_htab_put(struct pf_htab *h, const void *key, int *created);
int pf_htab_del(struct pf_htab *h, const void *key); /* 1 if removed */
/* Calls fn for each entry; fn returning 1 deletes that entry. */
void pf_htab_scan(struct pf_htab *h, int (*fn)(void *ctx, const void *key, void *val), void *ctx);
void pf_htab_clear(struct pf_htab *h);

#endif
