/* SPDX-License-Identifier: MIT */
#include "htab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash_bytes(const void *p, size_t n)
{
    /* FNV-1a then a final mix: keys are small and mostly numeric. */
    const unsigned char *c = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 1099511628211ull;
    h ^= h >> 31;
    h *= 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

int pf_htab_init(struct pf_htab *h, size_t ksz, size_t vsz, size_t max)
{
    memset(h, 0, sizeof *h);
    h->ksz = ksz;
    h->vsz = vsz;
    h->voff = (ksz + 7) & ~(size_t)7;
    h->max = max;
    h->nb = 64;
    h->b = calloc(h->nb, sizeof *h->b);
    return h->b ? 0 : -ENOMEM;
}

void pf_htab_clear(struct pf_htab *h)
{
    if (!h || !h->b)
        return;
    for (size_t i = 0; i < h->nb; i++) {
        struct pf_htab_ent *e = h->b[i];
        while (e) {
            struct pf_htab_ent *nx = e->next;
            free(e);
            e = nx;
        }
        h->b[i] = NULL;
    }
    h->n = 0;
}

void pf_htab_free(struct pf_htab *h)
{
    if (!h)
        return;
    pf_htab_clear(h);
    free(h->b);
    h->b = NULL;
    h->nb = 0;
}

void *pf_htab_get(const struct pf_htab *h, const void *key)
{
    uint64_t hv = hash_bytes(key, h->ksz);
    for (struct pf_htab_ent *e = h->b[hv & (h->nb - 1)]; e; e = e->next)
        if (e->hash == hv && memcmp(e->data, key, h->ksz) == 0)
            return e->data + h->voff;
    return NULL;
}

static void grow(struct pf_htab *h)
{
    size_t nb = h->nb * 2;
    struct pf_htab_ent **b = calloc(nb, sizeof *b);
    if (!b)
        return; /* keep working with longer chains */
    for (size_t i = 0; i < h->nb; i++) {
        struct pf_htab_ent *e = h->b[i];
        while (e) {
            struct pf_htab_ent *nx = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
            e = nx;
        }
    }
    free(h->b);
    h->b = b;
    h->nb = nb;
}

void *pf_htab_put(struct pf_htab *h, const void *key, int *created)
{
    void *v = pf_htab_get(h, key);
    if (created)
        *created = 0;
    if (v)
        return v;
    if (h->max && h->n >= h->max)
        return NULL;
    struct pf_htab_ent *e = calloc(1, sizeof *e + h->voff + h->vsz);
    if (!e)
        return NULL;
    memcpy(e->data, key, h->ksz);
    e->hash = hash_bytes(key, h->ksz);
    e->next = h->b[e->hash & (h->nb - 1)];
    h->b[e->hash & (h->nb - 1)] = e;
    h->n++;
    if (h->n > h->nb)
        grow(h);
    if (created)
        *created = 1;
    return e->data + h->voff;
}

int pf_htab_del(struct pf_htab *h, const void *key)
{
    uint64_t hv = hash_bytes(key, h->ksz);
    for (struct pf_htab_ent **pp = &h->b[hv & (h->nb - 1)]; *pp; pp = &(*pp)->next) {
        struct pf_htab_ent *e = *pp;
        if (e->hash == hv && memcmp(e->data, key, h->ksz) == 0) {
            *pp = e->next;
            free(e);
            h->n--;
            return 1;
        }
    }
    return 0;
}

void pf_htab_scan(struct pf_htab *h, int (*fn)(void *ctx, const void *key, void *val), void *ctx)
{
    for (size_t i = 0; i < h->nb; i++) {
        struct pf_htab_ent **pp = &h->b[i];
        while (*pp) {
            struct pf_htab_ent *e = *pp;
            if (fn(ctx, e->data, e->data + h->voff) == 1) {
                *pp = e->next;
                free(e);
                h->n--;
            } else {
                pp = &e->next;
            }
        }
    }
}
