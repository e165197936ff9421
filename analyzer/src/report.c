/* SPDX-License-Identifier: MIT */
/* Canned reports (the .sql files of queries/, embedded), parameters, and
 * table, CSV or JSON form. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "pfa.h"
#include "pfa_export.h"

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
    if (!strcmp(t, "port"))
        return PFA_P_PORT;
    if (strchr(t, '|'))
        return PFA_P_CHOICE; /* one of the words between the bars */
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
            if (t == PFA_P_CHOICE)
                snprintf(pp->choices, sizeof pp->choices, "%s", ptype);
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
        if ((v[0] == '+' || v[0] == '-') && pfa_capture_start(db, &base, err, errlen))
            return PFA_E_SQL;
        char why[384];
        if (pfa_parse_time_why(v, base, utc, &ns, why, sizeof why)) {
            snprintf(err, errlen, "parameter %s: %s", pname, why);
            return PFA_E_PARAM;
        }
        return sqlite3_bind_int64(st, idx, ns) == SQLITE_OK ? 0 : PFA_E_SQL;
    }
    case PFA_P_PORT:
        if (!is_integer(v) || v[0] == '-' || v[0] == '+' || strtoll(v, NULL, 10) > 65535) {
            snprintf(err, errlen, "parameter %s: '%s' is not a port (0-65535)", pname, v);
            return PFA_E_PARAM;
        }
        return sqlite3_bind_int64(st, idx, strtoll(v, NULL, 10)) == SQLITE_OK ? 0 : PFA_E_SQL;
    case PFA_P_CHOICE: {
        size_t n = strlen(v);
        for (const char *c = pp->choices; *c;) {
            size_t k = strcspn(c, "|");
            if (k == n && !strncmp(c, v, n))
                return sqlite3_bind_text(st, idx, v, -1, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : PFA_E_SQL;
            c += k;
            if (*c)
                c++;
        }
        snprintf(err, errlen, "parameter %s: '%s' is not one of %s", pname, v, pp->choices);
        return PFA_E_PARAM;
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
        /* An IPv6 zone (`fe80::1%5`) stays as stored: a decimal interface index. */
        uint8_t a[16];
        char in[PF_ADDR_STRLEN], buf[PF_ADDR_STRLEN + 12];
        const char *zone = strchr(v, '%');
        size_t alen = zone ? (size_t)(zone - v) : strlen(v);
        int fam = 0;
        unsigned long scope = 0;
        char *zend = NULL;
        if (alen < sizeof in) {
            memcpy(in, v, alen);
            in[alen] = '\0';
            fam = pf_addr_from_string(in, a);
        }
        if (fam && zone) {
            errno = 0;
            scope = strtoul(zone + 1, &zend, 10);
            if (fam != PF_AF_INET6 || !isdigit((unsigned char)zone[1]) || *zend || errno || !scope ||
                scope > UINT32_MAX)
                fam = 0;
        }
        if (!fam) {
            snprintf(err, errlen, "parameter %s: '%s' is not an IPv4 or IPv6 address", pname, v);
            return PFA_E_PARAM;
        }
        const char *canon = pf_addr_to_string((uint8_t)fam, a, buf, PF_ADDR_STRLEN);
        if (canon && zone)
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%%%lu", scope);
        return sqlite3_bind_text(st, idx, canon ? canon : v, -1, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : PFA_E_SQL;
    }
    case PFA_P_TEXT: return sqlite3_bind_text(st, idx, v, -1, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : PFA_E_SQL;
    default:
        /* ad-hoc query: integers as integers, the rest as text */
        if (is_integer(v))
            return sqlite3_bind_int64(st, idx, strtoll(v, NULL, 10)) == SQLITE_OK ? 0 : PFA_E_SQL;
        return sqlite3_bind_text(st, idx, v, -1, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : PFA_E_SQL;
    }
}

int pfa_bind_params(sqlite3 *db, sqlite3_stmt *st, const struct pfa_report *rep, const struct pfa_kv *kv, size_t nkv,
                    int utc, char *err, size_t errlen)
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

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

int pfa_col_kind(const char *name)
{
    size_t n = strlen(name);
    if (ends_with(name, "_dur_ns"))
        return PFA_COL_DURATION;
    if (ends_with(name, "_ns"))
        return PFA_COL_TIME;
    if (!strncmp(name, "bytes", 5) || (n >= 6 && !strcmp(name + n - 6, "_bytes")))
        return PFA_COL_BYTES;
    return PFA_COL_PLAIN;
}

/* Widest cell (display width) that still aligns its column. */
#define MAX_ALIGN 1024
/* A column cut to fit the terminal keeps at least this many columns. */
#define MIN_CUT 8

/* Printed header: what the column shows (first, span), not how it is
 * stored (first_ns, span_dur_ns), unless raw. Returns the display width. */
static size_t header_text(struct pfa_buf *b, const char *nm, int kind, int raw)
{
    size_t n = strlen(nm);
    if (!raw && kind == PFA_COL_DURATION && n > 7)
        n -= 7;
    else if (!raw && kind == PFA_COL_TIME && n > 3)
        n -= 3;
    return pfa_escape(b, nm, n);
}

/* The last time a column printed: rows of a time series repeat it. */
struct time_memo {
    int64_t ns;
    int valid;
    size_t len;
    char text[64];
};

static const struct time_memo *format_time_memo(int64_t ns, int utc, struct time_memo *m)
{
    if (!m->valid || m->ns != ns) {
        pfa_format_time(m->text, sizeof m->text, ns, utc);
        m->ns = ns;
        m->valid = 1;
        m->len = strlen(m->text);
    }
    return m;
}

/* Decimal text of v (what SQLite's text of an integer is); returns its length. */
static size_t int_text(char *buf, int64_t v)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    char digits[24];
    size_t n = sizeof digits, len = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    /* two digits per division: long reports print millions of these */
    while (u >= 100) {
        unsigned d = (unsigned)(u % 100) * 2;
        u /= 100;
        digits[--n] = pairs[d + 1];
        digits[--n] = pairs[d];
    }
    if (u >= 10) {
        digits[--n] = pairs[u * 2 + 1];
        digits[--n] = pairs[u * 2];
    } else {
        digits[--n] = (char)('0' + u);
    }
    if (v < 0)
        buf[len++] = '-';
    memcpy(buf + len, digits + n, sizeof digits - n);
    return len + sizeof digits - n;
}

static void format_cell(struct pfa_buf *b, sqlite3_stmt *st, int col, int kind, const struct pfa_output_options *o,
                        size_t *width, struct time_memo *memo)
{
    int t = sqlite3_column_type(st, col);
    char tmp[96];
    if (t == SQLITE_NULL) {
        *width = 0;
        return;
    }
    if (t == SQLITE_INTEGER && !o->raw && kind != PFA_COL_PLAIN) {
        int64_t v = sqlite3_column_int64(st, col);
        if (kind == PFA_COL_TIME) {
            const struct time_memo *m = format_time_memo(v, o->utc, memo);
            pfa_buf_put(b, m->text, m->len);
            *width = m->len;
            return;
        }
        if (kind == PFA_COL_DURATION)
            pfa_format_duration(tmp, sizeof tmp, v);
        else
            pfa_human_bytes(tmp, sizeof tmp, (double)v);
        *width = strlen(tmp);
        pfa_buf_put(b, tmp, *width);
        return;
    }
    if (t == SQLITE_INTEGER) {
        /* digits need no escaping */
        *width = int_text(tmp, sqlite3_column_int64(st, col));
        pfa_buf_put(b, tmp, *width);
        return;
    }
    if (t == SQLITE_FLOAT && kind == PFA_COL_BYTES && !o->raw) {
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

/* Appends the longest prefix of escaped text s that fits `room` columns;
 * returns its display width. */
static size_t put_prefix(struct pfa_buf *line, const char *s, size_t len, size_t room)
{
    size_t i = 0, w = 0;
    while (i < len) {
        unsigned cp;
        size_t l = pfa_utf8_next(s + i, len - i, &cp);
        size_t cw = (size_t)pfa_cp_width(cp);
        if (w + cw > room)
            break;
        w += cw;
        i += l;
    }
    pfa_buf_put(line, s, i);
    return w;
}

static void put_spaces(struct pfa_buf *line, size_t n)
{
    static const char blanks[] = "                                ";
    for (; n > sizeof blanks - 1; n -= sizeof blanks - 1)
        pfa_buf_put(line, blanks, sizeof blanks - 1);
    pfa_buf_put(line, blanks, n);
}

/* Appends a cell of display width w into a column of width colw: padded,
 * or cut with "…" when `cut` and it does not fit. */
static void put_cell(struct pfa_buf *line, const struct pfa_buf *cell, size_t w, size_t colw, int numeric, int last,
                     int cut)
{
    const char *s = cell->p ? cell->p : "";
    if (cut && w > colw) {
        size_t got = put_prefix(line, s, cell->len, colw ? colw - 1 : 0);
        pfa_buf_put(line, "\xe2\x80\xa6", 3);
        for (got++; got < colw && !last; got++)
            pfa_buf_put(line, " ", 1);
        return;
    }
    size_t pad = colw > w ? colw - w : 0;
    if (numeric)
        put_spaces(line, pad);
    pfa_buf_put(line, s, cell->len);
    if (!numeric && !last)
        put_spaces(line, pad);
}

/* Writes one finished line: no trailing blanks, never wider than the
 * terminal (a table row must not wrap). */
static int put_line(struct pfa_buf *line, int width, FILE *out)
{
    while (line->len && line->p[line->len - 1] == ' ')
        line->len--;
    struct pfa_buf cut = {0};
    const struct pfa_buf *shown = line;
    if (width > 0) {
        size_t w = 0, i = 0;
        while (i < line->len) {
            unsigned cp;
            i += pfa_utf8_next(line->p + i, line->len - i, &cp);
            w += (size_t)pfa_cp_width(cp);
        }
        if (w > (size_t)width) {
            put_prefix(&cut, line->p, line->len, (size_t)width - 1);
            pfa_buf_put(&cut, "\xe2\x80\xa6", 3);
            shown = &cut;
        }
    }
    if (shown == line && pfa_buf_put(line, "\n", 1) == 0) {
        fwrite(line->p, 1, line->len, out); /* the line and its end in one call */
    } else {
        if (shown->len)
            fwrite(shown->p, 1, shown->len, out);
        fputc('\n', out);
    }
    pfa_buf_free(&cut);
    return ferror(out) ? PFA_E_WRITE : 0;
}

struct table {
    int ncols;
    int *kinds, *numeric, *seen_text;
    size_t *colw, *headw;
    struct pfa_buf *heads;
    size_t nrows, cap;     /* sampled rows */
    struct pfa_buf *cells; /* cap * ncols */
    size_t *widths;
    struct pfa_buf *row; /* one streamed row */
    size_t *roww;
    struct time_memo *memo; /* per column */
};

static void table_free(struct table *t)
{
    if (t->cells)
        for (size_t i = 0; i < t->cap * (size_t)t->ncols; i++)
            pfa_buf_free(&t->cells[i]);
    if (t->heads)
        for (int c = 0; c < t->ncols; c++)
            pfa_buf_free(&t->heads[c]);
    if (t->row)
        for (int c = 0; c < t->ncols; c++)
            pfa_buf_free(&t->row[c]);
    free(t->kinds);
    free(t->numeric);
    free(t->seen_text);
    free(t->colw);
    free(t->headw);
    free(t->heads);
    free(t->cells);
    free(t->widths);
    free(t->row);
    free(t->roww);
    free(t->memo);
}

static int table_init(struct table *t, sqlite3_stmt *st, const struct pfa_output_options *o, size_t sample)
{
    memset(t, 0, sizeof *t);
    t->ncols = sqlite3_column_count(st);
    size_t nc = (size_t)t->ncols;
    t->kinds = calloc(nc, sizeof *t->kinds);
    t->numeric = calloc(nc, sizeof *t->numeric);
    t->seen_text = calloc(nc, sizeof *t->seen_text);
    t->colw = calloc(nc, sizeof *t->colw);
    t->headw = calloc(nc, sizeof *t->headw);
    t->heads = calloc(nc, sizeof *t->heads);
    t->cap = sample;
    t->cells = calloc(sample ? sample * nc : 1, sizeof *t->cells);
    t->widths = calloc(sample ? sample * nc : 1, sizeof *t->widths);
    t->row = calloc(nc, sizeof *t->row);
    t->roww = calloc(nc, sizeof *t->roww);
    t->memo = calloc(nc, sizeof *t->memo);
    if (!t->memo || !t->kinds || !t->numeric || !t->seen_text || !t->colw || !t->headw || !t->heads || !t->cells ||
        !t->widths || !t->row || !t->roww)
        return PF_E_NOMEM;
    for (int c = 0; c < t->ncols; c++) {
        const char *nm = sqlite3_column_name(st, c);
        t->kinds[c] = pfa_col_kind(nm ? nm : "");
        t->headw[c] = header_text(&t->heads[c], nm ? nm : "", t->kinds[c], o->raw);
    }
    return 0;
}

/* Formats the current row into cells[] / widths[]. */
static void table_format_row(struct table *t, sqlite3_stmt *st, const struct pfa_output_options *o,
                             struct pfa_buf *cells, size_t *widths)
{
    for (int c = 0; c < t->ncols; c++) {
        int ty = sqlite3_column_type(st, c);
        if (ty == SQLITE_TEXT || ty == SQLITE_BLOB || (t->kinds[c] == PFA_COL_TIME && ty == SQLITE_INTEGER && !o->raw))
            t->seen_text[c] = 1;
        cells[c].len = 0;
        format_cell(&cells[c], st, c, t->kinds[c], o, &widths[c], &t->memo[c]);
    }
}

/* Column widths from the header and the sampled rows, then narrowed to fit
 * the terminal: the widest text column gives up a column at a time (times
 * and numbers are never cut; what still does not fit is cut at the edge). */
static void table_layout(struct table *t, const struct pfa_output_options *o)
{
    for (int c = 0; c < t->ncols; c++) {
        t->colw[c] = t->headw[c];
        t->numeric[c] = !t->seen_text[c];
        for (size_t r = 0; r < t->nrows; r++) {
            size_t w = t->widths[r * (size_t)t->ncols + (size_t)c];
            /* A cell wider than MAX_ALIGN sticks out of its column instead of
             * widening it: one huge string from a capture must not pad every
             * other row to its width. */
            if (w > t->colw[c] && w <= MAX_ALIGN)
                t->colw[c] = w;
        }
    }
    if (o->width <= 0)
        return;
    for (;;) {
        size_t total = 0;
        for (int c = 0; c < t->ncols; c++)
            total += t->colw[c] + (c ? 2 : 0);
        if (total <= (size_t)o->width)
            break;
        int widest = -1;
        for (int c = 0; c < t->ncols; c++)
            if (!t->numeric[c] && t->kinds[c] == PFA_COL_PLAIN && t->colw[c] > MIN_CUT &&
                (widest < 0 || t->colw[c] > t->colw[widest]))
                widest = c;
        if (widest < 0)
            break; /* the line itself is cut at the terminal edge */
        t->colw[widest]--;
    }
}

static int table_put_row(struct table *t, const struct pfa_buf *cells, const size_t *widths,
                         const struct pfa_output_options *o, struct pfa_buf *line, FILE *out)
{
    line->len = 0;
    for (int c = 0; c < t->ncols; c++) {
        if (c)
            pfa_buf_put(line, "  ", 2);
        put_cell(line, &cells[c], widths[c], t->colw[c], t->numeric[c], c + 1 == t->ncols, o->width > 0);
    }
    return put_line(line, o->width, out);
}

/* Reads the first rows (up to the sample size) into the table; returns
 * the last sqlite3_step() code (SQLITE_ROW: more rows follow). */
static int table_sample(struct table *t, sqlite3_stmt *st, const struct pfa_output_options *o)
{
    int rc = SQLITE_DONE;
    while (t->nrows < t->cap && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        size_t i = t->nrows * (size_t)t->ncols;
        table_format_row(t, st, o, &t->cells[i], &t->widths[i]);
        t->nrows++;
    }
    return rc;
}

/* The header line and the rule under it. */
static int table_put_head(const struct table *t, const struct pfa_output_options *o, struct pfa_buf *line, FILE *out)
{
    line->len = 0;
    for (int c = 0; c < t->ncols; c++) {
        if (c)
            pfa_buf_put(line, "  ", 2);
        put_cell(line, &t->heads[c], t->headw[c], t->colw[c], t->numeric[c], c + 1 == t->ncols, o->width > 0);
    }
    int ret = put_line(line, o->width, out);
    if (ret)
        return ret;
    line->len = 0;
    for (int c = 0; c < t->ncols; c++) {
        if (c)
            pfa_buf_put(line, "  ", 2);
        for (size_t k = 0; k < t->colw[c]; k++)
            pfa_buf_put(line, "-", 1);
    }
    return put_line(line, o->width, out);
}

/* An aligned table: the first rows set the widths, the rest stream through
 * one row buffer, and a "(N rows)" line ends it. */
static int print_table(sqlite3_stmt *st, const struct pfa_output_options *o, FILE *out, int *step_rc)
{
    size_t sample = o->sample_rows > 0 ? (size_t)o->sample_rows : PFA_TABLE_SAMPLE;
    if (sample > PFA_TABLE_SAMPLE)
        sample = PFA_TABLE_SAMPLE;
    struct table t;
    struct pfa_buf line = {0};
    size_t printed = 0;
    int rc = SQLITE_DONE;
    int ret = table_init(&t, st, o, sample);
    if (ret)
        goto done;
    rc = table_sample(&t, st, o);
    table_layout(&t, o);
    ret = table_put_head(&t, o, &line, out);
    for (size_t r = 0; r < t.nrows && !ret; r++, printed++)
        ret = table_put_row(&t, &t.cells[r * (size_t)t.ncols], &t.widths[r * (size_t)t.ncols], o, &line, out);
    while (!ret && rc == SQLITE_ROW && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        table_format_row(&t, st, o, t.row, t.roww);
        if ((ret = table_put_row(&t, t.row, t.roww, o, &line, out)) == 0)
            printed++;
    }
    if (!ret) {
        fprintf(out, "(%zu row%s)\n", printed, printed == 1 ? "" : "s");
        if (ferror(out))
            ret = PFA_E_WRITE;
    }
done:
    *step_rc = rc;
    pfa_buf_free(&line);
    table_free(&t);
    return ret;
}

/* One "column = value" line per column and a blank line between rows
 * (sqlite3 .mode line, psql \x). */
static int print_lines(sqlite3_stmt *st, const struct pfa_output_options *o, FILE *out, int *step_rc)
{
    struct table t;
    int ret = table_init(&t, st, o, 0);
    size_t namew = 0;
    for (int c = 0; !ret && c < t.ncols; c++)
        if (t.headw[c] > namew)
            namew = t.headw[c];
    struct pfa_buf line = {0};
    int rc = SQLITE_DONE;
    size_t rows = 0;
    while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        table_format_row(&t, st, o, t.row, t.roww);
        if (rows++)
            fputc('\n', out);
        for (int c = 0; c < t.ncols && !ret; c++) {
            line.len = 0;
            for (size_t k = t.headw[c]; k < namew; k++)
                pfa_buf_put(&line, " ", 1);
            pfa_buf_put(&line, t.heads[c].p ? t.heads[c].p : "", t.heads[c].len);
            pfa_buf_put(&line, " = ", 3);
            pfa_buf_put(&line, t.row[c].p ? t.row[c].p : "", t.row[c].len);
            ret = put_line(&line, 0, out);
        }
    }
    *step_rc = rc;
    pfa_buf_free(&line);
    table_free(&t);
    return ret;
}

/* Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR
 * first) gets a leading apostrophe: CSV of captured command lines is opened
 * by people in spreadsheet programs. Numbers are never text here. */
static void csv_field(struct pfa_buf *line, struct pfa_buf *scratch, const char *s, size_t n, int is_text)
{
    struct pfa_buf *e = scratch; /* reused from field to field */
    e->len = 0;
    if (is_text && n && s[0] && strchr("=+-@\t\r", s[0]))
        pfa_buf_put(e, "'", 1);
    pfa_escape(e, s, n);
    if (pfa_buf_put(e, "", 1)) /* a NUL after the text for strpbrk (not part of it) */
        return;
    e->len--;
    const char *p = e->p;
    int quote = e->len && (strpbrk(p, ",\"") || p[0] == ' ' || p[e->len - 1] == ' ');
    if (quote) {
        pfa_buf_put(line, "\"", 1);
        for (size_t i = 0; i < e->len; i++) {
            if (p[i] == '"')
                pfa_buf_put(line, "\"", 1);
            pfa_buf_put(line, p + i, 1);
        }
        pfa_buf_put(line, "\"", 1);
    } else {
        pfa_buf_put(line, p, e->len);
    }
}

static int print_csv(sqlite3_stmt *st, FILE *out, int *step_rc)
{
    int nc = sqlite3_column_count(st);
    struct pfa_buf line = {0}, scratch = {0};
    for (int c = 0; c < nc; c++) {
        if (c)
            pfa_buf_put(&line, ",", 1);
        const char *nm = sqlite3_column_name(st, c);
        csv_field(&line, &scratch, nm ? nm : "", nm ? strlen(nm) : 0, 0);
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
            if (t == SQLITE_INTEGER) { /* digits: as SQLite's text, nothing to escape or quote */
                char num[24];
                pfa_buf_put(&line, num, int_text(num, sqlite3_column_int64(st, c)));
                continue;
            }
            if (t == SQLITE_BLOB) {
                const unsigned char *p = sqlite3_column_blob(st, c);
                int n = sqlite3_column_bytes(st, c);
                for (int i = 0; i < n; i++)
                    pfa_buf_printf(&line, "%02x", p[i]);
                continue;
            }
            const char *s = (const char *)sqlite3_column_text(st, c);
            csv_field(&line, &scratch, s ? s : "", (size_t)sqlite3_column_bytes(st, c), t == SQLITE_TEXT);
        }
        fprintf(out, "%s\n", line.p ? line.p : "");
        if (ferror(out))
            break;
    }
    *step_rc = rc;
    pfa_buf_free(&line);
    pfa_buf_free(&scratch);
    return ferror(out) ? PFA_E_WRITE : 0;
}

/* ISO-8601 UTC with nanoseconds: JSON readers lose precision on integers
 * above 2^53, so every *_ns time also comes as text. */
void pfa_json_time(struct pfa_buf *b, int64_t ns)
{
    int64_t sec = ns / 1000000000, frac = ns % 1000000000;
    if (frac < 0) {
        frac += 1000000000;
        sec--;
    }
    /* civil date from days since 1970-01-01 (proleptic Gregorian) */
    int64_t days = sec / 86400, rem = sec % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        y++;
    pfa_buf_printf(b, "\"%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%09lldZ\"", (long long)y, (long long)m, (long long)d,
                   (long long)(rem / 3600), (long long)(rem / 60 % 60), (long long)(rem % 60), (long long)frac);
}

static int print_json(sqlite3_stmt *st, FILE *out, int *step_rc)
{
    int nc = sqlite3_column_count(st);
    struct pfa_buf line = {0};
    /* per column, made once: `"name":` and, for a *_ns time, `,"name_time":` */
    struct pfa_buf *key = calloc(nc ? (size_t)nc : 1, sizeof *key),
                   *time_key = calloc(nc ? (size_t)nc : 1, sizeof *key);
    if (!key || !time_key) {
        free(key);
        free(time_key);
        *step_rc = SQLITE_NOMEM;
        return PF_E_NOMEM;
    }
    for (int c = 0; c < nc; c++) {
        const char *nm = sqlite3_column_name(st, c);
        pfa_buf_put(&key[c], "\"", 1);
        pfa_escape_json(&key[c], nm ? nm : "", nm ? strlen(nm) : 0);
        pfa_buf_put(&key[c], "\":", 2);
        if (nm && pfa_col_kind(nm) == PFA_COL_TIME) {
            pfa_buf_put(&time_key[c], ",\"", 2);
            pfa_escape_json(&time_key[c], nm, strlen(nm) - 3);
            pfa_buf_put(&time_key[c], "_time\":", 7);
        }
    }
    int rc;
    size_t rows = 0;
    fputs("[", out);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        line.len = 0;
        pfa_buf_put(&line, rows ? ",\n{" : "\n{", rows ? 3 : 2);
        for (int c = 0; c < nc; c++) {
            if (c)
                pfa_buf_put(&line, ",", 1);
            pfa_buf_put(&line, key[c].p, key[c].len);
            int t = sqlite3_column_type(st, c);
            if (t == SQLITE_NULL) {
                pfa_buf_put(&line, "null", 4);
            } else if (t == SQLITE_INTEGER) {
                int64_t v = sqlite3_column_int64(st, c);
                char num[24];
                pfa_buf_put(&line, num, int_text(num, v));
                if (time_key[c].len) {
                    pfa_buf_put(&line, time_key[c].p, time_key[c].len);
                    pfa_json_time(&line, v);
                }
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
        if (ferror(out))
            break;
    }
    fputs(rows ? "\n]\n" : "]\n", out);
    *step_rc = rc;
    pfa_buf_free(&line);
    for (int c = 0; c < nc; c++) {
        pfa_buf_free(&key[c]);
        pfa_buf_free(&time_key[c]);
    }
    free(key);
    free(time_key);
    return ferror(out) ? PFA_E_WRITE : 0;
}

/* query may only read: no writes, ATTACH (VACUUM INTO writes through an
 * attached database), schema changes, transactions, pragmas that set
 * anything, or extension loading. */
static int read_only_auth(void *ctx, int action, const char *a1, const char *a2, const char *db, const char *trig)
{
    (void)ctx;
    (void)db;
    (void)trig;
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE: return SQLITE_OK;
    case SQLITE_FUNCTION: return a2 && !sqlite3_stricmp(a2, "load_extension") ? SQLITE_DENY : SQLITE_OK;
    case SQLITE_PRAGMA: {
        static const char *const readable[] = {"table_info",       "table_xinfo",       "table_list",
                                               "index_list",       "index_info",        "index_xinfo",
                                               "foreign_key_list", "database_list",     "collation_list",
                                               "function_list",    "module_list",       "pragma_list",
                                               "compile_options",  "user_version",      "application_id",
                                               "schema_version",   "page_size",         "page_count",
                                               "freelist_count",   "encoding",          "integrity_check",
                                               "quick_check",      "foreign_key_check", "data_version",
                                               "journal_mode",     "max_page_count",    NULL};
        if (a2)
            return SQLITE_DENY; /* a pragma with a value sets it */
        for (int i = 0; a1 && readable[i]; i++)
            if (!sqlite3_stricmp(a1, readable[i]))
                return SQLITE_OK;
        return SQLITE_DENY;
    }
    default: return SQLITE_DENY;
    }
}

static int run_sql(sqlite3 *db, const char *sql, const struct pfa_report *rep, const struct pfa_kv *kv, size_t nkv,
                   const struct pfa_output_options *o, FILE *out, char *err, size_t errlen,
                   struct pfa_timeline_rows *fast);

int pfa_run_sql(sqlite3 *db, const char *sql, const struct pfa_report *rep, const struct pfa_kv *kv, size_t nkv,
                const struct pfa_output_options *o, FILE *out, char *err, size_t errlen)
{
    /* timeline sums in C what its SQL would sort (the report's own text only) */
    if (rep && sql == rep->sql && !o->sql_only && !strcmp(rep->name, "timeline")) {
        int rc = run_sql(db, NULL, rep, kv, nkv, o, out, err, errlen, NULL); /* the parameter check */
        struct pfa_timeline_rows *fast = NULL;
        const char *print_sql = NULL;
        if (!rc)
            rc = pfa_timeline_fast(db, rep, kv, nkv, o->utc, &fast, &print_sql, err, errlen);
        if (rc || fast) {
            if (fast)
                rc = run_sql(db, print_sql, rep, kv, nkv, o, out, err, errlen, fast);
            pfa_timeline_rows_free(fast);
            return rc;
        }
    }
    return run_sql(db, sql, rep, kv, nkv, o, out, err, errlen, NULL);
}

static int run_sql(sqlite3 *db, const char *sql, const struct pfa_report *rep, const struct pfa_kv *kv, size_t nkv,
                   const struct pfa_output_options *o, FILE *out, char *err, size_t errlen,
                   struct pfa_timeline_rows *fast)
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
    if (o->read_only) {
        sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
        sqlite3_set_authorizer(db, read_only_auth, NULL);
    }
    while (tail && *tail) {
        sqlite3_stmt *st = NULL;
        const char *next = NULL;
        if (sqlite3_prepare_v2(db, tail, -1, &st, &next) != SQLITE_OK) {
            int denied =
                sqlite3_errcode(db) == SQLITE_AUTH || (o->read_only && strstr(sqlite3_errmsg(db), "not authorized"));
            snprintf(err, errlen, "%s%s", sqlite3_errmsg(db), denied ? " (query only reads the database)" : "");
            if (o->read_only)
                sqlite3_set_authorizer(db, NULL, NULL);
            /* ad-hoc SQL that does not compile is the user's to fix */
            return denied ? PFA_E_DENIED : rep ? PFA_E_SQL : PFA_E_PARAM;
        }
        tail = next;
        if (!st)
            continue; /* whitespace or comment */
        if (o->read_only && !sqlite3_stmt_readonly(st)) {
            snprintf(err, errlen, "statement would write: '%.60s' (query only reads the database)", sqlite3_sql(st));
            sqlite3_finalize(st);
            sqlite3_set_authorizer(db, NULL, NULL);
            return PFA_E_DENIED;
        }
        int rc = pfa_bind_params(db, st, rep, kv, nkv, o->utc, err, errlen);
        if (!rc && fast)
            rc = pfa_timeline_rows_bind(st, fast);
        if (rc) {
            sqlite3_finalize(st);
            return rc;
        }
        int step_rc = SQLITE_DONE;
        errno = 0;
        if (sqlite3_column_count(st) > 0) {
            if (printed++)
                fputc('\n', out);
            if (o->format == PFA_FMT_CSV)
                rc = print_csv(st, out, &step_rc);
            else if (o->format == PFA_FMT_JSON)
                rc = print_json(st, out, &step_rc);
            else if (o->format == PFA_FMT_LINE)
                rc = print_lines(st, o, out, &step_rc);
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
        if (rc == PFA_E_WRITE)
            snprintf(err, errlen, "write error: %s", strerror(errno ? errno : EIO));
        if (rc)
            return rc;
    }
    return 0;
}
