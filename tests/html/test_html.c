/* SPDX-License-Identifier: MIT */
/* HTML report tests: the escaping helper on hostile strings, and reports of
 * hand-built captures (hostile strings, loss and damage banners, the
 * --process/--from/--to selection).
 * usage: test_html WORKDIR [SAMPLES_DIR] */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfa_export.h"
#include "pfgen.h"
#include "scenarios.h"

static int failures;
#define PF_CHECK_FAILURES failures
#include "../check.h"
static const char *workdir;

static void esc_is(const char *in, size_t n, const char *want)
{
    struct pfa_buf b = {0};
    pfa_html_escape(&b, in, n);
    const char *got = b.p ? b.p : "";
    if (strcmp(got, want)) {
        fprintf(stderr, "escape: got [%s] want [%s]\n", got, want);
        failures++;
    }
    pfa_buf_free(&b);
}

static void test_escape(void)
{
    static const char script[] = "</script><script>alert(1)</script>";
    esc_is(script, sizeof script - 1, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
    static const char quotes[] = "a\"b'c&d<e>f";
    esc_is(quotes, sizeof quotes - 1, "a&quot;b&#39;c&amp;d&lt;e&gt;f");
    static const char ents[] = "&amp; &#60;";
    esc_is(ents, sizeof ents - 1, "&amp;amp; &amp;#60;");
    static const char ctl[] = "a\x1b[31mb\x07\t\r\n";
    esc_is(ctl, sizeof ctl - 1, "a\\x1b[31mb\\x07\\x09\\x0d\\x0a");
    static const char nul[] = "a\0b";
    esc_is(nul, 3, "a\\x00b");
    static const char bad[] = "\xff\xfe ok \xc3\x28 \xed\xa0\x80";
    esc_is(bad, sizeof bad - 1, "\\xff\\xfe ok \\xc3( \\xed\\xa0\\x80");
    static const char utf8[] = "caf\xc3\xa9 \xe2\x82\xac";
    esc_is(utf8, sizeof utf8 - 1, "caf\xc3\xa9 \xe2\x82\xac");
    static const char bidi[] = "x\xe2\x80\xaey"; /* U+202E right-to-left override */
    esc_is(bidi, sizeof bidi - 1, "x\\xe2\\x80\\xaey");
    static const char c1[] = "\xc2\x9b"; /* U+009B CSI */
    esc_is(c1, sizeof c1 - 1, "\\xc2\\x9b");
    esc_is("back\\slash", 10, "back\\\\slash");
    esc_is(NULL, 0, "");
}

/* ------------------------------------------------------------ reports */

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)len + 1);
    if (p && fread(p, 1, (size_t)len, f) != (size_t)len) {
        free(p);
        p = NULL;
    }
    if (p)
        p[len] = 0;
    *n = (size_t)len;
    fclose(f);
    return p;
}

static size_t count(const char *hay, const char *needle)
{
    size_t c = 0, nl = strlen(needle);
    for (const char *p = hay; (p = strstr(p, needle)); p += nl)
        c++;
    return c;
}

static int valid_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t l = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (!l || i + l > n || (l == 2 && c < 0xc2))
            return 0;
        for (size_t k = 1; k < l; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
        i += l;
    }
    return 1;
}

static sqlite3 *make_db(const char *scenario)
{
    char cap[1024], dbp[1024], err[512];
    snprintf(cap, sizeof cap, "%s/%s.pfcap", workdir, scenario);
    snprintf(dbp, sizeof dbp, "%s/%s.db", workdir, scenario);
    unlink(cap);
    unlink(dbp);
    int rc = 0;
    if (!strcmp(scenario, "empty"))
        ; /* a DB without captures */
    else if (!strcmp(scenario, "three-flipped"))
        rc = sc_write_damaged("flip", cap);
    else
        rc = sc_write(scenario, cap);
    CHECK(rc == 0);
    sqlite3 *db = NULL;
    if (pfa_db_open(&db, dbp, 1, 0, err, sizeof err)) {
        fprintf(stderr, "open: %s\n", err);
        failures++;
        return NULL;
    }
    struct pfa_ingest_options o = {0};
    struct pfa_ingest_result r;
    if (strcmp(scenario, "empty")) {
        CHECK(pfa_ingest_file(db, cap, &o, &r, err, sizeof err) == 0);
        CHECK(pfa_ingest_finish(db, err, sizeof err) == 0);
    }
    return db;
}

/* Writes the report of `db` (after an optional selection) and reads it back. */
static char *report(sqlite3 *db, const char *name, const struct pfa_filter *f, size_t *n)
{
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/%s.html", workdir, name);
    if (f) {
        int rc = pfa_filter_apply(db, f, err, sizeof err);
        if (rc) {
            fprintf(stderr, "filter: %s\n", err);
            failures++;
        }
    }
    FILE *out = fopen(path, "wb");
    CHECK(out != NULL);
    if (!out)
        return NULL;
    struct pfa_html_options o = {.filter_text = f ? "selection" : NULL};
    int rc = pfa_html_report(db, &o, out, err, sizeof err);
    if (rc)
        fprintf(stderr, "html: %s\n", err);
    CHECK(rc == 0);
    fclose(out);
    return slurp(path, n);
}

static void test_hostile(void)
{
    sqlite3 *db = make_db("hostile");
    if (!db)
        return;
    size_t n;
    char *h = report(db, "hostile", NULL, &n);
    CHECK(h != NULL);
    if (h) {
        CHECK(valid_utf8((const unsigned char *)h, n));
        CHECK(!memchr(h, 0x1b, n) && !memchr(h, 0x07, n) && strlen(h) == n);
        CHECK(count(h, "<script") == 1 && count(h, "</script>") == 1);
        CHECK(count(h, "<title>procflow report: host\\x1b[2Jname</title>") == 1);
        CHECK(strstr(h, "<h3>&#39;; DROP TABLE processes; --") != NULL);
        CHECK(strstr(h, "evil --name &quot;x&#39;; DROP TABLE flows; --&quot; \\x1b[31mRED\\x1b[0m \\xff\\xfe\\x07 "
                        "tab\\x09here") != NULL);
        CHECK(strstr(h, "/tmp/\\x1b]0;pwned\\x07") != NULL);
        CHECK(count(h, "<div class=\"banner\"") == 1);
        CHECK(strstr(h, "7 events were lost while recording (ringbuf 7)") != NULL);
        /* no external resources */
        CHECK(!strstr(h, "src=") && !strstr(h, "href=\"http") && !strstr(h, "@import") && !strstr(h, "url("));
    }
    free(h);
    pfa_db_close(db);
}

static void test_basic(void)
{
    sqlite3 *db = make_db("basic");
    if (!db)
        return;
    size_t n;
    char *h = report(db, "basic", NULL, &n);
    if (h) {
        CHECK(count(h, "<svg") == 2 + 4); /* sent + received, one per process section */
        CHECK(count(h, "<article class=\"proc\"") == 4);
        CHECK(count(h, "<table class=\"sort\">") >= 7);
        CHECK(strstr(h, "<section id=\"top-talkers\">") && strstr(h, "<section id=\"top-remotes\">") &&
              strstr(h, "<section id=\"udp-peers\">") && strstr(h, "<section id=\"listeners\">") &&
              strstr(h, "<section id=\"short-lived\">"));
        /* top talker: curl sent 1500 B, received 76000 B (74.2 KiB) */
        CHECK(strstr(h, "<td class=\"num\" data-v=\"76000\" title=\"76000 bytes\">74.2 KiB</td>") != NULL);
        /* 1 s buckets over 12 s: axis of 1 s steps, ticks every 2 s */
        CHECK(strstr(h, "each step is 1.000 s") != NULL);
        CHECK(strstr(h, ">12:00:04</text>") != NULL);
        /* process section facts: parent and command line of curl */
        CHECK(strstr(h, "<tr><th>command line</th><td>curl -s https://example.org/</td></tr>") != NULL);
        /* pid 100 is used twice (curl, evil): tables must not link it */
        CHECK(!strstr(h, ">100</a>") && strstr(h, ">200</a>"));
    }
    free(h);
    /* selection by name: only curl's section and flows */
    struct pfa_filter f = {.process = "curl"};
    h = report(db, "basic-curl", &f, &n);
    if (h) {
        CHECK(count(h, "<article class=\"proc\"") == 1);
        CHECK(strstr(h, "<h3>curl <small>") != NULL);
        CHECK(!strstr(h, "nginx (pid 200)"));
    }
    free(h);
    pfa_db_close(db);
}

static void test_selection(void)
{
    sqlite3 *db = make_db("basic");
    if (!db)
        return;
    size_t n;
    struct pfa_filter f = {.process = "300"};
    char *h = report(db, "basic-300", &f, &n);
    if (h) {
        CHECK(count(h, "<article class=\"proc\"") == 1);
        CHECK(strstr(h, "<h3>resolver <small>pid 300 &middot; 4 flows") != NULL);
    }
    free(h);
    pfa_db_close(db);
    db = make_db("basic");
    if (!db)
        return;
    /* 12:00:09..12:00:11: only evil's connection (12:00:10) is in the window */
    struct pfa_filter w = {.from = "+9s", .to = "2024-05-01T12:00:11Z", .utc = 1};
    h = report(db, "basic-window", &w, &n);
    if (h) {
        CHECK(strstr(h, "evil (pid 100)") != NULL);
        CHECK(!strstr(h, "curl (pid 100)"));
        CHECK(strstr(h, "<td>203.0.113.66</td>") && !strstr(h, "<td>203.0.113.5</td>"));
    }
    free(h);
    char err[512];
    struct pfa_filter bad = {.from = "yesterday"};
    CHECK(pfa_filter_apply(db, &bad, err, sizeof err) == PFA_E_PARAM);
    pfa_db_close(db);
}

static void test_banners(void)
{
    size_t n;
    sqlite3 *db = make_db("three");
    char *h = db ? report(db, "three", NULL, &n) : NULL;
    if (h)
        CHECK(!strstr(h, "class=\"banner\""));
    free(h);
    pfa_db_close(db);
    db = make_db("three-flipped");
    h = db ? report(db, "three-flipped", NULL, &n) : NULL;
    if (h)
        CHECK(strstr(h, "class=\"banner\"") && strstr(h, "1 damaged chunk(s) were skipped"));
    free(h);
    pfa_db_close(db);
    db = make_db("empty");
    h = db ? report(db, "empty", NULL, &n) : NULL;
    if (h)
        CHECK(strstr(h, "No traffic recorded.") && strstr(h, "</html>"));
    free(h);
    pfa_db_close(db);
}

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "SQL: %s: %s\n", msg ? msg : "?", sql);
        failures++;
    }
    sqlite3_free(msg);
}

/* Time axes from sub-second to days: byte buckets rewritten by SQL. */
static void test_axis(void)
{
    sqlite3 *db = make_db("basic");
    if (!db)
        return;
    /* three days: 15 min steps, ticks every 12 h, midnight shows the date */
    exec_ok(db, "UPDATE bytes SET bucket_ns = 1714564800000000000 + (rowid % 9) * 32400000000000;"
                "DELETE FROM bytes_rollup;"
                "INSERT INTO bytes_rollup SELECT flow_id, bucket_ns / 60000000000 * 60000000000, sum(bytes_sent),"
                " sum(bytes_recv), sum(sends), sum(recvs), process_id FROM bytes GROUP BY 1, 2;"
                /* the chart must read the rollup (15 min is a multiple of its 60 s): bytes are emptied */
                "DELETE FROM bytes WHERE bucket_ns <> 1714564800000000000 AND bucket_ns <> "
                "(SELECT max(bucket_ns) FROM bytes);");
    size_t n;
    char *h = report(db, "axis-days", NULL, &n);
    if (h) {
        CHECK(strstr(h, "each step is 15.0 min") != NULL);
        /* curl's 50000 B received in one 15 min step: 55.6 B/s, axis to 60 B/s */
        CHECK(strstr(h, "<polygon fill=\"#4e79a7\"") != NULL);
        CHECK(strstr(h, ">60 B/s</text>") != NULL);
        CHECK(strstr(h, ">May 02</text>") && strstr(h, ">12:00</text>") && strstr(h, ">May 04</text>"));
    }
    free(h);
    pfa_db_close(db);
    /* 0.4 s at 1 ms buckets: 2 ms steps, ticks every 50 ms with milliseconds */
    db = make_db("basic");
    if (!db)
        return;
    exec_ok(db, "UPDATE meta SET value = '1000000' WHERE key = 'bucket_ns';"
                "DELETE FROM bytes_rollup;"
                "UPDATE bytes SET bucket_ns = 1714564800000000000 + (rowid % 9) * 50000000;");
    h = report(db, "axis-ms", NULL, &n);
    if (h) {
        CHECK(strstr(h, "each step is 2.0 ms") != NULL);
        CHECK(strstr(h, ">12:00:00.050</text>") && strstr(h, ">12:00:00.400</text>"));
        /* y axis in a 1/2/5 step of binary units per second */
        CHECK(strstr(h, " MiB/s</text>") != NULL);
    }
    free(h);
    pfa_db_close(db);
}

/* A long capture's chart reads the per-process rollup; a --process
 * selection must not: its TEMP views shadow bytes_rollup, not
 * process_rollup, so the chart would show every other process as "?". */
static void test_rollup_selection(void)
{
    sqlite3 *db = make_db("basic");
    if (!db)
        return;
    exec_ok(db, "UPDATE bytes SET bucket_ns = 1714564800000000000 + (rowid % 9) * 32400000000000;"
                "DELETE FROM bytes_rollup;"
                "INSERT INTO bytes_rollup SELECT flow_id, bucket_ns / 60000000000 * 60000000000, sum(bytes_sent),"
                " sum(bytes_recv), sum(sends), sum(recvs), process_id FROM bytes GROUP BY 1, 2;"
                "DELETE FROM process_rollup;"
                "INSERT INTO process_rollup SELECT bucket_ns, process_id, sum(bytes_sent), sum(bytes_recv),"
                " sum(sends), sum(recvs) FROM bytes_rollup GROUP BY 1, 2;"
                "INSERT OR REPLACE INTO meta(key, value) VALUES('rollups_current', '1');");
    size_t n;
    char *h = report(db, "rollup-all", NULL, &n);
    if (h) {
        CHECK(strstr(h, "each step is 15.0 min") != NULL);
        CHECK(strstr(h, "</span>curl (pid 100)</li>") && strstr(h, "</span>nginx (pid 200)</li>"));
    }
    free(h);
    struct pfa_filter f = {.process = "curl"};
    h = report(db, "rollup-curl", &f, &n);
    if (h) {
        CHECK(strstr(h, "each step is 10.0 min") != NULL); /* curl's own span */
        CHECK(strstr(h, "<ul class=\"legend\"><li><span class=\"sw\" style=\"background:#4e79a7\"></span>"
                        "curl (pid 100)</li></ul>") != NULL);
        CHECK(!strstr(h, "</span>? (") && !strstr(h, "nginx (pid 200)"));
    }
    free(h);
    pfa_db_close(db);
}

/* A database edited to absurd values: reports and exports still finish. */
static void test_hostile_db(void)
{
    static const char *const edits[] = {
        "UPDATE bytes SET bytes_sent = 9223372036854775807, bucket_ns = -9000000000000000000 WHERE rowid = 1;"
        "UPDATE bytes SET bytes_recv = -5 WHERE rowid = 2;"
        "UPDATE meta SET value = 'garbage' WHERE key = 'bucket_ns';"
        "UPDATE flows SET first_ns = NULL, last_ns = -1 WHERE rowid = 2;"
        "UPDATE flows SET process_id = NULL WHERE rowid = 3;"
        "UPDATE flows SET remote_addr = '</script><x>', local_addr = NULL WHERE rowid = 4;"
        "UPDATE processes SET comm = NULL, start_ns = 9223372036854775807 WHERE rowid = 1;",
        "UPDATE bytes SET bytes_sent = 1e300, bucket_ns = 9223372036854775807 WHERE rowid = 3;"
        "UPDATE meta SET value = '9223372036854775807' WHERE key = 'bucket_ns';"
        "UPDATE flows SET first_ns = 9223372036854775807, last_ns = -9223372036854775808 WHERE rowid = 5;",
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        sqlite3 *db = make_db("basic");
        if (!db)
            return;
        exec_ok(db, edits[i]);
        size_t n;
        char *h = report(db, "hostile-db", NULL, &n);
        CHECK(h && strstr(h, "</html>") && count(h, "<script") == 1);
        free(h);
        char path[1024], err[512];
        snprintf(path, sizeof path, "%s/hostile-db.out", workdir);
        for (int f = PFA_EXP_CHROME_TRACE; f <= PFA_EXP_ZEEK; f++) {
            FILE *out = fopen(path, "wb");
            CHECK(out && pfa_export(db, f, PFA_EXP_FLOWS, out, err, sizeof err) == 0);
            if (out)
                fclose(out);
        }
        pfa_db_close(db);
    }
}

/* A big synthetic capture: tables are cut at 300 rows and say so. */
static void test_big(void)
{
    char cap[1024], dbp[1024], err[512];
    snprintf(cap, sizeof cap, "%s/gen.pfcap", workdir);
    snprintf(dbp, sizeof dbp, "%s/gen.db", workdir);
    unlink(cap);
    unlink(dbp);
    struct pfgen_options go;
    pfgen_default_options(&go);
    go.records = 200000;
    go.seed = 5;
    struct pf_file_info info;
    pfgen_file_info(&go, &info);
    pf_writer *w = NULL;
    CHECK(pf_writer_open(&w, cap, &info, NULL) == 0);
    if (!w)
        return;
    CHECK(pfgen_write(w, &go) == 0);
    CHECK(pf_writer_close(w) == 0);
    pf_writer_destroy(w);
    sqlite3 *db = NULL;
    CHECK(pfa_db_open(&db, dbp, 1, 0, err, sizeof err) == 0);
    struct pfa_ingest_options o = {0};
    struct pfa_ingest_result r;
    CHECK(pfa_ingest_file(db, cap, &o, &r, err, sizeof err) == 0);
    CHECK(pfa_ingest_finish(db, err, sizeof err) == 0);
    size_t n;
    char *h = report(db, "gen", NULL, &n);
    if (h) {
        const char *u = strstr(h, "<section id=\"udp-peers\">");
        const char *e = u ? strstr(u, "</section>") : NULL;
        size_t rows = 0;
        for (const char *p = u; p && e && (p = strstr(p, "<tr>")) && p < e; p++)
            rows++;
        CHECK(rows == 301); /* header + 300 */
        CHECK(u && e && strstr(u, "more rows not shown") && strstr(u, "more rows not shown") < e);
        CHECK(count(h, "<article class=\"proc\"") == 20);
        CHECK(n < 4u << 20);
    }
    free(h);
    pfa_db_close(db);
}

/* ------------------------------------------------------------ html.sql
 * The page's faster forms of canned reports (top-talkers, top-remotes,
 * udp-peers in html.sql) must give the reports' rows exactly. */

static sqlite3_stmt *html_stmt(sqlite3 *db, const char *name, int64_t limit)
{
    sqlite3_stmt *st = NULL;
    char err[512];
    if (pfa_prepare_embedded(db, "html.sql", name, &st, err, sizeof err)) {
        fprintf(stderr, "html.sql %s: %s\n", name, err);
        failures++;
        return NULL;
    }
    int i = sqlite3_bind_parameter_index(st, ":limit");
    if (i > 0)
        sqlite3_bind_int64(st, i, limit);
    return st;
}

static void html_exec(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = html_stmt(db, name, 0);
    if (st)
        CHECK(sqlite3_step(st) == SQLITE_DONE);
    sqlite3_finalize(st);
}

/* The canned report `name` with `limit` (when it takes one). */
static sqlite3_stmt *report_stmt(sqlite3 *db, const char *name, const char *limit)
{
    const struct pfa_report *rep = pfa_report_find(name);
    sqlite3_stmt *st = NULL;
    char err[512];
    CHECK(rep != NULL);
    if (!rep || sqlite3_prepare_v2(db, rep->sql, -1, &st, NULL) != SQLITE_OK) {
        failures++;
        return NULL;
    }
    struct pfa_kv kv = {"limit", limit};
    if (pfa_bind_params(db, st, rep, &kv, limit ? 1 : 0, 1, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", name, err);
        failures++;
    }
    return st;
}

/* Steps both: the first `rows` rows (all when 0) must match in column
 * names, types and values, and `got` must end there; returns the rows
 * `want` has in all. */
static int64_t same_rows(const char *what, sqlite3_stmt *got, sqlite3_stmt *want, int64_t rows)
{
    int64_t n = 0, all = 0;
    int rw, missing = 0;
    if (!got || !want)
        return -1;
    CHECK(sqlite3_column_count(got) == sqlite3_column_count(want));
    while ((rw = sqlite3_step(want)) == SQLITE_ROW) {
        all++;
        if (missing || (rows && n >= rows))
            continue;
        if (sqlite3_step(got) != SQLITE_ROW) {
            fprintf(stderr, "%s: row %lld missing\n", what, (long long)n);
            failures++;
            missing = 1;
            continue;
        }
        for (int c = 0; c < sqlite3_column_count(want); c++) {
            int tg = sqlite3_column_type(got, c), tw = sqlite3_column_type(want, c);
            const char *a = (const char *)sqlite3_column_text(got, c);
            size_t la = (size_t)sqlite3_column_bytes(got, c);
            const char *b = (const char *)sqlite3_column_text(want, c);
            size_t lb = (size_t)sqlite3_column_bytes(want, c);
            if (strcmp(sqlite3_column_name(got, c), sqlite3_column_name(want, c)) || tg != tw || la != lb ||
                (la && memcmp(a, b, la))) {
                fprintf(stderr, "%s: row %lld column %s: [%.*s] want [%.*s]\n", what, (long long)n,
                        sqlite3_column_name(want, c), (int)la, a ? a : "", (int)lb, b ? b : "");
                failures++;
            }
        }
        n++;
    }
    CHECK(rw == SQLITE_DONE);
    if (!missing && sqlite3_step(got) != SQLITE_DONE) {
        fprintf(stderr, "%s: more rows than the report\n", what);
        failures++;
    }
    return all;
}

static void check_html_sql(sqlite3 *db, const char *label, int one_host)
{
    char what[128];
    html_exec(db, "proc-drop");
    html_exec(db, "proc-load");
    static const int64_t limits[] = {1, 5, 50, 1000000};
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        char lim[32];
        snprintf(lim, sizeof lim, "%lld", (long long)limits[i]);
        sqlite3_stmt *g = html_stmt(db, "top-talkers", limits[i]), *w = report_stmt(db, "top-talkers", lim);
        snprintf(what, sizeof what, "%s top-talkers limit %s", label, lim);
        same_rows(what, g, w, 0);
        sqlite3_finalize(g);
        sqlite3_finalize(w);
        if (one_host) {
            g = html_stmt(db, "top-remotes", limits[i]);
            w = report_stmt(db, "top-remotes", lim);
            snprintf(what, sizeof what, "%s top-remotes limit %s", label, lim);
            same_rows(what, g, w, 0);
            sqlite3_finalize(g);
            sqlite3_finalize(w);
        }
        g = html_stmt(db, "udp-peers-head", limits[i]);
        w = report_stmt(db, "udp-peers", NULL);
        snprintf(what, sizeof what, "%s udp-peers first %s", label, lim);
        int64_t all = same_rows(what, g, w, limits[i]);
        sqlite3_finalize(g);
        sqlite3_finalize(w);
        g = html_stmt(db, "udp-peers-count", 0);
        CHECK(g && sqlite3_step(g) == SQLITE_ROW && sqlite3_column_int64(g, 0) == all);
        sqlite3_finalize(g);
    }
    html_exec(db, "proc-drop");
}

/* Generated traffic of one host, then of two (a second capture named
 * beta), and the bundled samples (servers: inbound connections). */
static void test_html_sql(const char *samples)
{
    char cap[1024], dbp[1024], err[512];
    snprintf(dbp, sizeof dbp, "%s/parity.db", workdir);
    unlink(dbp);
    sqlite3 *db = NULL;
    CHECK(pfa_db_open(&db, dbp, 1, 0, err, sizeof err) == 0);
    if (!db)
        return;
    for (int k = 0; k < 2; k++) {
        struct pfgen_options go;
        pfgen_default_options(&go);
        go.records = 40000;
        go.seed = 11 + (uint64_t)k;
        struct pf_file_info info;
        pfgen_file_info(&go, &info);
        if (k)
            info.hostname = "beta";
        snprintf(cap, sizeof cap, "%s/parity%d.pfcap", workdir, k);
        unlink(cap);
        pf_writer *w = NULL;
        CHECK(pf_writer_open(&w, cap, &info, NULL) == 0);
        if (!w)
            break;
        CHECK(pfgen_write(w, &go) == 0);
        CHECK(pf_writer_close(w) == 0);
        pf_writer_destroy(w);
        struct pfa_ingest_options o = {0};
        struct pfa_ingest_result r;
        CHECK(pfa_ingest_file(db, cap, &o, &r, err, sizeof err) == 0);
        CHECK(pfa_ingest_finish(db, err, sizeof err) == 0);
        check_html_sql(db, k ? "two hosts" : "one host", !k);
    }
    pfa_db_close(db);
    static const char *const names[] = {"incident", "web1", "db1"};
    for (size_t i = 0; samples && i < sizeof names / sizeof names[0]; i++) {
        snprintf(cap, sizeof cap, "%s/%s.pfcap", samples, names[i]);
        snprintf(dbp, sizeof dbp, "%s/parity-%s.db", workdir, names[i]);
        unlink(dbp);
        db = NULL;
        CHECK(pfa_db_open(&db, dbp, 1, 0, err, sizeof err) == 0);
        if (!db)
            continue;
        struct pfa_ingest_options o = {0};
        struct pfa_ingest_result r;
        CHECK(pfa_ingest_file(db, cap, &o, &r, err, sizeof err) == 0);
        CHECK(pfa_ingest_finish(db, err, sizeof err) == 0);
        check_html_sql(db, names[i], 1);
        pfa_db_close(db);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: test_html WORKDIR [SAMPLES_DIR]\n");
        return 2;
    }
    workdir = argv[1];
    mkdir(workdir, 0755);
    test_escape();
    test_hostile();
    test_basic();
    test_selection();
    test_banners();
    test_axis();
    test_rollup_selection();
    test_hostile_db();
    test_big();
    test_html_sql(argc > 2 ? argv[2] : NULL);
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    else
        printf("all html checks passed\n");
    return failures ? 1 : 0;
}
