/* SPDX-License-Identifier: MIT */
/* top_remotes (schema 8): the top-remotes report's groups without a time
 * window, the first TOP_KEEP of every host and protocol, with the process
 * and remote names the report lists; the same values as the report's SQL
 * (sums as total(), a double, cast to an integer; names distinct and sorted
 * bytewise).
 *
 * One pass over the flows in table order, summing per group in a hash
 * table, while the groups and (group, name) pairs stay under a cap. Past
 * it the pass starts again in remote address order (the flows_remote
 * index, random reads): every group lies within one address, so the rows
 * of one address are grouped at a time, in memory bounded by the flows of
 * one address. Either way the groups are kept in a bounded heap per host
 * and protocol. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "pfa.h"
#include "pfc/htab.h"

/* The flows a group sums; a capture without a host id has no row in the
 * report (its groups find no process names). Columns: host_id, host,
 * remote_addr, remote_port, local_port, proto, bytes_sent, bytes_recv, comm,
 * remote_name, inbound. */
#define SCAN_SQL \
    "SELECT c.host_id, coalesce(c.host, ''), f.remote_addr, f.remote_port, f.local_port, f.proto, f.bytes_sent, " \
    "f.bytes_recv, coalesce(p.comm, '?'), f.remote_name, f.direction = 'in' OR (f.direction = 'unknown' " \
    "AND f.remote_port >= 32768 AND f.local_port < f.remote_port) " \
    "FROM flows f JOIN captures c ON c.capture_id = f.capture_id " \
    "LEFT JOIN processes p ON p.process_id = f.process_id " \
    "WHERE f.remote_addr IS NOT NULL AND f.direction <> 'listen' AND c.host_id IS NOT NULL"

/* groups kept per host and protocol: the largest limit the table serves */
#define TOP_KEEP 10000
/* groups, strings and (group, name) pairs the pass in table order may hold
 * (about 40 bytes each) before it gives way to the one in address order */
#define TOP_HASH_MAX ((size_t)1 << 20)

/* One flow of the current address; strings are offsets into the pool. */
struct tr_row {
    int64_t host_id, port; /* remote port (outbound) or local port (inbound) */
    size_t host, proto, comm, name;
    double sent, recv;
    unsigned char inbound, port_null, name_null;
};

struct tr_group {
    int64_t host_id, port;
    double total; /* sent + recv as the report adds them, for ranking */
    int64_t sent, recv, flows;
    int inbound, port_null, total_real;
    char *host, *addr, *proto, *processes, *names; /* one allocation, names may be NULL */
};

struct tr_part {
    int64_t host_id;
    char *proto;
    struct tr_group **heap; /* the last in report order at the root */
    size_t n, cap, dropped;
};

struct tr_build {
    sqlite3 *db;
    struct tr_row *rows;
    size_t nrows, rows_cap;
    char *pool;
    size_t pool_len, pool_cap;
    char *addr; /* the current address */
    struct tr_part *parts;
    size_t nparts, parts_cap;
    uint32_t *part_slot; /* partition index + 1, by host and protocol */
    size_t npart_slot;
    const char **list; /* the names of one group */
    size_t list_cap;
};

static char *copy_text(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    return c ? memcpy(c, s, n) : NULL;
}

static int64_t cast_total(double d)
{
    /* CAST(real AS INTEGER) as SQLite does it: saturating, toward zero */
    if (d >= 9223372036854775807.0)
        return INT64_MAX;
    if (d <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)d;
}

/* -1 when a ranks before b in the report's order (bytes both ways, most
 * first; host; remote address; remote port; local port, NULL first;
 * protocol), 1 after, 0 for the same place. */
static int rank_cmp(const struct tr_group *a, const struct tr_group *b)
{
    if (a->total != b->total)
        return a->total > b->total ? -1 : 1;
    if (!a->total_real && !b->total_real) {
        int64_t ta = a->sent + a->recv, tb = b->sent + b->recv;
        if (ta != tb)
            return ta > tb ? -1 : 1;
    }
    int c = strcmp(a->host, b->host);
    if (!c)
        c = strcmp(a->addr, b->addr);
    if (c)
        return c < 0 ? -1 : 1;
    /* remote_port: outbound groups have it (or NULL), inbound ones NULL */
    int an = a->inbound || a->port_null, bn = b->inbound || b->port_null;
    if (an != bn)
        return an ? -1 : 1;
    if (!an && a->port != b->port)
        return a->port < b->port ? -1 : 1;
    an = !a->inbound || a->port_null;
    bn = !b->inbound || b->port_null;
    if (an != bn)
        return an ? -1 : 1;
    if (!an && a->port != b->port)
        return a->port < b->port ? -1 : 1;
    c = strcmp(a->proto, b->proto);
    return c < 0 ? -1 : c > 0;
}

static void heap_down(struct tr_group **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && rank_cmp(h[l], h[w]) > 0)
            w = l;
        if (r < n && rank_cmp(h[r], h[w]) > 0)
            w = r;
        if (w == i)
            return;
        struct tr_group *t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

static void heap_up(struct tr_group **h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (rank_cmp(h[i], h[p]) <= 0)
            return;
        struct tr_group *t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *n = realloc(*v, c * size);
    if (!n)
        return PF_E_NOMEM;
    *v = n;
    *cap = c;
    return 0;
}

static int slots_grow(uint32_t **slot, size_t *nslot, size_t n)
{
    if (n * 2 < *nslot)
        return 0;
    size_t c = *nslot ? *nslot * 2 : 1024;
    uint32_t *v = calloc(c, sizeof *v);
    if (!v)
        return PF_E_NOMEM;
    free(*slot);
    *slot = v;
    *nslot = c;
    return 1; /* rehash */
}

static uint64_t text_hash(const char *s) { return pfc_hash_bytes(s, strlen(s)); }

static uint64_t part_hash(int64_t host_id, const char *proto)
{
    return pfc_hash_mix64((uint64_t)host_id) ^ text_hash(proto);
}

/* The partition of g's host and protocol (added when new); NULL when out
 * of memory. */
static struct tr_part *part_of(struct tr_build *b, const struct tr_group *g)
{
    int rc = slots_grow(&b->part_slot, &b->npart_slot, b->nparts + 1);
    if (rc < 0)
        return NULL;
    size_t mask = b->npart_slot - 1;
    if (rc)
        for (size_t i = 0; i < b->nparts; i++) {
            size_t h = (size_t)part_hash(b->parts[i].host_id, b->parts[i].proto) & mask;
            while (b->part_slot[h])
                h = (h + 1) & mask;
            b->part_slot[h] = (uint32_t)i + 1;
        }
    size_t h = (size_t)part_hash(g->host_id, g->proto) & mask;
    while (b->part_slot[h]) {
        struct tr_part *p = &b->parts[b->part_slot[h] - 1];
        if (p->host_id == g->host_id && !strcmp(p->proto, g->proto))
            return p;
        h = (h + 1) & mask;
    }
    char *proto = copy_text(g->proto);
    if (!proto || grow((void **)&b->parts, &b->parts_cap, b->nparts + 1, sizeof *b->parts)) {
        free(proto);
        return NULL;
    }
    b->parts[b->nparts] = (struct tr_part){.host_id = g->host_id, .proto = proto};
    b->part_slot[h] = (uint32_t)b->nparts + 1;
    return &b->parts[b->nparts++];
}

/* Keeps g if it is among the first TOP_KEEP of its host and protocol
 * (takes it either way). */
static int keep(struct tr_build *b, struct tr_group *g)
{
    struct tr_part *p = part_of(b, g);
    if (!p || (p->n < TOP_KEEP && grow((void **)&p->heap, &p->cap, p->n + 1, sizeof *p->heap))) {
        free(g);
        return PF_E_NOMEM;
    }
    if (p->n < TOP_KEEP) {
        p->heap[p->n] = g;
        heap_up(p->heap, p->n++);
    } else if (rank_cmp(g, p->heap[0]) < 0) {
        free(p->heap[0]);
        p->heap[0] = g;
        heap_down(p->heap, p->n, 0);
        p->dropped++;
    } else {
        free(g);
        p->dropped++;
    }
    return 0;
}

static const char *S(const struct tr_build *b, size_t off) { return b->pool + off; }

static size_t put_text(struct tr_build *b, const unsigned char *t, int *oom)
{
    const char *s = t ? (const char *)t : "";
    size_t len = strlen(s) + 1;
    if (b->pool_len + len > b->pool_cap) {
        size_t cap = b->pool_cap ? b->pool_cap : 65536;
        while (cap < b->pool_len + len)
            cap *= 2;
        char *v = realloc(b->pool, cap);
        if (!v) {
            *oom = 1;
            return 0;
        }
        b->pool = v;
        b->pool_cap = cap;
    }
    memcpy(b->pool + b->pool_len, s, len);
    b->pool_len += len;
    return b->pool_len - len;
}

static const struct tr_build *sort_ctx; /* qsort has no context argument everywhere */

/* rows by group (host, protocol, direction, port), then process name */
static int row_cmp(const void *pa, const void *pb)
{
    const struct tr_row *a = pa, *b = pb;
    if (a->host_id != b->host_id)
        return a->host_id < b->host_id ? -1 : 1;
    int c = strcmp(S(sort_ctx, a->proto), S(sort_ctx, b->proto));
    if (c)
        return c;
    if (a->inbound != b->inbound)
        return a->inbound < b->inbound ? -1 : 1;
    if (a->port_null != b->port_null)
        return a->port_null ? -1 : 1;
    if (a->port != b->port)
        return a->port < b->port ? -1 : 1;
    return strcmp(S(sort_ctx, a->comm), S(sort_ctx, b->comm));
}

static int same_group(const struct tr_build *b, const struct tr_row *x, const struct tr_row *y)
{
    return x->host_id == y->host_id && !strcmp(S(b, x->proto), S(b, y->proto)) && x->inbound == y->inbound &&
           x->port_null == y->port_null && (x->port_null || x->port == y->port);
}

static int text_order(const void *pa, const void *pb)
{
    return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

/* What a group is made of, for new_group. */
struct tr_parts {
    int64_t host_id, port;
    int inbound, port_null;
    const char *host, *addr, *proto;
    double sent, recv;
    int64_t flows;
    const char **comms, **names; /* distinct, sorted */
    size_t ncomms, nnames;
};

static size_t joined_len(const char *const *v, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(v[i]) + 1;
    return len;
}

static char *join(char *p, const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(v[i]);
        if (i)
            *p++ = ',';
        memcpy(p, v[i], len);
        p += len;
    }
    *p = 0;
    return p + 1;
}

/* The group as one allocation (its strings follow it). */
static struct tr_group *new_group(const struct tr_parts *x)
{
    size_t len = strlen(x->host) + strlen(x->addr) + strlen(x->proto) + 3;
    len += joined_len(x->comms, x->ncomms) + 1 + joined_len(x->names, x->nnames) + 1;
    struct tr_group *g = malloc(sizeof *g + len);
    if (!g)
        return NULL;
    *g = (struct tr_group){
        .host_id = x->host_id, .port = x->port, .inbound = x->inbound, .port_null = x->port_null, .flows = x->flows};
    g->sent = cast_total(x->sent);
    g->recv = cast_total(x->recv);
    /* the report adds the two integers; past the int64 range SQLite makes a real of it */
    if ((g->recv > 0 && g->sent > INT64_MAX - g->recv) || (g->recv < 0 && g->sent < INT64_MIN - g->recv)) {
        g->total_real = 1;
        g->total = (double)g->sent + (double)g->recv;
    } else {
        g->total = (double)(g->sent + g->recv);
    }
    char *p = (char *)(g + 1);
    g->host = p;
    p = join(p, &x->host, 1);
    g->addr = p;
    p = join(p, &x->addr, 1);
    g->proto = p;
    p = join(p, &x->proto, 1);
    g->processes = p;
    p = join(p, x->comms, x->ncomms);
    g->names = x->nnames ? p : NULL;
    if (x->nnames)
        join(p, x->names, x->nnames);
    return g;
}

/* The group of rows [i, j) (sorted by process name). */
static struct tr_group *make_group(struct tr_build *b, size_t i, size_t j)
{
    const struct tr_row *r = &b->rows[i];
    /* process names then remote names, as pointers into the pool */
    if (grow((void **)&b->list, &b->list_cap, 2 * (j - i), sizeof *b->list))
        return NULL;
    struct tr_parts x = {.host_id = r->host_id,
                         .port = r->port,
                         .inbound = r->inbound,
                         .port_null = r->port_null,
                         .host = S(b, r->host),
                         .addr = b->addr,
                         .proto = S(b, r->proto),
                         .flows = (int64_t)(j - i),
                         .comms = b->list};
    for (size_t k = i; k < j; k++) {
        x.sent += b->rows[k].sent;
        x.recv += b->rows[k].recv;
        if (k == i || strcmp(S(b, b->rows[k].comm), S(b, b->rows[k - 1].comm)))
            b->list[x.ncomms++] = S(b, b->rows[k].comm);
    }
    x.names = b->list + x.ncomms;
    size_t nn = 0;
    for (size_t k = i; k < j; k++)
        if (!b->rows[k].name_null)
            x.names[nn++] = S(b, b->rows[k].name);
    qsort(x.names, nn, sizeof *x.names, text_order);
    for (size_t k = 0; k < nn; k++)
        if (!k || strcmp(x.names[k], x.names[k - 1]))
            x.names[x.nnames++] = x.names[k];
    return new_group(&x);
}

/* Groups the rows of the current address and keeps the groups. */
static int flush_address(struct tr_build *b)
{
    if (!b->nrows)
        return 0;
    sort_ctx = b;
    qsort(b->rows, b->nrows, sizeof *b->rows, row_cmp);
    int rc = 0;
    for (size_t i = 0; i < b->nrows && !rc;) {
        size_t j = i + 1;
        while (j < b->nrows && same_group(b, &b->rows[i], &b->rows[j]))
            j++;
        struct tr_group *g = make_group(b, i, j);
        rc = g ? keep(b, g) : PF_E_NOMEM;
        i = j;
    }
    b->nrows = 0;
    b->pool_len = 0;
    return rc;
}

/* ---- the pass in table order, summing in hash tables */

/* strings by id */
struct tr_strings {
    char **s;
    size_t n, cap;
    uint32_t *slot; /* id + 1, 0 when free */
    size_t nslot;
};

struct tr_sum {
    int64_t host_id, port;
    uint32_t addr, proto, host;
    unsigned char inbound, port_null;
    double sent, recv;
    int64_t flows;
};

/* (group, string) pairs: the distinct process or remote names of a group */
struct tr_pairs {
    uint64_t *k; /* UINT64_MAX when free */
    size_t n, cap;
};

struct tr_hash {
    struct tr_strings str;
    struct tr_sum *sums;
    size_t nsums, sums_cap;
    uint32_t *slot; /* group index + 1 */
    size_t nslot;
    struct tr_pairs comms, names;
};

static int str_id(struct tr_strings *t, const char *s, uint32_t *id)
{
    if (!s)
        s = "";
    int rc = slots_grow(&t->slot, &t->nslot, t->n + 1);
    if (rc < 0)
        return rc;
    size_t mask = t->nslot - 1;
    if (rc)
        for (size_t i = 0; i < t->n; i++) {
            size_t h = (size_t)text_hash(t->s[i]) & mask;
            while (t->slot[h])
                h = (h + 1) & mask;
            t->slot[h] = (uint32_t)i + 1;
        }
    size_t h = (size_t)text_hash(s) & mask;
    while (t->slot[h]) {
        if (!strcmp(t->s[t->slot[h] - 1], s)) {
            *id = t->slot[h] - 1;
            return 0;
        }
        h = (h + 1) & mask;
    }
    char *c = copy_text(s);
    if (!c || grow((void **)&t->s, &t->cap, t->n + 1, sizeof *t->s)) {
        free(c);
        return PF_E_NOMEM;
    }
    t->s[t->n] = c;
    t->slot[h] = (uint32_t)t->n + 1;
    *id = (uint32_t)t->n++;
    return 0;
}

static uint64_t sum_hash(const struct tr_sum *x)
{
    uint64_t h = pfc_hash_mix64((uint64_t)x->host_id ^ ((uint64_t)x->addr << 32));
    h = pfc_hash_mix64(h ^ (uint64_t)x->port ^ ((uint64_t)x->proto << 40));
    return h ^ (uint64_t)(x->inbound * 2 + x->port_null);
}

static int same_sum(const struct tr_sum *a, const struct tr_sum *b)
{
    return a->host_id == b->host_id && a->addr == b->addr && a->proto == b->proto && a->inbound == b->inbound &&
           a->port_null == b->port_null && a->port == b->port;
}

/* The group of x's key (added, zeroed, when new); its index in *gi. */
static int sum_at(struct tr_hash *t, const struct tr_sum *x, size_t *gi)
{
    int rc = slots_grow(&t->slot, &t->nslot, t->nsums + 1);
    if (rc < 0)
        return rc;
    size_t mask = t->nslot - 1;
    if (rc)
        for (size_t i = 0; i < t->nsums; i++) {
            size_t h = (size_t)sum_hash(&t->sums[i]) & mask;
            while (t->slot[h])
                h = (h + 1) & mask;
            t->slot[h] = (uint32_t)i + 1;
        }
    size_t h = (size_t)sum_hash(x) & mask;
    while (t->slot[h]) {
        if (same_sum(&t->sums[t->slot[h] - 1], x)) {
            *gi = t->slot[h] - 1;
            return 0;
        }
        h = (h + 1) & mask;
    }
    if (grow((void **)&t->sums, &t->sums_cap, t->nsums + 1, sizeof *t->sums))
        return PF_E_NOMEM;
    t->sums[t->nsums] = *x;
    t->slot[h] = (uint32_t)t->nsums + 1;
    *gi = t->nsums++;
    return 0;
}

static int pair_add(struct tr_pairs *p, uint64_t key)
{
    if ((p->n + 1) * 2 > p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 1024;
        uint64_t *v = malloc(cap * sizeof *v);
        if (!v)
            return PF_E_NOMEM;
        memset(v, 0xff, cap * sizeof *v);
        for (size_t i = 0; i < p->cap; i++)
            if (p->k[i] != UINT64_MAX) {
                size_t h = (size_t)pfc_hash_mix64(p->k[i]) & (cap - 1);
                while (v[h] != UINT64_MAX)
                    h = (h + 1) & (cap - 1);
                v[h] = p->k[i];
            }
        free(p->k);
        p->k = v;
        p->cap = cap;
    }
    size_t h = (size_t)pfc_hash_mix64(key) & (p->cap - 1);
    while (p->k[h] != UINT64_MAX) {
        if (p->k[h] == key)
            return 0;
        h = (h + 1) & (p->cap - 1);
    }
    p->k[h] = key;
    p->n++;
    return 0;
}

static void hash_free(struct tr_hash *t)
{
    for (size_t i = 0; i < t->str.n; i++)
        free(t->str.s[i]);
    free(t->str.s);
    free(t->str.slot);
    free(t->sums);
    free(t->slot);
    free(t->comms.k);
    free(t->names.k);
}

/* The strings of each group's pairs, sorted: *start[g] .. *start[g + 1]
 * in *out. */
static int pair_lists(const struct tr_hash *t, const struct tr_pairs *p, size_t **start, const char ***out)
{
    *start = calloc(t->nsums + 1, sizeof **start);
    *out = malloc((p->n ? p->n : 1) * sizeof **out);
    if (!*start || !*out)
        return PF_E_NOMEM;
    for (size_t i = 0; i < p->cap; i++)
        if (p->k[i] != UINT64_MAX)
            (*start)[(p->k[i] >> 32) + 1]++;
    for (size_t g = 0; g < t->nsums; g++)
        (*start)[g + 1] += (*start)[g];
    size_t *fill = malloc((t->nsums ? t->nsums : 1) * sizeof *fill);
    if (!fill)
        return PF_E_NOMEM;
    memcpy(fill, *start, t->nsums * sizeof *fill);
    for (size_t i = 0; i < p->cap; i++)
        if (p->k[i] != UINT64_MAX)
            (*out)[fill[p->k[i] >> 32]++] = t->str.s[(uint32_t)p->k[i]];
    free(fill);
    for (size_t g = 0; g < t->nsums; g++)
        qsort(*out + (*start)[g], (*start)[g + 1] - (*start)[g], sizeof **out, text_order);
    return 0;
}

/* Returns 1 (nothing kept) when the groups, names and pairs pass max. */
static int scan_hashed(struct tr_build *b, size_t max, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(b->db, SCAN_SQL, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "top_remotes: %s", sqlite3_errmsg(b->db));
        return PFA_E_SQL;
    }
    struct tr_hash t = {0};
    int rc = 0, step;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        struct tr_sum x = {.host_id = sqlite3_column_int64(st, 0)};
        x.inbound = sqlite3_column_int(st, 10) != 0;
        int pc = x.inbound ? 4 : 3;
        x.port_null = sqlite3_column_type(st, pc) == SQLITE_NULL;
        x.port = x.port_null ? 0 : sqlite3_column_int64(st, pc);
        uint32_t comm, name = 0;
        const unsigned char *nm = sqlite3_column_text(st, 9);
        if ((rc = str_id(&t.str, (const char *)sqlite3_column_text(st, 1), &x.host)) ||
            (rc = str_id(&t.str, (const char *)sqlite3_column_text(st, 2), &x.addr)) ||
            (rc = str_id(&t.str, (const char *)sqlite3_column_text(st, 5), &x.proto)) ||
            (rc = str_id(&t.str, (const char *)sqlite3_column_text(st, 8), &comm)) ||
            (nm && (rc = str_id(&t.str, (const char *)nm, &name))))
            break;
        size_t gi;
        if ((rc = sum_at(&t, &x, &gi)))
            break;
        struct tr_sum *g = &t.sums[gi];
        g->sent += sqlite3_column_double(st, 6);
        g->recv += sqlite3_column_double(st, 7);
        g->flows++;
        if ((rc = pair_add(&t.comms, (uint64_t)gi << 32 | comm)) ||
            (nm && (rc = pair_add(&t.names, (uint64_t)gi << 32 | name))))
            break;
        if (t.str.n + t.nsums + t.comms.n + t.names.n > max)
            rc = 1;
    }
    if (!rc && step != SQLITE_DONE) {
        snprintf(err, errlen, "top_remotes: %s", sqlite3_errmsg(b->db));
        rc = PFA_E_SQL;
    }
    sqlite3_finalize(st);
    size_t *cs = NULL, *ns = NULL;
    const char **cl = NULL, **nl = NULL;
    if (!rc)
        rc = pair_lists(&t, &t.comms, &cs, &cl);
    if (!rc)
        rc = pair_lists(&t, &t.names, &ns, &nl);
    for (size_t g = 0; g < t.nsums && !rc; g++) {
        const struct tr_sum *x = &t.sums[g];
        struct tr_parts parts = {.host_id = x->host_id,
                                 .port = x->port,
                                 .inbound = x->inbound,
                                 .port_null = x->port_null,
                                 .host = t.str.s[x->host],
                                 .addr = t.str.s[x->addr],
                                 .proto = t.str.s[x->proto],
                                 .sent = x->sent,
                                 .recv = x->recv,
                                 .flows = x->flows,
                                 .comms = cl + cs[g],
                                 .ncomms = cs[g + 1] - cs[g],
                                 .names = nl + ns[g],
                                 .nnames = ns[g + 1] - ns[g]};
        struct tr_group *grp = new_group(&parts);
        rc = grp ? keep(b, grp) : PF_E_NOMEM;
    }
    free(cs);
    free(ns);
    free(cl);
    free(nl);
    hash_free(&t);
    return rc;
}

static int group_order(const void *pa, const void *pb)
{
    return rank_cmp(*(struct tr_group *const *)pa, *(struct tr_group *const *)pb);
}

static int write_groups(struct tr_build *b, char *err, size_t errlen)
{
    size_t n = 0, dropped = 0;
    for (size_t i = 0; i < b->nparts; i++) {
        n += b->parts[i].n;
        dropped += b->parts[i].dropped;
    }
    struct tr_group **all = malloc((n ? n : 1) * sizeof *all);
    if (!all)
        return PF_E_NOMEM;
    n = 0;
    for (size_t i = 0; i < b->nparts; i++)
        for (size_t k = 0; k < b->parts[i].n; k++)
            all[n++] = b->parts[i].heap[k];
    qsort(all, n, sizeof *all, group_order);
    sqlite3_stmt *ins;
    if (sqlite3_prepare_v2(b->db,
                           "INSERT INTO top_remotes(host_id, host, remote_addr, remote_port, local_port, proto, "
                           "direction, bytes_sent, bytes_recv, flows, processes, names) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                           -1, &ins, NULL) != SQLITE_OK) {
        free(all);
        snprintf(err, errlen, "top_remotes: %s", sqlite3_errmsg(b->db));
        return PFA_E_SQL;
    }
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        const struct tr_group *g = all[i];
        sqlite3_bind_int64(ins, 1, g->host_id);
        sqlite3_bind_text(ins, 2, g->host, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, g->addr, -1, SQLITE_STATIC);
        if (g->inbound || g->port_null)
            sqlite3_bind_null(ins, 4);
        else
            sqlite3_bind_int64(ins, 4, g->port);
        if (!g->inbound || g->port_null)
            sqlite3_bind_null(ins, 5);
        else
            sqlite3_bind_int64(ins, 5, g->port);
        sqlite3_bind_text(ins, 6, g->proto, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 7, g->inbound ? "in" : "out", -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 8, g->sent);
        sqlite3_bind_int64(ins, 9, g->recv);
        sqlite3_bind_int64(ins, 10, g->flows);
        sqlite3_bind_text(ins, 11, g->processes, -1, SQLITE_STATIC);
        if (g->names)
            sqlite3_bind_text(ins, 12, g->names, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(ins, 12);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            snprintf(err, errlen, "top_remotes: %s", sqlite3_errmsg(b->db));
            rc = PFA_E_SQL;
        }
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    free(all);
    if (rc)
        return rc;
    /* every group of every host and protocol is here: any limit is served */
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO meta(key, value) VALUES('top_remotes', '%lld')",
             dropped ? (long long)TOP_KEEP : (long long)INT64_MAX);
    return pfa_db_exec(b->db, sql, err, errlen);
}

static int scan_streamed(struct tr_build *b, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(b->db, SCAN_SQL " ORDER BY f.remote_addr", -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "top_remotes: %s", sqlite3_errmsg(b->db));
        return PFA_E_SQL;
    }
    int rc = 0, step;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *addr = (const char *)sqlite3_column_text(st, 2);
        if (!addr)
            addr = "";
        if (!b->addr || strcmp(addr, b->addr)) {
            rc = flush_address(b);
            free(b->addr);
            b->addr = copy_text(addr);
            if (!rc && !b->addr)
                rc = PF_E_NOMEM;
            if (rc)
                break;
        }
        if (b->nrows == b->rows_cap) {
            size_t cap = b->rows_cap ? 2 * b->rows_cap : 1024;
            struct tr_row *v = realloc(b->rows, cap * sizeof *v);
            if (!v) {
                rc = PF_E_NOMEM;
                break;
            }
            b->rows = v;
            b->rows_cap = cap;
        }
        struct tr_row *r = &b->rows[b->nrows++];
        int oom = 0;
        r->host_id = sqlite3_column_int64(st, 0);
        r->inbound = sqlite3_column_int(st, 10) != 0;
        int pc = r->inbound ? 4 : 3;
        r->port_null = sqlite3_column_type(st, pc) == SQLITE_NULL;
        r->port = r->port_null ? 0 : sqlite3_column_int64(st, pc);
        r->sent = sqlite3_column_double(st, 6);
        r->recv = sqlite3_column_double(st, 7);
        r->name_null = sqlite3_column_type(st, 9) == SQLITE_NULL;
        r->host = put_text(b, sqlite3_column_text(st, 1), &oom);
        r->proto = put_text(b, sqlite3_column_text(st, 5), &oom);
        r->comm = put_text(b, sqlite3_column_text(st, 8), &oom);
        r->name = r->name_null ? 0 : put_text(b, sqlite3_column_text(st, 9), &oom);
        if (oom)
            rc = PF_E_NOMEM;
    }
    if (!rc && step != SQLITE_DONE) {
        snprintf(err, errlen, "top_remotes: %s", sqlite3_errmsg(b->db));
        rc = PFA_E_SQL;
    }
    sqlite3_finalize(st);
    if (!rc)
        rc = flush_address(b);
    if (rc == PF_E_NOMEM)
        snprintf(err, errlen, "top_remotes: out of memory");
    return rc;
}

int pfa_top_remotes_build(sqlite3 *db, size_t max_entries, char *err, size_t errlen)
{
    struct tr_build b = {.db = db};
    int rc = scan_hashed(&b, max_entries ? max_entries : TOP_HASH_MAX, err, errlen);
    if (rc == 1)
        rc = scan_streamed(&b, err, errlen);
    if (!rc)
        rc = write_groups(&b, err, errlen);
    if (rc == PF_E_NOMEM)
        snprintf(err, errlen, "top_remotes: out of memory");
    for (size_t i = 0; i < b.nparts; i++) {
        for (size_t k = 0; k < b.parts[i].n; k++)
            free(b.parts[i].heap[k]);
        free(b.parts[i].heap);
        free(b.parts[i].proto);
    }
    free(b.parts);
    free(b.part_slot);
    free(b.rows);
    free(b.pool);
    free(b.addr);
    free(b.list);
    return rc;
}
