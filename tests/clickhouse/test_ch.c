/* SPDX-License-Identifier: MIT */
/* The fleet store against a real ClickHouse server (started by run_ch.sh):
 * address parsing, the schema, exactly-once loading of captures (every
 * table's rows equal the SQLite database's, a second load does nothing, an
 * interrupted load is cleaned up and completed), and the messages of a
 * refused or unreachable server.
 *   test_ch URL WORK_DIR CAPTURE...
 * URL names a single server or, with ?cluster=NAME, the shards of a cluster;
 * its database is dropped and made anew. */
#define _DEFAULT_SOURCE /* usleep */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../check.h"
#include "clickhouse.h"

static char err[1024];

static void test_urls(const char *work)
{
    struct pfa_ch_target t;
    CHECK(pfa_ch_is_url("clickhouse://h/db") && !pfa_ch_is_url("net.db") && !pfa_ch_is_url(NULL));
    unsetenv("PROCFLOW_CH_PASSWORD");
    CHECK(pfa_ch_parse_url("clickhouse://localhost", NULL, &t, err, sizeof err) == 0);
    CHECK(t.nhosts == 1 && strcmp(t.host[0], "localhost") == 0 && t.port[0] == 8123 && strcmp(t.user, "default") == 0 &&
          strcmp(t.database, "default") == 0 && t.password[0] == 0);
    CHECK(pfa_ch_parse_url("clickhouse://ann:s%40cret@db.example:9123/fleet_1", NULL, &t, err, sizeof err) == 0);
    CHECK(strcmp(t.user, "ann") == 0 && strcmp(t.password, "s@cret") == 0 && strcmp(t.host[0], "db.example") == 0 &&
          t.port[0] == 9123 && strcmp(t.database, "fleet_1") == 0 && !t.cluster[0]);
    CHECK(pfa_ch_parse_url("clickhouse://[::1]:8124/x", NULL, &t, err, sizeof err) == 0);
    CHECK(strcmp(t.host[0], "[::1]") == 0 && t.port[0] == 8124);
    CHECK(pfa_ch_parse_url("clickhouse://a:1,[::1]:2,c/db?cluster=two", NULL, &t, err, sizeof err) == 0);
    CHECK(t.nhosts == 3 && strcmp(t.host[1], "[::1]") == 0 && t.port[1] == 2 && t.port[2] == 8123 &&
          strcmp(t.cluster, "two") == 0 && strcmp(t.database, "db") == 0);
    CHECK(pfa_ch_parse_url("clickhouse://a,b/db", NULL, &t, err, sizeof err) == PFA_E_PARAM);
    CHECK(strstr(err, "need ?cluster=NAME") != NULL);
    CHECK(pfa_ch_parse_url("clickhouse://a/db?shards=3", NULL, &t, err, sizeof err) == PFA_E_PARAM);
    CHECK(pfa_ch_parse_url("clickhouse://a/db?cluster=x;drop", NULL, &t, err, sizeof err) == PFA_E_PARAM);
    setenv("PROCFLOW_CH_PASSWORD", "from-env", 1);
    CHECK(pfa_ch_parse_url("clickhouse://bob@h/d", NULL, &t, err, sizeof err) == 0);
    CHECK(strcmp(t.password, "from-env") == 0);
    unsetenv("PROCFLOW_CH_PASSWORD");
    CHECK(pfa_ch_parse_url("clickhouse://h:99999/d", NULL, &t, err, sizeof err) == PFA_E_PARAM);
    CHECK(strstr(err, "'99999' is not a port") != NULL);
    CHECK(pfa_ch_parse_url("clickhouse://h/bad-name", NULL, &t, err, sizeof err) == PFA_E_PARAM);
    CHECK(strstr(err, "database 'bad-name'") != NULL);
    CHECK(pfa_ch_parse_url("clickhouse:///d", NULL, &t, err, sizeof err) == PFA_E_PARAM);
    CHECK(pfa_ch_parse_url("clickhouse://u:%4@h/d", NULL, &t, err, sizeof err) == PFA_E_PARAM);
    /* a password file others can read is refused, a private one is read */
    char pw[512];
    snprintf(pw, sizeof pw, "%s/pw", work);
    FILE *f = fopen(pw, "w");
    CHECK(f != NULL);
    fputs("file-secret\n", f);
    fclose(f);
    chmod(pw, 0644);
    CHECK(pfa_ch_parse_url("clickhouse://h/d", pw, &t, err, sizeof err) == PFA_E_PARAM);
    CHECK(strstr(err, "can be read by others") != NULL && strstr(err, "file-secret") == NULL);
    chmod(pw, 0600);
    CHECK(pfa_ch_parse_url("clickhouse://h/d", pw, &t, err, sizeof err) == 0);
    CHECK(strcmp(t.password, "file-secret") == 0);
}

static char dbname[128];

/* A connection to host number h of t alone (one shard of a cluster). */
static pfa_ch *open_one(const struct pfa_ch_target *t, unsigned h)
{
    struct pfa_ch_target one = *t;
    one.nhosts = 1;
    memcpy(one.host[0], t->host[h], sizeof one.host[0]);
    one.port[0] = t->port[h];
    pfa_ch *c = NULL;
    CHECK(pfa_ch_open(&c, &one, err, sizeof err) == 0);
    return c;
}

static int64_t ch_count(pfa_ch *c, const char *table)
{
    char sql[300];
    int64_t n = -1;
    snprintf(sql, sizeof sql, "SELECT count() FROM %s.%s", dbname, table);
    CHECK(pfa_ch_query_int(c, sql, &n, err, sizeof err) == 0);
    return n;
}

static int64_t sqlite_count(sqlite3 *db, const char *table)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3_stmt *st;
    CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static const char *const tables[] = {"captures",  "processes", "flows",  "bytes",    "bytes_rollup",
                                     "snapshots", "losses",    "damage", "hostinfo", "markers"};

static void same_counts(pfa_ch *c, sqlite3 *db)
{
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        int64_t a = ch_count(c, tables[i]), b = sqlite_count(db, tables[i]);
        if (a != b)
            fprintf(stderr, "%s: clickhouse %lld, sqlite %lld\n", tables[i], (long long)a, (long long)b);
        CHECK(a == b);
    }
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: test_ch URL WORK_DIR CAPTURE...\n");
        return 2;
    }
    const char *work = argv[2];
    test_urls(work);

    /* the captures, ingested into SQLite as usual */
    char dbpath[512];
    snprintf(dbpath, sizeof dbpath, "%s/staging.db", work);
    unlink(dbpath);
    sqlite3 *db;
    CHECK(pfa_db_open(&db, dbpath, 1, 0, err, sizeof err) == 0);
    int ncap = argc - 3;
    int64_t ids[64];
    CHECK(ncap <= 64);
    for (int i = 0; i < ncap; i++) {
        struct pfa_ingest_options o;
        memset(&o, 0, sizeof o);
        struct pfa_ingest_result r;
        int rc = pfa_ingest_file(db, argv[3 + i], &o, &r, err, sizeof err);
        if (rc)
            fprintf(stderr, "%s: %s\n", argv[3 + i], err);
        CHECK(rc == 0);
        ids[i] = r.capture_id;
    }

    struct pfa_ch_target t;
    CHECK(pfa_ch_parse_url(argv[1], NULL, &t, err, sizeof err) == 0);
    snprintf(dbname, sizeof dbname, "%s", t.database);
    pfa_ch *c;
    CHECK(pfa_ch_open(&c, &t, err, sizeof err) == 0);
    char sql[400];
    for (unsigned h = 0; h < t.nhosts; h++) {
        pfa_ch *s = open_one(&t, h);
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", dbname);
        CHECK(pfa_ch_exec(s, sql, NULL, err, sizeof err) == 0);
        pfa_ch_close(s);
    }
    CHECK(pfa_ch_create_schema(c, err, sizeof err) == 0);
    CHECK(pfa_ch_create_schema(c, err, sizeof err) == 0); /* idempotent */
    CHECK(ch_count(c, "meta") == 1);
    /* an interrupted load: the first capture's processes are there, nothing else */
    struct pfa_ch_load_result res;
    {
        /* every column of the table: the DDL files in order (netns last, schema 3) */
        struct pfa_buf b = {0};
        CHECK(pfa_buf_printf(&b, "x\t%d\t1\t42\t\\N\t\\N\t\\N\t\\N\tleft\\tover\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n",
                             0) == 0);
        /* the real global id of capture 1 is used below; this row has id 0 and must not disturb it */
        CHECK(pfa_ch_insert_tsv(c, "processes", b.p, b.len, err, sizeof err) == 0);
        pfa_buf_free(&b);
    }
    uint64_t total = 0;
    for (int i = 0; i < ncap; i++) {
        CHECK(pfa_ch_load_capture(c, db, ids[i], &res, err, sizeof err) == 0);
        CHECK(!res.already && !res.resumed);
        total += res.rows;
    }
    snprintf(sql, sizeof sql, "ALTER TABLE %s.processes%s DELETE WHERE capture_id = 0", dbname,
             t.cluster[0] ? "_local" : "");
    for (unsigned h = 0; h < t.nhosts; h++) {
        pfa_ch *s = open_one(&t, h);
        CHECK(pfa_ch_exec(s, sql, NULL, err, sizeof err) == 0);
        pfa_ch_close(s);
    }
    for (int i = 0; i < 100 && ch_count(c, "processes") != sqlite_count(db, "processes"); i++)
        usleep(100000);
    same_counts(c, db);
    if (t.cluster[0]) {
        /* every row on exactly one shard, and one host's rows on one shard */
        int64_t rows = 0, hosts = 0, all_hosts = 0;
        for (unsigned h = 0; h < t.nhosts; h++) {
            pfa_ch *s = open_one(&t, h);
            int64_t n = 0;
            snprintf(sql, sizeof sql, "SELECT count() FROM %s.flows_local", dbname);
            CHECK(pfa_ch_query_int(s, sql, &n, err, sizeof err) == 0);
            rows += n;
            snprintf(sql, sizeof sql, "SELECT uniqExact(host) FROM %s.flows_local", dbname);
            CHECK(pfa_ch_query_int(s, sql, &n, err, sizeof err) == 0);
            hosts += n;
            pfa_ch_close(s);
        }
        snprintf(sql, sizeof sql, "SELECT uniqExact(host) FROM %s.flows", dbname);
        CHECK(pfa_ch_query_int(c, sql, &all_hosts, err, sizeof err) == 0);
        CHECK(rows == sqlite_count(db, "flows") && hosts == all_hosts);
        printf("cluster %s: %u shards hold %lld flow rows once each; each of %lld hosts on one shard\n", t.cluster,
               t.nhosts, (long long)rows, (long long)all_hosts);
    }
    printf("loaded %d captures, %llu rows; every table's row count equals SQLite's\n", ncap, (unsigned long long)total);

    /* exactly once: loading again does nothing */
    for (int i = 0; i < ncap; i++) {
        CHECK(pfa_ch_load_capture(c, db, ids[i], &res, err, sizeof err) == 0);
        CHECK(res.already && res.rows == 0);
    }
    same_counts(c, db);

    /* interrupted: the captures row (written last) is missing, other rows are there */
    snprintf(sql, sizeof sql, "ALTER TABLE %s.captures%s DELETE WHERE 1", dbname, t.cluster[0] ? "_local" : "");
    for (unsigned h = 0; h < t.nhosts; h++) {
        pfa_ch *s = open_one(&t, h);
        CHECK(pfa_ch_exec(s, sql, NULL, err, sizeof err) == 0);
        pfa_ch_close(s);
    }
    for (int i = 0; i < 100 && ch_count(c, "captures") != 0; i++)
        usleep(100000);
    CHECK(ch_count(c, "captures") == 0);
    /* half captures: their rows are there, the readers' views show none */
    for (size_t i = 1; i < sizeof tables / sizeof *tables; i++) {
        char view[64];
        snprintf(view, sizeof view, "visible_%s", tables[i]);
        CHECK(ch_count(c, view) == 0);
    }
    CHECK(ch_count(c, "flows") == sqlite_count(db, "flows") && ch_count(c, "flows") > 0);
    for (int i = 0; i < ncap; i++) {
        CHECK(pfa_ch_load_capture(c, db, ids[i], &res, err, sizeof err) == 0);
        CHECK(!res.already && res.resumed);
    }
    same_counts(c, db);
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        char view[64];
        snprintf(view, sizeof view, "visible_%s", tables[i]);
        CHECK(ch_count(c, view) == sqlite_count(db, tables[i]));
    }
    printf("reload: nothing added; interrupted loads resumed with exact counts; the visible_* views hid the half "
           "captures and show the complete ones\n");

    /* the same sums of bytes as SQLite */
    int64_t ch_bytes = 0;
    snprintf(sql, sizeof sql, "SELECT sum(bytes_sent + bytes_recv) FROM %s.flows", dbname);
    CHECK(pfa_ch_query_int(c, sql, &ch_bytes, err, sizeof err) == 0);
    sqlite3_stmt *st;
    CHECK(sqlite3_prepare_v2(db, "SELECT total(bytes_sent + bytes_recv) FROM flows", -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK((double)ch_bytes == sqlite3_column_double(st, 0));
    sqlite3_finalize(st);

    /* parameters become literals: every hostile value comes back as itself */
    {
        static const char *const hostile[] = {"'",
                                              "\\",
                                              "\\'",
                                              "x'); DROP TABLE flows; --",
                                              "a\nb\tc\rd",
                                              "\x01\x1f\x7f",
                                              "caf\xc3\xa9 \xe6\xbc\xa2",
                                              "\\x27",
                                              "''''",
                                              "{x:String}",
                                              "-- c",
                                              "/* c */",
                                              "?",
                                              ":other"};
        for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
            struct pfa_kv kv = {"v", hostile[i]};
            sqlite3 *mem = NULL;
            struct pfa_buf sel = {0};
            snprintf(sql, sizeof sql, "SELECT :v AS v, ':v' AS literal -- :v\n");
            int rc = pfa_ch_fetch(c, sql, NULL, &kv, 1, 0, &mem, &sel, err, sizeof err);
            if (rc)
                fprintf(stderr, "value %zu: %s\n", i, err);
            CHECK(rc == 0);
            sqlite3_stmt *rs;
            CHECK(sqlite3_prepare_v2(mem, sel.p, -1, &rs, NULL) == SQLITE_OK);
            CHECK(sqlite3_step(rs) == SQLITE_ROW);
            CHECK(strcmp((const char *)sqlite3_column_text(rs, 0), hostile[i]) == 0);
            CHECK(strcmp((const char *)sqlite3_column_text(rs, 1), ":v") == 0); /* not inside strings */
            CHECK(sqlite3_step(rs) == SQLITE_DONE);
            sqlite3_finalize(rs);
            sqlite3_close(mem);
            pfa_buf_free(&sel);
        }
        struct pfa_buf q = {0};
        CHECK(pfa_ch_quote(&q, "a'b\\c\n", 6) == 0);
        CHECK(q.len == 13 && memcmp(q.p, "'a\\'b\\\\c\\x0a'", 13) == 0);
        pfa_buf_free(&q);
        /* the report's declared types check values before anything is sent */
        const struct pfa_report *rep = pfa_report_find("who-owned");
        CHECK(rep != NULL);
        struct pfa_kv bad[2] = {{"addr", "1.2.3.4' OR '1"}, {"port", "1"}};
        CHECK(pfa_ch_bind_sql(pfa_ch_report_sql("who-owned"), rep, bad, 2, 0, 0, &q, err, sizeof err) == PFA_E_PARAM);
        CHECK(strstr(err, "not an IPv4 or IPv6 address") != NULL);
        struct pfa_kv unknown = {"nope", "1"};
        CHECK(pfa_ch_bind_sql(pfa_ch_report_sql("who-owned"), rep, &unknown, 1, 0, 0, &q, err, sizeof err) ==
              PFA_E_PARAM);
        pfa_buf_free(&q);
        printf("parameters: %zu hostile values round-trip as themselves; typed parameters checked first\n",
               sizeof hostile / sizeof *hostile);
    }

    /* a refused statement names the server and the server's reason */
    snprintf(sql, sizeof sql, "SELECT * FROM %s.no_such_table", dbname);
    CHECK(pfa_ch_exec(c, sql, NULL, err, sizeof err) == PFA_E_CH);
    CHECK(strstr(err, "clickhouse 127.0.0.1:") && strstr(err, "no_such_table") && !strstr(err, "e.what"));
    pfa_ch_close(c);

    /* a wrong password is refused; the password itself is never shown */
    snprintf(t.password, sizeof t.password, "wrong-pass");
    CHECK(pfa_ch_open(&c, &t, err, sizeof err) == 0);
    CHECK(pfa_ch_exec(c, "SELECT 1", NULL, err, sizeof err) == PFA_E_CH);
    CHECK(strstr(err, "wrong-pass") == NULL);
    pfa_ch_close(c);

    /* nobody listening */
    CHECK(pfa_ch_parse_url("clickhouse://127.0.0.1:1/fleet_test", NULL, &t, err, sizeof err) == 0);
    CHECK(pfa_ch_open(&c, &t, err, sizeof err) == 0);
    CHECK(pfa_ch_exec(c, "SELECT 1", NULL, err, sizeof err) == PFA_E_CH);
    CHECK(strstr(err, "clickhouse 127.0.0.1:1: ") != NULL);
    printf("errors: %s\n", err);
    pfa_ch_close(c);
    pfa_ch_close(NULL);

    pfa_db_close(db);
    unlink(dbpath);
    return check_result("clickhouse");
}
