/* SPDX-License-Identifier: MIT */
/* Truncation: cut a capture at every byte offset. Each cut must yield
 * exactly the records of the chunks that were complete before the cut, in
 * order and unchanged, report the rest, and never crash. */
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
    pf_writer *w = small_capture(600, 1024, &data, &len);
    CHECK(w != NULL);
    if (!w)
        return check_result("test_truncate");
    struct chunk_map m;
    CHECK_EQ_U(build_chunk_map(data, len, &m), 0);
    CHECK(m.n >= 8);
    struct read_list full;
    CHECK_EQ_U(read_all_mem(data, len, &full), 0);
    CHECK_EQ_U(full.n, 600);
    printf("capture: %zu bytes, %zu chunks, %zu records\n", len, m.n, full.n);

    /* Copy each cut to its own allocation so ASan/valgrind see reads past the cut. */
    size_t cuts = 0, partial_reads = 0;
    for (size_t cut = 0; cut <= len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, data, cut);
        struct read_list l;
        int rc = read_all_mem(copy, cut, &l);
        size_t want = 0, complete = 0;
        for (size_t k = 0; k < m.n; k++)
            if (m.c[k].offset + m.c[k].block_bytes <= cut) {
                want += m.c[k].records;
                complete++;
            }
        if (cut < 8) {
            CHECK(l.open_rc == PF_E_TRUNCATED); /* a prefix of the magic */
        } else {
            CHECK_EQ_U(rc, 0);
            CHECK_EQ_U(l.n, want);
            CHECK_EQ_U(l.st.chunks_ok, complete);
            int same = 1;
            for (size_t i = 0; i < l.n && i < full.n; i++)
                same &= record_eq(&l.v[i].rec, &full.v[i].rec);
            CHECK(same);
            /* a cut inside a block is reported; a cut on a boundary is not damage */
            int on_boundary = 0;
            for (size_t b = 8; b + 8 <= len;) { /* walk the intact file's block boundaries */
                on_boundary |= b == cut;
                uint32_t blen = (uint32_t)data[b + 4] | (uint32_t)data[b + 5] << 8 | (uint32_t)data[b + 6] << 16 |
                                (uint32_t)data[b + 7] << 24;
                b += blen;
                on_boundary |= b == cut;
            }
            if (!on_boundary && l.damage_reports == 0)
                fprintf(stderr, "cut %zu: no damage reported\n", cut);
            CHECK(on_boundary || l.damage_reports > 0);
            if (on_boundary && cut > 8)
                CHECK_EQ_U(l.damage_reports, 0); /* at 8 the header is missing */
            CHECK(cut == len ? l.st.clean_close : !l.st.clean_close);
            if (want < full.n)
                partial_reads++;
        }
        cuts++;
        read_list_free(&l);
        free(copy);
    }
    printf("cuts tried: %zu, reads that recovered a strict prefix: %zu\n", cuts, partial_reads);
    read_list_free(&full);
    pf_writer_destroy(w);
    return check_result("test_truncate");
}
