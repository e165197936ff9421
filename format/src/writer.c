/* SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
/* Capture writer: records -> chunk payload -> zstd frame -> checksummed block.
 *
 * Each chunk is independent: the flow table that lets traffic records name
 * their socket with a small id is cleared at every chunk boundary, and the
 * timestamp delta chain restarts from zero. */
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
    ZSTD_CCtx *cctx;

    /* open chunk */
    struct pfc_buf raw;
    struct pfc_buf scratch;
    struct pfc_buf block;
    uint64_t chunk_seq;
    uint64_t first_ns, last_ns, prev_ts;
    uint64_t prev_duration; /* traffic duration that an absent field repeats */
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
    apply_defaults(&w->opt, opt);
    w->cctx = ZSTD_createCCtx();
    struct pfc_htab_opts fo = {.key_size = FLOW_KEY_BYTES,
                               .value_size = sizeof(struct flow_slot),
                               .buckets = 1024,
                               .hash = hash_key,
                               .key_in_value = 1};
    int trc = pfc_htab_init_opts(&w->flows, &fo);
    if (!w->cctx || trc || pfc_buf_reserve(&w->raw, w->opt.chunk_bytes + 4096)) {
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

static void reset_chunk(pf_writer *w)
{
    w->raw.len = 0;
    w->chunk_records = 0;
    w->nflows = 0;
    w->prev_ts = 0; /* each chunk's delta chain starts from zero */
    w->prev_duration = 0;
    pfc_htab_clear(&w->flows); /* entries are kept for the next chunk's flows */
}

int pf_writer_flush(pf_writer *w)
{
    if (!w)
        return PF_E_ARG;
    if (w->failed)
        return PF_E_STATE;
    if (w->chunk_records == 0)
        return 0;

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
    pf_put_u8(s, w->opt.store_uncompressed ? PF_CODEC_NONE : PF_CODEC_ZSTD);
    pf_put_u8(s, 0);
    pf_put_u8(s, 0);
    pf_put_u8(s, 0);
    if (w->opt.store_uncompressed) {
        memcpy(s->bytes + s->len, w->raw.bytes, w->raw.len);
        s->len += w->raw.len;
    } else {
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

    /* definition: type, ts delta 0, body length, body */
    struct pfc_buf *r = &w->raw;
    uint8_t body[96]; /* at most 5+10+10+2+32+4, then 5+5+10 trailing = 83 */
    size_t n = 0;
    n += pf_varint_encode(body + n, k->pid);
    n += pf_varint_encode(body + n, k->pid_start_ns);
    n += pf_varint_encode(body + n, k->sock_id);
    body[n++] = k->proto;
    body[n++] = k->family;
    int al = addr_len(k->family);
    memcpy(body + n, k->local.addr, (size_t)al);
    n += (size_t)al;
    pfc_store_le16(body + n, k->local.port);
    n += 2;
    memcpy(body + n, k->remote.addr, (size_t)al);
    n += (size_t)al;
    pfc_store_le16(body + n, k->remote.port);
    n += 2;
    /* format 1.1 trailing fields, each written only when it or a later one
     * is set: netns (0 = unknown), then the two IPv6 zones */
    int zoned = k->local.scope_id || k->remote.scope_id;
    if (k->netns || zoned)
        n += pf_varint_encode(body + n, k->netns);
    if (zoned) {
        n += pf_varint_encode(body + n, k->local.scope_id);
        n += pf_varint_encode(body + n, k->remote.scope_id);
    }
    pf_put_u8(r, PF_REC_FLOW_DEF);
    pf_put_u8(r, 0);
    pf_put_varint(r, n);
    pf_put_bytes(r, body, n);
    return r->err ? (int64_t)PF_E_NOMEM : (int64_t)s->id;
}

static int valid_key(const struct pf_flow_key *k) { return k->family == PF_AF_INET || k->family == PF_AF_INET6; }

static int str_ok(const char *s, uint32_t len) { return (s || len == 0) && len <= PF_MAX_STRING_BYTES; }

/* Bookkeeping shared by both encoding paths, after the record is in raw. */
static int record_done(pf_writer *w, const struct pf_record *rec)
{
    w->prev_ts = rec->ts_ns;
    if (rec->ts_ns < w->first_ns)
        w->first_ns = rec->ts_ns;
    if (rec->ts_ns > w->last_ns)
        w->last_ns = rec->ts_ns;
    w->chunk_records++;
    w->st.records++;
    w->st.records_by_type[rec->type]++;
    if (w->raw.len >= w->opt.chunk_bytes) {
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

/* Largest body of a flow-keyed record: ref + mask + 7 varints. */
#define FLOW_BODY_MAX (1 + 10 + 7 * 10)

/* Socket, traffic and snapshot records: encoded straight into the chunk.
 * Their bodies are always shorter than 128 bytes, so the length is one byte. */
static int write_flow_record(pf_writer *w, const struct pf_record *rec, const struct pf_flow_key *key)
{
    if (!valid_key(key))
        return PF_E_ARG;
    int64_t ref = flow_ref(w, key);
    if (ref < 0)
        return fail(w, (int)ref);
    chunk_begin(w, rec->ts_ns);
    if (pfc_buf_reserve(&w->raw, 1 + 10 + 1 + FLOW_BODY_MAX))
        return fail(w, PF_E_NOMEM);
    uint8_t *p = w->raw.bytes + w->raw.len;
    *p++ = rec->type;
    p += pf_varint_encode(p, pf_zigzag((int64_t)(rec->ts_ns - w->prev_ts)));
    uint8_t *lenp = p++;
    uint8_t *body = p;
    p += pf_varint_encode(p, (uint64_t)ref);
    switch (rec->type) {
    case PF_REC_SOCKET:
        *p++ = rec->u.socket.event;
        *p++ = rec->u.socket.old_state;
        *p++ = rec->u.socket.new_state;
        break;
    case PF_REC_TRAFFIC: {
        /* Presence mask: an absent duration repeats the previous traffic
         * record's duration in this chunk; other absent fields are zero.
         * (Coding counts as changes per flow was tried: whole-record repeats
         * that zstd finds on its own compressed better.) */
        const struct pf_traffic *t = &rec->u.traffic;
        uint8_t *maskp = p++;
        uint8_t mask = 0;
        if (t->duration_ns != w->prev_duration) {
            mask |= PF_TRAFFIC_HAS_DURATION;
            p += pf_varint_encode(p, t->duration_ns);
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
    w->raw.len = (size_t)(p - w->raw.bytes);
    return record_done(w, rec);
}

static void put_str(struct pfc_buf *b, const char *s, uint32_t len)
{
    if (!s)
        len = 0;
    pf_put_varint(b, len);
    pf_put_bytes(b, s, len);
}

/* Records with a length-prefixed body: type, time delta, body length, body. */
static int write_framed(pf_writer *w, const struct pf_record *rec, const struct pfc_buf *b)
{
    chunk_begin(w, rec->ts_ns);
    struct pfc_buf *r = &w->raw;
    pf_put_u8(r, rec->type);
    pf_put_zz(r, (int64_t)(rec->ts_ns - w->prev_ts));
    pf_put_varint(r, b->len);
    pf_put_bytes(r, b->bytes, b->len);
    if (r->err)
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
    struct pfc_buf *b = &w->scratch;
    b->len = 0;
    pf_put_varint(b, (uint64_t)ref);
    pf_put_varint(b, d->qtype);
    pf_put_u8(b, d->rcode);
    pf_put_u8(b, d->flags);
    put_str(b, d->qname, d->qname_len);
    put_str(b, d->cname, d->cname_len);
    pf_put_varint(b, d->nanswers);
    for (uint32_t i = 0; i < d->nanswers; i++) {
        const struct pf_dns_answer *a = &d->answers[i];
        pf_put_u8(b, a->family);
        pf_put_bytes(b, a->addr, (size_t)addr_len(a->family));
        pf_put_varint(b, a->ttl);
    }
    if (b->err)
        return fail(w, PF_E_NOMEM);
    return write_framed(w, rec, b);
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
    struct pfc_buf *b = &w->scratch;
    b->len = 0;
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
        put_str(b, p->comm, p->comm_len);
        put_str(b, p->exe, p->exe_len);
        put_str(b, p->cmdline, p->cmdline_len);
        put_str(b, p->cgroup, p->cgroup_len);
        put_str(b, p->container, p->container_len);
        put_str(b, p->user, p->user_len);
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
        put_str(b, rec->u.hostinfo.key, rec->u.hostinfo.key_len);
        put_str(b, rec->u.hostinfo.value, rec->u.hostinfo.value_len);
        break;
    case PF_REC_MARKER:
        if (!str_ok(rec->u.marker.text, rec->u.marker.text_len))
            return PF_E_ARG;
        put_str(b, rec->u.marker.text, rec->u.marker.text_len);
        break;
    default: return PF_E_ARG;
    }
    if (b->err)
        return fail(w, PF_E_NOMEM);
    /* A record must fit well inside one chunk (only strings can make it big). */
    if (b->len + 64 > PF_MAX_CHUNK_RAW_BYTES / 2)
        return PF_E_TOO_BIG;

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
