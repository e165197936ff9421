/* SPDX-License-Identifier: MIT */
/* Hand-built capture bytes for tests that must write what the writer never
 * would (lying lengths, hostile chunk headers): one block, one chunk block.
 * Layouts are those of schema/capture-format.md. */
#ifndef PF_TEST_RAW_BLOCKS_H
#define PF_TEST_RAW_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "internal.h"

/* type | length | body | CRC32C | length */
static inline void raw_block(struct pfc_buf *b, uint32_t type, const void *body, size_t len)
{
    size_t start = b->len;
    pf_put_u32(b, type);
    pf_put_u32(b, (uint32_t)(len + PF_BLOCK_OVERHEAD));
    pf_put_bytes(b, body, len);
    pf_put_u32(b, pf_crc32c(b->p + start, b->len - start));
    pf_put_u32(b, (uint32_t)(len + PF_BLOCK_OVERHEAD));
}

/* A chunk block (timestamps 1000..2000) around `payload` as given. */
static inline void raw_chunk(struct pfc_buf *b, uint64_t seq, uint32_t records, uint32_t raw_bytes, uint8_t codec,
                             const void *payload, size_t plen)
{
    struct pfc_buf c = {0};
    pf_put_u64(&c, seq);
    pf_put_u64(&c, 1000);
    pf_put_u64(&c, 2000);
    pf_put_u32(&c, records);
    pf_put_u32(&c, raw_bytes);
    pf_put_u8(&c, codec);
    pf_put_u8(&c, 0);
    pf_put_u8(&c, 0);
    pf_put_u8(&c, 0);
    pf_put_bytes(&c, payload, plen);
    raw_block(b, PF_BLOCK_CHUNK, c.p, c.len);
    pfc_buf_free(&c);
}

#endif
