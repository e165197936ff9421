/* SPDX-License-Identifier: MIT */
/* Plain LZ77 decompression written from the MS-XCA specification
 * (section 2.4). Every read and write is bounds-checked. */
#include "xpress.h"

static int rd16(const uint8_t *s, size_t n, size_t *pos, uint32_t *v)
{
    if (n - *pos < 2)
        return -1;
    *v = (uint32_t)s[*pos] | (uint32_t)s[*pos + 1] << 8;
    *pos += 2;
    return 0;
}

static int rd32(const uint8_t *s, size_t n, size_t *pos, uint32_t *v)
{
    if (n - *pos < 4)
        return -1;
    *v = (uint32_t)s[*pos] | (uint32_t)s[*pos + 1] << 8 | (uint32_t)s[*pos + 2] << 16 |
         (uint32_t)s[*pos + 3] << 24;
    *pos += 4;
    return 0;
}

long pf_xpress_decompress(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_cap)
{
    size_t in = 0, out = 0;
    uint32_t flags = 0;
    int flag_count = 0;
    size_t half_byte_pos = 0; /* 0: no pending shared length nibble */

    if (!src || (!dst && dst_cap))
        return -1;
    if (dst_cap > (size_t)0x7fffffff)
        dst_cap = 0x7fffffff; /* keeps the return value in range */
    for (;;) {
        if (flag_count == 0) {
            /* Input may end right at a flag word boundary. */
            if (in == src_len)
                break;
            if (rd32(src, src_len, &in, &flags) < 0)
                return -1;
            flag_count = 32;
        }
        flag_count--;
        if ((flags & (1u << flag_count)) == 0) {
            if (in == src_len)
                break;
            if (out >= dst_cap)
                return -1;
            dst[out++] = src[in++];
            continue;
        }
        if (in == src_len)
            break;
        uint32_t token, len;
        if (rd16(src, src_len, &in, &token) < 0)
            return -1;
        size_t offset = (size_t)(token >> 3) + 1;
        len = token & 7;
        if (len == 7) {
            if (half_byte_pos == 0) {
                if (in >= src_len)
                    return -1;
                len = src[in] & 15;
                half_byte_pos = in + 1; /* stored +1 so position 0 stays "none" */
                in++;
            } else {
                len = src[half_byte_pos - 1] >> 4;
                half_byte_pos = 0;
            }
            if (len == 15) {
                if (in >= src_len)
                    return -1;
                len = src[in++];
                if (len == 255) {
                    if (rd16(src, src_len, &in, &len) < 0)
                        return -1;
                    if (len == 0 && rd32(src, src_len, &in, &len) < 0)
                        return -1;
                    if (len < 15 + 7 || len > 0x7fffffff)
                        return -1;
                    len -= 15 + 7;
                }
                len += 15;
            }
            len += 7;
        }
        len += 3;
        if (offset > out || len > dst_cap - out)
            return -1;
        /* Byte by byte: source and destination may overlap (runs). */
        for (uint32_t i = 0; i < len; i++, out++)
            dst[out] = dst[out - offset];
    }
    return (long)out;
}
