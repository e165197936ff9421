/* Canned reports (the .sql files of queries/, embedded), parameters, and
 * table, CSV or JSON form. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "pfa.h"

extern const struct pf_embedded_file pfa_query_files[];
extern const size_t pfa_query_files_count;

/* ------------------------------------------------------------ catalogue */

static struct pfa_report *g_reports;
static size_t g_nreports;

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    size_t i = 0;
    while (s[i] && isspace((unsigned char)s[i]))
        i++;
    memmove(s, s + i, strlen(s + i) + 1);
}

static int parse_type(const char *t)
{
    if (!strcmp(t, "text"))
        return PFA_P_TEXT;
    if (!strcmp(t, "int"))
        return PFA_P_INT;
    if (!strcmp(t, "time"))
        return PFA_P_TIME;
    if (!strcmp(t, "duration"))
        return PFA_P_DURATION;
    if (!strcmp(t, "addr"))
        return PFA_P_ADDR;
    if (!strcmp(t, "list"))
        return PFA_P_LIST;
    return -1;
}

int pfa_report_parse(struct pfa_report *r, const char *name, const char *text)
{
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    char *dot = strrchr(r->name, '.');
    if (dot && !strcmp(dot, ".sql"))
        *dot = 0;
    r->sql = text;
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len < 2 || p[0] != '-' || p[1] != '-')
            break; /* header ends at the first non-comment line */
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(len - 2 < sizeof line - 1 ? len - 2 : sizeof line - 1), p + 2);
        trim(line);
        if (!strncmp(line, "name:", 5)) {
            char *v = line + 5;
            trim(v);
            snprintf(r->name, sizeof r->name, "%.63s", v);
        } else if (!strncmp(line, "description:", 12)) {
            char *v = line + 12;
            trim(v);
            snprintf(r->description, sizeof r->description, "%.255s", v);
        } else if (!strncmp(line, "param:", 6)) {
            if (r->nparams == sizeof r->params / sizeof r->params[0])
                return PFA_E_PARAM;
            struct pfa_param *pp = &r->params[r->nparams];
            char pname[64], ptype[32], pdef[128];
            int used = 0;
            if (sscanf(line + 6, " %63s %31s %127s %n", pname, ptype, pdef, &used) < 3)
                return PFA_E_PARAM;
            int t = parse_type(ptype);
            if (t < 0)
                return PFA_E_PARAM;
            snprintf(pp->name, sizeof pp->name, "%s", pname);
            pp->type = t;
            pp->required = !strcmp(pdef, "required");
            if (!pp->required && strcmp(pdef, "null"))
                snprintf(pp->defval, sizeof pp->defval, "%s", pdef);
            snprintf(pp->help, sizeof pp->help, "%.255s", line + 6 + used);
            r->nparams++;
        }
        if (!eol)
            break;
        p = eol + 1;
    }
    return 0;
}

static int cmp_report(const void *a, const void *b)
{
    return strcmp(((const struct pfa_report *)a)->name, ((const struct pfa_report *)b)->name);
}

size_t pfa_reports(const struct pfa_report **out)
{
    if (!g_reports) {
        struct pfa_report *list = calloc(pfa_query_files_count ? pfa_query_files_count : 1, sizeof *list);
        if (!list) {
            *out = NULL;
            return 0;
        }
        size_t n = 0;
        for (size_t i = 0; i < pfa_query_files_count; i++)
            if (pfa_report_parse(&list[n], pfa_query_files[i].name, pfa_query_files[i].data) == 0)
                n++;
        qsort(list, n, sizeof *list, cmp_report);
        g_reports = list;
        g_nreports = n;
    }
    *out = g_reports;
    return g_nreports;
}

const struct pfa_report *pfa_report_find(const char *name)
{
    const struct pfa_report *list;
    size_t n = pfa_reports(&list);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i].name, name))
            return &list[i];
    return NULL;
}

/* ------------------------------------------------------------ parameters */

static int capture_start(sqlite3 *db, int64_t *out)
{
    sqlite3_stmt *st;
    *out = 0;
    if (sqlite3_prepare_v2(db, "SELECT min(started_ns) FROM captures", -1, &st, NULL) != SQLITE_OK)
        return PFA_E_SQL;
    if (sqlite3_step(st) == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return 0;
}

static int is_integer(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    if (!*s || strlen(s) > 18)
        return 0;
    return strspn(s, "0123456789") == strlen(s);
}

static int bind_typed(sqlite3 *db, sqlite3_stmt *st, int idx, const struct pfa_param *pp, const char *v, int utc,
                      char *err, size_t errlen)
{
    int type = pp ? pp->type : -1;
    const char *pname = pp ? pp->name : "";
    switch (type) {
    case PFA_P_INT:
        if (!is_integer(v)) {
            snprintf(err, errlen, "parameter %s: '%s' is not an integer", pname, v);
            return PFA_E_PARAM;
        }
        return sqlite3_bind_int64(st, idx, strtoll(v, NULL, 10)) == SQLITE_OK ? 0 : PFA_E_SQL;
    case PFA_P_TIME: {
        int64_t base = 0, ns;
        if (v[0] == '+' || v[0] == '-')
            capture_start(db, &base);
        if (pfa_parse_time(v, base, utc, &ns)) {
            snprintf(err, errlen,
                     "parameter %s: '%s' is not a time (ISO-8601 like 2024-05-01T12:00:00Z, +90s from "
                     "capture start, or @NS)",
                     pname, v);
            return PFA_E_PARAM;
        }
        return sqlite3_bind_int64(st, idx, ns) == SQLITE_OK ? 0 : PFA_E_SQL;
    }
    case PFA_P_DURATION: {
        int64_t ns;
        if (pfa_parse_duration(v, &ns) || ns <= 0) {
            snprintf(err, errlen, "parameter %s: '%s' is not a duration (like 10s, 500ms, 5m)", pname, v);
            return PFA_E_PARAM;
        }
        return sqlite3_bind_int64(st, idx, ns) == SQLITE_OK ? 0 : PFA_E_SQL;
    }
    case PFA_P_ADDR: {
        uint8_t a[16];
        char buf[PF_ADDR_STRLEN];
        int fam = pf_addr_from_string(v, a);
        if (!fam) {
            snprintf(err, errlen, "parameter %s: '%s' is not an IPv4 or IPv6 address", pname, v);
            return PFA_E_PARAM;
        }
        const char *canon = pf_addr_to_string((uint8_t)fam, a, buf, sizeof buf);
        return sqlite3_bind_text(st, idx, canon ? canon : v, -1, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : PFA_E_SQL;
    }
    case PFA_P_TEXT:
        return sqlite3_bind_text(st, idx, v, -1, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : PFA_E_SQL;
    default:
        /* ad-hoc query: integers as integers, the rest as text */
        if (is_integer(v))
            return sqlite3_bind_int64(st, idx, strtoll(v, NULL, 10)) == SQLITE_OK ? 0 : PFA_E_SQL;
        return sqlite3_bind_text(st, idx, v, -1, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : PFA_E_SQL;
    }
}

int pfa_bind_params(sqlite3 *db, sqlite3_stmt *st, const struct pfa_report *rep, const struct pfa_kv *kv,
                    size_t nkv, int utc, char *err, size_t errlen)
{
    int n = sqlite3_bind_parameter_count(st);
    for (int i = 1; i <= n; i++) {
        const char *pn = sqlite3_bind_parameter_name(st, i);
        if (!pn) {
            snprintf(err, errlen, "positional parameters (?) are not supported; use :name");
            return PFA_E_PARAM;
        }
        pn++; /* skip : @ $ */
        const struct pfa_param *pp = NULL;
        if (rep)
            for (size_t k = 0; k < rep->nparams; k++)
                if (!strcmp(rep->params[k].name, pn))
                    pp = &rep->params[k];
        const char *v = NULL;
        for (size_t k = 0; k < nkv; k++)
            if (!strcmp(kv[k].key, pn))
                v = kv[k].value;
        if (v && pp && pp->type == PFA_P_LIST) {
            /* repeatable: every value, one per line (the SQL matches whole lines) */
            struct pfa_buf all = {0};
            for (size_t k = 0; k < nkv; k++)
                if (!strcmp(kv[k].key, pn))
                    pfa_buf_printf(&all, "%s%s", all.len ? "\n" : "", kv[k].value);
            int brc = all.p ? sqlite3_bind_text(st, i, all.p, (int)all.len, SQLITE_TRANSIENT) : SQLITE_NOMEM;
            pfa_buf_free(&all);
            if (brc != SQLITE_OK)
                return PFA_E_SQL;
            continue;
        }
        if (!v && pp && pp->defval[0])
            v = pp->defval;
        if (!v || !*v) {
            if (pp && pp->required) {
                snprintf(err, errlen, "report %s needs --param %s=VALUE (%s)", rep->name, pn, pp->help);
                return PFA_E_PARAM;
            }
            sqlite3_bind_null(st, i);
            continue;
        }
        int rc = bind_typed(db, st, i, pp, v, utc, err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------ output */

enum col_kind { K_PLAIN, K_TIME, K_DURATION, K_BYTES };

static int col_kind(const char *name)
{
    size_t n = strlen(name);
    if (n >= 7 && !strcmp(name + n - 7, "_dur_ns"))
        return K_DURATION;
    if (n >= 3 && !strcmp(name + n - 3, "_ns"))
        return K_TIME;
    if (!strncmp(name, "bytes", 5) || (n >= 6 && !strcmp(name + n - 6, "_bytes")))
        return K_BYTES;
    return K_PLAIN;
}

/* Widest cell (display width) that still aligns its column. */
#define MAX_ALIGN 1024

struct table {
    int ncols;
    size_t nrows, cap;
    struct pfa_buf *cells; /* nrows * ncols, escaped display text */
    size_t *widths;        /* per cell */
    int *numeric;          /* per column: right-align */
};

static void format_cell(struct pfa_buf *b, sqlite3_stmt *st, int col, int kind,
                        const struct pfa_output_options *o, size_t *width)
{
    int t = sqlite3_column_type(st, col);
    char tmp[96];
    if (t == SQLITE_NULL) {
        *width = 0;
        return;
    }
    if (t == SQLITE_INTEGER && !o->raw && kind != K_PLAIN) {
        int64_t v = sqlite3_column_int64(st, col);
        if (kind == K_TIME)
            pfa_format_time(tmp, sizeof tmp, v, o->utc);
        else if (kind == K_DURATION)
            pfa_format_duration(tmp, sizeof tmp, v);
        else
            pfa_human_bytes(tmp, sizeof tmp, (double)v);
        pfa_buf_put(b, tmp, strlen(tmp));
        *width = strlen(tmp);
        return;
    }
    if (t == SQLITE_FLOAT && kind == K_BYTES && !o->raw) {
        pfa_human_bytes(tmp, sizeof tmp, sqlite3_column_double(st, col));
        pfa_buf_put(b, tmp, strlen(tmp));
        *width = strlen(tmp);
        return;
    }
    if (t == SQLITE_BLOB) {
        const unsigned char *p = sqlite3_column_blob(st, col);
        int n = sqlite3_column_bytes(st, col);
        pfa_buf_put(b, "x'", 2);
        for (int i = 0; i < n; i++)
            pfa_buf_printf(b, "%02x", p[i]);
        pfa_buf_put(b, "'", 1);
        *width = (size_t)n * 2 + 3;
        return;
    }
    const char *s = (const char *)sqlite3_column_text(st, col);
    int n = sqlite3_column_bytes(st, col);
    *width = pfa_escape(b, s ? s : "", (size_t)n);
}

static int print_table(sqlite3_stmt *st, const struct pfa_output_options *o, FILE *out, int *step_rc)
{
    struct table t = {0};
    t.ncols = sqlite3_column_count(st);
    t.numeric = calloc((size_t)t.ncols, sizeof *t.numeric);
    int *kinds = calloc((size_t)t.ncols, sizeof *kinds);
    int *seen_text = calloc((size_t)t.ncols, sizeof *seen_text);
    if (!t.numeric || !kinds || !seen_text) {
        free(t.numeric);
        free(kinds);
        free(seen_text);
        return PF_E_NOMEM;
    }
    for (int c = 0; c < t.ncols; c++)
        kinds[c] = col_kind(sqlite3_column_name(st, c));
    int rc;
    int ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (t.nrows == t.cap) {
            size_t ncap = t.cap ? t.cap * 2 : 64;
            struct pfa_buf *nc = realloc(t.cells, ncap * (size_t)t.ncols * sizeof *nc);
            if (!nc) {
                ret = PF_E_NOMEM;
                break;
            }
            t.cells = nc;
            size_t *nw = realloc(t.widths, ncap * (size_t)t.ncols * sizeof *nw);
            if (!nw) {
                ret = PF_E_NOMEM;
                break;
            }
            t.widths = nw;
            memset(t.cells + t.cap * (size_t)t.ncols, 0, (ncap - t.cap) * (size_t)t.ncols * sizeof *nc);
            t.cap = ncap;
        }
        for (int c = 0; c < t.ncols; c++) {
            size_t i = t.nrows * (size_t)t.ncols + (size_t)c;
            int ty = sqlite3_column_type(st, c);
            if (ty == SQLITE_TEXT || ty == SQLITE_BLOB || (kinds[c] == K_TIME && ty == SQLITE_INTEGER && !o->raw))
                seen_text[c] = 1;
            format_cell(&t.cells[i], st, c, kinds[c], o, &t.widths[i]);
        }
        t.nrows++;
    }
    *step_rc = rc;
    size_t *colw = calloc((size_t)t.ncols, sizeof *colw);
    size_t *headw = calloc((size_t)t.ncols, sizeof *headw);
    struct pfa_buf *heads = calloc((size_t)t.ncols, sizeof *heads);
    if (!colw || !heads || !headw)
        ret = PF_E_NOMEM;
    for (int c = 0; c < t.ncols && !ret; c++) {
        const char *nm = sqlite3_column_name(st, c);
        colw[c] = headw[c] = pfa_escape(&heads[c], nm ? nm : "", nm ? strlen(nm) : 0);
        t.numeric[c] = !seen_text[c];
        for (size_t r = 0; r < t.nrows; r++) {
            size_t w = t.widths[r * (size_t)t.ncols + (size_t)c];
            /* A cell wider than MAX_ALIGN sticks out of its column instead of
             * widening it: one huge string from a capture must not pad every
             * other row to its width. */
            if (w > colw[c] && w <= MAX_ALIGN)
                colw[c] = w;
        }
    }
    if (!ret) {
        struct pfa_buf line = {0};
        for (int c = 0; c < t.ncols; c++) {
            size_t pad = colw[c] - headw[c];
            if (c)
                pfa_buf_put(&line, "  ", 2);
            if (t.numeric[c])
                for (size_t k = 0; k < pad; k++)
                    pfa_buf_put(&line, " ", 1);
            pfa_buf_put(&line, heads[c].p ? heads[c].p : "", heads[c].len);
            if (!t.numeric[c] && c + 1 < t.ncols)
                for (size_t k = 0; k < pad; k++)
                    pfa_buf_put(&line, " ", 1);
        }
        fprintf(out, "%s\n", line.p ? line.p : "");
        line.len = 0;
        for (int c = 0; c < t.ncols; c++) {
            if (c)
                pfa_buf_put(&line, "  ", 2);
            for (size_t k = 0; k < colw[c]; k++)
                pfa_buf_put(&line, "-", 1);
        }
        fprintf(out, "%s\n", line.p ? line.p : "");
        for (size_t r = 0; r < t.nrows; r++) {
            line.len = 0;
            for (int c = 0; c < t.ncols; c++) {
                size_t i = r * (size_t)t.ncols + (size_t)c;
                size_t pad = colw[c] > t.widths[i] ? colw[c] - t.widths[i] : 0;
                if (c)
                    pfa_buf_put(&line, "  ", 2);
                if (t.numeric[c])
                    for (size_t k = 0; k < pad; k++)
                        pfa_buf_put(&line, " ", 1);
                pfa_buf_put(&line, t.cells[i].p ? t.cells[i].p : "", t.cells[i].len);
                if (!t.numeric[c] && c + 1 < t.ncols)
                    for (size_t k = 0; k < pad; k++)
                        pfa_buf_put(&line, " ", 1);
            }
            /* no trailing blanks */
            while (line.len && line.p[line.len - 1] == ' ')
                line.p[--line.len] = 0;
            fprintf(out, "%s\n", line.p ? line.p : "");
        }
        fprintf(out, "(%zu row%s)\n", t.nrows, t.nrows == 1 ? "" : "s");
        pfa_buf_free(&line);
    }
    for (size_t i = 0; i < t.nrows * (size_t)t.ncols; i++)
        pfa_buf_free(&t.cells[i]);
    if (heads)
        for (int c = 0; c < t.ncols; c++)
            pfa_buf_free(&heads[c]);
    free(heads);
    free(headw);
    free(colw);
    free(t.cells);
    free(t.widths);
    free(t.numeric);
    free(kinds);
    free(seen_text);
    return ret;
}

/* Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR
 * first) gets a leading apostrophe: CSV of captured command lines is opened
 * by people in spreadsheet programs. Numbers are never text here. */
static void csv_field(struct pfa_buf *line, const char *s, size_t n, int is_text)
{
    struct pfa_buf e = {0};
    if (is_text && n && s[0] && strchr("=+-@\t\r", s[0]))
        pfa_buf_put(&e, "'", 1);
    pfa_escape(&e, s, n);
    const char *p = e.p ? e.p : "";
    int quote = e.len && (strpbrk(p, ",\"") || p[0] == ' ' || p[e.len - 1] == ' ');
    if (quote) {
        pfa_buf_put(line, "\"", 1);
        for (size_t i = 0; i < e.len; i++) {
            if (p[i] == '"')
                pfa_buf_put(line, "\"", 1);
            pfa_buf_put(line, p + i, 1);
        }
        pfa_buf_put(line, "\"", 1);
    } else {
        pfa_buf_put(line, p, e.len);
    }
    pfa_buf_free(&e);
}

static int print_csv(sqlite3_stmt *st, FILE *out, int *step_rc)
{
    int nc = sqlite3_column_count(st);
    struct pfa_buf line = {0};
    for (int c = 0; c < nc; c++) {
        if (c)
            pfa_buf_put(&line, ",", 1);
        const char *nm = sqlite3_column_name(st, c);
        csv_field(&line, nm ? nm : "", nm ? strlen(nm) : 0, 0);
    }
    fprintf(out, "%s\n", line.p ? line.p : "");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        line.len = 0;
        for (int c = 0; c < nc; c++) {
            if (c)
                pfa_buf_put(&line, ",", 1);
            int t = sqlite3_column_type(st, c);
            if (t == SQLITE_NULL)
                continue;
            if (t == SQLITE_BLOB) {
                const unsigned char *p = sqlite3_column_blob(st, c);
                int n = sqlite3_column_bytes(st, c);
                for (int i = 0; i < n; i++)
                    pfa_buf_printf(&line, "%02x", p[i]);
                continue;
            }
            const char *s = (const char *)sqlite3_column_text(st, c);
            csv_field(&line, s ? s : "", (size_t)sqlite3_column_bytes(st, c), t == SQLITE_TEXT);
        }
        fprintf(out, "%s\n", line.p ? line.p : "");
    }
    *step_rc = rc;
    pfa_buf_free(&line);
    return 0;
}

static int print_json(sqlite3_stmt *st, FILE *out, int *step_rc)
{
    int nc = sqlite3_column_count(st);
    struct pfa_buf line = {0};
    int rc;
    size_t rows = 0;
    fputs("[", out);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        line.len = 0;
        pfa_buf_put(&line, rows ? ",\n{" : "\n{", rows ? 3 : 2);
        for (int c = 0; c < nc; c++) {
            if (c)
                pfa_buf_put(&line, ",", 1);
            const char *nm = sqlite3_column_name(st, c);
            pfa_buf_put(&line, "\"", 1);
            pfa_escape_json(&line, nm ? nm : "", nm ? strlen(nm) : 0);
            pfa_buf_put(&line, "\":", 2);
            int t = sqlite3_column_type(st, c);
            if (t == SQLITE_NULL) {
                pfa_buf_put(&line, "null", 4);
            } else if (t == SQLITE_INTEGER) {
                pfa_buf_printf(&line, "%lld", (long long)sqlite3_column_int64(st, c));
            } else if (t == SQLITE_FLOAT) {
                double d = sqlite3_column_double(st, c);
                if (d != d || d > 1.7e308 || d < -1.7e308)
                    pfa_buf_put(&line, "null", 4);
                else
                    pfa_buf_printf(&line, "%.17g", d);
            } else if (t == SQLITE_BLOB) {
                const unsigned char *p = sqlite3_column_blob(st, c);
                int n = sqlite3_column_bytes(st, c);
                pfa_buf_put(&line, "\"", 1);
                for (int i = 0; i < n; i++)
                    pfa_buf_printf(&line, "%02x", p[i]);
                pfa_buf_put(&line, "\"", 1);
            } else {
                const char *s = (const char *)sqlite3_column_text(st, c);
                pfa_buf_put(&line, "\"", 1);
                pfa_escape_json(&line, s ? s : "", (size_t)sqlite3_column_bytes(st, c));
                pfa_buf_put(&line, "\"", 1);
            }
        }
        pfa_buf_put(&line, "}", 1);
        fputs(line.p, out);
        rows++;
    }
    fputs(rows ? "\n]\n" : "]\n", out);
    *step_rc = rc;
    pfa_buf_free(&line);
    return 0;
}

int pfa_run_sql(sqlite3 *db, const char *sql, const struct pfa_report *rep, const struct pfa_kv *kv, size_t nkv,
                const struct pfa_output_options *o, FILE *out, char *err, size_t errlen)
{
    /* Every user parameter must mean something to a report. */
    if (rep) {
        for (size_t k = 0; k < nkv; k++) {
            int found = 0;
            for (size_t i = 0; i < rep->nparams; i++)
                if (!strcmp(rep->params[i].name, kv[k].key))
                    found = 1;
            if (!found) {
                snprintf(err, errlen, "report %s has no parameter '%s'", rep->name, kv[k].key);
                return PFA_E_PARAM;
            }
        }
    }
    const char *tail = sql;
    int printed = 0;
    while (tail && *tail) {
        sqlite3_stmt *st = NULL;
        const char *next = NULL;
        if (sqlite3_prepare_v2(db, tail, -1, &st, &next) != SQLITE_OK) {
            snprintf(err, errlen, "%s", sqlite3_errmsg(db));
            return PFA_E_SQL;
        }
        tail = next;
        if (!st)
            continue; /* whitespace or comment */
        int rc = pfa_bind_params(db, st, rep, kv, nkv, o->utc, err, errlen);
        if (rc) {
            sqlite3_finalize(st);
            return rc;
        }
        int step_rc = SQLITE_DONE;
        if (sqlite3_column_count(st) > 0) {
            if (printed++)
                fputc('\n', out);
            if (o->format == PFA_FMT_CSV)
                rc = print_csv(st, out, &step_rc);
            else if (o->format == PFA_FMT_JSON)
                rc = print_json(st, out, &step_rc);
            else
                rc = print_table(st, o, out, &step_rc);
        } else {
            while ((step_rc = sqlite3_step(st)) == SQLITE_ROW)
                ;
        }
        if (!rc && step_rc != SQLITE_DONE) {
            snprintf(err, errlen, "%s", sqlite3_errmsg(db));
            rc = PFA_E_SQL;
        }
        sqlite3_finalize(st);
        if (rc)
            return rc;
    }
    return 0;
}
