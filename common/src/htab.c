/* SPDX-License-Identifier: MIT */
#include "pfc/htab.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_BUCKETS 64

uint64_t pfc_hash_bytes(const void *p, size_t n)
{
    const unsigned char *c = p;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, c, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
        c += 8;
        n -= 8;
    }
    uint64_t tail = 0;
    for (size_t i = 0; i < n; i++)
        tail |= (uint64_t)c[i] << (8 * i);
    return pfc_hash_mix64(h ^ tail);
}

static uint64_t hash_of(const struct pfc_htab *h, const void *key)
{
    return h->hash ? h->hash(key) : pfc_hash_bytes(key, h->ksz);
}

int pfc_htab_init_opts(struct pfc_htab *h, const struct pfc_htab_opts *o)
{
    memset(h, 0, sizeof *h);
    if (!o->key_size || (o->key_in_value && o->value_size < o->key_size))
        return PFC_E_ARG;
    h->ksz = o->key_size;
    if (o->key_in_value) {
        h->voff = 0;
        h->dsz = o->value_size;
    } else {
        h->voff = (o->key_size + 7) & ~(size_t)7;
        h->dsz = h->voff + o->value_size;
    }
    h->max = o->max;
    h->hash = o->hash;
    size_t nb = DEFAULT_BUCKETS;
    while (nb < o->buckets && nb <= SIZE_MAX / 2 / sizeof *h->b)
        nb *= 2;
    h->b = calloc(nb, sizeof *h->b);
    if (!h->b)
        return PFC_E_NOMEM;
    h->nb = nb;
    return 0;
}

int pfc_htab_init(struct pfc_htab *h, size_t key_size, size_t value_size, size_t max)
{
    struct pfc_htab_opts o = {.key_size = key_size, .value_size = value_size, .max = max};
    return pfc_htab_init_opts(h, &o);
}

static struct pfc_hent *ent_of(const struct pfc_htab *h, const void *val)
{
    return (struct pfc_hent *)(void *)((char *)(uintptr_t)val - h->voff - offsetof(struct pfc_hent, data));
}

/* Keeps up to one spare entry per bucket, so memory follows the table's
 * size, not its churn. */
static void release(struct pfc_htab *h, struct pfc_hent *e)
{
    if (h->nspare < h->nb) {
        e->next = h->spare;
        h->spare = e;
        h->nspare++;
    } else {
        free(e);
    }
}

void pfc_htab_clear(struct pfc_htab *h)
{
    if (!h || !h->b)
        return;
    for (size_t i = 0; i < h->nb; i++) {
        struct pfc_hent *e = h->b[i];
        while (e) {
            struct pfc_hent *nx = e->next;
            release(h, e);
            e = nx;
        }
        h->b[i] = NULL;
    }
    h->n = 0;
}

void pfc_htab_free(struct pfc_htab *h)
{
    if (!h)
        return;
    if (h->b) {
        for (size_t i = 0; i < h->nb; i++) {
            struct pfc_hent *e = h->b[i];
            while (e) {
                struct pfc_hent *nx = e->next;
                free(e);
                e = nx;
            }
        }
    }
    while (h->spare) {
        struct pfc_hent *nx = h->spare->next;
        free(h->spare);
        h->spare = nx;
    }
    free(h->b);
    h->b = NULL;
    h->nb = h->n = h->nspare = 0;
}

static struct pfc_hent *find(const struct pfc_htab *h, const void *key, uint64_t hv)
{
    for (struct pfc_hent *e = h->b[hv & (h->nb - 1)]; e; e = e->next)
        if (e->hash == hv && memcmp(e->data, key, h->ksz) == 0)
            return e;
    return NULL;
}

void *pfc_htab_get(const struct pfc_htab *h, const void *key)
{
    if (!h->n)
        return NULL;
    struct pfc_hent *e = find(h, key, hash_of(h, key));
    return e ? e->data + h->voff : NULL;
}

/* Doubles the buckets; on failure the chains just get longer. Chains are
 * moved in order, each entry to the head of its new chain. */
static void grow(struct pfc_htab *h)
{
    if (h->nb > SIZE_MAX / 2 / sizeof *h->b)
        return;
    size_t nb = h->nb * 2;
    struct pfc_hent **b = calloc(nb, sizeof *b);
    if (!b)
        return;
    for (size_t i = 0; i < h->nb; i++) {
        struct pfc_hent *e = h->b[i];
        while (e) {
            struct pfc_hent *nx = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
            e = nx;
        }
    }
    free(h->b);
    h->b = b;
    h->nb = nb;
}

static void link_in(struct pfc_htab *h, struct pfc_hent *e)
{
    struct pfc_hent **slot = &h->b[e->hash & (h->nb - 1)];
    e->next = *slot;
    *slot = e;
}

static void *insert_hashed(struct pfc_htab *h, const void *key, uint64_t hv)
{
    if (h->max && h->n >= h->max)
        return NULL;
    struct pfc_hent *e = h->spare;
    if (e) {
        h->spare = e->next;
        h->nspare--;
        memset(e->data, 0, h->dsz);
    } else {
        e = calloc(1, sizeof *e + h->dsz);
        if (!e)
            return NULL;
    }
    /* Grow before linking: the load stays at most one entry per bucket. */
    if (h->n + 1 > h->nb)
        grow(h);
    memcpy(e->data, key, h->ksz);
    e->hash = hv;
    link_in(h, e);
    h->n++;
    return e->data + h->voff;
}

void *pfc_htab_insert(struct pfc_htab *h, const void *key) { return insert_hashed(h, key, hash_of(h, key)); }

void *pfc_htab_put(struct pfc_htab *h, const void *key, int *created)
{
    uint64_t hv = hash_of(h, key);
    if (created)
        *created = 0;
    struct pfc_hent *e = h->n ? find(h, key, hv) : NULL;
    if (e)
        return e->data + h->voff;
    void *v = insert_hashed(h, key, hv);
    if (v && created)
        *created = 1;
    return v;
}

/* The link pointing at e (e must be in the table). */
static struct pfc_hent **link_of(struct pfc_htab *h, const struct pfc_hent *e)
{
    struct pfc_hent **pp = &h->b[e->hash & (h->nb - 1)];
    while (*pp != e)
        pp = &(*pp)->next;
    return pp;
}

int pfc_htab_del(struct pfc_htab *h, const void *key)
{
    if (!h->n)
        return 0;
    struct pfc_hent *e = find(h, key, hash_of(h, key));
    if (!e)
        return 0;
    pfc_htab_del_value(h, e->data + h->voff);
    return 1;
}

void pfc_htab_del_value(struct pfc_htab *h, void *val)
{
    struct pfc_hent *e = ent_of(h, val);
    struct pfc_hent **pp = link_of(h, e);
    *pp = e->next;
    h->n--;
    release(h, e);
}

void pfc_htab_rekey(struct pfc_htab *h, void *val, const void *new_key)
{
    struct pfc_hent *e = ent_of(h, val);
    struct pfc_hent **pp = link_of(h, e);
    *pp = e->next;
    memmove(e->data, new_key, h->ksz);
    e->hash = hash_of(h, e->data);
    link_in(h, e);
}

const void *pfc_htab_key(const struct pfc_htab *h, const void *val) { return ent_of(h, val)->data; }

void *pfc_htab_next(struct pfc_htab *h, struct pfc_htab_iter *it)
{
    if (!h->b)
        return NULL;
    if (!it->link) {
        it->bucket = 0;
        it->link = &h->b[0];
    } else if (it->cur) {
        it->link = &it->cur->next; /* else the current entry was deleted: link holds its successor */
    }
    for (;;) {
        if (*it->link) {
            it->cur = *it->link;
            return it->cur->data + h->voff;
        }
        it->cur = NULL;
        if (it->bucket + 1 >= h->nb)
            return NULL;
        it->link = &h->b[++it->bucket];
    }
}

void pfc_htab_iter_del(struct pfc_htab *h, struct pfc_htab_iter *it)
{
    struct pfc_hent *e = it->cur;
    if (!e)
        return;
    *it->link = e->next;
    it->cur = NULL;
    h->n--;
    release(h, e);
}

void pfc_htab_scan(struct pfc_htab *h, int (*fn)(void *ctx, const void *key, void *val), void *ctx)
{
    struct pfc_htab_iter it = PFC_HTAB_ITER_INIT;
    for (void *v; (v = pfc_htab_next(h, &it));)
        if (fn(ctx, it.cur->data, v) == 1)
            pfc_htab_iter_del(h, &it);
}
