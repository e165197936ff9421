/* SPDX-License-Identifier: MIT */
/* Plain LZ77 decompression written from the MS-XCA specification
 * (section 2.4). The input is read only through the bounds-checked
 * cursor; every write is checked against dst_cap. */
#include "xpress.h"

#include "cursor.h"

long pf_xpress_decompress(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_cap)
{
    struct pf_cur in;
    size_t out = 0;
    uint32_t flags = 0;
    int flag_count = 0;
    int have_nibble = 0; /* a length byte's high nibble waits for the next long match */
    uint8_t nibble = 0;

    if (!src || (!dst && dst_cap))
        return -1;
    if (dst_cap > (size_t)0x7fffffff)
        dst_cap = 0x7fffffff; /* keeps the return value in range */
    pf_cur_init(&in, src, src_len);
    for (;;) {
        if (flag_count == 0) {
            /* Input may end right at a flag word boundary. */
            if (!pf_cur_left(&in))
                break;
            flags = pf_get_u32(&in);
            if (in.bad)
                return -1;
            flag_count = 32;
        }
        flag_count--;
        if (!pf_cur_left(&in))
            break;
        if ((flags & (1u << flag_count)) == 0) {
            if (out >= dst_cap)
                return -1;
            dst[out++] = pf_get_u8(&in);
            continue;
        }
        uint32_t token = pf_get_u16(&in);
        size_t offset = (size_t)(token >> 3) + 1;
        uint32_t len = token & 7;
        if (len == 7) {
            if (!have_nibble) {
                uint8_t b = pf_get_u8(&in);
                len = b & 15u;
                nibble = (uint8_t)(b >> 4);
                have_nibble = !in.bad;
            } else {
                len = nibble;
                have_nibble = 0;
            }
            if (len == 15) {
                len = pf_get_u8(&in);
                if (len == 255) {
                    len = pf_get_u16(&in);
                    if (len == 0)
                        len = pf_get_u32(&in);
                    if (in.bad || len < 15 + 7 || len > 0x7fffffff)
                        return -1;
                    len -= 15 + 7;
                }
                len += 15;
            }
            len += 7;
        }
        if (in.bad)
            return -1;
        len += 3;
        if (offset > out || len > dst_cap - out)
            return -1;
        /* Byte by byte: source and destination may overlap (runs). */
        for (uint32_t i = 0; i < len; i++, out++)
            dst[out] = dst[out - offset];
    }
    return (long)out;
}
