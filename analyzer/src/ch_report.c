/* SPDX-License-Identifier: MIT */
/* Reading the fleet store: canned reports in ClickHouse's dialect
 * (queries/clickhouse/, chosen by the name of the SQLite report), their
 * parameters written as checked literals, and the result handed to the
 * SQLite printers through an in-memory database (see clickhouse.h). */
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
                flen[nf] = i - start == 2 && p[start] == '\\' && p[start + 1] == 'N'
                               ? NULL_FIELD
                               : tsv_unescape(p + start, i - start);
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

/* Loads the answer into a new table: `table` with columns c0.. and *select
 * reading them back under their names, or (select == NULL) with the
 * answer's column names themselves. */
static int load_result(char *p, size_t len, sqlite3 *mem, const char *table, struct pfa_buf *select, char *err,
                       size_t errlen)
{
    char *names[MAX_COLS], *types[MAX_COLS], *vals[MAX_COLS];
    size_t nlen[MAX_COLS], tlen[MAX_COLS], vlen[MAX_COLS];
    size_t pos = 0;
    int more;
    size_t nc = next_line(p, len, &pos, names, nlen, MAX_COLS, &more);
    size_t nt = next_line(p, len, &pos, types, tlen, MAX_COLS, &more);
    if (!nc || nc > MAX_COLS || nt != nc) {
        snprintf(err, errlen, "the server's answer is not a table (%zu names, %zu types)", nc, nt);
        return PFA_E_CH;
    }
    int kinds[MAX_COLS];
    struct pfa_buf ddl = {0}, ins = {0};
    struct pfa_buf *named = select ? select : &ddl; /* where the quoted names go */
    int rc = pfa_buf_printf(&ddl, "CREATE TABLE %s(", table) || (select && pfa_buf_printf(select, "SELECT ")) ||
             pfa_buf_printf(&ins, "INSERT INTO %s VALUES (", table);
    for (size_t c = 0; !rc && c < nc; c++) {
        kinds[c] = type_kind(types[c], tlen[c]);
        rc = (select && pfa_buf_printf(&ddl, "%sc%zu", c ? ", " : "", c)) ||
             pfa_buf_printf(&ins, "%s?", c ? ", " : "") ||
             pfa_buf_printf(named, select ? "%sc%zu AS \"" : "%s\"", c ? ", " : "", c);
        for (size_t k = 0; !rc && k < nlen[c]; k++) /* the name as an SQLite identifier */
            rc = names[c][k] == '"' ? pfa_buf_put(named, "\"\"", 2)
                 : names[c][k]      ? pfa_buf_put(named, names[c] + k, 1)
                                    : 0;
        if (!rc)
            rc = pfa_buf_put(named, "\"", 1);
    }
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
            const char *v = vals[c];
            if (kinds[c] == KIND_NULL || vlen[c] == NULL_FIELD) {
                sqlite3_bind_null(st, idx);
                continue;
            }
            char num[64];
            if ((kinds[c] == KIND_INT || kinds[c] == KIND_REAL) && vlen[c] < sizeof num) {
                memcpy(num, v, vlen[c]);
                num[vlen[c]] = '\0';
                char *end;
                errno = 0;
                if (kinds[c] == KIND_INT) {
                    long long x = strtoll(num, &end, 10);
                    if (!*end && !errno) {
                        sqlite3_bind_int64(st, idx, x);
                        continue;
                    }
                } else {
                    double d = strtod(num, &end);
                    if (!*end) {
                        sqlite3_bind_double(st, idx, d);
                        continue;
                    }
                }
            }
            sqlite3_bind_text(st, idx, v, (int)vlen[c], SQLITE_STATIC);
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
        } else if (sqlite3_open_v2(":memory:", mem, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
            snprintf(err, errlen, "out of memory");
            rc = PF_E_NOMEM;
        } else {
            rc = load_result(res.p, res.len, *mem, "r", select, err, errlen);
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
