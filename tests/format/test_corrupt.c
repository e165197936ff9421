/* SPDX-License-Identifier: MIT */
/* Corruption: flip single bits across the whole file. A flip inside a chunk
 * costs exactly that chunk; every other chunk is still read unchanged. A flip
 * in the header costs the header facts only; in the index or footer, nothing.
 * A flip in the magic makes the file unrecognisable (refused cleanly). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture_util.h"
#include "../check.h"
#include "pfgen.h"
#include "chunk_map.h"

int main(void)
{
    const uint8_t *data;
    size_t len;
    pf_writer *w = small_capture(400, 1024, &data, &len);
    CHECK(w != NULL);
    if (!w)
        return check_result("test_corrupt");
    struct chunk_map m;
    CHECK_EQ_U(build_chunk_map(data, len, &m), 0);
    struct read_list full;
    CHECK_EQ_U(read_all_mem(data, len, &full), 0);
    size_t header_end = m.c[0].offset;
    size_t chunks_end = m.c[m.n - 1].offset + m.c[m.n - 1].block_bytes;
    printf("capture: %zu bytes, %zu chunks, %zu records\n", len, m.n, full.n);

    uint8_t *copy = malloc(len);
    size_t flips = 0, chunk_flips = 0;
    for (size_t off = 0; off < len; off++) {
        for (int bit = 0; bit < 8; bit += (off < 8 ? 1 : 3)) {
            memcpy(copy, data, len);
            copy[off] ^= (uint8_t)(1u << bit);
            struct read_list l;
            read_all_mem(copy, len, &l);
            flips++;
            if (off < 8) {
                CHECK(l.open_rc == PF_E_NOT_CAPTURE || l.open_rc == PF_E_MANGLED);
            } else if (off < header_end) {
                CHECK_EQ_U(l.n, full.n);
                CHECK(!l.st.header_ok);
                CHECK(l.damage_reports >= 1);
            } else if (off < chunks_end) {
                size_t k = 0;
                while (k + 1 < m.n && m.c[k + 1].offset <= off)
                    k++;
                CHECK_EQ_U(l.n, full.n - m.c[k].records);
                CHECK_EQ_U(l.st.chunks_damaged, 1);
                CHECK(l.damage_reports >= 1);
                /* the survivors are exactly the other chunks' records, in order */
                int same = 1;
                for (size_t i = 0; i < l.n; i++) {
                    size_t src = i < m.first_record[k] ? i : i + m.c[k].records;
                    same &= src < full.n && record_eq(&l.v[i].rec, &full.v[src].rec);
                }
                CHECK(same);
                chunk_flips++;
            } else {
                CHECK_EQ_U(l.n, full.n); /* index/footer: accelerators only */
                CHECK_EQ_U(l.st.chunks_damaged, 0);
            }
            read_list_free(&l);
        }
    }
    printf("bit flips tried: %zu (%zu inside chunks), every one detected and contained\n", flips, chunk_flips);
    free(copy);
    read_list_free(&full);
    pf_writer_destroy(w);
    return check_result("test_corrupt");
}
