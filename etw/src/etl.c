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

#include "cursor.h"
#include "procflow/etw_decode.h"
#include "xpress.h"

#define BUF_HDR 0x48u
#define BUF_FLAG_COMPRESSED 0x40u

/* Header types (third byte of the event marker). */
enum {
    HT_SYSTEM32 = 1,
    HT_SYSTEM64 = 2,
    HT_COMPACT32 = 3,
    HT_COMPACT64 = 4,
    HT_FULL32 = 10,
    HT_INSTANCE32 = 11,
    HT_TIMED = 12,
    HT_ERROR = 13,
    HT_WNODE = 14,
    HT_MESSAGE = 15,
    HT_PERFINFO32 = 16,
    HT_PERFINFO64 = 17,
    HT_EVENT32 = 18,
    HT_EVENT64 = 19,
    HT_FULL64 = 20,
    HT_INSTANCE64 = 21
};

/* 100 ns ticks between 1601-01-01 and 1970-01-01. */
#define FILETIME_UNIX_DIFF 116444736000000000LL

struct pf_etl {
    FILE *fp; /* file source, or NULL for memory */
    const uint8_t *mem;
    size_t mem_len;
    uint64_t file_off; /* offset of the next unread byte */
    int eof;
    int io_errno;

    struct pf_reader_options opt;
    struct pf_file_info info;
    struct pf_etl_stats st;
    pf_etw_decoder *dec;

    uint8_t *raw; /* current buffer as read */
    size_t raw_cap;
    uint8_t *unz; /* decompressed buffer (header copied in front) */
    size_t unz_cap;
    const uint8_t *buf; /* the current buffer: buf[0..end) */
    size_t end;
    struct pf_cur events; /* its events not yet walked */
    uint64_t buf_off;     /* file offset of the current buffer */
    uint64_t buf_index;
    int have_buffer;

    struct pf_record queue[PF_ETW_MAX_RECORDS];
    int q_head, q_len;

    /* Time order: kernel loggers write one buffer per CPU and flush them
     * independently, so file order is not time order. Known events wait in
     * a min-heap on (time, file order), a sliding window of at most
     * PF_ETL_SORT_WINDOW payload bytes and PF_ETL_SORT_EVENTS events: the
     * earliest is decoded when the window is full or the file ends, so the
     * per-buffer streams come out merged and memory stays flat in file
     * length. */
    struct pending *pend;
    size_t pend_len, pend_cap;
    size_t pend_bytes; /* payload bytes in the window */
    uint8_t *held;     /* payload of the records in the queue */
    uint64_t seq;
    int oom, drained;

    /* Clock: raw timestamps -> UTC ns. */
    int have_header;
    uint32_t clock_type;
    uint64_t freq;              /* ticks per second (QPC or CPU cycles) */
    int64_t raw0;               /* raw time of the logfile header event */
    int64_t utc0_ns;            /* StartTime as Unix ns */
    uint32_t fixed_buffer_size; /* for resync in uncompressed files */

    char os_release[48];
    char recorder[160];
};

struct pending {
    uint64_t ts_ns;
    uint64_t seq;     /* file order: ties keep it */
    uint8_t *payload; /* a copy; NULL when empty */
    size_t len;
    uint32_t header_pid;
    uint16_t id;
    uint8_t provider, version, pointer_size;
};

const char *pf_etl_provider_name(unsigned provider) { return pf_etw_provider_name(provider); }

int pf_etl_probe(const void *first_bytes, size_t n)
{
    struct pf_cur c;
    if (!first_bytes || n < BUF_HDR + 0x20)
        return 0;
    pf_cur_init(&c, first_bytes, n);
    uint32_t bsize = pf_get_u32(&c);
    if (bsize < BUF_HDR + 0x20 || bsize > PF_ETL_MAX_BUFFER_BYTES)
        return 0;
    /* Logfile header event: system header, group 0 type 0. */
    pf_cur_skip(&c, BUF_HDR - 4 + 2); /* to the event, past its version */
    uint8_t ht = pf_get_u8(&c), flags = pf_get_u8(&c);
    uint16_t size = pf_get_u16(&c);
    uint16_t type_group = pf_get_u16(&c);
    if ((ht != HT_SYSTEM32 && ht != HT_SYSTEM64) || (flags & 0xc0) != 0xc0 || type_group != 0)
        return 0;
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

/* Makes the array p of *cap elements of `elem` bytes hold at least `need`
 * (>= 1) elements, doubling from `first`. Returns the array, or NULL when
 * memory runs out (p is then unchanged). */
static void *grow_array(void *p, size_t *cap, size_t need, size_t elem, size_t first)
{
    size_t ncap;
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    /* Exact byte-buffer sizes let the sanitizer see any read past the data. */
    if (elem == 1) {
        if (need == *cap)
            return p;
        ncap = need ? need : 1;
    } else
#endif
    {
        if (need <= *cap)
            return p;
        ncap = *cap ? *cap : first;
        while (ncap < need) {
            if (ncap > SIZE_MAX / 2 / elem)
                return NULL;
            ncap *= 2;
        }
    }
    if (ncap > SIZE_MAX / elem)
        return NULL;
    void *np = realloc(p, ncap * elem);
    if (np)
        *cap = ncap;
    return np;
}

static int grow(uint8_t **p, size_t *cap, size_t need)
{
    uint8_t *np = grow_array(*p, cap, need, 1, 65536);
    if (!np)
        return PF_E_NOMEM;
    *p = np;
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
static void parse_logfile_header(pf_etl *e, struct pf_cur c, int64_t raw_ts, unsigned hdr_psize)
{
    if (pf_cur_left(&c) < 56) {
        damage(e, e->buf_off, e->buf_off, PF_E_HEADER, "logfile header shorter than 56 bytes");
        return;
    }
    derive_uuid(e->info.uuid, c.p, pf_cur_left(&c));
    memcpy(e->info.series_uuid, e->info.uuid, 16);
    e->st.buffer_size = pf_get_u32(&c);
    uint8_t major = pf_get_u8(&c), minor = pf_get_u8(&c);
    pf_cur_skip(&c, 2);             /* sub-version, sub-minor version */
    e->st.build = pf_get_u32(&c);   /* provider version */
    pf_cur_skip(&c, 4 + 8 + 4 + 4); /* processors, end time, timer resolution, max file size */
    e->st.log_file_mode = pf_get_u32(&c);
    pf_cur_skip(&c, 4 + 4); /* buffers written, start buffers */
    uint32_t psize = pf_get_u32(&c);
    if (psize != 4 && psize != 8)
        psize = hdr_psize;
    e->st.pointer_size = psize;
    e->st.events_lost = pf_get_u32(&c);
    uint32_t cpu_mhz = pf_get_u32(&c);
    e->fixed_buffer_size = e->st.buffer_size;
    snprintf(e->os_release, sizeof e->os_release, "%u.%u.%u", major, minor, (unsigned)e->st.build);
    e->info.os_release = e->os_release;
    /* Two string pointers of the header's own width, TIME_ZONE_INFORMATION,
     * then the 64-bit fields aligned to 8 from the header's start. */
    size_t tz_end = 56 + 2 * (size_t)hdr_psize + 172;
    size_t boot = (tz_end + 7) & ~(size_t)7;
    pf_cur_skip(&c, boot - 56 + 8); /* ... and the boot time */
    int64_t perf_freq = (int64_t)pf_get_u64(&c);
    int64_t start_time = (int64_t)pf_get_u64(&c);
    uint32_t clock_type = pf_get_u32(&c);
    uint32_t buffers_lost = pf_get_u32(&c);
    if (c.bad) {
        damage(e, e->buf_off, e->buf_off, PF_E_HEADER, "logfile header truncated before its clock fields");
        return;
    }
    e->clock_type = clock_type;
    e->st.buffers_lost = buffers_lost;
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
    if (pf_cur_left(&c))
        pf_etw_utf16_to_utf8(c.p, pf_cur_left(&c), name, sizeof name);
    for (char *ch = name; *ch; ch++)
        if ((unsigned char)*ch < 0x20 || *ch == 0x7f)
            *ch = '?'; /* untrusted text */
    snprintf(e->recorder, sizeof e->recorder, "ETW session %s", name[0] ? name : "(unnamed)");
    e->info.recorder = e->recorder;
    e->have_header = 1;
}

/* ------------------------------------------------------------ buffers */

/* The WMI_BUFFER_HEADER fields the reader uses. */
struct buffer_head {
    uint32_t size;         /* bytes on disk, header included */
    uint32_t saved_offset; /* end of the events when flushed */
    uint32_t filled;       /* current offset; decompressed size when compressed */
    uint16_t flags;
};

static struct buffer_head read_buffer_head(const uint8_t hdr[BUF_HDR])
{
    struct pf_cur c;
    struct buffer_head h;
    pf_cur_init(&c, hdr, BUF_HDR);
    h.size = pf_get_u32(&c);
    h.saved_offset = pf_get_u32(&c);
    pf_cur_skip(&c, 0x30 - 8); /* timestamps, sequence, clock, client context, state */
    h.filled = pf_get_u32(&c);
    h.flags = pf_get_u16(&c);
    return h;
}

/* Decompresses the XPRESS buffer in e->raw (header bh, at file offset
 * off) into e->unz. 1 when its events are ready, 0 when it is damaged
 * (reported), <0 on a fatal error. */
static int decompress_buffer(pf_etl *e, const struct buffer_head *bh, uint64_t off)
{
    uint32_t filled = bh->filled; /* the decompressed end */
    e->st.buffers_compressed++;
    /* A buffer never holds more than the logger's buffer size. */
    uint32_t cap = e->st.buffer_size >= BUF_HDR && e->st.buffer_size <= PF_ETL_MAX_BUFFER_BYTES
                       ? e->st.buffer_size
                       : PF_ETL_MAX_BUFFER_BYTES;
    if (filled < BUF_HDR || filled > cap) {
        e->st.buffers_damaged++;
        e->st.bytes_skipped += bh->size;
        char what[128];
        snprintf(what, sizeof what, "compressed buffer: decompressed size %u out of range [%u, %u]", filled, BUF_HDR,
                 cap);
        damage(e, off, e->file_off, PF_E_FRAMING, what);
        return 0;
    }
    int rc = grow(&e->unz, &e->unz_cap, filled);
    if (rc < 0)
        return rc;
    memcpy(e->unz, e->raw, BUF_HDR);
    long out = pf_xpress_decompress(e->raw + BUF_HDR, bh->size - BUF_HDR, e->unz + BUF_HDR, filled - BUF_HDR);
    if (out < 0 || (size_t)out != filled - BUF_HDR) {
        e->st.buffers_damaged++;
        e->st.bytes_skipped += bh->size;
        damage(e, off, e->file_off, PF_E_DECOMPRESS,
               out < 0 ? "compressed buffer: malformed LZ77 data" : "compressed buffer: decompressed size mismatch");
        return 0;
    }
    e->buf = e->unz;
    e->end = filled;
    return 1;
}

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
        struct buffer_head bh = read_buffer_head(hdr);
        uint32_t bsize = bh.size;
        if (bsize < BUF_HDR || bsize > PF_ETL_MAX_BUFFER_BYTES) {
            char what[128];
            /* Without a size there is no next buffer, unless the file uses
             * one fixed buffer size (uncompressed logs). */
            e->st.buffers_damaged++;
            uint32_t fb = e->fixed_buffer_size;
            int can = fb >= BUF_HDR && fb <= PF_ETL_MAX_BUFFER_BYTES && !(e->st.log_file_mode & 0x04000000u);
            uint64_t next = can ? (off / fb + 1) * fb : 0;
            if (can && next > off) {
                uint64_t sk = src_skip(e, next - e->file_off);
                e->st.bytes_skipped += BUF_HDR + sk;
                snprintf(what, sizeof what,
                         "buffer size %u out of range [%u, %u]; resynced at the next buffer boundary", bsize, BUF_HDR,
                         PF_ETL_MAX_BUFFER_BYTES);
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
        if (bh.flags & BUF_FLAG_COMPRESSED) {
            rc = decompress_buffer(e, &bh, off);
            if (rc < 0)
                return rc;
            if (rc == 0)
                continue; /* damaged: reported, skipped */
        } else {
            e->buf = e->raw;
            if (bh.filled >= BUF_HDR && bh.filled <= bsize)
                e->end = bh.filled;
            else if (bh.saved_offset >= BUF_HDR && bh.saved_offset <= bsize)
                e->end = bh.saved_offset;
            else
                e->end = bsize;
        }
        pf_cur_init(&e->events, e->buf, e->end);
        pf_cur_skip(&e->events, BUF_HDR);
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
    uint64_t at = e->buf == e->unz ? e->buf_off : e->buf_off + (uint64_t)(e->events.p - e->buf);
    damage(e, at, e->file_off, PF_E_RECORD, what);
}

/* Takes the next event's `size` bytes (checked against the buffer by
 * read_head) off the buffer, with the padding to 8 that follows. */
static struct pf_cur step_event(pf_etl *e, size_t size)
{
    struct pf_cur body = pf_cur_take(&e->events, size);
    size_t pad = ((size + 7) & ~(size_t)7) - size;
    size_t left = pf_cur_left(&e->events);
    pf_cur_skip(&e->events, pad < left ? pad : left);
    e->st.events++;
    return body;
}

static int pend_before(const struct pending *x, const struct pending *y)
{
    return x->ts_ns != y->ts_ns ? x->ts_ns < y->ts_ns : x->seq < y->seq;
}

/* Keeps a copy of a known event for the time-ordered decode. */
static int pend_push(pf_etl *e, const struct pf_etw_event *ev, uint64_t ts_ns, const uint8_t *payload, size_t plen)
{
    struct pending *np = grow_array(e->pend, &e->pend_cap, e->pend_len + 1, sizeof *np, 1024);
    if (!np)
        return PF_E_NOMEM;
    e->pend = np;
    struct pending p = {.ts_ns = ts_ns,
                        .seq = e->seq++,
                        .len = plen,
                        .header_pid = ev->header_pid,
                        .id = ev->id,
                        .provider = (uint8_t)ev->provider,
                        .version = ev->version,
                        .pointer_size = ev->pointer_size};
    if (plen) {
        if (!(p.payload = malloc(plen)))
            return PF_E_NOMEM;
        memcpy(p.payload, payload, plen);
    }
    /* sift up */
    size_t i = e->pend_len++;
    while (i > 0 && pend_before(&p, &e->pend[(i - 1) / 2])) {
        e->pend[i] = e->pend[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    e->pend[i] = p;
    e->pend_bytes += plen;
    return 0;
}

/* Takes the earliest waiting event out of the heap. */
static struct pending pend_pop(pf_etl *e)
{
    struct pending top = e->pend[0], last = e->pend[--e->pend_len];
    size_t i = 0, n = e->pend_len;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && pend_before(&e->pend[c + 1], &e->pend[c]))
            c++;
        if (!pend_before(&e->pend[c], &last))
            break;
        e->pend[i] = e->pend[c];
        i = c;
    }
    if (n)
        e->pend[i] = last;
    e->pend_bytes -= top.len;
    return top;
}

/* One event's fixed header, whatever its header type. */
struct event_head {
    unsigned type;      /* header type (HT_*) */
    size_t hsize, size; /* header, whole event: bytes */
    int by_group;       /* system headers name the provider by its group */
    unsigned group;
    uint16_t flags; /* EVENT_HEADER flags */
    uint8_t opcode; /* EVENT_HEADER descriptor opcode */
    int64_t raw_ts;
    uint8_t guid[16];
    struct pf_etw_event ev;
};

enum head_kind {
    HEAD_END,   /* the rest of the buffer is unused */
    HEAD_BAD,   /* the rest of the buffer cannot be walked */
    HEAD_OTHER, /* a header type procflow does not use; its size is known */
    HEAD_EVENT  /* a provider event */
};

static void read_guid(struct pf_cur *c, uint8_t guid[16])
{
    const uint8_t *g = pf_get_bytes(c, 16);
    if (g)
        memcpy(guid, g, 16);
}

/* System, compact and perfinfo headers (classic kernel events). */
static void read_system_head(struct pf_cur *c, struct event_head *h)
{
    unsigned ht = h->type;
    h->ev.version = (uint8_t)pf_get_u16(c);
    pf_cur_skip(c, 2); /* header type, marker flags */
    h->size = pf_get_u16(c);
    h->ev.id = pf_get_u8(c);
    h->group = pf_get_u8(c);
    h->by_group = 1;
    h->ev.pointer_size = (ht == HT_SYSTEM32 || ht == HT_COMPACT32 || ht == HT_PERFINFO32) ? 4 : 8;
    if (h->hsize >= 0x18) {
        pf_cur_skip(c, 4); /* thread id */
        h->ev.header_pid = pf_get_u32(c);
    }
    h->raw_ts = (int64_t)pf_get_u64(c);
}

/* Full and instance headers (classic events of other providers). */
static void read_full_head(struct pf_cur *c, struct event_head *h)
{
    h->size = pf_get_u16(c);
    pf_cur_skip(c, 2);       /* header type, marker flags */
    h->ev.id = pf_get_u8(c); /* class type */
    pf_cur_skip(c, 1);       /* level */
    h->ev.version = (uint8_t)pf_get_u16(c);
    pf_cur_skip(c, 4); /* thread id */
    h->ev.header_pid = pf_get_u32(c);
    h->raw_ts = (int64_t)pf_get_u64(c);
    read_guid(c, h->guid);
    h->ev.pointer_size = (h->type == HT_FULL32 || h->type == HT_INSTANCE32) ? 4 : 8;
}

/* EVENT_HEADER (manifest providers, and classic ones written through it). */
static void read_event_head(struct pf_cur *c, struct event_head *h)
{
    h->size = pf_get_u16(c);
    pf_cur_skip(c, 2); /* header type */
    h->flags = pf_get_u16(c);
    pf_cur_skip(c, 2 + 4); /* event property, thread id */
    h->ev.header_pid = pf_get_u32(c);
    h->raw_ts = (int64_t)pf_get_u64(c);
    read_guid(c, h->guid);
    h->ev.id = pf_get_u16(c);
    h->ev.version = pf_get_u8(c);
    pf_cur_skip(c, 2); /* channel, level */
    h->opcode = pf_get_u8(c);
    h->ev.pointer_size = h->type == HT_EVENT32 ? 4 : 8;
}

/* Provider-event header types: header size and reader. */
static const struct head_type {
    size_t hsize;
    void (*read)(struct pf_cur *, struct event_head *);
} head_types[] = {
    [HT_SYSTEM32] = {0x20, read_system_head},   [HT_SYSTEM64] = {0x20, read_system_head},
    [HT_COMPACT32] = {0x18, read_system_head},  [HT_COMPACT64] = {0x18, read_system_head},
    [HT_PERFINFO32] = {0x10, read_system_head}, [HT_PERFINFO64] = {0x10, read_system_head},
    [HT_FULL32] = {0x30, read_full_head},       [HT_FULL64] = {0x30, read_full_head},
    [HT_INSTANCE32] = {0x38, read_full_head},   [HT_INSTANCE64] = {0x38, read_full_head},
    [HT_EVENT32] = {0x50, read_event_head},     [HT_EVENT64] = {0x50, read_event_head},
};

/* Reads the header of the event that starts the cursor (the unwalked rest
 * of the buffer). On HEAD_BAD, `what` says why. */
static enum head_kind read_head(struct pf_cur c, struct event_head *h, char *what, size_t what_cap)
{
    size_t left = pf_cur_left(&c);
    memset(h, 0, sizeof *h);
    h->ev.header_pid = UINT32_MAX;
    if (left < 8)
        return HEAD_END;
    struct pf_cur m = c;
    uint16_t first = pf_get_u16(&m);
    h->type = pf_get_u8(&m);
    uint8_t marker_flags = pf_get_u8(&m);
    uint32_t marker = first | (uint32_t)h->type << 16 | (uint32_t)marker_flags << 24;
    if (marker == 0xffffffffu || marker == 0)
        return HEAD_END; /* unused tail of the buffer */
    if (!(marker_flags & 0x80)) {
        snprintf(what, what_cap, "event marker without the trace-header flag");
        return HEAD_BAD;
    }
    const struct head_type *t = h->type < sizeof head_types / sizeof head_types[0] ? &head_types[h->type] : NULL;
    if (!t || !t->read) {
        if (h->type != HT_TIMED && h->type != HT_ERROR && h->type != HT_WNODE && h->type != HT_MESSAGE) {
            snprintf(what, what_cap, "unknown event header type");
            return HEAD_BAD;
        }
        /* Not provider events procflow uses: size in the first 16 bits. */
        h->size = first;
        if (h->size < 8 || h->size > left) {
            snprintf(what, what_cap, "event size out of range");
            return HEAD_BAD;
        }
        pseudo_guid(h->guid, 0xfe, (uint8_t)h->type);
        return HEAD_OTHER;
    }
    h->hsize = t->hsize;
    if (left < h->hsize) {
        snprintf(what, what_cap, "event header cut by the buffer end");
        return HEAD_BAD;
    }
    struct pf_cur hc = pf_cur_take(&c, h->hsize);
    t->read(&hc, h);
    if (h->size < h->hsize || h->size > left) {
        snprintf(what, what_cap, "event size %zu out of range [%zu, %zu]", h->size, h->hsize, left);
        return HEAD_BAD;
    }
    return HEAD_EVENT;
}

/* The payload of an event: after its header and, in EVENT_HEADER events,
 * after the extended data items. 0 when the items do not fit. */
static int event_payload(struct pf_cur body, const struct event_head *h, struct pf_cur *payload)
{
    pf_cur_skip(&body, h->hsize);
    if ((h->type == HT_EVENT32 || h->type == HT_EVENT64) && (h->flags & 0x01)) {
        for (int guard = 0; guard < 64; guard++) {
            if (pf_cur_left(&body) < 8)
                return 0;
            size_t item = pf_get_u16(&body);
            pf_cur_skip(&body, 2); /* item type */
            int more = pf_get_u16(&body) & 1;
            size_t data = pf_get_u16(&body);
            if (item < 8 + data)
                item = (8 + data + 7) & ~(size_t)7;
            if (!pf_cur_skip(&body, item - 8))
                return 0;
            if (!more)
                break;
        }
    }
    *payload = body;
    return 1;
}

/* Hands a walked event to its consumer: the logfile header, the counts of
 * other providers' events, or the time-ordered decode. */
static void take_event(pf_etl *e, struct event_head *h, struct pf_cur payload)
{
    struct pf_etw_event *ev = &h->ev;
    if (h->by_group && h->group == 0 && ev->id == 0 && !e->have_header && e->buf_index == 0) {
        parse_logfile_header(e, payload, h->raw_ts, ev->pointer_size);
        pseudo_guid(h->guid, 0xff, 0);
        count_other(e, h->guid);
        return;
    }
    /* The span of the events themselves, whatever their provider: the
     * header's start time can lie far before the first event. */
    uint64_t ts_ns = raw_to_ns(e, h->raw_ts);
    if (!e->st.first_event_ns || ts_ns < e->st.first_event_ns)
        e->st.first_event_ns = ts_ns;
    if (ts_ns > e->st.last_event_ns)
        e->st.last_event_ns = ts_ns;
    if (h->by_group) {
        ev->provider = pf_etw_provider_from_group(h->group);
        if (ev->provider == PF_ETW_PROV_UNKNOWN) {
            pseudo_guid(h->guid, 0xff, (uint8_t)h->group);
            count_other(e, h->guid);
            return;
        }
    } else {
        ev->provider = pf_etw_provider_from_guid(h->guid);
        if (ev->provider == PF_ETW_PROV_UNKNOWN) {
            count_other(e, h->guid);
            return;
        }
        /* Classic (MOF) providers carried in an EVENT_HEADER name the
         * event by its opcode, as the system headers do. */
        if ((h->type == HT_EVENT32 || h->type == HT_EVENT64) &&
            (ev->provider == PF_ETW_PROV_TCPIP || ev->provider == PF_ETW_PROV_UDPIP ||
             ev->provider == PF_ETW_PROV_PROCESS))
            ev->id = h->opcode;
    }
    e->st.events_known++;
    if (ev->id < 256)
        e->st.by_id[ev->provider][ev->id]++;
    else
        e->st.by_id_high[ev->provider]++;
    size_t plen = pf_cur_left(&payload);
    if (pend_push(e, ev, ts_ns, pf_get_bytes(&payload, plen), plen) < 0)
        e->oom = 1;
}

/* Walks the next event of the current buffer; known events are collected.
 * Phases: header, payload, hand-over. */
static void walk_event(pf_etl *e)
{
    struct event_head h;
    struct pf_cur body, payload;
    char what[96];
    switch (read_head(e->events, &h, what, sizeof what)) {
    case HEAD_END: goto rest_unused;
    case HEAD_BAD: rest_damaged(e, what); goto rest_unused;
    case HEAD_OTHER:
        step_event(e, h.size);
        count_other(e, h.guid);
        return;
    case HEAD_EVENT: break;
    }
    body = step_event(e, h.size);
    if (!event_payload(body, &h, &payload)) {
        e->st.events_damaged++;
        return;
    }
    take_event(e, &h, payload);
    return;
rest_unused:
    pf_cur_skip(&e->events, pf_cur_left(&e->events));
}

/* Decodes the earliest waiting event (there is one) into the queue; 0 when
 * it gives no records. */
static int pend_decode_next(pf_etl *e)
{
    struct pending p = pend_pop(e);
    /* the records handed out before may point into the last payload */
    free(e->held);
    e->held = p.payload;
    struct pf_etw_event ev;
    memset(&ev, 0, sizeof ev);
    ev.provider = p.provider;
    ev.id = p.id;
    ev.version = p.version;
    ev.pointer_size = p.pointer_size;
    ev.header_pid = p.header_pid;
    ev.ts_ns = p.ts_ns;
    ev.ts_is_utc = 1; /* the reader's output clock */
    ev.payload = p.payload;
    ev.payload_len = p.len;
    int n = pf_etw_decode(e->dec, &ev, e->queue, PF_ETW_MAX_RECORDS);
    if (n <= 0) {
        e->st.events_undecoded++;
        if (pf_etw_last_skip(e->dec) == PF_ETW_SKIP_VERSION)
            e->st.events_unknown_version++;
        return 0;
    }
    e->q_head = 0;
    e->q_len = n;
    return 1;
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
        while (pf_cur_left(&e->events) && !e->have_header && e->st.events == 0 && !e->q_len)
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
    while (e->pend_len > 0)
        free(pend_pop(e).payload);
    free(e->pend);
    free(e->held);
    free(e);
}

const struct pf_file_info *pf_etl_info(const pf_etl *e) { return e ? &e->info : NULL; }

/* Reads events into the window until it is full or the file ends.
 * Returns 0, or <0 on a fatal error. */
static int fill_window(pf_etl *e)
{
    while (!e->drained && e->pend_bytes < PF_ETL_SORT_WINDOW && e->pend_len < PF_ETL_SORT_EVENTS) {
        if (e->have_buffer && pf_cur_left(&e->events)) {
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
            e->drained = 1;
    }
    return 0;
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
        int rc = fill_window(e);
        if (rc < 0)
            return rc;
        if (e->pend_len == 0)
            return 0;
        pend_decode_next(e);
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
