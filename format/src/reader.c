/* SPDX-License-Identifier: MIT */
/* Capture reader: walks blocks, verifies them, decodes chunk records.
 *
 * Everything read from the file goes through a bounds-checked cursor, and
 * every declared size is checked against a cap before anything is allocated.
 * Damage never stops the walk: the damaged region is reported through the
 * caller's callback and reading resumes at the next block that verifies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "cursor.h"
#include "fileio.h"
#include "internal.h"

/* A planes stream (spec §5.4): n values of `width` bytes, byte k of value i
 * at k * n + i. */
struct planes {
    const uint8_t *p;
    size_t n, next;
    unsigned width;
};

struct pf_reader {
    struct pf_mapped map;
    const uint8_t *data;
    size_t size;
    struct pf_reader_options opt;
    pf_chunk_fn chunk_fn;
    void *chunk_ctx;

    struct pf_file_info info;
    char *strs[6]; /* owned copies behind info's strings */

    size_t pos;      /* next block to look at */
    size_t released; /* mapped bytes before this were handed back to the OS */
    ZSTD_DCtx *dctx;
    uint8_t *raw;
    size_t raw_cap;

    int in_chunk;
    struct pf_chunk_info chunk;
    struct pf_cur cur;      /* records of the current chunk */
    uint32_t chunk_count;   /* public records decoded in this chunk */
    uint64_t ts;            /* delta chain */
    uint64_t prev_duration; /* traffic duration an absent field repeats */
    struct pf_flow_key *flows;
    uint32_t nflows, capflows;
    /* a 1.2 chunk (codecs 2, 3): its streams, spec §5.4 */
    int streams;
    struct pf_cur stream[PF_STREAMS];
    struct planes planes[2]; /* times, durations */
    uint64_t prev_ts[256];   /* per record type */
    struct pf_flow_key prev_def;
    struct pf_dns_answer dns_answers[PF_MAX_DNS_ANSWERS]; /* of the last DNS record returned */

    uint64_t anchor_clock;
    int64_t anchor_utc;
    uint64_t chunks_end; /* where chunks stop, from a valid footer; 0 = unknown */
    int finished;        /* end-of-file checks done */
    int stream_footer;   /* a footer block was met while walking (before a second capture) */
    uint64_t stream_footer_chunks, stream_footer_records;

    /* Chunk sequence numbers seen intact: all of [0, seq_next) plus the
     * set `seq_extra` of higher ones (only after a gap or reordering). */
    uint64_t seq_next;
    uint64_t seq_max_plus1; /* highest intact seq + 1; 0 = none yet */
    uint64_t *seq_extra;    /* open-addressing set, 0 = empty slot (stores seq + 1) */
    size_t seq_extra_n, seq_extra_cap;
    uint64_t damaged_unplaced; /* damaged chunk regions whose seq is not trusted, since the last gap check */
    char why[112];             /* which field of a malformed header or record, and how */

    struct pf_reader_stats st;
};

/* ------------------------------------------------------------ damage */

static void report(pf_reader *r, uint64_t offset, uint64_t resume, int64_t seq, int err, const char *fmt, ...)
    PF_PRINTF_LIKE(6, 7);

#include <stdarg.h>
static void report(pf_reader *r, uint64_t offset, uint64_t resume, int64_t seq, int err, const char *fmt, ...)
{
    if (resume > offset)
        r->st.bytes_skipped += resume - offset;
    if (!r->opt.on_damage)
        return;
    struct pf_damage d;
    memset(&d, 0, sizeof(d));
    d.offset = offset;
    d.resume_offset = resume;
    d.chunk_seq = seq;
    d.error = err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d.what, sizeof(d.what), fmt, ap);
    va_end(ap);
    r->opt.on_damage(r->opt.ctx, &d);
}

/* ------------------------------------------------------------ blocks */

/* Checks the block at off. On success returns 0 with the type and length. */
static int check_block(const pf_reader *r, size_t off, uint32_t *type, uint32_t *len)
{
    size_t left = r->size - off;
    if (left < PF_BLOCK_OVERHEAD)
        return PF_E_TRUNCATED;
    const uint8_t *p = r->data + off;
    *type = pfc_load_le32(p);
    *len = pfc_load_le32(p + 4);
    if (*len < PF_BLOCK_OVERHEAD)
        return PF_E_FRAMING;
    if (*len > PF_MAX_BLOCK_BYTES)
        return PF_E_TOO_BIG;
    if (*len > left)
        return PF_E_TRUNCATED;
    if (pfc_load_le32(p + *len - 4) != *len)
        return PF_E_FRAMING;
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    if (pf_crc32c(p, *len - PF_BLOCK_TAIL) != pfc_load_le32(p + *len - 8))
        return PF_E_CHECKSUM;
#endif
    /* (Fuzz builds skip the CRC so mutations reach the decoders behind it.) */
    return 0;
}

/* Offset of the next block of a known type that verifies, at or after `from`;
 * r->size when there is none. Known types only, so stray bytes inside a
 * damaged region are unlikely to pass for a block. */
static size_t resync(const pf_reader *r, size_t from)
{
    if (r->size < PF_BLOCK_OVERHEAD)
        return r->size;
    for (size_t o = from; o + PF_BLOCK_OVERHEAD <= r->size; o++) {
        const uint8_t *p = r->data + o;
        uint32_t type = pfc_load_le32(p);
        if (type < PF_BLOCK_HEADER || type > PF_BLOCK_FOOTER)
            continue;
        uint32_t len = pfc_load_le32(p + 4);
        if (len < PF_BLOCK_OVERHEAD || len > PF_MAX_BLOCK_BYTES || len > r->size - o)
            continue;
        if (pfc_load_le32(p + len - 4) != len)
            continue;
        uint32_t t, l;
        if (check_block(r, o, &t, &l) == 0)
            return o;
    }
    return r->size;
}

static const char *block_name(uint32_t type)
{
    switch (type) {
    case PF_BLOCK_HEADER: return "header";
    case PF_BLOCK_CHUNK: return "chunk";
    case PF_BLOCK_INDEX: return "index";
    case PF_BLOCK_FOOTER: return "footer";
    default: return "unknown";
    }
}

/* Whether damage at off (block type as stored, unverified) cost a chunk
 * rather than the header, index or footer. With a valid footer the answer
 * is exact; without one the stored type and the footer's fixed place decide. */
static int region_is_chunk(const pf_reader *r, size_t off, uint32_t stored_type)
{
    if (off <= PF_MAGIC_LEN)
        return 0;
    if (r->chunks_end)
        return off < r->chunks_end;
    if (r->size >= PF_FOOTER_BLOCK && off == r->size - PF_FOOTER_BLOCK)
        return 0;
    return stored_type != PF_BLOCK_HEADER && stored_type != PF_BLOCK_INDEX && stored_type != PF_BLOCK_FOOTER;
}

/* ------------------------------------------------------------ header */

static char *dup_opt(const uint8_t *p, uint32_t len)
{
    if (len > PF_MAX_OPTION_STRING)
        len = PF_MAX_OPTION_STRING;
    char *s = (char *)malloc((size_t)len + 1);
    if (!s)
        return NULL;
    memcpy(s, p, len);
    s[len] = 0;
    return s;
}

static int parse_header(pf_reader *r, const uint8_t *body, size_t len)
{
    struct pf_cur c;
    pf_cur_init(&c, body, len);
    r->info.major = pf_get_u16(&c);
    r->info.minor = pf_get_u16(&c);
    if (c.bad) {
        snprintf(r->why, sizeof(r->why), "body of %zu bytes too short for the version fields", len);
        return PF_E_HEADER;
    }
    if (r->info.major > PF_FORMAT_MAJOR)
        return PF_E_VERSION;
    while (pf_cur_left(&c) > 0) {
        size_t at = len - pf_cur_left(&c);
        uint16_t code = pf_get_u16(&c);
        uint32_t olen = pf_get_u32(&c);
        size_t left = pf_cur_left(&c);
        const uint8_t *v = pf_get_bytes(&c, olen);
        if (c.bad) {
            if (at + 6 > len)
                snprintf(r->why, sizeof(r->why), "option at body offset %zu cut by the block end", at);
            else
                snprintf(r->why, sizeof(r->why),
                         "option %u at body offset %zu: length %u runs past the block (%zu left)", code, at, olen,
                         left);
            return PF_E_HEADER;
        }
        if (code == PF_OPT_END)
            break;
        int slot = -1;
        switch (code) {
        case PF_OPT_HOSTNAME: slot = 0; break;
        case PF_OPT_OS: slot = 1; break;
        case PF_OPT_OS_RELEASE: slot = 2; break;
        case PF_OPT_RECORDER: slot = 3; break;
        case PF_OPT_COMMENT: slot = 4; break;
        case PF_OPT_REDACTION: slot = 5; break;
        case PF_OPT_PLATFORM:
            if (olen >= 1)
                r->info.platform = v[0];
            break;
        case PF_OPT_CLOCK_ID:
            if (olen >= 1)
                r->info.clock_id = v[0];
            break;
        case PF_OPT_UUID:
            if (olen >= 16)
                memcpy(r->info.uuid, v, 16);
            break;
        case PF_OPT_SERIES_UUID:
            if (olen >= 16)
                memcpy(r->info.series_uuid, v, 16);
            break;
        case PF_OPT_FILE_SEQ:
            if (olen >= 4)
                r->info.file_seq = pfc_load_le32(v);
            break;
        case PF_OPT_START_UTC:
            if (olen >= 8)
                r->info.start_utc_ns = (int64_t)pfc_load_le64(v);
            break;
        case PF_OPT_CLOCK_ANCHOR:
            if (olen >= 16) {
                r->info.anchor_clock_ns = pfc_load_le64(v);
                r->info.anchor_utc_ns = (int64_t)pfc_load_le64(v + 8);
            }
            break;
        default: break; /* unknown options are skipped */
        }
        if (slot >= 0) {
            free(r->strs[slot]);
            if (!(r->strs[slot] = dup_opt(v, olen)))
                return PF_E_NOMEM;
        }
    }
    r->info.hostname = r->strs[0];
    r->info.os = r->strs[1];
    r->info.os_release = r->strs[2];
    r->info.recorder = r->strs[3];
    r->info.comment = r->strs[4];
    r->info.redaction = r->strs[5];
    r->anchor_clock = r->info.anchor_clock_ns;
    r->anchor_utc = r->info.anchor_utc_ns;
    return 0;
}

static int check_magic(const uint8_t *d, size_t n)
{
    if (n >= PF_MAGIC_LEN && memcmp(d, pf_magic, PF_MAGIC_LEN) == 0)
        return 0;
    if (n < PF_MAGIC_LEN && memcmp(d, pf_magic, n) == 0)
        return PF_E_TRUNCATED;
    /* "PFC" after a first byte that lost its high bit or kept it: text-mode damage */
    if (n >= 4 && (d[0] == 0x89 || d[0] == 0x09) && memcmp(d + 1, "PFC", 3) == 0)
        return PF_E_MANGLED;
    return PF_E_NOT_CAPTURE;
}

static void check_footer(pf_reader *r)
{
    if (r->size < PF_MAGIC_LEN + PF_FOOTER_BLOCK)
        return;
    size_t off = r->size - PF_FOOTER_BLOCK;
    uint32_t type, len;
    if (check_block(r, off, &type, &len) != 0 || type != PF_BLOCK_FOOTER || len != PF_FOOTER_BLOCK)
        return;
    const uint8_t *b = r->data + off + PF_BLOCK_HEAD;
    if (memcmp(b + 24, pf_footer_magic, 8) != 0)
        return;
    uint64_t chunks = pfc_load_le64(b + 8), records = pfc_load_le64(b + 16);
    r->st.clean_close = 1;
    r->st.footer_chunks = chunks;
    r->st.footer_records = records;
    uint64_t index_off = pfc_load_le64(b);
    r->chunks_end = index_off && index_off < off ? index_off : off;
    int index_ok =
        index_off && index_off < off && check_block(r, (size_t)index_off, &type, &len) == 0 && type == PF_BLOCK_INDEX;
    if (index_off && !index_ok && off >= PF_MAGIC_LEN + PF_BLOCK_OVERHEAD) {
        /* The index is not where the footer says. If it sits just before the
         * footer, the bytes before it moved: chunks cut out or repeated (the
         * counts still hold), or another capture in front of this footer's
         * own (cat a.pfcap b.pfcap: then a magic stands exactly where the
         * footer's offsets begin, and the footer is not the first capture's). */
        uint32_t tlen = pfc_load_le32(r->data + off - 4);
        size_t q = tlen <= off ? off - tlen : 0;
        if (q > PF_MAGIC_LEN && check_block(r, q, &type, &len) == 0 && type == PF_BLOCK_INDEX) {
            if (q > index_off && memcmp(r->data + (q - index_off), pf_magic, PF_MAGIC_LEN) == 0) {
                r->st.clean_close = 0;
                r->st.footer_chunks = r->st.footer_records = 0;
                r->chunks_end = 0;
                return;
            }
            index_off = q;
            index_ok = 1;
            r->chunks_end = q;
        }
    }
    if (index_ok) {
        /* Optional: an index whose count disagrees with its size is reported and ignored. */
        uint32_t body = len - PF_BLOCK_OVERHEAD;
        uint64_t count = body >= 4 ? pfc_load_le32(r->data + index_off + PF_BLOCK_HEAD) : 0;
        if (body >= 4 && 4 + count * PF_INDEX_ENTRY == body)
            r->st.has_index = 1;
        else
            report(r, index_off, index_off, -1, PF_E_FRAMING,
                   "index block at offset %llu: count %llu entries needs %llu bytes, the body has %u",
                   (unsigned long long)index_off, (unsigned long long)count,
                   (unsigned long long)(4 + count * PF_INDEX_ENTRY), body);
    }
    /* Counts no file of this size can hold make the footer itself damaged
     * (else "2^64 chunks missing" would follow). */
    uint64_t max_chunks = (uint64_t)r->size / (PF_BLOCK_OVERHEAD + PF_CHUNK_HEAD);
    if (chunks > max_chunks || records > chunks * (PF_MAX_CHUNK_RAW_BYTES / 3)) {
        report(r, off, off, -1, PF_E_SEQUENCE,
               "footer declares %llu chunks and %llu records, more than a %zu-byte file can hold; footer ignored",
               (unsigned long long)chunks, (unsigned long long)records, r->size);
        r->st.clean_close = 0;
        r->st.footer_chunks = r->st.footer_records = 0;
        r->st.has_index = 0;
    }
}

static int reader_start(pf_reader *r)
{
    int rc = check_magic(r->data, r->size);
    if (rc)
        return rc;
    r->st.file_bytes = r->size;
    r->info.major = PF_FORMAT_MAJOR;
    r->dctx = ZSTD_createDCtx();
    if (!r->dctx)
        return PF_E_NOMEM;
    check_footer(r);

    size_t off = PF_MAGIC_LEN;
    uint32_t type = 0, len = 0;
    rc = check_block(r, off, &type, &len);
    if (rc == 0 && type == PF_BLOCK_HEADER) {
        rc = parse_header(r, r->data + off + PF_BLOCK_HEAD, len - PF_BLOCK_OVERHEAD);
        if (rc == PF_E_VERSION || rc == PF_E_NOMEM)
            return rc;
        if (rc == 0) {
            r->st.header_ok = 1;
            r->pos = off + len;
            return 0;
        }
        report(r, off, off + len, -1, rc, "header block: %s; header facts unknown", r->why);
        r->pos = off + len;
        return 0;
    }
    size_t next = resync(r, off + 1);
    if (rc == 0)
        rc = PF_E_HEADER;
    report(r, off, next, -1, rc, "header block at offset %zu: %s; header facts unknown", off, pf_strerror(rc));
    r->pos = next;
    return 0;
}

static pf_reader *reader_new(const struct pf_reader_options *opt)
{
    pf_reader *r = (pf_reader *)calloc(1, sizeof(*r));
    if (r && opt)
        r->opt = *opt;
    return r;
}

int pf_reader_open(pf_reader **out, const char *path, const struct pf_reader_options *opt)
{
    if (!out)
        return PF_E_ARG;
    *out = NULL;
    if (!path)
        return PF_E_ARG;
    pf_reader *r = reader_new(opt);
    if (!r)
        return PF_E_NOMEM;
    int err_no = 0;
    pf_set_os_errno(0);
    int rc = pf_file_map(path, &r->map, &err_no);
    if (rc)
        pf_set_os_errno(err_no);
    if (rc == 0) {
        r->data = r->map.data ? r->map.data : (const uint8_t *)"";
        r->size = r->map.len;
        rc = reader_start(r);
    }
    if (rc) {
        pf_reader_close(r);
        return rc;
    }
    *out = r;
    return PF_OK;
}

int pf_reader_open_mem(pf_reader **out, const void *data, size_t len, const struct pf_reader_options *opt)
{
    if (!out)
        return PF_E_ARG;
    *out = NULL;
    if (!data && len)
        return PF_E_ARG;
    pf_reader *r = reader_new(opt);
    if (!r)
        return PF_E_NOMEM;
    r->data = data ? (const uint8_t *)data : (const uint8_t *)"";
    r->size = len;
    int rc = reader_start(r);
    if (rc) {
        pf_reader_close(r);
        return rc;
    }
    *out = r;
    return PF_OK;
}

void pf_reader_close(pf_reader *r)
{
    if (!r)
        return;
    pf_file_unmap(&r->map);
    ZSTD_freeDCtx(r->dctx);
    for (size_t i = 0; i < sizeof(r->strs) / sizeof(r->strs[0]); i++)
        free(r->strs[i]);
    free(r->raw);
    free(r->flows);
    free(r->seq_extra);
    free(r);
}

const struct pf_file_info *pf_reader_info(const pf_reader *r) { return r ? &r->info : NULL; }

void pf_reader_on_chunk(pf_reader *r, pf_chunk_fn fn, void *ctx)
{
    if (!r)
        return;
    r->chunk_fn = fn;
    r->chunk_ctx = ctx;
}

void pf_reader_get_stats(const pf_reader *r, struct pf_reader_stats *st)
{
    if (!st)
        return;
    memset(st, 0, sizeof(*st));
    if (r)
        *st = r->st;
}

/* ------------------------------------------------------------ chunk sequence */

/* No writer gets near this many chunks in one file; higher numbers are
 * damage (and keep the gap arithmetic far from overflow). */
#define PF_MAX_CHUNK_SEQ ((uint64_t)1 << 48)

/* The slot of a sequence number. Keyed with the reader's address so a file
 * cannot choose numbers that pile into one probe run. */
static size_t seq_slot(const pf_reader *r, uint64_t v, size_t cap)
{
    v ^= (uint64_t)(uintptr_t)r * 0x9e3779b97f4a7c15ull;
    v ^= v >> 33;
    v *= 0xff51afd7ed558ccdull;
    v ^= v >> 33;
    return (size_t)v & (cap - 1);
}

static int seq_extra_has(const pf_reader *r, uint64_t seq)
{
    if (!r->seq_extra_cap)
        return 0;
    for (size_t i = seq_slot(r, seq, r->seq_extra_cap);; i = (i + 1) & (r->seq_extra_cap - 1)) {
        if (r->seq_extra[i] == 0)
            return 0;
        if (r->seq_extra[i] == seq + 1)
            return 1;
    }
}

static int seq_extra_add(pf_reader *r, uint64_t seq)
{
    if ((r->seq_extra_n + 1) * 2 > r->seq_extra_cap) {
        size_t cap = r->seq_extra_cap ? r->seq_extra_cap * 2 : 64;
        uint64_t *n = (uint64_t *)calloc(cap, sizeof(*n));
        if (!n)
            return PF_E_NOMEM;
        for (size_t i = 0; i < r->seq_extra_cap; i++) {
            if (!r->seq_extra[i])
                continue;
            size_t j = seq_slot(r, r->seq_extra[i] - 1, cap);
            while (n[j])
                j = (j + 1) & (cap - 1);
            n[j] = r->seq_extra[i];
        }
        free(r->seq_extra);
        r->seq_extra = n;
        r->seq_extra_cap = cap;
    }
    size_t j = seq_slot(r, seq, r->seq_extra_cap);
    while (r->seq_extra[j])
        j = (j + 1) & (r->seq_extra_cap - 1);
    r->seq_extra[j] = seq + 1;
    r->seq_extra_n++;
    return 0;
}

static uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

/* Reports the chunks in [from, to) as missing, less the damaged regions met
 * since the last intact chunk (those are probably the same chunks). */
static void report_missing(pf_reader *r, uint64_t off, uint64_t from, uint64_t to, const char *where)
{
    uint64_t gap = to - from;
    uint64_t known = r->damaged_unplaced < gap ? r->damaged_unplaced : gap;
    r->damaged_unplaced = 0;
    if (gap == known)
        return;
    uint64_t missing = gap - known;
    r->st.chunks_damaged = sat_add(r->st.chunks_damaged, missing);
    if (gap == 1)
        report(r, off, off, (int64_t)from, PF_E_SEQUENCE, "chunk %llu missing (%s)", (unsigned long long)from, where);
    else
        report(r, off, off, (int64_t)from, PF_E_SEQUENCE, "chunks %llu to %llu missing: %llu not found%s (%s)",
               (unsigned long long)from, (unsigned long long)(to - 1), (unsigned long long)missing,
               known ? ", the rest damaged" : "", where);
}

/* Checks the sequence number of an intact chunk. Returns 1 to read it, 0
 * when it repeats one already read (skipped: never counted twice), <0 on
 * allocation failure. */
static int check_seq(pf_reader *r, uint64_t seq, size_t off, size_t end)
{
    if (seq >= PF_MAX_CHUNK_SEQ) {
        r->damaged_unplaced++; /* its true number is unknown */
        report(r, off, end, -1, PF_E_SEQUENCE, "chunk at offset %zu: number %llu is impossible; skipped", off,
               (unsigned long long)seq);
        return 0;
    }
    if (seq < r->seq_next || seq_extra_has(r, seq)) {
        report(r, off, end, (int64_t)seq, PF_E_SEQUENCE,
               "chunk %llu at offset %zu repeats a chunk already read; skipped", (unsigned long long)seq, off);
        return 0;
    }
    if (seq >= r->seq_max_plus1) {
        if (seq > r->seq_max_plus1) {
            char where[96];
            snprintf(where, sizeof(where), "before chunk %llu at offset %zu", (unsigned long long)seq, off);
            report_missing(r, off, r->seq_max_plus1, seq, where);
        }
        r->seq_max_plus1 = seq + 1;
    }
    /* seq below the highest seen: a chunk out of order, filling a gap
     * already reported; read it */
    r->damaged_unplaced = 0;
    if (seq == r->seq_next) {
        /* entries below seq_next stay in the set: harmless, and no
         * rebuilding (hostile orders cannot make this quadratic) */
        r->seq_next++;
        while (r->seq_extra_n && seq_extra_has(r, r->seq_next))
            r->seq_next++;
        return 1;
    }
    return seq_extra_add(r, seq) < 0 ? PF_E_NOMEM : 1;
}

/* At the end of the file: chunks missing after the last one read, and the
 * footer's counts against what was read. */
static void finish_checks(pf_reader *r)
{
    if (r->finished)
        return;
    r->finished = 1;
    if (!r->st.clean_close)
        return;
    uint64_t off = r->size >= PF_FOOTER_BLOCK ? r->size - PF_FOOTER_BLOCK : 0;
    if (r->seq_max_plus1 > r->st.footer_chunks) {
        report(r, off, off, -1, PF_E_SEQUENCE, "footer declares %llu chunks, but chunk %llu was read",
               (unsigned long long)r->st.footer_chunks, (unsigned long long)(r->seq_max_plus1 - 1));
        return;
    }
    if (r->seq_max_plus1 < r->st.footer_chunks)
        report_missing(r, off, r->seq_max_plus1, r->st.footer_chunks, "the footer declares them");
    if (!r->st.chunks_damaged && r->st.records != r->st.footer_records)
        report(r, off, off, -1, PF_E_SEQUENCE, "footer declares %llu records, the chunks hold %llu",
               (unsigned long long)r->st.footer_records, (unsigned long long)r->st.records);
}

/* A second capture starts at off (`cat a.pfcap b.pfcap`). Its records must
 * not be mixed into this one (other clock anchors, other ids): reading
 * stops, and the footer at the end of the file, which is the other
 * capture's, no longer speaks for this one. */
static void concatenated(pf_reader *r, size_t off)
{
    report(r, off, r->size, -1, PF_E_CONCATENATED,
           "another capture begins here (files concatenated); it is not read as part of this one: "
           "split the file at this offset");
    r->pos = r->size;
    /* this capture's own footer, met on the way, if it is consistent with what was read */
    int own = r->stream_footer && r->stream_footer_records >= r->st.records;
    r->st.clean_close = own;
    r->st.footer_chunks = own ? r->stream_footer_chunks : 0;
    r->st.footer_records = own ? r->stream_footer_records : 0;
    if (!own)
        r->st.has_index = 0;
}

/* ------------------------------------------------------------ chunks */

/* Checks a planes stream and takes its shape. */
static int open_planes(pf_reader *r, const struct pf_cur *c, struct planes *pl, const char *name)
{
    size_t len = pf_cur_left(c);
    memset(pl, 0, sizeof(*pl));
    if (!len)
        return 1;
    unsigned width = c->p[0];
    if (width < 1 || width > 8 || (len - 1) % width) {
        snprintf(r->why, sizeof(r->why), "%s stream: width %u does not divide its %zu bytes", name, width, len - 1);
        return 0;
    }
    pl->p = c->p + 1;
    pl->width = width;
    pl->n = (len - 1) / width;
    return 1;
}

/* The next value of a planes stream; 0 and *bad set when there is none. */
static uint64_t planes_next(struct planes *pl, int *bad)
{
    if (pl->next >= pl->n) {
        *bad = 1;
        return 0;
    }
    uint64_t v = 0;
    for (unsigned k = 0; k < pl->width; k++)
        v |= (uint64_t)pl->p[k * pl->n + pl->next] << (8 * k);
    pl->next++;
    return v;
}

/* Splits a 1.2 payload (r->raw) into its streams: count, lengths, bytes.
 * Streams past the ones this reader knows are skipped (a later minor
 * version's). Returns 1, or 0 with r->why. */
static int open_streams(pf_reader *r, uint32_t raw_bytes)
{
    struct pf_cur c;
    pf_cur_init(&c, r->raw, raw_bytes);
    uint64_t count = pf_get_varint(&c);
    if (c.bad || count < PF_STREAMS || count > 255) {
        snprintf(r->why, sizeof(r->why), "stream count %llu (this reader needs %d to 255)", (unsigned long long)count,
                 PF_STREAMS);
        return 0;
    }
    uint64_t lens[256];
    uint64_t total = 0;
    for (uint64_t i = 0; i < count; i++) {
        lens[i] = pf_get_varint(&c);
        total += lens[i] < raw_bytes ? lens[i] : (uint64_t)raw_bytes + 1;
    }
    if (c.bad || total != pf_cur_left(&c)) {
        snprintf(r->why, sizeof(r->why), "stream lengths add up to %llu bytes, the payload holds %zu after them",
                 (unsigned long long)total, pf_cur_left(&c));
        return 0;
    }
    for (int i = 0; i < PF_STREAMS; i++)
        r->stream[i] = pf_cur_take(&c, (size_t)lens[i]);
    return open_planes(r, &r->stream[PF_STREAM_TIMES], &r->planes[0], "times") &&
           open_planes(r, &r->stream[PF_STREAM_DURATIONS], &r->planes[1], "durations");
}

/* Opens the chunk block at off (already verified). Returns 1 when records are
 * ready, 0 when the chunk was reported damaged or holds nothing to decode,
 * <0 on a fatal error. */
static int enter_chunk(pf_reader *r, size_t off, uint32_t len)
{
    struct pf_cur c;
    pf_cur_init(&c, r->data + off + PF_BLOCK_HEAD, len - PF_BLOCK_OVERHEAD);
    struct pf_chunk_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.offset = off;
    ci.block_bytes = len;
    ci.seq = pf_get_u64(&c);
    ci.first_ns = pf_get_u64(&c);
    ci.last_ns = pf_get_u64(&c);
    ci.records = pf_get_u32(&c);
    ci.raw_bytes = pf_get_u32(&c);
    ci.codec = pf_get_u8(&c);
    pf_get_bytes(&c, 3);
    int64_t seq = (int64_t)ci.seq;
    size_t end = off + len;
    if (c.bad) {
        r->st.chunks_damaged++;
        r->damaged_unplaced++;
        report(r, off, end, -1, PF_E_FRAMING, "chunk at offset %zu: block too short for a chunk header", off);
        return 0;
    }
    /* The block verified, so its number is trusted even if its contents are not. */
    int fresh = check_seq(r, ci.seq, off, end);
    if (fresh < 0)
        return fresh;
    if (!fresh) {
        r->st.chunks_damaged++;
        return 0;
    }
    /* Never more records than the footer declares (a chunk that does not
     * belong, or a footer that lies: either way damage). */
    if (r->st.clean_close && ci.records > r->st.footer_records - r->st.records) {
        r->st.chunks_damaged++;
        report(r, off, end, seq, PF_E_SEQUENCE,
               "chunk %lld at offset %zu: its %u records would exceed the footer's %llu; skipped", (long long)seq, off,
               ci.records, (unsigned long long)r->st.footer_records);
        return 0;
    }
    if (ci.raw_bytes > PF_MAX_CHUNK_RAW_BYTES) {
        r->st.chunks_damaged++;
        report(r, off, end, seq, PF_E_TOO_BIG, "chunk %lld at offset %zu: raw_bytes %u exceeds the %u limit",
               (long long)seq, off, ci.raw_bytes, PF_MAX_CHUNK_RAW_BYTES);
        return 0;
    }
    /* Each record takes at least 3 bytes (type, delta, length). */
    if ((uint64_t)ci.records * 3 > ci.raw_bytes) {
        r->st.chunks_damaged++;
        report(r, off, end, seq, PF_E_RECORD, "chunk %lld at offset %zu: %u records cannot fit in %u bytes",
               (long long)seq, off, ci.records, ci.raw_bytes);
        return 0;
    }
    const uint8_t *payload = c.p;
    size_t plen = pf_cur_left(&c);
    r->st.chunk_bytes += len;
    if (r->opt.skip_records) {
        r->st.chunks_ok++;
        r->st.records += ci.records;
        r->st.raw_bytes += ci.raw_bytes;
        r->chunk = ci;
        if (r->chunk_fn)
            r->chunk_fn(r->chunk_ctx, &ci);
        return 0;
    }
    /* Sizes are checked before the buffer is allocated (spec §5). */
    const char *why = NULL;
    int stored = ci.codec == PF_CODEC_NONE || ci.codec == PF_CODEC_STREAMS_NONE;
    if (stored) {
        if (plen != ci.raw_bytes)
            why = "stored payload size differs from raw_bytes";
    } else if (ci.codec == PF_CODEC_ZSTD || ci.codec == PF_CODEC_STREAMS_ZSTD) {
        unsigned long long fsz = ZSTD_getFrameContentSize(payload, plen);
        size_t csz = ZSTD_findFrameCompressedSize(payload, plen);
        if (fsz == ZSTD_CONTENTSIZE_ERROR || ZSTD_isError(csz))
            why = "not a valid zstd frame";
        else if (fsz == ZSTD_CONTENTSIZE_UNKNOWN)
            why = "zstd frame does not declare its size";
        else if (fsz != ci.raw_bytes) {
            snprintf(r->why, sizeof(r->why), "zstd frame declares %llu bytes, raw_bytes says %u", fsz, ci.raw_bytes);
            why = r->why;
        } else if (csz != plen)
            why = "bytes after the zstd frame";
    } else {
        why = "unknown codec";
    }
    if (!why && ci.raw_bytes > r->raw_cap) {
        size_t cap = r->raw_cap ? r->raw_cap : 65536;
        while (cap < ci.raw_bytes)
            cap *= 2;
        /* not realloc: the old bytes are not needed, and old + new at once
         * would double the peak */
        free(r->raw);
        r->raw = (uint8_t *)malloc(cap);
        r->raw_cap = r->raw ? cap : 0;
        if (!r->raw)
            return PF_E_NOMEM;
    }
    if (!why && stored) {
        if (plen)
            memcpy(r->raw, payload, plen);
    } else if (!why) {
        /* Output stops at raw_bytes whatever the frame really holds. */
        size_t got = ZSTD_decompressDCtx(r->dctx, r->raw, ci.raw_bytes, payload, plen);
        if (ZSTD_isError(got))
            snprintf(r->why, sizeof(r->why), "zstd decompression failed: %s", ZSTD_getErrorName(got));
        else if (got != ci.raw_bytes)
            snprintf(r->why, sizeof(r->why), "zstd frame holds %zu bytes, raw_bytes says %u", got, ci.raw_bytes);
        if (ZSTD_isError(got) || got != ci.raw_bytes)
            why = r->why;
    }
    if (why) {
        r->st.chunks_damaged++;
        report(r, off, end, seq, PF_E_DECOMPRESS, "chunk %lld at offset %zu: %s", (long long)seq, off, why);
        return 0;
    }
    r->streams = ci.codec == PF_CODEC_STREAMS_NONE || ci.codec == PF_CODEC_STREAMS_ZSTD;
    if (r->streams && !open_streams(r, ci.raw_bytes)) {
        r->st.chunks_damaged++;
        report(r, off, end, seq, PF_E_RECORD, "chunk %lld at offset %zu: %s", (long long)seq, off, r->why);
        return 0;
    }
    r->chunk = ci;
    pf_cur_init(&r->cur, r->raw, ci.raw_bytes);
    r->in_chunk = 1;
    r->chunk_count = 0;
    r->ts = 0;
    r->prev_duration = 0;
    memset(r->prev_ts, 0, sizeof(r->prev_ts));
    memset(&r->prev_def, 0, sizeof(r->prev_def));
    r->nflows = 0;
    r->st.chunks_ok++;
    r->st.raw_bytes += ci.raw_bytes;
    if (r->chunk_fn)
        r->chunk_fn(r->chunk_ctx, &ci);
    return 1;
}

static void chunk_damaged(pf_reader *r, size_t rec_off, const char *why)
{
    r->in_chunk = 0;
    r->st.chunks_ok--;
    r->st.chunks_damaged++;
    report(r, r->chunk.offset, r->chunk.offset + r->chunk.block_bytes, (int64_t)r->chunk.seq, PF_E_RECORD,
           "chunk %llu at offset %llu: record %u at payload offset %zu: %s", (unsigned long long)r->chunk.seq,
           (unsigned long long)r->chunk.offset, r->chunk_count, rec_off, why);
}

static int get_endpoint(struct pf_cur *c, uint8_t family, struct pf_endpoint *e)
{
    size_t n = family == PF_AF_INET ? 4 : 16;
    const uint8_t *a = pf_get_bytes(c, n);
    memset(e->addr, 0, sizeof(e->addr));
    if (a)
        memcpy(e->addr, a, n);
    e->port = pf_get_u16(c);
    return !c->bad;
}

static int append_flow(pf_reader *r, const struct pf_flow_key *k);

static int add_flow(pf_reader *r, struct pf_cur *c)
{
    struct pf_flow_key k;
    memset(&k, 0, sizeof(k));
    k.pid = pf_get_varint32(c);
    k.pid_start_ns = pf_get_varint(c);
    k.sock_id = pf_get_varint(c);
    k.proto = pf_get_u8(c);
    k.family = pf_get_u8(c);
    if (c->bad || (k.family != PF_AF_INET && k.family != PF_AF_INET6)) {
        snprintf(r->why, sizeof(r->why), "flow definition %u: %s", r->nflows,
                 c->bad ? "body ends inside its fields" : "family is neither 4 nor 6");
        return 0;
    }
    if (!get_endpoint(c, k.family, &k.local) || !get_endpoint(c, k.family, &k.remote)) {
        snprintf(r->why, sizeof(r->why), "flow definition %u: body ends inside its addresses", r->nflows);
        return 0;
    }
    if (pf_cur_left(c) > 0) { /* 1.1: network namespace; absent in 1.0 files */
        k.netns = pf_get_varint(c);
        if (c->bad) {
            snprintf(r->why, sizeof(r->why), "flow definition %u: netns cut by the body end", r->nflows);
            return 0;
        }
    }
    if (pf_cur_left(c)) { /* 1.1: zones of scoped IPv6 addresses, after netns */
        k.local.scope_id = pf_get_varint32(c);
        k.remote.scope_id = pf_get_varint32(c);
        if (c->bad) {
            snprintf(r->why, sizeof(r->why), "flow definition %u: body ends inside its scope ids", r->nflows);
            return 0;
        }
    }
    return append_flow(r, &k);
}

/* Gives k the next chunk-local id: 1, 0 with r->why, -1 out of memory. */
static int append_flow(pf_reader *r, const struct pf_flow_key *k)
{
    if (r->nflows >= PF_MAX_CHUNK_FLOWS) {
        snprintf(r->why, sizeof(r->why), "more than %u flow definitions in one chunk", PF_MAX_CHUNK_FLOWS);
        return 0;
    }
    if (r->nflows == r->capflows) {
        uint32_t cap = r->capflows ? r->capflows * 2 : 256;
        struct pf_flow_key *n = (struct pf_flow_key *)realloc(r->flows, (size_t)cap * sizeof(*n));
        if (!n)
            return -1;
        r->flows = n;
        r->capflows = cap;
    }
    r->flows[r->nflows++] = *k;
    return 1;
}

/* A 1.2 flow definition: the fields that differ from the previous one. */
static int add_flow_delta(pf_reader *r, uint64_t mask, struct pf_cur *c)
{
    struct pf_flow_key k = r->prev_def;
    if ((mask & ~(uint64_t)PF_DEF_FIELDS)) {
        snprintf(r->why, sizeof(r->why), "flow definition %u: unknown field bits 0x%llx", r->nflows,
                 (unsigned long long)(mask & ~(uint64_t)PF_DEF_FIELDS));
        return 0;
    }
    if (mask & PF_DEF_FAMILY)
        k.family = pf_get_u8(c);
    if (!c->bad && k.family != PF_AF_INET && k.family != PF_AF_INET6) {
        snprintf(r->why, sizeof(r->why), "flow definition %u: family %u is neither 4 nor 6", r->nflows, k.family);
        return 0;
    }
    if (!c->bad && k.family != r->prev_def.family &&
        (mask & (PF_DEF_LOCAL_ADDR | PF_DEF_REMOTE_ADDR)) != (PF_DEF_LOCAL_ADDR | PF_DEF_REMOTE_ADDR)) {
        snprintf(r->why, sizeof(r->why), "flow definition %u: the family changes but not both addresses", r->nflows);
        return 0;
    }
    size_t al = k.family == PF_AF_INET ? 4 : 16;
    const uint8_t *a;
    if (mask & PF_DEF_REMOTE_PORT)
        k.remote.port = pf_get_u16(c);
    if ((mask & PF_DEF_REMOTE_ADDR) && (a = pf_get_bytes(c, al)) != NULL) {
        memset(k.remote.addr, 0, sizeof(k.remote.addr));
        memcpy(k.remote.addr, a, al);
    }
    if (mask & PF_DEF_LOCAL_PORT)
        k.local.port = pf_get_u16(c);
    if (mask & PF_DEF_SOCK_ID)
        k.sock_id += (uint64_t)pf_get_zz(c);
    uint64_t pid = k.pid;
    if (mask & PF_DEF_PID)
        pid += (uint64_t)pf_get_zz(c);
    if (mask & PF_DEF_PID_START)
        k.pid_start_ns += (uint64_t)pf_get_zz(c);
    if ((mask & PF_DEF_LOCAL_ADDR) && (a = pf_get_bytes(c, al)) != NULL) {
        memset(k.local.addr, 0, sizeof(k.local.addr));
        memcpy(k.local.addr, a, al);
    }
    if (mask & PF_DEF_PROTO)
        k.proto = pf_get_u8(c);
    if (mask & PF_DEF_NETNS)
        k.netns += (uint64_t)pf_get_zz(c);
    if (mask & PF_DEF_LOCAL_SCOPE)
        k.local.scope_id = pf_get_varint32(c);
    if (mask & PF_DEF_REMOTE_SCOPE)
        k.remote.scope_id = pf_get_varint32(c);
    if (c->bad) {
        snprintf(r->why, sizeof(r->why), "flow definition %u: body ends inside its fields", r->nflows);
        return 0;
    }
    if (pid > UINT32_MAX) {
        snprintf(r->why, sizeof(r->why), "flow definition %u: pid %llu is not a 32-bit value", r->nflows,
                 (unsigned long long)pid);
        return 0;
    }
    k.pid = (uint32_t)pid;
    int ok = append_flow(r, &k);
    if (ok > 0)
        r->prev_def = k;
    return ok;
}

static int64_t get_flow(pf_reader *r, struct pf_cur *c, struct pf_flow_key *k)
{
    uint64_t id;
    if (r->streams) { /* 1.2: how far back from the newest flow, in the flow stream */
        struct pf_cur *f = &r->stream[PF_STREAM_FLOWS];
        uint64_t back = pf_get_varint(f);
        if (f->bad) {
            snprintf(r->why, sizeof(r->why), "flow stream ends early");
            return -1;
        }
        id = back < r->nflows ? r->nflows - 1 - back : r->nflows;
        if (id >= r->nflows)
            snprintf(r->why, sizeof(r->why),
                     "flow %llu back from the newest is not defined (the chunk so far defines %u)",
                     (unsigned long long)back, r->nflows);
        if (id >= r->nflows)
            return -1;
        *k = r->flows[id];
        return (int64_t)id;
    }
    id = pf_get_varint(c);
    if (!c->bad && id >= r->nflows)
        snprintf(r->why, sizeof(r->why), "flow %llu is not defined (the chunk so far defines %u)",
                 (unsigned long long)id, r->nflows);
    if (c->bad || id >= r->nflows)
        return -1;
    *k = r->flows[id];
    return (int64_t)id;
}

/* A string: length and bytes in the body (1.0, 1.1), or the length in the
 * body and the bytes in the text stream (1.2). */
static void get_str(pf_reader *r, struct pf_cur *c, const char *name, const char **s, uint32_t *len)
{
    int was_bad = c->bad;
    struct pf_cur *src = r->streams ? &r->stream[PF_STREAM_TEXT] : c;
    uint64_t n = pf_get_varint(c);
    if (!c->bad && n > PF_MAX_STRING_BYTES)
        snprintf(r->why, sizeof(r->why), "%s length %llu exceeds the %u-byte string limit", name, (unsigned long long)n,
                 PF_MAX_STRING_BYTES);
    else if (!c->bad && n > pf_cur_left(src))
        snprintf(r->why, sizeof(r->why), "%s length %llu runs past the %s (%zu bytes left)", name,
                 (unsigned long long)n, r->streams ? "text stream" : "record body", pf_cur_left(src));
    else if (c->bad && !was_bad)
        snprintf(r->why, sizeof(r->why), "%s length cut by the record body end", name);
    if (n > PF_MAX_STRING_BYTES || n > pf_cur_left(src))
        c->bad = 1;
    const uint8_t *p = c->bad ? NULL : pf_get_bytes(src, (size_t)n);
    *s = p ? (const char *)p : "";
    *len = p ? (uint32_t)n : 0;
}

/* Decodes one public record body. Returns 1 ok, 0 malformed. */
static int decode_body(pf_reader *r, uint8_t type, struct pf_cur *c, struct pf_record *rec)
{
    switch (type) {
    case PF_REC_PROCESS: {
        struct pf_process *p = &rec->u.process;
        p->event = pf_get_u8(c);
        p->pid = pf_get_varint32(c);
        p->ppid = pf_get_varint32(c);
        p->start_ns = pf_get_varint(c);
        p->parent_start_ns = pf_get_varint(c);
        p->uid = pf_get_varint32(c);
        int64_t code = pf_get_zz(c);
        p->exit_code = (int32_t)code;
        get_str(r, c, "comm", &p->comm, &p->comm_len);
        get_str(r, c, "exe", &p->exe, &p->exe_len);
        get_str(r, c, "cmdline", &p->cmdline, &p->cmdline_len);
        get_str(r, c, "cgroup", &p->cgroup, &p->cgroup_len);
        get_str(r, c, "container", &p->container, &p->container_len);
        get_str(r, c, "user", &p->user, &p->user_len);
        if (!c->bad && pf_cur_left(c) > 0) /* 1.1: network namespace */
            p->netns = pf_get_varint(c);
        return !c->bad;
    }
    case PF_REC_SOCKET: {
        struct pf_socket *s = &rec->u.socket;
        if (get_flow(r, c, &s->key) < 0)
            return 0;
        s->event = pf_get_u8(c);
        s->old_state = pf_get_u8(c);
        s->new_state = pf_get_u8(c);
        return !c->bad;
    }
    case PF_REC_TRAFFIC: {
        struct pf_traffic *t = &rec->u.traffic;
        if (get_flow(r, c, &t->key) < 0)
            return 0;
        uint8_t mask = pf_get_u8(c);
        if ((mask & PF_TRAFFIC_HAS_DURATION) && r->streams) { /* 1.2: the change, in the durations stream */
            int bad = 0;
            r->prev_duration += (uint64_t)pf_unzigzag(planes_next(&r->planes[1], &bad));
            if (bad) {
                snprintf(r->why, sizeof(r->why), "durations stream ends early");
                return 0;
            }
        } else if (mask & PF_TRAFFIC_HAS_DURATION) {
            r->prev_duration = pf_get_varint(c);
        }
        t->duration_ns = r->prev_duration;
        if (mask & PF_TRAFFIC_HAS_BYTES_SENT)
            t->bytes_sent = pf_get_varint(c);
        if (mask & PF_TRAFFIC_HAS_BYTES_RECV)
            t->bytes_recv = pf_get_varint(c);
        if (mask & PF_TRAFFIC_HAS_SENDS)
            t->sends = pf_get_varint(c);
        if (mask & PF_TRAFFIC_HAS_RECVS)
            t->recvs = pf_get_varint(c);
        if (mask & PF_TRAFFIC_HAS_RETRANSMITS)
            t->retransmits = pf_get_varint(c);
        if (mask & PF_TRAFFIC_HAS_FLAGS)
            t->flags = pf_get_varint32(c);
        return !c->bad;
    }
    case PF_REC_SNAPSHOT: {
        struct pf_snapshot *s = &rec->u.snapshot;
        if (get_flow(r, c, &s->key) < 0)
            return 0;
        s->state = pf_get_u8(c);
        s->uid = pf_get_varint32(c);
        s->bytes_sent = pf_get_varint(c);
        s->bytes_recv = pf_get_varint(c);
        s->flags = pf_get_varint32(c);
        return !c->bad;
    }
    case PF_REC_LOSS:
        rec->u.loss.source = pf_get_u8(c);
        rec->u.loss.cpu = pf_get_varint32(c);
        rec->u.loss.count = pf_get_varint(c);
        rec->u.loss.since_ns = pf_get_varint(c);
        return !c->bad;
    case PF_REC_CLOCK:
        rec->u.clock.clock_ns = pf_get_varint(c);
        rec->u.clock.utc_ns = pf_get_zz(c);
        return !c->bad;
    case PF_REC_HOSTINFO:
        get_str(r, c, "key", &rec->u.hostinfo.key, &rec->u.hostinfo.key_len);
        get_str(r, c, "value", &rec->u.hostinfo.value, &rec->u.hostinfo.value_len);
        return !c->bad;
    case PF_REC_MARKER: get_str(r, c, "text", &rec->u.marker.text, &rec->u.marker.text_len); return !c->bad;
    case PF_REC_DNS: {
        struct pf_dns *d = &rec->u.dns;
        if (get_flow(r, c, &d->key) < 0)
            return 0;
        uint32_t qtype = pf_get_varint32(c);
        d->qtype = (uint16_t)qtype;
        d->rcode = pf_get_u8(c);
        d->flags = pf_get_u8(c);
        get_str(r, c, "qname", &d->qname, &d->qname_len);
        get_str(r, c, "cname", &d->cname, &d->cname_len);
        uint64_t n = pf_get_varint(c);
        if (c->bad)
            return 0;
        if (qtype > UINT16_MAX) {
            snprintf(r->why, sizeof(r->why), "dns qtype %u is not a 16-bit value", qtype);
            return 0;
        }
        if (n > PF_MAX_DNS_ANSWERS) {
            snprintf(r->why, sizeof(r->why), "dns record with %llu answers (at most %u)", (unsigned long long)n,
                     PF_MAX_DNS_ANSWERS);
            return 0;
        }
        for (uint32_t i = 0; i < (uint32_t)n; i++) {
            struct pf_dns_answer *a = &r->dns_answers[i];
            memset(a, 0, sizeof(*a));
            a->family = pf_get_u8(c);
            if (!c->bad && a->family != PF_AF_INET && a->family != PF_AF_INET6) {
                snprintf(r->why, sizeof(r->why), "dns answer %u: family %u is neither 4 nor 6", i, a->family);
                return 0;
            }
            const uint8_t *ad = pf_get_bytes(c, a->family == PF_AF_INET ? 4 : 16);
            if (ad)
                memcpy(a->addr, ad, a->family == PF_AF_INET ? 4 : 16);
            a->ttl = pf_get_varint32(c);
            if (c->bad)
                return 0;
        }
        d->nanswers = (uint32_t)n;
        d->answers = r->dns_answers;
        return !c->bad;
    }
    default: return 0;
    }
}

/* A decoded record's last steps: clock anchors, UTC, counts. */
static void record_out(pf_reader *r, struct pf_record *rec)
{
    if (rec->type == PF_REC_CLOCK) {
        r->anchor_clock = rec->u.clock.clock_ns;
        r->anchor_utc = rec->u.clock.utc_ns;
    }
    rec->utc_ns = r->info.clock_id == PF_CLOCK_UTC ? (int64_t)rec->ts_ns
                                                   : pf_clock_to_utc(rec->ts_ns, r->anchor_clock, r->anchor_utc);
    r->st.records++;
    r->st.records_by_type[rec->type]++;
}

/* The chunk's records are all read: their count must be the declared one. */
static void chunk_end(pf_reader *r)
{
    r->in_chunk = 0;
    if (r->chunk_count != r->chunk.records) {
        r->st.chunks_ok--;
        r->st.chunks_damaged++;
        report(r, r->chunk.offset, r->chunk.offset + r->chunk.block_bytes, (int64_t)r->chunk.seq, PF_E_RECORD,
               "chunk %llu at offset %llu: header declares %u records, payload holds %u",
               (unsigned long long)r->chunk.seq, (unsigned long long)r->chunk.offset, r->chunk.records, r->chunk_count);
    }
}

static const char *const stream_names[PF_STREAMS] = {"types",     "times",  "flows", "definitions",
                                                     "durations", "bodies", "text",  "definition fields"};

/* chunk_next for a 1.2 chunk: the type stream drives, the others are read
 * as the records need them. */
static int chunk_next_streams(pf_reader *r, struct pf_record *rec)
{
    struct pf_cur *types = &r->stream[PF_STREAM_TYPES];
    while (pf_cur_left(types) > 0) {
        size_t rec_off = (size_t)(types->p - r->raw);
        uint8_t type = pf_get_u8(types);
        if (type == PF_REC_FLOW_DEF) {
            struct pf_cur *d = &r->stream[PF_STREAM_DEFS], *f = &r->stream[PF_STREAM_DEF_FIELDS];
            uint64_t dlen = pf_get_varint(d);
            uint64_t mask = pf_get_varint(d);
            int fits = !d->bad && dlen <= pf_cur_left(f);
            struct pf_cur bc = pf_cur_take(f, fits ? (size_t)dlen : 0);
            int ok = fits ? add_flow_delta(r, mask, &bc) : 0;
            if (!fits)
                snprintf(r->why, sizeof(r->why), "flow definition %u runs past the definition streams", r->nflows);
            if (ok < 0)
                return PF_E_NOMEM;
            if (!ok) {
                chunk_damaged(r, rec_off, r->why);
                return 0;
            }
            continue;
        }
        int bad = 0;
        uint64_t delta = planes_next(&r->planes[0], &bad);
        struct pf_cur *b = &r->stream[PF_STREAM_BODIES];
        uint64_t blen = pf_get_varint(b);
        if (bad || b->bad || blen > pf_cur_left(b)) {
            chunk_damaged(r, rec_off, bad ? "times stream ends early" : "record body runs past the bodies stream");
            return 0;
        }
        struct pf_cur bc = pf_cur_take(b, (size_t)blen);
        uint64_t ts = r->prev_ts[type] + (uint64_t)pf_unzigzag(delta);
        r->prev_ts[type] = ts;
        if (type >= PF_REC_FIRST_INTERNAL)
            continue; /* other internal/reserved types: skipped */
        r->chunk_count++;
        if (r->chunk_count > r->chunk.records) {
            chunk_damaged(r, rec_off, "more records than the chunk header declares");
            return 0;
        }
        if (type == 0 || type > PF_REC_TYPE_MAX_KNOWN) {
            r->st.records_unknown++;
            continue;
        }
        memset(rec, 0, sizeof(*rec));
        rec->type = type;
        rec->ts_ns = ts;
        r->why[0] = 0;
        if (!decode_body(r, type, &bc, rec)) {
            if (!r->why[0])
                snprintf(r->why, sizeof(r->why), "%s record body ends inside its fields", pf_record_type_name(type));
            chunk_damaged(r, rec_off, r->why);
            return 0;
        }
        record_out(r, rec);
        return 1;
    }
    /* Every stream is used up exactly by the records of the chunk. */
    for (int i = 0; i < PF_STREAMS; i++) {
        size_t left = pf_cur_left(&r->stream[i]);
        if (i == PF_STREAM_TIMES)
            left = r->planes[0].n - r->planes[0].next;
        else if (i == PF_STREAM_DURATIONS)
            left = r->planes[1].n - r->planes[1].next;
        if (left) {
            snprintf(r->why, sizeof(r->why), "%zu %s left in the %s stream after the last record", left,
                     i == PF_STREAM_TIMES || i == PF_STREAM_DURATIONS ? "values" : "bytes", stream_names[i]);
            chunk_damaged(r, (size_t)(r->stream[i].p - r->raw), r->why);
            return 0;
        }
    }
    chunk_end(r);
    return 0;
}

/* Next record of the current chunk: 1 with *rec, 0 when the chunk is done
 * (or turned out damaged), <0 fatal. */
static int chunk_next(pf_reader *r, struct pf_record *rec)
{
    if (r->streams)
        return chunk_next_streams(r, rec);
    struct pf_cur *c = &r->cur;
    while (pf_cur_left(c) > 0) {
        size_t rec_off = (size_t)(c->p - r->raw);
        uint8_t type = pf_get_u8(c);
        int64_t delta = pf_get_zz(c);
        uint64_t blen = pf_get_varint(c);
        size_t left = pf_cur_left(c);
        const uint8_t *body = c->bad || blen > left ? NULL : pf_get_bytes(c, (size_t)blen);
        if (!body) {
            if (c->bad)
                chunk_damaged(r, rec_off, "record header cut by the chunk end, or a varint over 64 bits");
            else {
                snprintf(r->why, sizeof(r->why), "record length %llu runs past the chunk (%zu bytes left)",
                         (unsigned long long)blen, left);
                chunk_damaged(r, rec_off, r->why);
            }
            return 0;
        }
        r->ts += (uint64_t)delta;
        struct pf_cur bc;
        pf_cur_init(&bc, body, (size_t)blen);
        if (type >= PF_REC_FIRST_INTERNAL) {
            if (type == PF_REC_FLOW_DEF) {
                int ok = add_flow(r, &bc);
                if (ok < 0)
                    return PF_E_NOMEM;
                if (!ok) {
                    chunk_damaged(r, rec_off, r->why);
                    return 0;
                }
            }
            continue; /* other internal/reserved types: skipped */
        }
        r->chunk_count++;
        if (r->chunk_count > r->chunk.records) {
            chunk_damaged(r, rec_off, "more records than the chunk header declares");
            return 0;
        }
        if (type == 0 || type > PF_REC_TYPE_MAX_KNOWN) {
            r->st.records_unknown++;
            continue;
        }
        memset(rec, 0, sizeof(*rec));
        rec->type = type;
        rec->ts_ns = r->ts;
        r->why[0] = 0;
        if (!decode_body(r, type, &bc, rec)) {
            if (!r->why[0])
                snprintf(r->why, sizeof(r->why), "%s record body ends inside its fields", pf_record_type_name(type));
            chunk_damaged(r, rec_off, r->why);
            return 0;
        }
        record_out(r, rec);
        return 1;
    }
    chunk_end(r);
    return 0;
}

int pf_reader_next(pf_reader *r, struct pf_record *rec)
{
    if (!r || !rec)
        return PF_E_ARG;
    for (;;) {
        if (r->in_chunk) {
            int rc = chunk_next(r, rec);
            if (rc != 0)
                return rc;
            continue;
        }
        if (r->pos >= r->size) {
            finish_checks(r);
            return 0;
        }
        size_t off = r->pos;
        if (r->size - off >= PF_MAGIC_LEN && memcmp(r->data + off, pf_magic, PF_MAGIC_LEN) == 0) {
            concatenated(r, off);
            continue;
        }
        uint32_t type = 0, len = 0;
        int rc = check_block(r, off, &type, &len);
        if (rc == PF_E_CHECKSUM) {
            /* Both length copies agree, so the framing is trustworthy: skip exactly this block. */
            int64_t seq = -1;
            if (type == PF_BLOCK_CHUNK && len >= PF_BLOCK_OVERHEAD + 8)
                seq = (int64_t)pfc_load_le64(r->data + off + PF_BLOCK_HEAD);
            r->pos = off + len;
            if (region_is_chunk(r, off, type)) {
                r->st.chunks_damaged++;
                r->damaged_unplaced++;
            }
            report(r, off, r->pos, seq, rc, "%s block at offset %zu (%u bytes): checksum mismatch%s", block_name(type),
                   off, len, seq >= 0 ? " (chunk number as stored, unverified)" : "");
            continue;
        }
        if (rc) {
            size_t next = resync(r, off + 1);
            if (region_is_chunk(r, off, type)) {
                r->st.chunks_damaged++;
                r->damaged_unplaced++;
            }
            if (rc == PF_E_TRUNCATED)
                report(r, off, next, -1, rc, "block at offset %zu: file ends %zu bytes into it (truncated)%s", off,
                       r->size - off, next < r->size ? "; later blocks found" : "");
            else
                report(r, off, next, -1, rc, "block at offset %zu: %s (type %u, length %u)", off, pf_strerror(rc), type,
                       len);
            r->pos = next;
            continue;
        }
        r->pos = off + len;
        /* Reading is sequential: keep resident memory bounded by dropping
         * pages already read (resync scans never look backwards). Every
         * MiB: a short capture then holds no more of its file in memory
         * than a long one. */
        if (off - r->released >= (1u << 20)) {
            pf_file_release(&r->map, off);
            r->released = off;
        }
        switch (type) {
        case PF_BLOCK_CHUNK:
            rc = enter_chunk(r, off, len);
            if (rc < 0)
                return rc;
            break;
        case PF_BLOCK_HEADER:
            /* a second header whose magic was damaged: still another capture */
            concatenated(r, off);
            break;
        case PF_BLOCK_FOOTER:
            if (len == PF_FOOTER_BLOCK && memcmp(r->data + off + PF_BLOCK_HEAD + 24, pf_footer_magic, 8) == 0) {
                r->stream_footer = 1;
                r->stream_footer_chunks = pfc_load_le64(r->data + off + PF_BLOCK_HEAD + 8);
                r->stream_footer_records = pfc_load_le64(r->data + off + PF_BLOCK_HEAD + 16);
            }
            break;
        case PF_BLOCK_INDEX: break;
        default: r->st.blocks_unknown++; break;
        }
    }
}
