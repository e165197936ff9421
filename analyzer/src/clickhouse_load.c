/* SPDX-License-Identifier: MIT */
/* The direct loader of the fleet store (clickhouse_load.h): the ingest's
 * rows (pfa_rows.h) encoded as RowBinary, one buffer per table; a full
 * buffer is one INSERT, sent by a second thread while the file is read on.
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

#define LOAD_BATCH_BYTES (32u << 20) /* one INSERT carries about this much RowBinary */
#define QUEUE_MAX 2                  /* full buffers waiting for the sender */
#define SPARE_MAX 1                  /* emptied buffers kept for the next batch */
#define SENDERS 2                    /* inserts under way at once */
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
};

static const struct table_spec specs[PFA_ROWS_TABLES] = {
    [PFA_ROWS_PROCESSES] = {"processes",
                            "process_id, pid, ppid, start_ns, exit_ns, uid, comm, exe, cmdline, container, exit_code, "
                            "user, cgroup, netns",
                            15,
                            {C_I64, C_CID, C_I64, C_I64N, C_I64N, C_I64N, C_I64N, C_STRN, C_STRN, C_STRN, C_STRN,
                             C_I64N, C_STRN, C_STRN, C_I64N}},
    [PFA_ROWS_FLOWS] = {"flows",
                        "flow_id, process_id, proto, family, local_addr, local_port, remote_addr, remote_port, "
                        "direction, first_ns, last_ns, bytes_sent, bytes_recv, sends, recvs, state, retransmits, "
                        "sock_id, closed, proto_num, netns, remote_name",
                        22,
                        {C_I64,  C_CID, C_I64N, C_STR, C_I64, C_STRN, C_I64N, C_STRN, C_I64N, C_STR,  C_I64N,
                         C_I64N, C_I64, C_I64,  C_I64, C_I64, C_STRN, C_I64,  C_I64N, C_I64,  C_I64N, C_I64N}},
    [PFA_ROWS_BYTES] = {"bytes",
                        "flow_id, bucket_ns, bytes_sent, bytes_recv, sends, recvs, process_id",
                        7,
                        {C_I64, C_I64, C_I64, C_I64, C_I64, C_I64, C_I64N}},
    [PFA_ROWS_BYTES_ROLLUP] = {"bytes_rollup",
                               "flow_id, bucket_ns, bytes_sent, bytes_recv, sends, recvs, process_id",
                               7,
                               {C_I64, C_I64, C_I64, C_I64, C_I64, C_I64, C_I64N}},
    [PFA_ROWS_SNAPSHOTS] = {"snapshots",
                            "ts_ns, proto, family, state, local_addr, local_port, remote_addr, remote_port, pid, "
                            "process_id, uid, bytes_sent, bytes_recv, sock_id, proto_num, netns",
                            17,
                            {C_CID, C_I64, C_STR, C_I64, C_STRN, C_STRN, C_I64N, C_STRN, C_I64N, C_I64N, C_I64N, C_I64N,
                             C_I64N, C_I64N, C_I64N, C_I64N, C_I64N}},
    [PFA_ROWS_LOSSES] = {"losses",
                         "ts_ns, source, lost, cpu, since_ns",
                         6,
                         {C_CID, C_I64, C_STR, C_I64, C_I64N, C_I64N}},
    [PFA_ROWS_DAMAGE] = {"damage",
                         "file_offset, resume_offset, chunk_seq, error, what",
                         6,
                         {C_CID, C_I64, C_I64N, C_I64N, C_STRN, C_STRN}},
    [PFA_ROWS_DNS] = {"dns",
                      "lookup_id, process_id, ts_ns, qname, qtype, rcode, cname, addr, ttl, proto, server_addr, "
                      "server_port, truncated",
                      14,
                      {C_CID, C_I64, C_I64N, C_I64, C_STR, C_STR, C_STR, C_STRN, C_STRN, C_I64N, C_STR, C_STRN, C_I64N,
                       C_I64}},
    [PFA_ROWS_HOSTINFO] = {"hostinfo", "key, value", 3, {C_CID, C_STRN, C_STRN}},
    [PFA_ROWS_MARKERS] = {"markers", "ts_ns, text", 3, {C_CID, C_I64, C_STRN}},
    [PFA_ROWS_CAPTURES] = {"captures",
                           "uuid, path, os, platform, series_uuid, file_seq, recorder, comment, ingested_ns, "
                           "started_ns, ended_ns, records, chunks_ok, chunks_damaged, events_lost, clean_close, "
                           "bytes_skipped",
                           18,
                           {C_STR, C_STRN, C_SKIP, C_STRN, C_STRN, C_STRN, C_I64N, C_STRN, C_STRN, C_I64N, C_I64N,
                            C_I64N, C_I64, C_I64, C_I64, C_I64, C_I64N, C_I64}},
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

struct job {
    enum pfa_rows_table table;
    struct pfc_buf body;
};

struct loader;

struct sender {
    struct loader *l;
    pthread_t thread;
    int started;
    CURL *curl;
};

struct loader {
    pfa_ch *c;
    const struct pfa_ch_target *t;
    char base[600]; /* http://host:port/ of the first host */
    struct pfa_ch_load_result *res;
    uint64_t gid;
    char host[256];
    size_t host_len;
    struct pfc_buf out[PFA_ROWS_TABLES];
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
    struct pfc_buf spare[SPARE_MAX]; /* emptied buffers, used again */
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

/* The server's error text on one line, without its C++ trailer. */
static void server_message(const struct pfc_buf *b, char *out, size_t cap)
{
    size_t n = b->len;
    const char *s = b->p ? b->p : "";
    const char *cut = memmem(s, n, ", e.what()", 10);
    if (cut)
        n = (size_t)(cut - s);
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        out[o++] = (char)(ch < ' ' || ch == 127 ? ' ' : ch);
    }
    while (o && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
}

/* One INSERT of `table` with `body` as its RowBinary rows. */
static int post_rows(CURL *h, struct loader *l, enum pfa_rows_table table, const struct pfc_buf *body, char *err,
                     size_t errlen)
{
    char query[600];
    snprintf(query, sizeof query, "INSERT INTO %s.%s (host, capture_id, %s) FORMAT RowBinary", l->t->database,
             specs[table].name, specs[table].columns);
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
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->len ? body->p : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
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
            server_message(&resp, msg, sizeof msg);
            set_err(err, errlen, "clickhouse %s: inserting into %s: HTTP %ld: %s", pfa_ch_name(l->c), specs[table].name,
                    status, msg[0] ? msg : "(no message)");
            rc = PFA_E_CH;
        }
    }
    curl_slist_free_all(hdr);
    pfc_buf_free(&url);
    pfc_buf_free(&resp);
    return rc;
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
        int rc = failed ? 0 : post_rows(me->curl, l, j.table, &j.body, why, sizeof why);
        pthread_mutex_lock(&l->mu);
        if (rc && !l->failed) {
            l->failed = rc;
            snprintf(l->send_err, sizeof l->send_err, "%s", why);
        }
        j.body.len = 0;
        if (l->nspare < SPARE_MAX)
            l->spare[l->nspare++] = j.body;
        else
            pfc_buf_free(&j.body);
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
        j->body = l->out[table];
        l->qlen++;
        if (l->nspare)
            l->out[table] = l->spare[--l->nspare];
        else
            memset(&l->out[table], 0, sizeof l->out[table]);
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

/* ------------------------------------------------------------ RowBinary */

/* RowBinary integers are little-endian. */
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

static uint8_t *put_str(uint8_t *o, const char *s, size_t n)
{
    size_t v = n;
    while (v >= 0x80) {
        *o++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *o++ = (uint8_t)v;
    if (n)
        memcpy(o, s, n);
    return o + n;
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
    size_t need = l->host_len + 32 + (size_t)ncells * 10 + (name ? name->qname_len + 10 : 1);
    for (int i = 0; i < ncells; i++)
        if (cells[i].type == PFA_CELL_TEXT)
            need += cells[i].len;
    struct pfc_buf *b = &l->out[table];
    if (pfc_buf_reserve(b, need))
        return PF_E_NOMEM;
    uint8_t *o = b->bytes + b->len;
    o = put_str(o, l->host, l->host_len);
    o = put_u64(o, l->gid);
    for (int i = 0; i < ncells; i++) {
        const struct pfa_cell *x = &cells[i];
        int type = ts->type[i];
        if (type == C_CID || type == C_SKIP)
            continue;
        if (type == C_I64N || type == C_STRN) {
            *o++ = x->type == PFA_CELL_NULL;
            if (x->type == PFA_CELL_NULL)
                continue;
        }
        int want = type == C_I64 || type == C_I64N ? PFA_CELL_INT : PFA_CELL_TEXT;
        if (x->type != want) {
            set_err(err, errlen, "internal: column %d of a %s row is %s", i + 1, ts->name,
                    x->type == PFA_CELL_NULL ? "NULL" : "of another type");
            return PFA_E_CH;
        }
        o = want == PFA_CELL_INT ? put_u64(o, (uint64_t)x->i) : put_str(o, arena + x->off, x->len);
    }
    if (table == PFA_ROWS_FLOWS) {
        *o++ = name == NULL;
        if (name)
            o = put_str(o, name->qname, name->qname_len);
    }
    b->len = (size_t)(o - b->bytes);
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
    if (!rc && table != PFA_ROWS_CAPTURES && l->out[table].len >= LOAD_BATCH_BYTES)
        rc = send_buffer(l, table, err, errlen);
    if (rc == PF_E_NOMEM)
        set_err(err, errlen, "clickhouse loader: out of memory");
    return rc;
}

static void loader_free(struct loader *l)
{
    for (int i = 0; i < PFA_ROWS_TABLES; i++)
        pfc_buf_free(&l->out[i]);
    for (int i = 0; i < l->nspare; i++)
        pfc_buf_free(&l->spare[i]);
    for (size_t i = 0; i < l->nslots; i++)
        for (struct answer *e = l->slots[i], *next; e; e = next) {
            next = e->next;
            free(e->addr);
            free(e->qname);
            free(e);
        }
    free(l->slots);
    for (int i = 0; i < SENDERS; i++)
        if (l->senders[i].curl)
            curl_easy_cleanup(l->senders[i].curl);
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
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    struct pfa_rows_sink sink = {.begin = sink_begin, .row = sink_row, .ctx = l};
    struct pfa_ingest_result ir;
    int rc = pfa_ingest_rows(path, opt, &sink, &ir, err, errlen);
    /* every table's rest, then the captures row alone: it makes the capture visible */
    for (int i = 0; !rc && l->started && i < PFA_ROWS_TABLES; i++)
        if (i != PFA_ROWS_CAPTURES && l->out[i].len)
            rc = send_buffer(l, (enum pfa_rows_table)i, err, errlen);
    int stop = stop_sender(l, rc ? NULL : err, errlen);
    if (!rc)
        rc = stop;
    int loading = l->senders[0].curl != NULL;
    if (!rc && loading && l->out[PFA_ROWS_CAPTURES].len)
        rc = post_rows(l->senders[0].curl, l, PFA_ROWS_CAPTURES, &l->out[PFA_ROWS_CAPTURES], err, errlen);
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
