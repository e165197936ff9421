/* SPDX-License-Identifier: MIT */
/* Hostile sizes: capture and .etl files that claim huge sizes (block
 * lengths near 2^32, varints near 2^64, record counts, string lengths, an
 * index of 2^32 entries), nest (100,000 header options, a chunk inside a
 * chunk, flow definitions past the per-chunk cap) or hide zip bombs (tiny
 * compressed chunks declaring 4 GiB or 1 TiB, one declaring 1 MiB that
 * really expands to 4 GiB, one without a declared size, and a legal chunk at
 * the 64 MiB cap; XPRESS buffers at the .etl cap of 16 MiB).
 *
 * Each file goes through `procflow-analyze verify` and `ingest` as child
 * processes. Damage must come out as one line naming the file, the offset
 * and the field at fault; the peak resident memory of each child
 * (ru_maxrss) must stay under the bound stated per file: 64 MiB for
 * anything refused before allocating, and the format's own caps plus that
 * for files that legally use them (a 64 MiB chunk; 1,048,576 flows per
 * chunk; two 16 MiB .etl buffers).
 *
 *   test_sizes PROCFLOW-ANALYZE WORKDIR */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>
#include <zstd.h>

#include "cursor.h"
#include "etl_build.h"
#include "hostile_util.h"
#include "internal.h"
#include "raw_blocks.h"
#include "procflow/etl.h"

/* An argv entry from a string the callee only reads (execv's prototype
 * asks for char *). */
static char *argv_str(const char *s)
{
    union {
        const char *c;
        char *m;
    } u = {.c = s};
    return u.m;
}

#define TEST "hostile.sizes"
#define MIB (1024.0 * 1024.0)
#define BASE_BOUND_MIB 64
/* Sanitizer builds keep freed memory in quarantine and add shadow memory:
 * their peaks say little, so only release builds hold the bounds. */
#ifdef PF_HOSTILE_SANITIZED
#define SLACK_MIB 512
#else
#define SLACK_MIB 0
#endif

/* ------------------------------------------------------------ capture bytes */

struct file {
    struct pfc_buf b;
};

static void block(struct file *f, uint32_t type, const void *body, size_t len) { raw_block(&f->b, type, body, len); }

/* Magic and a header block with a host name and a uuid; `extra` options
 * (code 999, empty) are appended before END. */
static void start(struct file *f, uint8_t uuid_tag, size_t extra)
{
    memset(f, 0, sizeof *f);
    pf_put_bytes(&f->b, pf_magic, PF_MAGIC_LEN);
    struct pfc_buf h = {0};
    pf_put_u16(&h, PF_FORMAT_MAJOR);
    pf_put_u16(&h, PF_FORMAT_MINOR);
    pf_put_u16(&h, PF_OPT_HOSTNAME);
    pf_put_u32(&h, 7);
    pf_put_bytes(&h, "hostile", 7);
    uint8_t uuid[16];
    for (int i = 0; i < 16; i++)
        uuid[i] = (uint8_t)(0xa0 + i + uuid_tag);
    pf_put_u16(&h, PF_OPT_UUID);
    pf_put_u32(&h, 16);
    pf_put_bytes(&h, uuid, 16);
    for (size_t i = 0; i < extra; i++) {
        pf_put_u16(&h, 999);
        pf_put_u32(&h, 0);
    }
    pf_put_u16(&h, PF_OPT_END);
    pf_put_u32(&h, 0);
    block(f, PF_BLOCK_HEADER, h.p, h.len);
    pfc_buf_free(&h);
}

static void chunk(struct file *f, uint64_t seq, uint32_t records, uint32_t raw_bytes, uint8_t codec,
                  const void *payload, size_t plen)
{
    raw_chunk(&f->b, seq, records, raw_bytes, codec, payload, plen);
}

/* One marker "ok" at t=1500, stored: the good chunk around hostile ones. */
static void good_chunk(struct file *f, uint64_t seq)
{
    struct pfc_buf p = {0};
    pf_put_u8(&p, PF_REC_MARKER);
    pf_put_zz(&p, 1500);
    pf_put_varint(&p, 3);
    pf_put_varint(&p, 2);
    pf_put_bytes(&p, "ok", 2);
    chunk(f, seq, 1, (uint32_t)p.len, 0, p.p, p.len);
    pfc_buf_free(&p);
}

/* ------------------------------------------------------------ zstd frames by hand
 * (RFC 8878): a frame header, then raw and RLE blocks. An RLE block is 4
 * bytes for up to 128 KiB of output, so gigabytes fit in a small file. */

#define ZBLOCK (128u * 1024u)

/* fcs_bytes 0 (no content size), 4 or 8; window 1 MiB. */
static void zheader(struct pfc_buf *b, uint64_t fcs, int fcs_bytes)
{
    pf_put_u32(b, 0xFD2FB528u);
    uint8_t fhd = (uint8_t)((fcs_bytes == 8 ? 3 : fcs_bytes == 4 ? 2 : 0) << 6);
    pf_put_u8(b, fhd);
    pf_put_u8(b, (uint8_t)((20 - 10) << 3)); /* window descriptor: 2^20 */
    if (fcs_bytes == 4)
        pf_put_u32(b, (uint32_t)fcs);
    else if (fcs_bytes == 8)
        pf_put_u64(b, fcs);
}

static void zblock_hdr(struct pfc_buf *b, int last, int type, uint32_t size)
{
    uint32_t h = (uint32_t)last | (uint32_t)type << 1 | size << 3;
    pf_put_u8(b, (uint8_t)h);
    pf_put_u8(b, (uint8_t)(h >> 8));
    pf_put_u8(b, (uint8_t)(h >> 16));
}

static void zraw(struct pfc_buf *b, int last, const void *data, uint32_t n)
{
    zblock_hdr(b, last, 0, n);
    pf_put_bytes(b, data, n);
}

/* `total` bytes of `byte` as RLE blocks; `last` marks the frame's end. */
static void zrle(struct pfc_buf *b, int last, uint8_t byte, uint64_t total)
{
    while (total) {
        uint32_t n = total > ZBLOCK ? ZBLOCK : (uint32_t)total;
        total -= n;
        zblock_hdr(b, last && !total, 1, n);
        pf_put_u8(b, byte);
    }
}

/* ------------------------------------------------------------ cases */

enum want { W_DAMAGED, W_VALID, W_REFUSED };

struct hcase {
    const char *name; /* figure text */
    const char *file; /* file name in the work folder */
    int want;         /* enum want */
    uint64_t offset;  /* where the damage is reported */
    char what[160];   /* text the one-line message must hold */
    double bound_mib; /* peak RSS bound of each child */
    double peak_mib;  /* measured: the larger of verify and ingest */
    int passed;       /* right verdict, within the bound */
    uint8_t *data;
    size_t len;
};

static void take(struct hcase *c, struct file *f)
{
    c->data = f->b.bytes;
    c->len = f->b.len;
    f->b.p = NULL;
}

/* A block whose total_length is 4294967280, then a good chunk. */
static void c_block_len(struct hcase *c)
{
    struct file f;
    start(&f, 1, 0);
    c->offset = f.b.len;
    pf_put_u32(&f.b, PF_BLOCK_CHUNK);
    pf_put_u32(&f.b, 0xFFFFFFF0u);
    pf_put_bytes(&f.b, "claims four gigabytes", 21);
    good_chunk(&f, 0);
    snprintf(c->what, sizeof c->what, "block at offset %llu: %s (type 2, length 4294967280)",
             (unsigned long long)c->offset, pf_strerror(PF_E_TOO_BIG));
    take(c, &f);
}

/* A record whose body length varint says 2^64 - 1. */
static void c_varint(struct hcase *c)
{
    struct file f;
    start(&f, 2, 0);
    struct pfc_buf p = {0};
    pf_put_u8(&p, PF_REC_MARKER);
    pf_put_zz(&p, 10);
    pf_put_varint(&p, UINT64_MAX);
    pf_put_bytes(&p, "xx", 2);
    c->offset = f.b.len;
    chunk(&f, 0, 1, (uint32_t)p.len, 0, p.p, p.len);
    snprintf(c->what, sizeof c->what, "record length 18446744073709551615 runs past the chunk (2 bytes left)");
    pfc_buf_free(&p);
    take(c, &f);
}

static void c_records(struct hcase *c)
{
    struct file f;
    start(&f, 3, 0);
    uint8_t payload[8] = {PF_REC_MARKER, 0, 1, 0};
    c->offset = f.b.len;
    chunk(&f, 0, 0xFFFFFFFFu, sizeof payload, 0, payload, sizeof payload);
    good_chunk(&f, 1);
    snprintf(c->what, sizeof c->what, "chunk 0 at offset %llu: 4294967295 records cannot fit in 8 bytes",
             (unsigned long long)c->offset);
    take(c, &f);
}

/* A process record whose comm claims `len` bytes (`have` follow). */
static void c_string(struct hcase *c, uint8_t tag, uint64_t len, size_t have)
{
    struct file f;
    start(&f, tag, 0);
    struct pfc_buf body = {0}, p = {0};
    pf_put_u8(&body, PF_PROC_START);
    for (int i = 0; i < 5; i++)
        pf_put_varint(&body, 1); /* pid ppid start parent_start uid */
    pf_put_zz(&body, 0);
    pf_put_varint(&body, len);
    for (size_t i = 0; i < have; i++)
        pf_put_u8(&body, 'c');
    pf_put_u8(&p, PF_REC_PROCESS);
    pf_put_zz(&p, 10);
    pf_put_varint(&p, body.len);
    pf_put_bytes(&p, body.p, body.len);
    c->offset = f.b.len;
    chunk(&f, 0, 1, (uint32_t)p.len, 0, p.p, p.len);
    if (len > PF_MAX_STRING_BYTES)
        snprintf(c->what, sizeof c->what, "comm length %llu exceeds the %u-byte string limit", (unsigned long long)len,
                 PF_MAX_STRING_BYTES);
    else
        snprintf(c->what, sizeof c->what, "comm length %llu runs past the record body (%zu bytes left)",
                 (unsigned long long)len, have);
    pfc_buf_free(&body);
    pfc_buf_free(&p);
    take(c, &f);
}

/* A header option that claims 4294967295 bytes. */
static void c_option(struct hcase *c)
{
    struct file f;
    memset(&f, 0, sizeof f);
    pf_put_bytes(&f.b, pf_magic, PF_MAGIC_LEN);
    struct pfc_buf h = {0};
    pf_put_u16(&h, PF_FORMAT_MAJOR);
    pf_put_u16(&h, PF_FORMAT_MINOR);
    pf_put_u16(&h, PF_OPT_HOSTNAME);
    pf_put_u32(&h, 0xFFFFFFFFu);
    pf_put_bytes(&h, "short", 5);
    c->offset = f.b.len;
    block(&f, PF_BLOCK_HEADER, h.p, h.len);
    good_chunk(&f, 0);
    snprintf(c->what, sizeof c->what,
             "header block: option 1 at body offset 4: length 4294967295 runs past the block (5 left)");
    pfc_buf_free(&h);
    take(c, &f);
}

/* Index of 4294967295 entries in a 4-byte body; the footer claims 2^64 - 1
 * chunks and records. */
static void c_index(struct hcase *c)
{
    struct file f;
    start(&f, 4, 0);
    good_chunk(&f, 0);
    c->offset = f.b.len;
    uint8_t count[4] = {0xff, 0xff, 0xff, 0xff};
    block(&f, PF_BLOCK_INDEX, count, 4);
    uint8_t foot[PF_FOOTER_BODY];
    pfc_store_le64(foot, c->offset);
    pfc_store_le64(foot + 8, UINT64_MAX);
    pfc_store_le64(foot + 16, UINT64_MAX);
    memcpy(foot + 24, pf_footer_magic, 8);
    block(&f, PF_BLOCK_FOOTER, foot, sizeof foot);
    snprintf(c->what, sizeof c->what,
             "index block at offset %llu: count 4294967295 entries needs 154618822624 bytes, the body has 4",
             (unsigned long long)c->offset);
    take(c, &f);
}

/* A zstd chunk: the chunk header says `raw_bytes`, the frame header `fcs`
 * (in 0, 4 or 8 bytes), and the blocks really hold `holds` zero bytes. */
static void c_zstd(struct hcase *c, uint8_t tag, uint32_t raw_bytes, uint64_t fcs, int fcs_bytes, uint64_t holds)
{
    struct file f;
    start(&f, tag, 0);
    struct pfc_buf z = {0};
    zheader(&z, fcs, fcs_bytes);
    zrle(&z, 1, 0, holds);
    c->offset = f.b.len;
    chunk(&f, 0, 1, raw_bytes, 1, z.p, z.len);
    good_chunk(&f, 1);
    pfc_buf_free(&z);
    take(c, &f);
}

/* A legal chunk at the 64 MiB cap: one record of an unknown public type
 * whose body is 64 MiB of zeros, from a frame of a few KiB. */
static void c_zstd_cap(struct hcase *c)
{
    struct file f;
    start(&f, 9, 0);
    const uint32_t raw = PF_MAX_CHUNK_RAW_BYTES;
    uint8_t head[16];
    struct pfc_buf h = {0};
    pf_put_u8(&h, 50); /* unknown public type: skipped by length */
    pf_put_zz(&h, 1500);
    pf_put_varint(&h, raw - 7); /* 1 + 2 + 4 header bytes */
    if (h.len != 7)
        abort();
    memcpy(head, h.p, h.len);
    size_t hl = h.len;
    pfc_buf_free(&h);
    struct pfc_buf z = {0};
    zheader(&z, raw, 4);
    zraw(&z, 0, head, (uint32_t)hl);
    zrle(&z, 1, 0, raw - hl);
    c->offset = f.b.len;
    chunk(&f, 0, 1, raw, 1, z.p, z.len);
    good_chunk(&f, 1);
    pfc_buf_free(&z);
    take(c, &f);
}

/* A chunk whose payload is a whole chunk block (with its framing). */
static void c_nested_chunk(struct hcase *c)
{
    struct file inner;
    memset(&inner, 0, sizeof inner);
    good_chunk(&inner, 7);
    struct file f;
    start(&f, 10, 0);
    c->offset = f.b.len;
    chunk(&f, 0, 1, (uint32_t)inner.b.len, 0, inner.b.p, inner.b.len);
    good_chunk(&f, 1);
    pfc_buf_free(&inner.b);
    /* the inner block's type field reads as a socket record with an empty body */
    snprintf(c->what, sizeof c->what, "socket record body ends inside its fields");
    take(c, &f);
}

/* 100,000 options inside the header: legal, skipped one by one. */
static void c_options(struct hcase *c)
{
    struct file f;
    start(&f, 11, 100000);
    good_chunk(&f, 0);
    take(c, &f);
}

/* One flow definition more than a chunk may hold, zstd-compressed. */
static void c_flows(struct hcase *c)
{
    struct pfc_buf p = {0};
    for (uint32_t i = 0; i <= PF_MAX_CHUNK_FLOWS; i++) {
        pf_put_u8(&p, PF_REC_FLOW_DEF);
        pf_put_zz(&p, 0);
        size_t at = p.len;
        pf_put_u8(&p, 0); /* body length, patched */
        pf_put_varint(&p, 1 + i % 1000);
        pf_put_varint(&p, 0);
        pf_put_varint(&p, i);
        pf_put_u8(&p, PF_PROTO_TCP);
        pf_put_u8(&p, PF_AF_INET);
        pf_put_u32(&p, 0x0a00000a);
        pf_put_u16(&p, 40000);
        pf_put_u32(&p, 0x0100710b);
        pf_put_u16(&p, (uint16_t)i);
        if (!p.err)
            p.bytes[at] = (uint8_t)(p.len - at - 1);
    }
    size_t cap = ZSTD_compressBound(p.len);
    uint8_t *z = malloc(cap);
    size_t zn = z ? ZSTD_compress(z, cap, p.p, p.len, 3) : 0;
    struct file f;
    start(&f, 12, 0);
    c->offset = f.b.len;
    if (z && !ZSTD_isError(zn) && !p.err)
        chunk(&f, 0, 0, (uint32_t)p.len, 1, z, zn);
    good_chunk(&f, 1);
    snprintf(c->what, sizeof c->what, "more than %u flow definitions in one chunk", PF_MAX_CHUNK_FLOWS);
    free(z);
    pfc_buf_free(&p);
    take(c, &f);
}

/* ------------------------------------------------------------ .etl */

static const uint8_t A4[4] = {192, 0, 2, 1}, B4[4] = {203, 0, 113, 9};

/* A small trace: logfile header, then `n` buffers of TCP sends. */
static uint8_t *etl_trace(unsigned psize, unsigned bufsize, int compress, unsigned sends, size_t *len)
{
    struct etlb b = {0};
    uint8_t p[512];
    etlb_begin(&b, psize, bufsize, compress, 19041, 132223104000000000LL, 10000000u, 5000000);
    for (unsigned i = 0; i < sends; i++) {
        size_t n = etlb_net_payload(p, psize, 0, 40, 100 + i, B4, A4, 443, 40000, 0x70, 1);
        etlb_sys(&b, psize == 8 ? ETLB_SYSTEM64 : ETLB_SYSTEM32, 6, 10, 2, 40, 5000000 + 10 * i, p, n);
    }
    return etlb_finish(&b, len);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Offset of the second buffer (the first one's size field tells). */
static size_t second_buffer(const uint8_t *d) { return rd32(d); }

static void c_etl_bufsize(struct hcase *c)
{
    c->data = etl_trace(4, 1024, 0, 40, &c->len);
    if (!c->data)
        return;
    c->offset = second_buffer(c->data);
    pfc_store_le32(c->data + c->offset, 0xFFFFFFF0u);
    snprintf(c->what, sizeof c->what, "buffer size 4294967280 out of range [72, 16777216]");
}

static void c_etl_filled(struct hcase *c)
{
    c->data = etl_trace(8, 1024, 1, 40, &c->len);
    if (!c->data)
        return;
    c->offset = second_buffer(c->data);
    pfc_store_le32(c->data + c->offset + 0x30, 0xFFFFFFFFu);
    snprintf(c->what, sizeof c->what, "compressed buffer: decompressed size 4294967295 out of range [72, 1024]");
}

/* The first event of the second buffer (the first holds only the logfile
 * header) claims 65535 bytes. */
static void c_etl_event(struct hcase *c)
{
    c->data = etl_trace(4, 1024, 0, 3, &c->len);
    if (!c->data)
        return;
    size_t ev = second_buffer(c->data) + 0x48;
    c->data[ev + 4] = 0xff;
    c->data[ev + 5] = 0xff;
    c->offset = ev;
    snprintf(c->what, sizeof c->what, "event size 65535 out of range [32, ");
}

/* XPRESS at the .etl cap: the logfile header allows 16 MiB buffers, and
 * four compressed buffers of about 200 bytes each expand to 16 MiB: the
 * events of a real buffer as literals, then one match (offset 1, length
 * in the 32-bit form of MS-XCA) repeating 0xff, the unused-space filler. */
static void c_etl_cap(struct hcase *c)
{
    size_t plain_len;
    uint8_t *plain = etl_trace(4, 1024, 0, 3, &plain_len);
    if (!plain)
        return;
    const uint32_t cap = PF_ETL_MAX_BUFFER_BYTES;
    size_t second = second_buffer(plain);
    const uint8_t *hdr = plain + second;
    uint32_t used = rd32(hdr + 0x30);
    struct pfc_buf out = {0};
    pf_put_bytes(&out, plain, second);     /* the logfile-header buffer */
    pfc_store_le32(out.bytes + 0x68, cap); /* TRACE_LOGFILE_HEADER.BufferSize */
    for (int k = 0; k < 4; k++) {
        struct pfc_buf z = {0};
        size_t flag_at = 0;
        int nflags = 0;
        uint32_t flags = 0;
        /* items: literals, one 0xff literal, the match; flag bit 1 = match */
        size_t nlit = used - 0x48 + 1;
        for (size_t i = 0; i <= nlit; i++) {
            if (nflags == 0) {
                if (i)
                    pfc_store_le32(z.bytes + flag_at, flags);
                flag_at = z.len;
                pf_put_u32(&z, 0);
                flags = 0;
                nflags = 32;
            }
            nflags--;
            if (i < nlit - 1) {
                pf_put_u8(&z, hdr[0x48 + i]);
            } else if (i == nlit - 1) {
                pf_put_u8(&z, 0xff);
            } else {
                flags |= 1u << nflags;
                pf_put_u16(&z, 7);  /* offset 1, length 7: more follows */
                pf_put_u8(&z, 15);  /* length nibble 15: a byte follows */
                pf_put_u8(&z, 255); /* 255: a 16-bit length follows */
                pf_put_u16(&z, 0);  /* 0: a 32-bit length follows */
                pf_put_u32(&z, (uint32_t)(cap - used - 1 - 3));
            }
        }
        flags |= (1u << nflags) - 1; /* the rest: end of input */
        pfc_store_le32(z.bytes + flag_at, flags);
        size_t at = out.len;
        pf_put_bytes(&out, hdr, 0x48);
        pf_put_bytes(&out, z.p, z.len);
        pfc_store_le32(out.bytes + at, (uint32_t)(0x48 + z.len)); /* size on disk */
        pfc_store_le32(out.bytes + at + 0x30, cap);               /* decompressed */
        out.p[at + 0x34] |= 0x40;                                 /* compressed */
        pfc_buf_free(&z);
    }
    free(plain);
    c->data = out.bytes;
    c->len = out.len;
}

/* ------------------------------------------------------------ running */

struct ctx {
    const char *analyze, *work;
    long baseline_kib;
};

static double mib(long kib) { return (double)kib / 1024.0; }

static long damaged_chunks(const char *db)
{
    sqlite3 *h;
    long v = -1;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(h, "SELECT chunks_damaged FROM captures", -1, &st, NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW)
                v = (long)sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
    }
    sqlite3_close(h);
    return v;
}

/* The line of `out` holding `needle`, which must be one whole line that
 * starts with the file's path. */
static int one_line(const char *out, size_t n, const char *path, const char *needle)
{
    const char *p = hu_find(out, n, needle, strlen(needle));
    if (!p)
        return 0;
    const char *bol = p;
    while (bol > out && bol[-1] != '\n' && bol[-1] != '\r')
        bol--;
    return !strncmp(bol, path, strlen(path));
}

static void run_case(const struct ctx *x, struct hcase *c)
{
    if (!c->data) {
        CHECK(!"hostile file built");
        return;
    }
    char path[4096], db[4096];
    snprintf(path, sizeof path, "%s/%s", x->work, c->file);
    snprintf(db, sizeof db, "%s/%s.db", x->work, c->file);
    remove(db);
    if (hu_write_file(path, c->data, c->len)) {
        CHECK(!"hostile file written");
        return;
    }
    char *va[] = {argv_str(x->analyze), "verify", path, NULL};
    char *ia[] = {argv_str(x->analyze), "ingest", path, "-d", db, NULL};
    struct hu_run v, in;
    if (hu_run(x->work, va, &v) || hu_run(x->work, ia, &in)) {
        CHECK(!"procflow-analyze runs");
        return;
    }
    int ok = 1;
    char at[64];
    snprintf(at, sizeof at, ": offset %llu: ", (unsigned long long)c->offset);
    if (c->want == W_DAMAGED) {
        /* verify: exit 1 and "PATH: offset N: chunk S: WHAT" on one line;
         * ingest: keeps the rest, says the same on stderr, flags the capture */
        int v_ok = v.status == 1 && one_line(v.out, v.out_len, path, c->what) && one_line(v.out, v.out_len, path, at) &&
                   hu_find(v.out, v.out_len, "DAMAGED", 7);
        int i_ok = in.status == 0 && one_line(in.err, in.err_len, path, c->what) && damaged_chunks(db) >= 1;
        if (!v_ok || !i_ok)
            fprintf(stderr, "%s: verify exit %d:\n%s\ningest exit %d:\n%s\n", c->name, v.status, v.out, in.status,
                    in.err);
        ok = v_ok && i_ok;
    } else if (c->want == W_VALID) {
        ok = v.status == 0 && in.status == 0 && damaged_chunks(db) == 0;
        if (!ok)
            fprintf(stderr, "%s: verify exit %d: %s\ningest exit %d: %s\n", c->name, v.status, v.out, in.status,
                    in.err);
    }
    CHECK(ok);
    long peak = v.maxrss_kib > in.maxrss_kib ? v.maxrss_kib : in.maxrss_kib;
    int within = mib(peak) < c->bound_mib + SLACK_MIB;
    if (!within)
        fprintf(stderr, "%s: peak RSS %.1f MiB over the %.0f MiB bound\n", c->name, mib(peak), c->bound_mib);
    CHECK(within);
    /* per file on stdout; the suite's table gets the summary (main) */
    printf("figure: %s: %.1f MiB peak RSS (bound %.0f), %s\n", c->name, mib(peak), c->bound_mib,
           !ok                  ? "WRONG RESULT"
           : c->want == W_VALID ? "valid"
                                : "rejected");
    c->peak_mib = mib(peak);
    c->passed = ok && within;
    printf("  %s (%zu bytes): verify exit %d, %.2f s, %.1f MiB; ingest exit %d, %.2f s, %.1f MiB\n", c->file, c->len,
           v.status, v.secs, mib(v.maxrss_kib), in.status, in.secs, mib(in.maxrss_kib));
    hu_run_free(&v);
    hu_run_free(&in);
}

int main(int argc, char **argv)
{
    hu_launcher(argc, argv);
    if (argc != 3) {
        fprintf(stderr, "usage: test_sizes PROCFLOW-ANALYZE WORKDIR\n");
        return 2;
    }
    struct ctx x = {argv[1], argv[2], 0};
    if (mkdir(x.work, 0700) && errno != EEXIST) {
        perror(x.work);
        return 1;
    }
    const double B = BASE_BOUND_MIB;
    const double chunk_cap = PF_MAX_CHUNK_RAW_BYTES / MIB;
    /* the reader's flow table at the cap, and the raw buffer that held it */
    const double flow_cap = (double)PF_MAX_CHUNK_FLOWS * sizeof(struct pf_flow_key) / MIB + 32;
    struct hcase cases[] = {
        {"block total_length 4294967280 (near 2^32)", "block-len.pfcap", W_DAMAGED, .bound_mib = B},
        {"record length varint 2^64-1", "varint.pfcap", W_DAMAGED, .bound_mib = B},
        {"chunk record count 4294967295", "records.pfcap", W_DAMAGED, .bound_mib = B},
        {"string length 2^63", "str-2e63.pfcap", W_DAMAGED, .bound_mib = B},
        {"string length 16 MiB + 1 (over the limit)", "str-16m.pfcap", W_DAMAGED, .bound_mib = B},
        {"string length 1000 with 3 bytes left", "str-past.pfcap", W_DAMAGED, .bound_mib = B},
        {"header option length 4294967295", "option.pfcap", W_DAMAGED, .bound_mib = B},
        {"index of 2^32-1 entries, footer counts 2^64-1", "index.pfcap", W_DAMAGED, .bound_mib = B},
        {"zip bomb: raw_bytes 4 GiB, frame 4 GiB of RLE", "zip-4g.pfcap", W_DAMAGED, .bound_mib = B},
        {"zip bomb: frame declares 1 TiB, raw_bytes 1 MiB", "zip-1t.pfcap", W_DAMAGED, .bound_mib = B},
        {"zip bomb: declares 1 MiB, expands to 4 GiB", "zip-lies.pfcap", W_DAMAGED, .bound_mib = B},
        {"zip bomb: no declared size, 4 GiB", "zip-nosize.pfcap", W_DAMAGED, .bound_mib = B},
        {"zip bomb at the cap: 64 MiB chunk from 2 KiB", "zip-cap.pfcap", W_VALID, .bound_mib = B + chunk_cap},
        {"nesting: a chunk block inside a chunk", "nested.pfcap", W_DAMAGED, .bound_mib = B},
        {"nesting: 100,000 header options", "options.pfcap", W_VALID, .bound_mib = B},
        {"nesting: 1,048,577 flow defs in one chunk", "flows.pfcap", W_DAMAGED, .bound_mib = B + flow_cap},
        {".etl: buffer size 4294967280", "bufsize.etl", W_DAMAGED, .bound_mib = B},
        {".etl: compressed buffer declares 4 GiB", "filled.etl", W_DAMAGED, .bound_mib = B},
        {".etl: event size 65535 past its buffer", "event.etl", W_DAMAGED, .bound_mib = B},
        {".etl: XPRESS bomb, 4 x 16 MiB from 2 KiB", "xpress-cap.etl", W_VALID,
         .bound_mib = B + 2 * PF_ETL_MAX_BUFFER_BYTES / MIB},
    };
    size_t k = 0;
    c_block_len(&cases[k++]);
    c_varint(&cases[k++]);
    c_records(&cases[k++]);
    c_string(&cases[k++], 5, 1ULL << 63, 3);
    c_string(&cases[k++], 6, PF_MAX_STRING_BYTES + 1ULL, 3);
    c_string(&cases[k++], 7, 1000, 3);
    c_option(&cases[k++]);
    c_index(&cases[k++]);
    c_zstd(&cases[k], 13, UINT32_MAX, 1ULL << 32, 8, 1ULL << 32);
    snprintf(cases[k].what, sizeof cases[k].what, "chunk 0 at offset %llu: raw_bytes 4294967295 exceeds the %u limit",
             (unsigned long long)cases[k].offset, PF_MAX_CHUNK_RAW_BYTES);
    k++;
    c_zstd(&cases[k], 14, 1u << 20, 1ULL << 40, 8, 8 * ZBLOCK);
    snprintf(cases[k].what, sizeof cases[k].what, "zstd frame declares 1099511627776 bytes, raw_bytes says 1048576");
    k++;
    c_zstd(&cases[k], 15, 1u << 20, 1u << 20, 4, 1ULL << 32);
    snprintf(cases[k].what, sizeof cases[k].what, "zstd decompression failed: ");
    k++;
    c_zstd(&cases[k], 16, 1u << 20, 0, 0, 1ULL << 32);
    snprintf(cases[k].what, sizeof cases[k].what, "zstd frame does not declare its size");
    k++;
    c_zstd_cap(&cases[k++]);
    c_nested_chunk(&cases[k++]);
    c_options(&cases[k++]);
    c_flows(&cases[k++]);
    c_etl_bufsize(&cases[k++]);
    c_etl_filled(&cases[k++]);
    c_etl_event(&cases[k++]);
    c_etl_cap(&cases[k++]);

    /* what a small valid capture costs, for comparison */
    struct file small;
    start(&small, 20, 0);
    good_chunk(&small, 0);
    struct hcase base = {"baseline: a valid 128-byte capture", "baseline.pfcap", W_VALID, .bound_mib = B};
    take(&base, &small);
    run_case(&x, &base);
    for (size_t i = 0; i < k; i++)
        run_case(&x, &cases[i]);
    unsigned rejected = 0, valid = 0, passed = 0;
    double worst_rejected = 0, worst_rejected_capped = 0, worst_valid = 0;
    const char *worst_valid_name = "";
    for (size_t i = 0; i < k; i++) {
        passed += (unsigned)cases[i].passed;
        if (cases[i].want == W_VALID) {
            valid++;
            if (cases[i].peak_mib > worst_valid) {
                worst_valid = cases[i].peak_mib;
                worst_valid_name = cases[i].name;
            }
        } else {
            rejected++;
            double *w = cases[i].bound_mib <= B ? &worst_rejected : &worst_rejected_capped;
            if (cases[i].peak_mib > *w)
                *w = cases[i].peak_mib;
        }
    }
    hu_figure(TEST, "hostile files (huge sizes, nesting, zip bombs, .etl)",
              "%u of %zu right within bound (%u rejected, %u legal at a cap)", passed, k, rejected, valid);
    hu_figure(TEST, "peak RSS, rejected files", "%.1f MiB at most (valid 128-byte file: %.1f)", worst_rejected,
              base.peak_mib);
    hu_figure(TEST, "peak RSS, rejected chunk of 1M+1 flow defs", "%.1f MiB (flow table at the format's cap)",
              worst_rejected_capped);
    hu_figure(TEST, "peak RSS, legal worst case", "%.1f MiB (%s)", worst_valid, worst_valid_name);
    for (size_t i = 0; i < k; i++)
        free(cases[i].data);
    free(base.data);
    if (hu_failures) {
        fprintf(stderr, "%d check(s) failed\n", hu_failures);
        return 1;
    }
    printf("all hostile size checks passed\n");
    return 0;
}
