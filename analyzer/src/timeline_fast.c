/* SPDX-License-Identifier: MIT */
/* The timeline report's summing path: when the report would sum and rank
 * base or rollup rows in SQL (a pid/comm/host filter, flows, a width the
 * ranked table lacks), this sums them in one pass into a hash table and
 * ranks them with one sort, then prints them through a virtual table with
 * the report's own columns (analyzer/sql/timeline-fast.sql). SQLite's
 * GROUP BY and window sorts cost seconds at 10 M records; this costs the
 * reading of the rows.
 *
 * The report's SQL (queries/timeline.sql) still decides everything else:
 * its CTEs up to `kept` give the width, the table, the rowid range and the
 * processes a filter keeps. The result is the SQL's, byte for byte: sums
 * as total() cast to an integer (exact while below 2^53: past it, or on a
 * value that is not an integer, the SQL runs instead), ranked by bytes
 * both ways (most first), then process and flow (NULL first).
 *
 * Rows come nearly in time order, so with a `top` the pass ranks the
 * buckets well behind the newest row as it goes and keeps only their first
 * `top`: memory follows the open buckets and the output, not the capture. A
 * row of a bucket already ranked (another capture's, earlier in time)
 * hands the report back to the SQL, as do more than GROUPS_MAX groups. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "pfa.h"

extern const struct pf_embedded_file pfa_extra_sql_files[];
extern const size_t pfa_extra_sql_files_count;

/* totals a double keeps exact */
#define EXACT_MAX ((int64_t)1 << 53)
/* (bucket, process, flow) groups held in memory (64 bytes each, plus the
 * index): past it the SQL sums them, spilling to its sorter */
#define GROUPS_MAX ((size_t)1 << 20)
/* Rows come nearly in time order (ingest writes them so): once this many
 * groups are open, the buckets more than a width plus LATE_NS behind the
 * newest row are ranked and only their first `top` kept. A row of such a
 * bucket coming later hands the report back to the SQL. */
#define COMPACT_AT ((size_t)1 << 17)
#define LATE_NS ((int64_t)600 * 1000000000)

static size_t g_compact_at = COMPACT_AT;

void pfa_timeline_fast_compact_at(size_t groups) { g_compact_at = groups ? groups : COMPACT_AT; }

struct group {
    int64_t bucket, process, flow;
    int64_t sum[4]; /* bytes_sent, bytes_recv, sends, recvs */
    unsigned char has_process, has_flow;
    uint32_t who; /* after ranking: the process's entry in `procs` */
};

/* what the report prints of a process: pid, comm, host (NULL values when
 * the process or its capture has no row, as the report's LEFT JOINs) */
struct proc_info {
    sqlite3_value *v[3];
};

struct pfa_timeline_rows {
    struct group *g;
    size_t n, cap;
    uint32_t *slot; /* open addressing: group index + 1, 0 = empty */
    size_t nslot;
    struct proc_info *procs; /* [0]: no process */
    size_t nprocs;
    struct group *done; /* ranked groups of the closed buckets, in order */
    size_t ndone, capdone;
    int64_t closed_below, newest; /* buckets below closed_below are done */
    int closed, any;
    size_t compact_at;
};

/* the processes a filter keeps: open addressing over process ids, and a
 * bitmap over their range when it is small (ids are mostly dense) */
struct idset {
    int64_t *v;
    unsigned char *used;
    size_t n, cap;
    int64_t lo, hi;
    uint64_t *bits; /* bit (id - lo) for lo <= id <= hi */
};

/* bitmaps up to this many bits (8 MiB) */
#define IDSET_BITS_MAX ((uint64_t)1 << 26)

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static int idset_add(struct idset *s, int64_t id)
{
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        int64_t *v = calloc(cap, sizeof *v);
        unsigned char *used = calloc(cap, 1);
        if (!v || !used) {
            free(v);
            free(used);
            return PF_E_NOMEM;
        }
        for (size_t i = 0; i < s->cap; i++)
            if (s->used[i]) {
                size_t j = mix((uint64_t)s->v[i]) & (cap - 1);
                while (used[j])
                    j = (j + 1) & (cap - 1);
                used[j] = 1;
                v[j] = s->v[i];
            }
        free(s->v);
        free(s->used);
        s->v = v;
        s->used = used;
        s->cap = cap;
    }
    size_t j = mix((uint64_t)id) & (s->cap - 1);
    while (s->used[j]) {
        if (s->v[j] == id)
            return 0;
        j = (j + 1) & (s->cap - 1);
    }
    s->used[j] = 1;
    s->v[j] = id;
    s->n++;
    return 0;
}

static void idset_free(struct idset *s)
{
    free(s->v);
    free(s->used);
    free(s->bits);
}

/* Adds the bitmap when the ids span few enough values (best effort). */
static void idset_index(struct idset *s)
{
    int any = 0;
    for (size_t i = 0; i < s->cap; i++)
        if (s->used[i]) {
            if (!any || s->v[i] < s->lo)
                s->lo = s->v[i];
            if (!any || s->v[i] > s->hi)
                s->hi = s->v[i];
            any = 1;
        }
    if (!any || (uint64_t)s->hi - (uint64_t)s->lo >= IDSET_BITS_MAX)
        return;
    s->bits = calloc(((uint64_t)s->hi - (uint64_t)s->lo) / 64 + 1, sizeof *s->bits);
    for (size_t i = 0; s->bits && i < s->cap; i++)
        if (s->used[i]) {
            uint64_t k = (uint64_t)s->v[i] - (uint64_t)s->lo;
            s->bits[k / 64] |= (uint64_t)1 << (k % 64);
        }
}

static int idset_has(const struct idset *s, int64_t id)
{
    if (s->bits) {
        if (id < s->lo || id > s->hi)
            return 0;
        uint64_t k = (uint64_t)id - (uint64_t)s->lo;
        return (int)((s->bits[k / 64] >> (k % 64)) & 1);
    }
    if (!s->cap)
        return 0;
    size_t j = mix((uint64_t)id) & (s->cap - 1);
    while (s->used[j]) {
        if (s->v[j] == id)
            return 1;
        j = (j + 1) & (s->cap - 1);
    }
    return 0;
}

static uint64_t group_hash(int64_t bucket, int64_t process, int has_process, int64_t flow, int has_flow)
{
    uint64_t h = mix((uint64_t)bucket ^ 0x9e3779b97f4a7c15ULL);
    h = mix(h ^ (has_process ? (uint64_t)process : 0x5bd1e995ULL));
    return mix(h ^ (has_flow ? (uint64_t)flow : 0x27d4eb2dULL));
}

static int rehash(struct pfa_timeline_rows *r, size_t nslot);

static int rows_grow(struct pfa_timeline_rows *r)
{
    size_t cap = r->cap ? 2 * r->cap : 4096;
    struct group *g = realloc(r->g, cap * sizeof *g);
    if (!g)
        return PF_E_NOMEM;
    r->g = g;
    r->cap = cap;
    return rehash(r, 2 * cap);
}

/* The index of the groups, nslot slots (a power of 2, > n). */
static int rehash(struct pfa_timeline_rows *r, size_t nslot)
{
    uint32_t *slot = calloc(nslot, sizeof *slot);
    if (!slot)
        return PF_E_NOMEM;
    for (size_t i = 0; i < r->n; i++) {
        const struct group *x = &r->g[i];
        size_t j = group_hash(x->bucket, x->process, x->has_process, x->flow, x->has_flow) & (nslot - 1);
        while (slot[j])
            j = (j + 1) & (nslot - 1);
        slot[j] = (uint32_t)(i + 1);
    }
    free(r->slot);
    r->slot = slot;
    r->nslot = nslot;
    return 0;
}

/* The group of the key, added (zero sums) when new; NULL past the cap or
 * out of memory (*rc says which). */
static struct group *group_of(struct pfa_timeline_rows *r, int64_t bucket, int64_t process, int has_process,
                              int64_t flow, int has_flow, int *rc)
{
    if (r->n == r->cap) {
        if (r->n >= GROUPS_MAX) {
            *rc = 1;
            return NULL;
        }
        if ((*rc = rows_grow(r)) != 0)
            return NULL;
    }
    size_t j = group_hash(bucket, process, has_process, flow, has_flow) & (r->nslot - 1);
    while (r->slot[j]) {
        struct group *x = &r->g[r->slot[j] - 1];
        if (x->bucket == bucket && x->has_process == has_process && (!has_process || x->process == process) &&
            x->has_flow == has_flow && (!has_flow || x->flow == flow))
            return x;
        j = (j + 1) & (r->nslot - 1);
    }
    struct group *x = &r->g[r->n];
    memset(x, 0, sizeof *x);
    x->bucket = bucket;
    x->process = has_process ? process : 0;
    x->has_process = (unsigned char)has_process;
    x->flow = has_flow ? flow : 0;
    x->has_flow = (unsigned char)has_flow;
    r->slot[j] = (uint32_t)++r->n;
    return x;
}

/* bucket ascending, bytes both ways descending, process and flow ascending
 * with NULL first: the report's order */
static int cmp_rank(const void *pa, const void *pb)
{
    const struct group *a = pa, *b = pb;
    if (a->bucket != b->bucket)
        return a->bucket < b->bucket ? -1 : 1;
    int64_t ta = a->sum[0] + a->sum[1], tb = b->sum[0] + b->sum[1];
    if (ta != tb)
        return ta > tb ? -1 : 1;
    if (a->has_process != b->has_process)
        return a->has_process < b->has_process ? -1 : 1;
    if (a->process != b->process)
        return a->process < b->process ? -1 : 1;
    if (a->has_flow != b->has_flow)
        return a->has_flow < b->has_flow ? -1 : 1;
    if (a->flow != b->flow)
        return a->flow < b->flow ? -1 : 1;
    return 0;
}

/* Ranks g[0..n) (whole buckets) and keeps the first `top` of each bucket
 * (all when top <= 0) in place; returns how many. */
static size_t rank_in_place(struct group *g, size_t n, int64_t top)
{
    if (n > 1) /* g may be NULL when there is nothing (no rows at all) */
        qsort(g, n, sizeof *g, cmp_rank);
    size_t kept = 0, rank = 0;
    int64_t bucket = 0;
    for (size_t i = 0; i < n; i++) {
        rank = i && g[i].bucket == bucket ? rank + 1 : 1;
        bucket = g[i].bucket;
        if (top <= 0 || (int64_t)rank <= top)
            g[kept++] = g[i];
    }
    return kept;
}

static int done_append(struct pfa_timeline_rows *r, const struct group *g, size_t n)
{
    if (r->ndone + n > GROUPS_MAX)
        return 1;
    if (r->ndone + n > r->capdone) {
        size_t cap = r->capdone ? r->capdone : 4096;
        while (cap < r->ndone + n)
            cap *= 2;
        struct group *d = realloc(r->done, cap * sizeof *d);
        if (!d)
            return PF_E_NOMEM;
        r->done = d;
        r->capdone = cap;
    }
    if (n)
        memcpy(r->done + r->ndone, g, n * sizeof *g);
    r->ndone += n;
    return 0;
}

/* Closes the buckets a width plus LATE_NS behind the newest row: ranks
 * them into `done` and drops them from the open groups. */
static int compact(struct pfa_timeline_rows *r, int64_t ns, int64_t top)
{
    r->compact_at = r->n + g_compact_at; /* the next try: that many groups on */
    if (top <= 0 || !r->any || r->newest < INT64_MIN + ns + LATE_NS)
        return 0; /* every group is printed: nothing to drop */
    int64_t cutoff = ((r->newest - ns - LATE_NS) / ns) * ns;
    if (r->closed && cutoff <= r->closed_below)
        return 0;
    size_t old = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->g[i].bucket < cutoff) {
            struct group t = r->g[old];
            r->g[old++] = r->g[i];
            r->g[i] = t;
        }
    if (!old)
        return 0;
    int rc = done_append(r, r->g, rank_in_place(r->g, old, top));
    if (rc)
        return rc;
    memmove(r->g, r->g + old, (r->n - old) * sizeof *r->g);
    r->n -= old;
    r->closed = 1;
    r->closed_below = cutoff;
    r->compact_at = r->n + g_compact_at;
    return rehash(r, r->nslot);
}

void pfa_timeline_rows_free(struct pfa_timeline_rows *r)
{
    if (!r)
        return;
    free(r->g);
    free(r->slot);
    free(r->done);
    for (size_t i = 0; i < r->nprocs; i++)
        for (int k = 0; k < 3; k++)
            sqlite3_value_free(r->procs[i].v[k]);
    free(r->procs);
    free(r);
}

/* ------------------------------------------------------------ the rows as a table */

#define ROWS_POINTER_TYPE "pf_timeline_rows"

struct rows_vtab {
    sqlite3_vtab base;
};

struct rows_cursor {
    sqlite3_vtab_cursor base;
    const struct pfa_timeline_rows *rows;
    size_t i;
};

enum {
    COL_BUCKET,
    COL_PROCESS,
    COL_FLOW,
    COL_SENT,
    COL_RECV,
    COL_SENDS,
    COL_RECVS,
    COL_PID,
    COL_COMM,
    COL_HOST,
    COL_ROWS
};

static int rows_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **errmsg)
{
    (void)aux;
    (void)argc;
    (void)argv;
    (void)errmsg;
    int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(bucket_ns, process_id, flow_id, bytes_sent, bytes_recv, sends, "
                                      "recvs, pid, comm, host, rows HIDDEN)");
    if (rc != SQLITE_OK)
        return rc;
    struct rows_vtab *v = sqlite3_malloc(sizeof *v);
    if (!v)
        return SQLITE_NOMEM;
    memset(v, 0, sizeof *v);
    *out = &v->base;
    return SQLITE_OK;
}

static int rows_disconnect(sqlite3_vtab *v)
{
    sqlite3_free(v);
    return SQLITE_OK;
}

static int rows_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
    (void)v;
    int arg = -1;
    for (int i = 0; i < info->nConstraint; i++)
        if (info->aConstraint[i].iColumn == COL_ROWS && info->aConstraint[i].op == SQLITE_INDEX_CONSTRAINT_EQ &&
            info->aConstraint[i].usable)
            arg = i;
    if (arg < 0)
        return SQLITE_CONSTRAINT; /* the rows come only as the argument */
    info->aConstraintUsage[arg].argvIndex = 1;
    info->aConstraintUsage[arg].omit = 1;
    info->estimatedCost = 1;
    if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == -1 && !info->aOrderBy[0].desc)
        info->orderByConsumed = 1; /* rowid order is the order they come in */
    return SQLITE_OK;
}

static int rows_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
    (void)v;
    struct rows_cursor *c = sqlite3_malloc(sizeof *c);
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    *out = &c->base;
    return SQLITE_OK;
}

static int rows_close(sqlite3_vtab_cursor *c)
{
    sqlite3_free(c);
    return SQLITE_OK;
}

static int rows_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxstr, int argc, sqlite3_value **argv)
{
    (void)idx;
    (void)idxstr;
    struct rows_cursor *c = (struct rows_cursor *)cur;
    c->rows = argc == 1 ? sqlite3_value_pointer(argv[0], ROWS_POINTER_TYPE) : NULL;
    c->i = 0;
    return SQLITE_OK;
}

static int rows_next(sqlite3_vtab_cursor *cur)
{
    ((struct rows_cursor *)cur)->i++;
    return SQLITE_OK;
}

static int rows_eof(sqlite3_vtab_cursor *cur)
{
    const struct rows_cursor *c = (const struct rows_cursor *)cur;
    return !c->rows || c->i >= c->rows->n;
}

static int rows_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
    const struct rows_cursor *c = (const struct rows_cursor *)cur;
    const struct group *g = &c->rows->g[c->i];
    switch (col) {
    case COL_BUCKET: sqlite3_result_int64(ctx, g->bucket); break;
    case COL_PROCESS:
        if (g->has_process)
            sqlite3_result_int64(ctx, g->process);
        break;
    case COL_FLOW:
        if (g->has_flow)
            sqlite3_result_int64(ctx, g->flow);
        break;
    case COL_SENT:
    case COL_RECV:
    case COL_SENDS:
    case COL_RECVS: sqlite3_result_int64(ctx, g->sum[col - COL_SENT]); break;
    case COL_PID:
    case COL_COMM:
    case COL_HOST: {
        sqlite3_value *v = c->rows->procs ? c->rows->procs[g->who].v[col - COL_PID] : NULL;
        if (v)
            sqlite3_result_value(ctx, v);
        break;
    }
    default: break; /* the hidden argument reads as NULL */
    }
    return SQLITE_OK;
}

static int rows_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
    *rowid = (sqlite3_int64)((const struct rows_cursor *)cur)->i + 1;
    return SQLITE_OK;
}

static const sqlite3_module rows_module = {
    .iVersion = 0,
    .xConnect = rows_connect,
    .xBestIndex = rows_best_index,
    .xDisconnect = rows_disconnect,
    .xOpen = rows_open,
    .xClose = rows_close,
    .xFilter = rows_filter,
    .xNext = rows_next,
    .xEof = rows_eof,
    .xColumn = rows_column,
    .xRowid = rows_rowid,
};

int pfa_timeline_rows_bind(sqlite3_stmt *st, struct pfa_timeline_rows *rows)
{
    int i = sqlite3_bind_parameter_index(st, ":pf_timeline_rows");
    if (i <= 0)
        return 0;
    return sqlite3_bind_pointer(st, i, rows, ROWS_POINTER_TYPE, NULL) == SQLITE_OK ? 0 : PFA_E_SQL;
}

/* ------------------------------------------------------------ the plan and the pass */

enum {
    PLAN_NS,
    PLAN_ROLL,
    PLAN_LO,
    PLAN_HI,
    PLAN_PER_PROCESS,
    PLAN_RANKED,
    PLAN_FROM,
    PLAN_TO,
    PLAN_TOP,
    PLAN_BY_FLOW,
    PLAN_FILTERED,
    PLAN_COLS
};

/* What the report's CTEs decide, after them (the text up to `src`). */
static const char PLAN_SELECT[] =
    "\nSELECT w.ns, w.roll, r.lo, r.hi, r.per_process, t.ranked, :from, :to, :top, coalesce(:by = 'flow', 0),"
    " NOT (:pid IS NULL AND :comm IS NULL AND :host IS NULL) FROM w CROSS JOIN r CROSS JOIN t";
static const char KEPT_SELECT[] = "\nSELECT process_id FROM kept";

static int prepare_after(sqlite3 *db, const char *sql, size_t len, const char *select, sqlite3_stmt **st,
                         const struct pfa_report *rep, const struct pfa_kv *kv, size_t nkv, int utc, char *err,
                         size_t errlen)
{
    struct pfa_buf b = {0};
    if (pfa_buf_put(&b, sql, len) || pfa_buf_put(&b, select, strlen(select)) || pfa_buf_put(&b, "", 1)) {
        pfa_buf_free(&b);
        return PF_E_NOMEM;
    }
    int rc = sqlite3_prepare_v2(db, b.p, -1, st, NULL);
    pfa_buf_free(&b);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "timeline: %s", sqlite3_errmsg(db));
        return PFA_E_SQL;
    }
    rc = pfa_bind_params(db, *st, rep, kv, nkv, utc, err, errlen);
    if (rc) {
        sqlite3_finalize(*st);
        *st = NULL;
    }
    return rc;
}

static int is_int(sqlite3_stmt *st, int col) { return sqlite3_column_type(st, col) == SQLITE_INTEGER; }

/* pf_timeline_kept(process_id): 1 when the pass keeps every process (no
 * set) or its set holds this one (an integer), else 0 -- as `process_id IN
 * kept` in the report, without an index probe per row. The set is the
 * function's user data: registered for one pass, removed after it. */
static void kept_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const struct idset *set = sqlite3_user_data(ctx);
    sqlite3_result_int(
        ctx, !set || (sqlite3_value_type(argv[0]) == SQLITE_INTEGER && idset_has(set, sqlite3_value_int64(argv[0]))));
}

static int kept_register(sqlite3 *db, struct idset *set)
{
    return sqlite3_create_function_v2(db, "pf_timeline_kept", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY,
                                      set, kept_fn, NULL, NULL, NULL) == SQLITE_OK
               ? 0
               : PFA_E_SQL;
}

/* One pass over the source rows. 0 done, 1 the SQL must do it (a value it
 * sums differently, too many groups), negative an error. */
static int sum_rows(sqlite3 *db, sqlite3_stmt *st, const int64_t *plan, const int *plan_null,
                    struct pfa_timeline_rows *r, char *err, size_t errlen)
{
    const int64_t ns = plan[PLAN_NS];
    const int by_flow = (int)plan[PLAN_BY_FLOW];
    int rc = 0, step;
    r->compact_at = g_compact_at;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (!is_int(st, 0))
            return 1;
        int64_t b = sqlite3_column_int64(st, 0);
        int ptype = sqlite3_column_type(st, 1);
        if (ptype != SQLITE_NULL && ptype != SQLITE_INTEGER)
            return 1;
        int64_t process = ptype == SQLITE_INTEGER ? sqlite3_column_int64(st, 1) : 0;
        if ((!plan_null[PLAN_FROM] && b < plan[PLAN_FROM]) || (!plan_null[PLAN_TO] && b >= plan[PLAN_TO]))
            continue;
        int ftype = by_flow ? sqlite3_column_type(st, 2) : SQLITE_NULL;
        if (ftype != SQLITE_NULL && ftype != SQLITE_INTEGER)
            return 1;
        int64_t v[4];
        for (int i = 0; i < 4; i++) {
            if (!is_int(st, 3 + i))
                return 1;
            v[i] = sqlite3_column_int64(st, 3 + i);
            if (v[i] > EXACT_MAX || v[i] < -EXACT_MAX)
                return 1;
        }
        int64_t bucket = (b / ns) * ns;
        if (r->closed && bucket < r->closed_below)
            return 1; /* a bucket already ranked: too late for this pass */
        if (!r->any || bucket > r->newest)
            r->newest = bucket;
        r->any = 1;
        if (r->n >= r->compact_at && (rc = compact(r, ns, plan[PLAN_TOP])) != 0)
            return rc;
        struct group *g =
            group_of(r, bucket, process, ptype == SQLITE_INTEGER,
                     ftype == SQLITE_INTEGER ? sqlite3_column_int64(st, 2) : 0, ftype == SQLITE_INTEGER, &rc);
        if (!g)
            return rc;
        for (int i = 0; i < 4; i++) {
            g->sum[i] += v[i];
            if (g->sum[i] > EXACT_MAX || g->sum[i] < -EXACT_MAX)
                return 1;
        }
    }
    if (step != SQLITE_DONE) {
        snprintf(err, errlen, "timeline: %s", sqlite3_errmsg(db));
        return PFA_E_SQL;
    }
    return 0;
}

static const char *fast_sql(size_t skip, sqlite3 *db, sqlite3_stmt **st);

/* Each printed process's pid, comm and host, read once (not per row): the
 * first statement. */
static int lookup_processes(sqlite3 *db, struct pfa_timeline_rows *r, char *err, size_t errlen)
{
    struct idset seen = {0};
    int rc = 0;
    for (size_t i = 0; !rc && i < r->n; i++)
        if (r->g[i].has_process)
            rc = idset_add(&seen, r->g[i].process);
    if (!rc && !(r->procs = calloc(seen.n + 1, sizeof *r->procs)))
        rc = PF_E_NOMEM;
    r->nprocs = r->procs ? seen.n + 1 : 0;
    /* the set's slots, in slot order, number the processes from 1 */
    uint32_t *index = rc ? NULL : calloc(seen.cap ? seen.cap : 1, sizeof *index);
    if (!rc && !index)
        rc = PF_E_NOMEM;
    sqlite3_stmt *st = NULL;
    if (!rc && !fast_sql(0, db, &st)) {
        snprintf(err, errlen, "timeline: process SQL: %s", sqlite3_errmsg(db));
        rc = PFA_E_SQL;
    }
    uint32_t next = 1;
    for (size_t j = 0; !rc && j < seen.cap; j++) {
        if (!seen.used[j])
            continue;
        index[j] = next;
        sqlite3_bind_int64(st, 1, seen.v[j]);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            for (int k = 0; k < 3; k++)
                if (sqlite3_column_type(st, k) != SQLITE_NULL &&
                    !(r->procs[next].v[k] = sqlite3_value_dup(sqlite3_column_value(st, k))))
                    rc = PF_E_NOMEM;
        } else if (step != SQLITE_DONE) {
            snprintf(err, errlen, "timeline: %s", sqlite3_errmsg(db));
            rc = PFA_E_SQL;
        }
        sqlite3_reset(st);
        next++;
    }
    for (size_t i = 0; !rc && i < r->n; i++) {
        r->g[i].who = 0;
        if (!r->g[i].has_process)
            continue;
        size_t j = mix((uint64_t)r->g[i].process) & (seen.cap - 1);
        while (seen.v[j] != r->g[i].process)
            j = (j + 1) & (seen.cap - 1);
        r->g[i].who = index[j];
    }
    sqlite3_finalize(st);
    free(index);
    idset_free(&seen);
    return rc;
}

/* The text of statement `skip` (from 0) of timeline-fast.sql, prepared
 * into *st when st is given; NULL when it does not compile. */
static const char *fast_sql(size_t skip, sqlite3 *db, sqlite3_stmt **st)
{
    const char *sql = NULL;
    for (size_t i = 0; i < pfa_extra_sql_files_count; i++)
        if (!strcmp(pfa_extra_sql_files[i].name, "timeline-fast.sql"))
            sql = pfa_extra_sql_files[i].data;
    for (size_t i = 0; sql && i <= skip; i++) {
        if (i == skip && !st)
            return sql;
        sqlite3_stmt *s = NULL;
        const char *next = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &s, &next) != SQLITE_OK || !s) {
            sqlite3_finalize(s);
            return NULL;
        }
        if (i == skip) {
            *st = s;
            return sql;
        }
        sqlite3_finalize(s);
        sql = next;
    }
    return NULL;
}

int pfa_timeline_fast(sqlite3 *db, const struct pfa_report *rep, const struct pfa_kv *kv, size_t nkv, int utc,
                      struct pfa_timeline_rows **out, const char **print_sql, char *err, size_t errlen)
{
    *out = NULL;
    *print_sql = NULL;
    if (errlen)
        err[0] = 0;
    /* the report's CTEs up to the one that reads rows: the text before `src` */
    const char *src = strstr(rep->sql, "\n  src AS (");
    const char *end = src;
    while (end && end > rep->sql && end[-1] != ',')
        end--;
    if (!end || end == rep->sql)
        return 0; /* not the SQL this path was written for */
    size_t prefix = (size_t)(end - 1 - rep->sql);
    sqlite3_stmt *st = NULL;
    /* a failure here is the report's own: its SQL runs and reports it */
    int rc = prepare_after(db, rep->sql, prefix, PLAN_SELECT, &st, rep, kv, nkv, utc, err, errlen);
    if (rc)
        return rc == PF_E_NOMEM ? rc : 0;
    int64_t plan[PLAN_COLS];
    int plan_null[PLAN_COLS];
    int step = sqlite3_step(st);
    if (step != SQLITE_ROW) {
        sqlite3_finalize(st);
        return 0;
    }
    int usable = 1;
    for (int i = 0; i < PLAN_COLS; i++) {
        plan_null[i] = sqlite3_column_type(st, i) == SQLITE_NULL;
        plan[i] = sqlite3_column_int64(st, i);
        /* every value an integer; roll, from and to may be NULL */
        if (!is_int(st, i) && !(plan_null[i] && (i == PLAN_ROLL || i == PLAN_FROM || i == PLAN_TO)))
            usable = 0;
    }
    sqlite3_finalize(st);
    /* the ranked table's cases stay the SQL's (they read few rows) */
    if (!usable || plan[PLAN_RANKED] != 0 || plan[PLAN_NS] <= 0 || (!plan_null[PLAN_ROLL] && plan[PLAN_ROLL] <= 0))
        return 0;
    /* which rows: timeline.sql's src (a window of bytes: its hours' rowids) */
    size_t which;
    if (plan_null[PLAN_ROLL] || plan[PLAN_NS] % plan[PLAN_ROLL] != 0)
        which = plan_null[PLAN_FROM] && plan_null[PLAN_TO] ? 1 : 2;
    else
        which = plan[PLAN_PER_PROCESS] ? 4 : 3;
    struct idset kept = {0};
    if (plan[PLAN_FILTERED]) {
        rc = prepare_after(db, rep->sql, prefix, KEPT_SELECT, &st, rep, kv, nkv, utc, err, errlen);
        if (rc)
            return rc == PF_E_NOMEM ? rc : 0;
        while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW)
            if (is_int(st, 0))
                rc = idset_add(&kept, sqlite3_column_int64(st, 0));
        if (!rc && step != SQLITE_DONE) {
            snprintf(err, errlen, "timeline: %s", sqlite3_errmsg(db));
            rc = PFA_E_SQL;
        }
        sqlite3_finalize(st);
        if (rc) {
            idset_free(&kept);
            return rc;
        }
        idset_index(&kept);
    }
    st = NULL;
    const char *last = NULL;
    struct pfa_timeline_rows *r = calloc(1, sizeof *r);
    if (sqlite3_create_module_v2(db, "pf_timeline_rows", &rows_module, NULL, NULL) == SQLITE_OK &&
        kept_register(db, plan[PLAN_FILTERED] ? &kept : NULL) == 0)
        last = fast_sql(5, db, NULL);
    if (!last || !fast_sql(which, db, &st) || !r) {
        if (!r)
            rc = PF_E_NOMEM;
        else {
            snprintf(err, errlen, "timeline: summing SQL: %s", last ? sqlite3_errmsg(db) : "not built in");
            rc = PFA_E_SQL;
        }
    }
    if (!rc && which == 2) {
        sqlite3_bind_int64(st, 1, plan[PLAN_LO]);
        sqlite3_bind_int64(st, 2, plan[PLAN_HI]);
    }
    if (!rc)
        rc = sum_rows(db, st, plan, plan_null, r, err, errlen);
    sqlite3_finalize(st);
    /* the set is gone after this: so is the function that reads it */
    sqlite3_create_function_v2(db, "pf_timeline_kept", 1, SQLITE_UTF8, NULL, NULL, NULL, NULL, NULL);
    idset_free(&kept);
    if (rc) {
        if (rc == PFA_E_SQL && !err[0])
            snprintf(err, errlen, "timeline: %s", sqlite3_errmsg(db));
        pfa_timeline_rows_free(r);
        return rc > 0 ? 0 : rc;
    }
    /* rank the open buckets: the first `top` of each (all when top <= 0),
     * after the closed ones */
    r->n = rank_in_place(r->g, r->n, plan[PLAN_TOP]);
    if (r->closed) {
        rc = done_append(r, r->g, r->n);
        if (rc) {
            pfa_timeline_rows_free(r);
            return rc > 0 ? 0 : rc;
        }
        free(r->g);
        r->g = r->done;
        r->n = r->ndone;
        r->cap = r->capdone;
        r->done = NULL;
    }
    free(r->slot);
    r->slot = NULL;
    rc = lookup_processes(db, r, err, errlen);
    if (rc) {
        pfa_timeline_rows_free(r);
        return rc;
    }
    *out = r;
    *print_sql = last;
    return 0;
}
