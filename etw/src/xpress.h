/* SPDX-License-Identifier: MIT */
/* MS-XCA "plain LZ77" (XPRESS) decompression, as used by compressed ETW
 * buffers. Internal to libpfetw. */
#ifndef PF_ETW_XPRESS_H
#define PF_ETW_XPRESS_H

#include <stddef.h>
#include <stdint.h>

/* Decompresses src into dst (at most dst_cap bytes). Returns the number of
 * bytes produced (>= 0), or -1 when the input is malformed: a match reaching
 * before the output start, output overflowing dst_cap, or input ending
 * inside a token. Never reads or writes out of bounds. */
long pf_xpress_decompress(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_cap);

#endif
