/* procflow-analyze: ingest captures into SQLite, run reports and queries,
 * and inspect (info) or check (verify) capture files. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "outfile.h"
#include "pfa.h"
#include "pfa_export.h"
#include "pfa_redact.h"

#define PF_VERSION_TEXT "0.1.0"

static void usage(FILE *f)
{
    fputs("usage: procflow-analyze COMMAND ...\n"
          "  ingest CAPTURE... -d DB [--bucket 1s] [--replace] [--quiet]\n"
          "                        load .pfcap (or .etl) files into a SQLite database\n"
          "  report                list the canned reports\n"
          "  report NAME -d DB [--param k=v]... [--from T] [--to T] [--host H]... [--format table|csv|json] [--utc] [--raw]\n"
          "  report NAME CAPTURE... [--param k=v]...   one shot: ingest into a temporary DB\n"
          "  query -d DB \"SQL\" [--param k=v]... [--format table|csv|json] [--utc] [--raw]\n"
          "  info CAPTURE...       header, chunks, records by type, time span, sizes, losses\n"
          "  verify CAPTURE...     exit 0 only when every chunk is intact\n"
          "  convert INPUT -o OUT.pfcap   rewrite (e.g. .etl, or salvage a damaged .pfcap)\n"
          "          [--redact[=LIST]] [--redact-key FILE]\n"
          "                        keyed pseudonyms for command lines, users, host names and\n"
          "                        addresses in ranges; LIST: cmdline,user,host,uid,addr=CIDR,\n"
          "                        addr=private (default: " PF_REDACT_DEFAULT ")\n"
          "  html -d DB -o report.html [--process NAME|PID] [--from T] [--to T] [--utc]\n"
          "                        self-contained HTML report (charts, sortable tables)\n"
          "  export --format chrome-trace|csv|jsonl|zeek -d DB -o FILE [--what flows|bytes]\n"
          "         [--process NAME|PID] [--from T] [--to T] [--utc] [--redact[=LIST]] [--redact-key FILE]\n"
          "  version\n",
          f);
}

static void print_escaped(FILE *f, const char *s, size_t n)
{
    struct pfa_buf b = {0};
    pfa_escape(&b, s ? s : "", s ? n : 0);
    fputs(b.p ? b.p : "", f);
    pfa_buf_free(&b);
}

static void print_escaped_z(FILE *f, const char *s)
{
    print_escaped(f, s, s ? strlen(s) : 0);
}

/* ------------------------------------------------------------ progress */

struct progress {
    const char *path;
    int on;
    struct timespec last;
};

static void progress_cb(void *ctx, uint64_t done, uint64_t total)
{
    struct progress *p = ctx;
    if (!p->on || !total)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t ms = (now.tv_sec - p->last.tv_sec) * 1000 + (now.tv_nsec - p->last.tv_nsec) / 1000000;
    if (ms < 100 && done < total)
        return;
    p->last = now;
    int pct = (int)(done * 100 / total);
    if (pct > 100)
        pct = 100;
    char bar[41];
    int fill = pct * 40 / 100;
    memset(bar, '#', (size_t)fill);
    memset(bar + fill, '.', (size_t)(40 - fill));
    bar[40] = 0;
    fprintf(stderr, "\r[%s] %3d%% ", bar, pct);
    fflush(stderr);
}

static void damage_cb(void *ctx, const char *path, const struct pf_damage *d)
{
    (void)ctx;
    fprintf(stderr, "\r");
    print_escaped_z(stderr, path);
    fprintf(stderr, ": offset %llu: chunk ", (unsigned long long)d->offset);
    if (d->chunk_seq >= 0)
        fprintf(stderr, "%lld", (long long)d->chunk_seq);
    else
        fprintf(stderr, "?");
    fprintf(stderr, ": ");
    print_escaped(stderr, d->what, strnlen(d->what, sizeof d->what));
    fprintf(stderr, " (skipped)\n");
}

/* ------------------------------------------------------------ ingest */

static int do_ingest(sqlite3 *db, char **files, int nfiles, uint64_t bucket, int quiet, int replace)
{
    int failures = 0;
    char err[512];
    for (int i = 0; i < nfiles; i++) {
        struct progress pr = {.path = files[i]};
        struct stat sb;
        pr.on = !quiet && isatty(2) && stat(files[i], &sb) == 0 && sb.st_size > (8 << 20);
        struct pfa_ingest_options o = {.bucket_ns = bucket, .progress = progress_cb, .ctx = &pr,
                                       .on_damage = damage_cb, .replace = replace};
        struct pfa_ingest_result res;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int rc = pfa_ingest_file(db, files[i], &o, &res, err, sizeof err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (pr.on)
            fprintf(stderr, "\r%60s\r", "");
        if (rc) {
            fprintf(stderr, "procflow-analyze: ");
            print_escaped_z(stderr, err);
            fputc('\n', stderr);
            failures++;
            continue;
        }
        if (quiet)
            continue;
        print_escaped_z(stderr, files[i]);
        if (res.already) {
            fprintf(stderr, ": already in the database (capture %lld), skipped (--replace ingests it again)\n",
                    (long long)res.capture_id);
            continue;
        }
        if (res.extended)
            fprintf(stderr, ": replaces the shorter version stored from a file that was not closed");
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        fprintf(stderr,
                ": capture %lld: %llu records, %llu processes, %llu flows, %llu byte buckets, %llu snapshot rows "
                "in %.2f s",
                (long long)res.capture_id, (unsigned long long)res.records, (unsigned long long)res.processes,
                (unsigned long long)res.flows, (unsigned long long)res.bytes_rows,
                (unsigned long long)res.snapshots, secs);
        if (res.chunks_damaged)
            fprintf(stderr, "; %llu damaged chunk(s) skipped", (unsigned long long)res.chunks_damaged);
        if (res.events_lost)
            fprintf(stderr, "; %llu events LOST while recording", (unsigned long long)res.events_lost);
        fputc('\n', stderr);
    }
    int rc = pfa_ingest_finish(db, err, sizeof err);
    if (rc) {
        fprintf(stderr, "procflow-analyze: indexing: %s\n", err);
        failures++;
    }
    return failures ? 1 : 0;
}

static int parse_bucket(const char *v, uint64_t *out)
{
    int64_t ns;
    if (pfa_parse_duration(v, &ns) || ns < 1000) {
        fprintf(stderr, "procflow-analyze: bad --bucket '%s' (like 1s, 100ms, 1m; at least 1us)\n", v);
        return -1;
    }
    *out = (uint64_t)ns;
    return 0;
}

/* ingest --follow: Ctrl-C / SIGTERM stop it after the file in progress */
static volatile sig_atomic_t follow_stop;

static void follow_signal(int sig)
{
    (void)sig;
    follow_stop = 1;
}

static void follow_file_cb(void *ctx, const char *path, const struct pfa_ingest_result *res)
{
    if (*(const int *)ctx)
        return;
    print_escaped_z(stderr, path);
    fprintf(stderr, ": capture %lld: %llu records%s\n", (long long)res->capture_id,
            (unsigned long long)res->records, res->extended ? " (replaces the shorter version)" : "");
}

static int follow_ingest(sqlite3 *db, const char *target, uint64_t bucket, int quiet)
{
    signal(SIGINT, follow_signal);
    signal(SIGTERM, follow_signal);
    struct pfa_follow_options fo = {.bucket_ns = bucket, .stop = &follow_stop, .on_file = follow_file_cb,
                                    .ctx = &quiet};
    char err[512];
    int rc = pfa_follow(db, target, &fo, err, sizeof err);
    if (rc) {
        fprintf(stderr, "procflow-analyze ingest --follow: ");
        print_escaped_z(stderr, err);
        fputc('\n', stderr);
        return 1;
    }
    return 0;
}

static int cmd_ingest(int argc, char **argv)
{
    const char *dbpath = NULL;
    uint64_t bucket = 0;
    int quiet = 0, replace = 0, follow = 0;
    char **files = calloc((size_t)argc + 1, sizeof *files);
    int nfiles = 0;
    if (!files)
        return 2;
    for (int i = 0; i < argc; i++) {
        if ((!strcmp(argv[i], "-d") || !strcmp(argv[i], "--db")) && i + 1 < argc)
            dbpath = argv[++i];
        else if (!strcmp(argv[i], "--bucket") && i + 1 < argc) {
            if (parse_bucket(argv[++i], &bucket)) {
                free(files);
                return 2;
            }
        } else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
            quiet = 1;
        else if (!strcmp(argv[i], "--replace"))
            replace = 1;
        else if (!strcmp(argv[i], "--follow"))
            follow = 1;
        else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "procflow-analyze ingest: unknown option %s\n", argv[i]);
            free(files);
            return 2;
        } else
            files[nfiles++] = argv[i];
    }
    if (!dbpath || !nfiles || (follow && (nfiles != 1 || replace))) {
        fprintf(stderr, "usage: procflow-analyze ingest CAPTURE... -d DB [--bucket 1s] [--replace] [--quiet]\n"
                        "       procflow-analyze ingest --follow FILE|DIR -d DB [--bucket 1s] [--quiet]\n");
        free(files);
        return 2;
    }
    sqlite3 *db;
    char err[512];
    if (pfa_db_open(&db, dbpath, 1, 0, err, sizeof err)) {
        fprintf(stderr, "procflow-analyze: ");
        print_escaped_z(stderr, err);
        fputc('\n', stderr);
        free(files);
        return 2;
    }
    int rc = follow ? follow_ingest(db, files[0], bucket, quiet) : do_ingest(db, files, nfiles, bucket, quiet, replace);
    pfa_db_close(db);
    free(files);
    return rc;
}

/* ------------------------------------------------------------ report / query */

struct runopts {
    const char *dbpath;
    struct pfa_kv kv[32];
    size_t nkv;
    struct pfa_output_options out;
    uint64_t bucket;
    char **pos;
    int npos;
};

static int parse_run_opts(int argc, char **argv, struct runopts *o, const char *cmd)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "-d") || !strcmp(a, "--db")) && i + 1 < argc) {
            o->dbpath = argv[++i];
        } else if ((!strcmp(a, "--param") || !strcmp(a, "-p")) && i + 1 < argc) {
            char *kv = argv[++i];
            char *eq = strchr(kv, '=');
            if (!eq || eq == kv || o->nkv == 32) {
                fprintf(stderr, "procflow-analyze %s: --param needs KEY=VALUE\n", cmd);
                return -1;
            }
            *eq = 0;
            o->kv[o->nkv].key = kv;
            o->kv[o->nkv].value = eq + 1;
            o->nkv++;
        } else if ((!strcmp(a, "--from") || !strcmp(a, "--to") || !strcmp(a, "--host")) && i + 1 < argc) {
            /* shorthands for --param from= / to= / host= (every report has them) */
            if (o->nkv == 32) {
                fprintf(stderr, "procflow-analyze %s: too many parameters\n", cmd);
                return -1;
            }
            o->kv[o->nkv].key = a + 2;
            o->kv[o->nkv].value = argv[++i];
            o->nkv++;
        } else if (!strcmp(a, "--format") && i + 1 < argc) {
            const char *f = argv[++i];
            if (!strcmp(f, "table"))
                o->out.format = PFA_FMT_TABLE;
            else if (!strcmp(f, "csv"))
                o->out.format = PFA_FMT_CSV;
            else if (!strcmp(f, "json"))
                o->out.format = PFA_FMT_JSON;
            else {
                fprintf(stderr, "procflow-analyze %s: --format is table, csv or json\n", cmd);
                return -1;
            }
        } else if (!strcmp(a, "--csv")) {
            o->out.format = PFA_FMT_CSV;
        } else if (!strcmp(a, "--json")) {
            o->out.format = PFA_FMT_JSON;
        } else if (!strcmp(a, "--utc")) {
            o->out.utc = 1;
        } else if (!strcmp(a, "--raw")) {
            o->out.raw = 1;
        } else if (!strcmp(a, "--bucket") && i + 1 < argc) {
            if (parse_bucket(argv[++i], &o->bucket))
                return -1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "procflow-analyze %s: unknown option %s\n", cmd, a);
            return -1;
        } else {
            o->pos[o->npos++] = argv[i];
        }
    }
    return 0;
}

static void list_reports(void)
{
    const struct pfa_report *list;
    size_t n = pfa_reports(&list);
    for (size_t i = 0; i < n; i++) {
        printf("%-14s %s\n", list[i].name, list[i].description);
        for (size_t k = 0; k < list[i].nparams; k++) {
            const struct pfa_param *p = &list[i].params[k];
            static const char *tn[] = {"text", "int", "time", "duration", "addr", "text (repeatable)"};
            char def[160] = "";
            if (p->defval[0])
                snprintf(def, sizeof def, " (default %s)", p->defval);
            printf("%17s--param %s=%s%s%s  %s\n", "", p->name, tn[p->type], p->required ? " (required)" : "", def,
                   p->help);
        }
    }
}

static int run_on_db(const char *dbpath, const char *sql, const struct pfa_report *rep, struct runopts *o)
{
    sqlite3 *db;
    char err[512];
    if (pfa_db_open(&db, dbpath, 0, 1, err, sizeof err)) {
        fprintf(stderr, "procflow-analyze: ");
        print_escaped_z(stderr, err);
        fputc('\n', stderr);
        return 2;
    }
    int rc = pfa_run_sql(db, sql, rep, o->kv, o->nkv, &o->out, stdout, err, sizeof err);
    pfa_db_close(db);
    if (rc) {
        fprintf(stderr, "procflow-analyze: ");
        print_escaped_z(stderr, err);
        fputc('\n', stderr);
        return rc == PFA_E_PARAM ? 2 : 1;
    }
    return 0;
}

static int cmd_report(int argc, char **argv)
{
    if (argc == 0) {
        list_reports();
        return 0;
    }
    struct runopts o;
    memset(&o, 0, sizeof o);
    o.pos = calloc((size_t)argc + 1, sizeof *o.pos);
    if (!o.pos)
        return 2;
    int ret = 2;
    if (parse_run_opts(argc, argv, &o, "report"))
        goto out;
    if (!o.npos) {
        list_reports();
        ret = 0;
        goto out;
    }
    const struct pfa_report *rep = pfa_report_find(o.pos[0]);
    if (!rep) {
        fprintf(stderr, "procflow-analyze: no report named '");
        print_escaped_z(stderr, o.pos[0]);
        fprintf(stderr, "'; 'procflow-analyze report' lists them\n");
        goto out;
    }
    if (o.npos > 1 && !o.dbpath) {
        /* one shot: ingest into a temporary database */
        const char *tmpdir = getenv("TMPDIR");
        char path[4096];
        snprintf(path, sizeof path, "%s/procflow-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
        int fd = mkstemp(path);
        if (fd < 0) {
            fprintf(stderr, "procflow-analyze: cannot create a temporary database: %s\n", strerror(errno));
            goto out;
        }
        close(fd);
        sqlite3 *db;
        char err[512];
        if (pfa_db_open(&db, path, 1, 0, err, sizeof err)) {
            fprintf(stderr, "procflow-analyze: %s\n", err);
            unlink(path);
            goto out;
        }
        int irc = do_ingest(db, o.pos + 1, o.npos - 1, o.bucket, 1, 0);
        pfa_db_close(db);
        ret = irc ? 1 : run_on_db(path, rep->sql, rep, &o);
        unlink(path);
        char j[4200];
        snprintf(j, sizeof j, "%s-journal", path);
        unlink(j);
        goto out;
    }
    if (!o.dbpath || o.npos != 1) {
        fprintf(stderr, "usage: procflow-analyze report NAME -d DB [--param k=v]... [--format table|csv|json]\n"
                        "       procflow-analyze report NAME CAPTURE...\n");
        goto out;
    }
    ret = run_on_db(o.dbpath, rep->sql, rep, &o);
out:
    free(o.pos);
    return ret;
}

static int cmd_query(int argc, char **argv)
{
    struct runopts o;
    memset(&o, 0, sizeof o);
    o.pos = calloc((size_t)argc + 1, sizeof *o.pos);
    if (!o.pos)
        return 2;
    int ret = 2;
    if (parse_run_opts(argc, argv, &o, "query"))
        goto out;
    if (!o.dbpath || o.npos != 1) {
        fprintf(stderr, "usage: procflow-analyze query -d DB \"SQL\" [--param k=v]... [--format table|csv|json]\n");
        goto out;
    }
    ret = run_on_db(o.dbpath, o.pos[0], NULL, &o);
out:
    free(o.pos);
    return ret;
}

/* ------------------------------------------------------------ info / verify */

struct damage_list {
    const char *path;
    int print;       /* verify prints each line as it comes */
    uint64_t count;
};

static void verify_damage(void *ctx, const struct pf_damage *d)
{
    struct damage_list *l = ctx;
    l->count++;
    if (!l->print)
        return;
    print_escaped_z(stdout, l->path);
    printf(": offset %llu: chunk ", (unsigned long long)d->offset);
    if (d->chunk_seq >= 0)
        printf("%lld", (long long)d->chunk_seq);
    else
        printf("?");
    printf(": ");
    print_escaped(stdout, d->what, strnlen(d->what, sizeof d->what));
    printf("\n");
}

static const char *clock_name(unsigned c)
{
    switch (c) {
    case PF_CLOCK_BOOTTIME: return "boottime";
    case PF_CLOCK_MONOTONIC: return "monotonic";
    case PF_CLOCK_QPC_NS: return "qpc";
    case PF_CLOCK_UTC: return "utc";
    default: return "unknown";
    }
}

struct scan {
    uint64_t by_type[PF_REC_TYPE_MAX_KNOWN + 1];
    int64_t first, last;
    uint64_t lost_by_source[8];
    uint64_t lost;
    int any;
};

static int scan_file(pfa_source *s, struct scan *sc)
{
    struct pf_record r;
    int n;
    memset(sc, 0, sizeof *sc);
    while ((n = pfa_source_next(s, &r)) == 1) {
        if (r.type <= PF_REC_TYPE_MAX_KNOWN)
            sc->by_type[r.type]++;
        if (r.type == PF_REC_LOSS) {
            sc->lost += r.u.loss.count;
            sc->lost_by_source[r.u.loss.source < 8 ? r.u.loss.source : 0] += r.u.loss.count;
        }
        if (r.type == PF_REC_CLOCK || r.type == PF_REC_HOSTINFO)
            continue;
        if (!sc->any || r.utc_ns < sc->first)
            sc->first = r.utc_ns;
        if (!sc->any || r.utc_ns > sc->last)
            sc->last = r.utc_ns;
        sc->any = 1;
    }
    return n;
}

static int info_one(const char *path, int utc)
{
    struct damage_list dl = {.path = path};
    struct pf_reader_options ro = {.on_damage = verify_damage, .ctx = &dl};
    pfa_source *s;
    int rc = pfa_source_open(&s, path, &ro);
    if (rc < 0) {
        print_escaped_z(stderr, path);
        fprintf(stderr, ": %s\n", pfa_strerror(rc));
        return 2;
    }
    const struct pf_file_info *fi = pfa_source_info(s);
    struct scan sc;
    int n = scan_file(s, &sc);
    struct pf_reader_stats st;
    pfa_source_stats(s, &st);
    char u[37], t[96];
    printf("File:              ");
    print_escaped_z(stdout, path);
    printf("\nFormat:            %s %u.%u\n", pfa_source_is_etl(s) ? "etl" : "pfcap", fi->major, fi->minor);
    pf_uuid_format(fi->uuid, u);
    printf("UUID:              %s\n", u);
    pf_uuid_format(fi->series_uuid, u);
    printf("Series:            %s (file %u)\n", u, fi->file_seq);
    printf("Host:              ");
    print_escaped_z(stdout, fi->hostname);
    printf("\nOS:                ");
    print_escaped_z(stdout, fi->os);
    printf(" ");
    print_escaped_z(stdout, fi->os_release);
    printf("\nRecorder:          ");
    print_escaped_z(stdout, fi->recorder);
    printf("\nComment:           ");
    print_escaped_z(stdout, fi->comment);
    if (fi->redaction) {
        printf("\nRedacted:          ");
        print_escaped_z(stdout, fi->redaction);
    }
    printf("\nClock:             %s\n", clock_name(fi->clock_id));
    if (fi->start_utc_ns) {
        pfa_format_time(t, sizeof t, fi->start_utc_ns, utc);
        printf("Started:           %s\n", t);
    }
    if (sc.any) {
        pfa_format_time(t, sizeof t, sc.first, utc);
        printf("First record:      %s\n", t);
        pfa_format_time(t, sizeof t, sc.last, utc);
        printf("Last record:       %s\n", t);
        /* hostile files can put the two ends 2^64 ns apart */
        int64_t span = (sc.first < 0 && sc.last > INT64_MAX + sc.first) ? INT64_MAX : sc.last - sc.first;
        pfa_format_duration(t, sizeof t, span);
        printf("Span:              %s\n", t);
    }
    printf("%s%llu intact, %llu damaged\n", pfa_source_is_etl(s) ? "Buffers:           " : "Chunks:            ", (unsigned long long)st.chunks_ok,
           (unsigned long long)st.chunks_damaged);
    printf("Records:           %llu\n", (unsigned long long)st.records);
    for (unsigned i = 1; i <= PF_REC_TYPE_MAX_KNOWN; i++)
        if (sc.by_type[i])
            printf("  %-16s %llu\n", pf_record_type_name(i), (unsigned long long)sc.by_type[i]);
    if (st.records_unknown)
        printf("  %-16s %llu\n", "(unknown type)", (unsigned long long)st.records_unknown);
    char h1[32], h2[32], h3[32];
    pfa_human_bytes(h1, sizeof h1, (double)st.file_bytes);
    pfa_human_bytes(h2, sizeof h2, (double)st.chunk_bytes);
    pfa_human_bytes(h3, sizeof h3, (double)st.raw_bytes);
    printf("File size:         %llu (%s)\n", (unsigned long long)st.file_bytes, h1);
    if (!pfa_source_is_etl(s)) {
        printf("Compressed:        %llu (%s) in chunks\n", (unsigned long long)st.chunk_bytes, h2);
        printf("Uncompressed:      %llu (%s)\n", (unsigned long long)st.raw_bytes, h3);
        if (st.chunk_bytes)
            printf("Ratio:             %.2f\n", (double)st.raw_bytes / (double)st.chunk_bytes);
        if (st.records)
            printf("Bytes per record:  %.2f on disk, %.2f raw\n", (double)st.file_bytes / (double)st.records,
                   (double)st.raw_bytes / (double)st.records);
    } else if (st.records) {
        printf("Bytes per record:  %.2f on disk\n", (double)st.file_bytes / (double)st.records);
    }
    printf("Events lost:       %llu", (unsigned long long)sc.lost);
    for (unsigned i = 1; i < 8; i++)
        if (sc.lost_by_source[i])
            printf("  %s=%llu", pf_loss_source_name(i), (unsigned long long)sc.lost_by_source[i]);
    printf("\nSkipped bytes:     %llu\n", (unsigned long long)st.bytes_skipped);
    printf("Clean close:       %s\n", st.clean_close ? "yes" : "no (recording did not finish, or file cut)");
    /* the same words as the summary report's completeness column */
    printf("Completeness:      %s%s%s%s%s%s\n", st.clean_close ? "" : "not closed (no footer)",
           !st.clean_close && st.chunks_damaged ? ", " : "", st.chunks_damaged ? "damaged" : "",
           (!st.clean_close || st.chunks_damaged) && sc.lost ? ", " : "", sc.lost ? "events lost" : "",
           st.clean_close && !st.chunks_damaged && !sc.lost ? "complete" : "");
    printf("Index:             %s\n", st.has_index ? "yes" : "no");
    pfa_source_close(s);
    if (n < 0) {
        print_escaped_z(stderr, path);
        fprintf(stderr, ": reading stopped: %s\n", pfa_strerror(n));
        return 1;
    }
    return 0;
}

static int cmd_info(int argc, char **argv)
{
    int utc = 0, ret = 0, files = 0;
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--utc"))
            utc = 1;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--utc"))
            continue;
        if (files++)
            printf("\n");
        int rc = info_one(argv[i], utc);
        if (rc > ret)
            ret = rc;
    }
    if (!files) {
        fprintf(stderr, "usage: procflow-analyze info CAPTURE... [--utc]\n");
        return 2;
    }
    return ret;
}

static int verify_one(const char *path)
{
    struct damage_list dl = {.path = path, .print = 1};
    struct pf_reader_options ro = {.on_damage = verify_damage, .ctx = &dl};
    pfa_source *s;
    int rc = pfa_source_open(&s, path, &ro);
    if (rc < 0) {
        print_escaped_z(stdout, path);
        printf(": cannot read: %s\n", pfa_strerror(rc));
        return 2;
    }
    struct scan sc;
    int n = scan_file(s, &sc);
    struct pf_reader_stats st;
    pfa_source_stats(s, &st);
    pfa_source_close(s);
    int bad = dl.count || st.chunks_damaged || n < 0 || !st.header_ok;
    print_escaped_z(stdout, path);
    if (n < 0)
        printf(": reading stopped: %s\n", pfa_strerror(n));
    else if (bad)
        printf(": DAMAGED: still readable: %llu chunks, %llu records; %llu chunk(s) damaged, %llu bytes skipped\n",
               (unsigned long long)st.chunks_ok, (unsigned long long)st.records,
               (unsigned long long)st.chunks_damaged, (unsigned long long)st.bytes_skipped);
    else
        printf(": OK: %llu chunks, %llu records%s\n", (unsigned long long)st.chunks_ok,
               (unsigned long long)st.records, st.clean_close ? "" : " (not closed cleanly: no footer)");
    return bad ? 1 : 0;
}

static int cmd_verify(int argc, char **argv)
{
    if (!argc) {
        fprintf(stderr, "usage: procflow-analyze verify CAPTURE...\n");
        return 2;
    }
    int ret = 0;
    for (int i = 0; i < argc; i++) {
        int rc = verify_one(argv[i]);
        if (rc > ret)
            ret = rc;
    }
    return ret;
}

/* ------------------------------------------------------------ convert */

static int cmd_convert(int argc, char **argv)
{
    const char *in = NULL, *outp = NULL;
    int overwrite = 0;
    struct pfa_redact_args ra = {0};
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            outp = argv[++i];
        else if (!strcmp(argv[i], "--force"))
            overwrite = 1;
        else if (pfa_redact_arg(argc, argv, &i, &ra))
            ;
        else if (!in)
            in = argv[i];
        else
            in = NULL, i = argc;
    }
    if (!in || !outp) {
        fprintf(stderr, "usage: procflow-analyze convert INPUT -o OUT.pfcap [--force] [--redact[=LIST]] "
                        "[--redact-key FILE]\n");
        return 2;
    }
    char rerr[512];
    pf_redactor *red = NULL;
    int rc = pfa_redact_from_args(&ra, &red, rerr, sizeof rerr);
    if (rc < 0) {
        fprintf(stderr, "procflow-analyze convert: ");
        print_escaped_z(stderr, rerr);
        fputc('\n', stderr);
        return 2;
    }
    struct damage_list dl = {.path = in, .print = 1};
    struct pf_reader_options ro = {.on_damage = verify_damage, .ctx = &dl};
    pfa_source *s;
    rc = pfa_source_open(&s, in, &ro);
    if (rc < 0) {
        print_escaped_z(stderr, in);
        fprintf(stderr, ": %s\n", pfa_strerror(rc));
        pf_redact_destroy(red);
        return 2;
    }
    struct pf_file_info info = *pfa_source_info(s);
    if (red && (rc = pf_redact_file_info(red, &info, &info)) < 0) {
        fprintf(stderr, "procflow-analyze convert: %s\n", pf_strerror(rc));
        pfa_source_close(s);
        pf_redact_destroy(red);
        return 1;
    }
    pf_writer *w;
    struct pf_writer_options wo = {.overwrite = overwrite};
    rc = pf_writer_open(&w, outp, &info, &wo);
    if (rc < 0) {
        print_escaped_z(stderr, outp);
        fprintf(stderr, ": %s\n", pf_strerror(rc));
        pfa_source_close(s);
        pf_redact_destroy(red);
        return 2;
    }
    struct pf_record r;
    int n;
    uint64_t count = 0;
    while ((n = pfa_source_next(s, &r)) == 1) {
        if (red) {
            /* the first record of a redacted file says how it was redacted */
            if (!count) {
                struct pf_record note;
                pf_redact_note(red, r.ts_ns, &note);
                if ((rc = pf_writer_write(w, &note)) < 0)
                    break;
            }
            if ((rc = pf_redact_record(red, &r, &r)) < 0)
                break;
        }
        rc = pf_writer_write(w, &r);
        if (rc < 0)
            break;
        count++;
    }
    if (rc >= 0)
        rc = pf_writer_close(w);
    pf_writer_destroy(w);
    pfa_source_close(s);
    if (n < 0 || rc < 0) {
        fprintf(stderr, "procflow-analyze convert: %s\n", pf_strerror(n < 0 ? n : rc));
        pf_redact_destroy(red);
        return 1;
    }
    fprintf(stderr, "wrote %llu records", (unsigned long long)count);
    if (dl.count)
        fprintf(stderr, " (%llu damaged region(s) of the input skipped)", (unsigned long long)dl.count);
    fputc('\n', stderr);
    if (red)
        fprintf(stderr, "redacted: %s\n", pf_redact_describe(red));
    pf_redact_destroy(red);
    return 0;
}

/* ------------------------------------------------------------ html / export */

struct outopts {
    const char *dbpath, *outpath, *format, *what;
    struct pfa_filter filter;
    int top, sections;
    struct pfa_redact_args redact; /* export */
};

static int parse_out_opts(int argc, char **argv, struct outopts *o, const char *cmd)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if ((!strcmp(a, "-d") || !strcmp(a, "--db")) && more)
            o->dbpath = argv[++i];
        else if (!strcmp(a, "-o") && more)
            o->outpath = argv[++i];
        else if (!strcmp(a, "--process") && more)
            o->filter.process = argv[++i];
        else if (!strcmp(a, "--from") && more)
            o->filter.from = argv[++i];
        else if (!strcmp(a, "--to") && more)
            o->filter.to = argv[++i];
        else if (!strcmp(a, "--utc"))
            o->filter.utc = 1;
        else if (!strcmp(a, "--format") && more && !strcmp(cmd, "export"))
            o->format = argv[++i];
        else if (!strcmp(a, "--what") && more && !strcmp(cmd, "export"))
            o->what = argv[++i];
        else if (!strcmp(cmd, "export") && pfa_redact_arg(argc, argv, &i, &o->redact))
            ;
        else if (!strcmp(a, "--top") && more && !strcmp(cmd, "html"))
            o->top = atoi(argv[++i]);
        else if (!strcmp(a, "--sections") && more && !strcmp(cmd, "html"))
            o->sections = atoi(argv[++i]);
        else {
            fprintf(stderr, "procflow-analyze %s: unknown or incomplete option ", cmd);
            print_escaped_z(stderr, a);
            fputc('\n', stderr);
            return -1;
        }
    }
    return 0;
}

/* Opens the DB read-only and applies the selection (TEMP views only). */
static int open_selected(struct outopts *o, sqlite3 **db)
{
    char err[512];
    if (pfa_db_open(db, o->dbpath, 0, 1, err, sizeof err)) {
        fprintf(stderr, "procflow-analyze: ");
        print_escaped_z(stderr, err);
        fputc('\n', stderr);
        return 2;
    }
    int rc = pfa_filter_apply(*db, &o->filter, err, sizeof err);
    if (rc) {
        fprintf(stderr, "procflow-analyze: ");
        print_escaped_z(stderr, err);
        fputc('\n', stderr);
        pfa_db_close(*db);
        return rc == PFA_E_PARAM ? 2 : 1;
    }
    return 0;
}

static FILE *open_out(const char *path)
{
    if (!strcmp(path, "-"))
        return stdout;
    char err[600];
    FILE *f = pfa_out_create(path, err, sizeof err); /* 0600, no symlinks (outfile.h) */
    if (!f) {
        fprintf(stderr, "procflow-analyze: ");
        print_escaped_z(stderr, err);
        fputc('\n', stderr);
    }
    return f;
}

static int close_out(FILE *f, const char *path, int failed)
{
    int bad = ferror(f);
    if (f != stdout)
        bad |= fclose(f) != 0;
    else
        bad |= fflush(f) != 0;
    if (bad && !failed) {
        print_escaped_z(stderr, path);
        fprintf(stderr, ": write failed\n");
    }
    if ((bad || failed) && f != stdout)
        unlink(path);
    return bad || failed;
}

static int wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return 1;
    return 0;
}

static const char html_usage[] =
    "usage: procflow-analyze html -d DB -o report.html [--process NAME|PID] [--from T] [--to T] [--utc]\n"
    "                             [--top N] [--sections N]\n"
    "  one self-contained HTML file: capture facts, loss banner, bandwidth charts of the top N (6)\n"
    "  processes, sortable tables, a section for each of the N (20) busiest processes\n";

static const char export_usage[] =
    "usage: procflow-analyze export --format chrome-trace|csv|jsonl|zeek -d DB -o FILE [--what flows|bytes]\n"
    "                               [--process NAME|PID] [--from T] [--to T] [--utc]\n"
    "                               [--redact[=LIST]] [--redact-key FILE]\n"
    "  chrome-trace  trace-event JSON for Perfetto UI / chrome://tracing (processes, flows, bytes/s)\n"
    "  csv, jsonl    flows (default) or per-bucket bytes (--what bytes)\n"
    "  zeek          Zeek conn.log with pid and process_name columns\n"
    "  --redact[=LIST] [--redact-key FILE]\n"
    "                keyed pseudonyms for addresses in chosen ranges, command lines and home\n"
    "                directories in exe paths; LIST as for convert (default: " PF_REDACT_DEFAULT ")\n";

static int cmd_html(int argc, char **argv)
{
    struct outopts o = {0};
    if (wants_help(argc, argv)) {
        fputs(html_usage, stdout);
        return 0;
    }
    if (parse_out_opts(argc, argv, &o, "html"))
        return 2;
    if (!o.dbpath || !o.outpath) {
        fputs(html_usage, stderr);
        return 2;
    }
    sqlite3 *db;
    int rc = open_selected(&o, &db);
    if (rc)
        return rc;
    char sel[512] = "", err[512];
    if (o.filter.process || o.filter.from || o.filter.to)
        snprintf(sel, sizeof sel, "%s%s%s%s%s%s", o.filter.process ? "process " : "",
                 o.filter.process ? o.filter.process : "", o.filter.from ? " from " : "",
                 o.filter.from ? o.filter.from : "", o.filter.to ? " to " : "", o.filter.to ? o.filter.to : "");
    struct pfa_html_options ho = {.chart_processes = o.top, .sections = o.sections,
                                  .filter_text = sel[0] ? sel : NULL};
    FILE *f = open_out(o.outpath);
    if (!f) {
        pfa_db_close(db);
        return 2;
    }
    rc = pfa_html_report(db, &ho, f, err, sizeof err);
    pfa_db_close(db);
    if (rc) {
        fprintf(stderr, "procflow-analyze html: ");
        print_escaped_z(stderr, err);
        fputc('\n', stderr);
    }
    return close_out(f, o.outpath, rc != 0) ? 1 : 0;
}

static int cmd_export(int argc, char **argv)
{
    struct outopts o = {0};
    if (wants_help(argc, argv)) {
        fputs(export_usage, stdout);
        return 0;
    }
    if (parse_out_opts(argc, argv, &o, "export"))
        return 2;
    int fmt = -1, what = PFA_EXP_FLOWS;
    if (o.format && !strcmp(o.format, "chrome-trace"))
        fmt = PFA_EXP_CHROME_TRACE;
    else if (o.format && !strcmp(o.format, "csv"))
        fmt = PFA_EXP_CSV;
    else if (o.format && !strcmp(o.format, "jsonl"))
        fmt = PFA_EXP_JSONL;
    else if (o.format && !strcmp(o.format, "zeek"))
        fmt = PFA_EXP_ZEEK;
    if (o.what && !strcmp(o.what, "bytes"))
        what = PFA_EXP_BYTES;
    else if (o.what && strcmp(o.what, "flows"))
        fmt = -1;
    if (fmt < 0 || !o.dbpath || !o.outpath) {
        fputs(export_usage, stderr);
        return 2;
    }
    char err[512];
    pf_redactor *red = NULL;
    if (pfa_redact_from_args(&o.redact, &red, err, sizeof err) < 0) {
        fprintf(stderr, "procflow-analyze export: ");
        print_escaped_z(stderr, err);
        fputc('\n', stderr);
        return 2;
    }
    sqlite3 *db;
    int rc = open_selected(&o, &db);
    if (rc) {
        pf_redact_destroy(red);
        return rc;
    }
    FILE *f = open_out(o.outpath);
    if (!f) {
        pfa_db_close(db);
        pf_redact_destroy(red);
        return 2;
    }
    rc = pfa_export_redacted(db, fmt, what, red, f, err, sizeof err);
    pfa_db_close(db);
    pf_redact_destroy(red);
    if (rc) {
        fprintf(stderr, "procflow-analyze export: ");
        print_escaped_z(stderr, err);
        fputc('\n', stderr);
    }
    return close_out(f, o.outpath, rc != 0) ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "ingest"))
        return cmd_ingest(argc - 2, argv + 2);
    if (!strcmp(cmd, "report"))
        return cmd_report(argc - 2, argv + 2);
    if (!strcmp(cmd, "query"))
        return cmd_query(argc - 2, argv + 2);
    if (!strcmp(cmd, "info"))
        return cmd_info(argc - 2, argv + 2);
    if (!strcmp(cmd, "verify"))
        return cmd_verify(argc - 2, argv + 2);
    if (!strcmp(cmd, "convert"))
        return cmd_convert(argc - 2, argv + 2);
    if (!strcmp(cmd, "html"))
        return cmd_html(argc - 2, argv + 2);
    if (!strcmp(cmd, "export"))
        return cmd_export(argc - 2, argv + 2);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("procflow-analyze %s (SQLite %s, schema %d, etl %s)\n", PF_VERSION_TEXT, sqlite3_libversion(),
               PFA_SCHEMA_VERSION, pfa_etl_supported() ? "yes" : "no");
        return 0;
    }
    fprintf(stderr, "procflow-analyze: unknown command '");
    print_escaped_z(stderr, cmd);
    fprintf(stderr, "'\n");
    usage(stderr);
    return 2;
}
