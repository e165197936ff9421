/* SPDX-License-Identifier: MIT */
/* Ingest: stream records, aggregate flows and byte buckets in memory, and
 * write aggregated rows with multi-row prepared inserts inside one
 * transaction per capture (a failed or interrupted ingest leaves nothing). */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "embedded.h"
#include "pfa.h"
#include "pfa_export.h"
#include "pfa_rows.h"
#include "pfc/htab.h"

extern const struct pf_embedded_file pfa_index_files[];
extern const size_t pfa_index_files_count;

#define BATCH_ROWS 50
#define MAX_COLS 24
#define NONE INT64_MIN

/* ------------------------------------------------------------ batches */

/* Rows are buffered and bound at flush time so a short tail can go through
 * the single-row statement. With a sink (pfa_rows.h) each row goes to it
 * instead, as it is complete. */
struct batch {
    sqlite3_stmt *multi, *single;
    int ncols, nrows, col;
    struct pfa_cell cells[BATCH_ROWS * MAX_COLS];
    struct pfa_buf arena;
    uint64_t total;
    const struct pfa_rows_sink *sink;
    enum pfa_rows_table table;
    char *err; /* the sink's message */
    size_t errlen;
};

/* Statement `name` of the embedded analyzer/sql/FILE (ingest-*.sql). */
static int prep(sqlite3 *db, const char *file, const char *name, unsigned flags, sqlite3_stmt **st)
{
    size_t len;
    const char *sql = pfa_embedded_sql(file, name, &len);
    *st = NULL;
    if (!sql || len > INT_MAX)
        return PFA_E_SQL;
    return sqlite3_prepare_v3(db, sql, (int)len, flags, st, NULL) == SQLITE_OK ? 0 : PFA_E_SQL;
}

/* A batch from the one-row INSERT `@insert` of FILE, which must bind ncols
 * values: the many-row statement repeats its VALUES tuple. */
static int batch_init(struct batch *b, sqlite3 *db, const char *file, int ncols)
{
    memset(b, 0, sizeof *b);
    if (ncols > MAX_COLS)
        return PFA_E_SQL; /* a programming error: raise MAX_COLS */
    b->ncols = ncols;
    size_t len;
    const char *one = pfa_embedded_sql(file, "insert", &len);
    if (!one)
        return PFA_E_SQL;
    while (len && (one[len - 1] == ';' || one[len - 1] == ' ' || one[len - 1] == '\n'))
        len--;
    const char *tuple = NULL;
    for (const char *p = one; (p = strstr(p, "VALUES")) && p < one + len; p++)
        tuple = p;
    tuple = tuple ? memchr(tuple, '(', len - (size_t)(tuple - one)) : NULL;
    if (!tuple || !len || one[len - 1] != ')' || len > INT_MAX / (BATCH_ROWS + 1))
        return PFA_E_SQL;
    size_t tlen = len - (size_t)(tuple - one);
    struct pfa_buf sql = {0};
    pfa_buf_put(&sql, one, len);
    for (int r = 1; r < BATCH_ROWS; r++) {
        pfa_buf_put(&sql, ",", 1);
        pfa_buf_put(&sql, tuple, tlen);
    }
    if (!sql.p)
        return PF_E_NOMEM;
    int rc = PFA_E_SQL;
    if (sqlite3_prepare_v3(db, one, (int)len, SQLITE_PREPARE_PERSISTENT, &b->single, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_prepare_v3(db, sql.p, (int)sql.len, SQLITE_PREPARE_PERSISTENT, &b->multi, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_bind_parameter_count(b->single) != ncols ||
        sqlite3_bind_parameter_count(b->multi) != ncols * BATCH_ROWS)
        goto out;
    rc = 0;
out:
    pfa_buf_free(&sql);
    return rc;
}

static struct pfa_cell *next_cell(struct batch *b) { return &b->cells[b->nrows * b->ncols + b->col++]; }

static void b_int(struct batch *b, int64_t v)
{
    struct pfa_cell *c = next_cell(b);
    c->type = 1;
    c->i = v;
}

static void b_null(struct batch *b) { next_cell(b)->type = 0; }

static void b_intn(struct batch *b, int64_t v)
{
    if (v == NONE)
        b_null(b);
    else
        b_int(b, v);
}

static void b_text(struct batch *b, const char *s, size_t n)
{
    struct pfa_cell *c = next_cell(b);
    if (!s) {
        c->type = 0;
        return;
    }
    c->type = 2;
    c->off = b->arena.len;
    c->len = n;
    if (pfa_buf_put(&b->arena, s, n))
        c->type = 0;
}

static int bind_row(sqlite3_stmt *st, const struct batch *b, int row, int base)
{
    for (int c = 0; c < b->ncols; c++) {
        const struct pfa_cell *x = &b->cells[row * b->ncols + c];
        int idx = base + c + 1, rc;
        if (x->type == 1)
            rc = sqlite3_bind_int64(st, idx, x->i);
        else if (x->type == 2)
            rc = sqlite3_bind_text(st, idx, x->len ? b->arena.p + x->off : "", (int)x->len, SQLITE_STATIC);
        else
            rc = sqlite3_bind_null(st, idx);
        if (rc != SQLITE_OK)
            return PFA_E_SQL;
    }
    return 0;
}

static int step_reset(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st); /* every slot is bound again before the next step */
    return rc == SQLITE_DONE ? 0 : PFA_E_SQL;
}

static int batch_flush(struct batch *b)
{
    int rc = 0;
    if (b->sink)
        return 0; /* each row went out as it was complete */
    if (b->nrows == BATCH_ROWS) {
        for (int r = 0; r < b->nrows && !rc; r++)
            rc = bind_row(b->multi, b, r, r * b->ncols);
        if (!rc)
            rc = step_reset(b->multi);
    } else {
        for (int r = 0; r < b->nrows && !rc; r++) {
            rc = bind_row(b->single, b, r, 0);
            if (!rc)
                rc = step_reset(b->single);
        }
    }
    b->total += (uint64_t)b->nrows;
    b->nrows = 0;
    b->col = 0;
    b->arena.len = 0;
    return rc;
}

static int batch_end_row(struct batch *b)
{
    if (b->sink) {
        int rc = b->sink->row(b->sink->ctx, b->table, b->cells, b->ncols, b->arena.p, b->err, b->errlen);
        b->col = 0;
        b->arena.len = 0;
        b->total++;
        return rc;
    }
    b->col = 0;
    if (++b->nrows == BATCH_ROWS)
        return batch_flush(b);
    return 0;
}

static void batch_free(struct batch *b)
{
    sqlite3_finalize(b->multi);
    sqlite3_finalize(b->single);
    pfa_buf_free(&b->arena);
    b->multi = b->single = NULL;
}

/* ------------------------------------------------------------ processes */

struct str {
    char *p;
    uint32_t n;
};

/* A process instance, a record of the process table keyed by its first
 * PROC_KEY_BYTES: (pid, start). Every instance sits in the table; one of
 * unknown start gets a unique `anon` number, so it is never found by key,
 * only through its pid's live instance. */
struct proc {
    uint32_t pid;
    uint32_t key_pad;   /* zero: the key has no indeterminate bytes */
    uint64_t start_raw; /* identity in the capture clock; 0 = unknown */
    uint64_t anon;      /* 0 when start_raw is known */
    int64_t id;
    uint32_t ppid;
    int64_t start_utc, exit_utc;
    uint64_t exit_clock; /* capture clock of the exit record */
    int64_t uid;
    int64_t exit_code;
    struct str comm, exe, cmdline, container, user, cgroup;
    uint64_t netns; /* network namespace id; 0 = unknown */
    int queued;     /* in the exit queue */
};

#define PROC_KEY_BYTES offsetof(struct proc, id)

/* A pid's newest instance: a record of the pid table keyed by pid. */
struct pidnode {
    uint32_t pid;
    struct proc *live;
};

/* ------------------------------------------------------------ flows */

struct fkey {
    int64_t process_id; /* 0 = none */
    uint64_t sock_id;
    uint8_t proto, family;
    uint16_t lport, rport;
    uint8_t laddr[16], raddr[16];
    uint32_t lscope, rscope; /* IPv6 zones: part of the peer's identity */
    uint64_t netns;          /* network namespace id; 0 = unknown */
};

enum { DIR_UNKNOWN = 0, DIR_OUT = 1, DIR_IN = 2, DIR_LISTEN = 3 };

/* A record of the flow table keyed by its first member. */
struct flow {
    struct fkey k;
    int64_t id;
    int64_t first, last;
    uint64_t seen_clock; /* capture clock of the last record: idleness */
    uint64_t sent, recv, sends, recvs, retrans;
    uint8_t state, dir, closed;
    int64_t cb; /* current bucket start, NONE when empty */
    uint64_t cb_sent, cb_recv, cb_sends, cb_recvs;
    int64_t rb; /* current rollup bucket */
    uint64_t rb_sent, rb_recv, rb_sends, rb_recvs;
};

struct ctx {
    sqlite3 *db;
    const struct pfa_ingest_options *opt;
    const char *path;
    int64_t capture_id;
    uint64_t records_entered; /* records of the chunks entered so far (progress) */
    int64_t bucket_ns, rollup_ns, idle_ns;
    int64_t next_flow_id, next_proc_id;
    struct batch flows_b, bytes_b, roll_b, snaps_b, loss_b, procs_b, dns_b, host_b, mark_b;
    /* rows to a sink instead of the database (pfa_ingest_rows) */
    const struct pfa_rows_sink *sink;
    char *sink_err;
    size_t sink_errlen;
    char etl_text[160]; /* the captures row's comment of an ETW import */
    const char *uuid;
    /* processes */
    struct pfc_htab procs; /* (pid, start, anon) -> struct proc */
    struct pfc_htab pids;  /* pid -> struct pidnode */
    size_t procs_total;    /* instances ever */
    /* exited processes in exit order: written and freed once long gone, so
     * memory follows live processes, not capture length */
    struct proc **exitq;
    size_t exq_head, exq_len, exq_cap;
    /* flows */
    struct pfc_htab flows; /* struct fkey -> struct flow */
    size_t nflows, peak_flows;
    uint64_t flows_shed; /* times the cap was reached */
    uint64_t next_sweep; /* capture clock */
    uint64_t now_clock;  /* capture clock of the record being read */
    size_t max_flows;    /* live-flow cap */
    int sweep_armed;
    /* capture facts */
    int64_t min_utc, max_utc;
    uint64_t events_lost;
    /* damage, buffered until the capture row exists */
    struct pf_damage *damage;
    size_t ndamage, damage_cap;
    uint64_t file_size;
    /* traffic records claiming more bytes than any link carries */
    uint64_t impossible, chunk_offset;
    int64_t chunk_seq, impossible_seq;
    uint64_t impossible_offset;
    /* DNS answers: one row per answer address */
    int64_t next_lookup;
    uint64_t dns_rows;
    /* derived time tables built during a load into an empty database */
    struct pfa_live *live;
    int err;
};

/* SQLite integers are signed: absurd counts saturate instead of wrapping. */
static int64_t u2i(uint64_t v) { return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v; }

static uint64_t sat_add(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }

static uint64_t hash_key(const void *key)
{
    uint64_t w[sizeof(struct fkey) / 8];
    memcpy(w, key, sizeof w);
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < sizeof w / 8; i++)
        h = (h ^ w[i]) * 0xff51afd7ed558ccdULL;
    return pfc_hash_mix64(h);
}

static void str_set(struct str *s, const char *p, uint32_t n)
{
    if (!p || !n)
        return; /* keep what we knew: later records may omit strings */
    char *c = malloc(n);
    if (!c)
        return;
    memcpy(c, p, n);
    free(s->p);
    s->p = c;
    s->n = n;
}

/* 1 when v[0..n) is a proper prefix of the string held. */
static int str_has_prefix(const struct str *s, const char *v, uint32_t n)
{
    return s->p && v && n && n < s->n && !memcmp(s->p, v, n);
}

/* By (pid, start) only: the hash leaves `anon` out. */
static uint64_t proc_hash(const void *key)
{
    const struct proc *k = key;
    return pfc_hash_mix64(((uint64_t)k->pid << 1) ^ pfc_hash_mix64(k->start_raw));
}

static uint64_t pid_hash(const void *key)
{
    uint32_t pid;
    memcpy(&pid, key, sizeof pid);
    return pfc_hash_mix64(pid);
}

static int tables_init(struct ctx *c)
{
    struct pfc_htab_opts po = {.key_size = PROC_KEY_BYTES,
                               .value_size = sizeof(struct proc),
                               .buckets = 1024,
                               .hash = proc_hash,
                               .key_in_value = 1};
    struct pfc_htab_opts io = {.key_size = sizeof(uint32_t),
                               .value_size = sizeof(struct pidnode),
                               .buckets = 1024,
                               .hash = pid_hash,
                               .key_in_value = 1};
    struct pfc_htab_opts fo = {.key_size = sizeof(struct fkey),
                               .value_size = sizeof(struct flow),
                               .buckets = 4096,
                               .hash = hash_key,
                               .key_in_value = 1};
    if (pfc_htab_init_opts(&c->procs, &po) || pfc_htab_init_opts(&c->pids, &io) || pfc_htab_init_opts(&c->flows, &fo))
        return PF_E_NOMEM;
    return 0;
}

static struct proc *proc_lookup(struct ctx *c, uint32_t pid, uint64_t start)
{
    struct proc k = {.pid = pid, .start_raw = start};
    return pfc_htab_get(&c->procs, &k);
}

static struct pidnode *pid_node(struct ctx *c, uint32_t pid, int create)
{
    return create ? pfc_htab_put(&c->pids, &pid, NULL) : pfc_htab_get(&c->pids, &pid);
}

/* New instance; `start_raw` 0 means unknown (then not findable by key,
 * only through the pid's live instance). */
static struct proc *proc_new(struct ctx *c, uint32_t pid, uint64_t start_raw, int64_t start_utc)
{
    struct proc k = {.pid = pid, .start_raw = start_raw, .anon = start_raw ? 0 : c->procs_total + 1};
    struct proc *p = pfc_htab_insert(&c->procs, &k);
    if (!p)
        return NULL;
    p->id = c->next_proc_id++;
    p->start_utc = start_utc;
    p->exit_utc = NONE;
    p->uid = NONE;
    p->exit_code = NONE;
    p->ppid = UINT32_MAX;
    c->procs_total++;
    struct pidnode *n = pid_node(c, pid, 1);
    /* The newest instance of a pid is the live one. */
    if (n && (!n->live || start_utc == NONE || n->live->start_utc == NONE || start_utc >= n->live->start_utc))
        n->live = p;
    return p;
}

/* UTC times are clamped only where they are impossible: before 1970 (no
 * recorder ran then) or past what signed 64-bit nanoseconds hold (2262),
 * less a margin so that a time plus a rollup bucket cannot overflow. A
 * capture dated 2100 keeps its dates. Differences of two clamped times
 * cannot overflow; durations and offsets are capped at TIME_LIMIT. */
#define TIME_MAX (INT64_MAX - ((int64_t)1 << 54)) /* 2261-09 */
#define TIME_LIMIT ((int64_t)1 << 61)             /* 73 years: longest duration or offset believed */

static int64_t clamp_time(int64_t t) { return t > TIME_MAX ? TIME_MAX : t < 0 ? 0 : t; }

static int64_t to_utc(const struct pf_record *r, uint64_t clock_ns)
{
    if (!clock_ns)
        return NONE;
    uint64_t d = r->ts_ns - clock_ns; /* record time minus the given time, mod 2^64 */
    int64_t diff = (int64_t)(d > (uint64_t)INT64_MAX ? -(int64_t)(~d) - 1 : (int64_t)d);
    if (diff > TIME_LIMIT || diff < -TIME_LIMIT)
        return NONE;
    /* r->utc_ns is clamped already, so this stays within int64 */
    return clamp_time(r->utc_ns - diff);
}

/* Process instance a record names: exact (pid, start) when known, else the
 * live instance of that pid at this time. */
static struct proc *resolve(struct ctx *c, const struct pf_record *r, uint32_t pid, uint64_t start)
{
    if (start) {
        struct proc *p = proc_lookup(c, pid, start);
        return p ? p : proc_new(c, pid, start, to_utc(r, start));
    }
    if (!pid)
        return NULL;
    struct pidnode *n = pid_node(c, pid, 0);
    if (n && n->live)
        return n->live;
    return proc_new(c, pid, 0, NONE);
}

static void on_process(struct ctx *c, const struct pf_record *r)
{
    const struct pf_process *e = &r->u.process;
    struct proc *p;
    if (e->event == PF_PROC_START && (!e->start_ns || !proc_lookup(c, e->pid, e->start_ns)))
        p = proc_new(c, e->pid, e->start_ns, e->start_ns ? to_utc(r, e->start_ns) : r->utc_ns);
    else
        p = resolve(c, r, e->pid, e->start_ns);
    if (!p)
        return;
    /* A start or rundown stating parent 0 (Windows pid 0 and 4) means none. */
    if (e->ppid || ((e->event == PF_PROC_START || e->event == PF_PROC_RUNDOWN) && p->ppid == UINT32_MAX))
        p->ppid = e->ppid;
    if (e->uid != UINT32_MAX)
        p->uid = e->uid;
    /* At an end event: the command line the process was started with is
     * kept (only a gap is filled); a name that is a cut copy of the known
     * one (Windows stop events carry 14 characters) says nothing new. */
    int at_end = e->event == PF_PROC_EXIT || e->event == PF_PROC_END_RUNDOWN;
    if (!at_end || !str_has_prefix(&p->comm, e->comm, e->comm_len))
        str_set(&p->comm, e->comm, e->comm_len);
    str_set(&p->exe, e->exe, e->exe_len);
    if (!at_end || !p->cmdline.p)
        str_set(&p->cmdline, e->cmdline, e->cmdline_len);
    str_set(&p->container, e->container, e->container_len);
    str_set(&p->user, e->user, e->user_len);
    str_set(&p->cgroup, e->cgroup, e->cgroup_len);
    if (e->netns)
        p->netns = e->netns;
    if (e->event == PF_PROC_EXIT) {
        p->exit_utc = r->utc_ns;
        p->exit_clock = r->ts_ns;
        p->exit_code = e->exit_code;
        if (!p->queued) {
            if (c->exq_len == c->exq_cap) {
                if (c->exq_head > c->exq_len / 2) {
                    memmove(c->exitq, c->exitq + c->exq_head, (c->exq_len - c->exq_head) * sizeof *c->exitq);
                    c->exq_len -= c->exq_head;
                    c->exq_head = 0;
                } else {
                    size_t ncap = c->exq_cap ? c->exq_cap * 2 : 1024;
                    struct proc **nq = realloc(c->exitq, ncap * sizeof *nq);
                    if (!nq)
                        return; /* stays in memory until the end: still correct */
                    c->exitq = nq;
                    c->exq_cap = ncap;
                }
            }
            c->exitq[c->exq_len++] = p;
            p->queued = 1;
        }
    }
}

/* ------------------------------------------------------------ flow table */

static int is_zero(const uint8_t *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i])
            return 0;
    return 1;
}

static void make_key(struct fkey *k, const struct pf_flow_key *fk, const struct proc *p)
{
    memset(k, 0, sizeof *k);
    k->process_id = p ? p->id : 0;
    k->sock_id = fk->sock_id;
    k->proto = fk->proto;
    k->family = fk->family;
    k->lport = fk->local.port;
    k->rport = fk->remote.port;
    memcpy(k->laddr, fk->local.addr, 16);
    memcpy(k->raddr, fk->remote.addr, 16);
    k->lscope = fk->local.scope_id;
    k->rscope = fk->remote.scope_id;
    k->netns = fk->netns;
}

/* A socket's first events can precede knowing its owner (a passive TCP open
 * runs in softirq context before accept() names the process). When the
 * owner shows up, the ownerless flow of the same socket becomes its flow
 * instead of staying behind as a flow of no process. */
static struct flow *flow_adopt(struct ctx *c, const struct fkey *k)
{
    if (!k->process_id || !k->sock_id)
        return NULL;
    struct fkey k0 = *k;
    k0.process_id = 0;
    struct flow *f = pfc_htab_get(&c->flows, &k0);
    if (!f || f->cb != NONE || f->rb != NONE || f->sent || f->recv)
        return NULL; /* none, or bytes already counted without an owner: keep them apart */
    pfc_htab_rekey(&c->flows, f, k);
    return f;
}

static void shed(struct ctx *c, uint64_t now);

static struct flow *flow_get(struct ctx *c, const struct fkey *k, int64_t utc)
{
    struct flow *f = pfc_htab_get(&c->flows, k);
    if (f)
        return f;
    if ((f = flow_adopt(c, k)))
        return f;
    if (c->nflows >= c->max_flows)
        shed(c, c->now_clock);
    f = pfc_htab_insert(&c->flows, k);
    if (!f) {
        c->err = PF_E_NOMEM;
        return NULL;
    }
    f->id = c->next_flow_id++;
    f->first = f->last = utc;
    f->cb = NONE;
    f->rb = NONE;
    if (++c->nflows > c->peak_flows)
        c->peak_flows = c->nflows;
    return f;
}

/* Whether the table of PFA_SKIP_* flag is left empty. */
static int skipped(const struct ctx *c, unsigned flag) { return c->opt && (c->opt->skip & flag); }

static int emit_rollup(struct ctx *c, struct flow *f)
{
    if (f->rb == NONE)
        return 0;
    struct batch *b = &c->roll_b;
    if (skipped(c, PFA_SKIP_BYTES_ROLLUP)) {
        f->rb = NONE;
        f->rb_sent = f->rb_recv = f->rb_sends = f->rb_recvs = 0;
        return 0;
    }
    b_int(b, f->id);
    b_int(b, f->rb);
    b_int(b, u2i(f->rb_sent));
    b_int(b, u2i(f->rb_recv));
    b_int(b, u2i(f->rb_sends));
    b_int(b, u2i(f->rb_recvs));
    b_intn(b, f->k.process_id ? f->k.process_id : NONE);
    f->rb = NONE;
    f->rb_sent = f->rb_recv = f->rb_sends = f->rb_recvs = 0;
    return batch_end_row(b);
}

static int emit_bucket(struct ctx *c, struct flow *f)
{
    if (f->cb == NONE)
        return 0;
    struct batch *b = &c->bytes_b;
    if (skipped(c, PFA_SKIP_BYTES)) {
        f->cb = NONE;
        f->cb_sent = f->cb_recv = f->cb_sends = f->cb_recvs = 0;
        return 0;
    }
    if (c->live)
        pfa_live_bytes_row(c->live, f->cb);
    b_int(b, f->id);
    b_int(b, f->cb);
    b_int(b, u2i(f->cb_sent));
    b_int(b, u2i(f->cb_recv));
    b_int(b, u2i(f->cb_sends));
    b_int(b, u2i(f->cb_recvs));
    b_intn(b, f->k.process_id ? f->k.process_id : NONE);
    f->cb = NONE;
    f->cb_sent = f->cb_recv = f->cb_sends = f->cb_recvs = 0;
    return batch_end_row(b);
}

static void b_addr(struct batch *b, uint8_t family, const uint8_t *addr, uint32_t scope);

static const char *proto_name(uint8_t p) { return pf_proto_name(p); }

/* Raw and packet sockets carry their protocol number in the local port
 * (capture format §5.2); the database has a column for it instead. */
static int port_is_number(uint8_t proto) { return proto == PF_PROTO_RAW || proto == PF_PROTO_PACKET; }

/* flows/snapshots.proto_num: the IP protocol, or a packet socket's EtherType. */
static void b_proto_num(struct batch *b, uint8_t proto, uint16_t lport)
{
    if (port_is_number(proto))
        b_int(b, lport);
    else if (proto == PF_PROTO_TCP || proto == PF_PROTO_UDP || proto == PF_PROTO_ICMP || proto == PF_PROTO_ICMPV6)
        b_int(b, proto);
    else
        b_null(b);
}

/* Endpoint columns: packet sockets have no addresses; ICMP and raw no ports. */
static void b_endpoint(struct batch *b, uint8_t proto, uint8_t family, const uint8_t *addr, uint32_t scope,
                       uint16_t port, int local)
{
    if (proto == PF_PROTO_PACKET)
        b_null(b);
    else
        b_addr(b, family, addr, scope);
    if (proto == PF_PROTO_TCP || proto == PF_PROTO_UDP ||
        (local && (proto == PF_PROTO_ICMP || proto == PF_PROTO_ICMPV6)))
        b_int(b, port);
    else
        b_null(b);
}

static const char *dir_name(uint8_t d)
{
    static const char *names[] = {"unknown", "out", "in", "listen"};
    return names[d & 3];
}

/* IPv4 by hand (the common case, called for every row); the rest through
 * the format library's canonical printer, a scoped IPv6 address with its
 * zone as `fe80::1%5` (RFC 4007 text form). */
static void b_addr(struct batch *b, uint8_t family, const uint8_t *addr, uint32_t scope)
{
    char buf[PF_ADDR_STRLEN];
    if (family == PF_AF_INET) {
        char *p = buf;
        for (int i = 0; i < 4; i++) {
            unsigned v = addr[i];
            if (i)
                *p++ = '.';
            if (v >= 100)
                *p++ = (char)('0' + v / 100);
            if (v >= 10)
                *p++ = (char)('0' + v / 10 % 10);
            *p++ = (char)('0' + v % 10);
        }
        b_text(b, buf, (size_t)(p - buf));
        return;
    }
    const char *s = pf_addr_to_string(family, addr, buf, sizeof buf);
    if (s && family == PF_AF_INET6 && scope) {
        char scoped[PF_ADDR_STRLEN + 12];
        int n = snprintf(scoped, sizeof scoped, "%s%%%lu", s, (unsigned long)scope);
        b_text(b, scoped, n > 0 ? (size_t)n : 0);
        return;
    }
    b_text(b, s, s ? strlen(s) : 0);
}

static const char *state_text(uint8_t proto, uint8_t state)
{
    if (!state)
        return NULL;
    if (proto != PF_PROTO_TCP) /* datagram-like sockets: bound/unconnected or connected */
        return state == PF_TCP_CLOSE ? "CLOSE" : state == PF_TCP_ESTABLISHED ? "ESTABLISHED" : NULL;
    return pf_tcp_state_name(state);
}

static int write_flow(struct ctx *c, struct flow *f)
{
    int rc = emit_bucket(c, f);
    if (!rc)
        rc = emit_rollup(c, f);
    if (rc)
        return rc;
    struct batch *b = &c->flows_b;
    const struct fkey *k = &f->k;
    b_int(b, f->id);
    b_int(b, c->capture_id);
    if (k->process_id)
        b_int(b, k->process_id);
    else
        b_null(b);
    b_text(b, proto_name(k->proto), strlen(proto_name(k->proto)));
    b_int(b, k->proto == PF_PROTO_PACKET ? 0 : k->family);
    b_endpoint(b, k->proto, k->family, k->laddr, k->lscope, k->lport, 1);
    if (f->dir == DIR_LISTEN && is_zero(k->raddr, 16) && !k->rport) {
        b_null(b);
        b_null(b);
    } else {
        b_endpoint(b, k->proto, k->family, k->raddr, k->rscope, k->rport, 0);
    }
    b_text(b, dir_name(f->dir), strlen(dir_name(f->dir)));
    b_int(b, f->first);
    b_int(b, f->last);
    b_int(b, u2i(f->sent));
    b_int(b, u2i(f->recv));
    b_int(b, u2i(f->sends));
    b_int(b, u2i(f->recvs));
    const char *st = state_text(k->proto, f->state);
    b_text(b, st, st ? strlen(st) : 0);
    b_int(b, u2i(f->retrans));
    if (k->sock_id)
        b_int(b, u2i(k->sock_id));
    else
        b_null(b);
    b_int(b, f->closed);
    b_proto_num(b, k->proto, k->lport);
    if (k->netns)
        b_int(b, u2i(k->netns));
    else
        b_null(b);
    return batch_end_row(b);
}

/* Writes a flow out and drops it from memory. */
static int flow_remove(struct ctx *c, struct flow *f)
{
    int rc = write_flow(c, f);
    pfc_htab_del_value(&c->flows, f);
    c->nflows--;
    return rc;
}

/* A finished flow stays in memory for CLOSE_GRACE_NS so the CLOSE event and
 * the FINAL traffic record (either order) land in the same row; the sweep
 * writes it out. */
#define CLOSE_GRACE_NS (2 * (int64_t)1000000000)

static void touch(struct flow *f, int64_t from, int64_t to, uint64_t clock)
{
    if (from < f->first)
        f->first = from;
    if (to > f->last)
        f->last = to;
    if (clock > f->seen_clock)
        f->seen_clock = clock;
}

/* Idleness is measured on the capture clock: UTC steps with the wall clock
 * (CLOCK records), and a step must not end flows or processes early. */
static int older_than(uint64_t then, uint64_t now, int64_t span) { return now > then && now - then > (uint64_t)span; }

static void on_socket(struct ctx *c, const struct pf_record *r)
{
    const struct pf_socket *e = &r->u.socket;
    if (e->event == PF_SOCK_BIND && e->key.proto != PF_PROTO_UDP)
        return; /* a TCP bind alone says nothing about traffic or listening */
    struct proc *p = resolve(c, r, e->key.pid, e->key.pid_start_ns);
    struct fkey k;
    make_key(&k, &e->key, p);
    struct flow *f = flow_get(c, &k, r->utc_ns);
    if (!f)
        return;
    int opens = e->event == PF_SOCK_CONNECT || e->event == PF_SOCK_ACCEPT || e->event == PF_SOCK_LISTEN ||
                e->event == PF_SOCK_BIND;
    if (f->closed && opens) {
        /* same endpoints and socket id again: a new connection */
        int rc = flow_remove(c, f);
        if (rc) {
            c->err = rc;
            return;
        }
        f = flow_get(c, &k, r->utc_ns);
        if (!f)
            return;
    }
    touch(f, r->utc_ns, r->utc_ns, r->ts_ns);
    if (e->new_state)
        f->state = e->new_state;
    switch (e->event) {
    case PF_SOCK_CONNECT:
    case PF_SOCK_ESTABLISHED:
        if (f->dir == DIR_UNKNOWN)
            f->dir = DIR_OUT;
        break;
    case PF_SOCK_ACCEPT:
        if (f->dir == DIR_UNKNOWN)
            f->dir = DIR_IN;
        break;
    case PF_SOCK_LISTEN:
        f->dir = DIR_LISTEN;
        if (!e->new_state)
            f->state = PF_TCP_LISTEN;
        break;
    case PF_SOCK_BIND:
        if (f->dir == DIR_UNKNOWN && is_zero(k.raddr, 16) && !k.rport)
            f->dir = DIR_LISTEN;
        break;
    case PF_SOCK_RETRANSMIT: f->retrans++; break;
    case PF_SOCK_CLOSE:
    case PF_SOCK_FAIL:
        if (!e->new_state)
            f->state = PF_TCP_CLOSE;
        f->closed = 1;
        break;
    case PF_SOCK_STATE:
        if (e->new_state == PF_TCP_CLOSE)
            f->closed = 1;
        break;
    default: break;
    }
}

/* No link carries more than this (8 Tbit/s; loopback manages ~0.1 of it). */
#define MAX_BYTES_PER_NS 1024

/* Bytes one flow can have carried, each way, from the start of the capture
 * (its first record) to `utc`, plus one second for intervals that began
 * just before. A count beyond this is impossible at any link speed. */
static uint64_t bytes_possible(const struct ctx *c, int64_t utc)
{
    int64_t since = c->min_utc == NONE || utc < c->min_utc ? 0 : utc - c->min_utc; /* both clamped */
    uint64_t ns = (uint64_t)since + 1000000000u;
    return ns > UINT64_MAX / MAX_BYTES_PER_NS ? UINT64_MAX : ns * MAX_BYTES_PER_NS;
}

static void on_traffic(struct ctx *c, const struct pf_record *r)
{
    const struct pf_traffic *t = &r->u.traffic;
    struct proc *p = resolve(c, r, t->key.pid, t->key.pid_start_ns);
    struct fkey k;
    make_key(&k, &t->key, p);
    uint64_t dur = t->duration_ns > (uint64_t)TIME_LIMIT ? (uint64_t)TIME_LIMIT : t->duration_ns;
    int64_t from = clamp_time(r->utc_ns - (int64_t)dur);
    struct flow *f = flow_get(c, &k, from);
    if (!f)
        return;
    touch(f, from, r->utc_ns, r->ts_ns);
    if (f->dir == DIR_UNKNOWN && f->sends + f->recvs + f->sent + f->recv == 0 && t->key.proto != PF_PROTO_TCP) {
        /* Unconnected UDP (and ICMP, raw, packet): whoever spoke first. A
         * ping socket only ever sends echo requests: always the client. */
        if (t->key.proto == PF_PROTO_ICMP || t->key.proto == PF_PROTO_ICMPV6)
            f->dir = DIR_OUT;
        else if ((t->bytes_sent || t->sends) && !(t->bytes_recv || t->recvs))
            f->dir = DIR_OUT;
        else if ((t->bytes_recv || t->recvs) && !(t->bytes_sent || t->sends))
            f->dir = DIR_IN;
        else if (k.lport >= 32768 && k.rport < 32768)
            f->dir = DIR_OUT; /* both ways at once: the ephemeral side is the client */
        else if (k.lport < 32768 && k.rport >= 32768)
            f->dir = DIR_IN;
    }
    uint64_t possible = bytes_possible(c, r->utc_ns);
    if (f->sent > possible || t->bytes_sent > possible - f->sent || f->recv > possible ||
        t->bytes_recv > possible - f->recv) {
        /* damage, not data: counted and reported once at the end */
        if (!c->impossible++) {
            c->impossible_offset = c->chunk_offset;
            c->impossible_seq = c->chunk_seq;
        }
        return;
    }
    f->sent = sat_add(f->sent, t->bytes_sent);
    f->recv = sat_add(f->recv, t->bytes_recv);
    f->sends = sat_add(f->sends, t->sends);
    f->recvs = sat_add(f->recvs, t->recvs);
    f->retrans = sat_add(f->retrans, t->retransmits);
    int64_t b = r->utc_ns - (((r->utc_ns % c->bucket_ns) + c->bucket_ns) % c->bucket_ns);
    if (c->live)
        pfa_live_traffic(c->live, r->utc_ns, b, f->k.process_id, t->bytes_sent, t->bytes_recv, t->sends, t->recvs);
    if (f->cb != b) {
        int rc = emit_bucket(c, f);
        if (rc)
            c->err = rc;
        f->cb = b;
    }
    f->cb_sent = sat_add(f->cb_sent, t->bytes_sent);
    f->cb_recv = sat_add(f->cb_recv, t->bytes_recv);
    f->cb_sends = sat_add(f->cb_sends, t->sends);
    f->cb_recvs = sat_add(f->cb_recvs, t->recvs);
    int64_t rb = b - (((b % c->rollup_ns) + c->rollup_ns) % c->rollup_ns);
    if (f->rb != rb) {
        int rc = emit_rollup(c, f);
        if (rc)
            c->err = rc;
        f->rb = rb;
    }
    f->rb_sent = sat_add(f->rb_sent, t->bytes_sent);
    f->rb_recv = sat_add(f->rb_recv, t->bytes_recv);
    f->rb_sends = sat_add(f->rb_sends, t->sends);
    f->rb_recvs = sat_add(f->rb_recvs, t->recvs);
    if (t->flags & PF_TRAFFIC_FINAL)
        f->closed = 1;
}

static void on_snapshot(struct ctx *c, const struct pf_record *r)
{
    const struct pf_snapshot *s = &r->u.snapshot;
    int unknown = (s->flags & PF_SNAP_PID_UNKNOWN) || !s->key.pid;
    struct proc *p = unknown ? NULL : resolve(c, r, s->key.pid, s->key.pid_start_ns);
    if (skipped(c, PFA_SKIP_SNAPSHOTS))
        return; /* the process it names is known all the same */
    struct batch *b = &c->snaps_b;
    b_int(b, c->capture_id);
    b_int(b, r->utc_ns);
    b_text(b, proto_name(s->key.proto), strlen(proto_name(s->key.proto)));
    b_int(b, s->key.proto == PF_PROTO_PACKET ? 0 : s->key.family);
    const char *st = state_text(s->key.proto, s->state);
    b_text(b, st, st ? strlen(st) : 0);
    b_endpoint(b, s->key.proto, s->key.family, s->key.local.addr, s->key.local.scope_id, s->key.local.port, 1);
    b_endpoint(b, s->key.proto, s->key.family, s->key.remote.addr, s->key.remote.scope_id, s->key.remote.port, 0);
    if (unknown)
        b_null(b);
    else
        b_int(b, s->key.pid);
    if (p)
        b_int(b, p->id);
    else
        b_null(b);
    if (s->uid != UINT32_MAX)
        b_int(b, s->uid);
    else
        b_null(b);
    if (s->flags & PF_SNAP_HAS_BYTES) {
        b_int(b, u2i(s->bytes_sent));
        b_int(b, u2i(s->bytes_recv));
    } else {
        b_null(b);
        b_null(b);
    }
    if (s->key.sock_id)
        b_int(b, u2i(s->key.sock_id));
    else
        b_null(b);
    b_proto_num(b, s->key.proto, s->key.local.port);
    if (s->key.netns)
        b_int(b, u2i(s->key.netns));
    else
        b_null(b);
    int rc = batch_end_row(b);
    if (rc)
        c->err = rc;
}

static void on_loss(struct ctx *c, const struct pf_record *r)
{
    const struct pf_loss *l = &r->u.loss;
    struct batch *b = &c->loss_b;
    /* Lost buffers are another unit: their own loss rows, not events. */
    if (l->source != PF_LOSS_ETW_BUFFERS)
        c->events_lost = sat_add(c->events_lost, l->count);
    const char *src = pf_loss_source_name(l->source);
    b_int(b, c->capture_id);
    b_int(b, r->utc_ns);
    b_text(b, src, strlen(src));
    b_int(b, u2i(l->count));
    if (l->cpu != UINT32_MAX)
        b_int(b, l->cpu);
    else
        b_null(b);
    b_intn(b, l->since_ns ? to_utc(r, l->since_ns) : NONE);
    int rc = batch_end_row(b);
    if (rc)
        c->err = rc;
}

static const char *dns_type_name(uint16_t t, char *buf, size_t len)
{
    switch (t) {
    case 1: return "A";
    case 2: return "NS";
    case 5: return "CNAME";
    case 6: return "SOA";
    case 12: return "PTR";
    case 15: return "MX";
    case 16: return "TXT";
    case 28: return "AAAA";
    case 33: return "SRV";
    case 64: return "SVCB";
    case 65: return "HTTPS";
    case 255: return "ANY";
    default: snprintf(buf, len, "TYPE%u", t); return buf;
    }
}

static const char *dns_rcode_name(uint8_t r, char *buf, size_t len)
{
    static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
    if (r < sizeof names / sizeof names[0])
        return names[r];
    snprintf(buf, len, "RCODE%u", r);
    return buf;
}

/* A DNS response: one row per answer address, or one without an address. */
static void on_dns(struct ctx *c, const struct pf_record *r)
{
    const struct pf_dns *d = &r->u.dns;
    struct batch *b = &c->dns_b;
    struct proc *p = resolve(c, r, d->key.pid, d->key.pid_start_ns);
    char tbuf[16], rbuf[16];
    const char *qtype = dns_type_name(d->qtype, tbuf, sizeof tbuf),
               *rcode = dns_rcode_name(d->rcode, rbuf, sizeof rbuf);
    int64_t lookup = c->next_lookup++;
    uint32_t rows = d->nanswers ? d->nanswers : 1;
    for (uint32_t i = 0; i < rows && !c->err; i++) {
        b_int(b, c->capture_id);
        b_int(b, lookup);
        b_intn(b, p ? p->id : NONE);
        b_int(b, r->utc_ns);
        b_text(b, d->qname_len ? d->qname : "", d->qname_len);
        b_text(b, qtype, strlen(qtype));
        b_text(b, rcode, strlen(rcode));
        b_text(b, d->cname_len ? d->cname : NULL, d->cname_len);
        if (d->nanswers) {
            b_addr(b, d->answers[i].family, d->answers[i].addr, 0);
            b_int(b, d->answers[i].ttl);
        } else {
            b_null(b);
            b_null(b);
        }
        b_text(b, proto_name(d->key.proto), strlen(proto_name(d->key.proto)));
        b_addr(b, d->key.family, d->key.remote.addr, 0);
        b_int(b, d->key.remote.port);
        b_int(b, (d->flags & PF_DNS_TRUNCATED) != 0);
        int rc = batch_end_row(b);
        if (rc)
            c->err = rc;
        else
            c->dns_rows++;
    }
}

/* Writes flows idle for idle_ns (not listeners: they stay until closed). */
static void sweep(struct ctx *c, uint64_t now)
{
    struct pfc_htab_iter it = PFC_HTAB_ITER_INIT;
    for (struct flow *f; !c->err && (f = pfc_htab_next(&c->flows, &it));) {
        if ((f->closed && older_than(f->seen_clock, now, CLOSE_GRACE_NS)) ||
            (f->dir != DIR_LISTEN && older_than(f->seen_clock, now, c->idle_ns))) {
            int rc = write_flow(c, f);
            pfc_htab_iter_del(&c->flows, &it);
            c->nflows--;
            if (rc)
                c->err = rc;
        }
    }
}

/* Over the live-flow cap: writes out the flows idle longest (listeners
 * too) until a quarter of the table is free, idle spans halving from the
 * idle time; the last pass takes any flow, in table order. Exact below the
 * cap; past it a flow that speaks again starts a new row, as after the idle
 * time. */
static void shed(struct ctx *c, uint64_t now)
{
    size_t target = c->max_flows - c->max_flows / 4 - 1; /* room for the one coming in */
    for (int64_t span = c->idle_ns / 2;; span /= 2) {
        struct pfc_htab_iter it = PFC_HTAB_ITER_INIT;
        for (struct flow *f; c->nflows > target && !c->err && (f = pfc_htab_next(&c->flows, &it));) {
            if (span > 0 && !older_than(f->seen_clock, now, span))
                continue;
            int rc = write_flow(c, f);
            pfc_htab_iter_del(&c->flows, &it);
            c->nflows--;
            if (rc)
                c->err = rc;
        }
        if (c->nflows <= target || c->err || span <= 0)
            break;
    }
    c->flows_shed++;
}

static void on_damage(void *ctxp, const struct pf_damage *d)
{
    struct ctx *c = ctxp;
    if (c->opt && c->opt->on_damage)
        c->opt->on_damage(c->opt->ctx, c->path, d);
    if (c->ndamage == c->damage_cap) {
        /* at most 65536 rows; the count stays right in chunks_damaged */
        struct pf_damage *nd = pfc_array_grow(c->damage, &c->damage_cap, c->ndamage + 1, sizeof *nd, 16, 65536);
        if (!nd)
            return;
        c->damage = nd;
    }
    c->damage[c->ndamage++] = *d;
}

/* One damage entry for all traffic records with impossible byte counts. */
static void note_impossible(struct ctx *c)
{
    struct pf_damage d;
    memset(&d, 0, sizeof d);
    d.offset = c->impossible_offset;
    d.resume_offset = c->impossible_offset;
    d.chunk_seq = c->impossible_seq;
    d.error = PF_E_RECORD;
    snprintf(d.what, sizeof d.what,
             "%llu traffic record(s) claim more bytes than any link carries in the capture's time "
             "(over %d bytes/ns); not counted",
             (unsigned long long)c->impossible, MAX_BYTES_PER_NS);
    on_damage(c, &d);
}

static void on_chunk(void *ctxp, const struct pf_chunk_info *ci)
{
    struct ctx *c = ctxp;
    c->chunk_offset = ci->offset;
    c->chunk_seq = (int64_t)ci->seq;
    c->records_entered += ci->records;
    if (c->opt && c->opt->progress)
        c->opt->progress(c->opt->ctx, ci->offset + ci->block_bytes, c->file_size);
    if (c->opt && c->opt->progress_records)
        c->opt->progress_records(c->opt->ctx, ci->offset + ci->block_bytes, c->file_size, c->records_entered);
}

/* ------------------------------------------------------------ helpers */

/* First column of the first row of statement `name` (ingest-*.sql FILE),
 * NONE for NULL: 0, 1 when there is no row, or an error. */
static int query_int(sqlite3 *db, const char *file, const char *name, const char *text, int64_t *out)
{
    sqlite3_stmt *st;
    if (prep(db, file, name, 0, &st))
        return PFA_E_SQL;
    if (text)
        sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    int res = 0;
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_type(st, 0) == SQLITE_NULL ? NONE : sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE)
        res = 1;
    else
        res = PFA_E_SQL;
    sqlite3_finalize(st);
    return res;
}

static void bind_intn(sqlite3_stmt *st, int i, int64_t v)
{
    if (v == NONE)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, v);
}

static void b_str(struct batch *b, const struct str *s) { b_text(b, s->p, s->n); }

static int write_process(struct ctx *c, const struct proc *p)
{
    struct batch *b = &c->procs_b;
    b_int(b, p->id);
    b_int(b, c->capture_id);
    b_int(b, p->pid);
    b_intn(b, p->ppid == UINT32_MAX ? NONE : (int64_t)p->ppid);
    b_intn(b, p->start_utc);
    b_intn(b, p->exit_utc);
    b_intn(b, p->uid);
    b_str(b, &p->comm);
    b_str(b, &p->exe);
    b_str(b, &p->cmdline);
    b_str(b, &p->container);
    b_intn(b, p->exit_code);
    b_str(b, &p->user);
    b_str(b, &p->cgroup);
    b_intn(b, p->netns ? u2i(p->netns) : NONE);
    return batch_end_row(b);
}

/* The strings a process owns (the table owns the process itself). */
static void proc_free_strings(struct proc *p)
{
    free(p->comm.p);
    free(p->exe.p);
    free(p->cmdline.p);
    free(p->container.p);
    free(p->user.p);
    free(p->cgroup.p);
}

static int write_processes(struct ctx *c)
{
    int rc = 0;
    struct pfc_htab_iter it = PFC_HTAB_ITER_INIT;
    for (const struct proc *p; !rc && (p = pfc_htab_next(&c->procs, &it));)
        rc = write_process(c, p);
    return rc;
}

/* Writes and frees processes that exited more than idle_ns ago. A record
 * naming one later starts a new (nameless) row; none should come. */
static void flush_exited(struct ctx *c, uint64_t now)
{
    while (c->exq_head < c->exq_len && !c->err) {
        struct proc *p = c->exitq[c->exq_head];
        if (!older_than(p->exit_clock, now, c->idle_ns))
            break;
        c->exq_head++;
        int rc = write_process(c, p);
        if (rc) {
            c->err = rc;
            return;
        }
        /* the pid's node goes with its last instance (a node without one
         * means the same as none), so the pid table follows live pids */
        struct pidnode *n = pid_node(c, p->pid, 0);
        if (n && n->live == p)
            pfc_htab_del_value(&c->pids, n);
        proc_free_strings(p);
        pfc_htab_del_value(&c->procs, p);
    }
}

static int open_batch(struct ctx *c, struct batch *b, const char *file, int ncols, enum pfa_rows_table table);

static int write_damage(struct ctx *c)
{
    struct batch b;
    int rc = open_batch(c, &b, "ingest-damage.sql", 6, PFA_ROWS_DAMAGE);
    for (size_t i = 0; i < c->ndamage && !rc; i++) {
        const struct pf_damage *d = &c->damage[i];
        b_int(&b, c->capture_id);
        b_int(&b, (int64_t)d->offset);
        b_int(&b, (int64_t)d->resume_offset);
        b_intn(&b, d->chunk_seq < 0 ? NONE : d->chunk_seq);
        const char *e = pf_strerror(d->error);
        b_text(&b, e, e ? strlen(e) : 0);
        b_text(&b, d->what, strnlen(d->what, sizeof d->what));
        rc = batch_end_row(&b);
    }
    if (!rc)
        rc = batch_flush(&b);
    batch_free(&b);
    return rc;
}

static int write_misc(struct ctx *c, const struct pf_record *r)
{
    struct batch *b;
    if (r->type == PF_REC_HOSTINFO) {
        b = &c->host_b;
        b_int(b, c->capture_id);
        b_text(b, r->u.hostinfo.key ? r->u.hostinfo.key : "", r->u.hostinfo.key_len);
        b_text(b, r->u.hostinfo.value ? r->u.hostinfo.value : "", r->u.hostinfo.value_len);
    } else {
        b = &c->mark_b;
        b_int(b, c->capture_id);
        b_int(b, r->utc_ns);
        b_text(b, r->u.marker.text ? r->u.marker.text : "", r->u.marker.text_len);
    }
    return batch_end_row(b);
}

static void ctx_free(struct ctx *c)
{
    batch_free(&c->flows_b);
    batch_free(&c->bytes_b);
    batch_free(&c->roll_b);
    batch_free(&c->snaps_b);
    batch_free(&c->loss_b);
    batch_free(&c->procs_b);
    batch_free(&c->dns_b);
    batch_free(&c->host_b);
    batch_free(&c->mark_b);
    struct pfc_htab_iter it = PFC_HTAB_ITER_INIT;
    for (struct proc *p; (p = pfc_htab_next(&c->procs, &it));)
        proc_free_strings(p);
    pfc_htab_free(&c->procs);
    free(c->exitq);
    pfc_htab_free(&c->pids);
    pfc_htab_free(&c->flows);
    free(c->damage);
    pfa_live_free(c->live);
    c->live = NULL;
}

/* A stable id for files whose header lost its UUID. */
static void fallback_uuid(const char *path, uint64_t size, char out[64])
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *p = path; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
    snprintf(out, 64, "nouuid-%016llx-%llu", (unsigned long long)h, (unsigned long long)size);
}

/* Rollup width: 60 s when the bucket divides it, else 60 buckets. */
static int64_t rollup_for(int64_t bucket)
{
    const int64_t minute = 60 * (int64_t)1000000000;
    return minute % bucket == 0 ? minute : bucket * 60;
}

static int setup_bucket(struct ctx *c, char *err, size_t errlen)
{
    int64_t have = NONE;
    int rc = query_int(c->db, "ingest-meta.sql", "bucket", NULL, &have);
    if (rc < 0)
        return rc;
    int64_t want = c->opt && c->opt->bucket_ns ? (int64_t)c->opt->bucket_ns : 0;
    if (c->opt && c->opt->bucket_ns && (c->opt->bucket_ns < 1000 || c->opt->bucket_ns > 86400 * 1000000000ULL)) {
        snprintf(err, errlen, "bucket must be between 1 us and 1 day");
        return PFA_E_BUCKET;
    }
    if (rc == 1 || have > 86400 * (int64_t)1000000000)
        have = NONE; /* absent or nonsense: start over with ours */
    if (rc == 1 || have == NONE || have <= 0) {
        c->bucket_ns = want ? want : 1000000000;
        c->rollup_ns = rollup_for(c->bucket_ns);
        sqlite3_stmt *st;
        if (prep(c->db, "ingest-meta.sql", "set-bucket", 0, &st))
            return PFA_E_SQL;
        sqlite3_bind_int64(st, 1, c->bucket_ns);
        sqlite3_bind_int64(st, 2, c->rollup_ns);
        rc = step_reset(st);
        sqlite3_finalize(st);
        return rc;
    }
    if (want && want != have) {
        snprintf(err, errlen, "database uses %lld ns buckets; cannot ingest with %lld ns", (long long)have,
                 (long long)want);
        return PFA_E_BUCKET;
    }
    c->bucket_ns = have;
    c->rollup_ns = rollup_for(have);
    return 0;
}

/* A batch of the SQLite insert of FILE, or one that hands rows to the sink. */
static int open_batch(struct ctx *c, struct batch *b, const char *file, int ncols, enum pfa_rows_table table)
{
    if (!c->sink)
        return batch_init(b, c->db, file, ncols);
    memset(b, 0, sizeof *b);
    b->ncols = ncols;
    b->sink = c->sink;
    b->table = table;
    b->err = c->sink_err;
    b->errlen = c->sink_errlen;
    return 0;
}

static int prepare_batches(struct ctx *c)
{
    int rc = open_batch(c, &c->flows_b, "ingest-flows.sql", 22, PFA_ROWS_FLOWS);
    if (!rc)
        rc = open_batch(c, &c->bytes_b, "ingest-bytes.sql", 7, PFA_ROWS_BYTES);
    if (!rc)
        rc = open_batch(c, &c->roll_b, "ingest-bytes-rollup.sql", 7, PFA_ROWS_BYTES_ROLLUP);
    if (!rc)
        rc = open_batch(c, &c->snaps_b, "ingest-snapshots.sql", 17, PFA_ROWS_SNAPSHOTS);
    if (!rc)
        rc = open_batch(c, &c->loss_b, "ingest-losses.sql", 6, PFA_ROWS_LOSSES);
    if (!rc)
        rc = open_batch(c, &c->procs_b, "ingest-processes.sql", 15, PFA_ROWS_PROCESSES);
    if (!rc)
        rc = open_batch(c, &c->dns_b, "dns.sql", 14, PFA_ROWS_DNS);
    if (!rc)
        rc = open_batch(c, &c->host_b, "ingest-hostinfo.sql", 3, PFA_ROWS_HOSTINFO);
    if (!rc)
        rc = open_batch(c, &c->mark_b, "ingest-markers.sql", 3, PFA_ROWS_MARKERS);
    if (!rc && c->sink)
        c->next_lookup = 1;
    else if (!rc) {
        char why[256];
        sqlite3_stmt *st = NULL;
        rc = pfa_prepare_embedded(c->db, "dns.sql", "next-lookup", &st, why, sizeof why);
        if (!rc) {
            c->next_lookup = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 1;
            sqlite3_finalize(st);
        }
    }
    return rc;
}

/* ETW imports: says both the header's start time and the events' span. */
static int etl_comment(struct ctx *c, const struct pf_file_info *info, const struct pfa_etl_facts *ef)
{
    char *text = c->etl_text;
    snprintf(text, sizeof c->etl_text,
             "ETW header start %lld ns; events %llu .. %llu ns; %llu events of unknown versions skipped",
             (long long)info->start_utc_ns, (unsigned long long)ef->first_event_ns,
             (unsigned long long)ef->last_event_ns, (unsigned long long)ef->unknown_version);
    if (c->sink)
        return 0; /* the captures row says it */
    sqlite3_stmt *u;
    if (prep(c->db, "ingest-captures.sql", "comment", 0, &u))
        return PFA_E_SQL;
    sqlite3_bind_text(u, 1, text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(u, 2, c->capture_id);
    int rc = step_reset(u);
    sqlite3_finalize(u);
    return rc;
}
static int emit_capture(struct ctx *c, const struct pf_file_info *info, int64_t started, int64_t ended,
                        const struct pf_reader_stats *st, uint64_t damaged);

static int finish_capture(struct ctx *c, pfa_source *src, const struct pf_file_info *info,
                          struct pfa_ingest_result *res)
{
    int rc = 0;
    /* Still-open flows end with the capture. */
    struct pfc_htab_iter it = PFC_HTAB_ITER_INIT;
    for (struct flow *f; !rc && (f = pfc_htab_next(&c->flows, &it));) {
        rc = write_flow(c, f);
        pfc_htab_iter_del(&c->flows, &it);
    }
    c->nflows = pfc_htab_count(&c->flows);
    if (!rc)
        rc = batch_flush(&c->flows_b);
    if (!rc)
        rc = batch_flush(&c->bytes_b);
    if (!rc)
        rc = batch_flush(&c->roll_b);
    if (!rc)
        rc = batch_flush(&c->snaps_b);
    if (!rc)
        rc = batch_flush(&c->loss_b);
    if (!rc)
        rc = write_processes(c);
    if (!rc)
        rc = batch_flush(&c->procs_b);
    if (!rc)
        rc = batch_flush(&c->dns_b);
    if (!rc)
        rc = batch_flush(&c->host_b);
    if (!rc)
        rc = batch_flush(&c->mark_b);
    if (!rc)
        rc = write_damage(c);
    if (rc)
        return rc;

    struct pf_reader_stats st;
    pfa_source_stats(src, &st);
    struct pfa_etl_facts ef;
    pfa_source_etl_facts(src, &ef);
    /* Header-stated losses: events and buffers are different units, one
     * loss row each. */
    c->events_lost = sat_add(c->events_lost, ef.events_lost);
    uint64_t loss_rows = c->loss_b.total;
    for (int i = 0; i < 2 && !rc; i++) {
        uint64_t n = i ? ef.buffers_lost : ef.events_lost;
        if (!n)
            continue;
        const char *what = i ? "etl-header-buffers" : "etl-header-events";
        struct batch *b = &c->loss_b;
        b_int(b, c->capture_id);
        b_int(b, c->max_utc == NONE ? 0 : c->max_utc);
        b_text(b, what, strlen(what));
        b_int(b, (int64_t)n);
        b_null(b); /* no CPU, no interval */
        b_null(b);
        rc = batch_end_row(b);
    }
    if (!rc)
        rc = batch_flush(&c->loss_b);
    if (rc)
        return rc;
    int64_t started = info->start_utc_ns ? info->start_utc_ns : c->min_utc;
    if (c->min_utc != NONE && (started == NONE || c->min_utc < started))
        started = c->min_utc;
    int64_t ended = c->max_utc;
    if (ef.is_etl) {
        /* The span is what the events cover: an ETW header's start time can
         * lie hours before the first event, and Defunct exits are dated
         * before the trace. The comment states the header's time too. */
        started = ef.first_event_ns ? (int64_t)ef.first_event_ns : NONE;
        ended = ef.last_event_ns ? (int64_t)ef.last_event_ns : NONE;
        rc = etl_comment(c, info, &ef);
        if (rc)
            return rc;
    }
    if (ended == NONE || (started != NONE && ended < started))
        ended = started;
    uint64_t damaged = st.chunks_damaged;
    if (damaged < c->ndamage)
        damaged = c->ndamage;
    if (c->sink) {
        rc = emit_capture(c, info, started, ended, &st, damaged);
    } else {
        sqlite3_stmt *u;
        if (prep(c->db, "ingest-captures.sql", "finish", 0, &u))
            return PFA_E_SQL;
        bind_intn(u, 1, started);
        bind_intn(u, 2, ended);
        sqlite3_bind_int64(u, 3, (int64_t)st.records);
        sqlite3_bind_int64(u, 4, (int64_t)st.chunks_ok);
        sqlite3_bind_int64(u, 5, u2i(damaged));
        sqlite3_bind_int64(u, 6, u2i(c->events_lost));
        sqlite3_bind_int(u, 7, st.clean_close);
        sqlite3_bind_int64(u, 8, (int64_t)st.bytes_skipped);
        sqlite3_bind_int64(u, 9, c->capture_id);
        rc = step_reset(u);
        sqlite3_finalize(u);
    }
    if (res) {
        res->records = st.records;
        res->chunks_ok = st.chunks_ok;
        res->chunks_damaged = damaged;
        res->events_lost = c->events_lost;
        res->processes = c->procs_total;
        res->flows = c->flows_b.total;
        res->bytes_rows = c->bytes_b.total;
        res->rollup_rows = c->roll_b.total;
        res->snapshots = c->snaps_b.total;
        res->losses = loss_rows;
        res->peak_live_flows = c->peak_flows;
        res->flow_cap_reached = c->flows_shed;
    }
    return rc;
}

/* The captures row's columns known at the start, in the order of its
 * insert (ingest-captures.sql): uuid, path, host, os, platform,
 * series_uuid, file_seq, recorder, comment, ingested_ns. */
static void capture_facts(struct ctx *c, struct batch *b, const struct pf_file_info *info, const char *uuid,
                          const char *path)
{
    char os[512];
    snprintf(os, sizeof os, "%s%s%s", info->os ? info->os : "", info->os && info->os_release ? " " : "",
             info->os_release ? info->os_release : "");
    const char *plat = info->platform == PF_PLATFORM_LINUX     ? "linux"
                       : info->platform == PF_PLATFORM_WINDOWS ? "windows"
                                                               : "unknown";
    char series[37];
    pf_uuid_format(info->series_uuid, series);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    const char *shown = c->opt && c->opt->display_path ? c->opt->display_path : path;
    b_text(b, uuid, uuid ? strlen(uuid) : 0);
    b_text(b, shown, shown ? strlen(shown) : 0);
    b_text(b, info->hostname, info->hostname ? strlen(info->hostname) : 0);
    b_text(b, os[0] ? os : NULL, strlen(os));
    b_text(b, plat, strlen(plat));
    b_text(b, is_zero(info->series_uuid, 16) ? NULL : series, strlen(series));
    b_int(b, info->file_seq);
    b_text(b, info->recorder, info->recorder ? strlen(info->recorder) : 0);
    const char *comment = c->etl_text[0] ? c->etl_text : info->comment;
    b_text(b, comment, comment ? strlen(comment) : 0);
    b_int(b, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
}

/* The sink's captures row (pfa_rows.h), after every other row. */
static int emit_capture(struct ctx *c, const struct pf_file_info *info, int64_t started, int64_t ended,
                        const struct pf_reader_stats *st, uint64_t damaged)
{
    struct batch b;
    int rc = open_batch(c, &b, NULL, 18, PFA_ROWS_CAPTURES);
    if (rc)
        return rc;
    capture_facts(c, &b, info, c->uuid, c->path);
    b_intn(&b, started);
    b_intn(&b, ended);
    b_int(&b, (int64_t)st->records);
    b_int(&b, (int64_t)st->chunks_ok);
    b_int(&b, u2i(damaged));
    b_int(&b, u2i(c->events_lost));
    b_int(&b, st->clean_close);
    b_int(&b, (int64_t)st->bytes_skipped);
    rc = batch_end_row(&b);
    batch_free(&b);
    return rc;
}

static int insert_capture(struct ctx *c, const struct pf_file_info *info, const char *uuid, const char *path)
{
    struct batch b;
    int rc = batch_init(&b, c->db, "ingest-captures.sql", 10);
    if (!rc) {
        capture_facts(c, &b, info, uuid, path);
        rc = batch_end_row(&b);
    }
    if (!rc)
        rc = batch_flush(&b);
    batch_free(&b);
    if (rc)
        return rc;
    c->capture_id = sqlite3_last_insert_rowid(c->db);
    return 0;
}

/* Removes every row of one capture (for --replace): the statements of
 * ingest-delete-capture.sql in order, each with :capture_id bound. */
static int delete_capture(sqlite3 *db, int64_t id, char *err, size_t errlen)
{
    size_t len;
    const char *sql = pfa_embedded_sql("ingest-delete-capture.sql", NULL, &len);
    if (!sql || len > INT_MAX) {
        snprintf(err, errlen, "internal: no ingest-delete-capture.sql");
        return PFA_E_SQL;
    }
    const char *end = sql + len;
    while (sql < end) {
        sqlite3_stmt *st;
        const char *tail;
        if (sqlite3_prepare_v2(db, sql, (int)(end - sql), &st, &tail) != SQLITE_OK) {
            snprintf(err, errlen, "%s", sqlite3_errmsg(db));
            return PFA_E_SQL;
        }
        if (!st)
            break; /* only comments or blanks left */
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":capture_id"), id);
        int rc = step_reset(st);
        sqlite3_finalize(st);
        if (rc) {
            snprintf(err, errlen, "%s", sqlite3_errmsg(db));
            return rc;
        }
        sql = tail;
    }
    return 0;
}

/* Opens the capture and the tables of one ingest; uuid: the capture's id
 * (made from path and size for files whose header lost it). */
static int ingest_open(struct ctx *c, pfa_source **src, sqlite3 *db, const char *path,
                       const struct pfa_ingest_options *opt, char uuid[64], char *err, size_t errlen)
{
    c->db = db;
    c->opt = opt;
    c->path = path;
    c->idle_ns = opt && opt->idle_ns ? (int64_t)opt->idle_ns : 300 * (int64_t)1000000000;
    c->max_flows = opt && opt->max_live_flows ? opt->max_live_flows : PFA_MAX_LIVE_FLOWS;
    c->min_utc = c->max_utc = NONE;
    struct stat sb;
    if (stat(path, &sb) == 0)
        c->file_size = (uint64_t)sb.st_size;

    struct pf_reader_options ro = {.on_damage = on_damage, .ctx = c};
    int rc = pfa_source_open(src, path, &ro);
    if (rc < 0) {
        char why[256];
        snprintf(err, errlen, "%s: %s", path, pfa_source_open_error(rc, why, sizeof why));
        return rc;
    }
    pfa_source_on_chunk(*src, on_chunk, c);
    const struct pf_file_info *info = pfa_source_info(*src);
    if (is_zero(info->uuid, 16))
        fallback_uuid(path, c->file_size, uuid);
    else
        pf_uuid_format(info->uuid, uuid);

    if (tables_init(c))
        return PF_E_NOMEM;
    return 0;
}

/* What the database holds of this capture: 0 to ingest it (nothing, or its
 * rows were just deleted to be replaced), 1 when it is stored already, or
 * an error. A version stored from a file that was not closed (a .partial)
 * is replaced by this one by itself: *stale_records is how many records it
 * had (NONE otherwise), *existing its capture_id. */
static int check_stored(sqlite3 *db, const char *uuid, const struct pfa_ingest_options *opt, int64_t *existing,
                        int64_t *stale_records, char *err, size_t errlen)
{
    *existing = *stale_records = NONE;
    int rc = query_int(db, "ingest-captures.sql", "find", uuid, existing);
    if (rc)
        return rc < 0 ? rc : 0; /* 1: not there */
    int replace = opt && opt->replace;
    if (!replace && query_int(db, "ingest-captures.sql", "find-unclosed", uuid, stale_records) == 0)
        replace = 1;
    if (!replace)
        return 1;
    return delete_capture(db, *existing, err, errlen);
}

/* The captures row, the ids to continue from and the prepared inserts. */
static int begin_capture(struct ctx *c, const struct pf_file_info *info, const char *uuid, const char *path, char *err,
                         size_t errlen)
{
    if (c->sink) { /* as in a new database: the given bucket or 1 s, ids from 1 */
        uint64_t want = c->opt ? c->opt->bucket_ns : 0;
        if (want && (want < 1000 || want > 86400 * 1000000000ULL)) {
            snprintf(err, errlen, "bucket must be between 1 us and 1 day");
            return PFA_E_BUCKET;
        }
        c->bucket_ns = want ? (int64_t)want : 1000000000;
        c->rollup_ns = rollup_for(c->bucket_ns);
        c->next_flow_id = c->next_proc_id = c->capture_id = 1;
        c->uuid = uuid;
        int rc = c->sink->begin(c->sink->ctx, uuid, info->hostname ? info->hostname : "", c->bucket_ns, c->rollup_ns,
                                err, errlen);
        return rc ? rc : prepare_batches(c);
    }
    int rc = setup_bucket(c, err, errlen);
    if (rc)
        return rc;
    if (query_int(c->db, "ingest-flows.sql", "next-id", NULL, &c->next_flow_id) ||
        query_int(c->db, "ingest-processes.sql", "next-id", NULL, &c->next_proc_id))
        return PFA_E_SQL;
    rc = insert_capture(c, info, uuid, path);
    return rc ? rc : prepare_batches(c);
}

/* Every record of the capture into the aggregates (rows go out in
 * batches as they complete). */
static int read_records(struct ctx *c, pfa_source *src, const char *path, char *err, size_t errlen)
{
    struct pf_record r;
    int n;
    const int64_t sweep_every = 10 * (int64_t)1000000000;
    while ((n = pfa_source_next(src, &r)) == 1) {
        r.utc_ns = clamp_time(r.utc_ns);
        c->now_clock = r.ts_ns;
        if (r.type != PF_REC_CLOCK && r.type != PF_REC_HOSTINFO) {
            if (c->min_utc == NONE || r.utc_ns < c->min_utc)
                c->min_utc = r.utc_ns;
            if (c->max_utc == NONE || r.utc_ns > c->max_utc)
                c->max_utc = r.utc_ns;
        }
        switch (r.type) {
        case PF_REC_PROCESS: on_process(c, &r); break;
        case PF_REC_SOCKET: on_socket(c, &r); break;
        case PF_REC_TRAFFIC: on_traffic(c, &r); break;
        case PF_REC_SNAPSHOT: on_snapshot(c, &r); break;
        case PF_REC_LOSS: on_loss(c, &r); break;
        case PF_REC_DNS: on_dns(c, &r); break;
        case PF_REC_HOSTINFO:
        case PF_REC_MARKER:
            if (write_misc(c, &r))
                c->err = PFA_E_SQL;
            break;
        default: break;
        }
        if (!c->sweep_armed || r.ts_ns >= c->next_sweep) {
            if (c->sweep_armed) {
                sweep(c, r.ts_ns);
                flush_exited(c, r.ts_ns);
                if (c->live)
                    pfa_live_advance(c->live);
            }
            c->sweep_armed = 1;
            c->next_sweep = r.ts_ns > UINT64_MAX - (uint64_t)sweep_every ? UINT64_MAX : r.ts_ns + (uint64_t)sweep_every;
        }
        if (c->err)
            break;
    }
    if (n < 0) {
        snprintf(err, errlen, "%s: %s", path, pfa_strerror(n));
        return n;
    }
    if (c->err)
        return c->err;
    if (c->impossible)
        note_impossible(c);
    return 0;
}

/* A stored unclosed version stays unless this one is closed or longer. */
static int longer_than_stored(pfa_source *src, int64_t stale_records)
{
    struct pf_reader_stats now;
    pfa_source_stats(src, &now);
    return now.clean_close || (int64_t)now.records > stale_records;
}

/* The one-line error of a failed ingest, naming the database when the
 * error is about it rather than the capture. */
static void describe_failure(sqlite3 *db, const char *path, int rc, char *err, size_t errlen)
{
    const char *dbfile = sqlite3_db_filename(db, "main");
    if (rc == PFA_E_SQL && (sqlite3_extended_errcode(db) & 0xff) == SQLITE_FULL) {
        /* Say which disk and what became of the data, even when COMMIT failed. */
        snprintf(err, errlen,
                 "%s: disk full writing the database %s: ingest of this capture rolled back, "
                 "the database holds what it had before",
                 path, dbfile && *dbfile ? dbfile : "(in memory)");
    } else if (rc == PFA_E_SQL) {
        char what[512];
        snprintf(what, sizeof what, "%s", err[0] ? err : sqlite3_errmsg(db));
        snprintf(err, errlen, "%s: database %s: %s", path, dbfile && *dbfile ? dbfile : "(in memory)", what);
    } else if (!err[0]) {
        snprintf(err, errlen, "%s: %s", path, pfa_strerror(rc));
    }
}

/* flows.remote_name for the flows this capture's answers or flows touch
 * (the capture must be attached to its host first). */
static int name_remotes(sqlite3 *db, int64_t capture_id, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int rc = pfa_prepare_embedded(db, "dns.sql", "remote-names", &st, err, errlen);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, capture_id);
    rc = step_reset(st);
    if (rc)
        snprintf(err, errlen, "dns names: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc;
}

/* Whether the capture being loaded is all the database holds: then the
 * derived time tables can be built from it as it loads. */
static int alone(sqlite3 *db)
{
    sqlite3_stmt *st;
    int one = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT (SELECT count(*) FROM captures) = 1 AND NOT EXISTS (SELECT 1 FROM bytes) "
                           "AND NOT EXISTS (SELECT 1 FROM bytes_rollup)",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        one = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return one;
}

int pfa_ingest_file(sqlite3 *db, const char *path, const struct pfa_ingest_options *opt, struct pfa_ingest_result *res,
                    char *err, size_t errlen)
{
    struct ctx *c = calloc(1, sizeof *c);
    if (!c)
        return PF_E_NOMEM;
    if (res)
        memset(res, 0, sizeof *res);
    err[0] = 0;
    pfa_source *src = NULL;
    const struct pf_file_info *info = NULL;
    char uuid[64];
    int64_t existing = NONE, stale_records = NONE;
    int in_tx = 0; /* a failure from here on rolls back */
    int rc = ingest_open(c, &src, db, path, opt, uuid, err, errlen);
    if (!rc)
        /* a small page cache: the load appends, so a larger one buys little,
         * and this keeps peak memory flat in capture length */
        rc = pfa_db_exec(db, "PRAGMA cache_size=-4096; BEGIN IMMEDIATE", err, errlen);
    if (rc)
        goto done;
    in_tx = 1;
    /* the derived time tables stop matching: reports ignore them until the
     * finishing step rebuilds them */
    rc = pfa_db_exec(db, "DELETE FROM meta WHERE key IN ('rollups_current', 'rollups_live')", err, errlen);
    if (rc)
        goto done;
    rc = check_stored(db, uuid, opt, &existing, &stale_records, err, errlen);
    if (rc == 1) {
        if (res) {
            res->already = 1;
            res->capture_id = existing;
        }
        pfa_db_exec(db, "COMMIT", NULL, 0);
        in_tx = rc = 0;
        goto done;
    }
    info = pfa_source_info(src);
    if (!rc)
        rc = begin_capture(c, info, uuid, path, err, errlen);
    if (!rc && !(opt && opt->skip) && alone(db))
        c->live = pfa_live_open(db, c->bucket_ns, c->rollup_ns);
    if (!rc)
        rc = read_records(c, src, path, err, errlen);
    if (!rc)
        rc = finish_capture(c, src, info, res);
    if (!rc && stale_records != NONE) {
        if (!longer_than_stored(src, stale_records)) {
            /* not longer than what the database has: keep that */
            pfa_db_exec(db, "ROLLBACK", NULL, 0);
            in_tx = 0;
            if (res) {
                memset(res, 0, sizeof *res);
                res->already = 1;
                res->capture_id = existing;
            }
            goto done;
        }
        if (res)
            res->extended = 1;
    }
    if (!rc)
        rc = pfa_recording_attach(db, c->capture_id, c->idle_ns, err, errlen);
    if (!rc)
        rc = name_remotes(db, c->capture_id, err, errlen);
    if (!rc && res)
        res->capture_id = c->capture_id;
    if (!rc && c->live && pfa_live_finish(c->live, err, errlen) < 0)
        rc = PFA_E_SQL;
    if (!rc)
        rc = pfa_db_exec(db, "COMMIT", err, errlen);
    if (!rc)
        in_tx = 0;
done:
    if (rc && in_tx)
        describe_failure(db, path, rc, err, errlen);
    ctx_free(c); /* statements finalized before the rollback */
    if (rc && in_tx)
        pfa_db_exec(db, "ROLLBACK", NULL, 0);
    pfa_source_close(src);
    free(c);
    return rc;
}

int pfa_ingest_finish(sqlite3 *db, char *err, size_t errlen)
{
    /* The sorts of index building and rollups spill to temporary files past
     * the cache size: a small one keeps peak memory the same for any
     * capture length (a larger one barely speeds them up). So do the
     * temporary tables of the conversation matching (a copy of every flow). */
    struct pfa_db_cache saved;
    pfa_db_finish_limits(db, &saved);
    int rc = 0;
    for (size_t i = 0; !rc && i < pfa_index_files_count; i++) {
        rc = pfa_db_exec(db, pfa_index_files[i].data, err, errlen);
        if (rc && !sqlite3_get_autocommit(db)) /* rollups.sql runs in a transaction */
            pfa_db_exec(db, "ROLLBACK", NULL, 0);
    }
    if (!rc)
        rc = pfa_rollups_build(db, err, errlen);
    if (!rc)
        rc = pfa_clock_offsets_update(db, err, errlen);
    pfa_db_cache_restore(db, &saved);
    return rc;
}

int pfa_ingest_rows(const char *path, const struct pfa_ingest_options *opt, const struct pfa_rows_sink *sink,
                    struct pfa_ingest_result *res, char *err, size_t errlen)
{
    struct ctx *c = calloc(1, sizeof *c);
    if (!c)
        return PF_E_NOMEM;
    if (res)
        memset(res, 0, sizeof *res);
    err[0] = 0;
    c->sink = sink;
    c->sink_err = err;
    c->sink_errlen = errlen;
    pfa_source *src = NULL;
    char uuid[64];
    int rc = ingest_open(c, &src, NULL, path, opt, uuid, err, errlen);
    const struct pf_file_info *info = rc ? NULL : pfa_source_info(src);
    if (!rc)
        rc = begin_capture(c, info, uuid, path, err, errlen);
    if (rc == 1) {
        if (res)
            res->already = 1;
        rc = 0;
    } else {
        if (!rc)
            rc = read_records(c, src, path, err, errlen);
        if (!rc)
            rc = finish_capture(c, src, info, res);
        if (!rc && res)
            res->capture_id = c->capture_id;
    }
    if (rc && !err[0])
        snprintf(err, errlen, "%s: %s", path, pfa_strerror(rc));
    ctx_free(c);
    pfa_source_close(src);
    free(c);
    return rc;
}
