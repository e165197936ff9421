/* SPDX-License-Identifier: MIT */
/* The growable byte/text buffer. Zero-initialise it (or set `max` after
 * zeroing to cap it); pfc_buf_free releases it (NULL-safe). The buffer owns
 * `p`; callers may read p[0..len) and write into p[len..cap) after a
 * successful reserve, then advance len themselves.
 *
 * Growth checks every size for overflow and for the cap: a request that
 * would pass `max` (0 means PFC_BUF_MAX) fails with PFC_E_TOO_BIG, a failed
 * allocation with PFC_E_NOMEM. A failure is sticky (`err`): later appends
 * do nothing and return the same code, so writers may check once at the
 * end. reserve always leaves one spare byte, and put/printf keep a NUL
 * after the data, so p is a C string when only text was appended. */
#ifndef PFC_BUF_H
#define PFC_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "pfc/error.h"

#define PFC_BUF_MAX ((size_t)1 << 40) /* default cap: 1 TiB, far above any real use */

struct pfc_buf {
    union {
        char *p;        /* text */
        uint8_t *bytes; /* the same memory, for binary writers */
    };
    size_t len, cap;
    size_t max; /* cap on cap; 0 (or more than PFC_BUF_MAX) = PFC_BUF_MAX */
    int err;    /* sticky: 0 or a negative PFC_E_* code */
};

/* Slow path of pfc_buf_reserve. */
int pfc_buf_grow(struct pfc_buf *b, size_t extra);

/* Makes room for `extra` more bytes (plus the spare NUL byte); 0 or the
 * sticky negative code. */
static inline int pfc_buf_reserve(struct pfc_buf *b, size_t extra)
{
    if (!b->err && b->cap - b->len > extra)
        return 0;
    return pfc_buf_grow(b, extra);
}

int pfc_buf_put(struct pfc_buf *b, const void *src, size_t n);
int pfc_buf_putc(struct pfc_buf *b, char c);
int pfc_buf_puts(struct pfc_buf *b, const char *s);
#if defined(__MINGW32__) && !defined(__clang__)
#define PFC_PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#elif defined(__GNUC__)
#define PFC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PFC_PRINTF(f, a)
#endif
PFC_PRINTF(2, 3) int pfc_buf_printf(struct pfc_buf *b, const char *fmt, ...);
PFC_PRINTF(2, 0) int pfc_buf_vprintf(struct pfc_buf *b, const char *fmt, va_list ap);

/* Growable arrays: returns `v` reallocated to hold at least `need`
 * elements of elem_size bytes (doubling from `first`, never past `max`
 * elements; max 0 = PFC_BUF_MAX bytes) and sets *cap, or NULL with v and
 * *cap untouched when the size would overflow, pass the cap or memory ran
 * out. The caller owns v (free() it). */
void *pfc_array_grow(void *v, size_t *cap, size_t need, size_t elem_size, size_t first, size_t max);

/* Empties the buffer and clears a sticky error; keeps the memory. */
void pfc_buf_reset(struct pfc_buf *b);
/* Releases the memory; the buffer is empty again with the same cap. */
void pfc_buf_free(struct pfc_buf *b);

#endif
