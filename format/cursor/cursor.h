/* SPDX-License-Identifier: MIT */
/* Bounds-checked little-endian cursor (reading) and growable buffer
 * (writing). Internal to procflow's libraries (target pf_cursor): the
 * capture reader and the .etl reader walk untrusted bytes only through it.
 *
 * Reading never goes past `end`: a get past the end returns 0 and sets the
 * sticky `bad` flag, so decoders check once per record instead of per field. */
#ifndef PF_CURSOR_H
#define PF_CURSOR_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
    if (!pf_cur_need(c, 1)) return 0;
    return *c->p++;
}

static inline uint16_t pf_load_le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t pf_load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t pf_load_le64(const uint8_t *p)
{
    return (uint64_t)pf_load_le32(p) | ((uint64_t)pf_load_le32(p + 4) << 32);
}

static inline uint16_t pf_get_u16(struct pf_cur *c)
{
    if (!pf_cur_need(c, 2)) return 0;
    uint16_t v = pf_load_le16(c->p);
    c->p += 2;
    return v;
}

static inline uint32_t pf_get_u32(struct pf_cur *c)
{
    if (!pf_cur_need(c, 4)) return 0;
    uint32_t v = pf_load_le32(c->p);
    c->p += 4;
    return v;
}

static inline uint64_t pf_get_u64(struct pf_cur *c)
{
    if (!pf_cur_need(c, 8)) return 0;
    uint64_t v = pf_load_le64(c->p);
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
        if (shift == 63 && b > 1) break;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
        shift += 7;
        if (shift > 63) break;
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
    if (!pf_cur_need(c, n)) return NULL;
    const uint8_t *p = c->p;
    if (n) c->p += n; /* an empty cursor may have a null pointer */
    return p;
}

/* Steps over n bytes; 0 (and bad) when fewer are left. */
static inline int pf_cur_skip(struct pf_cur *c, size_t n)
{
    if (!pf_cur_need(c, n)) return 0;
    if (n) c->p += n;
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

struct pf_buf {
    uint8_t *p;
    size_t len;
    size_t cap;
    int nomem;
};

static inline int pf_buf_reserve(struct pf_buf *b, size_t extra)
{
    if (b->nomem) return 0;
    if (b->cap - b->len >= extra) return 1;
    size_t want = b->cap ? b->cap : 4096;
    while (want - b->len < extra) {
        if (want > SIZE_MAX / 2) {
            b->nomem = 1;
            return 0;
        }
        want *= 2;
    }
    uint8_t *np = (uint8_t *)realloc(b->p, want);
    if (!np) {
        b->nomem = 1;
        return 0;
    }
    b->p = np;
    b->cap = want;
    return 1;
}

static inline void pf_buf_free(struct pf_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

static inline void pf_store_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void pf_store_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void pf_store_le64(uint8_t *p, uint64_t v)
{
    pf_store_le32(p, (uint32_t)v);
    pf_store_le32(p + 4, (uint32_t)(v >> 32));
}

static inline void pf_put_u8(struct pf_buf *b, uint8_t v)
{
    if (pf_buf_reserve(b, 1)) b->p[b->len++] = v;
}
static inline void pf_put_u16(struct pf_buf *b, uint16_t v)
{
    if (pf_buf_reserve(b, 2)) { pf_store_le16(b->p + b->len, v); b->len += 2; }
}
static inline void pf_put_u32(struct pf_buf *b, uint32_t v)
{
    if (pf_buf_reserve(b, 4)) { pf_store_le32(b->p + b->len, v); b->len += 4; }
}
static inline void pf_put_u64(struct pf_buf *b, uint64_t v)
{
    if (pf_buf_reserve(b, 8)) { pf_store_le64(b->p + b->len, v); b->len += 8; }
}
static inline void pf_put_bytes(struct pf_buf *b, const void *src, size_t n)
{
    if (n && pf_buf_reserve(b, n)) { memcpy(b->p + b->len, src, n); b->len += n; }
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

static inline void pf_put_varint(struct pf_buf *b, uint64_t v)
{
    if (pf_buf_reserve(b, 10)) b->len += pf_varint_encode(b->p + b->len, v);
}
static inline void pf_put_zz(struct pf_buf *b, int64_t v) { pf_put_varint(b, pf_zigzag(v)); }

#endif
