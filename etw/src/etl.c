/* SPDX-License-Identifier: MIT */
/* .etl reader: walks an ETW log file buffer by buffer, event by event, and
 * hands kernel network/process events to the decoder.
 *
 * File layout (little-endian): a sequence of buffers, each starting with a
 * 0x48-byte WMI_BUFFER_HEADER whose first field is the buffer's size on
 * disk. Events follow, each 8-byte aligned, each starting with a 4-byte
 * marker whose third byte is the header type. XPRESS-compressed buffers
 * (flag 0x40) hold the events LZ77-compressed after the buffer header. The
 * first event of the first buffer is the logfile header (a system-header
 * event of group 0, type 0) carrying TRACE_LOGFILE_HEADER. The file is read
 * sequentially; the known events of a window of buffers are returned in
 * time order (see struct pending). */
#include "procflow/etl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procflow/etw_decode.h"
#include "xpress.h"

#define BUF_HDR 0x48u
#define BUF_FLAG_COMPRESSED 0x40u

/* Header types (third byte of the event marker). */
enum {
    HT_SYSTEM32 = 1, HT_SYSTEM64 = 2, HT_COMPACT32 = 3, HT_COMPACT64 = 4,
    HT_FULL32 = 10, HT_INSTANCE32 = 11, HT_TIMED = 12, HT_ERROR = 13,
    HT_WNODE = 14, HT_MESSAGE = 15, HT_PERFINFO32 = 16, HT_PERFINFO64 = 17,
    HT_EVENT32 = 18, HT_EVENT64 = 19, HT_FULL64 = 20, HT_INSTANCE64 = 21
};

/* 100 ns ticks between 1601-01-01 and 1970-01-01. */
#define FILETIME_UNIX_DIFF 116444736000000000LL

struct pf_etl {
    FILE *fp;              /* file source, or NULL for memory */
    const uint8_t *mem;
    size_t mem_len;
    uint64_t file_off;     /* offset of the next unread byte */
    int eof;
    int io_errno;

    struct pf_reader_options opt;
    struct pf_file_info info;
    struct pf_etl_stats st;
    pf_etw_decoder *dec;

    uint8_t *raw;          /* current buffer as read */
    size_t raw_cap;
    uint8_t *unz;          /* decompressed buffer (header copied in front) */
    size_t unz_cap;
    const uint8_t *buf;    /* events of the current buffer: buf[pos..end) */
    size_t pos, end;
    uint64_t buf_off;      /* file offset of the current buffer */
    uint64_t buf_index;
    int have_buffer;

    struct pf_record queue[PF_ETW_MAX_RECORDS];
    int q_head, q_len;

    /* Time order: kernel loggers write one buffer per CPU and flush them
     * independently, so file order is not time order. Known events are
     * collected (a window of at most PF_ETL_SORT_WINDOW payload bytes),
     * stably sorted by time, i.e. the per-buffer streams merged, and then
     * decoded in that order. */
    struct pending *pend;
    size_t pend_len, pend_cap, pend_next;
    uint8_t *arena;
    size_t arena_len, arena_cap;
    uint64_t seq;
    int oom;

    /* Clock: raw timestamps -> UTC ns. */
    int have_header;
    uint32_t clock_type;
    uint64_t freq;         /* ticks per second (QPC or CPU cycles) */
    int64_t raw0;          /* raw time of the logfile header event */
    int64_t utc0_ns;       /* StartTime as Unix ns */
    uint32_t fixed_buffer_size; /* for resync in uncompressed files */

    char os_release[48];
    char recorder[160];
};

struct pending {
    uint64_t ts_ns;
    uint64_t seq; /* file order: ties keep it */
    size_t off, len;
    uint32_t header_pid;
    uint16_t id;
    uint8_t provider, version, pointer_size;
};

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

const char *pf_etl_provider_name(unsigned provider)
{
    return pf_etw_provider_name(provider);
}

int pf_etl_probe(const void *first_bytes, size_t n)
{
    const uint8_t *b = first_bytes;
    if (!b || n < BUF_HDR + 0x20)
        return 0;
    uint32_t bsize = le32(b);
    if (bsize < BUF_HDR + 0x20 || bsize > PF_ETL_MAX_BUFFER_BYTES)
        return 0;
    const uint8_t *e = b + BUF_HDR;
    /* Logfile header event: system header, group 0 type 0. */
    if ((e[2] != HT_SYSTEM32 && e[2] != HT_SYSTEM64) || (e[3] & 0xc0) != 0xc0)
        return 0;
    if (le16(e + 6) != 0)
        return 0;
    uint16_t size = le16(e + 4);
    return size >= 0x20 + 0x110 && size <= bsize - BUF_HDR;
}

/* ------------------------------------------------------------ damage */

static void damage(pf_etl *e, uint64_t off, uint64_t resume, int err, const char *what)
{
    if (!e->opt.on_damage)
        return;
    struct pf_damage d;
    memset(&d, 0, sizeof d);
    d.offset = off;
    d.resume_offset = resume;
    d.chunk_seq = (int64_t)e->buf_index;
    d.error = err;
    snprintf(d.what, sizeof d.what, "%s", what);
    e->opt.on_damage(e->opt.ctx, &d);
}

/* ------------------------------------------------------------ input */

/* Reads up to n bytes; returns bytes read (short only at end or error). */
static size_t src_read(pf_etl *e, uint8_t *dst, size_t n)
{
    size_t got;
    if (e->fp) {
        got = fread(dst, 1, n, e->fp);
        if (got < n && ferror(e->fp))
            e->io_errno = errno ? errno : EIO;
    } else {
        size_t left = e->file_off < e->mem_len ? e->mem_len - (size_t)e->file_off : 0;
        got = n < left ? n : left;
        if (got)
            memcpy(dst, e->mem + e->file_off, got);
    }
    e->file_off += got;
    return got;
}

/* Skips forward n bytes; returns bytes skipped. */
static uint64_t src_skip(pf_etl *e, uint64_t n)
{
    uint8_t tmp[4096];
    uint64_t done = 0;
    if (!e->fp) {
        uint64_t left = e->file_off < e->mem_len ? e->mem_len - e->file_off : 0;
        done = n < left ? n : left;
        e->file_off += done;
        return done;
    }
    while (done < n) {
        size_t want = n - done < sizeof tmp ? (size_t)(n - done) : sizeof tmp;
        size_t got = src_read(e, tmp, want);
        done += got;
        if (got < want)
            break;
    }
    return done;
}

static int grow(uint8_t **p, size_t *cap, size_t need)
{
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    /* Exact sizes let the sanitizer see any read past the data. */
    if (need == *cap)
        return 0;
    size_t ncap = need ? need : 1;
#else
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 65536;
    while (ncap < need)
        ncap *= 2;
#endif
    uint8_t *np = realloc(*p, ncap);
    if (!np)
        return PF_E_NOMEM;
    *p = np;
    *cap = ncap;
    return 0;
}

/* ------------------------------------------------------------ time */

/* Hostile timestamps saturate (at INT64_MAX, so utc_ns stays positive). */
static uint64_t raw_to_ns(const pf_etl *e, int64_t raw)
{
    if (e->clock_type == 2) {
        if (raw <= FILETIME_UNIX_DIFF)
            return 0;
        uint64_t d = (uint64_t)(raw - FILETIME_UNIX_DIFF);
        return d > (uint64_t)INT64_MAX / 100 ? (uint64_t)INT64_MAX : d * 100;
    }
    int neg = raw < e->raw0;
    uint64_t ud = neg ? (uint64_t)e->raw0 - (uint64_t)raw : (uint64_t)raw - (uint64_t)e->raw0;
    uint64_t f = e->freq ? e->freq : 10000000u;
    uint64_t q = ud / f, r = ud % f, dn;
    if (q > (uint64_t)INT64_MAX / 1000000000ull)
        dn = (uint64_t)INT64_MAX;
    else if (f <= 9000000000ull)
        dn = q * 1000000000ull + r * 1000000000ull / f;
    else
        dn = q * 1000000000ull + (uint64_t)((double)r * 1e9 / (double)f);
    uint64_t base = e->utc0_ns > 0 ? (uint64_t)e->utc0_ns : 0;
    if (neg)
        return dn >= base ? 0 : base - dn;
    return dn > (uint64_t)INT64_MAX - base ? (uint64_t)INT64_MAX : base + dn;
}

static int64_t filetime_to_unix_ns(int64_t ft)
{
    if (ft <= FILETIME_UNIX_DIFF)
        return 0;
    uint64_t d = (uint64_t)(ft - FILETIME_UNIX_DIFF);
    return d > (uint64_t)INT64_MAX / 100 ? INT64_MAX : (int64_t)(d * 100);
}

/* ------------------------------------------------------------ logfile header */

static void derive_uuid(uint8_t out[16], const uint8_t *p, size_t n)
{
    /* Two FNV-1a 64-bit hashes with different bases: deterministic id of
     * the header bytes (not cryptographic; re-import detection only). */
    uint64_t h1 = 0xcbf29ce484222325ull, h2 = 0x84222325cbf29ce4ull;
    for (size_t i = 0; i < n; i++) {
        h1 = (h1 ^ p[i]) * 0x100000001b3ull;
        h2 = (h2 ^ p[i] ^ 0x5a) * 0x100000001b3ull;
    }
    for (int i = 0; i < 8; i++) {
        out[i] = (uint8_t)(h1 >> (56 - 8 * i));
        out[8 + i] = (uint8_t)(h2 >> (56 - 8 * i));
    }
    out[6] = (uint8_t)((out[6] & 0x0f) | 0x80); /* version 8: custom */
    out[8] = (uint8_t)((out[8] & 0x3f) | 0x80); /* RFC 4122 variant */
}

/* TRACE_LOGFILE_HEADER: its two string pointers and the alignment of the
 * 64-bit fields after TIME_ZONE_INFORMATION depend on the pointer size of
 * the writer (4 for 32-bit headers). Offsets relative to the payload. */
static void parse_logfile_header(pf_etl *e, const uint8_t *p, size_t n, int64_t raw_ts, unsigned hdr_psize)
{
    if (n < 56) {
        damage(e, e->buf_off, e->buf_off, PF_E_HEADER, "logfile header shorter than 56 bytes");
        return;
    }
    derive_uuid(e->info.uuid, p, n);
    memcpy(e->info.series_uuid, e->info.uuid, 16);
    uint32_t psize = le32(p + 44);
    if (psize != 4 && psize != 8)
        psize = hdr_psize;
    /* Strings pointers sit at 56; layout follows the header's own width. */
    size_t ptrs = 56 + 2 * (size_t)hdr_psize;
    size_t tz_end = ptrs + 172;
    size_t boot = (tz_end + 7) & ~(size_t)7;
    size_t need = boot + 32;
    e->st.buffer_size = le32(p);
    e->st.build = le32(p + 8);
    e->st.log_file_mode = le32(p + 32);
    e->st.pointer_size = psize;
    e->st.events_lost = le32(p + 48);
    uint32_t cpu_mhz = le32(p + 52);
    e->fixed_buffer_size = e->st.buffer_size;
    snprintf(e->os_release, sizeof e->os_release, "%u.%u.%u", p[4], p[5], (unsigned)e->st.build);
    e->info.os_release = e->os_release;
    if (n < need) {
        damage(e, e->buf_off, e->buf_off, PF_E_HEADER, "logfile header truncated before its clock fields");
        return;
    }
    int64_t perf_freq = (int64_t)le64(p + boot + 8);
    int64_t start_time = (int64_t)le64(p + boot + 16);
    e->clock_type = le32(p + boot + 24);
    e->st.buffers_lost = le32(p + boot + 28);
    e->st.clock_type = e->clock_type;
    if (e->clock_type == 3)
        e->freq = (uint64_t)cpu_mhz * 1000000u;
    else
        e->freq = perf_freq > 0 ? (uint64_t)perf_freq : 0;
    if (e->clock_type != 2 && e->freq == 0)
        damage(e, e->buf_off, e->buf_off, PF_E_HEADER, "logfile header has no clock frequency");
    e->raw0 = raw_ts;
    e->utc0_ns = filetime_to_unix_ns(start_time);
    e->info.start_utc_ns = e->utc0_ns;
    /* Logger name: first UTF-16 string after the fixed part. */
    char name[96];
    name[0] = '\0';
    if (n > need)
        pf_etw_utf16_to_utf8(p + need, n - need, name, sizeof name);
    for (char *c = name; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?'; /* untrusted text */
    snprintf(e->recorder, sizeof e->recorder, "ETW session %s", name[0] ? name : "(unnamed)");
    e->info.recorder = e->recorder;
    e->have_header = 1;
}

/* ------------------------------------------------------------ buffers */

/* Loads the next buffer. Returns 1 when one is ready, 0 at the end, <0 on a
 * fatal error. Damaged buffers are reported and skipped here. */
static int next_buffer(pf_etl *e)
{
    for (;;) {
        uint8_t hdr[BUF_HDR];
        uint64_t off = e->file_off;
        if (e->eof)
            return 0;
        size_t got = src_read(e, hdr, BUF_HDR);
        if (e->io_errno)
            return PF_E_IO;
        if (got == 0) {
            e->eof = 1;
            return 0;
        }
        e->buf_off = off;
        if (got < BUF_HDR) {
            e->st.buffers_damaged++;
            e->st.bytes_skipped += got;
            damage(e, off, e->file_off, PF_E_TRUNCATED, "file ends inside a buffer header");
            e->eof = 1;
            return 0;
        }
        uint32_t bsize = le32(hdr);
        if (bsize < BUF_HDR || bsize > PF_ETL_MAX_BUFFER_BYTES) {
            char what[128];
            /* Without a size there is no next buffer, unless the file uses
             * one fixed buffer size (uncompressed logs). */
            e->st.buffers_damaged++;
            uint32_t fb = e->fixed_buffer_size;
            int can = fb >= BUF_HDR && fb <= PF_ETL_MAX_BUFFER_BYTES &&
                      !(e->st.log_file_mode & 0x04000000u);
            uint64_t next = can ? (off / fb + 1) * fb : 0;
            if (can && next > off) {
                uint64_t sk = src_skip(e, next - e->file_off);
                e->st.bytes_skipped += BUF_HDR + sk;
                snprintf(what, sizeof what,
                         "buffer size %u out of range [%u, %u]; resynced at the next buffer boundary", bsize,
                         BUF_HDR, PF_ETL_MAX_BUFFER_BYTES);
                damage(e, off, e->file_off, PF_E_FRAMING, what);
                continue;
            }
            uint64_t sk = src_skip(e, UINT64_MAX / 2);
            e->st.bytes_skipped += BUF_HDR + sk;
            snprintf(what, sizeof what, "buffer size %u out of range [%u, %u]; rest of file skipped", bsize, BUF_HDR,
                     PF_ETL_MAX_BUFFER_BYTES);
            damage(e, off, e->file_off, PF_E_FRAMING, what);
            e->eof = 1;
            return 0;
        }
        int rc = grow(&e->raw, &e->raw_cap, bsize);
        if (rc < 0)
            return rc;
        memcpy(e->raw, hdr, BUF_HDR);
        got = src_read(e, e->raw + BUF_HDR, bsize - BUF_HDR);
        if (e->io_errno)
            return PF_E_IO;
        e->buf_index = e->st.buffers;
        e->st.buffers++;
        if (got < bsize - BUF_HDR) {
            e->st.buffers_damaged++;
            e->st.bytes_skipped += BUF_HDR + got;
            damage(e, off, e->file_off, PF_E_TRUNCATED, "file ends inside a buffer");
            e->eof = 1;
            return 0;
        }
        uint32_t filled = le32(hdr + 0x30);
        uint16_t flags = le16(hdr + 0x34);
        if (flags & BUF_FLAG_COMPRESSED) {
            e->st.buffers_compressed++;
            /* The header's offset field gives the decompressed end. */
            /* A buffer never holds more than the logger's buffer size. */
            uint32_t cap = e->st.buffer_size >= BUF_HDR && e->st.buffer_size <= PF_ETL_MAX_BUFFER_BYTES
                               ? e->st.buffer_size : PF_ETL_MAX_BUFFER_BYTES;
            if (filled < BUF_HDR || filled > cap) {
                e->st.buffers_damaged++;
                e->st.bytes_skipped += bsize;
                char what[128];
                snprintf(what, sizeof what, "compressed buffer: decompressed size %u out of range [%u, %u]", filled,
                         BUF_HDR, cap);
                damage(e, off, e->file_off, PF_E_FRAMING, what);
                continue;
            }
            rc = grow(&e->unz, &e->unz_cap, filled);
            if (rc < 0)
                return rc;
            memcpy(e->unz, hdr, BUF_HDR);
            long out = pf_xpress_decompress(e->raw + BUF_HDR, bsize - BUF_HDR, e->unz + BUF_HDR, filled - BUF_HDR);
            if (out < 0 || (size_t)out != filled - BUF_HDR) {
                e->st.buffers_damaged++;
                e->st.bytes_skipped += bsize;
                damage(e, off, e->file_off, PF_E_DECOMPRESS, out < 0 ? "compressed buffer: malformed LZ77 data"
                                                                     : "compressed buffer: decompressed size mismatch");
                continue;
            }
            e->buf = e->unz;
            e->end = filled;
        } else {
            e->buf = e->raw;
            uint32_t saved = le32(hdr + 4);
            if (filled >= BUF_HDR && filled <= bsize)
                e->end = filled;
            else if (saved >= BUF_HDR && saved <= bsize)
                e->end = saved;
            else
                e->end = bsize;
        }
        e->pos = BUF_HDR;
        e->have_buffer = 1;
        return 1;
    }
}

/* ------------------------------------------------------------ events */

static void count_other(pf_etl *e, const uint8_t guid[16])
{
    e->st.events_skipped++;
    for (uint32_t i = 0; i < e->st.other_count; i++) {
        if (!memcmp(e->st.other[i].guid, guid, 16)) {
            e->st.other[i].events++;
            return;
        }
    }
    if (e->st.other_count < PF_ETL_MAX_OTHER) {
        memcpy(e->st.other[e->st.other_count].guid, guid, 16);
        e->st.other[e->st.other_count].events = 1;
        e->st.other_count++;
        return;
    }
    e->st.other_overflow++;
}

/* Pseudo GUID for events without one: group or header-type tagged. */
static void pseudo_guid(uint8_t g[16], uint8_t kind, uint8_t value)
{
    memset(g, 0, 16);
    g[14] = kind;
    g[15] = value;
}

static void rest_damaged(pf_etl *e, const char *what)
{
    e->st.events_damaged++;
    e->st.buffers_damaged++;
    /* Inside a decompressed buffer only the buffer's file offset is known.
     * Reading resumes with the next buffer. */
    uint64_t at = e->buf == e->unz ? e->buf_off : e->buf_off + e->pos;
    damage(e, at, e->file_off, PF_E_RECORD, what);
    e->pos = e->end;
}

/* Keeps a copy of a known event for the time-ordered decode. */
static int pend_push(pf_etl *e, const struct pf_etw_event *ev, uint64_t ts_ns, const uint8_t *payload, size_t plen)
{
    if (e->pend_len == e->pend_cap) {
        size_t ncap = e->pend_cap ? e->pend_cap * 2 : 1024;
        struct pending *np = realloc(e->pend, ncap * sizeof *np);
        if (!np)
            return PF_E_NOMEM;
        e->pend = np;
        e->pend_cap = ncap;
    }
    if (plen > e->arena_cap - e->arena_len) {
        int rc = grow(&e->arena, &e->arena_cap, e->arena_len + plen);
        if (rc < 0)
            return rc;
    }
    struct pending *p = &e->pend[e->pend_len++];
    p->ts_ns = ts_ns;
    p->seq = e->seq++;
    p->off = e->arena_len;
    p->len = plen;
    p->header_pid = ev->header_pid;
    p->id = ev->id;
    p->provider = (uint8_t)ev->provider;
    p->version = ev->version;
    p->pointer_size = ev->pointer_size;
    if (plen)
        memcpy(e->arena + e->arena_len, payload, plen);
    e->arena_len += plen;
    return 0;
}

/* Walks one event at e->pos; known events are collected. */
static void walk_event(pf_etl *e)
{
    const uint8_t *b = e->buf + e->pos;
    size_t left = e->end - e->pos;
    if (left < 8) {
        e->pos = e->end;
        return;
    }
    uint32_t marker = le32(b);
    if (marker == 0xffffffffu || marker == 0) {
        e->pos = e->end; /* unused tail of the buffer */
        return;
    }
    unsigned ht = b[2];
    if (!(b[3] & 0x80)) {
        rest_damaged(e, "event marker without the trace-header flag");
        return;
    }
    size_t hsize, size;
    uint8_t guid[16] = {0};
    struct pf_etw_event ev;
    memset(&ev, 0, sizeof ev);
    int64_t raw_ts = 0;
    int by_group = 0;
    unsigned group = 0;
    ev.header_pid = UINT32_MAX;
    switch (ht) {
    case HT_SYSTEM32: case HT_SYSTEM64: case HT_COMPACT32: case HT_COMPACT64:
    case HT_PERFINFO32: case HT_PERFINFO64:
        hsize = (ht == HT_SYSTEM32 || ht == HT_SYSTEM64) ? 0x20 : (ht == HT_COMPACT32 || ht == HT_COMPACT64) ? 0x18 : 0x10;
        if (left < hsize) {
            rest_damaged(e, "event header cut by the buffer end");
            return;
        }
        size = le16(b + 4);
        by_group = 1;
        group = b[7];
        ev.id = b[6];
        ev.version = (uint8_t)le16(b);
        ev.pointer_size = (ht == HT_SYSTEM32 || ht == HT_COMPACT32 || ht == HT_PERFINFO32) ? 4 : 8;
        if (hsize >= 0x18) {
            ev.header_pid = le32(b + 12);
            raw_ts = (int64_t)le64(b + 16);
        } else {
            raw_ts = (int64_t)le64(b + 8);
        }
        break;
    case HT_FULL32: case HT_FULL64: case HT_INSTANCE32: case HT_INSTANCE64:
        hsize = (ht == HT_FULL32 || ht == HT_FULL64) ? 0x30 : 0x38;
        size = le16(b);
        ev.id = b[4];
        ev.version = (uint8_t)le16(b + 6);
        ev.pointer_size = (ht == HT_FULL32 || ht == HT_INSTANCE32) ? 4 : 8;
        if (left < hsize) {
            rest_damaged(e, "event header cut by the buffer end");
            return;
        }
        ev.header_pid = le32(b + 12);
        raw_ts = (int64_t)le64(b + 16);
        memcpy(guid, b + 24, 16);
        break;
    case HT_EVENT32: case HT_EVENT64:
        hsize = 0x50;
        size = le16(b);
        ev.pointer_size = ht == HT_EVENT32 ? 4 : 8;
        if (left < hsize) {
            rest_damaged(e, "event header cut by the buffer end");
            return;
        }
        ev.header_pid = le32(b + 12);
        raw_ts = (int64_t)le64(b + 16);
        memcpy(guid, b + 24, 16);
        ev.id = le16(b + 40);
        ev.version = b[42];
        break;
    case HT_TIMED: case HT_ERROR: case HT_WNODE: case HT_MESSAGE:
        /* Not provider events procflow uses: size in the first 16 bits. */
        size = le16(b);
        if (size < 8 || size > left) {
            rest_damaged(e, "event size out of range");
            return;
        }
        e->st.events++;
        pseudo_guid(guid, 0xfe, (uint8_t)ht);
        count_other(e, guid);
        e->pos += (size + 7) & ~(size_t)7;
        return;
    default:
        rest_damaged(e, "unknown event header type");
        return;
    }
    if (size < hsize || size > left) {
        char what[96];
        snprintf(what, sizeof what, "event size %zu out of range [%zu, %zu]", size, hsize, left);
        rest_damaged(e, what);
        return;
    }
    e->pos += (size + 7) & ~(size_t)7;
    if (e->pos > e->end)
        e->pos = e->end;
    e->st.events++;

    const uint8_t *payload = b + hsize;
    size_t plen = size - hsize;
    if (ht == HT_EVENT32 || ht == HT_EVENT64) {
        uint16_t hflags = le16(b + 4);
        if (hflags & 0x01) { /* extended data items precede the payload */
            for (int guard = 0; guard < 64; guard++) {
                if (plen < 8) {
                    e->st.events_damaged++;
                    return;
                }
                size_t data = le16(payload + 6);
                size_t item = le16(payload);
                size_t min = (8 + data + 7) & ~(size_t)7;
                if (item < 8 + data)
                    item = min;
                if (item > plen) {
                    e->st.events_damaged++;
                    return;
                }
                int more = le16(payload + 4) & 1;
                payload += item;
                plen -= item;
                if (!more)
                    break;
            }
        }
    }

    if (by_group && group == 0 && ev.id == 0 && !e->have_header && e->buf_index == 0) {
        parse_logfile_header(e, payload, plen, raw_ts, ev.pointer_size);
        pseudo_guid(guid, 0xff, 0);
        count_other(e, guid);
        return;
    }
    /* The span of the events themselves, whatever their provider: the
     * header's start time can lie far before the first event. */
    uint64_t ts_ns = raw_to_ns(e, raw_ts);
    if (!e->st.first_event_ns || ts_ns < e->st.first_event_ns)
        e->st.first_event_ns = ts_ns;
    if (ts_ns > e->st.last_event_ns)
        e->st.last_event_ns = ts_ns;
    if (by_group) {
        ev.provider = pf_etw_provider_from_group(group);
        if (ev.provider == PF_ETW_PROV_UNKNOWN) {
            pseudo_guid(guid, 0xff, (uint8_t)group);
            count_other(e, guid);
            return;
        }
    } else {
        ev.provider = pf_etw_provider_from_guid(guid);
        if (ev.provider == PF_ETW_PROV_UNKNOWN) {
            count_other(e, guid);
            return;
        }
        /* Classic (MOF) providers carried in an EVENT_HEADER name the
         * event by its opcode, as the system headers do. */
        if ((ht == HT_EVENT32 || ht == HT_EVENT64) &&
            (ev.provider == PF_ETW_PROV_TCPIP || ev.provider == PF_ETW_PROV_UDPIP ||
             ev.provider == PF_ETW_PROV_PROCESS))
            ev.id = b[45];
    }
    e->st.events_known++;
    if (ev.id < 256)
        e->st.by_id[ev.provider][ev.id]++;
    else
        e->st.by_id_high[ev.provider]++;
    if (pend_push(e, &ev, ts_ns, payload, plen) < 0)
        e->oom = 1;
}

static int pend_cmp(const void *a, const void *b)
{
    const struct pending *x = a, *y = b;
    if (x->ts_ns != y->ts_ns)
        return x->ts_ns < y->ts_ns ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Decodes the next collected event into the queue; 0 when none is left. */
static int pend_decode_next(pf_etl *e)
{
    while (e->pend_next < e->pend_len) {
        const struct pending *p = &e->pend[e->pend_next++];
        struct pf_etw_event ev;
        memset(&ev, 0, sizeof ev);
        ev.provider = p->provider;
        ev.id = p->id;
        ev.version = p->version;
        ev.pointer_size = p->pointer_size;
        ev.header_pid = p->header_pid;
        ev.ts_ns = p->ts_ns;
        ev.ts_is_utc = 1; /* the reader's output clock */
        ev.payload = e->arena ? e->arena + p->off : NULL; /* no arena: every payload is empty */
        ev.payload_len = p->len;
        int n = pf_etw_decode(e->dec, &ev, e->queue, PF_ETW_MAX_RECORDS);
        if (n <= 0) {
            e->st.events_undecoded++;
            if (pf_etw_last_skip(e->dec) == PF_ETW_SKIP_VERSION)
                e->st.events_unknown_version++;
            continue;
        }
        e->q_head = 0;
        e->q_len = n;
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------ API */

static int open_common(pf_etl *e, const struct pf_reader_options *opt)
{
    if (opt)
        e->opt = *opt;
    e->dec = pf_etw_decoder_new();
    if (!e->dec)
        return PF_E_NOMEM;
    e->info.major = PF_FORMAT_MAJOR;
    e->info.minor = PF_FORMAT_MINOR;
    e->info.os = "Windows";
    e->info.os_release = "";
    e->info.recorder = "ETW session";
    e->info.platform = PF_PLATFORM_WINDOWS;
    e->info.clock_id = PF_CLOCK_UTC;
    e->freq = 10000000u;

    uint8_t probe[BUF_HDR + 0x20];
    size_t got = src_read(e, probe, sizeof probe);
    if (e->io_errno)
        return PF_E_IO;
    if (!pf_etl_probe(probe, got))
        return PF_E_NOT_CAPTURE;
    /* Rewind to the start: memory by offset, files by re-seeking. */
    if (e->fp) {
        if (fseek(e->fp, 0, SEEK_SET) != 0) {
            e->io_errno = errno;
            return PF_E_IO;
        }
    }
    e->file_off = 0;
    /* Load the first buffer and parse the logfile header now, so that
     * pf_etl_info() is complete before the first record. */
    int rc = next_buffer(e);
    if (rc < 0)
        return rc;
    if (rc > 0) {
        while (e->pos < e->end && !e->have_header && e->st.events == 0 && !e->q_len)
            walk_event(e);
    }
    if (!e->have_header)
        damage(e, 0, 0, PF_E_HEADER, "no logfile header event in the first buffer");
    static const uint8_t zero[16];
    if (!memcmp(e->info.uuid, zero, 16) && rc > 0) {
        /* Still a stable id for re-import detection: the first buffer. */
        derive_uuid(e->info.uuid, e->buf, e->end);
        memcpy(e->info.series_uuid, e->info.uuid, 16);
    }
    return PF_OK;
}

int pf_etl_open(pf_etl **out, const char *path, const struct pf_reader_options *opt)
{
    if (!out || !path)
        return PF_E_ARG;
    *out = NULL;
    pf_etl *e = calloc(1, sizeof *e);
    if (!e)
        return PF_E_NOMEM;
    e->fp = fopen(path, "rb");
    if (!e->fp) {
        free(e);
        return PF_E_IO;
    }
    int rc = open_common(e, opt);
    if (rc < 0) {
        pf_etl_close(e);
        return rc;
    }
    *out = e;
    return PF_OK;
}

int pf_etl_open_mem(pf_etl **out, const void *data, size_t len, const struct pf_reader_options *opt)
{
    if (!out || (!data && len))
        return PF_E_ARG;
    *out = NULL;
    pf_etl *e = calloc(1, sizeof *e);
    if (!e)
        return PF_E_NOMEM;
    e->mem = data;
    e->mem_len = len;
    int rc = open_common(e, opt);
    if (rc < 0) {
        pf_etl_close(e);
        return rc;
    }
    *out = e;
    return PF_OK;
}

void pf_etl_close(pf_etl *e)
{
    if (!e)
        return;
    if (e->fp)
        fclose(e->fp);
    pf_etw_decoder_free(e->dec);
    free(e->raw);
    free(e->unz);
    free(e->pend);
    free(e->arena);
    free(e);
}

const struct pf_file_info *pf_etl_info(const pf_etl *e)
{
    return e ? &e->info : NULL;
}

/* Collects the known events of the next window of buffers and sorts them.
 * Returns 1 when events are ready, 0 at the end, <0 on a fatal error. */
static int collect_window(pf_etl *e)
{
    e->pend_len = e->pend_next = 0;
    e->arena_len = 0;
    while (e->arena_len < PF_ETL_SORT_WINDOW && e->pend_len < PF_ETL_SORT_EVENTS) {
        if (e->have_buffer && e->pos < e->end) {
            walk_event(e);
            if (e->oom)
                return PF_E_NOMEM;
            continue;
        }
        e->have_buffer = 0;
        int rc = next_buffer(e);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
    }
    if (e->pend_len > 1)
        qsort(e->pend, e->pend_len, sizeof *e->pend, pend_cmp);
    return e->pend_len > 0;
}

int pf_etl_next(pf_etl *e, struct pf_record *rec)
{
    if (!e || !rec)
        return PF_E_ARG;
    for (;;) {
        if (e->q_len > 0) {
            *rec = e->queue[e->q_head++];
            e->q_len--;
            e->st.records++;
            return 1;
        }
        if (pend_decode_next(e))
            continue;
        int rc = collect_window(e);
        if (rc <= 0)
            return rc;
    }
}

void pf_etl_get_stats(const pf_etl *e, struct pf_etl_stats *st)
{
    if (!st)
        return;
    if (!e) {
        memset(st, 0, sizeof *st);
        return;
    }
    *st = e->st;
    st->file_bytes = e->file_off;
}
