/* SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
/* Capture writer: records -> chunk payload -> zstd frame -> checksummed block.
 *
 * Each chunk is independent: the flow table that lets traffic records name
 * their socket with a small id is cleared at every chunk boundary, and the
 * timestamp delta chains restart from zero. Records are laid out in streams
 * (format 1.2, spec §5.4): record types, times, flow references, flow
 * definitions, traffic durations and the other body bytes each go to a
 * stream of their own, so values of one kind sit together for zstd. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "cursor.h"
#include "fileio.h"
#include "internal.h"
#include "pfc/htab.h"

/* A flow key packed for hashing and comparing in the writer's flow table
 * (memory only, never on disk): offsets of its fields. */
enum {
    KEY_PID = 0,           /* u32 */
    KEY_PID_START = 4,     /* u64 */
    KEY_SOCK_ID = 12,      /* u64 */
    KEY_PROTO = 20,        /* u8 */
    KEY_FAMILY = 21,       /* u8 */
    KEY_LOCAL_ADDR = 22,   /* 16 bytes */
    KEY_LOCAL_PORT = 38,   /* u16 */
    KEY_REMOTE_ADDR = 40,  /* 16 bytes */
    KEY_REMOTE_PORT = 56,  /* u16 */
    KEY_LOCAL_SCOPE = 58,  /* u32 */
    KEY_REMOTE_SCOPE = 62, /* u32 */
    KEY_NETNS = 66,        /* u64 */
    FLOW_KEY_BYTES = 74
};

static uint64_t hash_key(const void *key);

/* A flow known in the open chunk: its packed key and chunk-local id. */
struct flow_slot {
    uint8_t key[FLOW_KEY_BYTES];
    uint32_t id;
};

/* Chunks up to this size are compressed at PF_SMALL_CHUNK_LEVEL unless the
 * caller chose a level (see chunk_level). */
#define PF_SMALL_CHUNK_BYTES (128u << 10)
#define PF_SMALL_CHUNK_LEVEL 15

/* Values of a planes stream (spec §5.4) until the chunk closes. */
struct value_list {
    uint64_t *v;
    size_t n, cap;
};

struct index_entry {
    uint64_t offset, seq, first_ns, last_ns;
    uint32_t records;
};

struct pf_writer {
    /* sink */
    int fd;             /* -1 for a memory writer */
    struct pfc_buf mem; /* memory writer's bytes */
    char *path;         /* final name */
    char *partial;      /* NAME.partial, or NULL when written in place */
    int failed;         /* sticky error */
    int closed;
    int last_errno;
    int borrowed;    /* fd belongs to the caller (a pipe, stdout): no sync, close or rename */
    uint64_t offset; /* bytes of complete blocks */

    struct pf_writer_options opt;
    int level_chosen; /* the caller named a zstd level: use it for every chunk */
    ZSTD_CCtx *cctx;

    /* open chunk: one buffer per stream, joined into raw when the chunk closes */
    struct pfc_buf streams[PF_STREAMS];
    struct value_list planes[2]; /* times and durations, stored as planes when the chunk closes */
    /* Bytes the streams will take, about: a plane value counts 4 bytes and
     * may take up to 8, so a chunk can exceed chunk_bytes (at most 32 MiB)
     * by at most 2/3 and stays under the 64 MiB a reader accepts. */
    size_t pending;
    struct pfc_buf raw;
    struct pfc_buf scratch;
    struct pfc_buf block;
    uint64_t chunk_seq;
    uint64_t first_ns, last_ns;
    uint64_t prev_ts[256];       /* per record type: the time chains */
    uint64_t prev_duration;      /* of the previous traffic record */
    struct pf_flow_key prev_def; /* the previous flow definition */
    uint32_t chunk_records;
    uint64_t chunk_opened_ns; /* capture clock when the first record arrived */
    uint64_t last_tick_ns;

    /* chunk-local flow ids: packed key -> flow_slot */
    struct pfc_htab flows;
    uint32_t nflows;

    struct index_entry *index;
    size_t nindex, capindex;

    struct pf_writer_stats st;
};

/* ------------------------------------------------------------ sinks */

static int sink_write(pf_writer *w, const void *data, size_t len)
{
    if (w->fd < 0) {
        pf_put_bytes(&w->mem, data, len);
        return w->mem.err ? PF_E_NOMEM : 0;
    }
    int rc = pf_file_write_all(w->fd, data, len, &w->last_errno);
    if (rc) {
        /* Cut the half-written block away so the file ends on a block boundary. */
        pf_file_truncate(w->fd, w->offset);
        pf_set_os_errno(w->last_errno);
    }
    return rc;
}

static int fail(pf_writer *w, int rc)
{
    w->failed = rc;
    w->st.last_errno = w->last_errno;
    return rc;
}

/* Frames body[0..len) as a block of `type` and writes it. */
static int emit_block(pf_writer *w, uint32_t type, const uint8_t *body, size_t body_len)
{
    size_t total = body_len + PF_BLOCK_OVERHEAD;
    if (total > PF_MAX_BLOCK_BYTES)
        return PF_E_TOO_BIG;
    struct pfc_buf *b = &w->block;
    b->len = 0;
    pf_put_u32(b, type);
    pf_put_u32(b, (uint32_t)total);
    pf_put_bytes(b, body, body_len);
    if (b->err)
        return PF_E_NOMEM;
    uint32_t crc = pf_crc32c(b->bytes, b->len);
    pf_put_u32(b, crc);
    pf_put_u32(b, (uint32_t)total);
    if (b->err)
        return PF_E_NOMEM;
    int rc = sink_write(w, b->bytes, b->len);
    if (rc)
        return rc;
    w->offset += b->len;
    w->st.bytes_on_disk = w->offset;
    return 0;
}

/* ------------------------------------------------------------ header */

static void put_opt_bytes(struct pfc_buf *b, uint16_t code, const void *v, size_t len)
{
    pf_put_u16(b, code);
    pf_put_u32(b, (uint32_t)len);
    pf_put_bytes(b, v, len);
}

static void put_opt_str(struct pfc_buf *b, uint16_t code, const char *s)
{
    if (!s)
        return;
    size_t len = strlen(s);
    if (len > PF_MAX_OPTION_STRING)
        len = PF_MAX_OPTION_STRING;
    put_opt_bytes(b, code, s, len);
}

static int write_header(pf_writer *w, const struct pf_file_info *in)
{
    struct pf_file_info info;
    memset(&info, 0, sizeof(info));
    if (in)
        info = *in;
    static const uint8_t zero[16];
    if (memcmp(info.uuid, zero, 16) == 0)
        pf_uuid_generate(info.uuid);
    if (memcmp(info.series_uuid, zero, 16) == 0)
        memcpy(info.series_uuid, info.uuid, 16);

    struct pfc_buf *b = &w->scratch;
    b->len = 0;
    pf_put_u16(b, PF_FORMAT_MAJOR);
    pf_put_u16(b, PF_FORMAT_MINOR);
    put_opt_str(b, PF_OPT_HOSTNAME, info.hostname);
    put_opt_str(b, PF_OPT_OS, info.os);
    put_opt_str(b, PF_OPT_OS_RELEASE, info.os_release);
    put_opt_str(b, PF_OPT_RECORDER, info.recorder);
    put_opt_str(b, PF_OPT_COMMENT, info.comment);
    put_opt_bytes(b, PF_OPT_PLATFORM, &info.platform, 1);
    put_opt_bytes(b, PF_OPT_CLOCK_ID, &info.clock_id, 1);
    put_opt_bytes(b, PF_OPT_UUID, info.uuid, 16);
    put_opt_bytes(b, PF_OPT_SERIES_UUID, info.series_uuid, 16);
    uint8_t tmp[16];
    pfc_store_le32(tmp, info.file_seq);
    put_opt_bytes(b, PF_OPT_FILE_SEQ, tmp, 4);
    pfc_store_le64(tmp, (uint64_t)info.start_utc_ns);
    put_opt_bytes(b, PF_OPT_START_UTC, tmp, 8);
    pfc_store_le64(tmp, info.anchor_clock_ns);
    pfc_store_le64(tmp + 8, (uint64_t)info.anchor_utc_ns);
    put_opt_bytes(b, PF_OPT_CLOCK_ANCHOR, tmp, 16);
    put_opt_str(b, PF_OPT_REDACTION, info.redaction);
    pf_put_u16(b, PF_OPT_END);
    pf_put_u32(b, 0);
    if (b->err)
        return PF_E_NOMEM;

    int rc = sink_write(w, pf_magic, PF_MAGIC_LEN);
    if (rc)
        return rc;
    w->offset = PF_MAGIC_LEN;
    return emit_block(w, PF_BLOCK_HEADER, b->bytes, b->len);
}

/* ------------------------------------------------------------ open/close */

static void apply_defaults(struct pf_writer_options *o, const struct pf_writer_options *in)
{
    memset(o, 0, sizeof(*o));
    if (in)
        *o = *in;
    if (!o->chunk_bytes)
        o->chunk_bytes = 1u << 20;
    if (o->chunk_bytes > PF_MAX_CHUNK_RAW_BYTES / 2)
        o->chunk_bytes = PF_MAX_CHUNK_RAW_BYTES / 2;
    if (!o->chunk_age_ns)
        o->chunk_age_ns = 1000000000ull;
    if (!o->zstd_level)
        o->zstd_level = 3;
}

static pf_writer *writer_new(const struct pf_writer_options *opt)
{
    pf_writer *w = (pf_writer *)calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->fd = -1;
    w->level_chosen = opt && opt->zstd_level;
    apply_defaults(&w->opt, opt);
    w->cctx = ZSTD_createCCtx();
    struct pfc_htab_opts fo = {.key_size = FLOW_KEY_BYTES,
                               .value_size = sizeof(struct flow_slot),
                               .buckets = 1024,
                               .hash = hash_key,
                               .key_in_value = 1};
    int trc = pfc_htab_init_opts(&w->flows, &fo);
    if (!w->cctx || trc || pfc_buf_reserve(&w->raw, w->opt.chunk_bytes + 4096) ||
        pfc_buf_reserve(&w->streams[PF_STREAM_BODIES], w->opt.chunk_bytes / 2 + 4096)) {
        pf_writer_destroy(w);
        return NULL;
    }
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, w->opt.zstd_level);
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 0); /* the block CRC covers it */
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 1);
    return w;
}

int pf_writer_open(pf_writer **out, const char *path, const struct pf_file_info *info,
                   const struct pf_writer_options *opt)
{
    if (!out)
        return PF_E_ARG;
    *out = NULL;
    if (!path || !*path)
        return PF_E_ARG;
    pf_writer *w = writer_new(opt);
    if (!w)
        return PF_E_NOMEM;
    w->path = strdup(path);
    int use_partial = w->opt.write_partial >= 0;
    if (use_partial) {
        size_t n = strlen(path) + sizeof(".partial");
        w->partial = (char *)malloc(n);
        if (w->partial)
            snprintf(w->partial, n, "%s.partial", path);
    }
    if (!w->path || (use_partial && !w->partial)) {
        pf_writer_destroy(w);
        return PF_E_NOMEM;
    }
    pf_set_os_errno(0);
    int rc = pf_file_create(w->path, w->partial, w->opt.overwrite, &w->fd, &w->last_errno);
    if (rc)
        pf_set_os_errno(w->last_errno);
    if (rc == 0)
        rc = write_header(w, info);
    if (rc) {
        if (w->fd >= 0) {
            pf_file_close(w->fd);
            w->fd = -1;
            remove(w->partial ? w->partial : w->path);
        }
        w->closed = 1;
        pf_writer_destroy(w);
        return rc;
    }
    *out = w;
    return PF_OK;
}

int pf_writer_open_fd(pf_writer **out, int fd, const struct pf_file_info *info, const struct pf_writer_options *opt)
{
    if (!out)
        return PF_E_ARG;
    *out = NULL;
    if (fd < 0)
        return PF_E_ARG;
    pf_writer *w = writer_new(opt);
    if (!w)
        return PF_E_NOMEM;
    w->fd = fd;
    w->borrowed = 1;
    int rc = write_header(w, info);
    if (rc) {
        w->fd = -1;
        w->closed = 1;
        pf_writer_destroy(w);
        return rc;
    }
    *out = w;
    return PF_OK;
}

int pf_writer_open_mem(pf_writer **out, const struct pf_file_info *info, const struct pf_writer_options *opt)
{
    if (!out)
        return PF_E_ARG;
    *out = NULL;
    pf_writer *w = writer_new(opt);
    if (!w)
        return PF_E_NOMEM;
    int rc = write_header(w, info);
    if (rc) {
        pf_writer_destroy(w);
        return rc;
    }
    *out = w;
    return PF_OK;
}

const uint8_t *pf_writer_mem(const pf_writer *w, size_t *len)
{
    if (!w || w->fd >= 0) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = w->mem.len;
    return w->mem.bytes;
}

const char *pf_writer_path(const pf_writer *w) { return w ? w->path : NULL; }

void pf_writer_get_stats(const pf_writer *w, struct pf_writer_stats *st)
{
    if (!st)
        return;
    memset(st, 0, sizeof(*st));
    if (!w)
        return;
    *st = w->st;
    st->pending_records = w->chunk_records;
}

/* ------------------------------------------------------------ chunks */

static int index_add(pf_writer *w, const struct index_entry *e)
{
    if (w->nindex == w->capindex) {
        struct index_entry *n =
            (struct index_entry *)pfc_array_grow(w->index, &w->capindex, w->nindex + 1, sizeof(*n), 64, 0);
        if (!n)
            return PF_E_NOMEM;
        w->index = n;
    }
    w->index[w->nindex++] = *e;
    return 0;
}

static int value_add(struct value_list *l, uint64_t v)
{
    if (l->n == l->cap) {
        uint64_t *n = (uint64_t *)pfc_array_grow(l->v, &l->cap, l->n + 1, sizeof(*n), 4096, 0);
        if (!n)
            return PF_E_NOMEM;
        l->v = n;
    }
    l->v[l->n++] = v;
    return 0;
}

/* Planes: one byte for the width W, then byte 0 of every value, byte 1 of
 * every value, … byte W-1 (little-endian values, W the widest). Bytes of
 * one weight sit together, so the mostly-zero high bytes cost almost
 * nothing. No values: nothing at all. */
static void put_planes(struct pfc_buf *b, const struct value_list *l)
{
    b->len = 0;
    if (!l->n)
        return;
    uint64_t all = 0;
    for (size_t i = 0; i < l->n; i++)
        all |= l->v[i];
    unsigned width = 1;
    while (width < 8 && (all >> (8 * width)))
        width++;
    if (pfc_buf_reserve(b, 1 + width * l->n))
        return;
    b->bytes[b->len++] = (uint8_t)width;
    for (unsigned k = 0; k < width; k++)
        for (size_t i = 0; i < l->n; i++)
            b->bytes[b->len++] = (uint8_t)(l->v[i] >> (8 * k));
}

static void reset_chunk(pf_writer *w)
{
    for (int i = 0; i < PF_STREAMS; i++)
        w->streams[i].len = 0;
    w->planes[0].n = w->planes[1].n = 0;
    w->pending = 0;
    w->raw.len = 0;
    w->chunk_records = 0;
    w->nflows = 0;
    /* each chunk's chains start from zero */
    memset(w->prev_ts, 0, sizeof(w->prev_ts));
    w->prev_duration = 0;
    memset(&w->prev_def, 0, sizeof(w->prev_def));
    pfc_htab_clear(&w->flows); /* entries are kept for the next chunk's flows */
}

/* The payload: stream count and lengths, then the streams. */
static int join_streams(pf_writer *w)
{
    struct pfc_buf *r = &w->raw;
    r->len = 0;
    put_planes(&w->streams[PF_STREAM_TIMES], &w->planes[0]);
    put_planes(&w->streams[PF_STREAM_DURATIONS], &w->planes[1]);
    pf_put_varint(r, PF_STREAMS);
    for (int i = 0; i < PF_STREAMS; i++)
        pf_put_varint(r, w->streams[i].len);
    for (int i = 0; i < PF_STREAMS; i++)
        pf_put_bytes(r, w->streams[i].bytes, w->streams[i].len);
    return r->err || w->streams[PF_STREAM_TIMES].err || w->streams[PF_STREAM_DURATIONS].err ? PF_E_NOMEM : 0;
}

/* Chunks closed by age are small: a stronger level costs little time there
 * (level 15 runs at about 15 MB/s: at most ~9 ms for a 128 KiB chunk a
 * second) and little memory (zstd sizes its tables to the input: 2.8 MB
 * of workspace at 128 KiB, against 1.3 MB for level 3 at 1 MiB), and buys
 * the most, since a quiet recording is mostly such chunks. Chunks filled by
 * size (a busy recorder) keep the configured level. */
static int chunk_level(const pf_writer *w, size_t raw_len)
{
    if (w->level_chosen || raw_len > PF_SMALL_CHUNK_BYTES)
        return w->opt.zstd_level;
    return PF_SMALL_CHUNK_LEVEL;
}

int pf_writer_flush(pf_writer *w)
{
    if (!w)
        return PF_E_ARG;
    if (w->failed)
        return PF_E_STATE;
    if (w->chunk_records == 0)
        return 0;
    if (join_streams(w))
        return fail(w, PF_E_NOMEM);

    size_t bound = ZSTD_compressBound(w->raw.len);
    struct pfc_buf *s = &w->scratch;
    s->len = 0;
    if (pfc_buf_reserve(s, PF_CHUNK_HEAD + bound))
        return fail(w, PF_E_NOMEM);
    pf_put_u64(s, w->chunk_seq);
    pf_put_u64(s, w->first_ns);
    pf_put_u64(s, w->last_ns);
    pf_put_u32(s, w->chunk_records);
    pf_put_u32(s, (uint32_t)w->raw.len);
    pf_put_u8(s, w->opt.store_uncompressed ? PF_CODEC_STREAMS_NONE : PF_CODEC_STREAMS_ZSTD);
    pf_put_u8(s, 0);
    pf_put_u8(s, 0);
    pf_put_u8(s, 0);
    if (w->opt.store_uncompressed) {
        memcpy(s->bytes + s->len, w->raw.bytes, w->raw.len);
        s->len += w->raw.len;
    } else {
        ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, chunk_level(w, w->raw.len));
        size_t z = ZSTD_compress2(w->cctx, s->bytes + s->len, bound, w->raw.bytes, w->raw.len);
        if (ZSTD_isError(z))
            return fail(w, PF_E_NOMEM);
        s->len += z;
    }

    struct index_entry e = {w->offset, w->chunk_seq, w->first_ns, w->last_ns, w->chunk_records};
    int rc = emit_block(w, PF_BLOCK_CHUNK, s->bytes, s->len);
    if (rc)
        return fail(w, rc);
    if (w->fd >= 0 && w->opt.fsync_chunks)
        pf_file_sync(w->fd);
    if (index_add(w, &e))
        return fail(w, PF_E_NOMEM);
    w->st.chunks++;
    w->st.raw_bytes += w->raw.len;
    w->chunk_seq++;
    reset_chunk(w);
    return 1;
}

int pf_writer_tick(pf_writer *w, uint64_t now_ns)
{
    if (!w)
        return PF_E_ARG;
    if (w->failed)
        return PF_E_STATE;
    w->last_tick_ns = now_ns;
    if (w->chunk_records && now_ns >= w->chunk_opened_ns && now_ns - w->chunk_opened_ns >= w->opt.chunk_age_ns)
        return pf_writer_flush(w);
    return 0;
}

/* ------------------------------------------------------------ records */

static uint64_t hash_key(const void *key)
{
    const uint8_t *k = (const uint8_t *)key;
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i + 8 <= FLOW_KEY_BYTES; i += 8) {
        h = (h ^ pfc_load_le64(k + i)) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    h = (h ^ pfc_load_le16(k + FLOW_KEY_BYTES - 2)) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

static void pack_key(const struct pf_flow_key *k, uint8_t out[FLOW_KEY_BYTES])
{
    pfc_store_le32(out + KEY_PID, k->pid);
    pfc_store_le64(out + KEY_PID_START, k->pid_start_ns);
    pfc_store_le64(out + KEY_SOCK_ID, k->sock_id);
    out[KEY_PROTO] = k->proto;
    out[KEY_FAMILY] = k->family;
    memcpy(out + KEY_LOCAL_ADDR, k->local.addr, 16);
    pfc_store_le16(out + KEY_LOCAL_PORT, k->local.port);
    memcpy(out + KEY_REMOTE_ADDR, k->remote.addr, 16);
    pfc_store_le16(out + KEY_REMOTE_PORT, k->remote.port);
    pfc_store_le32(out + KEY_LOCAL_SCOPE, k->local.scope_id);
    pfc_store_le32(out + KEY_REMOTE_SCOPE, k->remote.scope_id);
    pfc_store_le64(out + KEY_NETNS, k->netns);
}

static int addr_len(uint8_t family) { return family == PF_AF_INET ? 4 : 16; }

/* Returns the chunk-local id of the flow, writing a definition record first
 * when the flow is new in this chunk; <0 on error. */
static int64_t flow_ref(pf_writer *w, const struct pf_flow_key *k)
{
    uint8_t key[FLOW_KEY_BYTES];
    pack_key(k, key);
    const struct flow_slot *known = (const struct flow_slot *)pfc_htab_get(&w->flows, key);
    if (known)
        return known->id;
    if (w->nflows >= PF_MAX_CHUNK_FLOWS) {
        /* The reader caps flows per chunk; start a new chunk (table cleared). */
        int rc = pf_writer_flush(w);
        if (rc < 0)
            return rc;
        w->scratch.len = 0; /* flush used scratch; the caller's body is still empty here */
    }
    struct flow_slot *s = (struct flow_slot *)pfc_htab_insert(&w->flows, key);
    if (!s)
        return PF_E_NOMEM;
    s->id = w->nflows++;

    /* definition: its type, then a body stating what differs from the
     * previous definition of the chunk (format 1.2) */
    const struct pf_flow_key *p = &w->prev_def;
    int al = addr_len(k->family);
    unsigned mask = 0;
    if (k->remote.port != p->remote.port)
        mask |= PF_DEF_REMOTE_PORT;
    if (k->family != p->family || memcmp(k->remote.addr, p->remote.addr, (size_t)al))
        mask |= PF_DEF_REMOTE_ADDR;
    if (k->local.port != p->local.port)
        mask |= PF_DEF_LOCAL_PORT;
    if (k->sock_id != p->sock_id)
        mask |= PF_DEF_SOCK_ID;
    if (k->pid != p->pid)
        mask |= PF_DEF_PID;
    if (k->pid_start_ns != p->pid_start_ns)
        mask |= PF_DEF_PID_START;
    if (k->family != p->family || memcmp(k->local.addr, p->local.addr, (size_t)al))
        mask |= PF_DEF_LOCAL_ADDR;
    if (k->proto != p->proto)
        mask |= PF_DEF_PROTO;
    if (k->family != p->family)
        mask |= PF_DEF_FAMILY;
    if (k->netns != p->netns)
        mask |= PF_DEF_NETNS;
    if (k->local.scope_id != p->local.scope_id)
        mask |= PF_DEF_LOCAL_SCOPE;
    if (k->remote.scope_id != p->remote.scope_id)
        mask |= PF_DEF_REMOTE_SCOPE;
    uint8_t body[128]; /* at most 1 + 2+16+2 + 3*10 + 16+1 + 10+5+5 = 88 */
    size_t n = 0;
    if (mask & PF_DEF_FAMILY)
        body[n++] = k->family;
    if (mask & PF_DEF_REMOTE_PORT) {
        pfc_store_le16(body + n, k->remote.port);
        n += 2;
    }
    if (mask & PF_DEF_REMOTE_ADDR) {
        memcpy(body + n, k->remote.addr, (size_t)al);
        n += (size_t)al;
    }
    if (mask & PF_DEF_LOCAL_PORT) {
        pfc_store_le16(body + n, k->local.port);
        n += 2;
    }
    if (mask & PF_DEF_SOCK_ID)
        n += pf_varint_encode(body + n, pf_zigzag((int64_t)(k->sock_id - p->sock_id)));
    if (mask & PF_DEF_PID)
        n += pf_varint_encode(body + n, pf_zigzag((int64_t)k->pid - (int64_t)p->pid));
    if (mask & PF_DEF_PID_START)
        n += pf_varint_encode(body + n, pf_zigzag((int64_t)(k->pid_start_ns - p->pid_start_ns)));
    if (mask & PF_DEF_LOCAL_ADDR) {
        memcpy(body + n, k->local.addr, (size_t)al);
        n += (size_t)al;
    }
    if (mask & PF_DEF_PROTO)
        body[n++] = k->proto;
    if (mask & PF_DEF_NETNS)
        n += pf_varint_encode(body + n, pf_zigzag((int64_t)(k->netns - p->netns)));
    if (mask & PF_DEF_LOCAL_SCOPE)
        n += pf_varint_encode(body + n, k->local.scope_id);
    if (mask & PF_DEF_REMOTE_SCOPE)
        n += pf_varint_encode(body + n, k->remote.scope_id);
    w->prev_def = *k;
    struct pfc_buf *defs = &w->streams[PF_STREAM_DEFS], *fields = &w->streams[PF_STREAM_DEF_FIELDS];
    size_t before = defs->len;
    pf_put_u8(&w->streams[PF_STREAM_TYPES], PF_REC_FLOW_DEF);
    pf_put_varint(defs, n);
    pf_put_varint(defs, mask);
    pf_put_bytes(fields, body, n);
    w->pending += 1 + defs->len - before + n;
    if (defs->err || fields->err || w->streams[PF_STREAM_TYPES].err)
        return PF_E_NOMEM;
    return (int64_t)s->id;
}

static int valid_key(const struct pf_flow_key *k) { return k->family == PF_AF_INET || k->family == PF_AF_INET6; }

static int str_ok(const char *s, uint32_t len) { return (s || len == 0) && len <= PF_MAX_STRING_BYTES; }

/* Bookkeeping shared by every record, after its bytes are in the streams. */
static int record_done(pf_writer *w, const struct pf_record *rec)
{
    if (rec->ts_ns < w->first_ns)
        w->first_ns = rec->ts_ns;
    if (rec->ts_ns > w->last_ns)
        w->last_ns = rec->ts_ns;
    w->chunk_records++;
    w->st.records++;
    w->st.records_by_type[rec->type]++;
    if (w->pending >= w->opt.chunk_bytes) {
        int rc = pf_writer_flush(w);
        if (rc < 0)
            return rc;
    }
    return PF_OK;
}

static void chunk_begin(pf_writer *w, uint64_t ts)
{
    if (w->chunk_records)
        return;
    w->first_ns = w->last_ns = ts;
    w->chunk_opened_ns = w->last_tick_ns > ts ? w->last_tick_ns : ts;
}

/* Type and time of a record (every record but a flow definition has a
 * time: a delta from the previous record of its type in the chunk). */
static void put_head(pf_writer *w, const struct pf_record *rec)
{
    pf_put_u8(&w->streams[PF_STREAM_TYPES], rec->type);
    if (value_add(&w->planes[0], pf_zigzag((int64_t)(rec->ts_ns - w->prev_ts[rec->type]))))
        w->streams[PF_STREAM_TIMES].err = 1;
    w->prev_ts[rec->type] = rec->ts_ns;
    w->pending += 1 + 4;
}

/* A flow reference: how far back from the newest flow of the chunk. */
static void put_flow(pf_writer *w, int64_t ref)
{
    struct pfc_buf *f = &w->streams[PF_STREAM_FLOWS];
    size_t before = f->len;
    pf_put_varint(f, (uint64_t)(w->nflows - 1 - (uint32_t)ref));
    w->pending += f->len - before;
}

/* A body: its length, then its bytes. */
static void put_body(pf_writer *w, const uint8_t *body, size_t len)
{
    struct pfc_buf *b = &w->streams[PF_STREAM_BODIES];
    size_t before = b->len;
    pf_put_varint(b, len);
    pf_put_bytes(b, body, len);
    w->pending += b->len - before;
}

static int streams_failed(const pf_writer *w)
{
    for (int i = 0; i < PF_STREAMS; i++)
        if (w->streams[i].err)
            return 1;
    return 0;
}

/* Largest body of a flow-keyed record: mask + 6 varints. */
#define FLOW_BODY_MAX (1 + 6 * 10)

/* Socket, traffic and snapshot records: the flow goes to the flow stream,
 * a traffic record's duration to the duration stream, the rest to bodies. */
static int write_flow_record(pf_writer *w, const struct pf_record *rec, const struct pf_flow_key *key)
{
    if (!valid_key(key))
        return PF_E_ARG;
    int64_t ref = flow_ref(w, key);
    if (ref < 0)
        return fail(w, (int)ref);
    chunk_begin(w, rec->ts_ns);
    put_head(w, rec);
    put_flow(w, ref);
    /* the body goes straight into its stream: shorter than 128 bytes, so
     * its length is one byte */
    struct pfc_buf *bodies = &w->streams[PF_STREAM_BODIES];
    if (pfc_buf_reserve(bodies, 1 + FLOW_BODY_MAX))
        return fail(w, PF_E_NOMEM);
    uint8_t *lenp = bodies->bytes + bodies->len;
    uint8_t *body = lenp + 1;
    uint8_t *p = body;
    switch (rec->type) {
    case PF_REC_SOCKET:
        *p++ = rec->u.socket.event;
        *p++ = rec->u.socket.old_state;
        *p++ = rec->u.socket.new_state;
        break;
    case PF_REC_TRAFFIC: {
        /* Presence mask: an absent duration repeats the previous traffic
         * record's in this chunk, a present one is stored as the change from
         * it; other absent fields are zero. */
        const struct pf_traffic *t = &rec->u.traffic;
        uint8_t *maskp = p++;
        uint8_t mask = 0;
        if (t->duration_ns != w->prev_duration) {
            mask |= PF_TRAFFIC_HAS_DURATION;
            if (value_add(&w->planes[1], pf_zigzag((int64_t)(t->duration_ns - w->prev_duration))))
                w->streams[PF_STREAM_DURATIONS].err = 1;
            w->pending += 4;
            w->prev_duration = t->duration_ns;
        }
        if (t->bytes_sent) {
            mask |= PF_TRAFFIC_HAS_BYTES_SENT;
            p += pf_varint_encode(p, t->bytes_sent);
        }
        if (t->bytes_recv) {
            mask |= PF_TRAFFIC_HAS_BYTES_RECV;
            p += pf_varint_encode(p, t->bytes_recv);
        }
        if (t->sends) {
            mask |= PF_TRAFFIC_HAS_SENDS;
            p += pf_varint_encode(p, t->sends);
        }
        if (t->recvs) {
            mask |= PF_TRAFFIC_HAS_RECVS;
            p += pf_varint_encode(p, t->recvs);
        }
        if (t->retransmits) {
            mask |= PF_TRAFFIC_HAS_RETRANSMITS;
            p += pf_varint_encode(p, t->retransmits);
        }
        if (t->flags) {
            mask |= PF_TRAFFIC_HAS_FLAGS;
            p += pf_varint_encode(p, t->flags);
        }
        *maskp = mask;
        break;
    }
    case PF_REC_SNAPSHOT: {
        const struct pf_snapshot *s = &rec->u.snapshot;
        *p++ = s->state;
        p += pf_varint_encode(p, s->uid);
        p += pf_varint_encode(p, s->bytes_sent);
        p += pf_varint_encode(p, s->bytes_recv);
        p += pf_varint_encode(p, s->flags);
        break;
    }
    }
    *lenp = (uint8_t)(p - body);
    bodies->len = (size_t)(p - bodies->bytes);
    w->pending += (size_t)(p - lenp);
    if (streams_failed(w))
        return fail(w, PF_E_NOMEM);
    return record_done(w, rec);
}

/* A string: its length in the body, its bytes in the text stream. */
static void put_str(struct pfc_buf *b, struct pfc_buf *text, const char *s, uint32_t len)
{
    if (!s)
        len = 0;
    pf_put_varint(b, len);
    pf_put_bytes(text, s, len);
}

/* Records whose body was built in b: type, time, body. */
static int write_framed(pf_writer *w, const struct pf_record *rec, const struct pfc_buf *b)
{
    chunk_begin(w, rec->ts_ns);
    put_head(w, rec);
    put_body(w, b->bytes, b->len);
    if (streams_failed(w))
        return fail(w, PF_E_NOMEM);
    return record_done(w, rec);
}

/* DNS answers: a flow reference (defined first when new in the chunk),
 * then the body through scratch, since names make its length vary. */
static int write_dns(pf_writer *w, const struct pf_record *rec)
{
    const struct pf_dns *d = &rec->u.dns;
    if (!valid_key(&d->key) || !str_ok(d->qname, d->qname_len) || !str_ok(d->cname, d->cname_len) ||
        d->qname_len > PF_MAX_DNS_NAME || d->cname_len > PF_MAX_DNS_NAME || d->nanswers > PF_MAX_DNS_ANSWERS ||
        (d->nanswers && !d->answers))
        return PF_E_ARG;
    for (uint32_t i = 0; i < d->nanswers; i++)
        if (d->answers[i].family != PF_AF_INET && d->answers[i].family != PF_AF_INET6)
            return PF_E_ARG;
    int64_t ref = flow_ref(w, &d->key); /* may flush, which uses scratch: before the body */
    if (ref < 0)
        return fail(w, (int)ref);
    struct pfc_buf *b = &w->scratch, *text = &w->streams[PF_STREAM_TEXT];
    b->len = 0;
    size_t text_before = text->len;
    pf_put_varint(b, d->qtype);
    pf_put_u8(b, d->rcode);
    pf_put_u8(b, d->flags);
    put_str(b, text, d->qname, d->qname_len);
    put_str(b, text, d->cname, d->cname_len);
    pf_put_varint(b, d->nanswers);
    for (uint32_t i = 0; i < d->nanswers; i++) {
        const struct pf_dns_answer *a = &d->answers[i];
        pf_put_u8(b, a->family);
        pf_put_bytes(b, a->addr, (size_t)addr_len(a->family));
        pf_put_varint(b, a->ttl);
    }
    if (b->err || text->err)
        return fail(w, PF_E_NOMEM);
    w->pending += text->len - text_before;
    chunk_begin(w, rec->ts_ns);
    put_head(w, rec);
    put_flow(w, ref);
    put_body(w, b->bytes, b->len);
    if (streams_failed(w))
        return fail(w, PF_E_NOMEM);
    return record_done(w, rec);
}

int pf_writer_write(pf_writer *w, const struct pf_record *rec)
{
    if (!w || !rec)
        return PF_E_ARG;
    if (w->failed || w->closed)
        return PF_E_STATE;
    switch (rec->type) {
    case PF_REC_SOCKET: return write_flow_record(w, rec, &rec->u.socket.key);
    case PF_REC_TRAFFIC: return write_flow_record(w, rec, &rec->u.traffic.key);
    case PF_REC_SNAPSHOT: return write_flow_record(w, rec, &rec->u.snapshot.key);
    case PF_REC_DNS: return write_dns(w, rec);
    default: break;
    }

    /* Other records: the body goes to scratch first, its length prefixes it. */
    struct pfc_buf *b = &w->scratch, *text = &w->streams[PF_STREAM_TEXT];
    b->len = 0;
    size_t text_before = text->len;
    switch (rec->type) {
    case PF_REC_PROCESS: {
        const struct pf_process *p = &rec->u.process;
        if (!str_ok(p->comm, p->comm_len) || !str_ok(p->exe, p->exe_len) || !str_ok(p->cmdline, p->cmdline_len) ||
            !str_ok(p->cgroup, p->cgroup_len) || !str_ok(p->container, p->container_len) ||
            !str_ok(p->user, p->user_len))
            return PF_E_ARG;
        pf_put_u8(b, p->event);
        pf_put_varint(b, p->pid);
        pf_put_varint(b, p->ppid);
        pf_put_varint(b, p->start_ns);
        pf_put_varint(b, p->parent_start_ns);
        pf_put_varint(b, p->uid);
        pf_put_zz(b, p->exit_code);
        put_str(b, text, p->comm, p->comm_len);
        put_str(b, text, p->exe, p->exe_len);
        put_str(b, text, p->cmdline, p->cmdline_len);
        put_str(b, text, p->cgroup, p->cgroup_len);
        put_str(b, text, p->container, p->container_len);
        put_str(b, text, p->user, p->user_len);
        if (p->netns) /* 1.1; absent means unknown */
            pf_put_varint(b, p->netns);
        break;
    }
    case PF_REC_LOSS:
        pf_put_u8(b, rec->u.loss.source);
        pf_put_varint(b, rec->u.loss.cpu);
        pf_put_varint(b, rec->u.loss.count);
        pf_put_varint(b, rec->u.loss.since_ns);
        break;
    case PF_REC_CLOCK:
        pf_put_varint(b, rec->u.clock.clock_ns);
        pf_put_zz(b, rec->u.clock.utc_ns);
        break;
    case PF_REC_HOSTINFO:
        if (!str_ok(rec->u.hostinfo.key, rec->u.hostinfo.key_len) ||
            !str_ok(rec->u.hostinfo.value, rec->u.hostinfo.value_len))
            return PF_E_ARG;
        put_str(b, text, rec->u.hostinfo.key, rec->u.hostinfo.key_len);
        put_str(b, text, rec->u.hostinfo.value, rec->u.hostinfo.value_len);
        break;
    case PF_REC_MARKER:
        if (!str_ok(rec->u.marker.text, rec->u.marker.text_len))
            return PF_E_ARG;
        put_str(b, text, rec->u.marker.text, rec->u.marker.text_len);
        break;
    default: return PF_E_ARG;
    }
    if (b->err)
        return fail(w, PF_E_NOMEM);
    /* A record must fit well inside one chunk (only strings can make it big). */
    if (b->len + (text->len - text_before) + 64 > PF_MAX_CHUNK_RAW_BYTES / 2) {
        text->len = text_before;
        return PF_E_TOO_BIG;
    }
    w->pending += text->len - text_before;

    return write_framed(w, rec, b);
}

/* ------------------------------------------------------------ close */

int pf_writer_close(pf_writer *w)
{
    if (!w)
        return PF_E_ARG;
    if (w->closed)
        return PF_E_STATE;
    int rc = 0;
    if (!w->failed) {
        rc = pf_writer_flush(w);
        if (rc > 0)
            rc = 0;
    }
    if (!w->failed && rc == 0) {
        struct pfc_buf *s = &w->scratch;
        s->len = 0;
        uint64_t index_offset = w->offset;
        pf_put_u32(s, (uint32_t)w->nindex);
        for (size_t i = 0; i < w->nindex; i++) {
            pf_put_u64(s, w->index[i].offset);
            pf_put_u64(s, w->index[i].seq);
            pf_put_u64(s, w->index[i].first_ns);
            pf_put_u64(s, w->index[i].last_ns);
            pf_put_u32(s, w->index[i].records);
        }
        /* An index too big for one block is simply left out: it is optional. */
        if (s->err) {
            rc = PF_E_NOMEM;
        } else if (s->len + PF_BLOCK_OVERHEAD > PF_MAX_BLOCK_BYTES) {
            index_offset = 0;
        } else {
            rc = emit_block(w, PF_BLOCK_INDEX, s->bytes, s->len);
        }
        if (rc == 0) {
            uint8_t foot[PF_FOOTER_BODY];
            pfc_store_le64(foot, index_offset);
            pfc_store_le64(foot + 8, w->st.chunks);
            pfc_store_le64(foot + 16, w->st.records);
            memcpy(foot + 24, pf_footer_magic, 8);
            rc = emit_block(w, PF_BLOCK_FOOTER, foot, sizeof(foot));
        }
        if (rc)
            fail(w, rc);
    } else if (!rc) {
        rc = w->failed;
    }
    if (w->fd >= 0 && w->borrowed) {
        w->fd = -2; /* the caller closes it (and checks that close) */
    } else if (w->fd >= 0) {
        if (rc == 0 && (rc = pf_file_sync(w->fd)) != 0)
            w->last_errno = pf_os_errno();
        pf_file_close(w->fd);
        w->fd = -2; /* closed file writer: not a memory writer */
        if (rc == 0 && w->partial)
            rc = pf_file_rename(w->partial, w->path, &w->last_errno);
        if (rc)
            pf_set_os_errno(w->last_errno);
    }
    w->closed = 1;
    return rc;
}

void pf_writer_destroy(pf_writer *w)
{
    if (!w)
        return;
    if (w->fd >= 0 && !w->borrowed)
        pf_file_close(w->fd);
    ZSTD_freeCCtx(w->cctx);
    for (int i = 0; i < PF_STREAMS; i++)
        pfc_buf_free(&w->streams[i]);
    free(w->planes[0].v);
    free(w->planes[1].v);
    pfc_buf_free(&w->raw);
    pfc_buf_free(&w->scratch);
    pfc_buf_free(&w->block);
    pfc_buf_free(&w->mem);
    pfc_htab_free(&w->flows);
    free(w->index);
    free(w->path);
    free(w->partial);
    free(w);
}
