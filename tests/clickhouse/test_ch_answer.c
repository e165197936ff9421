/* SPDX-License-Identifier: MIT */
/* A ClickHouse answer printed through the virtual table over the answer
 * (what reports on a store use) gives the same bytes as through a copy of
 * its rows in an ordinary table, in every output form: table (cut to a
 * terminal width or not, raw or with units), line, CSV and JSON. The
 * answers hold what the conversion must keep apart: NULL and the text
 * "\N", every escape, invalid UTF-8, NaN and infinities, integers at the
 * int64 limits and beyond (UInt64), quoted and escaped column names, more
 * rows than the table samples. No server is needed.
 *   test_ch_answer           the built-in answers
 *   test_ch_answer FILE...   answers saved from a server (curl ... FORMAT
 *                            TabSeparatedWithNamesAndTypes): both ways in
 *                            every form, compared, with the times */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../check.h"
#include "clickhouse.h"

static char err[1024];

struct form {
    const char *name;
    struct pfa_output_options o;
};

static const struct form forms[] = {
    {"table", {PFA_FMT_TABLE, 1, 0, 0, 0, 0, 0}},      {"table-raw", {PFA_FMT_TABLE, 1, 1, 0, 0, 0, 0}},
    {"table-w60", {PFA_FMT_TABLE, 1, 0, 60, 3, 0, 0}}, {"table-local", {PFA_FMT_TABLE, 0, 0, 0, 2, 1, 0}},
    {"line", {PFA_FMT_LINE, 1, 0, 0, 0, 0, 0}},        {"line-raw", {PFA_FMT_LINE, 1, 1, 0, 0, 1, 0}},
    {"csv", {PFA_FMT_CSV, 1, 0, 0, 0, 0, 0}},          {"json", {PFA_FMT_JSON, 1, 0, 0, 0, 1, 0}},
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints the answer (copied, as the server's body) one way into `out`;
 * returns the error code (err holds the message). */
static int render(const char *answer, size_t len, int copy, const struct pfa_output_options *o, FILE *out)
{
    struct pfa_buf body = {0}, select = {0};
    sqlite3 *mem = NULL;
    CHECK(pfa_buf_put(&body, answer, len) == 0);
    err[0] = '\0';
    int rc = pfa_ch_answer_db(&body, copy, &mem, &select, err, sizeof err);
    CHECK(body.p == NULL); /* taken in every case */
    if (!rc)
        rc = pfa_run_sql(mem, select.p, NULL, NULL, 0, o, out, err, sizeof err);
    sqlite3_close(mem);
    pfa_buf_free(&select);
    pfa_buf_free(&body);
    return rc;
}

static char *render_text(const char *answer, size_t len, int copy, const struct pfa_output_options *o, int *rc,
                         size_t *out_len)
{
    FILE *f = tmpfile();
    CHECK(f != NULL);
    *rc = render(answer, len, copy, o, f);
    long n = ftell(f);
    CHECK(n >= 0);
    char *text = malloc((size_t)n + 1);
    CHECK(text != NULL);
    rewind(f);
    CHECK(fread(text, 1, (size_t)n, f) == (size_t)n);
    text[n] = '\0';
    fclose(f);
    *out_len = (size_t)n;
    return text;
}

/* Both ways in every form: the same code, message and bytes. Returns the
 * CSV (to check exactly), or NULL when the answer is refused. */
static char *same_both_ways(const char *label, const char *answer, size_t len)
{
    char *csv = NULL;
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
        int rc_table, rc_view;
        size_t n_table, n_view;
        char *by_table = render_text(answer, len, 1, &forms[i].o, &rc_table, &n_table);
        char msg_table[sizeof err];
        memcpy(msg_table, err, sizeof err);
        char *by_view = render_text(answer, len, 0, &forms[i].o, &rc_view, &n_view);
        if (rc_table != rc_view || strcmp(msg_table, err) || n_table != n_view || memcmp(by_table, by_view, n_view)) {
            fprintf(stderr, "%s, %s: differs (code %d / %d, '%s' / '%s')\n--- table:\n%s\n--- view:\n%s\n", label,
                    forms[i].name, rc_table, rc_view, msg_table, err, by_table, by_view);
            CHECK(0);
        }
        if (forms[i].o.format == PFA_FMT_CSV && !rc_view)
            csv = by_view;
        else
            free(by_view);
        free(by_table);
    }
    return csv;
}

/* The answer `header` + `rows` generated: n rows of mixed values. */
static void generated(struct pfa_buf *b, size_t n)
{
    static const char *const text[] = {"nginx",
                                       "",
                                       "\\N",
                                       "a\\tb",
                                       "caf\xc3\xa9",
                                       "=1+2",
                                       " x ",
                                       "\\\\srv\\\\s",
                                       "\xe2\x80\xae",
                                       "a,\"b\"",
                                       "\xff\xfe",
                                       "\\0end",
                                       "\xe6\xbc\xa2\xe5\xad\x97"};
    pfa_buf_printf(b, "host\tpid\tcomm\tremote_addr\tbytes_sent\tfirst_ns\tlast_ns\tspan_dur_ns\tratio\n"
                      "String\tUInt32\tNullable(String)\tNullable(String)\tUInt64\tInt64\tNullable(Int64)\t"
                      "Int64\tFloat64\n");
    uint64_t x = 7;
    for (size_t r = 0; r < n; r++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        unsigned k = (unsigned)(x >> 33);
        pfa_buf_printf(b, "h%u\t%u\t%s\t%s\t%llu\t%lld\t%s\t%lld\t%s\n", k % 3, k % 70000,
                       k % 11 == 0 ? "\\N" : text[k % (sizeof text / sizeof *text)], k % 5 ? "198.51.100.7" : "\\N",
                       (unsigned long long)(x >> (k % 60)), 1700000000000000000ll + (long long)(k % 100000) * 1000003ll,
                       k % 7 ? "1700000000123456789" : "\\N", (long long)(k % 9000000000ull),
                       k % 13 == 0   ? "nan"
                       : k % 17 == 0 ? "-inf"
                                     : "0.25");
    }
}

static void built_in(void)
{
    /* every kind of value; the CSV is checked byte for byte */
    /* (an empty integer field reads as 0, as strtoll reads it) */
    static const char hostile[] =
        "host\tpid\tna\"me\tfirst_ns\tspan_dur_ns\tbytes_sent\tx\\ty\tratio\tnothing\tbig\tn\\\\m\n"
        "String\tInt32\tNullable(String)\tInt64\tNullable(Int64)\tUInt64\tString\tFloat64\tNullable(Nothing)\t"
        "UInt64\tNullable(Int8)\n"
        "web1\t42\t\\N\t1700000000123456789\t\\N\t1536\ttab\\there\tnan\t\\N\t18446744073709551615\t-0\n"
        "=cmd\t-2147483648\t\\\\N\t-9223372036854775808\t1500\t0\tnl\\nend\tinf\t\\N\t9223372036854775807\t007\n"
        " sp \t0\ta,\"b\"\t9223372036854775807\t90000000000\t1099511627776\tnul\\0x\t-inf\t\\N\t0\t\\N\n"
        "\xff\xfe\t7\t\xe2\x80\xae\xe6\xbc\xa2\t0\t0\t5\t\\'q\\\\\t-0\t\\N\t1\t\n"
        "\t1\t\\b\\f\\r\t-1\t1\t1\tx\t0.1\t\\N\t2\t+5\n";
    char *csv = same_both_ways("hostile", hostile, sizeof hostile - 1);
    static const char want[] =
        "host,pid,\"na\"\"me\",first_ns,span_dur_ns,bytes_sent,x\\x09y,ratio,nothing,big,n\\\\m\n"
        "web1,42,,1700000000123456789,,1536,tab\\x09here,,,18446744073709551615,0\n"
        "'=cmd,-2147483648,\\\\N,-9223372036854775808,1500,0,nl\\x0aend,Inf,,9223372036854775807,7\n"
        "\" sp \",0,\"a,\"\"b\"\"\",9223372036854775807,90000000000,1099511627776,nul\\x00x,-Inf,,0,\n"
        "\\xff\\xfe,7,\\xe2\\x80\\xae\xe6\xbc\xa2,0,0,5,'q\\\\,0.0,,1,0\n"
        ",1,\\x08\\x0c\\x0d,-1,1,1,x,0.1,,2,5\n";
    if (!csv || strcmp(csv, want)) {
        fprintf(stderr, "csv:\n%s\nwanted:\n%s\n", csv ? csv : "(refused)", want);
        CHECK(0);
    }
    free(csv);

    /* more rows than the table's sample, in every form */
    struct pfa_buf gen = {0};
    generated(&gen, 2500);
    csv = same_both_ways("generated", gen.p, gen.len);
    CHECK(csv != NULL);
    size_t lines = 0;
    for (const char *p = csv; (p = strchr(p, '\n')) != NULL; p++)
        lines++;
    CHECK(lines == 2501);
    free(csv);
    pfa_buf_free(&gen);

    /* no rows; one column; an empty last line without its newline */
    static const char empty[] = "a\tb_ns\nString\tInt64\n";
    csv = same_both_ways("no rows", empty, sizeof empty - 1);
    CHECK(csv && !strcmp(csv, "a,b_ns\n"));
    free(csv);
    static const char one[] = "v\nString\nx\n\ny";
    csv = same_both_ways("one column", one, sizeof one - 1);
    CHECK(csv && !strcmp(csv, "v\nx\n\ny\n"));
    free(csv);

    /* refused answers: the same message both ways, nothing printed */
    static const char *const bad[] = {"a\tb\nString\tString\nx\ty\nonly\n", "a\tb\nString\n", "", "a\nString\nx\ty\n"};
    static const char *const why[] = {"a row of 1 fields, not 2", "not a table (2 names, 1 types)",
                                      "not a table (0 names, 0 types)", "a row of 2 fields, not 1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        for (int copy = 0; copy <= 1; copy++) {
            int rc;
            size_t n;
            char *out = render_text(bad[i], strlen(bad[i]), copy, &forms[6].o, &rc, &n);
            if (!strstr(err, why[i]))
                fprintf(stderr, "bad answer %zu (copy %d): '%s'\n", i, copy, err);
            CHECK(rc == PFA_E_CH && strstr(err, why[i]) != NULL);
            CHECK(n == 0);
            free(out);
        }
    }
    printf("answers: hostile values, %d generated rows, empty and refused answers alike both ways in %zu forms\n", 2500,
           sizeof forms / sizeof *forms);
}

/* A saved answer: both ways in every form, compared, timed. */
static void saved(const char *path)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    struct pfa_buf answer = {0};
    char chunk[1 << 16];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        CHECK(pfa_buf_put(&answer, chunk, n) == 0);
    fclose(f);
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
        FILE *out[2];
        double secs[2];
        int rc[2];
        for (int copy = 0; copy <= 1; copy++) {
            out[copy] = tmpfile();
            CHECK(out[copy] != NULL);
            double t0 = now_s();
            rc[copy] = render(answer.p, answer.len, copy, &forms[i].o, out[copy]);
            fflush(out[copy]);
            secs[copy] = now_s() - t0;
        }
        CHECK(rc[0] == rc[1]);
        long size = ftell(out[0]);
        CHECK(size == ftell(out[1]));
        rewind(out[0]);
        rewind(out[1]);
        char other[1 << 16];
        while ((n = fread(chunk, 1, sizeof chunk, out[0])) > 0) {
            CHECK(fread(other, 1, n, out[1]) == n);
            CHECK(memcmp(chunk, other, n) == 0);
        }
        fclose(out[0]);
        fclose(out[1]);
        printf("%s %s: the same %ld bytes (code %d); virtual table %.3f s, copied rows %.3f s\n", path, forms[i].name,
               size, rc[0], secs[0], secs[1]);
    }
    pfa_buf_free(&answer);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        built_in();
    for (int i = 1; i < argc; i++)
        saved(argv[i]);
    return check_result("test_ch_answer");
}
