/* SPDX-License-Identifier: MIT */
/* Hostile strings end to end: a capture whose process fields, host facts,
 * markers and header hold quotes, SQL, terminal escapes (CSI, OSC with BEL),
 * C1 controls, bidi overrides, invalid UTF-8, NUL bytes, HTML and CSV
 * metacharacters, and a 1 MiB command line.
 *
 * Every string must be stored in the database byte for byte (hex() and
 * length() of the blob against the original), and every output must carry
 * it escaped, never raw: `query`/`report` tables (exact \xNN text), CSV
 * (RFC 4180 quoting, same field count on every line), JSON (valid, exact
 * \u escapes), the HTML report (character references, exact snippets, no
 * raw ESC or <script from the data), and the csv/jsonl/chrome-trace/zeek
 * exports. Strings above the format's 16 MiB limit are refused by the
 * writer with PF_E_ARG (schema/capture-format.md §2), nothing cut silently.
 *
 *   test_strings PROCFLOW-ANALYZE WORKDIR */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "hostile_util.h"
#include "procflow/format.h"

/* An argv entry from a string the callee only reads (execv's prototype
 * asks for char *). */
static char *argv_str(const char *s)
{
    union {
        const char *c;
        char *m;
    } u = {.c = s};
    return u.m;
}

#define TEST "hostile.strings"
#define BIG_LEN (1u << 20)
#define BASE_NS 1000000000000ULL
#define U0 1714564800000000000LL /* 2024-05-01T12:00:00Z */

/* One hostile string with what each output must show for it: `text` as
 * tables, CSV and Zeek show it (pfa_escape), `json` inside a JSON string,
 * `html` in HTML text. */
struct hs {
    const char *name;
    const char *bytes;
    size_t len;
    const char *text, *json, *html;
};

#define S(lit) lit, sizeof lit - 1
static const struct hs strings[] = {
    {"quotes", S("it's \"double\" and 'single' and `back`"), "it's \"double\" and 'single' and `back`",
     "it's \\\"double\\\" and 'single' and `back`", "it&#39;s &quot;double&quot; and &#39;single&#39; and `back`"},
    {"sql", S("x'); DROP TABLE processes; --"), "x'); DROP TABLE processes; --", "x'); DROP TABLE processes; --",
     "x&#39;); DROP TABLE processes; --"},
    {"csi", S("\x1b[2J\x1b[H\x1b[31mred"), "\\x1b[2J\\x1b[H\\x1b[31mred", "\\u001b[2J\\u001b[H\\u001b[31mred",
     "\\x1b[2J\\x1b[H\\x1b[31mred"},
    {"osc-title", S("\x1b]0;pwned\x07title"), "\\x1b]0;pwned\\x07title", "\\u001b]0;pwned\\u0007title",
     "\\x1b]0;pwned\\x07title"},
    {"bidi",
     S("abc\xe2\x80\xae"
       "cod.exe\xe2\x80\xac \xe2\x81\xa6iso\xe2\x81\xa9"),
     "abc\\xe2\\x80\\xaecod.exe\\xe2\\x80\\xac \\xe2\\x81\\xa6iso\\xe2\\x81\\xa9",
     "abc\\u202ecod.exe\\u202c \\u2066iso\\u2069",
     "abc\\xe2\\x80\\xaecod.exe\\xe2\\x80\\xac \\xe2\\x81\\xa6iso\\xe2\\x81\\xa9"},
    {"invalid-utf8", S("\xff\xfe\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80x"),
     "\\xff\\xfe\\xc0\\xaf\\xed\\xa0\\x80\\xf4\\x90\\x80\\x80x",
     "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffdx",
     "\\xff\\xfe\\xc0\\xaf\\xed\\xa0\\x80\\xf4\\x90\\x80\\x80x"},
    {"nul", S("nul\0inside\0"), "nul\\x00inside\\x00", "nul\\u0000inside\\u0000", "nul\\x00inside\\x00"},
    {"html", S("<script>alert(1)</script>&amp;<img src=x onerror=y>"),
     "<script>alert(1)</script>&amp;<img src=x onerror=y>", "<script>alert(1)</script>&amp;<img src=x onerror=y>",
     "&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;&lt;img src=x onerror=y&gt;"},
    {"csv", S("a,b;\"c\"\r\nnext\tcol"), "a,b;\"c\"\\x0d\\x0anext\\x09col", "a,b;\\\"c\\\"\\u000d\\u000anext\\u0009col",
     "a,b;&quot;c&quot;\\x0d\\x0anext\\x09col"},
    {"backslash", S("C:\\Temp\\x1b not an escape\\"), "C:\\\\Temp\\\\x1b not an escape\\\\",
     "C:\\\\Temp\\\\x1b not an escape\\\\", "C:\\\\Temp\\\\x1b not an escape\\\\"},
    {"c1",
     S("\xc2\x9b"
       "2J \xc2\x85nel"),
     "\\xc2\\x9b2J \\xc2\\x85nel", "\\u009b2J \\u0085nel", "\\xc2\\x9b2J \\xc2\\x85nel"},
    {"utf8-ok", S("na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x99\x82"),
     "na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x99\x82", "na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x99\x82",
     "na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x99\x82"},
};
#undef S
#define NSTR (sizeof strings / sizeof strings[0])
#define PID0 1000
#define BIG_PID 2000

static const char hostname[] = "host\x1b]0;title\x07<script>x</script>";
static const char host_text[] = "host\\x1b]0;title\\x07<script>x</script>";
static const char host_html[] = "host\\x1b]0;title\\x07&lt;script&gt;x&lt;/script&gt;";

static char *big; /* the 1 MiB command line */

static void make_big(void)
{
    big = malloc(BIG_LEN);
    if (!big)
        exit(1);
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789 -=/.";
    for (size_t i = 0; i < BIG_LEN; i++)
        big[i] = alphabet[(i * 7 + i / 41) % (sizeof alphabet - 1)];
    memcpy(big, "big ", 4);
    memcpy(big + BIG_LEN - 4, " END", 4);
}

/* ------------------------------------------------------------ capture */

static void key(struct pf_flow_key *k, uint32_t pid, uint64_t start, unsigned i)
{
    memset(k, 0, sizeof *k);
    k->pid = pid;
    k->pid_start_ns = start;
    k->sock_id = 100 + i;
    k->proto = PF_PROTO_TCP;
    k->family = PF_AF_INET;
    static const uint8_t l[4] = {192, 0, 2, 10};
    memcpy(k->local.addr, l, 4);
    k->local.port = (uint16_t)(40000 + i);
    k->remote.addr[0] = 203;
    k->remote.addr[2] = 113;
    k->remote.addr[3] = (uint8_t)(1 + i);
    k->remote.port = 443;
}

static int put(pf_writer *w, struct pf_record *r, double t)
{
    r->ts_ns = BASE_NS + (uint64_t)(t * 1e9);
    return pf_writer_write(w, r);
}

static int write_capture(const char *path)
{
    struct pf_file_info info;
    memset(&info, 0, sizeof info);
    info.hostname = hostname;
    info.os = "Linux";
    info.comment = "it's \"hostile\"";
    info.platform = PF_PLATFORM_LINUX;
    info.clock_id = PF_CLOCK_BOOTTIME;
    info.start_utc_ns = U0;
    info.anchor_clock_ns = BASE_NS;
    info.anchor_utc_ns = U0;
    pf_writer *w;
    struct pf_writer_options wo = {.overwrite = 1};
    int rc = pf_writer_open(&w, path, &info, &wo);
    if (rc < 0)
        return rc;
    struct pf_record r;
    for (unsigned i = 0; i < NSTR && rc >= 0; i++) {
        const struct hs *s = &strings[i];
        uint64_t start = BASE_NS - 1000000000ULL * (i + 1);
        memset(&r, 0, sizeof r);
        r.type = PF_REC_PROCESS;
        struct pf_process *p = &r.u.process;
        p->event = PF_PROC_RUNDOWN;
        p->pid = PID0 + i;
        p->ppid = 1;
        p->start_ns = start;
        p->uid = 1000;
        p->comm = p->exe = p->cmdline = p->cgroup = p->container = p->user = s->bytes;
        p->comm_len = p->exe_len = p->cmdline_len = p->cgroup_len = p->container_len = p->user_len = (uint32_t)s->len;
        rc = put(w, &r, 0.1 * i);
        memset(&r, 0, sizeof r);
        r.type = PF_REC_TRAFFIC;
        key(&r.u.traffic.key, PID0 + i, start, i);
        r.u.traffic.duration_ns = 500000000;
        r.u.traffic.bytes_sent = 1000 * (i + 1);
        r.u.traffic.bytes_recv = 500;
        r.u.traffic.sends = r.u.traffic.recvs = 1;
        if (rc >= 0)
            rc = put(w, &r, 2 + 0.1 * i);
        memset(&r, 0, sizeof r);
        r.type = PF_REC_HOSTINFO;
        r.u.hostinfo.key = r.u.hostinfo.value = s->bytes;
        r.u.hostinfo.key_len = r.u.hostinfo.value_len = (uint32_t)s->len;
        if (rc >= 0)
            rc = put(w, &r, 3);
        memset(&r, 0, sizeof r);
        r.type = PF_REC_MARKER;
        r.u.marker.text = s->bytes;
        r.u.marker.text_len = (uint32_t)s->len;
        if (rc >= 0)
            rc = put(w, &r, 3 + 0.1 * i);
    }
    /* the 1 MiB command line */
    memset(&r, 0, sizeof r);
    r.type = PF_REC_PROCESS;
    r.u.process.event = PF_PROC_RUNDOWN;
    r.u.process.pid = BIG_PID;
    r.u.process.start_ns = BASE_NS - 1;
    r.u.process.uid = 0;
    r.u.process.comm = "big";
    r.u.process.comm_len = 3;
    r.u.process.exe = "/usr/bin/big";
    r.u.process.exe_len = 12;
    r.u.process.cmdline = big;
    r.u.process.cmdline_len = BIG_LEN;
    if (rc >= 0)
        rc = put(w, &r, 5);
    memset(&r, 0, sizeof r);
    r.type = PF_REC_TRAFFIC;
    key(&r.u.traffic.key, BIG_PID, BASE_NS - 1, 50);
    r.u.traffic.bytes_sent = 1;
    r.u.traffic.sends = 1;
    if (rc >= 0)
        rc = put(w, &r, 5.5);
    if (rc >= 0)
        rc = pf_writer_close(w);
    pf_writer_destroy(w);
    return rc < 0 ? rc : 0;
}

/* Above the format's string limit: refused, and the writer stays usable. */
static void test_over_limit(void)
{
    size_t n = PF_MAX_STRING_BYTES + 1u;
    char *s = calloc(1, n);
    if (!s)
        return;
    memset(s, 'x', n);
    pf_writer *w;
    struct pf_file_info info = {0};
    CHECK(pf_writer_open_mem(&w, &info, NULL) == PF_OK);
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_PROCESS;
    r.u.process.pid = 1;
    r.u.process.cmdline = s;
    r.u.process.cmdline_len = (uint32_t)n;
    CHECK(pf_writer_write(w, &r) == PF_E_ARG);
    r.u.process.cmdline_len = 4;
    CHECK(pf_writer_write(w, &r) == PF_OK);
    r.type = PF_REC_MARKER;
    r.u.marker.text = s;
    r.u.marker.text_len = (uint32_t)n;
    CHECK(pf_writer_write(w, &r) == PF_E_ARG);
    CHECK(pf_writer_close(w) == PF_OK);
    pf_writer_destroy(w);
    free(s);
    hu_figure(TEST, "string over the 16 MiB limit", "refused by the writer (invalid argument)");
}

/* ------------------------------------------------------------ database */

static void hex_of(const char *s, size_t n, char *out)
{
    static const char d[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[(unsigned char)s[i] >> 4];
        out[2 * i + 1] = d[(unsigned char)s[i] & 15];
    }
    out[2 * n] = 0;
}

/* Column `col` of the first row of `sql` (one integer parameter) holds
 * exactly s[0..n): same length() of the blob, same hex(), stored as text. */
static int verbatim(sqlite3 *db, const char *sql, int64_t param, const char *s, size_t n)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
        return 0;
    }
    sqlite3_bind_int64(st, 1, param);
    int ok = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        char *want = malloc(2 * n + 1);
        const char *type = (const char *)sqlite3_column_text(st, 0);
        int64_t len = sqlite3_column_int64(st, 1);
        const char *hex = (const char *)sqlite3_column_text(st, 2);
        const void *blob = sqlite3_column_blob(st, 3);
        int blen = sqlite3_column_bytes(st, 3);
        if (want) {
            hex_of(s, n, want);
            ok = type && !strcmp(type, "text") && len == (int64_t)n && hex && !strcmp(hex, want) && blen == (int)n &&
                 (!n || !memcmp(blob, s, n));
        }
        free(want);
    }
    sqlite3_finalize(st);
    return ok;
}

#define COLS(c) "SELECT typeof(" c "), length(CAST(" c " AS BLOB)), hex(" c "), CAST(" c " AS BLOB) "

static void test_database(const char *dbpath)
{
    sqlite3 *db;
    if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        CHECK(!"database opens");
        return;
    }
    static const char *const cols[] = {"comm", "exe", "cmdline", "user", "cgroup", "container"};
    unsigned good = 0;
    for (unsigned i = 0; i < NSTR; i++) {
        const struct hs *s = &strings[i];
        int all = 1;
        for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
            char sql[256];
            snprintf(sql, sizeof sql,
                     "SELECT typeof(%s), length(CAST(%s AS BLOB)), hex(%s), CAST(%s AS BLOB) "
                     "FROM processes WHERE pid=?",
                     cols[c], cols[c], cols[c], cols[c]);
            if (!verbatim(db, sql, PID0 + i, s->bytes, s->len)) {
                fprintf(stderr, "string %s: processes.%s differs\n", s->name, cols[c]);
                all = 0;
            }
        }
        /* host facts and markers: the i-th row of each, in file order */
        if (!verbatim(db, COLS("key") "FROM hostinfo ORDER BY rowid LIMIT 1 OFFSET ?", i, s->bytes, s->len) ||
            !verbatim(db, COLS("value") "FROM hostinfo ORDER BY rowid LIMIT 1 OFFSET ?", i, s->bytes, s->len) ||
            !verbatim(db, COLS("text") "FROM markers ORDER BY rowid LIMIT 1 OFFSET ?", i, s->bytes, s->len)) {
            fprintf(stderr, "string %s: hostinfo or markers differ\n", s->name);
            all = 0;
        }
        good += (unsigned)all;
    }
    int big_ok = verbatim(db, COLS("cmdline") "FROM processes WHERE pid=?", BIG_PID, big, BIG_LEN);
    int host_ok = verbatim(db, COLS("host") "FROM captures WHERE capture_id=?", 1, hostname, sizeof hostname - 1);
    CHECK(good == NSTR);
    CHECK(big_ok);
    CHECK(host_ok);
    hu_figure(TEST, "strings stored verbatim (hex and length, 9 fields)", "%u of %u",
              good + (unsigned)big_ok + (unsigned)host_ok, (unsigned)NSTR + 2);
    hu_figure(TEST, "1 MiB command line", "%s", big_ok ? "round-trips byte for byte" : "DIFFERS");
    sqlite3_close(db);
}

/* ------------------------------------------------------------ outputs */

struct ctx {
    const char *analyze, *work, *db;
};

/* Runs procflow-analyze with the arguments (NULL-terminated); returns
 * stdout (caller frees) when the exit status is 0. */
static char *analyze_v(const struct ctx *c, size_t *len, const char *const *args)
{
    char *argv[16];
    size_t k = 0;
    argv[k++] = argv_str(c->analyze);
    while (*args && k < 15)
        argv[k++] = argv_str(*args++);
    argv[k] = NULL;
    struct hu_run r;
    if (hu_run(c->work, argv, &r)) {
        CHECK(!"procflow-analyze runs");
        return NULL;
    }
    if (r.status != 0) {
        fprintf(stderr, "procflow-analyze %s %s: exit %d: %s\n", argv[1], argv[2] ? argv[2] : "", r.status, r.err);
        CHECK(r.status == 0);
        hu_run_free(&r);
        return NULL;
    }
    char *out = r.out;
    *len = r.out_len;
    r.out = NULL;
    hu_run_free(&r);
    return out;
}
#define analyze(c, len, ...) analyze_v(c, len, (const char *const[]){__VA_ARGS__, NULL})

static int has(const char *buf, size_t n, const char *needle)
{
    return hu_find(buf, n, needle, strlen(needle)) != NULL;
}

/* Nothing a terminal or browser would act on. */
static int clean(const char *what, const char *buf, size_t n, int allow_tab)
{
    size_t at = hu_unsafe_at(buf, n, allow_tab);
    if (at == (size_t)-1)
        return 1;
    fprintf(stderr, "%s: unsafe byte 0x%02x at offset %zu\n", what, (unsigned char)buf[at], at);
    return 0;
}

static unsigned test_table(const struct ctx *c)
{
    unsigned ok = 0;
    size_t n;
    char *out = analyze(c, &n, "query", "-d", c->db, "SELECT pid, comm FROM processes WHERE pid < 2000 ORDER BY pid");
    if (!out)
        return 0;
    int safe = clean("query (table)", out, n, 0);
    CHECK(safe);
    for (unsigned i = 0; i < NSTR; i++) {
        char line[512];
        snprintf(line, sizeof line, "\n%u  %s\n", PID0 + i, strings[i].text);
        int found = has(out, n, line);
        if (!found)
            fprintf(stderr, "query table: no line for %s: %s", strings[i].name, line + 1);
        CHECK(found);
        ok += found && safe;
    }
    free(out);

    /* the 1 MiB command line, whole, on one line */
    out = analyze(c, &n, "query", "-d", c->db, "SELECT pid, cmdline FROM processes WHERE pid = 2000");
    if (out) {
        const char *p = hu_find(out, n, "\n2000  big ", 11);
        CHECK(p && (size_t)(out + n - p) > BIG_LEN + 7 && !memcmp(p + 7, big, BIG_LEN) && p[7 + BIG_LEN] == '\n');
        free(out);
    }

    /* the same string in a middle column: it sticks out of its column on its
     * own line instead of padding every other row to 1 MiB */
    out = analyze(c, &n, "query", "-d", c->db, "SELECT cmdline, pid FROM processes ORDER BY pid");
    if (out) {
        CHECK(n < BIG_LEN + 65536);
        CHECK(has(out, n, "\nbig ") && has(out, n, " END  2000\n"));
        hu_figure(TEST, "table of 14 rows with one 1 MiB cell", "%.2f MiB of output", (double)n / (1 << 20));
        free(out);
    }

    /* a canned report: comm and exe of every process, escaped */
    out = analyze(c, &n, "report", "top-talkers", "-d", c->db, "--param", "limit=100");
    if (out) {
        CHECK(clean("report top-talkers", out, n, 0));
        for (unsigned i = 0; i < NSTR; i++)
            CHECK(has(out, n, strings[i].text));
        free(out);
    }
    out = analyze(c, &n, "report", "summary", "-d", c->db);
    if (out) {
        CHECK(clean("report summary", out, n, 0));
        CHECK(has(out, n, host_text));
        free(out);
    }
    return ok;
}

/* query --format csv: the unquoted field is the escaped text, and every
 * line has as many fields as the header. */
static unsigned test_csv_query(const struct ctx *c)
{
    size_t n;
    char *out = analyze(c, &n, "query", "-d", c->db, "--format", "csv",
                        "SELECT pid, comm, exe FROM processes WHERE pid < 2000 ORDER BY pid");
    if (!out)
        return 0;
    int safe = clean("query (csv)", out, n, 0);
    CHECK(safe);
    unsigned ok = 0, lines = 0, row = 0;
    for (char *line = out, *nl; (nl = memchr(line, '\n', (size_t)(out + n - line))); line = nl + 1) {
        char field[512];
        int nf = hu_csv_fields(line, (size_t)(nl - line), 1, field, sizeof field);
        CHECK(nf == 3);
        if (lines++ == 0)
            continue;
        if (row < NSTR) {
            int same = nf == 3 && !strcmp(field, strings[row].text);
            if (!same)
                fprintf(stderr, "csv: %s: field is '%s'\n", strings[row].name, field);
            CHECK(same);
            ok += same && safe;
        }
        row++;
    }
    CHECK(row == NSTR);
    /* the quoting itself, for the string full of CSV metacharacters */
    CHECK(has(out, n, "\n1008,\"a,b;\"\"c\"\"\\x0d\\x0anext\\x09col\","));
    free(out);
    return ok;
}

static unsigned test_json_query(const struct ctx *c)
{
    size_t n;
    char *out = analyze(c, &n, "query", "-d", c->db, "--format", "json",
                        "SELECT pid, comm, cmdline FROM processes ORDER BY pid");
    if (!out)
        return 0;
    int valid = hu_json_valid(out, n) && clean("query (json)", out, n, 0);
    CHECK(valid);
    unsigned ok = 0;
    for (unsigned i = 0; i < NSTR; i++) {
        char want[512];
        snprintf(want, sizeof want, "{\"pid\":%u,\"comm\":\"%s\",\"cmdline\":\"%s\"}", PID0 + i, strings[i].json,
                 strings[i].json);
        int found = has(out, n, want);
        if (!found)
            fprintf(stderr, "json: no object for %s: %s\n", strings[i].name, want);
        CHECK(found);
        ok += found && valid;
    }
    const char *p = hu_find(out, n, "\"cmdline\":\"big ", 15);
    CHECK(p && (size_t)(out + n - p) > BIG_LEN + 12 && !memcmp(p + 11, big, BIG_LEN) && p[11 + BIG_LEN] == '"');
    free(out);
    return ok;
}

static unsigned test_html(const struct ctx *c)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/strings.html", c->work);
    size_t n;
    char *out = analyze(c, &n, "html", "-d", c->db, "-o", path, "--top", "16", "--force");
    free(out);
    out = hu_read_file(path, &n);
    if (!out) {
        CHECK(!"html report written");
        return 0;
    }
    /* the page's own script element only; nothing raw from the data */
    int safe = clean("html", out, n, 0) && hu_count(out, n, "<script") == 1 && !memchr(out, 0x1b, n);
    CHECK(safe);
    CHECK(!has(out, n, "<img src=x"));
    CHECK(has(out, n, host_html));
    unsigned ok = 0;
    for (unsigned i = 0; i < NSTR; i++) {
        char head[512], legend[512], fact[512];
        /* section heading, chart legend, command line fact */
        snprintf(head, sizeof head, "<h3>%s <small>pid %u ", strings[i].html, PID0 + i);
        snprintf(legend, sizeof legend, "</span>%s (pid %u)</li>", strings[i].html, PID0 + i);
        snprintf(fact, sizeof fact, "<tr><th>command line</th><td>%s</td></tr>", strings[i].html);
        int h = has(out, n, head), l = has(out, n, legend), f = has(out, n, fact);
        if (!h || !l || !f)
            fprintf(stderr, "html: %s: heading %d legend %d fact %d\n", strings[i].name, h, l, f);
        CHECK(h && l && f);
        ok += h && l && f && safe;
    }
    const char *p = hu_find(out, n, "<td>big ", 8);
    CHECK(p && (size_t)(out + n - p) > BIG_LEN + 4 && !memcmp(p + 4, big, BIG_LEN));
    free(out);
    return ok;
}

/* Lines of a file, each checked by fn; returns the number of lines. */
static size_t each_line(char *buf, size_t n, void (*fn)(void *, char *, size_t), void *arg)
{
    size_t lines = 0;
    for (char *line = buf, *nl; line < buf + n; line = nl + 1) {
        nl = memchr(line, '\n', (size_t)(buf + n - line));
        if (!nl)
            nl = buf + n;
        fn(arg, line, (size_t)(nl - line));
        lines++;
    }
    return lines;
}

struct csv_check {
    int header_fields, bad;
    unsigned seen[NSTR];
};

static void csv_line(void *arg, char *line, size_t len)
{
    struct csv_check *k = arg;
    char pid[32], comm[512];
    int nf = hu_csv_fields(line, len, -1, NULL, 0);
    if (!k->header_fields)
        k->header_fields = nf;
    else if (nf != k->header_fields)
        k->bad++;
    hu_csv_fields(line, len, 2, pid, sizeof pid);
    hu_csv_fields(line, len, 3, comm, sizeof comm);
    long p = strtol(pid, NULL, 10);
    if (p >= PID0 && p < PID0 + (long)NSTR)
        k->seen[p - PID0] += !strcmp(comm, strings[p - PID0].text);
}

struct zeek_check {
    int fields, bad;
};

static void zeek_line(void *arg, char *line, size_t len)
{
    struct zeek_check *k = arg;
    int tabs = 0;
    for (size_t i = 0; i < len; i++)
        tabs += line[i] == '\t';
    if (len >= 7 && !memcmp(line, "#fields", 7))
        k->fields = tabs; /* "#fields" then one tab before each name */
    else if (len && line[0] != '#' && tabs + 1 != k->fields)
        k->bad++;
}

struct jsonl_check {
    int bad;
};

static void jsonl_line(void *arg, char *line, size_t len)
{
    struct jsonl_check *k = arg;
    if (!hu_json_valid(line, len))
        k->bad++;
}

static unsigned test_exports(const struct ctx *c)
{
    char path[4096];
    size_t n;
    unsigned ok = 0;

    snprintf(path, sizeof path, "%s/flows.csv", c->work);
    free(analyze(c, &n, "export", "--format", "csv", "-d", c->db, "-o", path, "--force"));
    char *out = hu_read_file(path, &n);
    if (out) {
        struct csv_check k = {0};
        size_t lines = each_line(out, n, csv_line, &k);
        CHECK(lines == NSTR + 2 && k.header_fields == 22 && !k.bad && clean("export csv", out, n, 0));
        unsigned all = 1;
        for (unsigned i = 0; i < NSTR; i++)
            all &= k.seen[i] == 1;
        CHECK(all);
        ok += all && !k.bad;
        free(out);
    }

    snprintf(path, sizeof path, "%s/flows.jsonl", c->work);
    free(analyze(c, &n, "export", "--format", "jsonl", "-d", c->db, "-o", path, "--force"));
    out = hu_read_file(path, &n);
    if (out) {
        struct jsonl_check k = {0};
        size_t lines = each_line(out, n, jsonl_line, &k);
        CHECK(lines == NSTR + 1 && !k.bad && clean("export jsonl", out, n, 0));
        unsigned all = 1;
        for (unsigned i = 0; i < NSTR; i++) {
            char want[512];
            snprintf(want, sizeof want, "\"pid\":%u,\"comm\":\"%s\",", PID0 + i, strings[i].json);
            all &= (unsigned)has(out, n, want);
        }
        CHECK(all);
        ok += all && !k.bad;
        free(out);
    }

    snprintf(path, sizeof path, "%s/trace.json", c->work);
    free(analyze(c, &n, "export", "--format", "chrome-trace", "-d", c->db, "-o", path, "--force"));
    out = hu_read_file(path, &n);
    if (out) {
        int valid = hu_json_valid(out, n) && clean("export chrome-trace", out, n, 0);
        CHECK(valid);
        unsigned all = 1;
        for (unsigned i = 0; i < NSTR; i++) {
            char want[512];
            snprintf(want, sizeof want, "\"args\":{\"name\":\"%s (pid %u)\"}", strings[i].json, PID0 + i);
            all &= (unsigned)has(out, n, want);
            snprintf(want, sizeof want, "\"args\":{\"labels\":\"%s\"}", strings[i].json);
            all &= (unsigned)has(out, n, want);
        }
        CHECK(all);
        ok += all && valid;
        free(out);
    }

    snprintf(path, sizeof path, "%s/conn.log", c->work);
    free(analyze(c, &n, "export", "--format", "zeek", "-d", c->db, "-o", path, "--force"));
    out = hu_read_file(path, &n);
    if (out) {
        struct zeek_check k = {0};
        each_line(out, n, zeek_line, &k);
        CHECK(k.fields > 0 && !k.bad && clean("export zeek", out, n, 1));
        unsigned all = 1;
        for (unsigned i = 0; i < NSTR; i++) {
            char want[512];
            snprintf(want, sizeof want, "\t%u\t%s\n", PID0 + i, strings[i].text);
            all &= (unsigned)has(out, n, want);
        }
        CHECK(all);
        ok += all && !k.bad;
        free(out);
    }
    return ok;
}

int main(int argc, char **argv)
{
    hu_launcher(argc, argv);
    if (argc != 3) {
        fprintf(stderr, "usage: test_strings PROCFLOW-ANALYZE WORKDIR\n");
        return 2;
    }
    struct ctx c = {argv[1], argv[2], NULL};
    if (mkdir(c.work, 0700) && errno != EEXIST) {
        perror(c.work);
        return 1;
    }
    make_big();
    char cap[4096], dbpath[4096];
    snprintf(cap, sizeof cap, "%s/strings.pfcap", c.work);
    snprintf(dbpath, sizeof dbpath, "%s/strings.db", c.work);
    c.db = dbpath;
    remove(dbpath);
    int rc = write_capture(cap);
    if (rc < 0) {
        fprintf(stderr, "writing the capture: %s\n", pf_strerror(rc));
        return 1;
    }
    test_over_limit();
    size_t n;
    free(analyze(&c, &n, "ingest", cap, "-d", dbpath, "--quiet"));
    test_database(dbpath);
    unsigned t = test_table(&c);
    unsigned csv = test_csv_query(&c);
    unsigned json = test_json_query(&c);
    unsigned html = test_html(&c);
    unsigned exp = test_exports(&c);
    hu_figure(TEST, "strings escaped exactly: table, csv, json, html", "%u, %u, %u, %u of %u", t, csv, json, html,
              (unsigned)NSTR);
    hu_figure(TEST, "exports escaped: csv, jsonl, chrome-trace, zeek", "%u of 4", exp);
    free(big);
    if (hu_failures) {
        fprintf(stderr, "%d check(s) failed\n", hu_failures);
        return 1;
    }
    printf("all hostile string checks passed\n");
    return 0;
}
