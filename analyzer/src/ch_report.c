/* SPDX-License-Identifier: MIT */
/* Reading the fleet store: canned reports in ClickHouse's dialect
 * (queries/clickhouse/, chosen by the name of the SQLite report), their
 * parameters written as checked literals, and the result handed to the
 * SQLite printers as a table of an in-memory database: a virtual table over
 * the server's answer itself (see clickhouse.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clickhouse.h"
#include "embedded.h"

extern const struct pf_embedded_file pfa_ch_query_files[];
extern const size_t pfa_ch_query_files_count;

const char *pfa_ch_report_sql(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < pfa_ch_query_files_count; i++) {
        const char *f = pfa_ch_query_files[i].name;
        if (!strncmp(f, name, n) && !strcmp(f + n, ".sql"))
            return pfa_ch_query_files[i].data;
    }
    return NULL;
}

int pfa_ch_quote(struct pfa_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (pfa_buf_put(b, "'", 1))
        return PF_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        char esc[4] = {'\\', 'x', hex[ch >> 4], hex[ch & 15]};
        int rc;
        if (ch == '\\' || ch == '\'')
            rc = pfa_buf_put(b, esc, 1) || pfa_buf_put(b, s + i, 1);
        else if (ch < 0x20 || ch == 0x7f)
            rc = pfa_buf_put(b, esc, 4);
        else
            rc = pfa_buf_put(b, s + i, 1);
        if (rc)
            return PF_E_NOMEM;
    }
    return pfa_buf_put(b, "'", 1) ? PF_E_NOMEM : 0;
}

static int ident_start(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

static int ident_char(int c) { return ident_start(c) || (c >= '0' && c <= '9'); }

/* Walks sql: calls fn for every :name outside strings, quoted identifiers
 * and comments, and for every run of text between them (name == NULL). */
typedef int (*scan_fn)(void *ctx, const char *text, size_t len, int is_param);

static int scan_sql(const char *sql, scan_fn fn, void *ctx)
{
    const char *p = sql, *run = sql;
    while (*p) {
        if (*p == '\'' || *p == '"' || *p == '`') {
            char q = *p++;
            while (*p && *p != q) {
                if (*p == '\\' && p[1])
                    p++;
                p++;
            }
            if (*p)
                p++;
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
        } else if (*p == ':' && ident_start((unsigned char)p[1]) &&
                   (p == sql || (p[-1] != ':' && !ident_char((unsigned char)p[-1])))) {
            const char *e = p + 1;
            while (ident_char((unsigned char)*e))
                e++;
            int rc = fn(ctx, run, (size_t)(p - run), 0);
            if (!rc)
                rc = fn(ctx, p + 1, (size_t)(e - p - 1), 1);
            if (rc)
                return rc;
            p = run = e;
        } else {
            p++;
        }
    }
    return fn(ctx, run, (size_t)(p - run), 0);
}

struct names {
    struct pfa_buf select; /* SELECT :a, :b ... for the SQLite binder */
    char list[64][64];
    size_t n;
};

static int collect_name(void *ctx, const char *text, size_t len, int is_param)
{
    struct names *nm = ctx;
    if (!is_param)
        return 0;
    if (len >= sizeof nm->list[0])
        return PFA_E_PARAM;
    for (size_t i = 0; i < nm->n; i++)
        if (strlen(nm->list[i]) == len && !strncmp(nm->list[i], text, len))
            return 0;
    if (nm->n == sizeof nm->list / sizeof nm->list[0])
        return PFA_E_PARAM;
    memcpy(nm->list[nm->n], text, len);
    nm->list[nm->n][len] = '\0';
    size_t at = nm->n++;
    return pfa_buf_printf(&nm->select, "%s:%s", at ? ", " : "SELECT ", nm->list[at]) ? PF_E_NOMEM : 0;
}

struct subst {
    struct names *nm;
    struct pfa_buf lit[64];
    struct pfa_buf *out;
};

static int put_literal(void *ctx, const char *text, size_t len, int is_param)
{
    struct subst *s = ctx;
    if (!is_param)
        return pfa_buf_put(s->out, text, len) ? PF_E_NOMEM : 0;
    for (size_t i = 0; i < s->nm->n; i++)
        if (strlen(s->nm->list[i]) == len && !strncmp(s->nm->list[i], text, len))
            return pfa_buf_put(s->out, s->lit[i].p, s->lit[i].len) ? PF_E_NOMEM : 0;
    return PFA_E_PARAM;
}

int pfa_ch_bind_sql(const char *sql, const struct pfa_report *rep, const struct pfa_kv *kv, size_t nkv, int utc,
                    int64_t start_ns, struct pfa_buf *out, char *err, size_t errlen)
{
    if (rep) /* every user parameter must mean something to the report */
        for (size_t k = 0; k < nkv; k++) {
            int found = 0;
            for (size_t i = 0; i < rep->nparams; i++)
                found |= !strcmp(rep->params[i].name, kv[k].key);
            if (!found) {
                snprintf(err, errlen, "report %s has no parameter '%s'", rep->name, kv[k].key);
                return PFA_E_PARAM;
            }
        }
    struct names nm;
    memset(&nm, 0, sizeof nm);
    int rc = scan_sql(sql, collect_name, &nm);
    if (rc) {
        snprintf(err, errlen, "too many or too long :parameters in the statement");
        pfa_buf_free(&nm.select);
        return rc;
    }
    struct subst s;
    memset(&s, 0, sizeof s);
    s.nm = &nm;
    s.out = out;
    if (nm.n) {
        /* the SQLite binder checks and converts: the same rules as a SQLite
         * report (relative times count from `captures`' earliest start) */
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL, *ins = NULL;
        rc = PFA_E_SQL;
        if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) == SQLITE_OK &&
            sqlite3_exec(db, "CREATE TABLE captures(started_ns INTEGER)", NULL, NULL, NULL) == SQLITE_OK &&
            sqlite3_prepare_v2(db, "INSERT INTO captures VALUES (?)", -1, &ins, NULL) == SQLITE_OK &&
            sqlite3_bind_int64(ins, 1, start_ns) == SQLITE_OK && sqlite3_step(ins) == SQLITE_DONE &&
            sqlite3_prepare_v2(db, nm.select.p, -1, &st, NULL) == SQLITE_OK)
            rc = pfa_bind_params(db, st, rep, kv, nkv, utc, err, errlen);
        else
            snprintf(err, errlen, "parameters: %s", db ? sqlite3_errmsg(db) : "out of memory");
        if (!rc && sqlite3_step(st) != SQLITE_ROW) {
            snprintf(err, errlen, "parameters: %s", sqlite3_errmsg(db));
            rc = PFA_E_SQL;
        }
        for (size_t i = 0; !rc && i < nm.n; i++) {
            int col = (int)i;
            switch (sqlite3_column_type(st, col)) {
            case SQLITE_NULL: rc = pfa_buf_put(&s.lit[i], "NULL", 4); break;
            case SQLITE_INTEGER: {
                long long v = sqlite3_column_int64(st, col);
                rc = pfa_buf_printf(&s.lit[i], v < 0 ? "(%lld)" : "%lld", v);
                break;
            }
            case SQLITE_FLOAT: rc = pfa_buf_printf(&s.lit[i], "%.17g", sqlite3_column_double(st, col)); break;
            default:
                rc = pfa_ch_quote(&s.lit[i], (const char *)sqlite3_column_text(st, col),
                                  (size_t)sqlite3_column_bytes(st, col));
            }
        }
        sqlite3_finalize(st);
        sqlite3_finalize(ins);
        sqlite3_close(db);
    }
    if (!rc)
        rc = scan_sql(sql, put_literal, &s);
    if (rc == PF_E_NOMEM)
        snprintf(err, errlen, "out of memory");
    for (size_t i = 0; i < 64; i++)
        pfa_buf_free(&s.lit[i]);
    pfa_buf_free(&nm.select);
    return rc;
}

/* ------------------------------------------------------------ results */

/* One TabSeparated field, unescaped in place; returns its length. */
static size_t tsv_unescape(char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '\\' && i + 1 < n) {
            ch = s[++i];
            switch (ch) {
            case 'n': ch = '\n'; break;
            case 't': ch = '\t'; break;
            case 'r': ch = '\r'; break;
            case 'b': ch = '\b'; break;
            case 'f': ch = '\f'; break;
            case '0': ch = '\0'; break;
            default: break; /* \\ \' and the like stand for themselves */
            }
        }
        s[o++] = ch;
    }
    return o;
}

enum kind { KIND_TEXT, KIND_INT, KIND_REAL, KIND_NULL };

static int type_kind(const char *t, size_t n)
{
    if (n > 10 && !strncmp(t, "Nullable(", 9)) {
        t += 9;
        n -= 10;
    }
    if (n >= 7 && !strncmp(t, "Nothing", 7))
        return KIND_NULL;
    if ((n >= 3 && !strncmp(t, "Int", 3)) || (n >= 4 && !strncmp(t, "UInt", 4) && strncmp(t, "UInt64", n)))
        return KIND_INT;
    if (n == 6 && !strncmp(t, "UInt64", 6))
        return KIND_INT; /* beyond 2^63 is checked per value */
    if (n >= 5 && !strncmp(t, "Float", 5))
        return KIND_REAL;
    return KIND_TEXT;
}

#define NULL_FIELD ((size_t)-1)

/* Splits the next line of b at *pos into fields (tabs), unescaped. */
static size_t next_line(char *p, size_t len, size_t *pos, char **fields, size_t *flen, size_t cap, int *more)
{
    size_t i = *pos, nf = 0;
    *more = i < len;
    if (!*more)
        return 0;
    size_t start = i;
    for (;; i++) {
        if (i == len || p[i] == '\t' || p[i] == '\n') {
            if (nf < cap) {
                fields[nf] = p + start;
                /* a bare \N is NULL (a text "\N" comes as \\N) */
                flen[nf] = i - start == 2 && p[start] == '\\' && p[start + 1] == 'N' ? NULL_FIELD
                           : memchr(p + start, '\\', i - start) ? tsv_unescape(p + start, i - start)
                                                                : i - start;
            }
            nf++;
            if (i == len || p[i] == '\n')
                break;
            start = i + 1;
        }
    }
    *pos = i < len ? i + 1 : len;
    return nf;
}

#define MAX_COLS 256

/* How a field of the answer goes into SQLite (both paths below): as
 * load_result binds it, so the printers see the same types and bytes. */
enum value_type { V_NULL, V_INT, V_REAL, V_TEXT };

static int field_value(int kind, const char *v, size_t vlen, long long *i, double *d)
{
    if (kind == KIND_NULL || vlen == NULL_FIELD)
        return V_NULL;
    if (kind == KIND_INT && vlen && vlen <= 20) {
        /* the server's usual form (optional '-', up to 19 digits, no
         * leading zero) read directly; anything else as below */
        int neg = v[0] == '-';
        size_t k = (size_t)neg;
        uint64_t x = 0;
        if (k < vlen && vlen - k <= 19 && (v[k] != '0' || vlen - k == 1)) {
            for (; k < vlen && v[k] >= '0' && v[k] <= '9'; k++)
                x = x * 10 + (uint64_t)(v[k] - '0');
            if (k == vlen && x <= (uint64_t)INT64_MAX + (uint64_t)neg) {
                *i = neg ? (long long)(0 - x) : (long long)x;
                return V_INT;
            }
        }
    }
    char num[64];
    if ((kind == KIND_INT || kind == KIND_REAL) && vlen < sizeof num) {
        memcpy(num, v, vlen);
        num[vlen] = '\0';
        char *end;
        errno = 0;
        if (kind == KIND_INT) {
            *i = strtoll(num, &end, 10);
            if (!*end && !errno)
                return V_INT;
        } else {
            *d = strtod(num, &end);
            if (!*end)
                return V_REAL;
        }
    }
    return V_TEXT;
}

/* The two header lines: names and types, kinds[] from the types. On
 * success *pos is the offset of the first row. */
static int read_header(char *p, size_t len, size_t *pos, char **names, size_t *nlen, int *kinds, size_t *nc_out,
                       char *err, size_t errlen)
{
    char *types[MAX_COLS];
    size_t tlen[MAX_COLS];
    int more;
    *pos = 0;
    size_t nc = next_line(p, len, pos, names, nlen, MAX_COLS, &more);
    size_t nt = next_line(p, len, pos, types, tlen, MAX_COLS, &more);
    if (!nc || nc > MAX_COLS || nt != nc) {
        snprintf(err, errlen, "the server's answer is not a table (%zu names, %zu types)", nc, nt);
        return PFA_E_CH;
    }
    for (size_t c = 0; c < nc; c++)
        kinds[c] = type_kind(types[c], tlen[c]);
    *nc_out = nc;
    return 0;
}

/* Appends a column name as an SQLite identifier (quoted; NULs dropped). */
static int put_ident(struct pfa_buf *b, const char *name, size_t n)
{
    int rc = pfa_buf_put(b, "\"", 1);
    for (size_t k = 0; !rc && k < n; k++)
        rc = name[k] == '"' ? pfa_buf_put(b, "\"\"", 2) : name[k] ? pfa_buf_put(b, name + k, 1) : 0;
    return rc || pfa_buf_put(b, "\"", 1);
}

/* Loads the answer into a new table: `table` with columns c0.. and *select
 * reading them back under their names, or (select == NULL) with the
 * answer's column names themselves. */
static int load_result(char *p, size_t len, sqlite3 *mem, const char *table, struct pfa_buf *select, char *err,
                       size_t errlen)
{
    char *names[MAX_COLS], *vals[MAX_COLS];
    size_t nlen[MAX_COLS], vlen[MAX_COLS];
    size_t pos = 0, nc = 0;
    int more;
    int kinds[MAX_COLS];
    int rc = read_header(p, len, &pos, names, nlen, kinds, &nc, err, errlen);
    if (rc)
        return rc;
    struct pfa_buf ddl = {0}, ins = {0};
    struct pfa_buf *named = select ? select : &ddl; /* where the quoted names go */
    rc = pfa_buf_printf(&ddl, "CREATE TABLE %s(", table) || (select && pfa_buf_printf(select, "SELECT ")) ||
         pfa_buf_printf(&ins, "INSERT INTO %s VALUES (", table);
    for (size_t c = 0; !rc && c < nc; c++)
        rc = (select && pfa_buf_printf(&ddl, "%sc%zu", c ? ", " : "", c)) ||
             pfa_buf_printf(&ins, "%s?", c ? ", " : "") ||
             pfa_buf_printf(named, select ? "%sc%zu AS " : "%s", c ? ", " : "", c) ||
             put_ident(named, names[c], nlen[c]);
    if (!rc)
        rc = pfa_buf_printf(&ddl, ")") || pfa_buf_printf(&ins, ")") ||
             (select && pfa_buf_printf(select, " FROM %s ORDER BY rowid", table));
    sqlite3_stmt *st = NULL;
    if (rc) {
        snprintf(err, errlen, "out of memory");
        rc = PF_E_NOMEM;
    } else if (sqlite3_exec(mem, ddl.p, NULL, NULL, NULL) != SQLITE_OK ||
               sqlite3_exec(mem, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
               sqlite3_prepare_v2(mem, ins.p, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "result table: %s", sqlite3_errmsg(mem));
        rc = PFA_E_SQL;
    }
    while (!rc) {
        size_t nv = next_line(p, len, &pos, vals, vlen, MAX_COLS, &more);
        if (!more)
            break;
        if (nv != nc) {
            snprintf(err, errlen, "the server's answer has a row of %zu fields, not %zu", nv, nc);
            rc = PFA_E_CH;
            break;
        }
        for (size_t c = 0; c < nc; c++) {
            int idx = (int)c + 1;
            long long i = 0;
            double d = 0;
            switch (field_value(kinds[c], vals[c], vlen[c], &i, &d)) {
            case V_NULL: sqlite3_bind_null(st, idx); break;
            case V_INT: sqlite3_bind_int64(st, idx, i); break;
            case V_REAL: sqlite3_bind_double(st, idx, d); break;
            default: sqlite3_bind_text(st, idx, vals[c], (int)vlen[c], SQLITE_STATIC);
            }
        }
        if (sqlite3_step(st) != SQLITE_DONE) {
            snprintf(err, errlen, "result table: %s", sqlite3_errmsg(mem));
            rc = PFA_E_SQL;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (!rc && sqlite3_exec(mem, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "result table: %s", sqlite3_errmsg(mem));
        rc = PFA_E_SQL;
    }
    pfa_buf_free(&ddl);
    pfa_buf_free(&ins);
    return rc;
}

/* ------------------------------------------------- the answer as a table */

/* A report's answer is read once, in order, by the printers: instead of
 * copying every row into a table first (slow for millions of rows), the
 * answer itself is a read-only virtual table. Each row is split and
 * unescaped when the scan reaches it, and its values handed to SQLite as
 * load_result would bind them (field_value), so the printers see the same
 * types and bytes either way. */
struct answer {
    char *p; /* the server's body, owned */
    size_t len, first_row, nrows, nc;
    int kinds[MAX_COLS];
};

struct answer_vtab {
    sqlite3_vtab base;
    const struct answer *a;
};

struct answer_cursor {
    sqlite3_vtab_cursor base;
    const struct answer *a;
    size_t pos;          /* the next row's offset */
    sqlite3_int64 rowid; /* 1.. as a new table numbers its rows; 0 before the first */
    int eof;
    struct pfa_buf line; /* the current row, unescaped in place */
    char *vals[MAX_COLS];
    size_t vlen[MAX_COLS];
};

static void answer_free(void *p)
{
    struct answer *a = p;
    if (a)
        free(a->p);
    free(a);
}

static int answer_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **errp)
{
    (void)argc;
    (void)argv;
    (void)errp;
    const struct answer *a = aux;
    struct pfa_buf ddl = {0};
    int rc = pfa_buf_printf(&ddl, "CREATE TABLE x(");
    for (size_t c = 0; !rc && c < a->nc; c++)
        rc = pfa_buf_printf(&ddl, "%sc%zu", c ? ", " : "", c);
    rc = rc || pfa_buf_printf(&ddl, ")");
    struct answer_vtab *v = rc ? NULL : calloc(1, sizeof *v);
    if (!v || sqlite3_declare_vtab(db, ddl.p) != SQLITE_OK) {
        pfa_buf_free(&ddl);
        free(v);
        return v ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    pfa_buf_free(&ddl);
    v->a = a;
    *out = &v->base;
    return SQLITE_OK;
}

static int answer_disconnect(sqlite3_vtab *v)
{
    free(v);
    return SQLITE_OK;
}

static int answer_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
    const struct answer *a = ((struct answer_vtab *)v)->a;
    /* rows come in rowid order: ORDER BY rowid needs no sort */
    if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn < 0 && !info->aOrderBy[0].desc)
        info->orderByConsumed = 1;
    info->estimatedRows = (sqlite3_int64)a->nrows;
    info->estimatedCost = (double)a->nrows + 1;
    return SQLITE_OK;
}

static int answer_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
    struct answer_cursor *cur = calloc(1, sizeof *cur);
    if (!cur)
        return SQLITE_NOMEM;
    cur->a = ((struct answer_vtab *)v)->a;
    cur->eof = 1;
    *out = &cur->base;
    return SQLITE_OK;
}

static int answer_close(sqlite3_vtab_cursor *c)
{
    struct answer_cursor *cur = (struct answer_cursor *)c;
    pfa_buf_free(&cur->line);
    free(cur);
    return SQLITE_OK;
}

/* Moves to the row at cur->pos: a copy of its line, split and unescaped
 * (read_answer checked every row's field count). */
static int answer_next(sqlite3_vtab_cursor *c)
{
    struct answer_cursor *cur = (struct answer_cursor *)c;
    const struct answer *a = cur->a;
    if (cur->pos >= a->len) {
        cur->eof = 1;
        return SQLITE_OK;
    }
    const char *start = a->p + cur->pos;
    const char *nl = memchr(start, '\n', a->len - cur->pos);
    size_t n = nl ? (size_t)(nl - start) + 1 : a->len - cur->pos; /* with its newline */
    cur->line.len = 0;
    if (pfa_buf_put(&cur->line, start, n))
        return SQLITE_NOMEM;
    size_t at = 0;
    int more;
    next_line(cur->line.p, n, &at, cur->vals, cur->vlen, MAX_COLS, &more);
    cur->pos += n;
    cur->rowid++;
    cur->eof = 0;
    return SQLITE_OK;
}

static int answer_filter(sqlite3_vtab_cursor *c, int idx, const char *idxstr, int argc, sqlite3_value **argv)
{
    (void)idx;
    (void)idxstr;
    (void)argc;
    (void)argv;
    struct answer_cursor *cur = (struct answer_cursor *)c;
    cur->pos = cur->a->first_row;
    cur->rowid = 0;
    return answer_next(c);
}

static int answer_eof(sqlite3_vtab_cursor *c) { return ((struct answer_cursor *)c)->eof; }

static int answer_column(sqlite3_vtab_cursor *c, sqlite3_context *ctx, int col)
{
    struct answer_cursor *cur = (struct answer_cursor *)c;
    long long i = 0;
    double d = 0;
    switch (field_value(cur->a->kinds[col], cur->vals[col], cur->vlen[col], &i, &d)) {
    case V_NULL: sqlite3_result_null(ctx); break;
    case V_INT: sqlite3_result_int64(ctx, i); break;
    case V_REAL: sqlite3_result_double(ctx, d); break;
    default: sqlite3_result_text(ctx, cur->vals[col], (int)cur->vlen[col], SQLITE_TRANSIENT);
    }
    return SQLITE_OK;
}

static int answer_rowid(sqlite3_vtab_cursor *c, sqlite3_int64 *rowid)
{
    *rowid = ((struct answer_cursor *)c)->rowid;
    return SQLITE_OK;
}

static const sqlite3_module answer_module = {
    .iVersion = 1,
    .xCreate = answer_connect,
    .xConnect = answer_connect,
    .xBestIndex = answer_best_index,
    .xDisconnect = answer_disconnect,
    .xDestroy = answer_disconnect,
    .xOpen = answer_open,
    .xClose = answer_close,
    .xFilter = answer_filter,
    .xNext = answer_next,
    .xEof = answer_eof,
    .xColumn = answer_column,
    .xRowid = answer_rowid,
};

/* Checks the answer (its header, and that every row has a field per
 * column, so a bad answer is refused before anything prints) and makes it
 * table `r` of a new in-memory database; takes *body (freed with *mem). */
static int read_answer(struct pfa_buf *body, sqlite3 **mem, struct pfa_buf *select, char *err, size_t errlen)
{
    struct answer *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return PF_E_NOMEM;
    }
    a->p = body->p;
    a->len = body->len;
    memset(body, 0, sizeof *body);
    char *names[MAX_COLS];
    size_t nlen[MAX_COLS];
    int rc = read_header(a->p, a->len, &a->first_row, names, nlen, a->kinds, &a->nc, err, errlen);
    for (size_t pos = a->first_row; !rc && pos < a->len; a->nrows++) {
        const char *start = a->p + pos, *nl = memchr(start, '\n', a->len - pos);
        size_t n = nl ? (size_t)(nl - start) : a->len - pos, fields = 1;
        for (const char *t = start; (t = memchr(t, '\t', n - (size_t)(t - start))) != NULL; t++)
            fields++;
        if (fields != a->nc) {
            snprintf(err, errlen, "the server's answer has a row of %zu fields, not %zu", fields, a->nc);
            rc = PFA_E_CH;
        }
        pos += nl ? n + 1 : n;
    }
    /* the names, unescaped in place by read_header, go into *select */
    if (!rc && pfa_buf_printf(select, "SELECT "))
        rc = PF_E_NOMEM;
    for (size_t c = 0; !rc && c < a->nc; c++)
        rc = pfa_buf_printf(select, "%sc%zu AS ", c ? ", " : "", c) || put_ident(select, names[c], nlen[c]) ? PF_E_NOMEM
                                                                                                            : 0;
    if (!rc && pfa_buf_printf(select, " FROM r ORDER BY rowid"))
        rc = PF_E_NOMEM;
    if (rc) {
        answer_free(a);
        if (rc == PF_E_NOMEM)
            snprintf(err, errlen, "out of memory");
        return rc;
    }
    /* one thread reads it: no per-call locking */
    if (sqlite3_open_v2(":memory:", mem, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        answer_free(a);
        snprintf(err, errlen, "out of memory");
        return PF_E_NOMEM;
    }
    /* the module owns the answer from here (freed when *mem closes) */
    if (sqlite3_create_module_v2(*mem, "pfa_answer", &answer_module, a, answer_free) != SQLITE_OK ||
        sqlite3_exec(*mem, "CREATE VIRTUAL TABLE r USING pfa_answer", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "result table: %s", sqlite3_errmsg(*mem));
        return PFA_E_SQL;
    }
    return 0;
}

int pfa_ch_answer_db(struct pfa_buf *body, int copy, sqlite3 **mem, struct pfa_buf *select, char *err, size_t errlen)
{
    *mem = NULL;
    if (!body->p) {
        snprintf(err, errlen, "an empty answer");
        return PFA_E_CH;
    }
    if (!copy)
        return read_answer(body, mem, select, err, errlen);
    if (sqlite3_open_v2(":memory:", mem, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "out of memory");
        return PF_E_NOMEM;
    }
    int rc = load_result(body->p, body->len, *mem, "r", select, err, errlen);
    pfa_buf_free(body);
    return rc;
}

int pfa_ch_fetch(pfa_ch *c, const char *sql, const struct pfa_report *rep, const struct pfa_kv *kv, size_t nkv, int utc,
                 sqlite3 **mem, struct pfa_buf *select, char *err, size_t errlen)
{
    *mem = NULL;
    const struct pfa_ch_target *t = pfa_ch_target_of(c);
    char settings[400];
    /* readonly=2: the server refuses writes but takes the settings below;
     * join_use_nulls: an outer join's missing side is NULL, as in SQLite */
    snprintf(settings, sizeof settings, "readonly=2&join_use_nulls=1&database=%s", t->database);
    int64_t start_ns = 0;
    int relative = 0;
    for (size_t k = 0; k < nkv; k++)
        relative |= kv[k].value[0] == '+' || kv[k].value[0] == '-';
    struct pfa_buf q = {0}, res = {0};
    int rc = 0;
    if (relative) { /* "+90s" counts from the earliest complete capture */
        rc = pfa_ch_select(c, "SELECT ifNull(min(started_ns), 0) FROM visible_captures", settings, &res, err, errlen);
        if (!rc)
            start_ns = res.p ? strtoll(res.p, NULL, 10) : 0;
        res.len = 0;
    }
    if (!rc)
        rc = pfa_ch_bind_sql(sql, rep, kv, nkv, utc, start_ns, &q, err, errlen);
    if (!rc) { /* one statement: its trailing ';' goes, the format is ours */
        while (q.len && (q.p[q.len - 1] == ';' || q.p[q.len - 1] == ' ' || q.p[q.len - 1] == '\n' ||
                         q.p[q.len - 1] == '\t' || q.p[q.len - 1] == '\r'))
            q.len--;
        rc = pfa_buf_printf(&q, "\nFORMAT TabSeparatedWithNamesAndTypes") ? PF_E_NOMEM : 0;
    }
    if (!rc) {
        rc = pfa_ch_select(c, q.p, settings, &res, err, errlen);
        if (rc && strstr(err, "Code: 164,")) { /* READONLY */
            size_t n = strlen(err);
            snprintf(err + n, errlen - n, " (query only reads the store)");
            rc = PFA_E_DENIED;
        }
    }
    if (!rc) {
        if (!res.p) {
            snprintf(err, errlen, "clickhouse %s: an empty answer", pfa_ch_name(c));
            rc = PFA_E_CH;
        } else {
            rc = pfa_ch_answer_db(&res, 0, mem, select, err, errlen);
        }
    }
    if (rc == PF_E_NOMEM)
        snprintf(err, errlen, "out of memory");
    pfa_buf_free(&q);
    pfa_buf_free(&res);
    return rc;
}

/* ------------------------------------------------------------ to SQLite */

extern const struct pf_embedded_file pfa_ch_sql_files[];
extern const size_t pfa_ch_sql_files_count;

int pfa_ch_to_sqlite(pfa_ch *c, sqlite3 *db, char *err, size_t errlen)
{
    static const char *const tables[] = {"meta",      "captures", "processes", "flows", "bytes",    "bytes_rollup",
                                         "snapshots", "losses",   "damage",    "dns",   "hostinfo", "markers"};
    const char *script = NULL;
    for (size_t i = 0; i < pfa_ch_sql_files_count; i++)
        if (!strcmp(pfa_ch_sql_files[i].name, "clickhouse-local.sql"))
            script = pfa_ch_sql_files[i].data;
    if (!script) {
        snprintf(err, errlen, "clickhouse: the local copy script is not built in");
        return PFA_E_CH;
    }
    char settings[400], sql[300], name[64];
    snprintf(settings, sizeof settings, "readonly=2&database=%s", pfa_ch_target_of(c)->database);
    struct pfa_buf res = {0};
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof tables / sizeof *tables; i++) {
        /* only complete captures (visible_*); gid: the global id as a signed number */
        if (i == 0)
            snprintf(sql, sizeof sql, "SELECT key, value FROM meta FORMAT TabSeparatedWithNamesAndTypes");
        else
            snprintf(sql, sizeof sql,
                     "SELECT toInt64(capture_id) AS gid, * FROM visible_%s FORMAT TabSeparatedWithNamesAndTypes",
                     tables[i]);
        res.len = 0;
        rc = pfa_ch_select(c, sql, settings, &res, err, errlen);
        if (!rc && !res.p) {
            snprintf(err, errlen, "clickhouse %s: an empty answer", pfa_ch_name(c));
            rc = PFA_E_CH;
        }
        snprintf(name, sizeof name, "temp.ch_%s", tables[i]);
        if (!rc)
            rc = load_result(res.p, res.len, db, name, NULL, err, errlen);
    }
    pfa_buf_free(&res);
    if (!rc)
        rc = pfa_db_exec(db, "BEGIN", err, errlen);
    if (!rc) {
        rc = pfa_db_exec(db, script, err, errlen);
        if (!rc)
            rc = pfa_db_exec(db, "COMMIT", err, errlen);
        else {
            char ignored[64];
            pfa_db_exec(db, "ROLLBACK", ignored, sizeof ignored);
        }
    }
    if (!rc) /* indexes, clock offsets and conversations, as after an ingest */
        rc = pfa_ingest_finish(db, err, errlen);
    return rc;
}
