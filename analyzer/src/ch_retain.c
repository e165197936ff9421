/* SPDX-License-Identifier: MIT */
/* Retention of the fleet store, and the table options only newer servers
 * have (column codecs, table TTL), applied after checking version().
 *
 * Retention removes whole captures: a reader never sees part of one. The
 * old captures are listed in `retired_captures` (on every shard), their
 * `captures` rows go first (so the visible_* views stop showing them), then
 * their rows: a day partition holding rows of retired captures only is
 * dropped (cheap: files unlinked), any other rows of them are deleted by a
 * mutation. Each step can run again: an interrupted run is finished by the
 * next one, which finds the same list and what is left of it. */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include "clickhouse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embedded.h"

extern const struct pf_embedded_file pfa_ch_sql_files[];
extern const size_t pfa_ch_sql_files_count;

#define DAY_NS 86400000000000LL
#define MUTATION_WAIT_S 300

/* Newer servers: codecs and TTL from this release on (an LTS that has both
 * MODIFY COLUMN ... CODEC and MODIFY TTL). 18.16 (Debian 12) has neither. */
#define NEWER_MAJOR 20
#define NEWER_MINOR 3

/* Each table with capture rows, and the column its day partition is made of
 * (NULL: not partitioned). The captures table is handled first, apart. */
static const struct {
    const char *table;
    const char *time_column;
} data_tables[] = {
    {"processes", "start_ns"}, {"flows", "first_ns"}, {"bytes", "bucket_ns"}, {"bytes_rollup", "bucket_ns"},
    {"snapshots", "ts_ns"},    {"losses", "ts_ns"},   {"dns", "ts_ns"},       {"markers", "ts_ns"},
    {"damage", NULL},          {"hostinfo", NULL},
};

/* The same for the tables of schema 004 and later: summed at insert, and
 * written at the end of a load. */
static const struct {
    const char *table;
    const char *time_column;
} summary_tables[] = {
    {"process_totals", NULL},         {"remote_totals", NULL},      {"process_buckets", "bucket_ns"},
    {"timeline_ranked", "bucket_ns"}, {"process_ranked", NULL},     {"remote_comms", NULL},
    {"udp_peers", "first_ns"},        {"remote_first", "first_ns"}, {"endpoint_owners", "first_ns"},
};

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static unsigned shard_count(pfa_ch *c)
{
    const struct pfa_ch_target *t = pfa_ch_target_of(c);
    return t->cluster[0] ? t->nhosts : 1;
}

static const char *local_suffix(pfa_ch *c) { return pfa_ch_target_of(c)->cluster[0] ? "_local" : ""; }

static int query_int_at(pfa_ch *c, unsigned at, const char *sql, int64_t *v, char *err, size_t errlen)
{
    struct pfa_buf b = {0};
    int rc = pfa_ch_exec_at(c, at, sql, &b, err, errlen);
    if (!rc) {
        char *end;
        long long x = b.p ? strtoll(b.p, &end, 10) : 0;
        if (!b.p || end == b.p) {
            set_err(err, errlen, "clickhouse %s: expected a number from: %.80s", pfa_ch_name(c), sql);
            rc = PFA_E_CH;
        } else {
            *v = x;
        }
    }
    pfa_buf_free(&b);
    return rc;
}

int pfa_ch_server_version(pfa_ch *c, int *major, int *minor, char *text, size_t textlen, char *err, size_t errlen)
{
    struct pfa_buf b = {0};
    int rc = pfa_ch_exec(c, "SELECT version()", &b, err, errlen);
    if (!rc) {
        int ma = 0, mi = 0;
        if (!b.p || sscanf(b.p, "%d.%d", &ma, &mi) != 2) {
            set_err(err, errlen, "clickhouse %s: version() gave no version", pfa_ch_name(c));
            rc = PFA_E_CH;
        } else {
            *major = ma;
            *minor = mi;
            if (text && textlen)
                snprintf(text, textlen, "%.*s", (int)strcspn(b.p, "\r\n"), b.p);
        }
    }
    pfa_buf_free(&b);
    return rc;
}

static int is_newer(int major, int minor)
{
    return major > NEWER_MAJOR || (major == NEWER_MAJOR && minor >= NEWER_MINOR);
}

/* Waits until `sql` (a count on host `at`) gives 0: mutations run in the background. */
static int wait_zero(pfa_ch *c, unsigned at, const char *sql, const char *what, char *err, size_t errlen)
{
    for (int i = 0; i < MUTATION_WAIT_S * 10; i++) {
        int64_t left = 0;
        int rc = query_int_at(c, at, sql, &left, err, errlen);
        if (rc || left == 0)
            return rc;
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    set_err(err, errlen, "clickhouse %s: %s did not finish within %d s", pfa_ch_name(c), what, MUTATION_WAIT_S);
    return PFA_E_CH;
}

/* The partitions (day numbers) of `table` on host `at`, active parts only. */
static int day_partitions(pfa_ch *c, unsigned at, const char *table, struct pfa_buf *out, char *err, size_t errlen)
{
    char sql[600];
    snprintf(sql, sizeof sql,
             "SELECT DISTINCT toInt64OrZero(partition) FROM system.parts WHERE database = '%s' AND table = '%s%s' "
             "AND active AND match(partition, '^-?[0-9]+$') ORDER BY 1",
             pfa_ch_target_of(c)->database, table, local_suffix(c));
    return pfa_ch_exec_at(c, at, sql, out, err, errlen);
}

/* The retired rows of one table on one shard: whole day partitions dropped
 * where only retired captures have rows, the rest deleted. */
static int retire_rows(pfa_ch *c, unsigned at, const char *table, const char *time_column, int64_t cutoff_day,
                       struct pfa_ch_retain_result *res, char *err, size_t errlen)
{
    const char *db = pfa_ch_target_of(c)->database, *sfx = local_suffix(c);
    /* retired: listed, and not visible again (a file loaded again meanwhile is kept) */
    char retired[600], sql[1600];
    int64_t exists = 0;
    snprintf(sql, sizeof sql, "SELECT count() FROM system.tables WHERE database = '%s' AND name = '%s%s'", db, table,
             sfx);
    int rc0 = query_int_at(c, at, sql, &exists, err, errlen);
    if (rc0 || !exists) /* a store of an older schema may lack a table (dns) */
        return rc0;
    snprintf(retired, sizeof retired,
             "capture_id IN (SELECT capture_id FROM %s.retired_captures) AND capture_id NOT IN (SELECT capture_id "
             "FROM %s.captures%s)",
             db, db, sfx);
    int rc = 0;
    if (time_column) {
        struct pfa_buf parts = {0};
        rc = day_partitions(c, at, table, &parts, err, errlen);
        for (char *p = parts.p, *nl; !rc && p && p < parts.p + parts.len; p = nl + 1) {
            nl = memchr(p, '\n', (size_t)(parts.p + parts.len - p));
            if (!nl)
                break;
            long long day = strtoll(p, NULL, 10);
            if (day >= cutoff_day)
                break; /* sorted: the rest are newer */
            int64_t others = 0;
            snprintf(sql, sizeof sql,
                     "SELECT count() FROM %s.%s%s WHERE intDiv(ifNull(%s, 0), %lld) = %lld AND NOT (%s)", db, table,
                     sfx, time_column, (long long)DAY_NS, day, retired);
            rc = query_int_at(c, at, sql, &others, err, errlen);
            if (!rc && others == 0) {
                snprintf(sql, sizeof sql, "ALTER TABLE %s.%s%s DROP PARTITION %lld", db, table, sfx, day);
                rc = pfa_ch_exec_at(c, at, sql, NULL, err, errlen);
                if (!rc)
                    res->partitions_dropped++;
            }
        }
        pfa_buf_free(&parts);
    }
    /* what is left of them anywhere in the table (partitions shared with
     * kept captures, rows newer than the cutoff day, tables without days) */
    int64_t left = 0;
    snprintf(sql, sizeof sql, "SELECT count() FROM %s.%s%s WHERE %s", db, table, sfx, retired);
    if (!rc)
        rc = query_int_at(c, at, sql, &left, err, errlen);
    if (!rc && left > 0) {
        snprintf(sql, sizeof sql, "ALTER TABLE %s.%s%s DELETE WHERE %s", db, table, sfx, retired);
        rc = pfa_ch_exec_at(c, at, sql, NULL, err, errlen);
        if (!rc) {
            res->rows_deleted += (uint64_t)left;
            snprintf(sql, sizeof sql, "SELECT count() FROM %s.%s%s WHERE %s", db, table, sfx, retired);
            char what[200];
            snprintf(what, sizeof what, "deleting retired rows of %s.%s%s", db, table, sfx);
            rc = wait_zero(c, at, sql, what, err, errlen);
        }
    }
    return rc;
}

int pfa_ch_retain(pfa_ch *c, int64_t cutoff_ns, struct pfa_ch_retain_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    const char *db = pfa_ch_target_of(c)->database, *sfx = local_suffix(c);
    char sql[1200];
    int64_t have = 0;
    snprintf(sql, sizeof sql, "SELECT count() FROM system.tables WHERE database = '%s' AND name = 'captures'", db);
    int rc = pfa_ch_query_int(c, sql, &have, err, errlen);
    if (!rc && !have) {
        set_err(err, errlen, "clickhouse %s: %s is not a procflow store (no captures table)", pfa_ch_name(c), db);
        return PFA_E_CH;
    }
    unsigned shards = shard_count(c);
    /* the list, on every shard (each shard's queries read their own copy);
     * a capture of no time at all is as old as its rows' partition 0 */
    for (unsigned h = 0; !rc && h < shards; h++) {
        snprintf(sql, sizeof sql,
                 "CREATE TABLE IF NOT EXISTS %s.retired_captures (capture_id UInt64) ENGINE = MergeTree ORDER BY "
                 "capture_id",
                 db);
        rc = pfa_ch_exec_at(c, h, sql, NULL, err, errlen);
        if (!rc) {
            snprintf(sql, sizeof sql,
                     "INSERT INTO %s.retired_captures SELECT capture_id FROM %s.captures WHERE "
                     "ifNull(ended_ns, ifNull(started_ns, 0)) < %lld",
                     db, db, (long long)cutoff_ns);
            rc = pfa_ch_exec_at(c, h, sql, NULL, err, errlen);
        }
    }
    int64_t n = 0;
    if (!rc) {
        snprintf(sql, sizeof sql, "SELECT uniqExact(capture_id) FROM %s.retired_captures", db);
        rc = pfa_ch_query_int(c, sql, &n, err, errlen);
        res->captures = (uint64_t)n;
    }
    /* first unseen: their captures rows go */
    for (unsigned h = 0; !rc && n > 0 && h < shards; h++) {
        int64_t visible = 0;
        char count[600];
        snprintf(count, sizeof count,
                 "SELECT count() FROM %s.captures%s WHERE capture_id IN (SELECT capture_id FROM %s.retired_captures)",
                 db, sfx, db);
        rc = query_int_at(c, h, count, &visible, err, errlen);
        if (!rc && visible > 0) {
            snprintf(
                sql, sizeof sql,
                "ALTER TABLE %s.captures%s DELETE WHERE capture_id IN (SELECT capture_id FROM %s.retired_captures)", db,
                sfx, db);
            rc = pfa_ch_exec_at(c, h, sql, NULL, err, errlen);
            if (!rc)
                rc = wait_zero(c, h, count, "removing the captures rows of retired captures", err, errlen);
        }
    }
    /* then their rows, table by table */
    int64_t cutoff_day = cutoff_ns >= 0 ? cutoff_ns / DAY_NS : -((-cutoff_ns + DAY_NS - 1) / DAY_NS);
    for (unsigned h = 0; !rc && n > 0 && h < shards; h++)
        for (size_t i = 0; !rc && i < sizeof data_tables / sizeof *data_tables; i++)
            rc = retire_rows(c, h, data_tables[i].table, data_tables[i].time_column, cutoff_day, res, err, errlen);
    for (unsigned h = 0; !rc && n > 0 && h < shards; h++)
        for (size_t i = 0; !rc && i < sizeof summary_tables / sizeof *summary_tables; i++)
            rc =
                retire_rows(c, h, summary_tables[i].table, summary_tables[i].time_column, cutoff_day, res, err, errlen);
    /* done: the list goes (a later run starts a new one) */
    for (unsigned h = 0; !rc && h < shards; h++) {
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s.retired_captures", db);
        rc = pfa_ch_exec_at(c, h, sql, NULL, err, errlen);
    }
    return rc;
}

/* One statement of the options file (pfa_ch_sql_files[2]) per shard, with
 * {db}, {engine_suffix} and {days} replaced. */
static int run_option_statements(pfa_ch *c, const char *section, long days, char *err, size_t errlen)
{
    const char *text = pfa_ch_sql_files_count > 2 ? pfa_ch_sql_files[2].data : NULL;
    char mark[80];
    snprintf(mark, sizeof mark, "-- section: %s\n", section);
    const char *p = text ? strstr(text, mark) : NULL;
    if (!p) {
        set_err(err, errlen, "clickhouse: no statements for %s", section);
        return PFA_E_CH;
    }
    p += strlen(mark);
    const char *end = strstr(p, "-- section: ");
    if (!end)
        end = p + strlen(p);
    struct pfa_buf stmt = {0};
    int rc = 0;
    while (!rc && p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        if (!semi)
            break;
        for (unsigned h = 0; !rc && h < shard_count(c); h++) {
            stmt.len = 0;
            for (const char *q = p; !rc && q < semi; q++) {
                if (*q == '-' && q[1] == '-') {
                    while (q < semi && *q != '\n')
                        q++;
                } else if (!strncmp(q, "{db}", 4)) {
                    rc = pfa_buf_printf(&stmt, "%s", pfa_ch_target_of(c)->database);
                    q += 3;
                } else if (!strncmp(q, "{engine_suffix}", 15)) {
                    rc = pfa_buf_printf(&stmt, "%s", local_suffix(c));
                    q += 14;
                } else if (!strncmp(q, "{days}", 6)) {
                    rc = pfa_buf_printf(&stmt, "%ld", days);
                    q += 5;
                } else {
                    rc = pfa_buf_put(&stmt, q, 1);
                }
            }
            if (!rc)
                rc = pfa_buf_put(&stmt, "", 1);
            if (!rc && stmt.p[strspn(stmt.p, " \n\t")])
                rc = pfa_ch_exec_at(c, h, stmt.p, NULL, err, errlen);
        }
        p = semi + 1;
    }
    pfa_buf_free(&stmt);
    return rc;
}

int pfa_ch_apply_codecs(pfa_ch *c, int *applied, char *err, size_t errlen)
{
    *applied = 0;
    int major = 0, minor = 0;
    int rc = pfa_ch_server_version(c, &major, &minor, NULL, 0, err, errlen);
    if (rc || !is_newer(major, minor))
        return rc; /* 18.16: no column codecs; the server's <compression> decides */
    char sql[400];
    int64_t done = 0;
    snprintf(sql, sizeof sql, "SELECT count() FROM %s.meta WHERE key = 'codecs'", pfa_ch_target_of(c)->database);
    rc = pfa_ch_query_int(c, sql, &done, err, errlen);
    if (rc || done)
        return rc;
    rc = run_option_statements(c, "codecs", 0, err, errlen);
    if (!rc) {
        snprintf(sql, sizeof sql, "INSERT INTO %s.meta VALUES ('codecs', '1')", pfa_ch_target_of(c)->database);
        rc = pfa_ch_exec(c, sql, NULL, err, errlen);
        *applied = !rc;
    }
    return rc;
}

int pfa_ch_set_ttl(pfa_ch *c, long days, char *err, size_t errlen)
{
    int major = 0, minor = 0;
    char version[64] = "";
    int rc = pfa_ch_server_version(c, &major, &minor, version, sizeof version, err, errlen);
    if (rc)
        return rc;
    if (!is_newer(major, minor)) {
        set_err(err, errlen,
                "clickhouse %s: server %s has no table TTL (%d.%d or newer); run retain regularly instead "
                "(a timer)",
                pfa_ch_name(c), version, NEWER_MAJOR, NEWER_MINOR);
        return PFA_E_PARAM;
    }
    return run_option_statements(c, "ttl", days, err, errlen);
}
