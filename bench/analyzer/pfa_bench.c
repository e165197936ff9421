/* SPDX-License-Identifier: MIT */
/* Analyzer benchmark: ingest one capture into a fresh DB, then measure the
 * floor (plain single-row prepared inserts of the same final rows into an
 * empty DB) and time every canned report and the HTML report. Prints "name<TAB>value<TAB>unit"
 * lines; never asserts.
 * usage: pfa_bench CAPTURE WORKDIR [PREFIX [ingest|floor]]   (ingest: its figures
 *        alone; floor: those and the floor, no reports)
 *        pfa_bench --grid DB [PREFIX [CELL]]   (the report grid alone) */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pfa.h"
#include "pfa_export.h"

/* kB value of a /proc/self/status field (Linux), -1 when missing. */
static double status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    double v = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, n) && line[n] == ':')
            v = atof(line + n + 1);
    fclose(f);
    return v;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char *prefix = "analyzer";

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static void out(const char *name, double v, const char *unit)
{
    printf("%s.%s\t%.6g\t%s\n", prefix, name, v, unit);
    fflush(stdout);
}

/* Copies every row of `table` from src into the same table of dst with a
 * single-row prepared INSERT. */
static int copy_table(sqlite3 *src, sqlite3 *dst, const char *table, uint64_t *rows)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT * FROM %s", table);
    sqlite3_stmt *sel, *ins;
    if (sqlite3_prepare_v2(src, sql, -1, &sel, NULL) != SQLITE_OK)
        return -1;
    int nc = sqlite3_column_count(sel);
    char isql[1024];
    int n = snprintf(isql, sizeof isql, "INSERT INTO %s VALUES(", table);
    for (int i = 0; i < nc; i++)
        n += snprintf(isql + n, sizeof isql - (size_t)n, i ? ",?" : "?");
    snprintf(isql + n, sizeof isql - (size_t)n, ")");
    if (sqlite3_prepare_v2(dst, isql, -1, &ins, NULL) != SQLITE_OK) {
        sqlite3_finalize(sel);
        return -1;
    }
    while (sqlite3_step(sel) == SQLITE_ROW) {
        for (int i = 0; i < nc; i++)
            sqlite3_bind_value(ins, i + 1, sqlite3_column_value(sel, i));
        sqlite3_step(ins);
        sqlite3_reset(ins);
        (*rows)++;
    }
    sqlite3_finalize(sel);
    sqlite3_finalize(ins);
    return 0;
}

/* One timed report run; returns wall seconds and sets *cpu to the CPU
 * seconds (the figure to compare on a shared machine). */
static double run_report(sqlite3 *db, const char *name, const struct pfa_kv *kv, size_t nkv, FILE *sink, double *cpu)
{
    const struct pfa_report *rep = pfa_report_find(name);
    if (!rep)
        return -1;
    char err[512];
    struct pfa_output_options o = {.format = PFA_FMT_TABLE, .utc = 1};
    double r0 = now_s(), c0 = cpu_s();
    int rc = pfa_run_sql(db, rep->sql, rep, kv, nkv, &o, sink, err, sizeof err);
    double r1 = now_s();
    *cpu = cpu_s() - c0;
    if (rc)
        fprintf(stderr, "report %s: %s\n", name, err);
    return r1 - r0;
}

static int64_t scalar_i64(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

/* The report latency grid: every canned report over parameter values that
 * reach the slow paths (narrow and wide timeline buckets, a one-hour window,
 * who-owned at the capture's first/middle/last second, filters by host, comm
 * and time). Prints each cell and the worst. */
/* The busiest remote endpoint (most bytes received), for the reports that
 * ask about one; addr and port keep their defaults on an empty database. */
static void busiest_remote(sqlite3 *db, char *addr, size_t addrlen, char *port, size_t portlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT remote_addr, remote_port FROM flows WHERE remote_addr IS NOT NULL "
                           "ORDER BY bytes_recv DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(addr, addrlen, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(port, portlen, "%d", sqlite3_column_int(st, 1));
    }
    sqlite3_finalize(st);
}

static double report_grid(sqlite3 *db, const char *only)
{
    FILE *sink = fopen("/dev/null", "w");
    if (!sink)
        return -1;
    int64_t t0 = scalar_i64(db, "SELECT min(started_ns) FROM captures");
    int64_t t1 = scalar_i64(db, "SELECT max(ended_ns) FROM captures");
    int64_t mid = t0 + (t1 - t0) / 2;
    /* a one-hour window in the middle (the whole capture when shorter) */
    int64_t w0 = mid - 1800000000000LL < t0 ? t0 : mid - 1800000000000LL;
    int64_t w1 = mid + 1800000000000LL > t1 ? t1 : mid + 1800000000000LL;
    char first[32], middle[32], last[32], wfrom[32], wto[32], addr[64] = "192.0.2.1", port[16] = "443";
    char host[128] = "", comm[64] = "ntpd", pid[32] = "1";
    snprintf(first, sizeof first, "%lld", (long long)(t0 + 500000000LL));
    snprintf(middle, sizeof middle, "%lld", (long long)mid);
    snprintf(last, sizeof last, "%lld", (long long)(t1 - 500000000LL));
    snprintf(wfrom, sizeof wfrom, "%lld", (long long)w0);
    snprintf(wto, sizeof wto, "%lld", (long long)w1);
    busiest_remote(db, addr, sizeof addr, port, sizeof port);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(host, '') FROM captures ORDER BY capture_id LIMIT 1", -1, &st, NULL) ==
        SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            snprintf(host, sizeof host, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    /* the pid of the process that moved the most bytes */
    if (sqlite3_prepare_v2(db,
                           "SELECT p.pid FROM flows f JOIN processes p ON p.process_id = f.process_id "
                           "GROUP BY f.process_id ORDER BY total(f.bytes_sent + f.bytes_recv) DESC LIMIT 1",
                           -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            snprintf(pid, sizeof pid, "%lld", (long long)sqlite3_column_int64(st, 0));
        sqlite3_finalize(st);
    }
    static const char *buckets[] = {"1s", "10s", "1min", "1h"};
    struct cell {
        const char *name;
        const char *report;
        struct pfa_kv kv[4];
        size_t nkv;
    } cells[64];
    size_t n = 0;
#define CELL(nm, rep, ...) \
    do { \
        struct pfa_kv kv_[] = {{"", ""}, __VA_ARGS__}; \
        cells[n].name = nm; \
        cells[n].report = rep; \
        cells[n].nkv = sizeof kv_ / sizeof kv_[0] - 1; \
        memcpy(cells[n].kv, kv_ + 1, cells[n].nkv * sizeof kv_[0]); \
        n++; \
    } while (0)
    char bname[8][64];
    for (size_t i = 0; i < 4; i++) {
        snprintf(bname[2 * i], sizeof bname[0], "timeline.%s", buckets[i]);
        snprintf(bname[2 * i + 1], sizeof bname[0], "timeline.%s.hour", buckets[i]);
        CELL(bname[2 * i], "timeline", {"bucket", buckets[i]});
        CELL(bname[2 * i + 1], "timeline", {"bucket", buckets[i]}, {"from", wfrom}, {"to", wto});
    }
    CELL("timeline.default", "timeline", {"top", "20"});
    CELL("timeline.comm", "timeline", {"comm", comm});
    CELL("timeline.flow.hour", "timeline", {"by", "flow"}, {"from", wfrom}, {"to", wto});
    /* the whole capture at 1 s narrowed by a filter, more than the ranked
     * top 20, widths other than the ingest bucket and ten times it, flows */
    CELL("timeline.1s.comm", "timeline", {"bucket", "1s"}, {"comm", comm});
    CELL("timeline.1s.host", "timeline", {"bucket", "1s"}, {"host", host});
    CELL("timeline.1s.pid", "timeline", {"bucket", "1s"}, {"pid", pid});
    CELL("timeline.top50", "timeline", {"top", "50"});
    CELL("timeline.10s.top50", "timeline", {"bucket", "10s"}, {"top", "50"});
    CELL("timeline.2s", "timeline", {"bucket", "2s"});
    CELL("timeline.5s", "timeline", {"bucket", "5s"});
    CELL("timeline.30s", "timeline", {"bucket", "30s"});
    CELL("timeline.5min", "timeline", {"bucket", "5min"});
    CELL("timeline.flow", "timeline", {"by", "flow"});
    CELL("who-owned.whole", "who-owned", {"addr", addr}, {"port", port});
    CELL("who-owned.first", "who-owned", {"addr", addr}, {"port", port}, {"at", first});
    CELL("who-owned.middle", "who-owned", {"addr", addr}, {"port", port}, {"at", middle});
    CELL("who-owned.last", "who-owned", {"addr", addr}, {"port", port}, {"at", last});
    CELL("new-remotes", "new-remotes", {"limit", "1000"});
    CELL("new-remotes.hour", "new-remotes", {"from", wfrom}, {"to", wto});
    CELL("new-remotes.since", "new-remotes", {"since", middle});
    CELL("udp-peers", "udp-peers", {"limit", "0"});
    CELL("udp-peers.comm", "udp-peers", {"comm", comm});
    CELL("udp-peers.hour", "udp-peers", {"from", wfrom}, {"to", wto});
    CELL("short-lived", "short-lived", {"max", "10s"});
    CELL("short-lived.hour", "short-lived", {"from", wfrom}, {"to", wto});
    CELL("listeners", "listeners", {"host", host});
    CELL("summary", "summary", {"host", host});
    CELL("summary.hour", "summary", {"from", wfrom}, {"to", wto});
    CELL("conversations", "conversations", {"host", host});
    CELL("conversations.hour", "conversations", {"from", wfrom}, {"to", wto});
    static const char *tops[] = {"top-talkers", "top-remotes"};
    char tname[8][64];
    for (size_t i = 0; i < 2; i++) {
        snprintf(tname[4 * i], sizeof tname[0], "%s", tops[i]);
        snprintf(tname[4 * i + 1], sizeof tname[0], "%s.host", tops[i]);
        snprintf(tname[4 * i + 2], sizeof tname[0], "%s.hour", tops[i]);
        snprintf(tname[4 * i + 3], sizeof tname[0], "%s.limit", tops[i]);
        CELL(tname[4 * i], tops[i], {"limit", "20"});
        CELL(tname[4 * i + 1], tops[i], {"host", host});
        CELL(tname[4 * i + 2], tops[i], {"from", wfrom}, {"to", wto});
        CELL(tname[4 * i + 3], tops[i], {"limit", "1000"});
    }
    CELL("top-remotes.proto", "top-remotes", {"proto", "udp"}, {"host", host});
#undef CELL
    double worst = 0;
    const char *worst_name = "";
    for (size_t i = 0; i < n; i++) {
        if (only && strcmp(only, cells[i].name))
            continue;
        /* udp-peers takes no limit: drop the placeholder parameter */
        size_t nkv = cells[i].nkv;
        if (!strcmp(cells[i].kv[0].key, "limit") && !strcmp(cells[i].report, "udp-peers"))
            nkv = 0;
        double cpu = 0;
        double t = run_report(db, cells[i].report, cells[i].kv, nkv, sink, &cpu);
        char name[96];
        snprintf(name, sizeof name, "grid.%s", cells[i].name);
        out(name, t, "s");
        snprintf(name, sizeof name, "grid.%s.cpu", cells[i].name);
        out(name, cpu, "cpu-s");
        if (t > worst) {
            worst = t;
            worst_name = cells[i].name;
        }
    }
    fclose(sink);
    out("grid.worst", worst, "s");
    if (!only)
        printf("%s.grid.worst_is_%s\t%.6g\ts\n", prefix, worst_name, worst);
    return worst;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: pfa_bench CAPTURE WORKDIR [PREFIX]\n");
        return 2;
    }
    if (!strcmp(argv[1], "--grid")) {
        /* pfa_bench --grid DB [PREFIX [CELL]]: the grid on an existing database */
        if (argc > 3)
            prefix = argv[3];
        sqlite3 *gdb;
        char gerr[512];
        if (pfa_db_open(&gdb, argv[2], 0, 1, gerr, sizeof gerr)) {
            fprintf(stderr, "%s\n", gerr);
            return 1;
        }
        report_grid(gdb, argc > 4 ? argv[4] : NULL);
        pfa_db_close(gdb);
        return 0;
    }
    const char *cap = argv[1];
    const char *work = argv[2];
    if (argc > 3)
        prefix = argv[3];
    char dbp[4096], floorp[4096], err[512];
    snprintf(dbp, sizeof dbp, "%s/bench.db", work);
    snprintf(floorp, sizeof floorp, "%s/floor.db", work);
    unlink(dbp);
    unlink(floorp);

    sqlite3 *db;
    if (pfa_db_open(&db, dbp, 1, 0, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct pfa_ingest_result res;
    double c0 = cpu_s();
    double t0 = now_s();
    if (pfa_ingest_file(db, cap, NULL, &res, err, sizeof err)) {
        fprintf(stderr, "ingest: %s\n", err);
        return 1;
    }
    double t1 = now_s();
    double c1 = cpu_s();
    double ingest = t1 - t0, ingest_cpu = c1 - c0;
    /* after the load, before indexing: anonymous memory is ours and SQLite's
     * page cache; file-backed is mostly the mapped capture */
    double anon_kb = status_kb("RssAnon"), file_kb = status_kb("RssFile"), hwm_kb = status_kb("VmHWM");
    /* SQLite's share of the heap: now, and the most it held during the load */
    double sqlite_now = (double)sqlite3_memory_used(), sqlite_peak = (double)sqlite3_memory_highwater(1);
    /* the derived tables (rollups, ranked timeline) are part of the ingest's
     * cost: timed here, the finishing step then finds them current */
    double rc0 = cpu_s(), r0w = now_s();
    if (pfa_rollups_build(db, err, sizeof err)) {
        fprintf(stderr, "rollups: %s\n", err);
        return 1;
    }
    double rollup_wall = now_s() - r0w, rollup_cpu = cpu_s() - rc0;
    double sqlite_rollup_peak = (double)sqlite3_memory_highwater(1); /* and from here on, the indexes' */
    t1 = now_s();
    c1 = cpu_s();
    if (pfa_ingest_finish(db, err, sizeof err)) {
        fprintf(stderr, "index: %s\n", err);
        return 1;
    }
    double t2 = now_s();
    double c2 = cpu_s();
    double sqlite_index_peak = (double)sqlite3_memory_highwater(0);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    struct stat sb;
    stat(dbp, &sb);
    out("records", (double)res.records, "records");
    out("ingest_time", ingest, "s");
    out("ingest_rate", (double)res.records / ingest, "records/s");
    out("ingest_cpu_time", ingest_cpu, "s");
    out("ingest_rate_per_cpu_s", (double)res.records / ingest_cpu, "records/cpu-s");
    out("rollup_time", rollup_wall, "s");
    out("rollup_cpu_time", rollup_cpu, "s");
    out("index_time", t2 - t1, "s");
    out("index_cpu_time", c2 - c1, "s");
    out("end_to_end_rate_per_cpu_s", (double)res.records / (c2 - c0), "records/cpu-s");
    out("ingest_rate_with_index", (double)res.records / (t2 - t0), "records/s");
    out("peak_rss", (double)ru.ru_maxrss / 1024.0, "MiB");
    out("rss_anon_after_load", anon_kb / 1024.0, "MiB");
    out("rss_file_after_load", file_kb / 1024.0, "MiB");
    out("peak_rss_load_only", hwm_kb / 1024.0, "MiB");
    out("sqlite_heap_after_load", sqlite_now / (1024.0 * 1024.0), "MiB");
    out("sqlite_heap_peak_load", sqlite_peak / (1024.0 * 1024.0), "MiB");
    out("sqlite_heap_peak_rollups", sqlite_rollup_peak / (1024.0 * 1024.0), "MiB");
    out("sqlite_heap_peak_index", sqlite_index_peak / (1024.0 * 1024.0), "MiB");
    out("peak_live_flows", (double)res.peak_live_flows, "flows");
    out("db_size", (double)sb.st_size / (1024.0 * 1024.0), "MiB");
    uint64_t out_rows = res.flows + res.bytes_rows + res.rollup_rows + res.snapshots + res.losses + res.processes;
    out("rows_written", (double)out_rows, "rows");
    out("rows_per_record", (double)out_rows / (double)(res.records ? res.records : 1), "rows/record");
    if (argc > 4 && !strcmp(argv[4], "ingest")) {
        pfa_db_close(db);
        return 0;
    }

    /* floor: the same final rows, plain prepared single-row inserts */
    sqlite3 *fdb;
    if (pfa_db_open(&fdb, floorp, 1, 0, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    static const char *tables[] = {"captures", "processes", "flows", "bytes", "bytes_rollup", "snapshots", "losses"};
    uint64_t rows = 0;
    double fc0 = cpu_s();
    double f0 = now_s();
    pfa_db_exec(fdb, "PRAGMA cache_size=-65536; BEGIN", err, sizeof err);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (copy_table(db, fdb, tables[i], &rows))
            fprintf(stderr, "floor copy %s: %s\n", tables[i], sqlite3_errmsg(fdb));
    pfa_db_exec(fdb, "COMMIT", err, sizeof err);
    double f1 = now_s();
    double fc1 = cpu_s();
    out("floor_time", f1 - f0, "s");
    out("floor_cpu_time", fc1 - fc0, "s");
    out("ratio_ingest_to_floor_cpu", ingest_cpu / (fc1 - fc0), "x");
    out("floor_rows", (double)rows, "rows");
    out("ratio_ingest_to_floor", ingest / (f1 - f0), "x");
    /* with the derived tables built at ingest counted as ingest */
    out("ratio_ingest_rollups_to_floor", (ingest + rollup_wall) / (f1 - f0), "x");
    out("ratio_ingest_rollups_to_floor_cpu", (ingest_cpu + rollup_cpu) / (fc1 - fc0), "x");
    /* everything a load costs before the first report: derived tables and indexes too */
    out("ratio_ingest_all_to_floor", (t2 - t0) / (f1 - f0), "x");
    out("ratio_ingest_all_to_floor_cpu", (c2 - c0) / (fc1 - fc0), "x");
    /* the derived tables' rows are final rows too: the floor of writing
     * them, and the ratios with them in the floor as well */
    static const char *derived[] = {"process_rollup", "bytes_hours", "timeline_top", "udp_peers"};
    uint64_t drows = 0;
    double dc0 = cpu_s(), d0 = now_s();
    pfa_db_exec(fdb, "BEGIN", err, sizeof err);
    for (size_t i = 0; i < sizeof derived / sizeof derived[0]; i++)
        if (copy_table(db, fdb, derived[i], &drows))
            fprintf(stderr, "floor copy %s: %s\n", derived[i], sqlite3_errmsg(fdb));
    pfa_db_exec(fdb, "COMMIT", err, sizeof err);
    double fd = now_s() - d0, fdc = cpu_s() - dc0;
    out("floor_derived_time", fd, "s");
    out("floor_derived_cpu_time", fdc, "s");
    out("floor_derived_rows", (double)drows, "rows");
    out("ratio_ingest_rollups_to_floor_with_derived", (ingest + rollup_wall) / (f1 - f0 + fd), "x");
    out("ratio_ingest_rollups_to_floor_with_derived_cpu", (ingest_cpu + rollup_cpu) / (fc1 - fc0 + fdc), "x");
    out("ratio_ingest_all_to_floor_with_derived", (t2 - t0) / (f1 - f0 + fd), "x");
    out("ratio_ingest_all_to_floor_with_derived_cpu", (c2 - c0) / (fc1 - fc0 + fdc), "x");
    pfa_db_close(fdb);
    unlink(floorp);
    if (argc > 4 && !strcmp(argv[4], "floor")) {
        pfa_db_close(db);
        return 0;
    }

    /* reports run on a read-only handle, as `report` opens the database */
    pfa_db_close(db);
    if (pfa_db_open(&db, dbp, 0, 1, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    /* every canned report, default parameters; who-owned asks about the
     * busiest remote endpoint */
    char addr[64] = "192.0.2.1", portbuf[16] = "443";
    busiest_remote(db, addr, sizeof addr, portbuf, sizeof portbuf);
    FILE *devnull = fopen("/dev/null", "w");
    const struct pfa_report *list;
    size_t n = pfa_reports(&list);
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        struct pfa_kv kv[2] = {{"addr", addr}, {"port", portbuf}};
        size_t nkv = !strcmp(list[i].name, "who-owned") ? 2 : 0;
        if (!strcmp(list[i].name, "udp-peers")) {
            kv[0].key = "comm";
            kv[0].value = "ntpd";
            nkv = 1;
        }
        struct pfa_output_options o = {.format = PFA_FMT_TABLE, .utc = 1};
        double r0 = now_s();
        int rc = pfa_run_sql(db, list[i].sql, &list[i], kv, nkv, &o, devnull, err, sizeof err);
        double r1 = now_s();
        if (rc)
            fprintf(stderr, "report %s: %s\n", list[i].name, err);
        char name[96];
        snprintf(name, sizeof name, "report.%s", list[i].name);
        out(name, r1 - r0, "s");
        if (r1 - r0 > worst)
            worst = r1 - r0;
    }
    struct pfa_kv tk[1] = {{"bucket", "10s"}};
    struct pfa_output_options o = {.format = PFA_FMT_TABLE, .utc = 1};
    double r0 = now_s();
    pfa_run_sql(db, pfa_report_find("timeline")->sql, pfa_report_find("timeline"), tk, 1, &o, devnull, err, sizeof err);
    out("report.timeline_10s", now_s() - r0, "s");
    out("report_worst", worst, "s");
    fclose(devnull);
    report_grid(db, NULL);

    /* the HTML report with default options: time and file size, printed
     * next to the targets (3 s, 2 MiB) */
    char htmlp[4096];
    snprintf(htmlp, sizeof htmlp, "%s/report.html", work);
    FILE *hf = fopen(htmlp, "w");
    if (hf) {
        struct pfa_html_options ho = {.utc = 1};
        double h0 = now_s(), hc0 = cpu_s();
        int rc = pfa_html_report(db, &ho, hf, err, sizeof err);
        fclose(hf);
        double h1 = now_s(), hc1 = cpu_s();
        if (rc)
            fprintf(stderr, "html: %s\n", err);
        struct stat hs;
        out("html_time", h1 - h0, "s");
        out("html_time_target", 3, "s");
        out("html_cpu_time", hc1 - hc0, "s"); /* the figure to trust on a busy machine */
        out("html_size", stat(htmlp, &hs) ? -1 : (double)hs.st_size / (1024.0 * 1024.0), "MiB");
        out("html_size_target", 2, "MiB");
        unlink(htmlp);
    }
    pfa_db_close(db);
    return 0;
}
