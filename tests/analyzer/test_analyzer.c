/* SPDX-License-Identifier: MIT */
/* Analyzer tests on hand-built captures with exactly known content.
 * usage: test_analyzer WORKDIR */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfa.h"
#include "pfa_export.h"
#include "scenarios.h"

static int failures;
#define PF_CHECK_FAILURES failures
#include "../check.h"
static const char *workdir;

static int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -999999;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "SQL error: %s: %s\n", sqlite3_errmsg(db), sql);
        failures++;
        return v;
    }
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void q_text(sqlite3 *db, const char *sql, char *out, size_t n)
{
    sqlite3_stmt *st;
    out[0] = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "SQL error: %s: %s\n", sqlite3_errmsg(db), sql);
        failures++;
        return;
    }
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
    else
        snprintf(out, n, "(null)");
    sqlite3_finalize(st);
}

#define EQ_INT(db, sql, want) \
    do { \
        int64_t got_ = q_int(db, sql); \
        if (got_ != (int64_t)(want)) { \
            fprintf(stderr, "%s:%d: %s\n  got %lld, want %lld\n", __FILE__, __LINE__, sql, (long long)got_, \
                    (long long)(want)); \
            failures++; \
        } \
    } while (0)

#define EQ_TEXT(db, sql, want) \
    do { \
        char got_[1024]; \
        q_text(db, sql, got_, sizeof got_); \
        if (strcmp(got_, want)) { \
            fprintf(stderr, "%s:%d: %s\n  got '%s', want '%s'\n", __FILE__, __LINE__, sql, got_, want); \
            failures++; \
        } \
    } while (0)

static void path_of(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", workdir, name); }

static sqlite3 *fresh_db(const char *name)
{
    char p[1024];
    path_of(p, sizeof p, name);
    unlink(p);
    sqlite3 *db = NULL;
    char err[512];
    if (pfa_db_open(&db, p, 1, 0, err, sizeof err)) {
        fprintf(stderr, "open %s: %s\n", p, err);
        failures++;
        return NULL;
    }
    return db;
}

static int ingest(sqlite3 *db, const char *cap, struct pfa_ingest_result *res, uint64_t bucket)
{
    char err[512];
    struct pfa_ingest_options o = {.bucket_ns = bucket};
    int rc = pfa_ingest_file(db, cap, &o, res, err, sizeof err);
    if (rc)
        fprintf(stderr, "ingest %s: %s\n", cap, err);
    if (!rc)
        rc = pfa_ingest_finish(db, err, sizeof err);
    return rc;
}

/* ------------------------------------------------------------ text */

static void test_text(void)
{
    int64_t ns = 0;
    CHECK(pfa_parse_time("2024-05-01T12:00:00Z", 0, 0, &ns) == 0 && ns == SC_U0);
    CHECK(pfa_parse_time("2024-05-01 12:00:01.5Z", 0, 0, &ns) == 0 && ns == SC_U0 + 1500000000);
    CHECK(pfa_parse_time("2024-05-01T14:00:00+02:00", 0, 0, &ns) == 0 && ns == SC_U0);
    CHECK(pfa_parse_time("2024-05-01T12:00:00", 0, 1, &ns) == 0 && ns == SC_U0);
    CHECK(pfa_parse_time("+90s", 1000, 0, &ns) == 0 && ns == 1000 + 90000000000LL);
    CHECK(pfa_parse_time("+1.5m", 0, 0, &ns) == 0 && ns == 90000000000LL);
    /* @N is seconds since 1970, as GNU date reads it, fraction to ns */
    CHECK(pfa_parse_time("@1714564800", 0, 0, &ns) == 0 && ns == SC_U0);
    CHECK(pfa_parse_time("@1714564800.25", 0, 0, &ns) == 0 && ns == SC_U0 + 250000000);
    CHECK(pfa_parse_time("@1795463698.123456789", 0, 0, &ns) == 0 && ns == 1795463698123456789LL);
    CHECK(pfa_parse_time("@-1.5", 0, 0, &ns) == 0 && ns == -1500000000LL);
    CHECK(pfa_parse_time("@1714564800000000000", 0, 0, &ns) != 0); /* 5e10 years */
    CHECK(pfa_parse_time("@1.1234567891", 0, 0, &ns) != 0);
    CHECK(pfa_parse_time("@", 0, 0, &ns) != 0);
    CHECK(pfa_parse_time("@12x", 0, 0, &ns) != 0);
    /* dates past 2043 and up to 2262 are fine; beyond is refused, naming the value */
    CHECK(pfa_parse_time("2100-01-01T00:00:00Z", 0, 0, &ns) == 0 && ns == 4102444800LL * 1000000000LL);
    CHECK(pfa_parse_time("2262-04-11T23:47:16Z", 0, 0, &ns) == 0 && ns == 9223372036000000000LL);
    char why[384];
    CHECK(pfa_parse_time_why("9999-01-01T00:00:00Z", 0, 0, &ns, why, sizeof why) != 0);
    CHECK(!strcmp(why, "'9999-01-01T00:00:00Z' is outside the times nanoseconds since 1970 can hold "
                       "(1677-09-21 to 2262-04-11)"));
    CHECK(pfa_parse_time("9999-12-31T00:00:00Z", 0, 1, &ns) != 0);
    CHECK(pfa_parse_time("2262-04-11T23:47:17Z", 0, 0, &ns) != 0);
    CHECK(pfa_parse_time("0001-01-01T00:00:00Z", 0, 0, &ns) != 0);
    CHECK(pfa_parse_time("+9000000000s", INT64_MAX - 10, 0, &ns) != 0);
    /* impossible dates and offsets */
    CHECK(pfa_parse_time_why("2026-02-31", 0, 1, &ns, why, sizeof why) != 0);
    CHECK(!strcmp(why, "'2026-02-31': 2026-02 has no day 31"));
    CHECK(pfa_parse_time("2026-02-30T00:00:00Z", 0, 0, &ns) != 0);
    CHECK(pfa_parse_time("2023-02-29T00:00:00Z", 0, 0, &ns) != 0);
    CHECK(pfa_parse_time("2024-02-29T00:00:00Z", 0, 0, &ns) == 0);
    CHECK(pfa_parse_time("2024-04-31T00:00:00Z", 0, 0, &ns) != 0);
    CHECK(pfa_parse_time("2024-05-01T24:00:00Z", 0, 0, &ns) != 0);
    CHECK(pfa_parse_time_why("2024-05-01T12:00:00+99:99", 0, 0, &ns, why, sizeof why) != 0);
    CHECK(!strcmp(why, "'2024-05-01T12:00:00+99:99': +99:99 is not a UTC offset (-23:59 to +23:59)"));
    CHECK(pfa_parse_time("2024-05-01T12:00:00+05:60", 0, 0, &ns) != 0);
    CHECK(pfa_parse_time("1714564800000000000", 0, 0, &ns) == 0 && ns == SC_U0);
    CHECK(pfa_parse_time("2024-13-01T00:00:00Z", 0, 0, &ns) != 0);
    CHECK(pfa_parse_time("yesterday", 0, 0, &ns) != 0);
    CHECK(pfa_parse_time("", 0, 0, &ns) != 0);
    CHECK(pfa_parse_duration("10s", &ns) == 0 && ns == 10000000000LL);
    CHECK(pfa_parse_duration("250ms", &ns) == 0 && ns == 250000000LL);
    CHECK(pfa_parse_duration("2h", &ns) == 0 && ns == 7200000000000LL);
    CHECK(pfa_parse_duration("3", &ns) == 0 && ns == 3000000000LL);
    CHECK(pfa_parse_duration("-3s", &ns) != 0);
    CHECK(pfa_parse_duration("3parsecs", &ns) != 0);

    struct pfa_buf b = {0};
    size_t w = pfa_escape(&b, "a\x1b[31mb\\\xff\xc3\xa9\n", 12);
    CHECK(!strcmp(b.p, "a\\x1b[31mb\\\\\\xff\xc3\xa9\\x0a"));
    CHECK(w == 1 + 4 + 5 + 2 + 4 + 1 + 4);
    pfa_buf_free(&b);
    pfa_escape_json(&b, "q\"\x01\xff", 4);
    CHECK(!strcmp(b.p, "q\\\"\\u0001\\ufffd"));
    pfa_buf_free(&b);
    char h[32];
    pfa_human_bytes(h, sizeof h, 1536);
    CHECK(!strcmp(h, "1.5 KiB"));
    pfa_human_bytes(h, sizeof h, 1000);
    CHECK(!strcmp(h, "1000 B"));
    pfa_format_time(h, sizeof h, SC_U0 + 1234000000, 1);
    CHECK(!strcmp(h, "2024-05-01 12:00:01.234Z"));
}

/* ------------------------------------------------------------ basic */

#define U(t) (SC_U0 + (int64_t)((t)*1e9 + 0.5))

static void check_basic(sqlite3 *db)
{
    EQ_INT(db, "SELECT count(*) FROM captures", 1);
    EQ_INT(db, "SELECT records FROM captures", 32);
    EQ_INT(db, "SELECT chunks_ok FROM captures", 3);
    EQ_INT(db, "SELECT chunks_damaged FROM captures", 0);
    EQ_INT(db, "SELECT events_lost FROM captures", 7);
    EQ_INT(db, "SELECT started_ns FROM captures", SC_U0);
    EQ_INT(db, "SELECT ended_ns FROM captures", U(12));
    EQ_TEXT(db, "SELECT host || '|' || os || '|' || platform FROM captures", "testhost|Linux 6.1-test|linux");

    /* one row per process instance: pid 100 twice */
    EQ_INT(db, "SELECT count(*) FROM processes", 4);
    EQ_INT(db, "SELECT count(*) FROM processes WHERE pid=100", 2);
    EQ_TEXT(db, "SELECT group_concat(comm, ',') FROM (SELECT comm FROM processes WHERE pid=100 ORDER BY start_ns)",
            "curl,evil");
    EQ_INT(db, "SELECT start_ns FROM processes WHERE comm='curl'", SC_U0 - 50000000000LL);
    EQ_INT(db, "SELECT exit_ns FROM processes WHERE comm='curl'", U(8));
    EQ_INT(db, "SELECT exit_ns IS NULL FROM processes WHERE comm='evil'", 1);
    EQ_INT(db, "SELECT start_ns FROM processes WHERE comm='evil'", U(9));
    EQ_TEXT(db, "SELECT cmdline FROM processes WHERE comm='curl'", "curl -s https://example.org/");

    EQ_INT(db, "SELECT count(*) FROM flows", 9);
    /* curl's connection: FINAL traffic then CLOSE land in one row */
    EQ_INT(db, "SELECT count(*) FROM flows WHERE remote_addr='203.0.113.5'", 1);
    EQ_TEXT(db,
            "SELECT f.proto||' '||f.family||' '||f.local_addr||':'||f.local_port||' '||f.remote_addr||':'||"
            "f.remote_port||' '||f.direction||' '||f.bytes_sent||' '||f.bytes_recv||' '||f.sends||' '||f.recvs||' '||"
            "f.state||' '||f.closed||' '||p.comm FROM flows f JOIN processes p USING(process_id) "
            "WHERE remote_addr='203.0.113.5'",
            "tcp 4 192.0.2.10:40001 203.0.113.5:443 out 1500 76000 3 16 CLOSE 1 curl");
    EQ_INT(db, "SELECT first_ns FROM flows WHERE remote_addr='203.0.113.5'", U(1));
    EQ_INT(db, "SELECT last_ns FROM flows WHERE remote_addr='203.0.113.5'", U(3.6));
    /* byte buckets (1 s): traffic at 2.2 -> bucket 2; 3.2 and 3.5 -> bucket 3 */
    EQ_TEXT(db,
            "SELECT group_concat(((bucket_ns - 1714564800000000000)/1000000000) ||':'||b.bytes_sent||'/'||b.bytes_recv"
            "||'/'||b.sends||'/'||b.recvs, ' ') FROM (SELECT b.* FROM bytes b JOIN flows f USING(flow_id) "
            "WHERE f.remote_addr='203.0.113.5' ORDER BY bucket_ns) b",
            "2:1000/50000/2/10 3:500/26000/1/6");
    /* bytes always sum to the flow totals */
    EQ_INT(db,
           "SELECT count(*) FROM flows f WHERE bytes_sent <> (SELECT coalesce(sum(bytes_sent),0) FROM bytes b "
           "WHERE b.flow_id=f.flow_id) OR bytes_recv <> (SELECT coalesce(sum(bytes_recv),0) FROM bytes b "
           "WHERE b.flow_id=f.flow_id)",
           0);
    EQ_INT(db, "SELECT count(*) FROM bytes", 9);
    /* the 60 s rollup holds the same sums */
    EQ_INT(db, "SELECT count(*) FROM bytes_rollup", 7);
    EQ_INT(db, "SELECT count(*) FROM bytes_rollup WHERE bucket_ns <> 1714564800000000000", 0);
    EQ_INT(db,
           "SELECT count(*) FROM flows f WHERE bytes_sent <> (SELECT coalesce(sum(bytes_sent),0) FROM bytes_rollup b "
           "WHERE b.flow_id=f.flow_id) OR recvs <> (SELECT coalesce(sum(recvs),0) FROM bytes_rollup b "
           "WHERE b.flow_id=f.flow_id)",
           0);
    EQ_INT(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key='rollup_ns'", 60000000000LL);

    /* nginx: listener, accepted connection, IPv4-mapped connection */
    EQ_TEXT(db,
            "SELECT local_addr||':'||local_port||' '||coalesce(remote_addr,'-')||' '||state||' '||closed "
            "FROM flows WHERE direction='listen' AND proto='tcp'",
            "0.0.0.0:8080 - LISTEN 0");
    EQ_TEXT(db,
            "SELECT direction||' '||bytes_sent||' '||bytes_recv||' '||state||' '||closed||' '||first_ns||' '||last_ns "
            "FROM flows WHERE remote_addr='198.51.100.7'",
            "in 6000 300 CLOSE 1 1714564804000000000 1714564806100000000");
    EQ_TEXT(db,
            "SELECT family||' '||local_addr||' '||remote_addr||':'||remote_port||' '||direction FROM flows "
            "WHERE remote_port=50001",
            "6 192.0.2.10 198.51.100.8:50001 unknown");

    /* resolver: bound UDP port, peers keyed by remote, direction by who spoke first */
    EQ_TEXT(db,
            "SELECT local_addr||':'||local_port||' '||direction||' '||coalesce(remote_addr,'-') FROM flows "
            "WHERE proto='udp' AND direction='listen'",
            "0.0.0.0:5353 listen -");
    EQ_TEXT(db,
            "SELECT direction||' '||bytes_sent||' '||bytes_recv||' '||sends||' '||recvs FROM flows "
            "WHERE remote_addr='203.0.113.53'",
            "out 40 120 1 1");
    EQ_TEXT(db, "SELECT direction||' '||bytes_sent||' '||bytes_recv FROM flows WHERE remote_addr='203.0.113.54'",
            "in 30 60");
    EQ_TEXT(db,
            "SELECT local_addr||' '||remote_addr||' '||family||' '||direction FROM flows "
            "WHERE remote_addr='2001:db8::53'",
            "2001:db8::10 2001:db8::53 6 out");
    /* start_ns 0 traffic attached to the live instance */
    EQ_INT(db,
           "SELECT count(DISTINCT process_id) FROM flows f JOIN processes p USING(process_id) "
           "WHERE p.comm='resolver'",
           1);
    EQ_INT(db, "SELECT count(*) FROM flows WHERE process_id IS NULL", 0);

    /* PID reuse: evil's connection belongs to the second pid-100 process */
    EQ_TEXT(db,
            "SELECT p.comm||' '||f.direction||' '||f.bytes_sent||' '||f.bytes_recv||' '||f.state||' '||f.closed "
            "FROM flows f JOIN processes p USING(process_id) WHERE f.remote_port=4444",
            "evil out 100 200 SYN_SENT 0");

    EQ_INT(db, "SELECT count(*) FROM snapshots", 3);
    EQ_INT(db, "SELECT count(*) FROM snapshots WHERE pid IS NULL AND process_id IS NULL AND local_port=631", 1);
    EQ_TEXT(db,
            "SELECT p.comm||' '||s.bytes_sent||' '||s.bytes_recv||' '||s.state FROM snapshots s "
            "JOIN processes p USING(process_id) WHERE s.remote_port=22",
            "curl 10 20 ESTABLISHED");
    EQ_TEXT(db, "SELECT source||' '||lost||' '||cpu||' '||ts_ns||' '||since_ns FROM losses",
            "ringbuf 7 1 1714564805000000000 1714564804000000000");
    EQ_TEXT(db, "SELECT key||'='||value FROM hostinfo", "kernel=6.1-test");
    EQ_TEXT(db, "SELECT text FROM markers", "end of test");
    EQ_INT(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key='bucket_ns'", 1000000000);
    EQ_INT(db, "PRAGMA application_id", PFA_APPLICATION_ID);
    EQ_INT(db, "PRAGMA user_version", PFA_SCHEMA_VERSION);
    /* views work */
    EQ_TEXT(db, "SELECT first_time FROM v_flows WHERE remote_addr='203.0.113.5'", "2024-05-01T12:00:01.000Z");
}

/* Runs a report into a string. */
static char *run_report(sqlite3 *db, const char *name, const struct pfa_kv *kv, size_t nkv, int format, int *rc)
{
    const struct pfa_report *rep = pfa_report_find(name);
    CHECK(rep != NULL);
    if (!rep) {
        *rc = -1;
        return strdup("");
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct pfa_output_options o = {.format = format, .utc = 1};
    char err[512] = "";
    *rc = pfa_run_sql(db, rep->sql, rep, kv, nkv, &o, f, err, sizeof err);
    fclose(f);
    if (*rc)
        fprintf(stderr, "report %s: %s\n", name, err);
    return buf;
}

static void expect_out(const char *what, const char *got, const char *want)
{
    if (strcmp(got, want)) {
        fprintf(stderr, "%s: output differs\n--- got\n%s--- want\n%s---\n", what, got, want);
        failures++;
    }
}

static void test_reports(sqlite3 *db)
{
    int rc;
    struct pfa_kv kv[3] = {{"addr", "192.0.2.10"}, {"port", "8080"}, {"at", "2024-05-01T12:00:05Z"}};
    char *out = run_report(db, "who-owned", kv, 3, PFA_FMT_CSV, &rc);
    CHECK(rc == 0);
    expect_out("who-owned 8080 at 5s", out,
               "host,pid,comm,side,proto,local_addr,local_port,remote_addr,remote_port,direction,first_ns,"
               "last_ns,source,exe,name\n"
               "testhost,200,nginx,local,tcp,0.0.0.0,8080,,,listen,1714564800000000000,1714564812000000000,flow,"
               "/usr/sbin/nginx,\n"
               "testhost,200,nginx,local,tcp,192.0.2.10,8080,198.51.100.7,50000,in,1714564804000000000,"
               "1714564806100000000,flow,/usr/sbin/nginx,\n");
    free(out);
    /* remote side, the IDS question: who talked to 203.0.113.66:4444 at +10.2s? */
    struct pfa_kv kv2[3] = {{"addr", "203.0.113.66"}, {"port", "4444"}, {"at", "+10.2s"}};
    out = run_report(db, "who-owned", kv2, 3, PFA_FMT_CSV, &rc);
    CHECK(rc == 0);
    expect_out("who-owned remote", out,
               "host,pid,comm,side,proto,local_addr,local_port,remote_addr,remote_port,direction,first_ns,"
               "last_ns,source,exe,name\n"
               "testhost,100,evil,remote,tcp,192.0.2.10,40002,203.0.113.66,4444,out,1714564810000000000,"
               "1714564810500000000,flow,/tmp/evil,\n");
    free(out);
    /* far outside any activity: nobody */
    struct pfa_kv kv3[3] = {{"addr", "203.0.113.66"}, {"port", "4444"}, {"at", "+1m"}};
    out = run_report(db, "who-owned", kv3, 3, PFA_FMT_CSV, &rc);
    CHECK(rc == 0);
    CHECK(strchr(out, '\n') == out + strlen(out) - 1); /* header only */
    free(out);
    /* the mapped address is found by its IPv6 spelling too */
    struct pfa_kv kv4[2] = {{"addr", "::ffff:198.51.100.8"}, {"port", "50001"}};
    out = run_report(db, "who-owned", kv4, 2, PFA_FMT_CSV, &rc);
    CHECK(rc == 0 && strstr(out, "nginx,remote,tcp,192.0.2.10,8080,198.51.100.8,50001"));
    free(out);

    struct pfa_kv up[1] = {{"comm", "resolver"}};
    out = run_report(db, "udp-peers", up, 1, PFA_FMT_CSV, &rc);
    CHECK(rc == 0);
    expect_out("udp-peers", out,
               "host,pid,comm,remote_addr,remote_port,bytes_sent,bytes_recv,sends,recvs,first_ns,last_ns,remote_name\n"
               "testhost,300,resolver,203.0.113.53,53,40,120,1,1,1714564802500000000,1714564802600000000,\n"
               "testhost,300,resolver,203.0.113.54,53,30,60,1,1,1714564807000000000,1714564807100000000,\n"
               "testhost,300,resolver,2001:db8::53,53,50,0,1,0,1714564812000000000,1714564812000000000,\n");
    free(out);

    out = run_report(db, "top-talkers", NULL, 0, PFA_FMT_CSV, &rc);
    CHECK(rc == 0);
    expect_out("top-talkers", out,
               "host,pid,comm,bytes_sent,bytes_recv,bytes_total,flows,remotes,exe\n"
               "testhost,100,curl,1500,76000,77500,1,1,/usr/bin/curl\n"
               "testhost,200,nginx,6010,310,6320,3,2,/usr/sbin/nginx\n"
               "testhost,300,resolver,120,180,300,4,3,/usr/bin/resolver\n"
               "testhost,100,evil,100,200,300,1,1,/tmp/evil\n");
    free(out);

    struct pfa_kv tl[1] = {{"bucket", "10s"}};
    out = run_report(db, "timeline", tl, 1, PFA_FMT_CSV, &rc);
    CHECK(rc == 0);
    expect_out("timeline 10s", out,
               "bucket_ns,host,pid,comm,flow_id,proto,remote_addr,remote_port,bytes_sent,bytes_recv,sends,recvs\n"
               "1714564800000000000,testhost,100,curl,,,,,1500,76000,3,16\n"
               "1714564800000000000,testhost,200,nginx,,,,,6000,300,2,1\n"
               "1714564800000000000,testhost,300,resolver,,,,,70,180,2,2\n"
               "1714564810000000000,testhost,100,evil,,,,,100,200,1,1\n"
               "1714564810000000000,testhost,300,resolver,,,,,50,0,1,0\n"
               "1714564810000000000,testhost,200,nginx,,,,,10,10,1,1\n");
    free(out);
    /* 1 minute buckets come from the rollup table: same sums */
    struct pfa_kv tm[1] = {{"bucket", "1m"}};
    out = run_report(db, "timeline", tm, 1, PFA_FMT_CSV, &rc);
    CHECK(rc == 0);
    expect_out("timeline 1m", out,
               "bucket_ns,host,pid,comm,flow_id,proto,remote_addr,remote_port,bytes_sent,bytes_recv,sends,recvs\n"
               "1714564800000000000,testhost,100,curl,,,,,1500,76000,3,16\n"
               "1714564800000000000,testhost,200,nginx,,,,,6010,310,3,2\n"
               "1714564800000000000,testhost,300,resolver,,,,,120,180,3,2\n" /* tie: older process first */
               "1714564800000000000,testhost,100,evil,,,,,100,200,1,1\n");
    free(out);

    out = run_report(db, "listeners", NULL, 0, PFA_FMT_CSV, &rc);
    CHECK(rc == 0);
    expect_out("listeners", out,
               "host,pid,comm,proto,local_addr,local_port,first_ns,last_ns,seen_by\n"
               "testhost,300,resolver,udp,0.0.0.0,5353,1714564802000000000,1714564812000000000,events\n"
               "testhost,200,nginx,tcp,0.0.0.0,8080,1714564800000000000,1714564812000000000,\"events,snapshot\"\n");
    free(out);

    struct pfa_kv sl[1] = {{"max", "1h"}};
    out = run_report(db, "short-lived", sl, 1, PFA_FMT_CSV, &rc);
    CHECK(rc == 0);
    expect_out("short-lived", out,
               "host,pid,ppid,comm,start_ns,exit_ns,lifetime_dur_ns,flows,bytes_sent,bytes_recv,cmdline\n"
               "testhost,100,1,curl,1714564750000000000,1714564808000000000,58000000000,1,1500,76000,"
               "curl -s https://example.org/\n");
    free(out);

    /* every canned report runs in every format */
    const struct pfa_report *list;
    size_t n = pfa_reports(&list);
    CHECK(n >= 9);
    for (size_t i = 0; i < n; i++) {
        struct pfa_kv need[2] = {{"addr", "192.0.2.10"}, {"port", "8080"}};
        size_t nk = !strcmp(list[i].name, "who-owned") ? 2 : 0;
        for (int fmt = 0; fmt < 3; fmt++) {
            out = run_report(db, list[i].name, need, nk, fmt, &rc);
            CHECK(rc == 0);
            free(out);
        }
    }
    /* bad parameters are refused */
    struct pfa_kv bad[1] = {{"nosuch", "1"}};
    out = run_report(db, "summary", bad, 1, PFA_FMT_CSV, &rc);
    CHECK(rc == PFA_E_PARAM);
    free(out);
    struct pfa_kv bad2[2] = {{"addr", "not-an-ip"}, {"port", "1"}};
    out = run_report(db, "who-owned", bad2, 2, PFA_FMT_CSV, &rc);
    CHECK(rc == PFA_E_PARAM);
    free(out);
    out = run_report(db, "who-owned", NULL, 0, PFA_FMT_CSV, &rc);
    CHECK(rc == PFA_E_PARAM); /* addr is required */
    free(out);
}

/* Rows of every table that holds rows of captures (a capture_id or a
 * flow_id column), in table order; returns how many tables. */
static int capture_rows(sqlite3 *db, char names[][64], int64_t *rows, int cap)
{
    sqlite3_stmt *st;
    int n = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT DISTINCT m.name FROM sqlite_master m, pragma_table_info(m.name) c "
                           "WHERE m.type = 'table' AND c.name IN ('capture_id', 'flow_id') ORDER BY m.name",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    while (n < cap && sqlite3_step(st) == SQLITE_ROW) {
        snprintf(names[n], 64, "%s", (const char *)sqlite3_column_text(st, 0));
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", names[n]);
        rows[n++] = q_int(db, sql);
    }
    sqlite3_finalize(st);
    return n;
}

static void test_basic(void)
{
    char cap[1024];
    path_of(cap, sizeof cap, "basic.pfcap");
    CHECK(sc_write("basic", cap) == 0);
    sqlite3 *db = fresh_db("basic.db");
    if (!db)
        return;
    struct pfa_ingest_result res;
    CHECK(ingest(db, cap, &res, 0) == 0);
    CHECK(res.already == 0 && res.records == 32 && res.flows == 9 && res.processes == 4);
    check_basic(db);
    test_reports(db);
    /* ingest twice: no duplicates, nothing changes */
    CHECK(ingest(db, cap, &res, 0) == 0);
    CHECK(res.already == 1 && res.capture_id == 1);
    check_basic(db);
    /* --replace: the old rows go, the capture comes back once */
    {
        char err[512];
        struct pfa_ingest_options ro = {.replace = 1};
        CHECK(pfa_ingest_file(db, cap, &ro, &res, err, sizeof err) == 0);
        CHECK(res.already == 0 && res.capture_id == 1); /* ids are reused after a delete */
        EQ_INT(db, "SELECT count(*) FROM captures", 1);
        EQ_INT(db, "SELECT count(*) FROM flows", 9);
        EQ_INT(db, "SELECT count(*) FROM bytes", 9);
        EQ_INT(db, "SELECT count(*) FROM bytes_rollup", 7);
        EQ_INT(db, "SELECT count(*) FROM processes", 4);
        EQ_INT(db, "SELECT count(*) FROM snapshots", 3);
        EQ_INT(db, "SELECT count(*) FROM losses", 1);
        EQ_INT(db, "SELECT count(*) FROM flows f LEFT JOIN processes p USING(process_id) WHERE p.pid IS NULL", 0);
    }
    /* a different bucket size is refused for an existing DB */
    char err[512];
    struct pfa_ingest_options o = {.bucket_ns = 10000000000ULL};
    char cap3[1024];
    path_of(cap3, sizeof cap3, "three.pfcap");
    CHECK(sc_write("three", cap3) == 0);
    CHECK(pfa_ingest_file(db, cap3, &o, &res, err, sizeof err) == PFA_E_BUCKET);
    EQ_INT(db, "SELECT count(*) FROM captures", 1);
    /* a second capture goes in beside the first, ids continue */
    CHECK(ingest(db, cap3, &res, 0) == 0);
    EQ_INT(db, "SELECT count(*) FROM captures", 2);
    EQ_INT(db, "SELECT count(*) FROM flows", 12);
    EQ_INT(db, "SELECT count(DISTINCT flow_id) FROM flows", 12);
    EQ_INT(db, "SELECT count(*) FROM processes", 5);
    /* --replace of the first capture deletes its rows from every table
     * (ingest-delete-capture.sql) and leaves the other's: each table holds
     * what it held before */
    {
        char names[32][64], names2[32][64];
        int64_t before[32], after[32];
        int nt = capture_rows(db, names, before, 32);
        CHECK(nt >= 10);
        struct pfa_ingest_options ro = {.replace = 1};
        CHECK(pfa_ingest_file(db, cap, &ro, &res, err, sizeof err) == 0);
        CHECK(res.already == 0 && res.capture_id == 3);
        CHECK(capture_rows(db, names2, after, 32) == nt);
        for (int i = 0; i < nt && i < 32; i++) {
            if (before[i] != after[i])
                fprintf(stderr, "table %s: %lld rows before the replace, %lld after\n", names[i], (long long)before[i],
                        (long long)after[i]);
            CHECK(before[i] == after[i]);
        }
        EQ_INT(db, "SELECT count(*) FROM captures WHERE capture_id = 1", 0);
        EQ_INT(db, "SELECT count(*) FROM flows WHERE capture_id = 1", 0);
        EQ_INT(db, "SELECT count(*) FROM hostinfo WHERE capture_id = 1", 0);
        EQ_INT(db, "SELECT count(*) FROM flows WHERE capture_id = 3", 9);
    }
    pfa_db_close(db);

    /* short idle time: idle flows and long-exited processes are written out
     * early (bounded memory); the database is the same */
    db = fresh_db("basic-idle.db");
    if (!db)
        return;
    {
        char err2[512];
        struct pfa_ingest_options io = {.idle_ns = 1000000000ULL};
        CHECK(pfa_ingest_file(db, cap, &io, &res, err2, sizeof err2) == 0);
        CHECK(pfa_ingest_finish(db, err2, sizeof err2) == 0);
        check_basic(db);
    }
    pfa_db_close(db);

    /* bigger buckets chosen at ingest */
    db = fresh_db("basic10.db");
    if (!db)
        return;
    CHECK(ingest(db, cap, &res, 10000000000ULL) == 0);
    EQ_INT(db, "SELECT count(*) FROM bytes", 7);
    EQ_INT(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key='bucket_ns'", 10000000000LL);
    EQ_INT(db, "SELECT sum(bytes_recv) FROM bytes", 76000 + 300 + 180 + 200 + 10);
    pfa_db_close(db);
}

/* ------------------------------------------------------------ hostile */

static void test_hostile(void)
{
    char cap[1024];
    path_of(cap, sizeof cap, "hostile.pfcap");
    CHECK(sc_write("hostile", cap) == 0);
    sqlite3 *db = fresh_db("hostile.db");
    if (!db)
        return;
    struct pfa_ingest_result res;
    CHECK(ingest(db, cap, &res, 0) == 0);
    EQ_INT(db, "SELECT count(*) FROM flows", 9); /* no table was dropped */
    EQ_INT(db, "SELECT count(*) FROM processes", 4);
    /* stored verbatim, byte for byte */
    static const char evil_cmd[] = "evil --name \"x'; DROP TABLE flows; --\" \x1b[31mRED\x1b[0m \xff\xfe\x07 tab\there";
    sqlite3_stmt *st;
    CHECK(sqlite3_prepare_v2(db, "SELECT count(*) FROM processes WHERE CAST(cmdline AS BLOB)=? AND comm=? AND exe=?",
                             -1, &st, NULL) == SQLITE_OK);
    sqlite3_bind_blob(st, 1, evil_cmd, sizeof evil_cmd - 1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, "'; DROP TABLE processes; --", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, "/tmp/\x1b]0;pwned\x07", -1, SQLITE_STATIC);
    CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1);
    sqlite3_finalize(st);
    EQ_INT(db, "SELECT length(CAST(host AS BLOB)) FROM captures", 12);

    /* printed safely in every format: no raw control bytes at all */
    const char *sql = "SELECT c.host, p.comm, p.exe, p.cmdline FROM processes p JOIN captures c USING(capture_id) "
                      "WHERE p.pid=100 AND p.exit_ns IS NULL";
    for (int fmt = 0; fmt < 3; fmt++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        struct pfa_output_options o = {.format = fmt, .utc = 1};
        char err[256];
        CHECK(pfa_run_sql(db, sql, NULL, NULL, 0, &o, f, err, sizeof err) == 0);
        fclose(f);
        for (size_t i = 0; i < len; i++)
            CHECK(buf[i] == '\n' || ((unsigned char)buf[i] >= 0x20 && buf[i] != 0x7f));
        if (fmt == PFA_FMT_TABLE) {
            CHECK(strstr(buf, "host\\x1b[2Jname") != NULL);
            CHECK(strstr(buf, "/tmp/\\x1b]0;pwned\\x07") != NULL);
            CHECK(strstr(buf, "\\x1b[31mRED\\x1b[0m \\xff\\xfe\\x07 tab\\x09here") != NULL);
            CHECK(strstr(buf, "'; DROP TABLE processes; --") != NULL);
        }
        if (fmt == PFA_FMT_JSON)
            CHECK(strstr(buf, "\\u001b[31mRED\\u001b[0m \\ufffd\\ufffd\\u0007 tab\\u0009here") != NULL);
        if (fmt == PFA_FMT_CSV)
            CHECK(strstr(buf, "\"evil --name \"\"x'; DROP TABLE flows; --\"\" \\x1b[31mRED") != NULL);
        free(buf);
    }
    /* CSV text a spreadsheet would run as a formula is defused; numbers stay */
    {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        struct pfa_output_options o = {.format = PFA_FMT_CSV, .utc = 1};
        char err[256];
        CHECK(pfa_run_sql(db,
                          "SELECT '=HYPERLINK(\"x\")' AS a, '+1' AS b, '-c' AS c, '@SUM(A1)' AS d, -5 AS e, 'ok' AS f",
                          NULL, NULL, 0, &o, f, err, sizeof err) == 0);
        fclose(f);
        CHECK(buf && !strcmp(buf, "a,b,c,d,e,f\n\"'=HYPERLINK(\"\"x\"\")\",'+1,'-c,'@SUM(A1),-5,ok\n"));
        if (buf && strcmp(buf, "a,b,c,d,e,f\n\"'=HYPERLINK(\"\"x\"\")\",'+1,'-c,'@SUM(A1),-5,ok\n"))
            fprintf(stderr, "csv formula guard: got %s", buf);
        free(buf);
    }
    /* a hostile parameter is just a value */
    struct pfa_kv kv[1] = {{"comm", "x' OR '1'='1"}};
    char *out = run_report(db, "udp-peers", kv, 1, PFA_FMT_CSV, &(int){0});
    CHECK(!strcmp(out, "host,pid,comm,remote_addr,remote_port,bytes_sent,bytes_recv,sends,recvs,first_ns,last_ns,"
                       "remote_name\n"));
    free(out);
    pfa_db_close(db);
}

/* ------------------------------------------------------------ damage */

struct offs {
    uint64_t off[8];
    uint32_t len[8];
    int n;
};

static void chunk_cb(void *ctx, const struct pf_chunk_info *c)
{
    struct offs *o = ctx;
    if (o->n < 8) {
        o->off[o->n] = c->offset;
        o->len[o->n] = c->block_bytes;
        o->n++;
    }
}

static int copy_file(const char *from, const char *to, long truncate_at, long flip_at)
{
    FILE *in = fopen(from, "rb");
    if (!in)
        return -1;
    FILE *out = fopen(to, "wb");
    if (!out) {
        fclose(in);
        return -1;
    }
    int ch;
    long pos = 0;
    while ((ch = fgetc(in)) != EOF) {
        if (truncate_at >= 0 && pos >= truncate_at)
            break;
        if (pos == flip_at)
            ch ^= 0x5a;
        fputc(ch, out);
        pos++;
    }
    fclose(in);
    fclose(out);
    return 0;
}

static void test_damage(void)
{
    char cap[1024], bad[1024];
    path_of(cap, sizeof cap, "three.pfcap");
    CHECK(sc_write("three", cap) == 0);
    /* find the chunk blocks */
    struct offs o = {0};
    pf_reader *r;
    CHECK(pf_reader_open(&r, cap, NULL) == 0);
    pf_reader_on_chunk(r, chunk_cb, &o);
    struct pf_record rec;
    while (pf_reader_next(r, &rec) == 1)
        ;
    pf_reader_close(r);
    CHECK(o.n == 3);
    if (o.n != 3)
        return;

    /* one flipped byte in the middle of chunk 2: chunks 1 and 3 survive */
    path_of(bad, sizeof bad, "three-flipped.pfcap");
    CHECK(copy_file(cap, bad, -1, (long)(o.off[1] + o.len[1] / 2)) == 0);
    sqlite3 *db = fresh_db("damaged.db");
    if (!db)
        return;
    struct pfa_ingest_result res;
    CHECK(ingest(db, bad, &res, 0) == 0);
    EQ_INT(db, "SELECT chunks_ok FROM captures", 2);
    EQ_INT(db, "SELECT chunks_damaged FROM captures", 1);
    EQ_INT(db, "SELECT count(*) FROM damage", 1);
    EQ_INT(db, "SELECT chunk_seq FROM damage", 1);
    EQ_TEXT(db, "SELECT group_concat(remote_addr, ',') FROM (SELECT remote_addr FROM flows ORDER BY 1)",
            "203.0.113.1,203.0.113.3");
    EQ_INT(db, "SELECT sum(bytes_sent) FROM flows", 2 * 200 * 10);
    pfa_db_close(db);

    /* cut inside chunk 3 (no footer): chunks 1 and 2 survive */
    path_of(bad, sizeof bad, "three-cut.pfcap");
    CHECK(copy_file(cap, bad, (long)(o.off[2] + o.len[2] / 2), -1) == 0);
    db = fresh_db("truncated.db");
    if (!db)
        return;
    CHECK(ingest(db, bad, &res, 0) == 0);
    EQ_INT(db, "SELECT chunks_ok FROM captures", 2);
    EQ_INT(db, "SELECT chunks_damaged FROM captures", 1);
    EQ_INT(db, "SELECT clean_close FROM captures", 0);
    EQ_TEXT(db, "SELECT group_concat(remote_addr, ',') FROM (SELECT remote_addr FROM flows ORDER BY 1)",
            "203.0.113.1,203.0.113.2");
    EQ_INT(db, "SELECT records FROM captures", 1 + 400);
    pfa_db_close(db);

    /* not a capture at all */
    path_of(bad, sizeof bad, "garbage.pfcap");
    FILE *f = fopen(bad, "wb");
    if (f) {
        fputs("this is not a capture file at all, just some text\n", f);
        fclose(f);
    }
    db = fresh_db("garbage.db");
    if (!db)
        return;
    char err[512];
    CHECK(pfa_ingest_file(db, bad, NULL, &res, err, sizeof err) < 0);
    EQ_INT(db, "SELECT count(*) FROM captures", 0);
    pfa_db_close(db);
}

/* ------------------------------------------------------------ DB checks */

static void test_db_versions(void)
{
    char p[1024], err[512];
    sqlite3 *db = fresh_db("newer.db");
    if (!db)
        return;
    CHECK(pfa_db_exec(db, "PRAGMA user_version=99", err, sizeof err) == 0);
    pfa_db_close(db);
    path_of(p, sizeof p, "newer.db");
    CHECK(pfa_db_open(&db, p, 1, 0, err, sizeof err) == PFA_E_NEWER_DB);
    CHECK(db == NULL);
    CHECK(strstr(err, "newer") != NULL);

    path_of(p, sizeof p, "other.db");
    unlink(p);
    CHECK(sqlite3_open(p, &db) == SQLITE_OK);
    sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL);
    sqlite3_close(db);
    CHECK(pfa_db_open(&db, p, 1, 0, err, sizeof err) == PFA_E_NOT_DB);
    CHECK(db == NULL);
}

/* Extreme values: ingest and every report run without crashing (the ASan
 * and UBSan build checks for overflow). */
/* The ownerless first event of an accepted socket joins the owner's flow;
 * a socket never owned stays a flow of no process. */
static void test_passive(void)
{
    char cap[1024];
    path_of(cap, sizeof cap, "passive.pfcap");
    CHECK(sc_write("passive", cap) == 0);
    sqlite3 *db = fresh_db("passive.db");
    if (!db)
        return;
    struct pfa_ingest_result res;
    CHECK(ingest(db, cap, &res, 0) == 0);
    EQ_INT(db, "SELECT count(*) FROM flows", 3);
    EQ_INT(db, "SELECT count(*) FROM flows WHERE sock_id = 41", 1);
    EQ_TEXT(db, "SELECT p.comm FROM flows f JOIN processes p USING(process_id) WHERE f.sock_id = 41", "nginx");
    EQ_TEXT(db,
            "SELECT direction || ' ' || bytes_sent || ' ' || bytes_recv || ' ' || state FROM flows WHERE sock_id = 41",
            "in 700 70 CLOSE");
    EQ_INT(db, "SELECT count(*) FROM flows WHERE sock_id = 42 AND process_id IS NULL", 1);
    pfa_db_close(db);
}

/* Zones of link-local IPv6 peers through the format and the DB into the
 * reports, and the time an event source recorded nothing in the summary. */
static void test_scoped(void)
{
    char cap[1024];
    path_of(cap, sizeof cap, "scoped.pfcap");
    CHECK(sc_write("scoped", cap) == 0);
    sqlite3 *db = fresh_db("scoped.db");
    if (!db)
        return;
    struct pfa_ingest_result res;
    CHECK(ingest(db, cap, &res, 0) == 0);
    EQ_TEXT(db,
            "SELECT group_concat(x, ';') FROM (SELECT proto || ' ' || local_addr || ' ' || remote_addr || ' ' || "
            "bytes_sent AS x FROM flows ORDER BY sock_id)",
            "tcp fe80::2%5 fe80::1%5 110;udp fe80::2%6 fe80::1%6 30;udp fe80::2%7 fe80::1%7 31");
    EQ_TEXT(db, "SELECT local_addr || ' ' || remote_addr FROM snapshots", "fe80::2%5 fe80::1%5");
    EQ_TEXT(db, "SELECT source || ' ' || lost || ' ' || (ts_ns - since_ns) FROM losses", "source-down 0 2500000000");
    int rc;
    char *out = run_report(db, "summary", NULL, 0, PFA_FMT_CSV, &rc);
    CHECK(rc == 0);
    expect_out("summary with time without events", out,
               "host,platform,recordings,files,started_ns,ended_ns,span_dur_ns,processes,flows,bytes_sent,bytes_recv,"
               "records,events_lost,without_events_dur_ns,chunks_damaged,files_missing,completeness\n"
               "testhost,linux,1,1,1714564800000000000,1714564807000000000,7000000000,1,3,171,200,8,0,2500000000,0,0,"
               "time without events\n");
    free(out);
    struct pfa_kv kv[3] = {{"addr", "fe80::1%6"}, {"port", "445"}, {"at", "+3s"}};
    out = run_report(db, "who-owned", kv, 3, PFA_FMT_CSV, &rc);
    CHECK(rc == 0);
    expect_out("who-owned by a scoped address", out,
               "host,pid,comm,side,proto,local_addr,local_port,remote_addr,remote_port,direction,first_ns,"
               "last_ns,source,exe,name\n"
               "testhost,400,svchost.exe,remote,udp,fe80::2%6,50001,fe80::1%6,445,out,1714564803000000000,"
               "1714564803000000000,flow,,\n");
    free(out);
    struct pfa_kv bad[2] = {{"addr", "192.0.2.1%5"}, {"port", "1"}};
    out = run_report(db, "who-owned", bad, 2, PFA_FMT_CSV, &rc);
    CHECK(rc == PFA_E_PARAM); /* zones are IPv6 only */
    free(out);
    pfa_db_close(db);
}

static void test_extreme(void)
{
    char cap[1024];
    path_of(cap, sizeof cap, "extreme.pfcap");
    int wrc = sc_write("extreme", cap);
    CHECK(wrc == 0);
    if (wrc)
        return;
    sqlite3 *db = fresh_db("extreme.db");
    if (!db)
        return;
    struct pfa_ingest_result res;
    CHECK(ingest(db, cap, &res, 0) == 0);
    EQ_INT(db, "SELECT count(*) FROM captures", 1);
    const struct pfa_report *list;
    size_t n = pfa_reports(&list);
    for (size_t i = 0; i < n; i++) {
        struct pfa_kv need[2] = {{"addr", "255.255.255.255"}, {"port", "65535"}};
        size_t nk = !strcmp(list[i].name, "who-owned") ? 2 : 0;
        int rc;
        char *out = run_report(db, list[i].name, need, nk, PFA_FMT_TABLE, &rc);
        /* report sums cannot overflow (total(), saturating) */
        CHECK(rc == 0);
        free(out);
    }
    pfa_db_close(db);
}

/* A capture recorded in 2100: one flow with ordinary counts, one whose
 * counts (2^63 - 1 bytes in a 0.2 s interval) no link can carry. */
/* Two connections of one process: 1500/64000 bytes at t = 2 s, `huge` both
 * ways `gap` later. */
static int write_pair(const char *path, int64_t u0, uint64_t huge, uint64_t gap)
{
    struct pf_file_info info;
    memset(&info, 0, sizeof info);
    info.hostname = "futurehost";
    info.os = "Linux";
    info.os_release = "9.9";
    info.recorder = "analyzer-test";
    info.platform = PF_PLATFORM_LINUX;
    info.clock_id = PF_CLOCK_BOOTTIME;
    info.start_utc_ns = u0;
    info.anchor_clock_ns = SC_BASE;
    info.anchor_utc_ns = u0;
    pf_writer *w = NULL;
    struct pf_writer_options wo = {.overwrite = 1};
    int rc = pf_writer_open(&w, path, &info, &wo);
    if (rc < 0)
        return rc;
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_PROCESS;
    r.ts_ns = SC_BASE;
    r.u.process.event = PF_PROC_RUNDOWN;
    r.u.process.pid = 4242;
    r.u.process.start_ns = SC_BASE - 1000;
    r.u.process.comm = "futured";
    r.u.process.comm_len = 7;
    rc = pf_writer_write(w, &r);
    for (int i = 0; i < 2 && rc >= 0; i++) {
        memset(&r, 0, sizeof r);
        r.type = PF_REC_TRAFFIC;
        r.ts_ns = SC_BASE + 2000000000ull + (i ? gap : 0ull);
        struct pf_flow_key *k = &r.u.traffic.key;
        k->pid = 4242;
        k->pid_start_ns = SC_BASE - 1000;
        k->sock_id = (uint64_t)(7 + i);
        k->proto = PF_PROTO_TCP;
        k->family = PF_AF_INET;
        pf_addr_from_string("192.0.2.1", k->local.addr);
        pf_addr_from_string("198.51.100.7", k->remote.addr);
        k->local.port = (uint16_t)(40000 + i);
        k->remote.port = 443;
        r.u.traffic.duration_ns = 200000000;
        r.u.traffic.bytes_sent = i ? huge : 1500;
        r.u.traffic.bytes_recv = i ? huge : 64000;
        r.u.traffic.sends = 3;
        r.u.traffic.recvs = 9;
        rc = pf_writer_write(w, &r);
    }
    if (rc >= 0)
        rc = pf_writer_close(w);
    pf_writer_destroy(w);
    return rc < 0 ? rc : 0;
}

/* 30 processes, one connection each, traffic every `step` ns, `steps`
 * times, with counts that change their order (and tie) from second to
 * second; with `late`, after step `late` one more record dated 400 s
 * before it (further back than a load waits for). */
static int write_grid(const char *path, int64_t u0, uint32_t steps, uint64_t step, uint32_t late)
{
    struct pf_file_info info;
    memset(&info, 0, sizeof info);
    info.hostname = "busyhost";
    info.os = "Linux";
    info.recorder = "analyzer-test";
    info.platform = PF_PLATFORM_LINUX;
    info.clock_id = PF_CLOCK_BOOTTIME;
    info.start_utc_ns = u0;
    info.anchor_clock_ns = SC_BASE;
    info.anchor_utc_ns = u0;
    pf_writer *w = NULL;
    struct pf_writer_options wo = {.overwrite = 1};
    int rc = pf_writer_open(&w, path, &info, &wo);
    if (rc < 0)
        return rc;
    struct pf_record r;
    for (uint32_t p = 0; p < 30 && rc >= 0; p++) {
        memset(&r, 0, sizeof r);
        r.type = PF_REC_PROCESS;
        r.ts_ns = SC_BASE;
        r.u.process.event = PF_PROC_RUNDOWN;
        r.u.process.pid = 1000 + p;
        r.u.process.start_ns = SC_BASE - 1000;
        r.u.process.comm = "busy";
        r.u.process.comm_len = 4;
        rc = pf_writer_write(w, &r);
    }
    for (uint32_t i = 0; i < steps && rc >= 0; i++)
        for (uint32_t p = 0; p < (late && i == late ? 31u : 30u) && rc >= 0; p++) {
            memset(&r, 0, sizeof r);
            r.type = PF_REC_TRAFFIC;
            r.ts_ns = SC_BASE + step * (i + 1) - (p == 30 ? 400000000000ull : 0);
            struct pf_flow_key *k = &r.u.traffic.key;
            k->pid = 1000 + p;
            k->pid_start_ns = SC_BASE - 1000;
            k->sock_id = 100 + p;
            k->proto = PF_PROTO_TCP;
            k->family = PF_AF_INET;
            pf_addr_from_string("192.0.2.1", k->local.addr);
            pf_addr_from_string("198.51.100.7", k->remote.addr);
            k->local.port = (uint16_t)(40000 + p);
            k->remote.port = 443;
            r.u.traffic.duration_ns = 400000000;
            r.u.traffic.bytes_sent = 100 + (p * 7 + i * 13) % 40; /* ties between processes */
            r.u.traffic.bytes_recv = (p % 3) * ((i * 31 + p * 17) % 50);
            r.u.traffic.sends = 1;
            r.u.traffic.recvs = p % 3 ? 1 : 0;
            rc = pf_writer_write(w, &r);
        }
    if (rc >= 0)
        rc = pf_writer_close(w);
    pf_writer_destroy(w);
    return rc < 0 ? rc : 0;
}

static int write_future(const char *path, int64_t u0, uint64_t huge)
{
    return write_pair(path, u0, huge, 1000000000ull); /* t = 2 s, 3 s */
}

/* 0.5 s apart for 25 s: more processes per bucket than timeline_top keeps */
static int write_busy(const char *path, int64_t u0) { return write_grid(path, u0, 50, 500000000, 0); }

/* Every row of the derived tables, in rowid (or key) order, as text. */
static char *dump_derived(sqlite3 *db)
{
    static const char *const sql[] = {
        "SELECT rowid, * FROM process_rollup ORDER BY rowid", "SELECT * FROM bytes_hours ORDER BY hour_ns",
        "SELECT * FROM timeline_top ORDER BY width_ns, bucket_ns, rank",
        "SELECT rowid, * FROM udp_peers ORDER BY rowid",
        ("SELECT key, value FROM meta WHERE key IN ('timeline_top', 'timeline_top_widths', 'rollups_current', "
         "'rollups_live') ORDER BY key")};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    for (size_t i = 0; f && i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *st;
        CHECK(sqlite3_prepare_v2(db, sql[i], -1, &st, NULL) == SQLITE_OK);
        fprintf(f, "-- %s\n", sql[i]);
        while (sqlite3_step(st) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(st); c++)
                fprintf(f, "%s%s", c ? "|" : "",
                        sqlite3_column_type(st, c) == SQLITE_NULL ? "NULL" : (const char *)sqlite3_column_text(st, c));
            fputc('\n', f);
        }
        sqlite3_finalize(st);
    }
    if (f)
        fclose(f);
    return buf;
}

/* A load into an empty database builds process_rollup, bytes_hours and
 * timeline_top as the records stream: the same rows, in the same rowid
 * order, as rebuilding them from the tables; a record further back than
 * the load waits for leaves them to the rebuild. Several bucket widths
 * (timeline_top unbuilt below about 57 us). */
static void test_rollups_live(void)
{
    char busy[1024], late[1024], basic[1024], huge[1024], err[512];
    const int64_t u0 = 1767225600LL * 1000000000LL;
    path_of(busy, sizeof busy, "live-busy.pfcap");
    path_of(late, sizeof late, "live-late.pfcap");
    path_of(basic, sizeof basic, "live-basic.pfcap");
    CHECK(write_grid(busy, u0, 1600, 500000000, 0) == 0);
    CHECK(write_grid(late, u0, 1600, 500000000, 1500) == 0);
    CHECK(sc_write("basic", basic) == 0);
    path_of(huge, sizeof huge, "live-huge.pfcap");
    /* 2^54 bytes each way after 6 h: possible at 1 KiB/ns, past the 2^53
     * process_rollup's double sums keep exact */
    CHECK(write_pair(huge, u0, (uint64_t)1 << 54, 6 * 3600000000000ull) == 0);
    struct {
        const char *cap;
        uint64_t bucket;
        int live;
    } cases[] = {{busy, 0, 1},
                 {busy, 7000000000ull, 1},
                 {busy, 250000000ull, 1},
                 {busy, 20000ull, 1},
                 {late, 0, 0},
                 {basic, 0, 1},
                 {huge, 0, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sqlite3 *db = fresh_db("live.db");
        if (!db)
            return;
        struct pfa_ingest_options o = {.bucket_ns = cases[i].bucket};
        struct pfa_ingest_result res;
        CHECK(pfa_ingest_file(db, cases[i].cap, &o, &res, err, sizeof err) == 0);
        EQ_INT(db, "SELECT count(*) FROM meta WHERE key = 'rollups_live'", cases[i].live);
        CHECK(pfa_ingest_finish(db, err, sizeof err) == 0);
        char *live = dump_derived(db);
        CHECK(pfa_db_exec(db, "DELETE FROM meta WHERE key = 'rollups_current'", err, sizeof err) == 0);
        CHECK(pfa_rollups_build(db, err, sizeof err) == 0);
        char *rebuilt = dump_derived(db);
        CHECK(live && rebuilt && strlen(rebuilt) > 400);
        if (live && rebuilt)
            expect_out(cases[i].cap, live, rebuilt);
        free(live);
        free(rebuilt);
        /* a second capture: the rebuild covers both */
        if (i == 0) {
            CHECK(ingest(db, basic, &res, 0) == 0);
            EQ_INT(db, "SELECT count(*) FROM meta WHERE key = 'rollups_live'", 0);
            EQ_INT(db, "SELECT count(*) FROM process_rollup WHERE bucket_ns < 1767225600000000000", 4);
            EQ_INT(db, "SELECT count(*) FROM process_rollup WHERE bucket_ns >= 1767225600000000000", 14 * 30);
        }
        pfa_db_close(db);
    }
}

/* Rows of a timeline CSV come by bucket, then by bytes both ways (most
 * first): the report's order, whichever table it read. */
static void expect_timeline_order(const char *what, const char *csv)
{
    const char *line = strchr(csv, '\n'); /* after the header */
    long long last_bucket = -1, last_total = 0;
    while (line && line[1]) {
        line++;
        long long f[12] = {0};
        const char *c = line;
        for (int i = 0; i < 12 && c; i++) {
            f[i] = atoll(c);
            c = strchr(c, ',');
            c = c ? c + 1 : NULL;
        }
        long long total = f[8] + f[9];
        if (f[0] < last_bucket || (f[0] == last_bucket && total > last_total)) {
            fprintf(stderr, "%s: row out of order: %.80s\n", what, line);
            failures++;
            return;
        }
        last_bucket = f[0];
        last_total = total;
        line = strchr(line, '\n');
    }
}

/* timeline reads the ranked table (timeline_top) for 1, 2, 5, 10 and 30 s
 * buckets: the same rows as summing and ranking every bytes row, which it
 * does when the table is not current. */
static void test_timeline_ranked(void)
{
    char cap[1024], err[512];
    const int64_t u0 = 1767225600LL * 1000000000LL;
    path_of(cap, sizeof cap, "busy.pfcap");
    CHECK(write_busy(cap, u0) == 0);
    sqlite3 *db = fresh_db("busy.db");
    if (!db)
        return;
    struct pfa_ingest_result res;
    CHECK(ingest(db, cap, &res, 0) == 0);
    EQ_INT(db, "SELECT count(*) FROM timeline_top WHERE width_ns = 1000000000", 26 * 20);
    /* 30 processes in every bucket: the first 20, or all 30 where 50 are kept */
    EQ_INT(db, "SELECT count(*) FROM timeline_top WHERE width_ns = 10000000000", 3 * 30);
    EQ_INT(db, "SELECT count(*) FROM timeline_top WHERE width_ns = 2000000000", 13 * 20);
    EQ_INT(db, "SELECT count(*) FROM timeline_top WHERE width_ns = 5000000000", 6 * 20);
    EQ_INT(db, "SELECT count(*) FROM timeline_top WHERE width_ns = 30000000000", 1 * 30);
    EQ_TEXT(db, "SELECT value FROM meta WHERE key = 'timeline_top_widths'",
            ",1000000000:20,2000000000:20,5000000000:20,10000000000:50,30000000000:50,");
    EQ_INT(db, "SELECT max(rank) FROM timeline_top WHERE width_ns < 10000000000", 20);
    EQ_INT(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'timeline_top'", 20);
    char from_aligned[32], to_aligned[32], from_odd[32], to_odd[32];
    snprintf(from_aligned, sizeof from_aligned, "%lld", (long long)(u0 + 10000000000LL));
    snprintf(to_aligned, sizeof to_aligned, "%lld", (long long)(u0 + 20000000000LL));
    snprintf(from_odd, sizeof from_odd, "%lld", (long long)(u0 + 3250000000LL));
    snprintf(to_odd, sizeof to_odd, "%lld", (long long)(u0 + 17500000000LL));
    struct pfa_kv cases[][4] = {
        {{"bucket", "1s"}},
        {{"bucket", "10s"}},
        {{"bucket", "1s"}, {"top", "3"}, {"from", from_odd}, {"to", to_odd}},
        {{"bucket", "10s"}, {"top", "7"}, {"from", from_aligned}, {"to", to_aligned}},
        {{"bucket", "10s"}, {"top", "5"}, {"from", from_odd}, {"to", to_odd}},
        {{"bucket", "1s"}, {"top", "21"}},
        {{"bucket", "2s"}},
        {{"bucket", "5s"}, {"top", "4"}, {"from", from_odd}, {"to", to_odd}},
        {{"bucket", "30s"}, {"top", "20"}},
        {{"bucket", "1s"}, {"host", "busyhost"}},
        {{"bucket", "2s"}, {"host", "busyhost\nother"}, {"from", from_odd}, {"to", to_odd}},
        {{"bucket", "10s"}, {"top", "25"}},
        {{"bucket", "30s"}, {"top", "50"}},
        {{"bucket", "10s"}, {"top", "27"}, {"from", from_odd}, {"to", to_odd}},
    };
    static const size_t nkv[] = {1, 1, 4, 4, 4, 2, 1, 4, 2, 2, 4, 2, 2, 4};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc1, rc2;
        char *ranked = run_report(db, "timeline", cases[i], nkv[i], PFA_FMT_CSV, &rc1);
        CHECK(pfa_db_exec(db, "DELETE FROM meta WHERE key = 'timeline_top'", err, sizeof err) == 0);
        char *summed = run_report(db, "timeline", cases[i], nkv[i], PFA_FMT_CSV, &rc2);
        CHECK(pfa_db_exec(db, "INSERT INTO meta(key, value) VALUES('timeline_top', '20')", err, sizeof err) == 0);
        CHECK(rc1 == 0 && rc2 == 0);
        CHECK(summed && strlen(summed) > 200);
        if (ranked && summed) {
            expect_out(cases[i][0].value, ranked, summed);
            expect_timeline_order(cases[i][0].value, ranked);
        }
        free(ranked);
        free(summed);
    }
    pfa_db_close(db);
}

/* timeline sums and ranks in C whatever its SQL would sort (a pid, comm or
 * host filter, flows, widths the ranked table lacks): the same bytes as the
 * SQL as written, in every format, from the derived tables and from the
 * base tables alone. */
static void test_timeline_fast(void)
{
    char busy[1024], basic[1024], err[512];
    const int64_t u0 = 1767225600LL * 1000000000LL;
    path_of(busy, sizeof busy, "fast-busy.pfcap");
    path_of(basic, sizeof basic, "fast-basic.pfcap");
    CHECK(write_busy(busy, u0) == 0);
    CHECK(sc_write("basic", basic) == 0);
    sqlite3 *db = fresh_db("fast.db");
    if (!db)
        return;
    struct pfa_ingest_result res;
    CHECK(ingest(db, busy, &res, 0) == 0);
    CHECK(ingest(db, basic, &res, 0) == 0);
    /* three process names among the busy ones, for the comm filter */
    CHECK(pfa_db_exec(db,
                      "UPDATE processes SET comm = 'odd' WHERE comm = 'busy' AND pid % 2 = 1; "
                      "UPDATE processes SET comm = 'third' WHERE comm = 'busy' AND pid % 3 = 0",
                      err, sizeof err) == 0);
    EQ_INT(db, "SELECT count(*) FROM processes WHERE comm IN ('busy', 'odd', 'third')", 30);
    char from_odd[32], to_odd[32];
    snprintf(from_odd, sizeof from_odd, "%lld", (long long)(u0 + 3250000000LL));
    snprintf(to_odd, sizeof to_odd, "%lld", (long long)(u0 + 17500000000LL));
    struct pfa_kv cases[][4] = {
        {{"bucket", "1s"}, {"comm", "odd"}},
        {{"bucket", "1s"}, {"comm", "busy"}, {"top", "3"}},
        {{"bucket", "2s"}, {"comm", "third"}, {"from", from_odd}, {"to", to_odd}},
        {{"comm", "odd"}},
        {{"bucket", "1min"}, {"comm", "busy"}, {"top", "0"}},
        {{"by", "flow"}},
        {{"by", "flow"}, {"bucket", "1s"}, {"top", "4"}},
        {{"by", "flow"}, {"bucket", "3s"}, {"from", from_odd}, {"to", to_odd}},
        {{"by", "flow"}, {"bucket", "1min"}, {"top", "0"}},
        {{"by", "flow"}, {"comm", "odd"}, {"bucket", "1s"}},
        {{"bucket", "3s"}},
        {{"bucket", "7s"}, {"top", "0"}, {"from", from_odd}, {"to", to_odd}},
        {{"bucket", "1s"}, {"pid", "1003"}},
        {{"bucket", "1s"}, {"host", "busyhost"}},
        {{"bucket", "2s"}, {"host", "testhost"}, {"top", "0"}},
        {{"top", "50"}},
        {{"bucket", "1h"}, {"by", "flow"}},
    };
    static const size_t nkv[] = {2, 3, 4, 1, 3, 1, 3, 4, 3, 3, 1, 4, 2, 2, 3, 1, 2};
    static const int formats[] = {PFA_FMT_CSV, PFA_FMT_JSON, PFA_FMT_TABLE};
    const struct pfa_report *rep = pfa_report_find("timeline");
    CHECK(rep != NULL);
    for (int pass = 0; rep && pass < 2; pass++) {
        /* pass 1: the base tables alone (no derived table current) */
        if (pass == 1)
            CHECK(pfa_db_exec(db, "DELETE FROM meta WHERE key = 'rollups_current'", err, sizeof err) == 0);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            /* every case here takes the C path */
            struct pfa_timeline_rows *rows = NULL;
            const char *print_sql = NULL;
            CHECK(pfa_timeline_fast(db, rep, cases[i], nkv[i], 1, &rows, &print_sql, err, sizeof err) == 0);
            if (!rows)
                fprintf(stderr, "timeline case %zu (pass %d): not summed in C\n", i, pass);
            CHECK(rows != NULL && print_sql != NULL);
            pfa_timeline_rows_free(rows);
            for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
                char *out[2];
                for (int sql_only = 0; sql_only < 2; sql_only++) {
                    size_t len = 0;
                    out[sql_only] = NULL;
                    FILE *fp = open_memstream(&out[sql_only], &len);
                    struct pfa_output_options o = {.format = formats[f], .utc = 1, .sql_only = sql_only};
                    CHECK(fp && pfa_run_sql(db, rep->sql, rep, cases[i], nkv[i], &o, fp, err, sizeof err) == 0);
                    if (fp)
                        fclose(fp);
                }
                CHECK(out[0] && out[1] && strlen(out[1]) > 100);
                if (out[0] && out[1]) {
                    char what[64];
                    snprintf(what, sizeof what, "timeline case %zu pass %d format %d", i, pass, formats[f]);
                    expect_out(what, out[0], out[1]);
                    if (formats[f] == PFA_FMT_CSV)
                        expect_timeline_order(what, out[0]);
                }
                free(out[0]);
                free(out[1]);
            }
        }
    }
    pfa_db_close(db);
}

/* The C path ranks the buckets far behind the newest row as it reads (few
 * open groups at a time) and hands a capture whose rows come back in time
 * past that to the SQL: the same output either way. */
static void test_timeline_fast_compact(void)
{
    char grid[1024], basic[1024];
    const int64_t u0 = 1767225600LL * 1000000000LL;
    path_of(grid, sizeof grid, "compact-grid.pfcap");
    path_of(basic, sizeof basic, "compact-basic.pfcap");
    CHECK(write_grid(grid, u0, 1600, 500000000, 1500) == 0); /* 800 s, one record 400 s late */
    CHECK(sc_write("basic", basic) == 0);                    /* before u0 */
    sqlite3 *db = fresh_db("compact.db");
    if (!db)
        return;
    struct pfa_ingest_result res;
    CHECK(ingest(db, grid, &res, 0) == 0);
    const struct pfa_report *rep = pfa_report_find("timeline");
    CHECK(rep != NULL);
    struct pfa_kv cases[][3] = {
        {{"bucket", "3s"}, {"top", "4"}},
        {{"bucket", "1s"}, {"host", "busyhost"}, {"top", "25"}},
        {{"by", "flow"}, {"bucket", "2s"}, {"top", "3"}},
        {{"bucket", "7s"}, {"pid", "1004"}},
        {{"bucket", "3s"}, {"top", "0"}},
    };
    static const size_t nkv[] = {2, 3, 3, 2, 2};
    pfa_timeline_fast_compact_at(64);
    for (int pass = 0; rep && pass < 2; pass++) {
        /* pass 1: a second capture's rows, earlier in time, after these */
        if (pass == 1)
            CHECK(ingest(db, basic, &res, 0) == 0);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            char err[512];
            struct pfa_timeline_rows *rows = NULL;
            const char *print_sql = NULL;
            CHECK(pfa_timeline_fast(db, rep, cases[i], nkv[i], 1, &rows, &print_sql, err, sizeof err) == 0);
            /* summed in C on one capture; on two, the SQL's once the
             * other's rows come (not when the filter drops them: host, pid;
             * top 0 closes no bucket) */
            int want_c = pass == 0 || i == 1 || i >= 3;
            if ((rows != NULL) != want_c)
                fprintf(stderr, "timeline compact case %zu pass %d: %s in C\n", i, pass,
                        rows ? "summed" : "not summed");
            CHECK((rows != NULL) == want_c);
            pfa_timeline_rows_free(rows);
            char *out[2];
            for (int sql_only = 0; sql_only < 2; sql_only++) {
                size_t len = 0;
                out[sql_only] = NULL;
                FILE *fp = open_memstream(&out[sql_only], &len);
                struct pfa_output_options o = {.format = PFA_FMT_CSV, .utc = 1, .sql_only = sql_only};
                CHECK(fp && pfa_run_sql(db, rep->sql, rep, cases[i], nkv[i], &o, fp, err, sizeof err) == 0);
                if (fp)
                    fclose(fp);
            }
            CHECK(out[0] && out[1] && strlen(out[1]) > 1000);
            if (out[0] && out[1]) {
                char what[64];
                snprintf(what, sizeof what, "timeline compact case %zu pass %d", i, pass);
                expect_out(what, out[0], out[1]);
                expect_timeline_order(what, out[0]);
            }
            free(out[0]);
            free(out[1]);
        }
    }
    pfa_timeline_fast_compact_at(0);
    pfa_db_close(db);
}

static void test_future_and_huge(void)
{
    char cap[1024], basic[1024];
    path_of(cap, sizeof cap, "future.pfcap");
    path_of(basic, sizeof basic, "basic-f.pfcap");
    const int64_t u2100 = 4102444800LL * 1000000000LL; /* 2100-01-01T00:00:00Z */
    CHECK(write_future(cap, u2100, (uint64_t)INT64_MAX) == 0);
    CHECK(sc_write("basic", basic) == 0);
    sqlite3 *db = fresh_db("future.db");
    if (!db)
        return;
    struct pfa_ingest_result res;
    CHECK(ingest(db, cap, &res, 0) == 0);
    CHECK(ingest(db, basic, &res, 0) == 0);
    /* dates after 2043 are kept (they were clamped to 2043-01-25) */
    EQ_INT(db, "SELECT started_ns FROM captures WHERE host='futurehost'", u2100);
    EQ_INT(db, "SELECT ended_ns - started_ns FROM captures WHERE host='futurehost'", 3000000000LL);
    EQ_INT(db, "SELECT first_ns FROM flows WHERE local_port=40000", u2100 + 1800000000LL);
    /* the impossible count is damage, not data */
    EQ_INT(db, "SELECT bytes_sent FROM flows WHERE local_port=40001", 0);
    EQ_INT(db, "SELECT bytes_recv FROM flows WHERE local_port=40000", 64000);
    EQ_INT(db, "SELECT chunks_damaged FROM captures WHERE host='futurehost'", 1);
    EQ_INT(db, "SELECT count(*) FROM damage WHERE what LIKE '1 traffic record(s) claim more bytes%'", 1);
    /* every report runs over both captures */
    const struct pfa_report *list;
    size_t n = pfa_reports(&list);
    for (size_t i = 0; i < n; i++) {
        struct pfa_kv need[2] = {{"addr", "198.51.100.7"}, {"port", "443"}};
        size_t nk = !strcmp(list[i].name, "who-owned") ? 2 : 0;
        int rc;
        char *out = run_report(db, list[i].name, need, nk, PFA_FMT_CSV, &rc);
        CHECK(rc == 0);
        if (!strcmp(list[i].name, "summary") && out)
            CHECK(strstr(out, "\nfuturehost,linux,1,1,4102444800000000000,4102444803000000000,3000000000,") != NULL);
        free(out);
    }
    pfa_db_close(db);

    /* counts that are possible but whose sum is not: saturates, never errors */
    db = fresh_db("future2.db");
    if (!db)
        return;
    char cap2[1024];
    path_of(cap2, sizeof cap2, "future2.pfcap");
    CHECK(write_future(cap2, u2100, 500000000000ull) == 0); /* 500 GB in 1 s: possible */
    CHECK(ingest(db, cap2, &res, 0) == 0);
    /* summed from the flows, and from the ranked table rebuilt after */
    sqlite3_exec(db,
                 "UPDATE flows SET bytes_sent = 9223372036854775000; DELETE FROM meta WHERE key = 'rollups_current'",
                 NULL, NULL, NULL);
    for (int stored = 0; stored < 2; stored++) {
        char err[512];
        if (stored)
            CHECK(pfa_rollups_build(db, err, sizeof err) == 0);
        int rc;
        char *out = run_report(db, "top-talkers", NULL, 0, PFA_FMT_CSV, &rc);
        CHECK(rc == 0);
        CHECK(out && strstr(out, "9223372036854775807") != NULL);
        free(out);
        out = run_report(db, "top-remotes", NULL, 0, PFA_FMT_CSV, &rc);
        CHECK(rc == 0);
        CHECK(out && strstr(out, "9223372036854775807") != NULL);
        free(out);
    }
    pfa_db_close(db);
}

/* ------------------------------------------------------------ DNS names */

#define DN_U0 1767225600000000000ll /* 2026-01-01 */

static int dn_put(pf_writer *w, int type, uint64_t t_s10, uint32_t pid, const char *name, const char *addr)
{
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = (uint8_t)type;
    r.ts_ns = SC_BASE + t_s10 * 100000000ull; /* tenths of a second */
    struct pf_flow_key *k = type == PF_REC_DNS ? &r.u.dns.key : &r.u.traffic.key;
    k->pid = pid;
    k->pid_start_ns = SC_BASE - 1000 * pid;
    k->sock_id = t_s10 * 100 + pid;
    k->proto = type == PF_REC_DNS ? PF_PROTO_UDP : PF_PROTO_TCP;
    k->family = PF_AF_INET;
    pf_addr_from_string("192.0.2.1", k->local.addr);
    k->local.port = (uint16_t)(40000 + t_s10);
    struct pf_dns_answer a;
    memset(&a, 0, sizeof a);
    if (type == PF_REC_DNS) {
        pf_addr_from_string("192.0.2.53", k->remote.addr);
        k->remote.port = 53;
        r.u.dns.qtype = 1;
        r.u.dns.qname = name;
        r.u.dns.qname_len = (uint32_t)strlen(name);
        a.family = PF_AF_INET;
        pf_addr_from_string(addr, a.addr);
        a.ttl = 60;
        r.u.dns.nanswers = 1;
        r.u.dns.answers = &a;
    } else {
        pf_addr_from_string(addr, k->remote.addr);
        k->remote.port = 443;
        r.u.traffic.duration_ns = 0;
        r.u.traffic.bytes_sent = 100;
        r.u.traffic.sends = 1;
    }
    return pf_writer_write(w, &r);
}

/* Two files of one rotated recording (lookups in the first, connections in
 * the second) and a file of another host. */
static int dn_write(const char *path, const char *host, uint32_t seq, int part)
{
    struct pf_file_info info;
    memset(&info, 0, sizeof info);
    info.hostname = host;
    info.platform = PF_PLATFORM_LINUX;
    info.clock_id = PF_CLOCK_BOOTTIME;
    info.start_utc_ns = DN_U0;
    info.anchor_clock_ns = SC_BASE;
    info.anchor_utc_ns = DN_U0;
    for (int i = 0; i < 16; i++) {
        info.uuid[i] = (uint8_t)(part * 16 + i + 1);
        info.series_uuid[i] = (uint8_t)(0xa0 + i + (host[0] == 'o' ? 0x10 : 0));
    }
    info.file_seq = seq;
    pf_writer *w = NULL;
    struct pf_writer_options wo = {.overwrite = 1};
    int rc = pf_writer_open(&w, path, &info, &wo);
    if (rc < 0)
        return rc;
    static const char *const comms[] = {"", "lookupd", "app", "other"};
    for (uint32_t pid = 1; pid <= 3 && rc >= 0; pid++) {
        struct pf_record r;
        memset(&r, 0, sizeof r);
        r.type = PF_REC_PROCESS;
        r.ts_ns = SC_BASE;
        r.u.process.event = PF_PROC_RUNDOWN;
        r.u.process.pid = pid;
        r.u.process.start_ns = SC_BASE - 1000 * pid;
        r.u.process.comm = comms[pid];
        r.u.process.comm_len = (uint32_t)strlen(comms[pid]);
        rc = pf_writer_write(w, &r);
    }
    if (part == 0) { /* lookups: pid 1 at 1 s, pid 2 at 2 s (same address), pid 2 at 5 s */
        if (rc >= 0)
            rc = dn_put(w, PF_REC_DNS, 10, 1, "a.example.test", "192.0.2.7");
        if (rc >= 0)
            rc = dn_put(w, PF_REC_DNS, 20, 2, "b.example.test", "192.0.2.7");
        if (rc >= 0)
            rc = dn_put(w, PF_REC_DNS, 50, 2, "c.example.test", "192.0.2.8");
    } else { /* connections */
        if (rc >= 0)
            rc = dn_put(w, PF_REC_TRAFFIC, 15, 1, NULL, "192.0.2.7"); /* its own lookup */
        if (rc >= 0)
            rc = dn_put(w, PF_REC_TRAFFIC, 30, 2, NULL, "192.0.2.7"); /* its own, the latest */
        if (rc >= 0)
            rc = dn_put(w, PF_REC_TRAFFIC, 40, 1, NULL, "192.0.2.8"); /* looked up only later */
        if (rc >= 0)
            rc = dn_put(w, PF_REC_TRAFFIC, 100, 3, NULL, "192.0.2.7"); /* another process's */
        if (rc >= 0)
            rc = dn_put(w, PF_REC_TRAFFIC, 101, 1, NULL, "192.0.2.7"); /* own (1 s) beats newer */
    }
    if (rc >= 0)
        rc = pf_writer_close(w);
    pf_writer_destroy(w);
    return rc < 0 ? rc : 0;
}

static void test_dns_names(void)
{
    char a[1024], b[1024], o[1024];
    path_of(a, sizeof a, "dns-a.pfcap");
    path_of(b, sizeof b, "dns-b.pfcap");
    path_of(o, sizeof o, "dns-other.pfcap");
    CHECK(dn_write(a, "dnshost", 0, 0) == 0);
    CHECK(dn_write(b, "dnshost", 1, 1) == 0);
    CHECK(dn_write(o, "otherhost", 0, 2) == 0);
    static const char *const want =
        "1/192.0.2.7/a.example.test|2/192.0.2.7/b.example.test|1/192.0.2.8/-|3/192.0.2.7/b.example.test|"
        "1/192.0.2.7/a.example.test";
    const char *sql = "SELECT group_concat(x, '|') FROM (SELECT p.pid || '/' || f.remote_addr || '/' || "
                      "coalesce(f.remote_name, '-') AS x FROM flows f JOIN processes p USING (process_id) "
                      "JOIN captures c ON c.capture_id = f.capture_id WHERE c.host = 'dnshost' ORDER BY f.first_ns)";
    for (int order = 0; order < 2; order++) { /* lookups first, then connections first */
        sqlite3 *db = fresh_db(order ? "dns2.db" : "dns1.db");
        if (!db)
            return;
        struct pfa_ingest_result res;
        CHECK(ingest(db, o, &res, 0) == 0);
        CHECK(ingest(db, order ? b : a, &res, 0) == 0);
        CHECK(ingest(db, order ? a : b, &res, 0) == 0);
        EQ_TEXT(db, sql, want);
        /* the lookups, and their process once the recording's files are one */
        EQ_TEXT(db,
                "SELECT group_concat(x, '|') FROM (SELECT p.pid || ' ' || p.comm || ' ' || d.qname || ' ' || "
                "d.qtype || ' ' || d.rcode || ' ' || d.addr || ' ' || d.ttl || ' ' || d.proto || ' ' || "
                "d.server_addr AS x FROM dns d JOIN processes p USING (process_id) ORDER BY d.ts_ns)",
                "1 lookupd a.example.test A NOERROR 192.0.2.7 60 udp 192.0.2.53|"
                "2 app b.example.test A NOERROR 192.0.2.7 60 udp 192.0.2.53|"
                "2 app c.example.test A NOERROR 192.0.2.8 60 udp 192.0.2.53");
        CHECK(q_int(db, "SELECT count(*) FROM processes p JOIN captures c USING (capture_id) "
                        "WHERE c.host = 'dnshost'") == 3);
        /* another host's connection to the same address: no name from here */
        CHECK(q_int(db, "SELECT count(*) FROM flows f JOIN captures c USING (capture_id) "
                        "WHERE c.host = 'otherhost' AND f.remote_name IS NOT NULL") == 0);
        pfa_db_close(db);
    }
}

/* One process with more outbound TCP groups (remote ports) than
 * top_remotes keeps per host and protocol, with equal byte counts among
 * them, and a few UDP ones. */
static int write_many(const char *path, int64_t u0, uint32_t groups)
{
    struct pf_file_info info;
    memset(&info, 0, sizeof info);
    info.hostname = "manyhost";
    info.os = "Linux";
    info.recorder = "analyzer-test";
    info.platform = PF_PLATFORM_LINUX;
    info.clock_id = PF_CLOCK_BOOTTIME;
    info.start_utc_ns = u0;
    info.anchor_clock_ns = SC_BASE;
    info.anchor_utc_ns = u0;
    pf_writer *w = NULL;
    struct pf_writer_options wo = {.overwrite = 1};
    int rc = pf_writer_open(&w, path, &info, &wo);
    if (rc < 0)
        return rc;
    struct pf_record r;
    for (uint32_t i = 0; i < groups + 5 && rc >= 0; i++) {
        memset(&r, 0, sizeof r);
        r.type = PF_REC_TRAFFIC;
        r.ts_ns = SC_BASE + 1000000ull * (i + 1);
        struct pf_flow_key *k = &r.u.traffic.key;
        k->pid = 4242;
        k->pid_start_ns = SC_BASE - 1000;
        k->sock_id = 100 + i;
        k->proto = i < groups ? PF_PROTO_TCP : PF_PROTO_UDP;
        k->family = PF_AF_INET;
        pf_addr_from_string("192.0.2.1", k->local.addr);
        pf_addr_from_string(i % 2 ? "198.51.100.9" : "203.0.113.9", k->remote.addr);
        k->local.port = (uint16_t)(20000 + i % 30000);
        k->remote.port = (uint16_t)(1 + i / 2);
        r.u.traffic.duration_ns = 1000;
        r.u.traffic.bytes_sent = 100 + (i * 7919u) % 1000; /* many equal totals */
        r.u.traffic.bytes_recv = i % 3;
        r.u.traffic.sends = 1;
        r.u.traffic.recvs = 1;
        rc = pf_writer_write(w, &r);
    }
    if (rc >= 0)
        rc = pf_writer_close(w);
    pf_writer_destroy(w);
    return rc < 0 ? rc : 0;
}

/* Past the groups top_remotes keeps: a limit up to the kept count reads
 * the table, a larger one sums the flows; both print what summing does. */
static void test_top_many(void)
{
    char cap[1024], err[512];
    path_of(cap, sizeof cap, "many.pfcap");
    CHECK(write_many(cap, 1767225600LL * 1000000000LL, 10100) == 0);
    sqlite3 *db = fresh_db("many.db");
    if (!db)
        return;
    struct pfa_ingest_result res;
    CHECK(ingest(db, cap, &res, 0) == 0);
    EQ_INT(db, "SELECT count(*) FROM flows", 10105);
    EQ_INT(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'top_remotes'", 10000);
    EQ_INT(db, "SELECT count(*) FROM top_remotes WHERE proto = 'tcp'", 10000);
    EQ_INT(db, "SELECT count(*) FROM top_remotes WHERE proto = 'udp'", 5);
    static const char *const limits[] = {"10000", "10001", "3"};
    for (size_t i = 0; i < 3; i++) {
        struct pfa_kv kv[2] = {{"limit", limits[i]}, {"proto", "tcp"}};
        for (size_t nkv = 1; nkv <= 2; nkv++) {
            int rc1, rc2;
            char *stored = run_report(db, "top-remotes", kv, nkv, PFA_FMT_CSV, &rc1);
            CHECK(pfa_db_exec(db, "DELETE FROM meta WHERE key = 'rollups_current'", err, sizeof err) == 0);
            char *summed = run_report(db, "top-remotes", kv, nkv, PFA_FMT_CSV, &rc2);
            CHECK(pfa_db_exec(db, "INSERT INTO meta(key, value) VALUES('rollups_current', '1')", err, sizeof err) == 0);
            CHECK(rc1 == 0 && rc2 == 0);
            CHECK(summed && strlen(summed) > 100);
            if (stored && summed)
                expect_out(limits[i], stored, summed);
            free(stored);
            free(summed);
        }
    }
    pfa_db_close(db);
}

/* top-talkers and top-remotes read their ranked tables (top_talkers,
 * top_remotes) when no time window narrows them: the same output as summing
 * the flows, which they do when the tables are not current. */
static void top_same(sqlite3 *db, const char *what, int *stored_rows)
{
    char err[512], tt[32];
    static const struct {
        const char *report;
        struct pfa_kv kv[3];
        size_t nkv;
    } cases[] = {
        {"top-talkers", {{"limit", "20"}}, 1},
        {"top-talkers", {{"limit", "2"}}, 1},
        {"top-talkers", {{"limit", "-1"}}, 1},
        {"top-talkers", {{"host", "dnshost"}}, 1},
        {"top-talkers", {{"host", "dnshost\notherhost"}, {"limit", "3"}}, 2},
        {"top-talkers", {{"host", "nosuchhost"}}, 1},
        {"top-remotes", {{"limit", "20"}}, 1},
        {"top-remotes", {{"limit", "1"}}, 1},
        {"top-remotes", {{"limit", "3"}}, 1},
        {"top-remotes", {{"limit", "-1"}}, 1},
        {"top-remotes", {{"proto", "udp"}}, 1},
        {"top-remotes", {{"proto", "tcp"}, {"limit", "2"}}, 2},
        {"top-remotes", {{"host", "dnshost"}}, 1},
        {"top-remotes", {{"host", "otherhost\ndnshost"}, {"proto", "tcp"}, {"limit", "1"}}, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc1, rc2;
        char *stored = run_report(db, cases[i].report, cases[i].kv, cases[i].nkv, PFA_FMT_CSV, &rc1);
        CHECK(pfa_db_exec(db, "DELETE FROM meta WHERE key = 'rollups_current'", err, sizeof err) == 0);
        char *summed = run_report(db, cases[i].report, cases[i].kv, cases[i].nkv, PFA_FMT_CSV, &rc2);
        CHECK(pfa_db_exec(db, "INSERT INTO meta(key, value) VALUES('rollups_current', '1')", err, sizeof err) == 0);
        CHECK(rc1 == 0 && rc2 == 0);
        char name[160];
        snprintf(name, sizeof name, "%s %s %s=%s", what, cases[i].report, cases[i].kv[0].key, cases[i].kv[0].value);
        if (stored && summed)
            expect_out(name, stored, summed);
        free(stored);
        free(summed);
    }
    q_text(db, "SELECT count(*) FROM top_talkers", tt, sizeof tt);
    *stored_rows = atoi(tt);
}

static void test_top_stored(void)
{
    char cap[5][1024], err[512];
    path_of(cap[0], sizeof cap[0], "top-basic.pfcap");
    path_of(cap[1], sizeof cap[1], "top-passive.pfcap");
    path_of(cap[2], sizeof cap[2], "top-dns.pfcap");
    path_of(cap[3], sizeof cap[3], "top-other.pfcap");
    path_of(cap[4], sizeof cap[4], "top-dns-b.pfcap");
    CHECK(sc_write("basic", cap[0]) == 0);
    CHECK(sc_write("passive", cap[1]) == 0);
    CHECK(dn_write(cap[2], "dnshost", 0, 0) == 0);
    CHECK(dn_write(cap[3], "otherhost", 0, 2) == 0);
    CHECK(dn_write(cap[4], "dnshost", 1, 1) == 0);
    sqlite3 *db = fresh_db("top.db");
    if (!db)
        return;
    struct pfa_ingest_result res;
    for (int i = 0; i < 5; i++)
        CHECK(ingest(db, cap[i], &res, 0) == 0);
    /* one row per (host, process) with flows, and every top-remotes group
     * (none of the hosts has 10000): the values the plain grouping gives */
    EQ_INT(db,
           "SELECT count(*) FROM (SELECT 1 FROM flows f JOIN captures c USING (capture_id) "
           "GROUP BY c.host_id, f.process_id)",
           q_int(db, "SELECT count(*) FROM top_talkers"));
    EQ_INT(db,
           "SELECT count(*) FROM top_talkers t WHERE t.bytes_total = (SELECT sum(f.bytes_sent + f.bytes_recv) "
           "FROM flows f JOIN captures c USING (capture_id) WHERE c.host_id = t.host_id "
           "AND f.process_id IS t.process_id) AND t.flows = (SELECT count(*) FROM flows f JOIN captures c "
           "USING (capture_id) WHERE c.host_id = t.host_id AND f.process_id IS t.process_id)",
           q_int(db, "SELECT count(*) FROM top_talkers"));
    EQ_INT(db,
           "SELECT count(*) FROM top_talkers WHERE seq <> (SELECT count(*) FROM top_talkers b "
           "WHERE b.bytes_total > top_talkers.bytes_total OR (b.bytes_total = top_talkers.bytes_total "
           "AND (b.host < top_talkers.host OR (b.host = top_talkers.host "
           "AND b.process_id < top_talkers.process_id)))) + 1",
           0);
    EQ_INT(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'top_remotes'", INT64_MAX);
    EQ_INT(db, "SELECT count(DISTINCT host_id) FROM top_remotes", 3);
    EQ_INT(db, "SELECT sum(flows) FROM top_remotes",
           q_int(db, "SELECT count(*) FROM flows WHERE remote_addr IS NOT NULL AND direction <> 'listen'"));
    EQ_INT(db, "SELECT sum(bytes_sent) * 1000003 + sum(bytes_recv) FROM top_remotes",
           q_int(db, "SELECT sum(bytes_sent) * 1000003 + sum(bytes_recv) FROM flows "
                     "WHERE remote_addr IS NOT NULL AND direction <> 'listen'"));
    EQ_INT(db, "SELECT count(*) FROM top_remotes WHERE direction = 'in' AND remote_port IS NULL",
           q_int(db, "SELECT count(*) FROM top_remotes WHERE direction = 'in'"));
    CHECK(q_int(db, "SELECT count(*) FROM top_remotes WHERE direction = 'in'") > 0);
    EQ_TEXT(db, "SELECT group_concat(names, '|') FROM top_remotes WHERE names IS NOT NULL",
            "a.example.test,b.example.test");
    int rows = 0;
    top_same(db, "all stored", &rows);
    CHECK(rows > 5);
    /* the pass in address order (past the hash tables' cap) builds the same rows */
    const char *all = "SELECT group_concat(x, '|') FROM (SELECT quote(seq) || quote(host_id) || quote(host) || "
                      "quote(remote_addr) || quote(remote_port) || quote(local_port) || quote(proto) || "
                      "quote(direction) || quote(bytes_sent) || quote(bytes_recv) || quote(flows) || "
                      "quote(processes) || quote(names) AS x FROM top_remotes ORDER BY seq)";
    char hashed[4096], streamed[4096];
    q_text(db, all, hashed, sizeof hashed);
    CHECK(pfa_db_exec(db, "BEGIN; DELETE FROM top_remotes", err, sizeof err) == 0);
    CHECK(pfa_top_remotes_build(db, 1, err, sizeof err) == 0);
    CHECK(pfa_db_exec(db, "COMMIT", err, sizeof err) == 0);
    q_text(db, all, streamed, sizeof streamed);
    expect_out("top_remotes in address order", streamed, hashed);
    CHECK(strlen(hashed) > 300);
    /* fewer kept than a host and protocol have (as past 10000 groups): a
     * limit up to the kept count reads the table, a larger one the flows */
    CHECK(pfa_db_exec(db,
                      "DELETE FROM top_remotes WHERE seq NOT IN (SELECT min(seq) FROM top_remotes "
                      "GROUP BY host_id, proto); UPDATE meta SET value = '1' WHERE key = 'top_remotes'",
                      err, sizeof err) == 0);
    top_same(db, "one kept", &rows);
    /* the kept row is what a limit of 1 prints; a limit of 2 sums the flows */
    CHECK(pfa_db_exec(db, "UPDATE top_remotes SET processes = 'marked'", err, sizeof err) == 0);
    struct pfa_kv one = {"limit", "1"}, two = {"limit", "2"};
    int rc;
    char *out = run_report(db, "top-remotes", &one, 1, PFA_FMT_CSV, &rc);
    CHECK(rc == 0 && out && strstr(out, "marked") != NULL);
    free(out);
    out = run_report(db, "top-remotes", &two, 1, PFA_FMT_CSV, &rc);
    CHECK(rc == 0 && out && strstr(out, "marked") == NULL);
    free(out);
    /* rebuilt from scratch: the same tables again */
    CHECK(pfa_db_exec(db, "DELETE FROM meta WHERE key = 'rollups_current'", err, sizeof err) == 0);
    CHECK(pfa_rollups_build(db, err, sizeof err) == 0);
    EQ_INT(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'top_remotes'", INT64_MAX);
    EQ_INT(db, "SELECT count(*) FROM top_remotes WHERE processes = 'marked'", 0);
    top_same(db, "rebuilt", &rows);
    /* a selection (html, export) hides the derived tables: the reports sum
     * the selected flows */
    struct pfa_filter sel = {.process = "nginx"};
    CHECK(pfa_filter_apply(db, &sel, err, sizeof err) == 0);
    out = run_report(db, "top-talkers", NULL, 0, PFA_FMT_CSV, &rc);
    CHECK(rc == 0);
    expect_out("top-talkers of a selection", out ? out : "",
               "host,pid,comm,bytes_sent,bytes_recv,bytes_total,flows,remotes,exe\n"
               "testhost,200,nginx,6010,310,6320,3,2,/usr/sbin/nginx\n"
               "testhost,200,nginx,700,70,770,2,1,/usr/sbin/nginx\n");
    free(out);
    out = run_report(db, "top-remotes", NULL, 0, PFA_FMT_CSV, &rc);
    CHECK(rc == 0);
    expect_out("top-remotes of a selection", out ? out : "",
               "host,remote_addr,remote_port,local_port,proto,direction,bytes_sent,bytes_recv,bytes_total,flows,"
               "processes,remote_name\n"
               "testhost,198.51.100.7,,8080,tcp,in,6700,370,7070,2,nginx,\n"
               "testhost,198.51.100.8,,8080,tcp,in,10,10,20,1,nginx,\n");
    free(out);
    pfa_db_close(db);
}

/* The live-flow cap: past it the longest idle flows are written out
 * early. Memory stays within the cap; every byte is still counted once. */
static void test_flow_cap(void)
{
    char cap[1024], err[512];
    path_of(cap, sizeof cap, "cap.pfcap");
    CHECK(sc_write("basic", cap) == 0);
    sqlite3 *full = fresh_db("cap-full.db"), *capped = fresh_db("cap-capped.db");
    if (!full || !capped)
        return;
    struct pfa_ingest_result rf, rc;
    struct pfa_ingest_options o = {.max_live_flows = 2};
    CHECK(pfa_ingest_file(full, cap, NULL, &rf, err, sizeof err) == 0);
    CHECK(pfa_ingest_file(capped, cap, &o, &rc, err, sizeof err) == 0);
    CHECK(rf.flow_cap_reached == 0 && rf.peak_live_flows > 2);
    CHECK(rc.flow_cap_reached > 0 && rc.peak_live_flows <= 2);
    CHECK(rc.flows >= rf.flows && rc.records == rf.records);
    static const char *const sums[] = {
        "SELECT sum(bytes_sent) * 1000003 + sum(bytes_recv) FROM flows",
        "SELECT sum(sends) * 1000003 + sum(recvs) FROM flows",
        "SELECT sum(bytes_sent) * 1000003 + sum(bytes_recv) FROM bytes",
        "SELECT count(*) FROM processes",
        "SELECT count(DISTINCT coalesce(sock_id, -1) || proto || local_port || coalesce(remote_addr, '')) FROM flows",
    };
    for (size_t i = 0; i < sizeof sums / sizeof sums[0]; i++)
        EQ_INT(capped, sums[i], q_int(full, sums[i]));
    pfa_db_close(full);
    pfa_db_close(capped);
}

int main(int argc, char **argv)
{
    workdir = argc > 1 ? argv[1] : ".";
    mkdir(workdir, 0700);
    test_text();
    test_basic();
    test_hostile();
    test_damage();
    test_extreme();
    test_future_and_huge();
    test_timeline_ranked();
    test_timeline_fast();
    test_timeline_fast_compact();
    test_rollups_live();
    test_passive();
    test_scoped();
    test_db_versions();
    test_dns_names();
    test_top_stored();
    test_top_many();
    test_flow_cap();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all analyzer checks passed\n");
    return 0;
}
