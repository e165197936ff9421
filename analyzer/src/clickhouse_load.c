/* SPDX-License-Identifier: MIT */
/* The direct loader of the fleet store (clickhouse_load.h): the ingest's
 * rows (pfa_rows.h) encoded column by column in ClickHouse's Native format
 * (the cheapest for the server to take in), one block per table; a full
 * block is one INSERT, streamed by a sending thread while the file is read on.
 * The `captures` row goes last, alone, after every other insert succeeded:
 * until then readers do not see the capture (schema/clickhouse/002). */
#define _GNU_SOURCE /* memmem */
#include "clickhouse_load.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "pfa_rows.h"
#include "pfc/buf.h"

#define LOAD_BATCH_BYTES (32u << 20) /* one INSERT carries about this much */
#define QUEUE_MAX 2                  /* full blocks waiting for a sender */
#define SPARE_MAX 1                  /* emptied blocks kept for the next batch */
#define MAX_COLS 26                  /* host, capture_id, a table's cells, remote_name */
#define SENDERS 2                    /* inserts under way at once */
#define MAX_KEYS 2                   /* columns of a table's order after host, capture_id */
#define RADIX_BITS 11                /* a radix pass sorts on this many bits */
#define NONE INT64_MIN

/* How a cell goes into its ClickHouse column. */
enum coltype {
    C_I64,  /* Int64 */
    C_I64N, /* Nullable(Int64) */
    C_STR,  /* String */
    C_STRN, /* Nullable(String) */
    C_CID,  /* the local capture_id: the store's global one is written instead */
    C_SKIP  /* a cell the store has elsewhere (the captures row's host) */
};

/* Each table's cells (pfa_rows.h order) and its columns in the store:
 * `columns` lists those after host and capture_id, the C_CID and C_SKIP
 * cells left out; flows gets remote_name last (computed here). */
struct table_spec {
    const char *name;
    const char *columns;
    int ncells;
    uint8_t type[24];
    const char *order; /* the table's ORDER BY after host, capture_id (schema/clickhouse/) */
};

static const struct table_spec specs[PFA_ROWS_TABLES] = {
    [PFA_ROWS_PROCESSES] = {"processes",
                            "process_id, pid, ppid, start_ns, exit_ns, uid, comm, exe, cmdline, container, exit_code, "
                            "user, cgroup, netns",
                            15,
                            {C_I64, C_CID, C_I64, C_I64N, C_I64N, C_I64N, C_I64N, C_STRN, C_STRN, C_STRN, C_STRN,
                             C_I64N, C_STRN, C_STRN, C_I64N},
                            "process_id"},
    [PFA_ROWS_FLOWS] = {"flows",
                        "flow_id, process_id, proto, family, local_addr, local_port, remote_addr, remote_port, "
                        "direction, first_ns, last_ns, bytes_sent, bytes_recv, sends, recvs, state, retransmits, "
                        "sock_id, closed, proto_num, netns, remote_name",
                        22,
                        {C_I64,  C_CID, C_I64N, C_STR, C_I64, C_STRN, C_I64N, C_STRN, C_I64N, C_STR,  C_I64N,
                         C_I64N, C_I64, C_I64,  C_I64, C_I64, C_STRN, C_I64,  C_I64N, C_I64,  C_I64N, C_I64N},
                        "flow_id"},
    [PFA_ROWS_BYTES] = {"bytes",
                        "flow_id, bucket_ns, bytes_sent, bytes_recv, sends, recvs, process_id",
                        7,
                        {C_I64, C_I64, C_I64, C_I64, C_I64, C_I64, C_I64N},
                        "bucket_ns, flow_id"},
    [PFA_ROWS_BYTES_ROLLUP] = {"bytes_rollup",
                               "flow_id, bucket_ns, bytes_sent, bytes_recv, sends, recvs, process_id",
                               7,
                               {C_I64, C_I64, C_I64, C_I64, C_I64, C_I64, C_I64N},
                               "bucket_ns, flow_id"},
    [PFA_ROWS_SNAPSHOTS] = {"snapshots",
                            "ts_ns, proto, family, state, local_addr, local_port, remote_addr, remote_port, pid, "
                            "process_id, uid, bytes_sent, bytes_recv, sock_id, proto_num, netns",
                            17,
                            {C_CID, C_I64, C_STR, C_I64, C_STRN, C_STRN, C_I64N, C_STRN, C_I64N, C_I64N, C_I64N, C_I64N,
                             C_I64N, C_I64N, C_I64N, C_I64N, C_I64N},
                            "ts_ns"},
    [PFA_ROWS_LOSSES] =
        {"losses", "ts_ns, source, lost, cpu, since_ns", 6, {C_CID, C_I64, C_STR, C_I64, C_I64N, C_I64N}, "ts_ns"},
    [PFA_ROWS_DAMAGE] = {"damage",
                         "file_offset, resume_offset, chunk_seq, error, what",
                         6,
                         {C_CID, C_I64, C_I64N, C_I64N, C_STRN, C_STRN},
                         "file_offset"},
    [PFA_ROWS_DNS] = {"dns",
                      "lookup_id, process_id, ts_ns, qname, qtype, rcode, cname, addr, ttl, proto, server_addr, "
                      "server_port, truncated",
                      14,
                      {C_CID, C_I64, C_I64N, C_I64, C_STR, C_STR, C_STR, C_STRN, C_STRN, C_I64N, C_STR, C_STRN, C_I64N,
                       C_I64},
                      "ts_ns, lookup_id"},
    [PFA_ROWS_HOSTINFO] = {"hostinfo", "key, value", 3, {C_CID, C_STRN, C_STRN}, ""},
    [PFA_ROWS_MARKERS] = {"markers", "ts_ns, text", 3, {C_CID, C_I64, C_STRN}, "ts_ns"},
    [PFA_ROWS_CAPTURES] = {"captures",
                           "uuid, path, os, platform, series_uuid, file_seq, recorder, comment, ingested_ns, "
                           "started_ns, ended_ns, records, chunks_ok, chunks_damaged, events_lost, clean_close, "
                           "bytes_skipped",
                           18,
                           {C_STR, C_STRN, C_SKIP, C_STRN, C_STRN, C_STRN, C_I64N, C_STRN, C_STRN, C_I64N, C_I64N,
                            C_I64N, C_I64, C_I64, C_I64, C_I64, C_I64N, C_I64},
                           ""},
};

/* Cells of flows and dns rows that remote_name needs. */
enum { FLOW_PROCESS = 2, FLOW_REMOTE_ADDR = 7, FLOW_FIRST = 10 };
enum { DNS_LOOKUP = 1, DNS_PROCESS = 2, DNS_TS = 3, DNS_QNAME = 4, DNS_ADDR = 8 };

/* One DNS answer address, for the names of flows (analyzer/sql/dns.sql
 * @remote-names: the latest answer before the flow began, its own
 * process's first). */
struct answer {
    char *addr, *qname;
    size_t addr_len, qname_len;
    int64_t ts, lookup, process; /* process NONE: no process */
    struct answer *next;         /* same hash slot */
};

/* A column of the store: where its values come from. */
enum { FROM_HOST = -1, FROM_CAPTURE_ID = -2, FROM_REMOTE_NAME = -3 };
struct column {
    char name[32];
    const char *type; /* as the Native format names it */
    int cell;         /* the cell, or FROM_* */
    int nullable, is_int;
};

/* A table's rows column by column: per column its values (Int64 and UInt64
 * little-endian, String as a varint length and the bytes) and for a
 * Nullable one its null map (1 = NULL; the value is then 0 or ""). */
struct block {
    struct pfc_buf data[MAX_COLS], nulls[MAX_COLS];
    uint64_t rows;
    size_t bytes;
};

struct job {
    enum pfa_rows_table table;
    struct block *block;
};

struct loader;

/* A sender's memory for sorting a block (sort_block): the rows' keys and
 * numbers, their copies for the radix passes, a String column's row
 * starts, and the buffer a column is written into in the new order. */
struct sorter {
    uint64_t *key, *key_tmp;
    uint32_t *idx, *idx_tmp;
    size_t *start;
    size_t cap;
    struct pfc_buf scratch;
    uint32_t count[(64 + RADIX_BITS - 1) / RADIX_BITS][1u << RADIX_BITS]; /* per pass, rows per digit */
};

struct sender {
    struct loader *l;
    pthread_t thread;
    int started;
    CURL *curl;
    struct sorter sort;
};

struct loader {
    pfa_ch *c;
    const struct pfa_ch_target *t;
    char base[600]; /* http://host:port/ of the first host */
    struct pfa_ch_load_result *res;
    uint64_t gid;
    char host[256];
    size_t host_len;
    struct column cols[PFA_ROWS_TABLES][MAX_COLS];
    int ncols[PFA_ROWS_TABLES];
    int keys[PFA_ROWS_TABLES][MAX_KEYS]; /* the columns of specs[].order */
    int nkeys[PFA_ROWS_TABLES];
    struct block *out[PFA_ROWS_TABLES];
    /* answers by address */
    struct answer **slots;
    size_t nslots, nanswers;
    /* the sending threads and their queue: two, so that the server parses
     * and sorts two inserts at once (its work on one is one thread) */
    struct sender senders[SENDERS];
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job q[QUEUE_MAX];
    int qhead, qlen, done, failed;
    struct block *spare[SPARE_MAX]; /* emptied blocks, used again */
    int nspare;
    char send_err[512];
};

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------ HTTP */

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    size_t len = size * n;
    return pfc_buf_put(ctx, data, len) ? 0 : len;
}

/* ------------------------------------------------------------ Native */

static uint8_t *put_u64(uint8_t *o, uint64_t v);
static uint8_t *put_varint(uint8_t *o, uint64_t v);
static uint8_t *put_str(uint8_t *o, const char *s, size_t n);

/* A block as the bytes of one Native block, read piece by piece: its row
 * and column counts, then per column its name and type, null map, values. */
struct upload {
    struct {
        const void *p;
        size_t n;
    } seg[1 + 3 * MAX_COLS];
    int nseg, at;
    size_t off, total;
    uint8_t top[24], head[MAX_COLS][64];
};

static void upload_init(struct upload *u, const struct loader *l, enum pfa_rows_table table, const struct block *b)
{
    memset(u, 0, sizeof *u);
    uint8_t *o = put_varint(u->top, (uint64_t)l->ncols[table]);
    o = put_varint(o, b->rows);
    u->seg[u->nseg].p = u->top;
    u->seg[u->nseg++].n = (size_t)(o - u->top);
    for (int k = 0; k < l->ncols[table]; k++) {
        const struct column *c = &l->cols[table][k];
        o = put_str(u->head[k], c->name, strlen(c->name));
        o = put_str(o, c->type, strlen(c->type));
        u->seg[u->nseg].p = u->head[k];
        u->seg[u->nseg++].n = (size_t)(o - u->head[k]);
        if (c->nullable) {
            u->seg[u->nseg].p = b->nulls[k].p;
            u->seg[u->nseg++].n = b->nulls[k].len;
        }
        u->seg[u->nseg].p = b->data[k].p;
        u->seg[u->nseg++].n = b->data[k].len;
    }
    for (int i = 0; i < u->nseg; i++)
        u->total += u->seg[i].n;
}

static size_t upload_read(char *dst, size_t size, size_t n, void *ctx)
{
    struct upload *u = ctx;
    size_t room = size * n, done = 0;
    while (done < room && u->at < u->nseg) {
        size_t left = u->seg[u->at].n - u->off, take = left < room - done ? left : room - done;
        if (take)
            memcpy(dst + done, (const char *)u->seg[u->at].p + u->off, take);
        done += take;
        u->off += take;
        if (u->off == u->seg[u->at].n) {
            u->at++;
            u->off = 0;
        }
    }
    return done;
}

/* One INSERT of `table` with block b as its rows, streamed. */
static int post_rows(CURL *h, struct loader *l, enum pfa_rows_table table, const struct block *b, char *err,
                     size_t errlen)
{
    char query[600];
    snprintf(query, sizeof query, "INSERT INTO %s.%s (host, capture_id, %s) FORMAT Native", l->t->database,
             specs[table].name, specs[table].columns);
    struct upload *up = malloc(sizeof *up);
    if (!up)
        return PF_E_NOMEM;
    upload_init(up, l, table, b);
    struct pfc_buf url = {0}, resp = {0};
    char *q = curl_easy_escape(h, query, 0);
    int rc = q && !pfc_buf_printf(&url, "%s?insert_distributed_sync=1&query=%s", l->base, q) ? 0 : PF_E_NOMEM;
    curl_free(q);
    struct curl_slist *hdr = curl_slist_append(NULL, "Expect:"); /* no wait for a 100 Continue */
    if (!rc && !hdr)
        rc = PF_E_NOMEM;
    if (!rc) {
        curl_easy_reset(h);
        curl_easy_setopt(h, CURLOPT_URL, url.p);
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, upload_read);
        curl_easy_setopt(h, CURLOPT_READDATA, up);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)up->total);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, l->t->user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, l->t->password);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
        CURLcode cc = curl_easy_perform(h);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (cc != CURLE_OK) {
            set_err(err, errlen, "clickhouse %s: inserting into %s: %s", pfa_ch_name(l->c), specs[table].name,
                    curl_easy_strerror(cc));
            rc = PFA_E_CH;
        } else if (status != 200) {
            char msg[400];
            pfa_ch_server_message(resp.p, resp.len, msg, sizeof msg);
            set_err(err, errlen, "clickhouse %s: inserting into %s: HTTP %ld: %s", pfa_ch_name(l->c), specs[table].name,
                    status, msg[0] ? msg : "(no message)");
            rc = PFA_E_CH;
        }
    }
    curl_slist_free_all(hdr);
    free(up);
    pfc_buf_free(&url);
    pfc_buf_free(&resp);
    return rc;
}

static void block_empty(struct block *b)
{
    for (int k = 0; k < MAX_COLS; k++)
        b->data[k].len = b->nulls[k].len = 0;
    b->rows = 0;
    b->bytes = 0;
}

static void block_free(struct block *b)
{
    if (!b)
        return;
    for (int k = 0; k < MAX_COLS; k++) {
        pfc_buf_free(&b->data[k]);
        pfc_buf_free(&b->nulls[k]);
    }
    free(b);
}

/* ------------------------------------------------------------ sorting */

/* The server sorts every insert by its table's ORDER BY, unless the rows
 * come in that order already (one pass checks it). Sorting a block here,
 * in a sending thread and stably as the server does, spares the server its
 * sort and the reordering of every column: about a fifth of its CPU per
 * insert, for less than that here (a radix sort on integers instead of
 * compared tuples of columns). host and capture_id lead every order and are
 * the same in all rows of a block, so the rest of the order decides. */

static int64_t get_i64(const uint8_t *col, size_t row)
{
    uint64_t v;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(&v, col + 8 * row, 8);
#else
    v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)col[8 * row + i] << (8 * i);
#endif
    return (int64_t)v;
}

/* How many bits hold v (0 for 0). */
static unsigned bits_of(uint64_t v) { return v ? 64u - (unsigned)__builtin_clzll(v) : 0u; }

/* Sorts s->idx (n rows) stably by s->key's low `bits` bits, least
 * significant digit first; a digit that is the same in every key is
 * skipped. The keys move with their rows. */
static void radix_sort(struct sorter *s, size_t n, unsigned bits)
{
    enum { DIGITS = 1u << RADIX_BITS };
    unsigned passes = (bits + RADIX_BITS - 1) / RADIX_BITS;
    uint32_t(*count)[DIGITS] = s->count;
    memset(count, 0, sizeof count[0] * passes);
    for (size_t i = 0; i < n; i++)
        for (unsigned p = 0; p < passes; p++)
            count[p][(s->key[i] >> (p * RADIX_BITS)) & (DIGITS - 1)]++;
    for (unsigned p = 0; p < passes; p++) {
        unsigned shift = p * RADIX_BITS;
        if (count[p][(s->key[0] >> shift) & (DIGITS - 1)] == n)
            continue;
        uint32_t at = 0;
        for (unsigned d = 0; d < DIGITS; d++) {
            uint32_t c = count[p][d];
            count[p][d] = at;
            at += c;
        }
        for (size_t i = 0; i < n; i++) {
            uint32_t to = count[p][(s->key[i] >> shift) & (DIGITS - 1)]++;
            s->key_tmp[to] = s->key[i];
            s->idx_tmp[to] = s->idx[i];
        }
        uint64_t *k = s->key;
        s->key = s->key_tmp;
        s->key_tmp = k;
        uint32_t *x = s->idx;
        s->idx = s->idx_tmp;
        s->idx_tmp = x;
    }
}

static int sorter_reserve(struct sorter *s, size_t n)
{
    if (n <= s->cap)
        return 0;
    free(s->key);
    free(s->key_tmp);
    free(s->idx);
    free(s->idx_tmp);
    free(s->start);
    s->key = malloc(n * sizeof *s->key);
    s->key_tmp = malloc(n * sizeof *s->key_tmp);
    s->idx = malloc(n * sizeof *s->idx);
    s->idx_tmp = malloc(n * sizeof *s->idx_tmp);
    s->start = malloc((n + 1) * sizeof *s->start);
    s->cap = s->key && s->key_tmp && s->idx && s->idx_tmp && s->start ? n : 0;
    return s->cap ? 0 : PF_E_NOMEM;
}

static void sorter_free(struct sorter *s)
{
    free(s->key);
    free(s->key_tmp);
    free(s->idx);
    free(s->idx_tmp);
    free(s->start);
    pfc_buf_free(&s->scratch);
}

/* Where each of a String column's n values starts (its varint length
 * first); 0, or -1 when the column's bytes do not hold n values. */
static int string_starts(const struct pfc_buf *col, size_t n, size_t *start)
{
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        start[i] = at;
        uint64_t len = 0;
        for (unsigned shift = 0;; shift += 7) {
            if (at >= col->len || shift > 63)
                return -1;
            uint8_t byte = col->bytes[at++];
            len |= (uint64_t)(byte & 0x7f) << shift;
            if (!(byte & 0x80))
                break;
        }
        if (len > col->len - at)
            return -1;
        at += len;
    }
    start[n] = at;
    return at == col->len ? 0 : -1;
}

/* Puts column `col` (n rows of `width` bytes, or Strings when width is 0)
 * in the order s->idx, through s->scratch. */
static int permute_column(struct sorter *s, struct pfc_buf *col, size_t n, size_t width)
{
    struct pfc_buf *out = &s->scratch;
    out->len = 0;
    if (width && col->len != width * n)
        return PFA_E_CH;
    if (pfc_buf_reserve(out, col->len))
        return PF_E_NOMEM;
    if (width == 8) {
        for (size_t i = 0; i < n; i++)
            memcpy(out->bytes + 8 * i, col->bytes + 8 * (size_t)s->idx[i], 8);
    } else if (width == 1) {
        for (size_t i = 0; i < n; i++)
            out->bytes[i] = col->bytes[s->idx[i]];
    } else {
        if (string_starts(col, n, s->start))
            return PFA_E_CH;
        uint8_t *o = out->bytes;
        for (size_t i = 0; i < n; i++) {
            size_t from = s->start[s->idx[i]], len = s->start[s->idx[i] + 1] - from;
            memcpy(o, col->bytes + from, len);
            o += len;
        }
    }
    out->len = col->len;
    struct pfc_buf t = *col;
    *col = *out;
    *out = t;
    return 0;
}

/* Puts block b of `table` in the order of the table's key (see above). */
static int sort_block(struct sorter *s, const struct loader *l, enum pfa_rows_table table, struct block *b)
{
    size_t n = b->rows;
    int nk = l->nkeys[table];
    if (!nk || n < 2 || n > UINT32_MAX)
        return 0;
    const uint8_t *k1 = b->data[l->keys[table][0]].bytes, *k2 = nk > 1 ? b->data[l->keys[table][1]].bytes : NULL;
    int64_t min1 = INT64_MAX, max1 = INT64_MIN, min2 = 0, max2 = 0, p1 = 0, p2 = 0;
    int sorted = 1;
    for (size_t i = 0; i < n; i++) {
        int64_t v1 = get_i64(k1, i), v2 = k2 ? get_i64(k2, i) : 0;
        if (i && (v1 < p1 || (v1 == p1 && v2 < p2)))
            sorted = 0;
        min1 = v1 < min1 ? v1 : min1;
        max1 = v1 > max1 ? v1 : max1;
        min2 = !i || v2 < min2 ? v2 : min2;
        max2 = !i || v2 > max2 ? v2 : max2;
        p1 = v1;
        p2 = v2;
    }
    if (sorted)
        return 0;
    if (sorter_reserve(s, n))
        return PF_E_NOMEM;
    /* keys as distances from the block's least values: unsigned, as few
     * bits as the block's spread needs; both in one key when they fit */
    unsigned bits1 = bits_of((uint64_t)max1 - (uint64_t)min1), bits2 = bits_of((uint64_t)max2 - (uint64_t)min2);
    for (size_t i = 0; i < n; i++)
        s->idx[i] = (uint32_t)i;
    if (!k2 || bits1 + bits2 <= 64) {
        for (size_t i = 0; i < n; i++) {
            uint64_t hi = (uint64_t)get_i64(k1, i) - (uint64_t)min1;
            uint64_t lo = k2 ? (uint64_t)get_i64(k2, i) - (uint64_t)min2 : 0;
            s->key[i] = bits2 ? (bits2 < 64 ? hi << bits2 : 0) | lo : hi;
        }
        radix_sort(s, n, bits1 + bits2);
    } else {
        for (size_t i = 0; i < n; i++)
            s->key[i] = (uint64_t)get_i64(k2, i) - (uint64_t)min2;
        radix_sort(s, n, bits2);
        for (size_t i = 0; i < n; i++)
            s->key[i] = (uint64_t)get_i64(k1, s->idx[i]) - (uint64_t)min1;
        radix_sort(s, n, bits1);
    }
    for (int k = 0; k < l->ncols[table]; k++) {
        const struct column *c = &l->cols[table][k];
        if (c->cell == FROM_HOST || c->cell == FROM_CAPTURE_ID)
            continue; /* the same in every row */
        int rc = c->nullable ? permute_column(s, &b->nulls[k], n, 1) : 0;
        if (!rc)
            rc = permute_column(s, &b->data[k], n, c->is_int ? 8 : 0);
        if (rc)
            return rc;
    }
    return 0;
}

/* A sending thread: takes the next full buffer, INSERTs it, gives the
 * buffer back; until the queue is empty and the load done. */
static void *sender(void *arg)
{
    struct sender *me = arg;
    struct loader *l = me->l;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->qlen && !l->done)
            pthread_cond_wait(&l->cv, &l->mu);
        if (!l->qlen)
            break;
        struct job j = l->q[l->qhead];
        memset(&l->q[l->qhead], 0, sizeof l->q[l->qhead]);
        l->qhead = (l->qhead + 1) % QUEUE_MAX;
        l->qlen--;
        pthread_cond_broadcast(&l->cv);
        int failed = l->failed;
        pthread_mutex_unlock(&l->mu);
        char why[512];
        int rc = failed ? 0 : sort_block(&me->sort, l, j.table, j.block);
        if (rc)
            snprintf(why, sizeof why, "clickhouse loader: %s",
                     rc == PF_E_NOMEM ? "out of memory" : "internal: a block's column does not hold its rows");
        else if (!failed)
            rc = post_rows(me->curl, l, j.table, j.block, why, sizeof why);
        pthread_mutex_lock(&l->mu);
        if (rc && !l->failed) {
            l->failed = rc;
            snprintf(l->send_err, sizeof l->send_err, "%s", why);
        }
        if (l->nspare < SPARE_MAX) {
            block_empty(j.block);
            l->spare[l->nspare++] = j.block;
        } else {
            block_free(j.block);
        }
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

/* Hands table's full buffer to the sender (waiting while the queue is
 * full) and gives the table an empty one. */
static int send_buffer(struct loader *l, enum pfa_rows_table table, char *err, size_t errlen)
{
    pthread_mutex_lock(&l->mu);
    while (l->qlen == QUEUE_MAX && !l->failed)
        pthread_cond_wait(&l->cv, &l->mu);
    int rc = l->failed;
    if (rc) {
        set_err(err, errlen, "%s", l->send_err);
    } else {
        struct job *j = &l->q[(l->qhead + l->qlen) % QUEUE_MAX];
        j->table = table;
        j->block = l->out[table];
        l->qlen++;
        l->out[table] = l->nspare ? l->spare[--l->nspare] : NULL;
        pthread_cond_broadcast(&l->cv);
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

/* Waits for the sender to finish the queue and end. */
static int stop_sender(struct loader *l, char *err, size_t errlen)
{
    if (!l->started)
        return 0;
    pthread_mutex_lock(&l->mu);
    l->done = 1;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    for (int i = 0; i < SENDERS; i++)
        if (l->senders[i].started)
            pthread_join(l->senders[i].thread, NULL);
    l->started = 0;
    if (l->failed)
        set_err(err, errlen, "%s", l->send_err);
    return l->failed;
}

/* ------------------------------------------------------------ remote names */

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return h;
}

static int add_answer(struct loader *l, const struct pfa_cell *cells, const char *arena)
{
    const struct pfa_cell *a = &cells[DNS_ADDR], *q = &cells[DNS_QNAME];
    if (a->type != PFA_CELL_TEXT || q->type != PFA_CELL_TEXT)
        return 0;
    if (l->nanswers >= l->nslots / 2) {
        size_t n = l->nslots ? l->nslots * 2 : 256;
        struct answer **slots = calloc(n, sizeof *slots);
        if (!slots)
            return PF_E_NOMEM;
        for (size_t i = 0; i < l->nslots; i++)
            for (struct answer *e = l->slots[i], *next; e; e = next) {
                next = e->next;
                size_t k = hash_bytes(e->addr, e->addr_len) & (n - 1);
                e->next = slots[k];
                slots[k] = e;
            }
        free(l->slots);
        l->slots = slots;
        l->nslots = n;
    }
    struct answer *e = calloc(1, sizeof *e);
    if (!e || !(e->addr = malloc(a->len + 1)) || !(e->qname = malloc(q->len + 1))) {
        if (e)
            free(e->addr);
        free(e);
        return PF_E_NOMEM;
    }
    memcpy(e->addr, arena + a->off, a->len);
    memcpy(e->qname, arena + q->off, q->len);
    e->addr_len = a->len;
    e->qname_len = q->len;
    e->ts = cells[DNS_TS].i;
    e->lookup = cells[DNS_LOOKUP].i;
    e->process = cells[DNS_PROCESS].type == PFA_CELL_INT ? cells[DNS_PROCESS].i : NONE;
    size_t k = hash_bytes(e->addr, e->addr_len) & (l->nslots - 1);
    e->next = l->slots[k];
    l->slots[k] = e;
    l->nanswers++;
    return 0;
}

/* The flow's remote_name, or NULL. */
static const struct answer *remote_name(const struct loader *l, const struct pfa_cell *cells, const char *arena)
{
    const struct pfa_cell *a = &cells[FLOW_REMOTE_ADDR];
    if (!l->nanswers || a->type != PFA_CELL_TEXT || cells[FLOW_FIRST].type != PFA_CELL_INT)
        return NULL;
    int64_t first = cells[FLOW_FIRST].i;
    int64_t process = cells[FLOW_PROCESS].type == PFA_CELL_INT ? cells[FLOW_PROCESS].i : NONE;
    const struct answer *own = NULL, *any = NULL;
    for (const struct answer *e = l->slots[hash_bytes(arena + a->off, a->len) & (l->nslots - 1)]; e; e = e->next) {
        if (e->addr_len != a->len || memcmp(e->addr, arena + a->off, a->len) || e->ts > first)
            continue;
        if (!any || e->ts > any->ts || (e->ts == any->ts && e->lookup > any->lookup))
            any = e;
        if (process != NONE && e->process == process &&
            (!own || e->ts > own->ts || (e->ts == own->ts && e->lookup > own->lookup)))
            own = e;
    }
    return own ? own : any;
}

/* ------------------------------------------------------------ encoding */

/* Integers are little-endian in the Native format. */
static uint8_t *put_u64(uint8_t *o, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(o, &v, 8);
#else
    for (int i = 0; i < 8; i++)
        o[i] = (uint8_t)(v >> (8 * i));
#endif
    return o + 8;
}

static uint8_t *put_varint(uint8_t *o, uint64_t v)
{
    while (v >= 0x80) {
        *o++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *o++ = (uint8_t)v;
    return o;
}

/* A String: its length as a varint, then its bytes. */
static uint8_t *put_str(uint8_t *o, const char *s, size_t n)
{
    o = put_varint(o, n);
    if (n)
        memcpy(o, s, n);
    return o + n;
}

/* The store's columns of every table, in the order of its spec. */
static int build_columns(struct loader *l)
{
    for (int t = 0; t < PFA_ROWS_TABLES; t++) {
        const struct table_spec *ts = &specs[t];
        struct column *c = l->cols[t];
        int n = 0;
        c[n++] = (struct column){"host", "String", FROM_HOST, 0, 0};
        c[n++] = (struct column){"capture_id", "UInt64", FROM_CAPTURE_ID, 0, 1};
        const char *p = ts->columns;
        int cell = 0;
        while (*p) {
            size_t len = strcspn(p, ",");
            while (cell < ts->ncells && (ts->type[cell] == C_CID || ts->type[cell] == C_SKIP))
                cell++;
            if (n == MAX_COLS || len >= sizeof c[n].name)
                return -1;
            memcpy(c[n].name, p, len);
            c[n].name[len] = '\0';
            if (cell < ts->ncells) {
                int ty = ts->type[cell];
                c[n].cell = cell++;
                c[n].nullable = ty == C_I64N || ty == C_STRN;
                c[n].is_int = ty == C_I64 || ty == C_I64N;
            } else if (t == PFA_ROWS_FLOWS && !strcmp(c[n].name, "remote_name")) {
                c[n].cell = FROM_REMOTE_NAME;
                c[n].nullable = 1;
            } else {
                return -1;
            }
            c[n].type = c[n].nullable ? (c[n].is_int ? "Nullable(Int64)" : "Nullable(String)")
                                      : (c[n].is_int ? "Int64" : "String");
            n++;
            p += len;
            p += strspn(p, ", ");
        }
        l->ncols[t] = n;
        /* the order's columns: Int64, never NULL (ClickHouse sorting keys have no Nullable) */
        for (p = ts->order; *p; p += strspn(p, ", ")) {
            size_t len = strcspn(p, ",");
            int k = 0;
            while (k < n && (strlen(c[k].name) != len || memcmp(c[k].name, p, len)))
                k++;
            if (k == n || !c[k].is_int || c[k].nullable || c[k].cell < 0 || l->nkeys[t] == MAX_KEYS)
                return -1;
            l->keys[t][l->nkeys[t]++] = k;
            p += len;
        }
    }
    return 0;
}

static int encode_row(struct loader *l, enum pfa_rows_table table, const struct pfa_cell *cells, int ncells,
                      const char *arena, char *err, size_t errlen)
{
    const struct table_spec *ts = &specs[table];
    if (ncells != ts->ncells) {
        set_err(err, errlen, "internal: %d cells in a row of %s, expected %d", ncells, ts->name, ts->ncells);
        return PFA_E_CH;
    }
    const struct answer *name = table == PFA_ROWS_FLOWS ? remote_name(l, cells, arena) : NULL;
    struct block *b = l->out[table];
    if (!b && !(b = l->out[table] = calloc(1, sizeof *b)))
        return PF_E_NOMEM;
    size_t before = 0, after = 0;
    for (int k = 0; k < l->ncols[table]; k++) {
        const struct column *c = &l->cols[table][k];
        struct pfc_buf *d = &b->data[k];
        const char *text = NULL;
        size_t len = 0;
        int64_t v = 0, null = 0;
        if (c->cell == FROM_HOST) {
            text = l->host;
            len = l->host_len;
        } else if (c->cell == FROM_CAPTURE_ID) {
            v = (int64_t)l->gid;
        } else if (c->cell == FROM_REMOTE_NAME) {
            null = !name;
            text = name ? name->qname : "";
            len = name ? name->qname_len : 0;
        } else {
            const struct pfa_cell *x = &cells[c->cell];
            null = x->type == PFA_CELL_NULL;
            if ((null && !c->nullable) || (!null && x->type != (c->is_int ? PFA_CELL_INT : PFA_CELL_TEXT))) {
                set_err(err, errlen, "internal: column %s of a %s row is %s", c->name, ts->name,
                        null ? "NULL" : "of another type");
                return PFA_E_CH;
            }
            if (!null && c->is_int)
                v = x->i;
            else if (!null)
                text = arena + x->off, len = x->len;
        }
        before += d->len;
        if (pfc_buf_reserve(d, len + 10) || (c->nullable && pfc_buf_reserve(&b->nulls[k], 1)))
            return PF_E_NOMEM;
        if (c->nullable)
            b->nulls[k].bytes[b->nulls[k].len++] = (uint8_t)null;
        uint8_t *o = d->bytes + d->len;
        o = c->is_int ? put_u64(o, (uint64_t)v) : put_str(o, text, null ? 0 : len);
        d->len = (size_t)(o - d->bytes);
        after += d->len + (c->nullable ? 1 : 0);
    }
    b->rows++;
    b->bytes += after - before;
    return 0;
}

/* ------------------------------------------------------------ the sink */

static int sink_begin(void *ctx, const char *uuid, const char *host, int64_t bucket_ns, int64_t rollup_ns, char *err,
                      size_t errlen)
{
    struct loader *l = ctx;
    int rc = pfa_ch_begin_load(l->c, uuid, bucket_ns, rollup_ns, &l->gid, l->res, err, errlen);
    if (rc || l->res->already)
        return rc ? rc : 1;
    snprintf(l->host, sizeof l->host, "%s", host);
    l->host_len = strlen(l->host);
    l->started = 1;
    for (int i = 0; i < SENDERS; i++) {
        struct sender *s = &l->senders[i];
        s->l = l;
        if (!(s->curl = curl_easy_init())) {
            set_err(err, errlen, "clickhouse %s: cannot start libcurl", pfa_ch_name(l->c));
            return PFA_E_CH;
        }
        if (pthread_create(&s->thread, NULL, sender, s)) {
            set_err(err, errlen, "clickhouse %s: cannot start a sending thread", pfa_ch_name(l->c));
            return PFA_E_CH;
        }
        s->started = 1;
    }
    return 0;
}

static int sink_row(void *ctx, enum pfa_rows_table table, const struct pfa_cell *cells, int ncells, const char *arena,
                    char *err, size_t errlen)
{
    struct loader *l = ctx;
    int rc = 0;
    if (table == PFA_ROWS_DNS)
        rc = add_answer(l, cells, arena);
    if (!rc)
        rc = encode_row(l, table, cells, ncells, arena, err, errlen);
    if (!rc)
        l->res->rows++;
    if (!rc && table != PFA_ROWS_CAPTURES && l->out[table]->bytes >= LOAD_BATCH_BYTES)
        rc = send_buffer(l, table, err, errlen);
    if (rc == PF_E_NOMEM)
        set_err(err, errlen, "clickhouse loader: out of memory");
    return rc;
}

static void loader_free(struct loader *l)
{
    for (int i = 0; i < PFA_ROWS_TABLES; i++)
        block_free(l->out[i]);
    for (int i = 0; i < l->nspare; i++)
        block_free(l->spare[i]);
    for (size_t i = 0; i < l->nslots; i++)
        for (struct answer *e = l->slots[i], *next; e; e = next) {
            next = e->next;
            free(e->addr);
            free(e->qname);
            free(e);
        }
    free(l->slots);
    for (int i = 0; i < SENDERS; i++) {
        if (l->senders[i].curl)
            curl_easy_cleanup(l->senders[i].curl);
        sorter_free(&l->senders[i].sort);
    }
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
}

int pfa_ch_load_file(pfa_ch *c, const char *path, const struct pfa_ingest_options *opt, struct pfa_ch_load_result *res,
                     char *err, size_t errlen)
{
    struct loader *l = calloc(1, sizeof *l);
    if (!l)
        return PF_E_NOMEM;
    memset(res, 0, sizeof *res);
    l->c = c;
    l->t = pfa_ch_target_of(c);
    l->res = res;
    snprintf(l->base, sizeof l->base, "http://%s:%u/", l->t->host[0], l->t->port[0]);
    if (build_columns(l)) {
        free(l);
        set_err(err, errlen, "internal: the loader's column lists do not match its tables");
        return PFA_E_CH;
    }
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    struct pfa_rows_sink sink = {.begin = sink_begin, .row = sink_row, .ctx = l};
    struct pfa_ingest_result ir;
    int rc = pfa_ingest_rows(path, opt, &sink, &ir, err, errlen);
    /* every table's rest, then the captures row alone: it makes the capture visible */
    for (int i = 0; !rc && l->started && i < PFA_ROWS_TABLES; i++)
        if (i != PFA_ROWS_CAPTURES && l->out[i] && l->out[i]->rows)
            rc = send_buffer(l, (enum pfa_rows_table)i, err, errlen);
    int stop = stop_sender(l, rc ? NULL : err, errlen);
    if (!rc)
        rc = stop;
    int loading = l->senders[0].curl != NULL;
    if (!rc && loading && l->out[PFA_ROWS_CAPTURES]) /* every row is in: 004's capture-end tables */
        rc = pfa_ch_finish_capture(l->c, l->gid, err, errlen);
    if (!rc && loading && l->out[PFA_ROWS_CAPTURES])
        rc = post_rows(l->senders[0].curl, l, PFA_ROWS_CAPTURES, l->out[PFA_ROWS_CAPTURES], err, errlen);
    if (rc && loading) {
        /* rows that went in stay invisible; the next load of the file removes them */
        size_t n = strlen(err);
        if (n + 1 < errlen)
            snprintf(err + n, errlen - n, " (capture not loaded; loading it again cleans up)");
    }
    loader_free(l);
    free(l);
    return rc;
}
