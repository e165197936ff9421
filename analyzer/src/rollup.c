/* SPDX-License-Identifier: MIT */
/* The derived tables (schema 4, 7 and 8), rebuilt after a load and valid
 * while meta holds 'rollups_current':
 *  - process_rollup, udp_peers and top_talkers, by SQL
 *    (schema/db/rollups.sql); top_remotes in top_remotes.c;
 *  - bytes_hours: the rowid range of each hour's bytes rows;
 *  - timeline_top: the busiest processes of every bucket, ranked, at the
 *    ingest bucket width and at 2, 5, 10 and 30 times it (meta
 *    'timeline_top_widths' lists each width and how many it keeps; wider
 *    multiples of the rollup width read process_rollup).
 * The last two come from two passes over bytes in rowid order (the order
 * ingest wrote it, nearly time order): the first finds the rowid range of
 * every minute, the second sums (bucket, process) for a run of minutes at a
 * time. A sort of the whole table in SQL costs several times that; the
 * memory here is bounded by the rows of a run, not the capture. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "pfa.h"
#include "pfa_export.h"
#include "pfc/htab.h"

/* Rows ranked per bucket: the timeline report's default `top`; the widest
 * two widths (few buckets) keep TOP_K_WIDE. A larger `top` reads the base
 * tables. */
#define TOP_K 20
#define TOP_K_WIDE 50
/* Bytes rows summed at a time (sets the memory of the second pass). */
#define RUN_ROWS 262144
/* buckets one run may span (its per-bucket counts are 8 bytes each): a
 * width too small or times too far apart for this leave the ranked table
 * unbuilt, and the timeline reads the bytes rows instead */
#define RUN_BUCKETS (1u << 20)
#define NO_PROCESS INT64_MIN /* NULL process_id: sorts first, as NULL does */
#define EMPTY INT64_MIN      /* free hash slot (bucket times are >= 0) */
/* The wider ranked widths, in ingest buckets; the atom is a multiple of
 * their least common multiple (LCM_WIDE). */
static const int64_t wide_mult[] = {2, 5, 10, 30};
static const size_t wide_top[] = {TOP_K, TOP_K, TOP_K_WIDE, TOP_K_WIDE};
#define N_WIDE (sizeof wide_mult / sizeof wide_mult[0])
_Static_assert(N_WIDE <= PFA_TIMELINE_WIDE, "pfa_timeline_plan holds every wider width");
#define LCM_WIDE 30

struct span {
    int64_t key; /* start of the minute (hour) */
    int64_t first, last;
    uint64_t rows;
};

struct spans {
    struct span *v;
    size_t n, cap, hint;
};

struct sum {
    int64_t bucket, process;
    uint64_t sent, recv, sends, recvs;
};

struct sums {
    struct sum *v; /* open addressing, bucket == EMPTY when free */
    size_t *used;  /* the slots in use, to clear them */
    size_t cap, n;
};

static uint64_t sat(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }
static int64_t clamp_i64(uint64_t v) { return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v; }
static int64_t floor_to(int64_t t, int64_t w) { return t - (((t % w) + w) % w); }

/* The span of key (found, or inserted in key order); NULL when out of memory.
 * Rows come nearly in time order: the last span found is tried first. */
static struct span *span_at(struct spans *s, int64_t key)
{
    if (s->hint < s->n && s->v[s->hint].key == key)
        return &s->v[s->hint];
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == s->n || s->v[lo].key != key) {
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 256;
            struct span *v = realloc(s->v, cap * sizeof *v);
            if (!v)
                return NULL;
            s->v = v;
            s->cap = cap;
        }
        memmove(&s->v[lo + 1], &s->v[lo], (s->n - lo) * sizeof *s->v);
        s->v[lo] = (struct span){.key = key, .first = INT64_MAX, .last = INT64_MIN};
        s->n++;
    }
    s->hint = lo;
    return &s->v[lo];
}

static void span_add(struct span *sp, int64_t rowid)
{
    if (rowid < sp->first)
        sp->first = rowid;
    if (rowid > sp->last)
        sp->last = rowid;
    sp->rows++;
}

/* Empties the table, with room for `keys` keys at most half full. */
static int sums_reset(struct sums *h, size_t keys)
{
    size_t cap = 64;
    while (cap < keys * 2)
        cap *= 2;
    if (cap > h->cap) {
        free(h->v);
        free(h->used);
        h->v = malloc(cap * sizeof *h->v);
        h->used = malloc(cap / 2 * sizeof *h->used);
        if (!h->v || !h->used) {
            h->cap = h->n = 0;
            return PF_E_NOMEM;
        }
        h->cap = cap;
        for (size_t i = 0; i < cap; i++)
            h->v[i].bucket = EMPTY;
    } else {
        for (size_t i = 0; i < h->n; i++)
            h->v[h->used[i]].bucket = EMPTY;
    }
    h->n = 0;
    return 0;
}

/* Adds into the process's sum (the table holds one bucket); it never fills:
 * sums_reset sized it for at least twice the rows it gets. */
static void sums_add(struct sums *h, int64_t bucket, const struct sum *r)
{
    size_t mask = h->cap - 1, i = (size_t)pfc_hash_mix64((uint64_t)r->process) & mask;
    while (h->v[i].bucket != EMPTY && h->v[i].process != r->process)
        i = (i + 1) & mask;
    struct sum *s = &h->v[i];
    if (s->bucket == EMPTY) {
        *s = (struct sum){.bucket = bucket, .process = r->process};
        h->used[h->n++] = i;
    }
    s->sent = sat(s->sent, r->sent);
    s->recv = sat(s->recv, r->recv);
    s->sends = sat(s->sends, r->sends);
    s->recvs = sat(s->recvs, r->recvs);
}

/* The report's order within a bucket: bytes both ways (most first), then
 * process_id (NULL first). */
static int ranks_before(const struct sum *a, const struct sum *b)
{
    uint64_t ta = sat(a->sent, a->recv), tb = sat(b->sent, b->recv);
    if (ta != tb)
        return ta > tb;
    return a->process < b->process;
}

/* Writes the first k (at most TOP_K_WIDE) sums of the table, in rank order. */
static int write_top(sqlite3_stmt *ins, int64_t width, size_t k, const struct sums *h)
{
    struct sum top[TOP_K_WIDE];
    size_t n = 0;
    for (size_t u = 0; u < h->n; u++) {
        const struct sum *s = &h->v[h->used[u]];
        if (n == k && !ranks_before(s, &top[k - 1]))
            continue;
        size_t i = n < k ? n++ : k - 1;
        while (i > 0 && ranks_before(s, &top[i - 1])) {
            top[i] = top[i - 1];
            i--;
        }
        top[i] = *s;
    }
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(ins, 1, width);
        sqlite3_bind_int64(ins, 2, top[i].bucket);
        sqlite3_bind_int64(ins, 3, (int64_t)i + 1);
        if (top[i].process == NO_PROCESS)
            sqlite3_bind_null(ins, 4);
        else
            sqlite3_bind_int64(ins, 4, top[i].process);
        sqlite3_bind_int64(ins, 5, clamp_i64(top[i].sent));
        sqlite3_bind_int64(ins, 6, clamp_i64(top[i].recv));
        sqlite3_bind_int64(ins, 7, clamp_i64(top[i].sends));
        sqlite3_bind_int64(ins, 8, clamp_i64(top[i].recvs));
        int rc = sqlite3_step(ins);
        sqlite3_reset(ins);
        if (rc != SQLITE_DONE)
            return PFA_E_SQL;
    }
    return 0;
}

static int64_t u_col(sqlite3_stmt *st, int col)
{
    int64_t v = sqlite3_column_int64(st, col);
    return v < 0 ? 0 : v;
}

struct build {
    sqlite3 *db;
    sqlite3_stmt *scan, *range, *ins;
    struct spans minutes, hours;
    struct sums base, wide[N_WIDE];
    struct sum *rows; /* the rows of a run */
    uint32_t *order;  /* their indexes, by bucket */
    size_t *count;    /* rows per bucket of the run, then start offsets */
    size_t rows_cap, count_cap;
    int64_t bucket, atom;
    int ranks_wide; /* whether the wider widths are ranked (0 when too wide to multiply) */
};

static int sql_fail(struct build *b, char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "rollups (%s): %s", what, sqlite3_errmsg(b->db));
    return PFA_E_SQL;
}

static int no_memory(char *err, size_t errlen)
{
    snprintf(err, errlen, "rollups: out of memory");
    return PF_E_NOMEM;
}

/* Pass 1: the rowid range and row count of every atom (a whole number of
 * wide buckets, about a minute) and of every hour. */
static int find_spans(struct build *b, char *err, size_t errlen)
{
    int rc;
    while ((rc = sqlite3_step(b->scan)) == SQLITE_ROW) {
        int64_t rowid = sqlite3_column_int64(b->scan, 0), t = sqlite3_column_int64(b->scan, 1);
        struct span *m = span_at(&b->minutes, floor_to(t, b->atom));
        struct span *h = m ? span_at(&b->hours, floor_to(t, 3600000000000LL)) : NULL;
        if (!h)
            return no_memory(err, errlen);
        span_add(m, rowid);
        span_add(h, rowid);
    }
    return rc == SQLITE_DONE ? 0 : sql_fail(b, err, errlen, "scan");
}

/* Reads the bytes rows of the atoms [a, z) into b->rows (returns how many
 * in *n) and orders them by bucket in b->order. */
static int read_run(struct build *b, size_t a, size_t z, size_t *n, size_t *nb, char *err, size_t errlen)
{
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    size_t rows = 0;
    for (size_t i = a; i < z; i++) {
        lo = b->minutes.v[i].first < lo ? b->minutes.v[i].first : lo;
        hi = b->minutes.v[i].last > hi ? b->minutes.v[i].last : hi;
        rows += (size_t)b->minutes.v[i].rows;
    }
    int64_t from = b->minutes.v[a].key, to = b->minutes.v[z - 1].key + b->atom;
    *nb = (size_t)((to - from) / b->bucket);
    if (rows > b->rows_cap) {
        free(b->rows);
        free(b->order);
        b->rows = malloc(rows * sizeof *b->rows);
        b->order = malloc(rows * sizeof *b->order);
        b->rows_cap = b->rows && b->order ? rows : 0;
        if (!b->rows_cap)
            return no_memory(err, errlen);
    }
    if (*nb + 1 > b->count_cap) {
        free(b->count);
        b->count = malloc((*nb + 1) * sizeof *b->count);
        b->count_cap = b->count ? *nb + 1 : 0;
        if (!b->count)
            return no_memory(err, errlen);
    }
    memset(b->count, 0, (*nb + 1) * sizeof *b->count);
    sqlite3_stmt *st = b->range;
    sqlite3_bind_int64(st, 1, lo);
    sqlite3_bind_int64(st, 2, hi);
    sqlite3_bind_int64(st, 3, from);
    sqlite3_bind_int64(st, 4, to);
    size_t got = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && got < rows) {
        struct sum *r = &b->rows[got++];
        r->bucket = sqlite3_column_int64(st, 0);
        r->process = sqlite3_column_type(st, 1) == SQLITE_NULL ? NO_PROCESS : sqlite3_column_int64(st, 1);
        r->sent = (uint64_t)u_col(st, 2);
        r->recv = (uint64_t)u_col(st, 3);
        r->sends = (uint64_t)u_col(st, 4);
        r->recvs = (uint64_t)u_col(st, 5);
        b->count[(r->bucket - from) / b->bucket + 1]++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return sql_fail(b, err, errlen, "read");
    /* counts to start offsets, then each row's place */
    for (size_t j = 1; j <= *nb; j++)
        b->count[j] += b->count[j - 1];
    for (size_t i = 0; i < got; i++)
        b->order[b->count[(b->rows[i].bucket - from) / b->bucket]++] = (uint32_t)i;
    /* count[j] is now the end of bucket j */
    *n = got;
    return 0;
}

/* Pass 2 for the atoms [a, z): per bucket, the sums per process, ranked;
 * per wider bucket the same from those. */
static int rank_run(struct build *b, size_t a, size_t z, char *err, size_t errlen)
{
    size_t n = 0, nb = 0;
    int rc = read_run(b, a, z, &n, &nb, err, errlen);
    if (rc)
        return rc;
    int64_t from = b->minutes.v[a].key;
    size_t nwide = b->ranks_wide ? N_WIDE : 0;
    for (size_t j = 0; j < nb && !rc; j++) {
        size_t start = j ? b->count[j - 1] : 0, end = b->count[j];
        int64_t t = from + (int64_t)j * b->bucket;
        for (size_t k = 0; k < nwide; k++) {
            size_t per = (size_t)wide_mult[k];
            if (j % per)
                continue;
            size_t wend = b->count[j + per - 1 < nb ? j + per - 1 : nb - 1];
            if (sums_reset(&b->wide[k], wend - start))
                return no_memory(err, errlen);
        }
        if (end > start) {
            if (sums_reset(&b->base, end - start))
                return no_memory(err, errlen);
            for (size_t i = start; i < end; i++)
                sums_add(&b->base, t, &b->rows[b->order[i]]);
            rc = write_top(b->ins, b->bucket, TOP_K, &b->base);
            for (size_t k = 0; k < nwide; k++) {
                int64_t w = wide_mult[k] * b->bucket;
                for (size_t u = 0; u < b->base.n; u++)
                    sums_add(&b->wide[k], floor_to(t, w), &b->base.v[b->base.used[u]]);
            }
        }
        for (size_t k = 0; k < nwide && !rc; k++)
            if ((j + 1) % (size_t)wide_mult[k] == 0 && b->wide[k].n)
                rc = write_top(b->ins, wide_mult[k] * b->bucket, wide_top[k], &b->wide[k]);
    }
    return rc ? sql_fail(b, err, errlen, "write") : 0;
}

static int write_hours(struct build *b, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(b->db, "INSERT INTO bytes_hours(hour_ns, first_rowid, last_rowid) VALUES (?1, ?2, ?3)", -1,
                           &st, NULL) != SQLITE_OK)
        return sql_fail(b, err, errlen, "bytes_hours");
    int rc = 0;
    for (size_t i = 0; i < b->hours.n && !rc; i++) {
        sqlite3_bind_int64(st, 1, b->hours.v[i].key);
        sqlite3_bind_int64(st, 2, b->hours.v[i].first);
        sqlite3_bind_int64(st, 3, b->hours.v[i].last);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = sql_fail(b, err, errlen, "bytes_hours");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

static int64_t meta_int(sqlite3 *db, const char *key, int64_t dflt)
{
    sqlite3_stmt *st;
    int64_t v = dflt;
    if (sqlite3_prepare_v2(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?1", -1, &st, NULL) != SQLITE_OK)
        return dflt;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Whether the wider widths are ranked (they are when sane), and the atom:
 * a whole number of the widest (else of the bucket), about a minute. */
static int plan_atom(int64_t bucket, int64_t *atom)
{
    int wide = bucket > 0 && bucket <= INT64_MAX / 1000;
    int64_t unit = wide ? LCM_WIDE * bucket : bucket > 0 ? bucket : 1000000000;
    *atom = unit * (unit < 60000000000LL ? (60000000000LL + unit - 1) / unit : 1);
    return wide;
}

void pfa_timeline_top_plan(int64_t bucket_ns, struct pfa_timeline_plan *p)
{
    memset(p, 0, sizeof *p);
    int64_t atom;
    int wide = plan_atom(bucket_ns, &atom);
    if (bucket_ns <= 0 || atom / bucket_ns > RUN_BUCKETS)
        return; /* too narrow: the table stays empty */
    p->bucket_ns = bucket_ns;
    p->top_k = TOP_K;
    for (size_t k = 0; wide && k < N_WIDE; k++) {
        p->wide_ns[k] = wide_mult[k] * bucket_ns;
        p->wide_top[k] = wide_top[k];
        p->n_wide++;
    }
}

int pfa_timeline_top_mark(sqlite3 *db, const struct pfa_timeline_plan *p, char *err, size_t errlen)
{
    /* the ranked widths and how many each keeps, as the report matches
     * them: ",W1:K1,W2:K2,...," */
    char widths[48 * (PFA_TIMELINE_WIDE + 1)];
    int len = snprintf(widths, sizeof widths, ",%lld:%zu,", (long long)p->bucket_ns, p->top_k);
    for (size_t k = 0; k < p->n_wide; k++)
        len +=
            snprintf(widths + len, sizeof widths - (size_t)len, "%lld:%zu,", (long long)p->wide_ns[k], p->wide_top[k]);
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(db,
                           "INSERT OR REPLACE INTO meta(key, value) VALUES('timeline_top', ?1), "
                           "('timeline_top_widths', ?2)",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, (int64_t)p->top_k) != SQLITE_OK ||
        sqlite3_bind_text(st, 2, widths, len, SQLITE_STATIC) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
        snprintf(err, errlen, "rollups (meta): %s", sqlite3_errmsg(db));
        rc = PFA_E_SQL;
    }
    sqlite3_finalize(st);
    return rc;
}

static int build_tables(struct build *b, char *err, size_t errlen)
{
    sqlite3 *db = b->db;
    b->bucket = meta_int(db, "bucket_ns", 0);
    b->ranks_wide = plan_atom(b->bucket, &b->atom);
    if (sqlite3_prepare_v2(db, "SELECT rowid, bucket_ns FROM bytes", -1, &b->scan, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT bucket_ns, process_id, bytes_sent, bytes_recv, sends, recvs FROM bytes "
                           "WHERE rowid BETWEEN ?1 AND ?2 AND bucket_ns >= ?3 AND bucket_ns < ?4",
                           -1, &b->range, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO timeline_top(width_ns, bucket_ns, rank, process_id, bytes_sent, bytes_recv, "
                           "sends, recvs) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                           -1, &b->ins, NULL) != SQLITE_OK)
        return sql_fail(b, err, errlen, "prepare");
    int rc = find_spans(b, err, errlen);
    if (!rc)
        rc = write_hours(b, err, errlen);
    if (rc || b->bucket <= 0)
        return rc;
    if (b->atom / b->bucket > RUN_BUCKETS)
        return 0;
    /* runs of whole atoms of about RUN_ROWS rows, spanning at most
     * RUN_BUCKETS buckets */
    for (size_t a = 0; a < b->minutes.n && !rc;) {
        if (b->minutes.v[a].key > INT64_MAX - b->atom)
            return pfa_db_exec(db, "DELETE FROM timeline_top", err, errlen); /* times at the end of the range */
        size_t z = a + 1;
        uint64_t rows = b->minutes.v[a].rows;
        while (z < b->minutes.n && rows + b->minutes.v[z].rows <= RUN_ROWS &&
               b->minutes.v[z].key <= INT64_MAX - b->atom &&
               ((uint64_t)b->minutes.v[z].key - (uint64_t)b->minutes.v[a].key) / (uint64_t)b->bucket <
                   RUN_BUCKETS - (uint64_t)(b->atom / b->bucket))
            rows += b->minutes.v[z++].rows;
        rc = rank_run(b, a, z, err, errlen);
        a = z;
    }
    if (!rc) {
        struct pfa_timeline_plan plan;
        pfa_timeline_top_plan(b->bucket, &plan);
        rc = pfa_timeline_top_mark(db, &plan, err, errlen);
    }
    return rc;
}

int pfa_rollups_build(sqlite3 *db, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int current = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM meta WHERE key = 'rollups_current'", -1, &st, NULL) == SQLITE_OK) {
        current = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    if (current)
        return 0; /* nothing was loaded since they were built */
    /* the load built the time tables as it went (rollup_live.c): the rest */
    int live = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM meta WHERE key = 'rollups_live'", -1, &st, NULL) == SQLITE_OK) {
        live = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    size_t len = 0;
    const char *sql = pfa_embedded_sql("rollups.sql", live ? "after-live" : NULL, &len);
    if (!sql) {
        snprintf(err, errlen, "rollups.sql is not built in");
        return PFA_E_SQL;
    }
    /* one transaction: a concurrent reader sees the old complete set or the
     * new one */
    int rc = pfa_db_exec(db, "BEGIN IMMEDIATE", err, errlen);
    if (rc)
        return rc;
    /* the finishing step's memory limits also when called on its own */
    struct pfa_db_cache saved;
    pfa_db_finish_limits(db, &saved);
    char *script = malloc(len + 1); /* a section of the file: NUL-terminated copy */
    if (script) {
        memcpy(script, sql, len);
        script[len] = 0;
    }
    rc = script ? pfa_db_exec(db, script, err, errlen) : PF_E_NOMEM;
    free(script);
    struct build b = {.db = db};
    if (!rc && !live)
        rc = build_tables(&b, err, errlen);
    if (!rc)
        rc = pfa_top_remotes_build(db, 0, err, errlen);
    sqlite3_finalize(b.scan);
    sqlite3_finalize(b.range);
    sqlite3_finalize(b.ins);
    free(b.minutes.v);
    free(b.hours.v);
    free(b.base.v);
    free(b.base.used);
    for (size_t k = 0; k < N_WIDE; k++) {
        free(b.wide[k].v);
        free(b.wide[k].used);
    }
    free(b.rows);
    free(b.order);
    free(b.count);
    if (!rc)
        rc = pfa_db_exec(db, "INSERT OR REPLACE INTO meta(key, value) VALUES('rollups_current', '1'); COMMIT", err,
                         errlen);
    if (rc)
        pfa_db_exec(db, "ROLLBACK", NULL, 0);
    pfa_db_cache_restore(db, &saved);
    return rc;
}
