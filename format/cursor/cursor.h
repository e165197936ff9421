/* SPDX-License-Identifier: MIT */
/* Bounds-checked little-endian cursor (reading) and appends to the common
 * growable buffer (writing). Internal to procflow's libraries (target
 * pf_cursor): the capture reader and the .etl reader walk untrusted bytes
 * only through it.
 *
 * Reading never goes past `end`: a get past the end returns 0 and sets the
 * sticky `bad` flag, so decoders check once per record instead of per field. */
#ifndef PF_CURSOR_H
#define PF_CURSOR_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pfc/buf.h"
#include "pfc/endian.h"

struct pf_cur {
    const uint8_t *p;
    const uint8_t *end;
    int bad;
};

static inline void pf_cur_init(struct pf_cur *c, const void *data, size_t len)
{
    c->p = (const uint8_t *)data;
    c->end = data ? c->p + len : c->p; /* no arithmetic on a null pointer */
    c->bad = 0;
}

static inline size_t pf_cur_left(const struct pf_cur *c) { return (size_t)(c->end - c->p); }

static inline int pf_cur_need(struct pf_cur *c, size_t n)
{
    if (c->bad || pf_cur_left(c) < n) {
        c->bad = 1;
        return 0;
    }
    return 1;
}

static inline uint8_t pf_get_u8(struct pf_cur *c)
{
    if (!pf_cur_need(c, 1))
        return 0;
    return *c->p++;
}

static inline uint16_t pf_get_u16(struct pf_cur *c)
{
    if (!pf_cur_need(c, 2))
        return 0;
    uint16_t v = pfc_load_le16(c->p);
    c->p += 2;
    return v;
}

static inline uint32_t pf_get_u32(struct pf_cur *c)
{
    if (!pf_cur_need(c, 4))
        return 0;
    uint32_t v = pfc_load_le32(c->p);
    c->p += 4;
    return v;
}

static inline uint64_t pf_get_u64(struct pf_cur *c)
{
    if (!pf_cur_need(c, 8))
        return 0;
    uint64_t v = pfc_load_le64(c->p);
    c->p += 8;
    return v;
}

/* Unsigned LEB128, at most 10 bytes; an overlong or overflowing encoding is bad. */
static inline uint64_t pf_get_varint(struct pf_cur *c)
{
    uint64_t v = 0;
    unsigned shift = 0;
    while (c->p < c->end) {
        uint8_t b = *c->p++;
        if (shift == 63 && b > 1)
            break;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
        shift += 7;
        if (shift > 63)
            break;
    }
    c->bad = 1;
    return 0;
}

static inline int64_t pf_unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }
static inline uint64_t pf_zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }

static inline int64_t pf_get_zz(struct pf_cur *c) { return pf_unzigzag(pf_get_varint(c)); }

/* A varint that must fit in 32 bits. */
static inline uint32_t pf_get_varint32(struct pf_cur *c)
{
    uint64_t v = pf_get_varint(c);
    if (v > UINT32_MAX) {
        c->bad = 1;
        return 0;
    }
    return (uint32_t)v;
}

static inline const uint8_t *pf_get_bytes(struct pf_cur *c, size_t n)
{
    if (!pf_cur_need(c, n))
        return NULL;
    const uint8_t *p = c->p;
    if (n)
        c->p += n; /* an empty cursor may have a null pointer */
    return p;
}

/* Steps over n bytes; 0 (and bad) when fewer are left. */
static inline int pf_cur_skip(struct pf_cur *c, size_t n)
{
    if (!pf_cur_need(c, n))
        return 0;
    if (n)
        c->p += n;
    return 1;
}

/* The next n bytes as a cursor of their own (bad when fewer are left). */
static inline struct pf_cur pf_cur_take(struct pf_cur *c, size_t n)
{
    struct pf_cur sub;
    const uint8_t *p = pf_get_bytes(c, n);
    pf_cur_init(&sub, p, p ? n : 0);
    sub.bad = c->bad;
    return sub;
}

/* ------------------------------------------------------------- writing */

static inline void pf_put_u8(struct pfc_buf *b, uint8_t v)
{
    if (pfc_buf_reserve(b, 1) == 0)
        b->bytes[b->len++] = v;
}
static inline void pf_put_u16(struct pfc_buf *b, uint16_t v)
{
    if (pfc_buf_reserve(b, 2) == 0) {
        pfc_store_le16(b->bytes + b->len, v);
        b->len += 2;
    }
}
static inline void pf_put_u32(struct pfc_buf *b, uint32_t v)
{
    if (pfc_buf_reserve(b, 4) == 0) {
        pfc_store_le32(b->bytes + b->len, v);
        b->len += 4;
    }
}
static inline void pf_put_u64(struct pfc_buf *b, uint64_t v)
{
    if (pfc_buf_reserve(b, 8) == 0) {
        pfc_store_le64(b->bytes + b->len, v);
        b->len += 8;
    }
}
static inline void pf_put_bytes(struct pfc_buf *b, const void *src, size_t n)
{
    if (n && pfc_buf_reserve(b, n) == 0) {
        memcpy(b->bytes + b->len, src, n);
        b->len += n;
    }
}

/* Writes a varint into dst (at least 10 bytes); returns bytes written. */
static inline size_t pf_varint_encode(uint8_t *dst, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        dst[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    dst[n++] = (uint8_t)v;
    return n;
}

static inline void pf_put_varint(struct pfc_buf *b, uint64_t v)
{
    if (pfc_buf_reserve(b, 10) == 0)
        b->len += pf_varint_encode(b->bytes + b->len, v);
}
static inline void pf_put_zz(struct pfc_buf *b, int64_t v) { pf_put_varint(b, pf_zigzag(v)); }

#endif
