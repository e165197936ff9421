/* SPDX-License-Identifier: MIT */
#include "pfc/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_CAP 256

int pfc_buf_grow(struct pfc_buf *b, size_t extra)
{
    if (b->err)
        return b->err;
    size_t max = b->max && b->max < PFC_BUF_MAX ? b->max : PFC_BUF_MAX;
    /* need = len + extra + 1 (the NUL), without wrapping */
    if (extra > SIZE_MAX - 1 - b->len || b->len + extra + 1 > max)
        return b->err = PFC_E_TOO_BIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : FIRST_CAP;
    while (cap < need)
        cap = cap > max / 2 ? max : cap * 2;
    if (cap > max)
        cap = max;
    char *p = realloc(b->p, cap);
    if (!p)
        return b->err = PFC_E_NOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

int pfc_buf_put(struct pfc_buf *b, const void *src, size_t n)
{
    int rc = pfc_buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->p + b->len, src, n);
    b->len += n;
    b->p[b->len] = 0;
    return 0;
}

int pfc_buf_putc(struct pfc_buf *b, char c) { return pfc_buf_put(b, &c, 1); }

int pfc_buf_puts(struct pfc_buf *b, const char *s) { return pfc_buf_put(b, s, strlen(s)); }

int pfc_buf_vprintf(struct pfc_buf *b, const char *fmt, va_list ap)
{
    char tmp[512];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    int rc = 0;
    if (n < 0)
        rc = PFC_E_ARG;
    else if ((size_t)n < sizeof tmp)
        rc = pfc_buf_put(b, tmp, (size_t)n);
    else if ((rc = pfc_buf_reserve(b, (size_t)n)) == 0) {
        /* Longer than the stack copy: format straight into the buffer. */
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
    return rc;
}

int pfc_buf_printf(struct pfc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = pfc_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void *pfc_array_grow(void *v, size_t *cap, size_t need, size_t elem_size, size_t first, size_t max)
{
    size_t limit = PFC_BUF_MAX / (elem_size ? elem_size : 1);
    if (max && max < limit)
        limit = max;
    if (need > limit)
        return NULL;
    if (need <= *cap)
        return v;
    size_t n = *cap ? *cap : (first ? first : 16);
    while (n < need)
        n = n > limit / 2 ? limit : n * 2;
    if (n > limit)
        n = limit;
    void *nv = realloc(v, n * elem_size);
    if (!nv)
        return NULL;
    *cap = n;
    return nv;
}

void pfc_buf_reset(struct pfc_buf *b)
{
    if (!b)
        return;
    b->len = 0;
    b->err = 0;
    if (b->p)
        b->p[0] = 0;
}

void pfc_buf_free(struct pfc_buf *b)
{
    if (!b)
        return;
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->err = 0;
}
