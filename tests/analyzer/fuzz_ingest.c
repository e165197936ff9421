/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the analyzer: any bytes are written to a file and go
 * through the whole ingest (as a .pfcap, or as an .etl when they start like
 * one: the analyzer decides by content, as it does for real files) into a
 * fresh in-memory database; then the summary report and one more canned
 * report run, and for some inputs the HTML report, every export and a
 * second ingest with --replace.
 *
 * Besides "no crash, no leak, no UB" it checks what the analyzer promises:
 * an ingest that fails says why in one line; the rows in the database match
 * what the ingest counted; report and export text holds no raw control
 * bytes, C1 controls, bidi overrides or invalid UTF-8.
 *
 * Options (bucket, idle time, extra work) are picked from a hash of the
 * input, so one input always runs the same way. fuzz_ingest_replay runs
 * this entry point over the committed corpus in ordinary builds. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfa.h"
#include "pfa_export.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char g_path[4096];

static void remove_input(void)
{
    if (g_path[0])
        unlink(g_path);
}

/* One scratch file per process, rewritten for every input. */
static const char *input_path(void)
{
    if (!g_path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(g_path, sizeof g_path, "%s/pf-fuzz-ingest-XXXXXX", dir && *dir ? dir : "/tmp");
        int fd = mkstemp(g_path);
        if (fd < 0)
            abort();
        close(fd);
        atexit(remove_input);
    }
    return g_path;
}

_Noreturn static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_ingest: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

/* Output meant for a terminal or a browser: valid UTF-8, no control bytes
 * but newline (and tab where `tabs`), no C1 controls, no bidi overrides. */
static void check_text(const char *what, const char *s, size_t n, int tabs)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = u[i];
        if (c < 0x80) {
            if ((c < 0x20 && c != '\n' && !(tabs && c == '\t')) || c == 0x7f)
                fail(what, "raw control byte in the output");
            i++;
            continue;
        }
        size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
        if (!len || i + len > n)
            fail(what, "invalid UTF-8 in the output");
        unsigned cp = c & (0x3fu >> (len - 1));
        for (size_t k = 1; k < len; k++) {
            if ((u[i + k] & 0xc0) != 0x80)
                fail(what, "invalid UTF-8 in the output");
            cp = (cp << 6) | (u[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
            fail(what, "invalid UTF-8 in the output");
        if (cp <= 0x9f)
            fail(what, "C1 control in the output");
        if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
            fail(what, "bidi override in the output");
        i += len;
    }
}

static int64_t count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail("prepare", sqlite3_errmsg(db));
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* What the ingest counted is what the database holds. */
static void check_counts(sqlite3 *db, const struct pfa_ingest_result *res)
{
    if (count(db, "SELECT count(*) FROM captures") != 1)
        fail("captures", "not exactly one row");
    if (count(db, "SELECT count(*) FROM flows") != (int64_t)res->flows)
        fail("flows", "row count differs from the ingest result");
    if (count(db, "SELECT count(*) FROM processes") != (int64_t)res->processes)
        fail("processes", "row count differs from the ingest result");
    if (count(db, "SELECT count(*) FROM snapshots") != (int64_t)res->snapshots)
        fail("snapshots", "row count differs from the ingest result");
    if (count(db, "SELECT count(*) FROM bytes") != (int64_t)res->bytes_rows)
        fail("bytes", "row count differs from the ingest result");
    if (count(db, "SELECT count(*) FROM flows WHERE process_id IS NOT NULL AND process_id NOT IN "
                  "(SELECT process_id FROM processes)") != 0)
        fail("flows", "a flow names a process that has no row");
}

/* The capture's integrity promises, against the reader's own view of the
 * same bytes: records ingested are the records read, never more than the
 * footer's count (a repeated chunk is never counted twice), and a capture
 * with skipped chunks says so. */
static void check_integrity(sqlite3 *db, const char *path)
{
    pfa_source *src;
    if (pfa_source_open(&src, path, NULL) < 0)
        fail("integrity", "the reader refuses what ingest accepted");
    struct pf_record rec;
    while (pfa_source_next(src, &rec) > 0) {
    }
    struct pf_reader_stats st;
    pfa_source_stats(src, &st);
    int etl = pfa_source_is_etl(src);
    pfa_source_close(src);
    int64_t records = count(db, "SELECT records FROM captures");
    if (records != (int64_t)st.records)
        fail("integrity", "records ingested differ from the records read");
    if (!etl && st.clean_close && st.records > st.footer_records)
        fail("integrity", "more records ingested than the footer declares");
    if (st.chunks_damaged && count(db, "SELECT chunks_damaged FROM captures") < 1)
        fail("integrity", "damaged chunks not flagged on the capture");
    if (!etl && count(db, "SELECT chunks_ok FROM captures") != (int64_t)st.chunks_ok)
        fail("integrity", "intact chunks differ from the reader's");
}

typedef int (*render_fn)(sqlite3 *db, const void *arg, FILE *f, char *err, size_t errlen);

struct report_arg {
    const struct pfa_report *rep;
    const struct pfa_kv *kv;
    size_t nkv;
    int format;
};

static int render_report(sqlite3 *db, const void *arg, FILE *f, char *err, size_t errlen)
{
    const struct report_arg *a = arg;
    struct pfa_output_options o = {.format = a->format, .utc = 1};
    return pfa_run_sql(db, a->rep->sql, a->rep, a->kv, a->nkv, &o, f, err, errlen);
}

static int render_html(sqlite3 *db, const void *arg, FILE *f, char *err, size_t errlen)
{
    (void)arg;
    struct pfa_html_options o = {0};
    return pfa_html_report(db, &o, f, err, errlen);
}

static int render_export(sqlite3 *db, const void *arg, FILE *f, char *err, size_t errlen)
{
    const int *fw = arg;
    return pfa_export(db, fw[0], fw[1], f, err, errlen);
}

/* Runs one renderer into memory and checks the text. Failures of the
 * renderer itself (a hostile time range, say) are allowed; crashes and
 * unsafe output are not. */
static void render(const char *what, sqlite3 *db, render_fn fn, const void *arg, int tabs)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return;
    char err[512] = "";
    int rc = fn(db, arg, f, err, sizeof err);
    fclose(f);
    if (rc && !err[0])
        fail(what, "failed without saying why");
    check_text(what, buf, len, tabs);
    free(buf);
}

/* A migrated empty database, made once and copied for every input: the
 * schema is the same each time and creating it would dominate short runs. */
static sqlite3 *fresh_db(void)
{
    static unsigned char *image;
    static sqlite3_int64 image_len;
    char err[512];
    if (!image) {
        sqlite3 *db;
        if (pfa_db_open(&db, ":memory:", 1, 0, err, sizeof err))
            fail("open database", err);
        image = sqlite3_serialize(db, "main", &image_len, 0);
        pfa_db_close(db);
        if (!image)
            fail("serialize", "out of memory");
    }
    sqlite3 *db;
    unsigned char *copy = sqlite3_malloc64((sqlite3_uint64)image_len);
    if (!copy || sqlite3_open(":memory:", &db) != SQLITE_OK)
        fail("open database", "out of memory");
    memcpy(copy, image, (size_t)image_len);
    if (sqlite3_deserialize(db, "main", copy, image_len, image_len,
                            SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) != SQLITE_OK)
        fail("deserialize", sqlite3_errmsg(db));
    return db;
}

static uint64_t fnv1a(const uint8_t *d, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ d[i]) * 0x100000001b3ULL;
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = input_path();
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    if (fclose(f))
        abort();

    uint64_t h = fnv1a(data, size);
    sqlite3 *db = fresh_db();
    char err[512];
    struct pfa_ingest_options opt = {0};
    static const uint64_t buckets[4] = {0, 1000000, 60000000000ULL, 0};
    opt.bucket_ns = buckets[h & 3];
    if (h & 4)
        opt.idle_ns = 1000000000;
    struct pfa_ingest_result res;
    err[0] = 0;
    int rc = pfa_ingest_file(db, path, &opt, &res, err, sizeof err);
    if (rc) {
        if (!err[0] || strchr(err, '\n'))
            fail("ingest error message", err[0] ? "spans lines" : "empty");
        pfa_db_close(db);
        return 0;
    }
    if (res.already)
        fail("ingest", "a fresh database already held the capture");
    check_counts(db, &res);
    check_integrity(db, path);
    if (pfa_ingest_finish(db, err, sizeof err))
        fail("indexes", err);

    /* summary always, then one more canned report in one of the formats */
    const struct pfa_report *list;
    size_t nrep = pfa_reports(&list);
    struct report_arg ra = {pfa_report_find("summary"), NULL, 0, PFA_FMT_TABLE};
    if (!ra.rep)
        fail("reports", "no summary report");
    render("summary report", db, render_report, &ra, 0);
    static const struct pfa_kv who[2] = {{"addr", "203.0.113.9"}, {"port", "443"}};
    if (nrep) {
        ra.rep = &list[(h >> 12) % nrep];
        ra.format = (int)((h >> 20) % 3);
        if (!strcmp(ra.rep->name, "who-owned")) {
            ra.kv = who;
            ra.nkv = 2;
        }
        render(ra.rep->name, db, render_report, &ra, 0);
    }

    if ((h >> 3) % 16 == 0) {
        render("html report", db, render_html, NULL, 0);
        static const int exports[5][2] = {{PFA_EXP_CHROME_TRACE, PFA_EXP_FLOWS},
                                          {PFA_EXP_CSV, PFA_EXP_FLOWS},
                                          {PFA_EXP_CSV, PFA_EXP_BYTES},
                                          {PFA_EXP_JSONL, PFA_EXP_FLOWS},
                                          {PFA_EXP_ZEEK, PFA_EXP_FLOWS}};
        for (int i = 0; i < 5; i++)
            render("export", db, render_export, exports[i], exports[i][0] == PFA_EXP_ZEEK);
    }

    if ((h >> 7) % 8 == 0) {
        /* the same file again: replaced, and the counts still hold */
        opt.replace = 1;
        rc = pfa_ingest_file(db, path, &opt, &res, err, sizeof err);
        if (rc)
            fail("second ingest with replace", err);
        check_counts(db, &res);
    }
    pfa_db_close(db);
    return 0;
}
