/* SPDX-License-Identifier: MIT */
/* Integrity checks the reader makes beyond block checksums: chunk sequence
 * numbers (a chunk cut out or repeated), the footer's counts, and a second
 * capture appended to the first (`cat a.pfcap b.pfcap`). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "pfgen.h"
#include "chunk_map.h"
#include "internal.h"
#include "procflow/format.h"

struct outcome {
    uint64_t records, records_by_chunks;
    size_t damage, seq_damage, concat_damage;
    int64_t first_utc, last_utc;
    struct pf_reader_stats st;
};

static void on_damage(void *ctx, const struct pf_damage *d)
{
    struct outcome *o = (struct outcome *)ctx;
    o->damage++;
    if (d->error == PF_E_SEQUENCE)
        o->seq_damage++;
    if (d->error == PF_E_CONCATENATED)
        o->concat_damage++;
    /* every damage range lies inside the file */
    CHECK(d->offset <= o->st.file_bytes || o->st.file_bytes == 0);
}

static struct outcome read_capture(const uint8_t *data, size_t len, int skip_records)
{
    struct outcome o;
    memset(&o, 0, sizeof(o));
    o.first_utc = INT64_MAX;
    o.last_utc = INT64_MIN;
    struct pf_reader_options ro = {on_damage, &o, skip_records};
    pf_reader *r = NULL;
    CHECK(pf_reader_open_mem(&r, data, len, &ro) == 0);
    if (!r)
        return o;
    struct pf_record rec;
    while (pf_reader_next(r, &rec) > 0) {
        o.records++;
        if (rec.utc_ns < o.first_utc)
            o.first_utc = rec.utc_ns;
        if (rec.utc_ns > o.last_utc)
            o.last_utc = rec.utc_ns;
    }
    pf_reader_get_stats(r, &o.st);
    pf_reader_close(r);
    return o;
}

/* data with [cut, cut+n) removed and `ins` (m bytes) inserted at `at` (in the result). */
static uint8_t *edit(const uint8_t *data, size_t len, size_t cut, size_t n, size_t *out_len)
{
    uint8_t *p = (uint8_t *)malloc(len);
    memcpy(p, data, cut);
    memcpy(p + cut, data + cut + n, len - cut - n);
    *out_len = len - n;
    return p;
}

static uint8_t *duplicate(const uint8_t *data, size_t len, size_t off, size_t n, size_t *out_len)
{
    uint8_t *p = (uint8_t *)malloc(len + n);
    memcpy(p, data, off + n);
    memcpy(p + off + n, data + off, len - off);
    *out_len = len + n;
    return p;
}

static void test_intact(const uint8_t *data, size_t len, const struct chunk_map *m)
{
    for (int skip = 0; skip <= 1; skip++) {
        struct outcome o = read_capture(data, len, skip);
        CHECK_EQ_U(o.damage, 0);
        CHECK(o.st.clean_close);
        CHECK_EQ_U(o.st.chunks_ok, m->n);
        CHECK_EQ_U(o.st.footer_chunks, m->n);
        CHECK_EQ_U(o.st.records, o.st.footer_records);
    }
}

/* Issue: a closed file with a whole chunk cut out verified as OK. */
static void test_chunk_cut_out(const uint8_t *data, size_t len, const struct chunk_map *m)
{
    size_t k = 2;
    size_t cl;
    uint8_t *cut = edit(data, len, m->c[k].offset, m->c[k].block_bytes, &cl);
    for (int skip = 0; skip <= 1; skip++) {
        struct outcome o = read_capture(cut, cl, skip);
        CHECK_EQ_U(o.seq_damage, 1);
        CHECK_EQ_U(o.st.chunks_ok, m->n - 1);
        CHECK_EQ_U(o.st.chunks_damaged, 1);
        CHECK_EQ_U(o.st.records, o.st.footer_records - m->c[k].records);
    }
    free(cut);

    /* the last chunk (just before the index): only the footer tells */
    k = m->n - 1;
    cut = edit(data, len, m->c[k].offset, m->c[k].block_bytes, &cl);
    struct outcome o = read_capture(cut, cl, 0);
    CHECK_EQ_U(o.seq_damage, 1);
    CHECK_EQ_U(o.st.chunks_damaged, 1);
    CHECK_EQ_U(o.st.records, o.st.footer_records - m->c[k].records);
    free(cut);

    /* two chunks cut: one report of two missing */
    uint8_t *c1 = edit(data, len, m->c[1].offset, m->c[1].block_bytes + m->c[2].block_bytes, &cl);
    o = read_capture(c1, cl, 0);
    CHECK_EQ_U(o.seq_damage, 1);
    CHECK_EQ_U(o.st.chunks_damaged, 2);
    free(c1);
}

/* Issue: a duplicated chunk was ingested twice. */
static void test_chunk_repeated(const uint8_t *data, size_t len, const struct chunk_map *m)
{
    size_t k = 1;
    size_t dl;
    uint8_t *dup = duplicate(data, len, m->c[k].offset, m->c[k].block_bytes, &dl);
    for (int skip = 0; skip <= 1; skip++) {
        struct outcome o = read_capture(dup, dl, skip);
        CHECK_EQ_U(o.seq_damage, 1);
        CHECK_EQ_U(o.st.chunks_ok, m->n);
        CHECK_EQ_U(o.st.records, o.st.footer_records); /* never counted twice */
        if (!skip)
            CHECK_EQ_U(o.records, o.st.footer_records);
    }
    free(dup);
}

/* A chunk with a bad checksum is one damaged chunk, not also a gap. */
static void test_checksum_not_double_counted(const uint8_t *data, size_t len, const struct chunk_map *m)
{
    uint8_t *p = (uint8_t *)malloc(len);
    memcpy(p, data, len);
    p[m->c[2].offset + 60] ^= 0x55;
    struct outcome o = read_capture(p, len, 0);
    CHECK_EQ_U(o.st.chunks_damaged, 1);
    CHECK_EQ_U(o.seq_damage, 0);
    CHECK_EQ_U(o.st.records, o.st.footer_records - m->c[2].records);
    /* and the last chunk damaged: the footer's count is met by it */
    memcpy(p, data, len);
    p[m->c[m->n - 1].offset + 60] ^= 0x55;
    o = read_capture(p, len, 0);
    CHECK_EQ_U(o.st.chunks_damaged, 1);
    CHECK_EQ_U(o.seq_damage, 0);
    free(p);
}

/* A chunk renumbered (its checksum made valid again). */
static void set_seq(uint8_t *p, const struct pf_chunk_info *c, uint64_t seq)
{
    uint8_t *b = p + c->offset;
    for (int i = 0; i < 8; i++)
        b[8 + i] = (uint8_t)(seq >> (8 * i));
    uint32_t crc = pf_crc32c(b, c->block_bytes - 8);
    for (int i = 0; i < 4; i++)
        b[c->block_bytes - 8 + (uint32_t)i] = (uint8_t)(crc >> (8 * i));
}

/* Numbers no writer produces, and chunks out of order. */
static void test_odd_numbers(const uint8_t *data, size_t len, const struct chunk_map *m)
{
    uint8_t *p = (uint8_t *)malloc(len);
    memcpy(p, data, len);
    set_seq(p, &m->c[2], (uint64_t)1 << 60);
    struct outcome o = read_capture(p, len, 0);
    CHECK_EQ_U(o.st.chunks_damaged, 1); /* the renumbered chunk, not also a gap */
    CHECK_EQ_U(o.seq_damage, 1);
    CHECK_EQ_U(o.st.records, o.st.footer_records - m->c[2].records);
    memcpy(p, data, len);
    set_seq(p, &m->c[2], UINT64_MAX);
    o = read_capture(p, len, 1);
    CHECK_EQ_U(o.st.chunks_damaged, 1);
    /* chunks 1 and 2 swapped: all read once, the gap reported when seen */
    memcpy(p, data, len);
    set_seq(p, &m->c[1], 2);
    set_seq(p, &m->c[2], 1);
    o = read_capture(p, len, 0);
    CHECK_EQ_U(o.st.chunks_ok, m->n);
    CHECK_EQ_U(o.st.records, o.st.footer_records);
    CHECK_EQ_U(o.seq_damage, 1);
    free(p);
}

static pf_writer *capture_at(uint64_t records, int64_t utc, const uint8_t **data, size_t *len)
{
    struct pfgen_options o;
    pfgen_default_options(&o);
    o.records = records;
    o.processes = 5;
    o.flows = 10;
    o.mean_step_ns = 50000000;
    struct pf_file_info info;
    pfgen_file_info(&o, &info);
    info.anchor_utc_ns = utc;
    info.start_utc_ns = utc;
    struct pf_writer_options wo;
    memset(&wo, 0, sizeof(wo));
    wo.chunk_bytes = 2048;
    pf_writer *w = NULL;
    if (pf_writer_open_mem(&w, &info, &wo) || pfgen_write(w, &o) || pf_writer_close(w)) {
        pf_writer_destroy(w);
        return NULL;
    }
    *data = pf_writer_mem(w, len);
    return w;
}

/* Issue: `cat a.pfcap b.pfcap` put b's records into a with a's anchors. */
static void test_concatenated(void)
{
    const uint8_t *a, *b;
    size_t al, bl;
    const int64_t day = 86400LL * 1000000000LL;
    pf_writer *wa = capture_at(700, 1700000000LL * 1000000000LL, &a, &al);
    pf_writer *wb = capture_at(900, 1700000000LL * 1000000000LL + 100 * day, &b, &bl);
    CHECK(wa && wb);
    if (!wa || !wb)
        return;
    struct outcome oa = read_capture(a, al, 0);
    uint8_t *ab = (uint8_t *)malloc(al + bl);
    memcpy(ab, a, al);
    memcpy(ab + al, b, bl);
    for (int skip = 0; skip <= 1; skip++) {
        struct outcome o = read_capture(ab, al + bl, skip);
        CHECK_EQ_U(o.concat_damage, 1);
        CHECK_EQ_U(o.seq_damage, 0);
        CHECK_EQ_U(o.st.records, oa.st.records);
        CHECK(o.st.clean_close); /* a's own footer, met on the way */
        CHECK_EQ_U(o.st.footer_records, oa.st.records);
        CHECK_EQ_U(o.st.footer_chunks, oa.st.chunks_ok);
        if (!skip) {
            CHECK_EQ_U(o.records, oa.records);
            CHECK(o.last_utc == oa.last_utc); /* nothing of b's 100 days later */
        }
    }
    /* the larger first: the smaller one's footer at the end must not cap it */
    struct outcome ob = read_capture(b, bl, 0);
    uint8_t *ba = (uint8_t *)malloc(al + bl);
    memcpy(ba, b, bl);
    memcpy(ba + bl, a, al);
    struct outcome o2 = read_capture(ba, al + bl, 0);
    CHECK_EQ_U(o2.concat_damage, 1);
    CHECK_EQ_U(o2.damage, 1);
    CHECK_EQ_U(o2.records, ob.records);
    CHECK(o2.st.clean_close);
    CHECK_EQ_U(o2.st.footer_records, ob.st.records);
    free(ba);
    /* b's magic mangled: its header block still shows a second capture */
    ab[al] = 0;
    struct outcome o = read_capture(ab, al + bl, 0);
    CHECK_EQ_U(o.concat_damage, 1);
    CHECK_EQ_U(o.records, oa.records);
    /* a cut before its footer, then b: a is not closed, b's footer not used */
    size_t cut = al - 48;
    memcpy(ab + cut, b, bl);
    o = read_capture(ab, cut + bl, 0);
    CHECK_EQ_U(o.concat_damage, 1);
    CHECK(!o.st.clean_close);
    CHECK_EQ_U(o.records, oa.records);
    free(ab);
    pf_writer_destroy(wa);
    pf_writer_destroy(wb);
}

int main(void)
{
    const uint8_t *data;
    size_t len;
    pf_writer *w = small_capture(3000, 4096, &data, &len);
    CHECK(w != NULL);
    if (!w)
        return check_result("format.integrity");
    struct chunk_map m;
    CHECK(build_chunk_map(data, len, &m) == 0);
    CHECK(m.n >= 6);
    if (m.n >= 6) {
        test_intact(data, len, &m);
        test_chunk_cut_out(data, len, &m);
        test_chunk_repeated(data, len, &m);
        test_checksum_not_double_counted(data, len, &m);
        test_odd_numbers(data, len, &m);
    }
    pf_writer_destroy(w);
    test_concatenated();
    return check_result("format.integrity");
}
