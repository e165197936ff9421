/* SPDX-License-Identifier: MIT */
/* Hostile input: lengths past the end, huge declared sizes (refused before
 * any allocation), zip-bomb chunks, unknown block and record types (skipped),
 * newer minor version (read), newer major version (refused), malformed
 * records, and magic damaged by text-mode transfers. Peak memory is printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <zstd.h>

#include "capture_util.h"
#include "../check.h"
#include "cursor.h"
#include "internal.h"
#include "raw_blocks.h"

struct file {
    struct pfc_buf b;
};

/* magic + a valid header block from the real writer */
static void start_file(struct file *f, uint16_t major, uint16_t minor)
{
    memset(f, 0, sizeof(*f));
    pf_put_bytes(&f->b, pf_magic, PF_MAGIC_LEN);
    struct pfc_buf body = {0};
    pf_put_u16(&body, major);
    pf_put_u16(&body, minor);
    pf_put_u16(&body, PF_OPT_HOSTNAME);
    pf_put_u32(&body, 7);
    pf_put_bytes(&body, "hostile", 7);
    pf_put_u16(&body, 999); /* unknown option: skipped */
    pf_put_u32(&body, 3);
    pf_put_bytes(&body, "xyz", 3);
    pf_put_u16(&body, PF_OPT_END);
    pf_put_u32(&body, 0);
    raw_block(&f->b, PF_BLOCK_HEADER, body.p, body.len);
    pfc_buf_free(&body);
}

static void add_block(struct file *f, uint32_t type, const void *body, size_t len)
{
    raw_block(&f->b, type, body, len);
}

/* A chunk block around a payload, stored (codec 0) unless z is given. */
static void add_chunk(struct file *f, uint64_t seq, uint32_t records, uint32_t raw_bytes, uint8_t codec,
                      const void *payload, size_t plen)
{
    raw_chunk(&f->b, seq, records, raw_bytes, codec, payload, plen);
}

/* payload with one marker record "ok" */
static void marker_payload(struct pfc_buf *p, uint64_t ts)
{
    pf_put_u8(p, PF_REC_MARKER);
    pf_put_zz(p, (int64_t)ts);
    pf_put_varint(p, 3);
    pf_put_varint(p, 2);
    pf_put_bytes(p, "ok", 2);
}

static void add_good_chunk(struct file *f, uint64_t seq)
{
    struct pfc_buf p = {0};
    marker_payload(&p, 1500);
    add_chunk(f, seq, 1, (uint32_t)p.len, PF_CODEC_NONE, p.p, p.len);
    pfc_buf_free(&p);
}

static void read_file(struct file *f, struct read_list *l) { read_all_mem(f->b.p, f->b.len, l); }

static void test_framing(void)
{
    struct file f;
    struct read_list l;

    /* huge declared block length, then a good chunk: refused, resynchronised */
    start_file(&f, 1, 0);
    pf_put_u32(&f.b, PF_BLOCK_CHUNK);
    pf_put_u32(&f.b, 0xFFFFFFF0u);
    pf_put_bytes(&f.b, "garbagegarbage", 14);
    add_good_chunk(&f, 0);
    read_file(&f, &l);
    CHECK_EQ_U(l.n, 1);
    CHECK_EQ_U(l.st.chunks_ok, 1);
    CHECK(l.damage_reports == 1);
    read_list_free(&l);
    pfc_buf_free(&f.b);

    /* a block that claims to run past the end of the file */
    start_file(&f, 1, 0);
    add_good_chunk(&f, 0);
    pf_put_u32(&f.b, PF_BLOCK_CHUNK);
    pf_put_u32(&f.b, 4096);
    pf_put_bytes(&f.b, "short", 5);
    read_file(&f, &l);
    CHECK_EQ_U(l.n, 1);
    CHECK_EQ_U(l.damage_reports, 1);
    read_list_free(&l);
    pfc_buf_free(&f.b);

    /* length below the minimum, and leading/trailing lengths that disagree */
    start_file(&f, 1, 0);
    pf_put_u32(&f.b, PF_BLOCK_CHUNK);
    pf_put_u32(&f.b, 3);
    add_good_chunk(&f, 0);
    size_t at = f.b.len;
    add_good_chunk(&f, 1);
    f.b.p[f.b.len - 1] ^= 0x40; /* trailing length of the second chunk */
    (void)at;
    add_good_chunk(&f, 2);
    read_file(&f, &l);
    CHECK_EQ_U(l.n, 2);
    CHECK_EQ_U(l.st.chunks_ok, 2);
    CHECK_EQ_U(l.damage_reports, 2);
    read_list_free(&l);
    pfc_buf_free(&f.b);

    /* unknown block type between chunks: skipped, counted, nothing lost */
    start_file(&f, 1, 0);
    add_good_chunk(&f, 0);
    add_block(&f, 99, "future block", 12);
    add_good_chunk(&f, 1);
    read_file(&f, &l);
    CHECK_EQ_U(l.n, 2);
    CHECK_EQ_U(l.st.blocks_unknown, 1);
    CHECK_EQ_U(l.damage_reports, 0);
    read_list_free(&l);
    pfc_buf_free(&f.b);
}

static void test_versions_and_magic(void)
{
    struct file f;
    struct read_list l;
    start_file(&f, 1, 7); /* newer minor: read */
    add_good_chunk(&f, 0);
    read_file(&f, &l);
    CHECK_EQ_U(l.open_rc, 0);
    CHECK_EQ_U(l.n, 1);
    read_list_free(&l);
    pfc_buf_free(&f.b);

    start_file(&f, 2, 0); /* newer major: refused */
    add_good_chunk(&f, 0);
    read_file(&f, &l);
    CHECK(l.open_rc == PF_E_VERSION);
    read_list_free(&l);

    /* CR LF -> LF, as a text-mode transfer would */
    struct pfc_buf m = {0};
    pf_put_bytes(&m, f.b.p, 4);
    pf_put_bytes(&m, f.b.p + 5, f.b.len - 5);
    read_all_mem(m.p, m.len, &l);
    CHECK(l.open_rc == PF_E_MANGLED);
    read_list_free(&l);
    m.p[0] = 0x09; /* high bit stripped */
    read_all_mem(m.p, m.len, &l);
    CHECK(l.open_rc == PF_E_MANGLED);
    read_list_free(&l);
    pfc_buf_free(&m);
    read_all_mem("GIF89a....", 10, &l);
    CHECK(l.open_rc == PF_E_NOT_CAPTURE);
    read_list_free(&l);
    read_all_mem("", 0, &l);
    CHECK(l.open_rc == PF_E_TRUNCATED);
    read_list_free(&l);
    pfc_buf_free(&f.b);
}

static void test_records(void)
{
    struct file f;
    struct read_list l;
    struct pfc_buf p = {0};

    /* unknown public type 50 (counted), unknown internal type 100 (not counted),
     * a known record with extra trailing bytes from a newer minor version */
    start_file(&f, 1, 0);
    pf_put_u8(&p, 50);
    pf_put_zz(&p, 1000);
    pf_put_varint(&p, 3);
    pf_put_bytes(&p, "abc", 3);
    pf_put_u8(&p, 100);
    pf_put_zz(&p, 0);
    pf_put_varint(&p, 2);
    pf_put_bytes(&p, "zz", 2);
    pf_put_u8(&p, PF_REC_MARKER);
    pf_put_zz(&p, 5);
    pf_put_varint(&p, 3 + 4);
    pf_put_varint(&p, 2);
    pf_put_bytes(&p, "ok", 2);
    pf_put_bytes(&p, "\x01\x02\x03\x04", 4); /* future fields */
    add_chunk(&f, 0, 2, (uint32_t)p.len, PF_CODEC_NONE, p.p, p.len);
    read_file(&f, &l);
    CHECK_EQ_U(l.n, 1);
    CHECK_EQ_U(l.st.records_unknown, 1);
    CHECK_EQ_U(l.damage_reports, 0);
    CHECK(l.n == 1 && l.v[0].rec.ts_ns == 1005 && l.v[0].rec.u.marker.text_len == 2);
    read_list_free(&l);
    pfc_buf_free(&f.b);

    /* a traffic record that names an undefined flow: chunk damaged after the good record */
    p.len = 0;
    start_file(&f, 1, 0);
    marker_payload(&p, 10);
    pf_put_u8(&p, PF_REC_TRAFFIC);
    pf_put_zz(&p, 1);
    pf_put_varint(&p, 2);
    pf_put_varint(&p, 5); /* flow 5: never defined */
    pf_put_u8(&p, 0);
    add_chunk(&f, 0, 2, (uint32_t)p.len, PF_CODEC_NONE, p.p, p.len);
    add_good_chunk(&f, 1);
    read_file(&f, &l);
    CHECK_EQ_U(l.n, 2); /* the marker before it, and the next chunk */
    CHECK_EQ_U(l.st.chunks_damaged, 1);
    CHECK_EQ_U(l.damage_reports, 1);
    read_list_free(&l);
    pfc_buf_free(&f.b);

    /* FLOW_DEF zones: one present and one missing, or one over 32 bits:
     * damaged; both present: a traffic record on the scoped flow reads back */
    for (int variant = 0; variant < 3; variant++) {
        p.len = 0;
        start_file(&f, 1, 0);
        marker_payload(&p, 10);
        struct pfc_buf def = {0};
        pf_put_varint(&def, 9); /* pid */
        pf_put_varint(&def, 0); /* pid_start_ns */
        pf_put_varint(&def, 1); /* sock_id */
        pf_put_u8(&def, PF_PROTO_UDP);
        pf_put_u8(&def, PF_AF_INET6);
        uint8_t ll[16] = {0xfe, 0x80};
        ll[15] = 1;
        pf_put_bytes(&def, ll, 16);
        pf_put_u16(&def, 53);
        pf_put_bytes(&def, ll, 16);
        pf_put_u16(&def, 53);
        pf_put_varint(&def, 0); /* netns: unknown */
        pf_put_varint(&def, 5); /* local zone */
        if (variant == 1)
            pf_put_varint(&def, 0x100000000ull);
        if (variant == 2)
            pf_put_varint(&def, 6);
        pf_put_u8(&p, PF_REC_FLOW_DEF);
        pf_put_zz(&p, 0);
        pf_put_varint(&p, def.len);
        pf_put_bytes(&p, def.p, def.len);
        pf_put_u8(&p, PF_REC_TRAFFIC);
        pf_put_zz(&p, 1);
        pf_put_varint(&p, 2);
        pf_put_varint(&p, 0); /* flow 0 */
        pf_put_u8(&p, 0);     /* nothing present */
        add_chunk(&f, 0, 2, (uint32_t)p.len, PF_CODEC_NONE, p.p, p.len);
        read_file(&f, &l);
        if (variant < 2) {
            CHECK_EQ_U(l.n, 1); /* the marker before it */
            CHECK_EQ_U(l.st.chunks_damaged, 1);
        } else {
            CHECK_EQ_U(l.n, 2);
            CHECK_EQ_U(l.st.chunks_damaged, 0);
            if (l.n == 2)
                CHECK(l.v[1].rec.u.traffic.key.local.scope_id == 5 && l.v[1].rec.u.traffic.key.remote.scope_id == 6);
        }
        read_list_free(&l);
        pfc_buf_free(&f.b);
        pfc_buf_free(&def);
    }

    /* record count in the header disagrees with the payload */
    p.len = 0;
    start_file(&f, 1, 0);
    marker_payload(&p, 10);
    add_chunk(&f, 0, 1, (uint32_t)p.len, PF_CODEC_NONE, p.p, p.len); /* fine */
    add_chunk(&f, 1, 0, (uint32_t)p.len, PF_CODEC_NONE, p.p, p.len); /* claims 0 */
    p.len = 0;
    for (int i = 0; i < 3; i++)
        marker_payload(&p, 10);
    add_chunk(&f, 2, 1, (uint32_t)p.len, PF_CODEC_NONE, p.p, p.len); /* claims 1 of 3 */
    read_file(&f, &l);
    CHECK_EQ_U(l.st.chunks_ok, 1);
    CHECK_EQ_U(l.st.chunks_damaged, 2);
    read_list_free(&l);
    pfc_buf_free(&f.b);

    /* overlong varint, string longer than its body, string over the cap */
    const uint8_t overlong[] = {PF_REC_MARKER, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 1, 0};
    const uint8_t longstr[] = {PF_REC_MARKER, 0, 2, 0x7f, 'a'};
    const uint8_t capstr[] = {PF_REC_MARKER, 0, 5, 0x80, 0x80, 0x80, 0x10, 'a'};
    const uint8_t *cases[] = {overlong, longstr, capstr};
    size_t lens[] = {sizeof(overlong), sizeof(longstr), sizeof(capstr)};
    for (int i = 0; i < 3; i++) {
        start_file(&f, 1, 0);
        add_chunk(&f, 0, 1, (uint32_t)lens[i], PF_CODEC_NONE, cases[i], lens[i]);
        add_good_chunk(&f, 1);
        read_file(&f, &l);
        CHECK_EQ_U(l.n, 1);
        CHECK_EQ_U(l.st.chunks_damaged, 1);
        read_list_free(&l);
        pfc_buf_free(&f.b);
    }
    /* FLOW_DEF netns (1.1): present with future bytes after it, cut inside its varint */
    for (int cut = 0; cut < 2; cut++) {
        p.len = 0;
        start_file(&f, 1, 1);
        marker_payload(&p, 10);
        const uint8_t def[] = {7, 0, 9, PF_PROTO_UDP, PF_AF_INET, 192, 0, 2, 1, 0x35, 0, 198, 51, 100, 2, 0x36, 0};
        /* netns 17460, both zones 0, then a future field */
        uint8_t tail[6] = {0xb4, 0x88, 0x01, 0x00, 0x00, 0x2a};
        size_t tail_len = cut ? 1 : 6; /* cut: only the first varint byte */
        if (cut)
            tail[0] = 0x80;
        pf_put_u8(&p, 0x40);
        pf_put_zz(&p, 0);
        pf_put_varint(&p, sizeof def + tail_len);
        pf_put_bytes(&p, def, sizeof def);
        pf_put_bytes(&p, tail, tail_len);
        const uint8_t traffic[] = {0, 0x04, 5}; /* flow 0, bytes_recv 5 */
        pf_put_u8(&p, PF_REC_TRAFFIC);
        pf_put_zz(&p, 1);
        pf_put_varint(&p, sizeof traffic);
        pf_put_bytes(&p, traffic, sizeof traffic);
        add_chunk(&f, 0, 2, (uint32_t)p.len, PF_CODEC_NONE, p.p, p.len);
        read_file(&f, &l);
        CHECK_EQ_U(l.n, cut ? 1 : 2);
        CHECK_EQ_U(l.st.chunks_damaged, cut ? 1 : 0);
        if (!cut && l.n == 2) {
            CHECK_EQ_U(l.v[1].rec.u.traffic.key.netns, 17460);
            CHECK_EQ_U(l.v[1].rec.u.traffic.key.pid, 7);
            CHECK_EQ_U(l.v[1].rec.u.traffic.bytes_recv, 5);
        }
        read_list_free(&l);
        pfc_buf_free(&f.b);
    }
    /* more records than bytes can hold: refused from the header alone */
    start_file(&f, 1, 0);
    add_chunk(&f, 0, 0x7fffffff, 16, PF_CODEC_NONE, "0123456789abcdef", 16);
    read_file(&f, &l);
    CHECK_EQ_U(l.st.chunks_damaged, 1);
    read_list_free(&l);
    pfc_buf_free(&f.b);
    pfc_buf_free(&p);
}

/* A zstd frame of `size` zero bytes made without holding them in memory. */
static void zero_frame(struct pfc_buf *out, uint64_t size)
{
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_CCtx_setPledgedSrcSize(cc, size);
    static uint8_t zeros[1 << 16];
    uint8_t buf[1 << 16];
    uint64_t left = size;
    for (;;) {
        size_t n = left > sizeof(zeros) ? sizeof(zeros) : (size_t)left;
        left -= n;
        ZSTD_inBuffer in = {zeros, n, 0};
        ZSTD_EndDirective mode = left ? ZSTD_e_continue : ZSTD_e_end;
        size_t rem;
        do {
            ZSTD_outBuffer o = {buf, sizeof(buf), 0};
            rem = ZSTD_compressStream2(cc, &o, &in, mode);
            pf_put_bytes(out, buf, o.pos);
        } while (in.pos < in.size || (mode == ZSTD_e_end && rem != 0));
        if (!left)
            break;
    }
    ZSTD_freeCCtx(cc);
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void test_bombs(void)
{
    struct file f;
    struct read_list l;
    struct pfc_buf z = {0};
    zero_frame(&z, 4ull << 30); /* 4 GiB of zeros in a few hundred KiB */
    printf("zip bomb: 4 GiB declared in a %zu-byte frame\n", z.len);
    long before = peak_rss_kib();

    start_file(&f, 1, 0);
    add_chunk(&f, 0, 1, (uint32_t)-1, PF_CODEC_ZSTD, z.p, z.len); /* raw_bytes over the cap */
    add_chunk(&f, 1, 1, 64, PF_CODEC_ZSTD, z.p, z.len);           /* frame size != raw_bytes */
    add_good_chunk(&f, 2);
    read_file(&f, &l);
    CHECK_EQ_U(l.n, 1);
    CHECK_EQ_U(l.st.chunks_damaged, 2);
    read_list_free(&l);
    pfc_buf_free(&f.b);

    /* a frame that is within the cap but lies about its size */
    struct pfc_buf small = {0};
    zero_frame(&small, 1000);
    start_file(&f, 1, 0);
    add_chunk(&f, 0, 1, 2000, PF_CODEC_ZSTD, small.p, small.len);
    add_chunk(&f, 1, 1, 1000, PF_CODEC_ZSTD, small.p, small.len - 1); /* cut frame */
    add_chunk(&f, 2, 1, 1000, 7, small.p, small.len);                 /* unknown codec */
    read_file(&f, &l);
    CHECK_EQ_U(l.n, 0);
    CHECK_EQ_U(l.st.chunks_damaged, 3);
    read_list_free(&l);
    pfc_buf_free(&f.b);

    long after = peak_rss_kib();
    printf("peak RSS while reading hostile chunks: %ld KiB before, %ld KiB after (growth %ld KiB)\n", before, after,
           after - before);
    CHECK(after - before < 16 * 1024); /* nothing near the declared sizes was allocated */
    pfc_buf_free(&z);
    pfc_buf_free(&small);
}

int main(void)
{
    test_framing();
    test_versions_and_magic();
    test_records();
    test_bombs();
    return check_result("test_hostile");
}
