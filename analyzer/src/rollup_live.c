/* SPDX-License-Identifier: MIT */
/* The derived time tables built while a capture loads into an empty
 * database, so the finishing step need not read the bytes rows back
 * (rollup.c rebuilds them that way otherwise):
 *  - timeline_top at the bucket width and the wider widths rollup.c ranks,
 *  - process_rollup (per rollup bucket and process),
 *  - bytes_hours (the rowid range of each hour's bytes rows).
 * Every bytes and bytes_rollup row is a sum of traffic records, so the sums
 * per (bucket, process) are taken from the records as they stream. A bucket
 * is complete once the records have moved MARGIN_NS past it (they come
 * nearly in time order); a record older than what was completed, sums too
 * large for process_rollup's floating-point total(), or more open sums than
 * LIVE_CAP give up, and the finishing step rebuilds everything from the
 * tables. The result is the same rows in the same rowid order. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "pfa.h"
#include "pfa_export.h"
#include "pfc/htab.h"

#define NO_PROCESS INT64_MIN /* NULL process_id: sorts first, as NULL does */
/* records may come this far behind the newest one (capture time; the
 * recorder writes aggregated traffic once a second) */
#define MARGIN_NS (60 * (int64_t)1000000000)
/* open (bucket, process) sums held at most (under 100 bytes each) */
#define LIVE_CAP ((size_t)1 << 17)
/* total() in SQL is a double: exact below 2^53 */
#define EXACT_MAX ((uint64_t)1 << 53)

/* A sum per process. */
struct psum {
    int64_t process;
    uint64_t sent, recv, sends, recvs;
};

/* The sums of one bucket by process: an open bucket (width the ingest
 * bucket), or a wider one assembled from closed ones. */
struct group {
    int64_t width, key; /* key INT64_MIN: none */
    size_t top;         /* timeline_top rows a wider bucket keeps */
    struct psum *v;
    size_t n, cap;
    uint32_t *slot; /* open addressing over v by process: index + 1, 0 free */
    size_t nslot;
};

/* Rows of one derived table, inserted ROWS_BATCH at a time (fewer
 * statement runs); the column `null_col` holds a process_id, NO_PROCESS
 * for NULL. */
#define ROWS_BATCH 32
#define MAX_ROW_COLS 8
struct rows {
    sqlite3_stmt *one, *many;
    int ncols, null_col;
    int64_t v[ROWS_BATCH][MAX_ROW_COLS];
    size_t n;
};

struct hour {
    int64_t key, first, last;
};

struct pfa_live {
    sqlite3 *db;
    struct rows top_rows, roll_rows; /* timeline_top, process_rollup */
    int64_t bucket;
    struct pfa_timeline_plan plan; /* top_k 0: timeline_top stays unbuilt */
    int64_t done_before;           /* every record before this time is summed and written */
    int64_t newest;                /* the newest record's time */
    struct group *b;               /* open buckets in key order, from b[b0] */
    size_t b0, nb, bcap, hint, nsums;
    struct group *spare; /* emptied tables, for the next buckets */
    size_t nspare, spare_cap;
    struct group wide[PFA_TIMELINE_WIDE], roll;
    struct hour *hours;
    size_t nhours, hours_cap, hours_hint;
    int64_t next_rowid;
    int failed;
};

static uint64_t sat(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }
static int64_t clamp_i64(uint64_t v) { return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v; }
static int64_t floor_to(int64_t t, int64_t w) { return t - (((t % w) + w) % w); }

static void group_free(struct group *g)
{
    free(g->v);
    free(g->slot);
    g->v = NULL;
    g->slot = NULL;
    g->n = g->cap = g->nslot = 0;
}

static void give_up(struct pfa_live *l)
{
    l->failed = 1;
    for (size_t i = l->b0; i < l->nb; i++)
        group_free(&l->b[i]);
    for (size_t i = 0; i < l->nspare; i++)
        group_free(&l->spare[i]);
    free(l->b);
    free(l->spare);
    l->b = l->spare = NULL;
    l->b0 = l->nb = l->bcap = l->nspare = l->spare_cap = l->nsums = 0;
}

/* Doubles g's room (values and slots), placing the values again. */
static int group_grow(struct group *g)
{
    size_t cap = g->cap ? g->cap * 2 : 32;
    if (cap * 2 > UINT32_MAX)
        return -1;
    struct psum *v = realloc(g->v, cap * sizeof *v);
    if (!v)
        return -1;
    g->v = v;
    g->cap = cap;
    uint32_t *slot = calloc(cap * 2, sizeof *slot);
    if (!slot)
        return -1;
    free(g->slot);
    g->slot = slot;
    g->nslot = cap * 2;
    for (size_t i = 0; i < g->n; i++) {
        size_t h = (size_t)pfc_hash_mix64((uint64_t)g->v[i].process) & (g->nslot - 1);
        while (g->slot[h])
            h = (h + 1) & (g->nslot - 1);
        g->slot[h] = (uint32_t)(i + 1);
    }
    return 0;
}

/* The sum of `process` in g (added as zeros when new); NULL when out of memory. */
static struct psum *group_sum(struct group *g, int64_t process, int *created)
{
    if (g->n * 2 >= g->nslot && group_grow(g))
        return NULL;
    size_t mask = g->nslot - 1, h = (size_t)pfc_hash_mix64((uint64_t)process) & mask;
    while (g->slot[h] && g->v[g->slot[h] - 1].process != process)
        h = (h + 1) & mask;
    *created = !g->slot[h];
    if (*created) {
        g->v[g->n++] = (struct psum){.process = process};
        g->slot[h] = (uint32_t)g->n;
    }
    return &g->v[g->slot[h] - 1];
}

static void group_clear(struct group *g)
{
    if (g->slot)
        memset(g->slot, 0, g->nslot * sizeof *g->slot);
    g->n = 0;
    g->key = INT64_MIN;
}

static void psum_add(struct psum *s, uint64_t sent, uint64_t recv, uint64_t sends, uint64_t recvs)
{
    s->sent = sat(s->sent, sent);
    s->recv = sat(s->recv, recv);
    s->sends = sat(s->sends, sends);
    s->recvs = sat(s->recvs, recvs);
}

/* The one-row and ROWS_BATCH-row inserts of `head` + "(?,...)" rows. */
static int rows_prepare(sqlite3 *db, struct rows *r, const char *head, int ncols, int null_col)
{
    char sql[ROWS_BATCH * (2 * MAX_ROW_COLS + 3) + 256];
    size_t n = (size_t)snprintf(sql, sizeof sql, "%s", head);
    for (int i = 0; i < ROWS_BATCH; i++) {
        n += (size_t)snprintf(sql + n, sizeof sql - n, "%s(?", i ? "," : "");
        for (int c = 1; c < ncols; c++)
            n += (size_t)snprintf(sql + n, sizeof sql - n, ",?");
        n += (size_t)snprintf(sql + n, sizeof sql - n, ")");
        if (!i && sqlite3_prepare_v2(db, sql, (int)n, &r->one, NULL) != SQLITE_OK)
            return -1;
    }
    r->ncols = ncols;
    r->null_col = null_col;
    return sqlite3_prepare_v2(db, sql, (int)n, &r->many, NULL) != SQLITE_OK ? -1 : 0;
}

struct pfa_live *pfa_live_open(sqlite3 *db, int64_t bucket_ns, int64_t rollup_ns)
{
    if (bucket_ns <= 0 || rollup_ns <= 0 || rollup_ns % bucket_ns)
        return NULL;
    struct pfa_live *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->db = db;
    l->bucket = bucket_ns;
    pfa_timeline_top_plan(bucket_ns, &l->plan);
    for (size_t k = 0; k < l->plan.n_wide; k++)
        l->wide[k] = (struct group){.width = l->plan.wide_ns[k], .top = l->plan.wide_top[k], .key = INT64_MIN};
    l->roll.width = rollup_ns;
    l->roll.key = INT64_MIN;
    l->done_before = INT64_MIN;
    l->newest = INT64_MIN;
    l->next_rowid = 1; /* the bytes table is empty */
    if (rows_prepare(db, &l->top_rows,
                     "INSERT INTO timeline_top(width_ns, bucket_ns, rank, process_id, bytes_sent, bytes_recv, sends, "
                     "recvs) VALUES ",
                     8, 3) ||
        rows_prepare(db, &l->roll_rows,
                     "INSERT INTO process_rollup(bucket_ns, process_id, bytes_sent, bytes_recv, sends, recvs) VALUES ",
                     6, 1) ||
        pfa_db_exec(db,
                    "DELETE FROM timeline_top; DELETE FROM process_rollup; DELETE FROM bytes_hours; "
                    "DELETE FROM meta WHERE key IN ('timeline_top', 'timeline_top_widths')",
                    NULL, 0)) {
        pfa_live_free(l);
        return NULL;
    }
    return l;
}

void pfa_live_free(struct pfa_live *l)
{
    if (!l)
        return;
    sqlite3_finalize(l->top_rows.one);
    sqlite3_finalize(l->top_rows.many);
    sqlite3_finalize(l->roll_rows.one);
    sqlite3_finalize(l->roll_rows.many);
    give_up(l);
    for (size_t k = 0; k < PFA_TIMELINE_WIDE; k++)
        group_free(&l->wide[k]);
    group_free(&l->roll);
    free(l->hours);
    free(l);
}

/* The open bucket `key` (inserted in key order when new); NULL when out of memory. */
static struct group *bucket_at(struct pfa_live *l, int64_t key)
{
    if (l->hint >= l->b0 && l->hint < l->nb && l->b[l->hint].key == key)
        return &l->b[l->hint];
    size_t lo = l->b0, hi = l->nb;
    if (hi > lo && l->b[hi - 1].key < key)
        lo = hi; /* the common case: a new bucket after all others */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->b[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == l->nb || l->b[lo].key != key) {
        if (l->nb == l->bcap) {
            if (l->b0 > l->nb / 2) { /* drop the closed front first */
                memmove(l->b, l->b + l->b0, (l->nb - l->b0) * sizeof *l->b);
                lo -= l->b0;
                l->nb -= l->b0;
                l->b0 = 0;
            } else {
                size_t cap = l->bcap ? l->bcap * 2 : 512;
                struct group *v = realloc(l->b, cap * sizeof *v);
                if (!v)
                    return NULL;
                l->b = v;
                l->bcap = cap;
            }
        }
        memmove(&l->b[lo + 1], &l->b[lo], (l->nb - lo) * sizeof *l->b);
        l->b[lo] = l->nspare ? l->spare[--l->nspare] : (struct group){0};
        l->b[lo].width = l->bucket;
        l->b[lo].key = key;
        l->nb++;
    }
    l->hint = lo;
    return &l->b[lo];
}

void pfa_live_traffic(struct pfa_live *l, int64_t utc, int64_t bucket, int64_t process_id, uint64_t sent, uint64_t recv,
                      uint64_t sends, uint64_t recvs)
{
    if (l->failed)
        return;
    if (utc < l->done_before) {
        give_up(l); /* its buckets may be written already */
        return;
    }
    if (utc > l->newest)
        l->newest = utc;
    struct group *b = bucket_at(l, bucket);
    int created = 0;
    struct psum *sum = b ? group_sum(b, process_id ? process_id : NO_PROCESS, &created) : NULL;
    if (!sum || (created && ++l->nsums > LIVE_CAP)) {
        give_up(l);
        return;
    }
    psum_add(sum, sent, recv, sends, recvs);
}

void pfa_live_bytes_row(struct pfa_live *l, int64_t bucket)
{
    if (l->failed)
        return;
    int64_t rowid = l->next_rowid++, key = floor_to(bucket, 3600000000000LL);
    struct hour *h = NULL;
    if (l->hours_hint < l->nhours && l->hours[l->hours_hint].key == key)
        h = &l->hours[l->hours_hint];
    else {
        size_t lo = 0, hi = l->nhours;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (l->hours[mid].key < key)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == l->nhours || l->hours[lo].key != key) {
            if (l->nhours == l->hours_cap) {
                size_t cap = l->hours_cap ? l->hours_cap * 2 : 64;
                struct hour *v = realloc(l->hours, cap * sizeof *v);
                if (!v) {
                    give_up(l);
                    return;
                }
                l->hours = v;
                l->hours_cap = cap;
            }
            memmove(&l->hours[lo + 1], &l->hours[lo], (l->nhours - lo) * sizeof *l->hours);
            l->hours[lo] = (struct hour){.key = key, .first = rowid, .last = rowid};
            l->nhours++;
        }
        l->hours_hint = lo;
        h = &l->hours[lo];
    }
    if (rowid < h->first)
        h->first = rowid;
    if (rowid > h->last)
        h->last = rowid;
}

/* rollup.c's order within a bucket: bytes both ways (most first), then
 * process_id (NULL first). */
static int ranks_before(uint64_t sent_a, uint64_t recv_a, int64_t pa, uint64_t sent_b, uint64_t recv_b, int64_t pb)
{
    uint64_t ta = sat(sent_a, recv_a), tb = sat(sent_b, recv_b);
    if (ta != tb)
        return ta > tb;
    return pa < pb;
}

/* Binds one row at parameter `base`. */
static void rows_bind(sqlite3_stmt *st, const struct rows *r, int base, const int64_t *row)
{
    for (int c = 0; c < r->ncols; c++) {
        if (c == r->null_col && row[c] == NO_PROCESS)
            sqlite3_bind_null(st, base + c + 1);
        else
            sqlite3_bind_int64(st, base + c + 1, row[c]);
    }
}

/* Inserts the rows held (a full batch in one statement). */
static int rows_flush(struct rows *r)
{
    int rc = 0;
    if (r->n == ROWS_BATCH) {
        for (int i = 0; i < ROWS_BATCH; i++)
            rows_bind(r->many, r, i * r->ncols, r->v[i]);
        rc = sqlite3_step(r->many) == SQLITE_DONE ? 0 : -1;
        sqlite3_reset(r->many);
    } else {
        for (size_t i = 0; i < r->n && !rc; i++) {
            rows_bind(r->one, r, 0, r->v[i]);
            rc = sqlite3_step(r->one) == SQLITE_DONE ? 0 : -1;
            sqlite3_reset(r->one);
        }
    }
    r->n = 0;
    return rc;
}

/* The next row to fill; the batch goes out first when full. */
static int64_t *rows_next(struct rows *r)
{
    if (r->n == ROWS_BATCH && rows_flush(r))
        return NULL;
    return r->v[r->n++];
}

static int step_top(struct pfa_live *l, int64_t width, int64_t bucket, int64_t rank, const struct psum *s)
{
    int64_t *row = rows_next(&l->top_rows);
    if (!row)
        return -1;
    row[0] = width;
    row[1] = bucket;
    row[2] = rank;
    row[3] = s->process;
    row[4] = clamp_i64(s->sent);
    row[5] = clamp_i64(s->recv);
    row[6] = clamp_i64(s->sends);
    row[7] = clamp_i64(s->recvs);
    return 0;
}

/* Writes the first `keep` of n sums of one bucket, in rank order. */
static int write_top(struct pfa_live *l, int64_t width, int64_t bucket, size_t keep, const struct psum *v, size_t n)
{
    struct psum top[64];
    size_t k = keep < sizeof top / sizeof top[0] ? keep : sizeof top / sizeof top[0], m = 0;
    if (!k)
        return 0;
    for (size_t u = 0; u < n; u++) {
        const struct psum *s = &v[u];
        if (m == k && !ranks_before(s->sent, s->recv, s->process, top[k - 1].sent, top[k - 1].recv, top[k - 1].process))
            continue;
        size_t i = m < k ? m++ : k - 1;
        while (i > 0 &&
               ranks_before(s->sent, s->recv, s->process, top[i - 1].sent, top[i - 1].recv, top[i - 1].process)) {
            top[i] = top[i - 1];
            i--;
        }
        top[i] = *s;
    }
    for (size_t i = 0; i < m; i++)
        if (step_top(l, width, bucket, (int64_t)i + 1, &top[i]))
            return -1;
    return 0;
}

static int by_process(const void *a, const void *b)
{
    int64_t x = ((const struct psum *)a)->process, y = ((const struct psum *)b)->process;
    return (x > y) - (x < y);
}

/* Writes the assembled bucket of g (wide timeline or process_rollup). */
static int group_flush(struct pfa_live *l, struct group *g, int is_roll)
{
    if (g->key == INT64_MIN || !g->n)
        return 0;
    int rc = 0;
    if (!is_roll) {
        rc = write_top(l, g->width, g->key, g->top, g->v, g->n);
    } else {
        qsort(g->v, g->n, sizeof *g->v, by_process); /* GROUP BY bucket_ns, process_id order */
        for (size_t i = 0; i < g->n && !rc; i++) {
            const struct psum *s = &g->v[i];
            if (s->sent >= EXACT_MAX || s->recv >= EXACT_MAX || s->sends >= EXACT_MAX || s->recvs >= EXACT_MAX)
                return 1; /* total() would round: leave it to the SQL */
            int64_t *row = rows_next(&l->roll_rows);
            if (!row)
                return -1;
            row[0] = g->key;
            row[1] = s->process;
            row[2] = (int64_t)s->sent;
            row[3] = (int64_t)s->recv;
            row[4] = (int64_t)s->sends;
            row[5] = (int64_t)s->recvs;
        }
    }
    group_clear(g);
    return rc;
}

/* Adds a closed base bucket's sums into g's bucket (writing g's previous
 * bucket first when this one starts another). */
static int group_add(struct pfa_live *l, struct group *g, int is_roll, int64_t bucket, const struct psum *v, size_t n)
{
    int64_t key = floor_to(bucket, g->width);
    if (key != g->key) {
        int rc = group_flush(l, g, is_roll);
        if (rc)
            return rc;
        g->key = key;
    }
    for (size_t i = 0; i < n; i++) {
        int created;
        struct psum *s = group_sum(g, v[i].process, &created);
        if (!s)
            return -1;
        psum_add(s, v[i].sent, v[i].recv, v[i].sends, v[i].recvs);
    }
    return 0;
}

/* Writes one complete base bucket, hands its sums on to the wider ones
 * and keeps its table for a later bucket. */
static int close_bucket(struct pfa_live *l, struct group *b)
{
    int rc = 0;
    /* below 2^53 no bytes row was clamped to INT64_MAX: the rebuild, which
     * sums the stored rows, would rank the same sums */
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].sent >= EXACT_MAX || b->v[i].recv >= EXACT_MAX || b->v[i].sends >= EXACT_MAX ||
            b->v[i].recvs >= EXACT_MAX)
            return 1;
    if (l->plan.top_k) {
        rc = write_top(l, l->bucket, b->key, l->plan.top_k, b->v, b->n);
        for (size_t k = 0; k < l->plan.n_wide && !rc; k++)
            rc = group_add(l, &l->wide[k], 0, b->key, b->v, b->n);
    }
    if (!rc)
        rc = group_add(l, &l->roll, 1, b->key, b->v, b->n);
    l->nsums -= b->n;
    group_clear(b);
    if (l->nspare == l->spare_cap) {
        size_t cap = l->spare_cap ? l->spare_cap * 2 : 64;
        struct group *v = realloc(l->spare, cap * sizeof *v);
        if (!v) {
            group_free(b);
            return -1;
        }
        l->spare = v;
        l->spare_cap = cap;
    }
    l->spare[l->nspare++] = *b;
    *b = (struct group){0};
    return rc;
}

/* Writes the buckets that end at or before `before`. */
static void close_before(struct pfa_live *l, int64_t before)
{
    if (before <= l->done_before)
        return;
    l->done_before = before;
    while (!l->failed && l->b0 < l->nb && l->b[l->b0].key <= before - l->bucket) {
        if (close_bucket(l, &l->b[l->b0])) {
            give_up(l);
            return;
        }
        l->b0++;
    }
    if (l->failed)
        return;
    /* a wider bucket is complete once the records are past its end */
    for (size_t k = 0; k < l->plan.n_wide && !l->failed; k++)
        if (l->wide[k].key != INT64_MIN && l->wide[k].key <= before - l->wide[k].width &&
            group_flush(l, &l->wide[k], 0))
            give_up(l);
    if (!l->failed && l->roll.key != INT64_MIN && l->roll.key <= before - l->roll.width && group_flush(l, &l->roll, 1))
        give_up(l);
}

void pfa_live_advance(struct pfa_live *l)
{
    if (l->failed || l->newest < MARGIN_NS)
        return;
    /* a bucket boundary, so a record at done_before lies in an open bucket */
    close_before(l, floor_to(l->newest - MARGIN_NS, l->bucket));
}

int pfa_live_finish(struct pfa_live *l, char *err, size_t errlen)
{
    if (l->failed)
        return 1;
    while (!l->failed && l->b0 < l->nb) {
        if (close_bucket(l, &l->b[l->b0]))
            give_up(l);
        else
            l->b0++;
    }
    for (size_t k = 0; k < l->plan.n_wide && !l->failed; k++)
        if (group_flush(l, &l->wide[k], 0))
            give_up(l);
    if (!l->failed && (group_flush(l, &l->roll, 1) || rows_flush(&l->top_rows) || rows_flush(&l->roll_rows)))
        give_up(l);
    if (l->failed)
        return 1;
    /* the rowids counted must be those SQLite gave */
    sqlite3_stmt *st;
    int64_t last = -1;
    if (sqlite3_prepare_v2(l->db, "SELECT coalesce(max(rowid), 0) FROM bytes", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            last = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    if (last != l->next_rowid - 1)
        return 1;
    if (sqlite3_prepare_v2(l->db, "INSERT INTO bytes_hours(hour_ns, first_rowid, last_rowid) VALUES (?1, ?2, ?3)", -1,
                           &st, NULL) != SQLITE_OK)
        return 1;
    int rc = 0;
    for (size_t i = 0; i < l->nhours && !rc; i++) {
        sqlite3_bind_int64(st, 1, l->hours[i].key);
        sqlite3_bind_int64(st, 2, l->hours[i].first);
        sqlite3_bind_int64(st, 3, l->hours[i].last);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : 1;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc)
        return 1;
    if (l->plan.top_k && pfa_timeline_top_mark(l->db, &l->plan, err, errlen))
        return -1;
    return pfa_db_exec(l->db, "INSERT OR REPLACE INTO meta(key, value) VALUES('rollups_live', '1')", err, errlen) ? -1
                                                                                                                  : 0;
}
