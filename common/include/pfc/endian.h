/* SPDX-License-Identifier: MIT */
/* Little-endian loads and stores of unaligned bytes: the one set every
 * library uses for on-disk and wire bytes (compilers turn each into a single
 * move on little-endian machines). The caller checks the bounds. */
#ifndef PFC_ENDIAN_H
#define PFC_ENDIAN_H

#include <stdint.h>

static inline uint16_t pfc_load_le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static inline uint32_t pfc_load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t pfc_load_le64(const uint8_t *p)
{
    return (uint64_t)pfc_load_le32(p) | ((uint64_t)pfc_load_le32(p + 4) << 32);
}

static inline void pfc_store_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void pfc_store_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void pfc_store_le64(uint8_t *p, uint64_t v)
{
    pfc_store_le32(p, (uint32_t)v);
    pfc_store_le32(p + 4, (uint32_t)(v >> 32));
}

#endif
