/* SPDX-License-Identifier: MIT */
/* One self-contained HTML report of an analysis database: capture facts and
 * a loss banner, stacked bandwidth charts (inline SVG), sortable tables of
 * the canned reports, and a section per busy process. No external
 * resources; every string from a capture goes through pfa_html_escape. */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embedded.h"
#include "pfa_export.h"

void pfa_html_escape(struct pfa_buf *b, const char *s, size_t n)
{
    struct pfa_buf t = {0};
    pfa_escape(&t, s ? s : "", s ? n : 0);
    for (size_t i = 0; i < t.len; i++) {
        const char *r = NULL;
        switch (t.p[i]) {
        case '&': r = "&amp;"; break;
        case '<': r = "&lt;"; break;
        case '>': r = "&gt;"; break;
        case '"': r = "&quot;"; break;
        case '\'': r = "&#39;"; break;
        }
        if (r)
            pfa_buf_put(b, r, strlen(r));
        else
            pfa_buf_put(b, &t.p[i], 1);
    }
    pfa_buf_free(&t);
}

/* ------------------------------------------------------------ output */

struct html {
    FILE *out;
    struct pfa_buf b;
    sqlite3 *db;
    char *err;
    size_t errlen;
    /* per-process sections: ids and pids, for links and small charts */
    int64_t *sec_id, *sec_pid;
    size_t nsec;
    /* time axis shared by every chart */
    int64_t t0, w;
    size_t nslots;
    double *sec_sent, *sec_recv; /* nsec * nslots */
    int utc;                     /* times in UTC, else local time */
};

static void put(struct html *h, const char *s) { pfa_buf_put(&h->b, s, strlen(s)); }

static void esc(struct html *h, const char *s, size_t n) { pfa_html_escape(&h->b, s, n); }

static void escz(struct html *h, const char *s) { pfa_html_escape(&h->b, s, s ? strlen(s) : 0); }

static void flush(struct html *h)
{
    if (h->b.len)
        fwrite(h->b.p, 1, h->b.len, h->out);
    h->b.len = 0;
}

static int sql_fail(struct html *h)
{
    snprintf(h->err, h->errlen, "%s", sqlite3_errmsg(h->db));
    return PFA_E_SQL;
}

/* ------------------------------------------------------------ tables */

static void col_label(struct html *h, const char *name)
{
    char t[96];
    snprintf(t, sizeof t, "%s", name);
    size_t n = strlen(t);
    if (n > 7 && !strcmp(t + n - 7, "_dur_ns"))
        t[n - 7] = 0;
    else if (n > 3 && !strcmp(t + n - 3, "_ns"))
        t[n - 3] = 0;
    for (char *c = t; *c; c++)
        if (*c == '_')
            *c = ' ';
    escz(h, t);
}

/* Tables show PIDs only: a PID with two sections (reuse) links nowhere
 * rather than to the wrong process instance. */
static int section_of_pid(const struct html *h, int64_t pid)
{
    int found = -1;
    for (size_t i = 0; i < h->nsec; i++)
        if (h->sec_pid[i] == pid) {
            if (found >= 0)
                return -1;
            found = (int)i;
        }
    return found;
}

/* One cell of the current row of `st` as <td>: numbers keep their raw
 * value in data-v for sorting, times UTC or local (--utc), bytes in binary
 * units. Time cells may wrap between date and time so tables fit. */
static void put_cell(struct html *h, sqlite3_stmt *st, int c, int numeric)
{
    const char *nm = sqlite3_column_name(st, c);
    int t = sqlite3_column_type(st, c);
    int k = pfa_col_kind(nm ? nm : "");
    if (t == SQLITE_NULL) {
        put(h, numeric ? "<td class=\"num\" data-v=\"-1e300\"></td>" : "<td></td>");
        return;
    }
    if (t == SQLITE_INTEGER || t == SQLITE_FLOAT) {
        char v[64], txt[96];
        int64_t iv = sqlite3_column_int64(st, c);
        if (t == SQLITE_FLOAT)
            snprintf(v, sizeof v, "%.17g", sqlite3_column_double(st, c));
        else
            snprintf(v, sizeof v, "%" PRId64, iv);
        if (k == PFA_COL_TIME)
            pfa_format_time(txt, sizeof txt, iv, h->utc);
        else if (k == PFA_COL_DURATION)
            pfa_format_duration(txt, sizeof txt, iv);
        else if (k == PFA_COL_BYTES)
            pfa_human_bytes(txt, sizeof txt, sqlite3_column_double(st, c));
        else
            snprintf(txt, sizeof txt, "%s", v);
        pfa_buf_printf(&h->b, "<td class=\"num%s\" data-v=\"%s\"", k == PFA_COL_TIME ? " t" : "", v);
        if (k == PFA_COL_BYTES)
            pfa_buf_printf(&h->b, " title=\"%s bytes\"", v);
        put(h, ">");
        int s;
        if (nm && !strcmp(nm, "pid") && (s = section_of_pid(h, iv)) >= 0)
            pfa_buf_printf(&h->b, "<a href=\"#proc-%" PRId64 "\">%s</a>", h->sec_id[s], txt);
        else
            put(h, txt);
        put(h, "</td>");
    } else {
        const char *s = (const char *)sqlite3_column_text(st, c);
        put(h, "<td>");
        esc(h, s, s ? (size_t)sqlite3_column_bytes(st, c) : 0);
        put(h, "</td>");
    }
}

static int is_numeric_col(sqlite3_stmt *st, int c)
{
    int t = sqlite3_column_type(st, c);
    const char *nm = sqlite3_column_name(st, c);
    return t == SQLITE_INTEGER || t == SQLITE_FLOAT || pfa_col_kind(nm ? nm : "") != PFA_COL_PLAIN;
}

/* Renders the rows of `st` as a sortable table (cells: put_cell). Rows past
 * maxrows are counted, or, when `total` >= 0, are known to be total rows in
 * all (a statement that stops at maxrows). */
static int html_table_of(struct html *h, sqlite3_stmt *st, size_t maxrows, int64_t total)
{
    int nc = sqlite3_column_count(st);
    int rc;
    size_t rows = 0;
    int numeric[64] = {0};
    if (nc > 64)
        nc = 64;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!rows) {
            put(h, "<div class=\"tw\"><table class=\"sort\"><thead><tr>");
            for (int c = 0; c < nc; c++) {
                const char *nm = sqlite3_column_name(st, c);
                numeric[c] = is_numeric_col(st, c);
                put(h, numeric[c] ? "<th class=\"num\">" : "<th>");
                col_label(h, nm ? nm : "");
                put(h, "</th>");
            }
            put(h, "</tr></thead><tbody>\n");
        }
        if (rows++ >= maxrows)
            continue; /* count the rest */
        put(h, "<tr>");
        for (int c = 0; c < nc; c++)
            put_cell(h, st, c, numeric[c]);
        put(h, "</tr>\n");
        if (h->b.len > 65536)
            flush(h);
    }
    if (rc != SQLITE_DONE)
        return sql_fail(h);
    if (rows && total >= 0 && (uint64_t)total > rows)
        rows = (size_t)total;
    if (!rows)
        put(h, "<p class=\"empty\">none</p>\n");
    else
        put(h, "</tbody></table></div>\n");
    if (rows > maxrows)
        pfa_buf_printf(&h->b,
                       "<p class=\"more\">%llu more rows not shown (all of them: procflow-analyze report).</p>\n",
                       (unsigned long long)(rows - maxrows));
    return 0;
}

#define VERT_MAX 4

static int html_table(struct html *h, sqlite3_stmt *st, size_t maxrows) { return html_table_of(h, st, maxrows, -1); }

/* A table of few rows and many columns, turned: one line per column, one
 * column per row, so it fits the page. More than VERT_MAX rows: as usual. */
static int html_table_vertical(struct html *h, sqlite3_stmt *st)
{
    int nc = sqlite3_column_count(st), rc;
    size_t rows = 0;
    if (nc > 64)
        nc = 64;
    struct pfa_buf cells[VERT_MAX][64];
    memset(cells, 0, sizeof cells);
    struct pfa_buf keep = h->b;
    memset(&h->b, 0, sizeof h->b);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && rows < VERT_MAX) {
        for (int c = 0; c < nc; c++) {
            put_cell(h, st, c, is_numeric_col(st, c));
            cells[rows][c] = h->b;
            memset(&h->b, 0, sizeof h->b);
        }
        rows++;
    }
    h->b = keep;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        if (rc == SQLITE_ROW) {
            sqlite3_reset(st);
            rc = html_table(h, st, 1000);
        } else if (!rows) {
            put(h, "<p class=\"empty\">none</p>\n");
            rc = 0;
        } else {
            put(h, "<div class=\"tw\"><table class=\"facts vert\"><tbody>\n");
            for (int c = 0; c < nc; c++) {
                const char *nm = sqlite3_column_name(st, c);
                put(h, "<tr><th>");
                col_label(h, nm ? nm : "");
                put(h, "</th>");
                for (size_t r = 0; r < rows; r++)
                    pfa_buf_put(&h->b, cells[r][c].p ? cells[r][c].p : "", cells[r][c].len);
                put(h, "</tr>\n");
            }
            put(h, "</tbody></table></div>\n");
            rc = 0;
        }
    } else {
        rc = sql_fail(h);
    }
    for (size_t r = 0; r < VERT_MAX; r++)
        for (int c = 0; c < 64; c++)
            pfa_buf_free(&cells[r][c]);
    return rc;
}

/* A canned report (queries/NAME.sql) as a table (maxrows 0: turned, see
 * html_table_vertical). */
static int report_table(struct html *h, const char *name, const struct pfa_kv *kv, size_t nkv, size_t maxrows)
{
    const struct pfa_report *rep = pfa_report_find(name);
    if (!rep) {
        snprintf(h->err, h->errlen, "report %s is not built in", name);
        return PFA_E_NO_REPORT;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h->db, rep->sql, -1, &st, NULL) != SQLITE_OK)
        return sql_fail(h);
    int rc = pfa_bind_params(h->db, st, rep, kv, nkv, 1, h->err, h->errlen);
    if (!rc)
        rc = maxrows ? html_table(h, st, maxrows) : html_table_vertical(h, st);
    sqlite3_finalize(st);
    return rc;
}

static int prep(struct html *h, const char *name, sqlite3_stmt **st)
{
    return pfa_prepare_embedded(h->db, "html.sql", name, st, h->err, h->errlen);
}

/* One process's rows of an html.sql statement, under a heading. */
static int process_table(struct html *h, const char *heading, const char *name, int64_t process_id)
{
    sqlite3_stmt *q;
    pfa_buf_printf(&h->b, "<h4>%s</h4>\n", heading);
    int rc = prep(h, name, &q);
    if (rc)
        return rc;
    pfa_bind_i64(q, ":process_id", process_id);
    rc = html_table(h, q, 200);
    sqlite3_finalize(q);
    return rc;
}

/* ------------------------------------------------------------ charts */

static const char *const palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
                                      "#b07aa1", "#ff9da7", "#9c755f", "#17becf", "#8c6d31", "#393b79"};
#define OTHER_COLOR "#bab0ac"

/* Bucket widths the chart may use, and time-axis tick steps (ns). */
static const int64_t nice_ns[] = {1000,
                                  2000,
                                  5000,
                                  10000,
                                  20000,
                                  50000,
                                  100000,
                                  200000,
                                  500000,
                                  1000000,
                                  2000000,
                                  5000000,
                                  10000000,
                                  20000000,
                                  50000000,
                                  100000000,
                                  200000000,
                                  500000000,
                                  1000000000LL,
                                  2000000000LL,
                                  5000000000LL,
                                  10000000000LL,
                                  15000000000LL,
                                  30000000000LL,
                                  60000000000LL,
                                  120000000000LL,
                                  300000000000LL,
                                  600000000000LL,
                                  900000000000LL,
                                  1800000000000LL,
                                  3600000000000LL,
                                  7200000000000LL,
                                  10800000000000LL,
                                  21600000000000LL,
                                  43200000000000LL,
                                  86400000000000LL,
                                  172800000000000LL,
                                  604800000000000LL,
                                  1209600000000000LL,
                                  2592000000000000LL,
                                  7776000000000000LL,
                                  31536000000000000LL};
#define NNICE (sizeof nice_ns / sizeof nice_ns[0])

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void tick_label(char *buf, size_t n, int64_t ns, int64_t step, int utc)
{
    int64_t sec = floor_div(ns, 1000000000);
    time_t t = (time_t)sec;
    struct tm tm;
    if (!(utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm))) {
        snprintf(buf, n, "?");
        return;
    }
    if (step < 1000000000) {
        char s[32];
        strftime(s, sizeof s, "%H:%M:%S", &tm);
        snprintf(buf, n, "%s.%03lld", s, (long long)((ns - sec * 1000000000) / 1000000));
    } else if (step < 60000000000LL) {
        strftime(buf, n, "%H:%M:%S", &tm);
    } else if (step < 86400000000000LL) {
        strftime(buf, n, tm.tm_hour || tm.tm_min ? "%H:%M" : "%b %d", &tm);
    } else {
        strftime(buf, n, "%b %d", &tm);
    }
}

static void rate_label(char *buf, size_t n, double v, double unit, const char *uname)
{
    double x = v / unit;
    if (fabs(x - floor(x + 0.5)) < 1e-9)
        snprintf(buf, n, "%.0f %s/s", x, uname);
    else
        snprintf(buf, n, "%g %s/s", x, uname);
}

/* The outline of a step area through slot heights ys (left to right, or
 * right to left for the lower edge); a run of equal heights is one line. */
static void step_points(struct pfa_buf *b, const double *ys, size_t n, int reverse, double pw);

#define CW 900.0
#define CH 190.0
#define ML 78.0
#define MR 14.0
#define MT 10.0
#define MB 26.0

/* Stacked step areas: vals[s][i] bytes in slot i of series s. Labels are
 * HTML text already (escaped where they were made, with their length, so a
 * NUL inside a process name does not cut it short). */
static void chart_svg(struct html *h, const char *title, size_t ns, double *const *vals, char *const *labels,
                      const char *const *colors)
{
    size_t nsl = h->nslots;
    double secs = (double)h->w / 1e9, maxr = 0;
    for (size_t i = 0; i < nsl; i++) {
        double sum = 0;
        for (size_t s = 0; s < ns; s++)
            sum += vals[s][i];
        if (sum / secs > maxr)
            maxr = sum / secs;
    }
    /* y axis: binary unit, then the step */
    static const char *un[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    double unit = 1;
    while (u < 5 && maxr >= unit * 1024) {
        unit *= 1024;
        u++;
    }
    double m = maxr / unit, step = 1, top = 1;
    if (m > 0 && isfinite(m)) {
        /* a 1/2/5 step giving at most 5 intervals */
        double raw = m / 5, mag = pow(10, floor(log10(raw)));
        step = raw <= mag ? mag : raw <= 2 * mag ? 2 * mag : raw <= 5 * mag ? 5 * mag : 10 * mag;
        top = ceil(m / step - 1e-9) * step;
        if (!(top > 0))
            top = step;
    }
    double pw = CW - ML - MR, ph = CH - MT - MB;
    pfa_buf_printf(&h->b, "<figure class=\"chart\"><figcaption>");
    escz(h, title);
    pfa_buf_printf(&h->b,
                   "</figcaption><svg viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" role=\"img\" "
                   "xmlns=\"http://www.w3.org/2000/svg\"><title>",
                   CW, CH);
    escz(h, title);
    put(h, "</title>\n");
    /* grid and y labels */
    for (int k = 0; k <= 10 && k * step <= top + step / 2; k++) {
        double v = k * step, y = MT + ph - v / top * ph;
        char l[48];
        rate_label(l, sizeof l, v * unit, unit, un[u]);
        pfa_buf_printf(&h->b,
                       "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
                       "<text x=\"%.1f\" y=\"%.1f\" class=\"yl\">%s</text>\n",
                       ML, CW - MR, y, y, ML - 6, y + 4, l);
    }
    /* series, bottom first */
    double *base = calloc(nsl ? nsl : 1, sizeof *base), *ytop = calloc(nsl ? nsl : 1, sizeof *ytop),
           *ybot = calloc(nsl ? nsl : 1, sizeof *ybot);
    for (size_t s = 0; base && ytop && ybot && s < ns; s++) {
        double any = 0;
        for (size_t i = 0; i < nsl; i++)
            any += vals[s][i];
        if (any <= 0)
            continue;
        pfa_buf_printf(&h->b, "<polygon fill=\"%s\" points=\"", colors[s]);
        for (size_t i = 0; i < nsl; i++) {
            ytop[i] = MT + ph - (base[i] + vals[s][i]) / secs / unit / top * ph;
            ybot[i] = MT + ph - base[i] / secs / unit / top * ph;
            base[i] += vals[s][i];
        }
        step_points(&h->b, ytop, nsl, 0, pw);
        step_points(&h->b, ybot, nsl, 1, pw);
        put(h, "\"><title>");
        put(h, labels[s]);
        put(h, "</title></polygon>\n");
    }
    free(base);
    free(ytop);
    free(ybot);
    /* time axis: the first step giving at most 8 ticks */
    int64_t span = h->w * (int64_t)nsl, tstep = nice_ns[NNICE - 1];
    for (size_t k = 0; k < NNICE; k++)
        if (span / nice_ns[k] <= 8) {
            tstep = nice_ns[k];
            break;
        }
    pfa_buf_printf(&h->b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>\n", ML, CW - MR,
                   MT + ph, MT + ph);
    for (int64_t t = (floor_div(h->t0 - 1, tstep) + 1) * tstep; span > 0 && t <= h->t0 + span; t += tstep) {
        if (t < h->t0)
            continue;
        double x = ML + pw * (double)(t - h->t0) / (double)span;
        char l[48];
        tick_label(l, sizeof l, t, tstep, h->utc);
        /* a label centred on a tick near the right edge would be cut by
         * the viewBox: it ends at the edge instead (~6.5 units a glyph) */
        double half = 3.25 * (double)strlen(l), lx = x;
        const char *cls = "xl";
        if (x + half > CW - 1) {
            lx = CW - 1;
            cls = "xl xe";
        }
        pfa_buf_printf(&h->b,
                       "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>"
                       "<text x=\"%.1f\" y=\"%.1f\" class=\"%s\">%s</text>\n",
                       x, x, MT + ph, MT + ph + 4, lx, MT + ph + 17, cls, l);
    }
    put(h, "</svg></figure>\n");
}

static void step_points(struct pfa_buf *b, const double *ys, size_t n, int reverse, double pw)
{
    for (size_t k = 0; k < n;) {
        size_t i = reverse ? n - 1 - k : k;
        double y = floor(ys[i] * 10 + 0.5) / 10;
        size_t run = 1;
        while (k + run < n) {
            size_t j = reverse ? n - 1 - (k + run) : k + run;
            if (floor(ys[j] * 10 + 0.5) / 10 != y)
                break;
            run++;
        }
        size_t last = reverse ? n - (k + run) : k + run - 1; /* slot index at the run's far end */
        double xa = ML + pw * (double)(reverse ? i + 1 : i) / (double)n;
        double xb = ML + pw * (double)(reverse ? last : last + 1) / (double)n;
        pfa_buf_printf(b, "%.1f,%.1f %.1f,%.1f ", xa, y, xb, y);
        k += run;
    }
}

static void legend(struct html *h, size_t ns, char *const *labels, const char *const *colors)
{
    put(h, "<ul class=\"legend\">");
    for (size_t s = 0; s < ns; s++) {
        pfa_buf_printf(&h->b, "<li><span class=\"sw\" style=\"background:%s\"></span>", colors[s]);
        put(h, labels[s]); /* HTML text already, see chart_svg */
        put(h, "</li>");
    }
    put(h, "</ul>\n");
}

static void time_axis_note(struct html *h)
{
    char a[64], b[64], w[48];
    pfa_format_time(a, sizeof a, h->t0, h->utc);
    pfa_format_time(b, sizeof b, h->t0 + h->w * (int64_t)h->nslots, h->utc);
    pfa_format_duration(w, sizeof w, h->w);
    pfa_buf_printf(&h->b,
                   "<p class=\"note\">Time axis %s, %s to %s; each step is %s (rates are averages over it).</p>\n",
                   h->utc ? "UTC" : "local time", a, b, w);
}

/* The first and last bucket of span or span-rollup (html.sql): 1 with
 * *lo and *hi, 0 when there are none, or the error. */
static int read_span(struct html *h, const char *name, int64_t *lo, int64_t *hi)
{
    sqlite3_stmt *st;
    int rc = prep(h, name, &st);
    if (rc)
        return rc;
    int found = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
    if (found) {
        *lo = sqlite3_column_int64(st, 0);
        *hi = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return found;
}

/* Picks the axis (t0, bucket width, slots) from the selected byte buckets:
 * at most ~300 slots, width a multiple of the DB bucket. */
static int chart_axis(struct html *h, int64_t *rollup)
{
    sqlite3_stmt *st;
    int rc = prep(h, "meta", &st);
    if (rc)
        return rc;
    int64_t bucket = 1000000000;
    *rollup = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        int64_t v = sqlite3_column_int64(st, 0);
        if (v > 0 && v < 86400000000000LL * 366) /* a year at most: hostile DBs */
            bucket = v;
        if (sqlite3_column_type(st, 1) != SQLITE_NULL)
            *rollup = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    /* the span from the rollup (10x fewer rows) when the axis is that
     * coarse anyway, else from the buckets */
    int have = 0, from_rollup = 0;
    int64_t lo = 0, hi = 0;
    if (*rollup > 0 && *rollup % bucket == 0 && *rollup < INT64_MAX / 600) {
        if ((rc = read_span(h, "span-rollup", &lo, &hi)) < 0)
            return rc;
        from_rollup = rc && hi >= lo && hi < INT64_MAX / 4 && (hi - lo) / 300 >= *rollup;
        if (from_rollup) {
            hi += *rollup - bucket; /* the last bucket inside the last rollup bucket */
            have = 1;
        }
    }
    if (!from_rollup) {
        if ((rc = read_span(h, "span", &lo, &hi)) < 0)
            return rc;
        have = rc && hi >= lo;
    }
    h->nslots = 0;
    if (!have)
        return 0;
    /* hostile DBs: keep the arithmetic inside int64 */
    if (hi > INT64_MAX / 4 || lo < INT64_MIN / 4 || hi < lo)
        return 0;
    int64_t need = (hi - lo + bucket) / 300 + 1, w = 0;
    for (size_t k = 0; k < NNICE; k++)
        if (nice_ns[k] >= need && nice_ns[k] >= bucket && nice_ns[k] % bucket == 0) {
            w = nice_ns[k];
            break;
        }
    if (!w)
        w = (need + bucket - 1) / bucket * bucket;
    h->w = w;
    h->t0 = floor_div(lo, w) * w;
    h->nslots = (size_t)((hi - h->t0) / w + 1);
    if (*rollup <= 0 || w % *rollup || h->t0 % *rollup)
        *rollup = 0;
    return 0;
}

/* A chart series: one program (all processes of one name), or traffic
 * without a process (noproc). */
struct series {
    char *comm;
    size_t len;
    int noproc;
};

static int series_of(const struct series *se, size_t n, sqlite3_stmt *st, int pcol, int ccol)
{
    int noproc = sqlite3_column_type(st, pcol) == SQLITE_NULL;
    const char *c = (const char *)sqlite3_column_text(st, ccol);
    size_t len = c ? (size_t)sqlite3_column_bytes(st, ccol) : 0;
    for (size_t s = 0; s < n; s++)
        if (se[s].noproc == noproc && (noproc || ((c != NULL) == (se[s].comm != NULL) && se[s].len == len &&
                                                  (!len || !memcmp(se[s].comm, c, len)))))
            return (int)s;
    return (int)n; /* the "other" series */
}

#define MAX_SERIES 12

/* Runs one of chart-load*, chart-drop (html.sql): the selected bytes per
 * process are summed once into temp.pf_chart (for picking the series). */
static int chart_load(struct html *h, const char *name, int64_t t1)
{
    sqlite3_stmt *st;
    int rc = prep(h, "chart-drop", &st);
    if (rc)
        return rc;
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sql_fail(h);
    sqlite3_finalize(st);
    if (rc || !strcmp(name, "chart-drop"))
        return rc;
    if ((rc = prep(h, name, &st)))
        return rc;
    pfa_bind_i64(st, ":t0", h->t0);
    pfa_bind_i64(st, ":t1", t1);
    pfa_bind_i64(st, ":w", h->w);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sql_fail(h);
    sqlite3_finalize(st);
    return rc;
}

/* Picks the named series: the fewest programs carrying 80 % of the bytes,
 * at least `floor_n` (when there are that many), at most `cap`. */
static int chart_series(struct html *h, size_t cap, size_t floor_n, struct series *se, char **labels, size_t *nout)
{
    sqlite3_stmt *st;
    int rc = prep(h, "chart-top", &st);
    if (rc)
        return rc;
    sqlite3_stmt *tq;
    if ((rc = prep(h, "chart-total", &tq))) {
        sqlite3_finalize(st);
        return rc;
    }
    double total = sqlite3_step(tq) == SQLITE_ROW ? sqlite3_column_double(tq, 0) : 0;
    sqlite3_finalize(tq);
    double named = 0;
    size_t ns = 0;
    while (ns < cap && (ns < floor_n || named < 0.8 * total) && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct pfa_buf l = {0};
        const char *comm = (const char *)sqlite3_column_text(st, 0);
        size_t len = comm ? (size_t)sqlite3_column_bytes(st, 0) : 0;
        se[ns].noproc = sqlite3_column_int(st, 4);
        se[ns].len = len;
        se[ns].comm = comm ? malloc(len + 1) : NULL;
        if (se[ns].comm) {
            memcpy(se[ns].comm, comm, len);
            se[ns].comm[len] = 0;
        }
        if (se[ns].noproc)
            pfa_buf_printf(&l, "(no process)");
        else {
            if (comm)
                pfa_html_escape(&l, comm, len);
            else
                pfa_buf_put(&l, "?", 1);
            int64_t n = sqlite3_column_int64(st, 1);
            if (n == 1)
                pfa_buf_printf(&l, " (pid %lld)", (long long)sqlite3_column_int64(st, 2));
            else
                pfa_buf_printf(&l, " (%lld processes)", (long long)n);
        }
        labels[ns] = l.p ? l.p : strdup("?");
        named += sqlite3_column_double(st, 3);
        ns++;
    }
    sqlite3_finalize(st);
    *nout = ns;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sql_fail(h);
}

static int bandwidth_section(struct html *h, int nchart)
{
    int64_t rollup;
    int rc = chart_axis(h, &rollup);
    if (rc)
        return rc;
    put(h, "<section id=\"bandwidth\"><h2>Bandwidth over time</h2>\n");
    if (!h->nslots) {
        put(h, "<p class=\"empty\">No traffic recorded.</p></section>\n");
        return 0;
    }
    int64_t t1 = h->t0 + h->w * (int64_t)h->nslots;
    struct series se[MAX_SERIES + 1];
    char *labels[MAX_SERIES + 1];
    const char *colors[MAX_SERIES + 1];
    size_t ns = 0;
    memset(se, 0, sizeof se);
    /* --top N names exactly N programs; by default as many as carry most bytes */
    rc = chart_load(h, rollup ? "chart-load-rollup" : "chart-load", t1);
    if (!rc)
        rc =
            chart_series(h, nchart > 0 ? (size_t)nchart : MAX_SERIES, nchart > 0 ? (size_t)nchart : 6, se, labels, &ns);
    for (size_t s = 0; s < ns; s++)
        colors[s] = palette[s % (sizeof palette / sizeof palette[0])];
    labels[ns] = strdup("other programs");
    colors[ns] = OTHER_COLOR;
    size_t nser = ns + 1;
    double *sent[MAX_SERIES + 1], *recv[MAX_SERIES + 1];
    size_t nsl = h->nslots;
    int oom = 0;
    for (size_t s = 0; s < nser; s++) {
        sent[s] = calloc(nsl, sizeof(double));
        recv[s] = calloc(nsl, sizeof(double));
        oom |= !sent[s] || !recv[s] || !labels[s];
    }
    h->sec_sent = calloc(h->nsec * nsl + 1, sizeof(double));
    h->sec_recv = calloc(h->nsec * nsl + 1, sizeof(double));
    oom |= !h->sec_sent || !h->sec_recv;
    sqlite3_stmt *st;
    double other = 0;
    if (rc) {
        /* reported by chart_series */
    } else if (!oom && !(rc = prep(h, rollup ? "chart-bytes-rollup" : "chart-bytes", &st))) {
        pfa_bind_i64(st, ":t0", h->t0);
        pfa_bind_i64(st, ":t1", t1);
        pfa_bind_i64(st, ":w", h->w);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t pid = sqlite3_column_type(st, 0) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(st, 0);
            int64_t slot = sqlite3_column_int64(st, 2);
            if (slot < 0 || (uint64_t)slot >= nsl)
                continue;
            double bs = sqlite3_column_double(st, 3), br = sqlite3_column_double(st, 4);
            size_t s = (size_t)series_of(se, ns, st, 0, 1);
            sent[s][slot] += bs;
            recv[s][slot] += br;
            if (s == ns)
                other += bs + br;
            for (size_t k = 0; k < h->nsec && pid != INT64_MIN; k++)
                if (h->sec_id[k] == pid) {
                    h->sec_sent[k * nsl + (size_t)slot] += bs;
                    h->sec_recv[k * nsl + (size_t)slot] += br;
                }
        }
        rc = rc == SQLITE_DONE ? 0 : sql_fail(h);
        sqlite3_finalize(st);
    } else if (oom) {
        snprintf(h->err, h->errlen, "out of memory");
        rc = PFA_E_SQL;
    }
    if (!rc) {
        size_t shown = other > 0 ? nser : ns; /* no legend entry for an empty "other" */
        legend(h, shown, labels, colors);
        chart_svg(h, "Sent (stacked by program)", shown, sent, labels, colors);
        chart_svg(h, "Received (stacked by program)", shown, recv, labels, colors);
        time_axis_note(h);
    }
    for (size_t s = 0; s < nser; s++) {
        free(sent[s]);
        free(recv[s]);
        free(labels[s]);
        free(se[s].comm);
    }
    int drc = chart_load(h, "chart-drop", t1);
    put(h, "</section>\n");
    return rc ? rc : drc;
}

/* ------------------------------------------------------------ sections */

/* Runs a statement of html.sql that returns no rows. */
static int run_stmt(struct html *h, const char *name)
{
    sqlite3_stmt *st;
    int rc = prep(h, name, &st);
    if (rc)
        return rc;
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sql_fail(h);
    sqlite3_finalize(st);
    return rc;
}

/* Fills temp.pf_proc (proc-load in html.sql), which the sections, top
 * talkers and UDP peers read, then picks the sections. */
static int load_sections(struct html *h, int max, int all)
{
    sqlite3_stmt *st;
    int rc = run_stmt(h, "proc-drop");
    if (!rc)
        rc = run_stmt(h, "proc-load");
    if (!rc)
        rc = prep(h, "sections", &st);
    if (rc)
        return rc;
    pfa_bind_i64(st, ":n", max);
    pfa_bind_i64(st, ":all", all);
    h->sec_id = calloc((size_t)max + 1, sizeof *h->sec_id);
    h->sec_pid = calloc((size_t)max + 1, sizeof *h->sec_pid);
    if (!h->sec_id || !h->sec_pid) {
        sqlite3_finalize(st);
        snprintf(h->err, h->errlen, "out of memory");
        return PFA_E_SQL;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && h->nsec < (size_t)max) {
        int64_t pid = sqlite3_column_int64(st, 1);
        h->sec_id[h->nsec] = sqlite3_column_int64(st, 0);
        h->sec_pid[h->nsec] = pid;
        h->nsec++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sql_fail(h);
}

static void fact_row(struct html *h, const char *k, sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return;
    pfa_buf_printf(&h->b, "<tr><th>%s</th><td>", k);
    const char *s = (const char *)sqlite3_column_text(st, col);
    esc(h, s, s ? (size_t)sqlite3_column_bytes(st, col) : 0);
    put(h, "</td></tr>");
}

/* The sections load_sections chose, each read by its id (section in
 * html.sql). */
static int process_sections(struct html *h)
{
    int rc = 0;
    put(h, "<section id=\"processes\"><h2>Processes</h2>\n");
    if (!h->nsec)
        put(h, "<p class=\"empty\">none</p>\n");
    for (size_t k = 0; k < h->nsec; k++) {
        sqlite3_stmt *st;
        if ((rc = prep(h, "section", &st)))
            break;
        pfa_bind_i64(st, ":process_id", h->sec_id[k]);
        if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
            rc = rc == SQLITE_DONE ? 0 : sql_fail(h);
            sqlite3_finalize(st);
            if (rc)
                break;
            continue;
        }
        rc = 0;
        /* 0 id 1 pid 2 ppid 3 comm 4 exe 5 cmdline 6 start 7 exit 8 uid 9 user 10 exit_code 11 container
         * 12 parent_comm 13 sent 14 recv 15 flows */
        int64_t id = sqlite3_column_int64(st, 0);
        const char *comm = (const char *)sqlite3_column_text(st, 3);
        pfa_buf_printf(&h->b, "<article class=\"proc\" id=\"proc-%" PRId64 "\"><h3>", id);
        esc(h, comm, comm ? (size_t)sqlite3_column_bytes(st, 3) : 0);
        char a[64], b[64], c[64];
        pfa_human_bytes(a, sizeof a, sqlite3_column_double(st, 13));
        pfa_human_bytes(b, sizeof b, sqlite3_column_double(st, 14));
        long long nflows = (long long)sqlite3_column_int64(st, 15);
        pfa_buf_printf(&h->b,
                       " <small>pid %lld &middot; %lld flow%s &middot; sent %s &middot; received %s</small></h3>\n",
                       (long long)sqlite3_column_int64(st, 1), nflows, nflows == 1 ? "" : "s", a, b);
        put(h, "<table class=\"facts\">");
        fact_row(h, "command line", st, 5);
        fact_row(h, "executable", st, 4);
        if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
            pfa_buf_printf(&h->b, "<tr><th>parent</th><td>pid %lld", (long long)sqlite3_column_int64(st, 2));
            if (sqlite3_column_type(st, 12) != SQLITE_NULL) {
                const char *pc = (const char *)sqlite3_column_text(st, 12);
                put(h, " (");
                esc(h, pc, pc ? (size_t)sqlite3_column_bytes(st, 12) : 0);
                put(h, ")");
            }
            put(h, "</td></tr>");
        }
        if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
            pfa_format_time(c, sizeof c, sqlite3_column_int64(st, 6), h->utc);
            pfa_buf_printf(&h->b, "<tr><th>started</th><td>%s</td></tr>", c);
        }
        if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
            pfa_format_time(c, sizeof c, sqlite3_column_int64(st, 7), h->utc);
            pfa_buf_printf(&h->b, "<tr><th>exited</th><td>%s", c);
            if (sqlite3_column_type(st, 10) != SQLITE_NULL)
                pfa_buf_printf(&h->b, " (code %lld)", (long long)sqlite3_column_int64(st, 10));
            put(h, "</td></tr>");
        }
        fact_row(h, "user", st, 9);
        fact_row(h, "uid", st, 8);
        fact_row(h, "container", st, 11);
        put(h, "</table>\n");
        if (h->nslots && h->sec_sent) {
            double *v[2] = {h->sec_sent + k * h->nslots, h->sec_recv + k * h->nslots};
            char *lab[2] = {"sent", "received"};
            const char *col[2] = {palette[0], palette[1]};
            legend(h, 2, lab, col);
            chart_svg(h, "Traffic of this process", 2, v, lab, col);
        }
        sqlite3_finalize(st);
        if ((rc = process_table(h, "Flows", "process-flows", id)) ||
            (rc = process_table(h, "Timeline", "process-timeline", id)))
            break;
        put(h, "<p class=\"top\"><a href=\"#top\">back to top</a></p></article>\n");
        flush(h);
    }
    put(h, "</section>\n");
    return rc;
}

/* ------------------------------------------------------------ page */

/* Style and sorting script: analyzer/html/report.{css,js}, embedded at
 * build time. */
extern const struct pf_embedded_file pfa_html_assets[];
extern const size_t pfa_html_assets_count;

static const char *asset(const char *name)
{
    for (size_t i = 0; i < pfa_html_assets_count; i++)
        if (!strcmp(pfa_html_assets[i].name, name))
            return pfa_html_assets[i].data;
    return "";
}

static int header(struct html *h, const char *filter_text)
{
    sqlite3_stmt *st;
    int rc = prep(h, "captures", &st);
    if (rc)
        return rc;
    struct pfa_buf hosts = {0};
    int64_t lost = 0, damaged = 0, skipped = 0, ncap = 0, not_closed = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *host = (const char *)sqlite3_column_text(st, 1);
        if (ncap++ < 4) {
            if (hosts.len)
                pfa_buf_put(&hosts, ", ", 2);
            pfa_html_escape(&hosts, host, host ? (size_t)sqlite3_column_bytes(st, 1) : 0);
        }
        damaged += sqlite3_column_int64(st, 9);
        lost += sqlite3_column_int64(st, 10);
        skipped += sqlite3_column_int64(st, 11);
        not_closed += sqlite3_column_int(st, 12) == 0; /* NULL or 0: no consistent footer */
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        pfa_buf_free(&hosts);
        return sql_fail(h);
    }
    put(h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
           "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
           "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
           "<meta name=\"generator\" content=\"procflow-analyze\">\n<title>procflow report");
    if (hosts.len) {
        put(h, ": ");
        pfa_buf_put(&h->b, hosts.p, hosts.len);
    }
    pfa_buf_printf(&h->b, "</title>\n<style>%s</style></head>\n<body id=\"top\">\n<h1>procflow report",
                   asset("report.css"));
    if (hosts.len) {
        put(h, ": ");
        pfa_buf_put(&h->b, hosts.p, hosts.len);
        if (ncap > 4)
            pfa_buf_printf(&h->b, " and %lld more", (long long)(ncap - 4));
    }
    pfa_buf_free(&hosts);
    put(h, "</h1>\n");
    if (filter_text) {
        put(h, "<p class=\"note\">Selection: ");
        escz(h, filter_text);
        put(h, "</p>\n");
    }
    if (lost > 0 || damaged > 0 || not_closed > 0) {
        put(h, "<div class=\"banner\" id=\"loss\" role=\"alert\">Incomplete data: ");
        if (not_closed > 0)
            pfa_buf_printf(&h->b, "%lld capture file(s) not closed (no footer: recording still running or cut)%s",
                           (long long)not_closed, lost > 0 || damaged > 0 ? "; " : "");
        if (lost > 0) {
            pfa_buf_printf(&h->b, "%lld events were lost while recording", (long long)lost);
            if ((rc = prep(h, "losses", &st)))
                return rc;
            const char *sep = " (";
            while (sqlite3_step(st) == SQLITE_ROW) {
                const char *src = (const char *)sqlite3_column_text(st, 0);
                put(h, sep);
                esc(h, src, src ? (size_t)sqlite3_column_bytes(st, 0) : 0);
                pfa_buf_printf(&h->b, " %lld", (long long)sqlite3_column_int64(st, 1));
                sep = ", ";
            }
            sqlite3_finalize(st);
            if (strcmp(sep, " ("))
                put(h, ")");
        }
        if (damaged > 0)
            pfa_buf_printf(&h->b, "%s%lld damaged chunk(s) were skipped (%lld bytes)", lost > 0 ? "; " : "",
                           (long long)damaged, (long long)skipped);
        put(h, ". Byte counts and flow lists are lower bounds.</div>\n");
    }
    put(h,
        "<nav><a href=\"#captures\">Captures</a><a href=\"#bandwidth\">Bandwidth</a>"
        "<a href=\"#top-talkers\">Top talkers</a><a href=\"#top-remotes\">Top remotes</a>"
        "<a href=\"#udp-peers\">UDP peers</a><a href=\"#listeners\">Listeners</a>"
        "<a href=\"#short-lived\">Short-lived</a><a href=\"#dns\">DNS</a><a href=\"#processes\">Processes</a></nav>\n"
        "<section id=\"captures\"><h2>Captures</h2>\n");
    if ((rc = report_table(h, "summary", NULL, 0, 0)))
        return rc;
    put(h, "<details><summary>Capture files</summary>\n");
    if ((rc = prep(h, "captures", &st)))
        return rc;
    rc = html_table_vertical(h, st);
    sqlite3_finalize(st);
    put(h, "</details></section>\n");
    return rc;
}

/* A report's table from an html.sql statement (faster forms of canned
 * reports, most reading temp.pf_proc): `name` returns at most :limit rows;
 * `count`, when given, the number of rows of the whole report. */
static int html_sql_table(struct html *h, const char *name, const char *count, int64_t limit, size_t maxrows)
{
    sqlite3_stmt *st;
    int64_t total = -1;
    int rc;
    if (count) {
        if ((rc = prep(h, count, &st)))
            return rc;
        if ((rc = sqlite3_step(st)) == SQLITE_ROW)
            total = sqlite3_column_int64(st, 0);
        rc = rc == SQLITE_ROW ? 0 : sql_fail(h);
        sqlite3_finalize(st);
        if (rc)
            return rc;
    }
    if ((rc = prep(h, name, &st)))
        return rc;
    pfa_bind_i64(st, ":limit", limit);
    rc = html_table_of(h, st, maxrows, total);
    sqlite3_finalize(st);
    return rc;
}

static int tables(struct html *h)
{
    static const struct {
        const char *id, *title, *report, *note;
    } t[] = {
        {"top-talkers", "Top talkers", "top-talkers", "Processes by bytes sent plus received."},
        {"top-remotes", "Top remotes", "top-remotes", "Remote endpoints by bytes exchanged."},
        {"udp-peers", "UDP peers per process", "udp-peers", "Every UDP peer of each process."},
        {"listeners", "Listeners", "listeners", "Listening TCP and bound UDP ports."},
        {"short-lived", "Short-lived processes", "short-lived",
         "Processes that lived under 10 s and used the network."},
        {"dns", "DNS lookups", "dns",
         "Names the processes looked up over plain DNS, with the answers (DNS over HTTPS or TLS is not seen)."},
    };
    struct pfa_kv lim = {"limit", "50"};
    /* html.sql's top-remotes sums one host's flows without reading their
     * capture; more hosts: the report itself */
    sqlite3_stmt *st;
    int64_t hosts = 2;
    int rc = prep(h, "host-count", &st);
    if (rc)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW)
        hosts = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        pfa_buf_printf(&h->b, "<section id=\"%s\"><h2>%s</h2><p class=\"note\">%s</p>\n", t[i].id, t[i].title,
                       t[i].note);
        if (!strcmp(t[i].report, "top-talkers"))
            rc = html_sql_table(h, "top-talkers", NULL, 50, 300);
        else if (!strcmp(t[i].report, "udp-peers"))
            rc = html_sql_table(h, "udp-peers-head", "udp-peers-count", 300, 300);
        else if (!strcmp(t[i].report, "top-remotes") && hosts <= 1)
            rc = html_sql_table(h, "top-remotes", NULL, 50, 300);
        else
            rc = report_table(h, t[i].report, &lim, 1, 300);
        if (rc)
            return rc;
        put(h, "</section>\n");
        flush(h);
    }
    return 0;
}

int pfa_html_report(sqlite3 *db, const struct pfa_html_options *o, FILE *out, char *err, size_t errlen)
{
    struct html h = {.out = out, .db = db, .err = err, .errlen = errlen, .utc = o ? o->utc : 0};
    int nchart = o && o->chart_processes > 0 ? o->chart_processes : 0; /* 0: by share of bytes */
    int nsec = o && o->sections > 0 ? o->sections : 20;
    if (nchart > MAX_SERIES)
        nchart = MAX_SERIES;
    int all = o && o->filter_text ? 1 : 0; /* a selection shows its processes even without flows */
    /* the report reads much of a big database: map it rather than read() it */
    sqlite3_exec(db, "PRAGMA mmap_size=1073741824", NULL, NULL, NULL);
    int rc = load_sections(&h, nsec, all);
    if (!rc)
        rc = header(&h, o ? o->filter_text : NULL);
    if (!rc)
        rc = bandwidth_section(&h, nchart);
    flush(&h);
    if (!rc)
        rc = tables(&h);
    if (!rc)
        rc = pfa_html_conversation_graph(db, &h.b, err, errlen);
    if (!rc)
        rc = process_sections(&h);
    if (!rc)
        rc = run_stmt(&h, "proc-drop");
    if (!rc) {
        pfa_buf_printf(&h.b,
                       "<footer><p class=\"note\">Made by procflow-analyze. Times are %s.</p></footer>\n"
                       "<script>%s</script>\n</body></html>\n",
                       h.utc ? "UTC" : "local time (offset from UTC shown)", asset("report.js"));
    }
    flush(&h);
    pfa_buf_free(&h.b);
    free(h.sec_id);
    free(h.sec_pid);
    free(h.sec_sent);
    free(h.sec_recv);
    if (!rc && ferror(out)) {
        snprintf(err, errlen, "write error");
        return PF_E_IO;
    }
    return rc;
}
