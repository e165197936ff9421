/* SPDX-License-Identifier: MIT */
/* procflow-analyze: ingest captures into SQLite, run reports and queries,
 * and inspect (info) or check (verify) capture files. */
#if !defined(_WIN32)
#define _GNU_SOURCE /* fopencookie: the pager's stdout */
#endif
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if !defined(_WIN32)
#include <sys/ioctl.h>
#else
#include <io.h>
#endif

#include "guard.h"
#include "outfile.h"
#include "pfa.h"
#include "pfa_export.h"
#include "pfa_merge.h"
#include "pfa_redact.h"
#if defined(PFA_HAVE_CLICKHOUSE)
#include "clickhouse.h"
#include "clickhouse_load.h"
#endif

/* The directory --split-by writes into: the owner's only (mode 0700) where
 * the system has modes. */
static int make_private_dir(const char *path)
{
#if defined(_WIN32)
    return mkdir(path);
#else
    return mkdir(path, 0700);
#endif
}

#define PF_VERSION_TEXT "0.1.0"

/* Exit status of every subcommand (README "Exit status"). */
enum { EXIT_OK = 0, EXIT_DATA = 1, EXIT_USAGE = 2, EXIT_INTERRUPTED = 130 };

#define EXIT_TABLE \
    "Exit status (every command):\n" \
    "  0    success\n" \
    "  1    a data problem: damage found, a database error, an output that could not be written\n" \
    "  2    usage error (unknown option, bad value) or an input that cannot be read\n" \
    "  130  interrupted (Ctrl-C)\n"

static const char main_usage[] =
    "usage: procflow-analyze COMMAND [options]\n"
    "\n"
    "Commands (procflow-analyze COMMAND --help describes each):\n"
    "  ingest CAPTURE... -d DB   load .pfcap (or .etl) files into a SQLite database\n"
    "  report [NAME]             list the canned reports, or run one (-d DB, or CAPTURE... one shot)\n"
    "  query -d DB [SQL]         run read-only SQL (from standard input when no SQL is given)\n"
    "  info CAPTURE...           header, chunks, records by type, time span, sizes, losses\n"
    "  verify CAPTURE...         check every chunk; exit 0 only when all are intact\n"
    "  convert INPUT -o OUT      rewrite (.etl, salvage a damaged .pfcap, redact); -o - streams\n"
    "  html -d DB -o FILE        self-contained HTML report\n"
    "  export -d DB -o FILE      chrome-trace, CSV, JSONL or Zeek conn.log\n"
    "  retain -d clickhouse://... --older-than D   remove old captures from a ClickHouse store\n"
    "  version                   program, SQLite and schema versions (also --version)\n"
    "\n"
    "A capture argument may be - (standard input) or a pipe; an output -o - is standard output.\n"
    "\n" EXIT_TABLE;

static const char ingest_usage[] =
    "usage: procflow-analyze ingest CAPTURE... -d DB [--bucket 1s] [--replace] [--quiet]\n"
    "       procflow-analyze ingest --follow FILE|DIR -d DB [--bucket 1s] [--quiet]\n"
    "       procflow-analyze ingest CAPTURE... --to clickhouse://[USER@]HOST[:PORT][,HOST[:PORT]...]/DB[?cluster=NAME]\n"
    "       procflow-analyze ingest --follow DIR --to clickhouse://...   ship each closed .pfcap of DIR once\n"
    "Loads .pfcap (or .etl) files into a SQLite database (created when missing), or\n"
    "into a ClickHouse fleet store (tables created when missing; each capture exactly once).\n"
    "  -d, --db DB        the database\n"
    "      --to URL       the ClickHouse store instead of a SQLite file (HTTP interface);\n"
    "                     several hosts with ?cluster=NAME: the shards of that cluster\n"
    "      --password-file FILE  the ClickHouse password (the file must be private: chmod 600);\n"
    "                     else from the URL or PROCFLOW_CH_PASSWORD\n"
    "      --via-sqlite   --to through a temporary SQLite database (the older, slower loader; same rows)\n"
    "      --bucket D     byte-count bucket width of a new database (default 1s; like 100ms, 1m)\n"
    "      --replace      ingest a capture again although its UUID is in the database\n"
    "      --follow       keep the database current while a recording runs: read each chunk as it\n"
    "                     closes in a .partial, pick up new rotated files in DIR; Ctrl-C stops\n"
    "  -q, --quiet        no per-file summary and no progress line\n"
    "  -h, --help         this text\n"
    "CAPTURE may be - (standard input) or a pipe. On a terminal a progress line shows\n"
    "records/s, bytes done of the total and the time left for inputs that take over a second.\n"
    "\n" EXIT_TABLE;

static const char report_usage[] =
    "usage: procflow-analyze report                         list the reports and their parameters\n"
    "       procflow-analyze report NAME -d DB [options]\n"
    "       procflow-analyze report NAME CAPTURE... [options]   one shot: ingest into a temporary DB\n"
    "  -d, --db DB               the database, or a ClickHouse store: clickhouse://[USER@]HOST[:PORT]/DB\n"
    "                            (its password from PROCFLOW_CH_PASSWORD)\n"
    "  -p, --param KEY=VALUE     report parameter (repeatable; 'report' lists them)\n"
    "      --from T, --to T      only this time range (--param from=/to=; every report has them)\n"
    "      --host H              only this host (--param host=; repeatable)\n"
    "  -f, --format FORMAT       table (default), line, csv or json\n"
    "      --csv, --json         short for --format csv / json\n"
    "      --utc                 times in UTC, not local time\n"
    "      --raw                 storage column names and raw numbers (ns, bytes)\n"
    "      --no-pager            never page (otherwise a terminal page longer than the screen goes\n"
    "                            through $PAGER, default less)\n"
    "      --bucket D            one shot: bucket width of the temporary database\n"
    "  -h, --help                this text\n"
    "Tables fit the terminal (long cells cut with ...); headers say what is shown (first, span),\n"
    "--raw keeps storage names (first_ns, span_dur_ns). CSV is raw. JSON has raw integers and an\n"
    "ISO-8601 UTC string beside every *_ns time (first_ns and first_time).\n"
    "\n" EXIT_TABLE;

static const char query_usage[] =
    "usage: procflow-analyze query -d DB [SQL] [options]\n"
    "Runs SQL on the database; without an SQL argument the SQL is read from standard input.\n"
    "The database is only read: statements that would write, ATTACH (VACUUM INTO), change the\n"
    "schema, start transactions, set pragmas or load extensions are refused.\n"
    "  -d, --db DB               the database, or a ClickHouse store clickhouse://... (SQL in its\n"
    "                            dialect; the server refuses writes; read the visible_* views)\n"
    "  -p, --param KEY=VALUE     value of :KEY in the SQL (repeatable)\n"
    "  -f, --format FORMAT       table (default), line, csv or json\n"
    "      --csv, --json         short for --format csv / json\n"
    "      --utc                 times in UTC, not local time\n"
    "      --raw                 storage column names and raw numbers\n"
    "      --no-pager            never page\n"
    "  -h, --help                this text\n"
    "Columns named *_ns show as times, *_dur_ns as durations, bytes* / *_bytes as sizes.\n"
    "\n" EXIT_TABLE;

static const char info_usage[] =
    "usage: procflow-analyze info CAPTURE... [--utc] [--format text|json]\n"
    "Header, chunks, records by type, time span, sizes and losses of each capture.\n"
    "      --utc                 times in UTC\n"
    "  -f, --format FORMAT       text (default) or json (one object per capture, in an array)\n"
    "  -h, --help                this text\n"
    "CAPTURE may be - (standard input) or a pipe.\n"
    "\n" EXIT_TABLE;

static const char verify_usage[] =
    "usage: procflow-analyze verify CAPTURE...\n"
    "Checks every chunk of each capture; prints one line per damaged region and a verdict.\n"
    "  -h, --help                this text\n"
    "CAPTURE may be - (standard input) or a pipe.\n"
    "\n" EXIT_TABLE;

static const char convert_usage[] =
    "usage: procflow-analyze convert INPUT -o OUT [--force] [--redact[=LIST]] [--redact-key FILE]\n"
    "       procflow-analyze convert INPUT... -o OUT [--from T] [--to T] [--utc] [--host NAME]... [--force]\n"
    "       procflow-analyze convert INPUT... --split-by host -o DIR [--from T] [--to T] [--host NAME]...\n"
    "Rewrites a capture (.etl to .pfcap, salvage of a damaged .pfcap, redaction), or merges\n"
    "several captures of one host into one file in time order (one file holds one host:\n"
    "with --split-by host each host's inputs go to DIR/HOST.pfcap).\n"
    "      --from T, --to T      only records in this time range (processes, host facts and\n"
    "                            clock anchors are kept); T as for reports, +DURATION from the\n"
    "                            earliest input's start\n"
    "      --host NAME           only inputs recorded on this host (repeatable)\n"
    "      --split-by host       one output file per host, in directory DIR (made if missing)\n"
    "  -o, --output OUT          the new capture; - writes it to standard output\n"
    "      --force               replace an existing OUT\n"
    "      --redact[=LIST]       keyed pseudonyms for command lines, users, host names and\n"
    "                            addresses in ranges; LIST: cmdline,user,host,uid,addr=CIDR,\n"
    "                            addr=private (default: " PF_REDACT_DEFAULT ")\n"
    "      --redact-key FILE     key of the pseudonyms (the same key, the same pseudonyms)\n"
    "  -h, --help                this text\n"
    "INPUT may be - (standard input) or a pipe.\n"
    "\n" EXIT_TABLE;

static const char html_usage[] =
    "usage: procflow-analyze html -d DB -o FILE [--process NAME|PID] [--from T] [--to T] [--utc]\n"
    "                             [--top N] [--sections N] [--force]\n"
    "One self-contained HTML file: capture facts, loss banner, bandwidth charts of the top N (6)\n"
    "processes, sortable tables, a section for each of the N (20) busiest processes.\n"
    "  -o, --output FILE         the report; - writes to standard output\n"
    "      --force               replace an existing FILE\n"
    "  -h, --help                this text\n"
    "\n" EXIT_TABLE;

static const char export_usage[] =
    "usage: procflow-analyze export --format chrome-trace|csv|jsonl|zeek -d DB -o FILE [--what flows|bytes]\n"
    "                               [--process NAME|PID] [--from T] [--to T] [--utc] [--force]\n"
    "                               [--redact[=LIST]] [--redact-key FILE]\n"
    "  chrome-trace  trace-event JSON for Perfetto UI / chrome://tracing (processes, flows, bytes/s)\n"
    "  csv, jsonl    flows (default) or per-bucket bytes (--what bytes)\n"
    "  zeek          Zeek conn.log with pid and process_name columns\n"
    "  -o, --output FILE         the export; - writes to standard output\n"
    "      --force               replace an existing FILE\n"
    "  --redact[=LIST] [--redact-key FILE]\n"
    "                keyed pseudonyms for addresses in chosen ranges, command lines and home\n"
    "                directories in exe paths; LIST as for convert (default: " PF_REDACT_DEFAULT ")\n"
    "  -h, --help                this text\n"
    "\n" EXIT_TABLE;

static void print_escaped(FILE *f, const char *s, size_t n)
{
    struct pfa_buf b = {0};
    pfa_escape(&b, s ? s : "", s ? n : 0);
    fputs(b.p ? b.p : "", f);
    pfa_buf_free(&b);
}

static void print_escaped_z(FILE *f, const char *s) { print_escaped(f, s, s ? strlen(s) : 0); }

/* One error line on stderr: "who: msg", the message escaped. */
static void print_error(const char *who, const char *msg)
{
    fprintf(stderr, "%s: ", who);
    print_escaped_z(stderr, msg);
    fputc('\n', stderr);
}

/* ------------------------------------------------------------ options */

static const char *g_cmd = "procflow-analyze"; /* "procflow-analyze ingest" in messages */

/* Next option of a subcommand (getopt_long, argv[0] = the subcommand).
 * Returns the option, -1 at the end, or '?' after printing what is wrong
 * (unknown option, missing value). */
static int next_opt(int argc, char **argv, const char *so, const struct option *lo)
{
    opterr = 0;
    int c = getopt_long(argc, argv, so, lo, NULL);
    if (c != '?' && c != ':')
        return c;
    const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
    char name[64];
    if (!strncmp(arg, "--", 2))
        snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);
    else if (optopt > 0 && optopt < 256)
        snprintf(name, sizeof name, "-%c", optopt);
    else
        snprintf(name, sizeof name, "%.60s", arg);
    fprintf(stderr, "%s: ", g_cmd);
    if (c == ':')
        fprintf(stderr, "option ");
    else if (!strncmp(arg, "--", 2) && strchr(arg, '=') && optopt)
        fprintf(stderr, "option ");
    else
        fprintf(stderr, "unknown option ");
    print_escaped_z(stderr, name);
    if (c == ':')
        fprintf(stderr, " needs a value\n");
    else if (!strncmp(arg, "--", 2) && strchr(arg, '=') && optopt)
        fprintf(stderr, " takes no value\n");
    else
        fprintf(stderr, " (--help lists the options)\n");
    return '?';
}

/* "--top: 'abc' is not a number (...)"; returns EXIT_USAGE. */
static int bad_value(const char *opt, const char *value, const char *what)
{
    fprintf(stderr, "%s: %s: '", g_cmd, opt);
    print_escaped_z(stderr, value);
    fprintf(stderr, "' is not %s\n", what);
    return EXIT_USAGE;
}

static int usage_error(const char *usage_text)
{
    fputs(usage_text, stderr);
    return EXIT_USAGE;
}

static int parse_count(const char *v, int *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < 0 || n > 100000)
        return -1;
    *out = (int)n;
    return 0;
}

/* ------------------------------------------------------------ standard output */

/* Why standard output failed: the errno of the first failed write. */
static int stdout_error(const char *name, int e)
{
    fprintf(stderr, "%s: ", g_cmd);
    print_escaped_z(stderr, name);
    fprintf(stderr, ": write error: %s\n", strerror(e ? e : EIO));
    return EXIT_DATA;
}

/* Every exit path with output ends here: the final flush is checked. */
static int finish_stdout(int rc)
{
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int e = errno;
        stdout_error("standard output", e);
        return rc > EXIT_DATA ? rc : EXIT_DATA;
    }
    return rc;
}

/* Tables on a terminal: its size, and a pager once the output is longer
 * than the screen. */
struct term {
    int cols, rows;
};

static int term_size(struct term *t)
{
    t->cols = t->rows = 0;
#if !defined(_WIN32)
    struct winsize ws;
    if (isatty(1) && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
        t->cols = ws.ws_col;
        t->rows = ws.ws_row;
        return 1;
    }
#endif
    return 0;
}

#if !defined(_WIN32)
/* A FILE that holds the first screenful; once the text is longer than the
 * screen it starts the pager ($PAGER, default less with LESS=FRX) and
 * sends everything there; when the output ends first it goes to stdout. */
struct pager {
    struct pfa_buf held; /* output held back until it is known to need a pager */
    int lines, rows;
    FILE *pipe;
    int quit; /* the user left the pager */
};

static int pager_start(struct pager *p)
{
    const char *cmd = getenv("PAGER");
    if (!cmd || !*cmd)
        cmd = "less";
    if (!strcmp(cmd, "cat"))
        return -1;
    setenv("LESS", getenv("LESS") ? getenv("LESS") : "FRX", 0);
    fflush(stdout);
    signal(SIGPIPE, SIG_IGN);
    p->pipe = popen(cmd, "w");
    if (!p->pipe)
        return -1;
    if (p->held.len && fwrite(p->held.p, 1, p->held.len, p->pipe) != p->held.len)
        p->quit = 1;
    p->held.len = 0;
    return 0;
}

static ssize_t pager_write(void *ctx, const char *s, size_t n)
{
    struct pager *p = ctx;
    if (p->quit) {
        errno = EPIPE;
        return -1;
    }
    if (p->pipe) {
        if (fwrite(s, 1, n, p->pipe) != n) {
            p->quit = 1;
            errno = EPIPE;
            return -1;
        }
        return (ssize_t)n;
    }
    if (pfa_buf_put(&p->held, s, n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        p->lines += s[i] == '\n';
    if (p->lines >= p->rows - 1 && pager_start(p) != 0) {
        /* no pager: plain output */
        if (fwrite(p->held.p, 1, p->held.len, stdout) != p->held.len)
            return -1;
        p->held.len = 0;
        p->rows = INT32_MAX;
    }
    return (ssize_t)n;
}

static int pager_close(void *ctx)
{
    struct pager *p = ctx;
    int rc = 0;
    if (p->pipe) {
        pclose(p->pipe);
    } else if (p->held.len && fwrite(p->held.p, 1, p->held.len, stdout) != p->held.len) {
        rc = EOF;
    }
    pfa_buf_free(&p->held);
    return rc;
}

static struct pager g_pager;
#endif

/* The stream tables go to: stdout, or a pager on a terminal. */
static FILE *table_out(const struct term *t, int no_pager, int format)
{
#if !defined(_WIN32)
    if (!no_pager && t->rows > 2 && (format == PFA_FMT_TABLE || format == PFA_FMT_LINE)) {
        memset(&g_pager, 0, sizeof g_pager);
        g_pager.rows = t->rows;
        cookie_io_functions_t io = {.write = pager_write, .close = pager_close};
        FILE *f = fopencookie(&g_pager, "w", io);
        if (f)
            return f;
    }
#else
    (void)t;
    (void)no_pager;
    (void)format;
#endif
    return stdout;
}

/* Ends table output; a user who quit the pager early is no error. */
static int table_out_close(FILE *f, int rc)
{
    if (f == stdout)
        return rc;
#if !defined(_WIN32)
    int bad = ferror(f);
    int e = errno;
    fclose(f);
    if (g_pager.quit)
        return rc == EXIT_DATA ? EXIT_OK : rc;
    if (bad)
        return stdout_error("standard output", e);
#endif
    return rc;
}

/* ------------------------------------------------------------ inputs */

/* Captures read from standard input or a pipe are copied to a private
 * temporary file (the reader maps its input); removed on every exit. */
static char *g_spool[64];
static int g_nspool;

static void spool_cleanup(void)
{
    for (int i = 0; i < g_nspool; i++) {
        unlink(g_spool[i]);
        free(g_spool[i]);
    }
    g_nspool = 0;
}

/* Adds a temporary path to the ones removed on every exit (and signal). */
static int spool_register(const char *path)
{
    if (g_nspool == (int)(sizeof g_spool / sizeof g_spool[0]))
        return -1;
    char *copy = strdup(path);
    if (!copy || pfa_guard_temp_file(copy)) {
        free(copy);
        return -1;
    }
    if (!g_nspool)
        atexit(spool_cleanup);
    g_spool[g_nspool++] = copy;
    return 0;
}

/* Returns the path the reader should open: PATH itself, or a spool copy
 * when PATH is "-" or not a regular file (pipe, FIFO, /dev/stdin). NULL
 * after printing why. */
static const char *input_path(const char *path)
{
    struct stat sb;
    int is_stdin = !strcmp(path, "-");
    if (!is_stdin && (stat(path, &sb) != 0 || S_ISREG(sb.st_mode) || S_ISDIR(sb.st_mode)))
        return path; /* the reader names what is wrong */
    if (g_nspool == (int)(sizeof g_spool / sizeof g_spool[0])) {
        fprintf(stderr, "%s: too many inputs from pipes\n", g_cmd);
        return NULL;
    }
#if defined(_WIN32)
    if (is_stdin)
        _setmode(0, _O_BINARY);
#endif
    int in = is_stdin ? 0 : open(path, O_RDONLY);
    if (in < 0) {
        fprintf(stderr, "%s: %s: cannot open: %s\n", g_cmd, path, strerror(errno));
        return NULL;
    }
    const char *tmpdir = getenv("TMPDIR");
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/procflow-in-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    pfa_guard_hold_signals();
    int fd = mkstemp(tmp);
    if (fd < 0) {
        pfa_guard_release_signals();
        fprintf(stderr, "%s: cannot create a temporary file for %s: %s\n", g_cmd, is_stdin ? "standard input" : path,
                strerror(errno));
        if (!is_stdin)
            close(in);
        return NULL;
    }
    if (spool_register(tmp)) {
        unlink(tmp);
        pfa_guard_release_signals();
        close(fd);
        if (!is_stdin)
            close(in);
        return NULL;
    }
    pfa_guard_release_signals();
    const char *copy = g_spool[g_nspool - 1];
#if !defined(_WIN32)
    fchmod(fd, 0600);
#endif
    char buf[65536];
    ssize_t n;
    int werr = 0;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        if (write(fd, buf, (size_t)n) != n) {
            werr = errno ? errno : EIO;
            break;
        }
    }
    int rerr = n < 0 ? errno : 0;
    if (!is_stdin)
        close(in);
    if (close(fd) != 0 && !werr)
        werr = errno;
    if (rerr || werr) {
        fprintf(stderr, "%s: %s: %s: %s\n", g_cmd, is_stdin ? "standard input" : path,
                rerr ? "read error" : "cannot spool to a temporary file", strerror(rerr ? rerr : werr));
        return NULL;
    }
    return copy;
}

/* ------------------------------------------------------------ progress */

struct progress {
    int on;
    int shown;
    double after_s; /* first shown this far into an input (1 s; tests may lower it) */
    struct timespec start, last;
};

/* PROCFLOW_PROGRESS_AFTER_MS sets when the line first appears (tests). */
static double progress_after(void)
{
    const char *v = getenv("PROCFLOW_PROGRESS_AFTER_MS");
    char *end;
    long ms = v ? strtol(v, &end, 10) : -1;
    return v && *v && !*end && ms >= 0 && ms <= 60000 ? (double)ms / 1000.0 : 1.0;
}

static double since(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Progress on a terminal only, from one second into an input:
 * "12.3 MB of 40.0 MB (30%), 250000 records/s, 3 s left". */
static void progress_cb(void *ctx, uint64_t done, uint64_t total, uint64_t records)
{
    struct progress *p = ctx;
    if (!p->on || !total)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double el = since(&p->start, &now);
    if (el < p->after_s || (p->shown && since(&p->last, &now) < 0.2 && done < total))
        return;
    p->last = now;
    p->shown = 1;
    if (done > total)
        done = total;
    char d[32], t[32];
    pfa_human_bytes(d, sizeof d, (double)done);
    pfa_human_bytes(t, sizeof t, (double)total);
    double rate = (double)records / el;
    double left = done ? el * (double)(total - done) / (double)done : 0;
    fprintf(stderr, "\r%s of %s (%d%%), %.0f records/s, %.0f s left   ", d, t, (int)(done * 100 / total), rate, left);
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

/* Another process holds the database's lock: say what we wait for. */
static void wait_notice(void *ctx, const char *db, double waited_s)
{
    (void)ctx;
    fprintf(stderr, "\rprocflow-analyze: waiting for ");
    print_escaped_z(stderr, db);
    fprintf(stderr, ": another process holds its write lock (%.0f s so far)\n", waited_s);
}

/* ------------------------------------------------------------ ingest */

/* Ingests files and finishes the load; for_sql: a one-shot report's SQL
 * (the throwaway database gets only what it reads), NULL for everything. */
static int ingest_for(sqlite3 *db, char **files, int nfiles, uint64_t bucket, int quiet, int replace,
                      const char *for_sql)
{
    int ret = EXIT_OK;
    char err[512];
    unsigned skip = 0;
    if (for_sql && pfa_oneshot_plan(db, for_sql, &skip, err, sizeof err))
        for_sql = NULL; /* everything, as for a database; the report says what is wrong */
    for (int i = 0; i < nfiles; i++) {
        struct progress pr = {.on = !quiet && isatty(2), .after_s = progress_after()};
        const char *path = input_path(files[i]);
        if (!path) {
            ret = EXIT_USAGE;
            continue;
        }
        struct pfa_ingest_options o = {.bucket_ns = bucket,
                                       .progress_records = progress_cb,
                                       .ctx = &pr,
                                       .on_damage = damage_cb,
                                       .replace = replace,
                                       .display_path = path != files[i] ? files[i] : NULL,
                                       .skip = skip};
        struct pfa_ingest_result res;
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &pr.start);
        int rc = pfa_ingest_file(db, path, &o, &res, err, sizeof err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (pr.shown)
            fprintf(stderr, "\r%70s\r", "");
        unsigned long shrunk = pfa_guard_shrunk_pages();
        if (shrunk) {
            print_escaped_z(stderr, files[i]);
            fprintf(stderr, ": the file shrank while it was read: its lost tail (%lu page(s)) counts as damage\n",
                    shrunk);
        }
        if (rc) {
            print_error("procflow-analyze", err);
            /* a database failure is a data problem; the rest: the input */
            if (rc == PFA_E_SQL || rc == PFA_E_BUCKET) {
                if (ret < EXIT_DATA)
                    ret = EXIT_DATA;
            } else {
                ret = EXIT_USAGE;
            }
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
        double secs = since(&pr.start, &t1);
        fprintf(stderr,
                ": capture %lld: %llu records, %llu processes, %llu flows, %llu byte buckets, %llu snapshot rows "
                "in %.2f s",
                (long long)res.capture_id, (unsigned long long)res.records, (unsigned long long)res.processes,
                (unsigned long long)res.flows, (unsigned long long)res.bytes_rows, (unsigned long long)res.snapshots,
                secs);
        if (res.chunks_damaged)
            fprintf(stderr, "; %llu damaged chunk(s) skipped", (unsigned long long)res.chunks_damaged);
        if (res.events_lost)
            fprintf(stderr, "; %llu events LOST while recording", (unsigned long long)res.events_lost);
        if (res.flow_cap_reached)
            fprintf(stderr, "; over %zu flows open at once: the longest idle were ended early", PFA_MAX_LIVE_FLOWS);
        fputc('\n', stderr);
    }
    int rc = for_sql ? pfa_ingest_finish_for(db, for_sql, err, sizeof err) : pfa_ingest_finish(db, err, sizeof err);
    if (rc) {
        fprintf(stderr, "procflow-analyze: indexing: %s\n", err);
        if (ret < EXIT_DATA)
            ret = EXIT_DATA;
    }
    return ret;
}

static int do_ingest(sqlite3 *db, char **files, int nfiles, uint64_t bucket, int quiet, int replace)
{
    return ingest_for(db, files, nfiles, bucket, quiet, replace, NULL);
}

static int parse_bucket(const char *v, uint64_t *out)
{
    int64_t ns;
    if (pfa_parse_duration(v, &ns) || ns < 1000)
        return bad_value("--bucket", v, "a bucket width (like 1s, 100ms, 1m; at least 1us)");
    *out = (uint64_t)ns;
    return 0;
}

/* Drops the inputs that cannot be opened as captures (saying why), so
 * that a database is made only when there is something to put into it.
 * Returns how many were dropped. */
static int keep_readable(char **files, int *nfiles)
{
    int kept = 0, dropped = 0;
    for (int i = 0; i < *nfiles; i++) {
        struct stat sb;
        /* standard input and pipes are spooled and read later */
        if (!strcmp(files[i], "-") || (stat(files[i], &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode))) {
            files[kept++] = files[i];
            continue;
        }
        pfa_source *s;
        int rc = pfa_source_open(&s, files[i], NULL);
        if (rc < 0) {
            char why[256];
            fprintf(stderr, "procflow-analyze: ");
            print_escaped_z(stderr, files[i]);
            fprintf(stderr, ": %s\n", pfa_source_open_error(rc, why, sizeof why));
            dropped++;
            continue;
        }
        pfa_source_close(s);
        files[kept++] = files[i];
    }
    *nfiles = kept;
    return dropped;
}

enum {
    OPT_BUCKET = 256,
    OPT_REPLACE,
    OPT_CSV,
    OPT_JSON,
    OPT_UTC,
    OPT_RAW,
    OPT_NO_PAGER,
    OPT_PROCESS,
    OPT_FROM,
    OPT_TO,
    OPT_WHAT,
    OPT_TOP,
    OPT_SECTIONS,
    OPT_FORCE,
    OPT_REDACT,
    OPT_REDACT_KEY,
    OPT_PASSWORD_FILE,
    OPT_FOLLOW,
    OPT_VIA_SQLITE,
    OPT_HOST,
    OPT_SPLIT_BY,
    OPT_OLDER_THAN,
    OPT_BEFORE,
    OPT_TTL
};

/* A private temporary database (0600, in TMPDIR) whose files the guard
 * removes on every way out, signals included (guard.h). -1 after saying why. */
static int temp_db_path(char *path, size_t cap)
{
    const char *tmpdir = getenv("TMPDIR");
    snprintf(path, cap, "%s/procflow-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    pfa_guard_hold_signals();
    int fd = mkstemp(path);
    if (fd < 0) {
        pfa_guard_release_signals();
        fprintf(stderr, "procflow-analyze: cannot create a temporary database: %s\n", strerror(errno));
        return -1;
    }
    pfa_guard_temp_db(path);
    pfa_guard_release_signals();
    close(fd);
    return 0;
}

#if defined(PFA_HAVE_CLICKHOUSE)
static int g_ship_via_sqlite; /* ingest --to --via-sqlite: the older loader, for comparison */

/* One capture file into the store by the direct loader: decoded and
 * aggregated as the SQLite ingest of the file alone does, the rows sent
 * in ClickHouse's Native format as they are made (clickhouse_load.h). Returns an exit status. */
static int ship_direct(pfa_ch *ch, const struct pfa_ch_target *t, char *file, uint64_t bucket, int quiet)
{
    const char *path = input_path(file);
    if (!path)
        return EXIT_USAGE;
    struct pfa_ingest_options o = {
        .bucket_ns = bucket, .on_damage = damage_cb, .display_path = path != file ? file : NULL};
    struct pfa_ch_load_result lr;
    char err[1024];
    int rc = pfa_ch_load_file(ch, path, &o, &lr, err, sizeof err);
    if (rc) {
        print_error(g_cmd, err);
        return rc == PFA_E_CH || rc == PFA_E_BUCKET || rc == PFA_E_PARAM ? EXIT_DATA : EXIT_USAGE;
    }
    if (quiet)
        return EXIT_OK;
    print_escaped_z(stdout, file);
    if (lr.already)
        printf(": already in clickhouse %s/%s, skipped\n", pfa_ch_name(ch), t->database);
    else
        printf(": %llu rows into clickhouse %s/%s%s\n", (unsigned long long)lr.rows, pfa_ch_name(ch), t->database,
               lr.resumed ? " (rows of an interrupted load removed first)" : "");
    fflush(stdout);
    return EXIT_OK;
}

/* One capture file into the store: it is ingested alone into a private
 * temporary SQLite database (the same ingest, so the same rows), then copied
 * exactly once. Alone: in the store every file's rows stand on their own,
 * whether files come in one batch or one by one (--follow), so a process or
 * connection that continues into the next file of a rotated series is a row
 * of each file there. Returns an exit status. */
static int ship_file(pfa_ch *ch, const struct pfa_ch_target *t, char *file, uint64_t bucket, int quiet)
{
    char err[1024], path[4096];
    if (!g_ship_via_sqlite)
        return ship_direct(ch, t, file, bucket, quiet);
    if (temp_db_path(path, sizeof path))
        return EXIT_DATA;
    sqlite3 *db;
    if (pfa_db_open(&db, path, 1, 0, err, sizeof err)) {
        fprintf(stderr, "%s: temporary database: %s\n", g_cmd, err);
        pfa_guard_remove_temp();
        return EXIT_DATA;
    }
    /* a scratch copy: no waiting for the disk (it is thrown away on a crash) */
    pfa_db_exec(db, "PRAGMA synchronous=OFF", err, sizeof err);
    int ret = do_ingest(db, &file, 1, bucket, 1, 0);
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(db, "SELECT capture_id, coalesce(path, uuid) FROM captures ORDER BY capture_id", -1, &st,
                           NULL) != SQLITE_OK) {
        snprintf(err, sizeof err, "%s", sqlite3_errmsg(db));
        rc = PFA_E_SQL;
    }
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        struct pfa_ch_load_result lr;
        const char *name = (const char *)sqlite3_column_text(st, 1);
        rc = pfa_ch_load_capture(ch, db, sqlite3_column_int64(st, 0), &lr, err, sizeof err);
        if (rc || quiet)
            continue;
        print_escaped_z(stdout, name ? name : "?");
        if (lr.already)
            printf(": already in clickhouse %s/%s, skipped\n", pfa_ch_name(ch), t->database);
        else
            printf(": %llu rows into clickhouse %s/%s%s\n", (unsigned long long)lr.rows, pfa_ch_name(ch), t->database,
                   lr.resumed ? " (rows of an interrupted load removed first)" : "");
        fflush(stdout);
    }
    sqlite3_finalize(st);
    if (rc) {
        print_error(g_cmd, err);
        ret = EXIT_DATA;
    }
    pfa_db_close(db);
    pfa_guard_remove_temp();
    return ret;
}

static volatile sig_atomic_t ship_stop;

static void ship_signal(int sig)
{
    (void)sig;
    ship_stop = 1;
}

/* ingest --follow DIR --to clickhouse://: ships every closed capture
 * (*.pfcap; a recorder's .partial file is still being written) of DIR, in
 * name order, as it appears, until SIGINT/SIGTERM. A file is shipped once
 * per size and time of change; the store itself skips captures it has. A
 * file that could not be shipped is tried again (the exit status then says
 * that some file failed at least once). */
static int ship_follow(pfa_ch *ch, const struct pfa_ch_target *t, const char *dir, uint64_t bucket, int quiet)
{
    struct pfa_seen_list seen = {0};
    int ret = EXIT_OK;
    signal(SIGINT, ship_signal);
    signal(SIGTERM, ship_signal);
    while (!ship_stop) {
        int failed = 0;
        char **names;
        size_t n;
        if (pfa_capture_list(dir, 0, &names, &n) < 0) {
            fprintf(stderr, "%s: --follow: ", g_cmd);
            print_escaped_z(stderr, dir);
            fprintf(stderr, ": %s\n", strerror(errno));
            ret = EXIT_USAGE;
            break;
        }
        for (size_t i = 0; i < n && !ship_stop; i++) {
            struct stat sb;
            if (stat(names[i], &sb) || !S_ISREG(sb.st_mode))
                continue;
            int64_t mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
            struct pfa_seen *s = pfa_seen_lookup(&seen, names[i], 0);
            if (s && s->size == (int64_t)sb.st_size && s->mtime_ns == mtime_ns)
                continue;
            if (ship_file(ch, t, names[i], bucket, quiet) != EXIT_OK) {
                /* the store is down or refused: this file and the rest are
                 * tried again at the next look, after a pause */
                ret = EXIT_DATA;
                failed = 1;
                break;
            }
            /* (out of memory: shipped again next time, which the store skips) */
            if (s || (s = pfa_seen_lookup(&seen, names[i], 1)) != NULL) {
                s->size = (int64_t)sb.st_size;
                s->mtime_ns = mtime_ns;
            }
        }
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        free(names);
        /* a look every second; 30 s after a failure */
        for (int w = 0; w < (failed ? 300 : 10) && !ship_stop; w++) {
            struct timespec ts = {0, 100000000};
            nanosleep(&ts, NULL);
        }
    }
    pfa_seen_free(&seen);
    return ret;
}

/* ingest --to clickhouse://: the captures into the store, each exactly
 * once (or, with --follow DIR, every closed capture of DIR as it appears). */
static int ingest_to_clickhouse(const char *url, const char *password_file, char **files, int nfiles, uint64_t bucket,
                                int quiet, int follow)
{
    char err[1024];
    struct pfa_ch_target t;
    if (pfa_ch_parse_url(url, password_file, &t, err, sizeof err)) {
        fprintf(stderr, "%s: --to: %s\n", g_cmd, err);
        return EXIT_USAGE;
    }
    pfa_ch *ch = NULL;
    int rc = pfa_ch_open(&ch, &t, err, sizeof err);
    if (!rc)
        rc = pfa_ch_create_schema(ch, err, sizeof err);
    if (rc) {
        print_error(g_cmd, err);
        pfa_ch_close(ch);
        return EXIT_DATA;
    }
    int ret = EXIT_OK;
    if (follow) {
        ret = ship_follow(ch, &t, files[0], bucket, quiet);
    } else {
        for (int i = 0; i < nfiles; i++) {
            int r = ship_file(ch, &t, files[i], bucket, quiet);
            if (r != EXIT_OK)
                ret = r;
        }
    }
    pfa_ch_close(ch);
    memset(t.password, 0, sizeof t.password);
    return ret;
}
#endif

static const char retain_usage[] =
    "usage: procflow-analyze retain -d clickhouse://... --older-than D [--ttl] [--password-file FILE]\n"
    "       procflow-analyze retain -d clickhouse://... --before TIME\n"
    "Removes from a ClickHouse store every capture that ended before the cutoff, whole (readers\n"
    "never see part of one): day partitions holding only such captures are dropped, other rows of\n"
    "them deleted. An interrupted run is finished by the next one. Run it from a daily timer.\n"
    "  -d, --db URL          the store (as for ingest --to; a cluster: every shard)\n"
    "      --older-than D    cutoff: now minus D (like 30d, 12h)\n"
    "      --before TIME     cutoff: this time (ISO-8601, UTC unless a zone is given)\n"
    "      --ttl             also give the tables a TTL of --older-than (whole days), on servers\n"
    "                        that have TTL (20.3 and newer; 18.16 is refused)\n"
    "      --password-file FILE  the password (chmod 600); else from the URL or PROCFLOW_CH_PASSWORD\n"
    "  -h, --help            this text\n"
    "\n" EXIT_TABLE;

/* retain: whole captures older than a cutoff out of a ClickHouse store */
static int cmd_retain(int argc, char **argv)
{
    static const struct option lo[] = {{"db", required_argument, 0, 'd'},
                                       {"older-than", required_argument, 0, OPT_OLDER_THAN},
                                       {"before", required_argument, 0, OPT_BEFORE},
                                       {"ttl", no_argument, 0, OPT_TTL},
                                       {"password-file", required_argument, 0, OPT_PASSWORD_FILE},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    const char *url = NULL, *password_file = NULL, *older = NULL, *before = NULL;
    int ttl = 0, c;
    while ((c = next_opt(argc, argv, ":d:h", lo)) != -1) {
        switch (c) {
        case 'd': url = optarg; break;
        case OPT_OLDER_THAN: older = optarg; break;
        case OPT_BEFORE: before = optarg; break;
        case OPT_TTL: ttl = 1; break;
        case OPT_PASSWORD_FILE: password_file = optarg; break;
        case 'h': fputs(retain_usage, stdout); return finish_stdout(EXIT_OK);
        default: return EXIT_USAGE;
        }
    }
    if (!url || strncmp(url, "clickhouse://", 13) != 0 || optind != argc || !older == !before || (ttl && !older)) {
        fprintf(stderr, "%s: -d clickhouse://... and one of --older-than or --before (--ttl with --older-than)\n",
                g_cmd);
        return usage_error(retain_usage);
    }
    int64_t cutoff = 0, age = 0;
    char err[1024];
    if (older && (pfa_parse_duration(older, &age) || age <= 0))
        return bad_value("--older-than", older, "a duration (like 30d)");
    if (older) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        cutoff = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec - age;
    } else if (pfa_parse_time_why(before, 0, 1, &cutoff, err, sizeof err)) {
        fprintf(stderr, "%s: --before: ", g_cmd);
        print_escaped_z(stderr, err);
        fputc('\n', stderr);
        return EXIT_USAGE;
    }
#if defined(PFA_HAVE_CLICKHOUSE)
    struct pfa_ch_target t;
    if (pfa_ch_parse_url(url, password_file, &t, err, sizeof err)) {
        fprintf(stderr, "%s: -d: %s\n", g_cmd, err);
        return EXIT_USAGE;
    }
    pfa_ch *ch = NULL;
    struct pfa_ch_retain_result res;
    int rc = pfa_ch_open(&ch, &t, err, sizeof err);
    long days = (long)((age + 86400000000000LL - 1) / 86400000000000LL);
    if (!rc && ttl) /* first, so that an old server is refused before anything is removed */
        rc = pfa_ch_set_ttl(ch, days, err, sizeof err);
    if (!rc)
        rc = pfa_ch_retain(ch, cutoff, &res, err, sizeof err);
    if (!rc) {
        char when[64];
        pfa_format_time(when, sizeof when, cutoff, 1);
        printf("retain: %llu captures ended before %s removed from clickhouse %s/%s (%llu day partitions dropped, "
               "%llu rows deleted)%s\n",
               (unsigned long long)res.captures, when, pfa_ch_name(ch), t.database,
               (unsigned long long)res.partitions_dropped, (unsigned long long)res.rows_deleted,
               ttl ? "; table TTL set" : "");
    }
    pfa_ch_close(ch);
    memset(t.password, 0, sizeof t.password);
    if (rc) {
        print_error(g_cmd, err);
        return rc == PFA_E_PARAM ? EXIT_USAGE : EXIT_DATA;
    }
    return finish_stdout(EXIT_OK);
#else
    (void)password_file;
    fprintf(stderr, "%s: this build has no ClickHouse support (libcurl was missing)\n", g_cmd);
    return EXIT_USAGE;
#endif
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
    fprintf(stderr, ": capture %lld: %llu records%s\n", (long long)res->capture_id, (unsigned long long)res->records,
            res->extended ? " (replaces the shorter version)" : "");
}

static int follow_ingest(sqlite3 *db, const char *target, uint64_t bucket, int quiet)
{
    signal(SIGINT, follow_signal);
    signal(SIGTERM, follow_signal);
    struct pfa_follow_options fo = {
        .bucket_ns = bucket, .stop = &follow_stop, .on_file = follow_file_cb, .ctx = &quiet};
    char err[512];
    int rc = pfa_follow(db, target, &fo, err, sizeof err);
    if (rc) {
        print_error("procflow-analyze ingest --follow", err);
        return 1;
    }
    return 0;
}

static int cmd_ingest(int argc, char **argv)
{
    static const struct option lo[] = {{"db", required_argument, 0, 'd'},
                                       {"bucket", required_argument, 0, OPT_BUCKET},
                                       {"replace", no_argument, 0, OPT_REPLACE},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"to", required_argument, 0, OPT_TO},
                                       {"password-file", required_argument, 0, OPT_PASSWORD_FILE},
                                       {"follow", no_argument, 0, OPT_FOLLOW},
                                       {"via-sqlite", no_argument, 0, OPT_VIA_SQLITE},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    const char *dbpath = NULL, *to = NULL, *password_file = NULL;
    uint64_t bucket = 0;
    int quiet = 0, replace = 0, follow = 0, c;
    while ((c = next_opt(argc, argv, ":d:qh", lo)) != -1) {
        switch (c) {
        case 'd': dbpath = optarg; break;
        case OPT_TO: to = optarg; break;
        case OPT_PASSWORD_FILE: password_file = optarg; break;
        case OPT_FOLLOW: follow = 1; break;
        case OPT_VIA_SQLITE:
#if defined(PFA_HAVE_CLICKHOUSE)
            g_ship_via_sqlite = 1;
#endif
            break;
        case OPT_BUCKET:
            if (parse_bucket(optarg, &bucket))
                return EXIT_USAGE;
            break;
        case 'q': quiet = 1; break;
        case OPT_REPLACE: replace = 1; break;
        case 'h': fputs(ingest_usage, stdout); return finish_stdout(EXIT_OK);
        default: return EXIT_USAGE;
        }
    }
    if (follow && (replace || argc - optind != 1)) {
        fprintf(stderr, "%s: --follow takes one FILE or DIR and -d DB, or one DIR and --to URL (no --replace)\n",
                g_cmd);
        return usage_error(ingest_usage);
    }
    if (to) {
        if (dbpath) {
            fprintf(stderr, "%s: give either -d DB or --to URL\n", g_cmd);
            return usage_error(ingest_usage);
        }
        if (strncmp(to, "clickhouse://", 13) != 0)
            return bad_value("--to", to, "a clickhouse:// address");
        if (optind >= argc) {
            fprintf(stderr, "%s: no capture given\n", g_cmd);
            return usage_error(ingest_usage);
        }
#if defined(PFA_HAVE_CLICKHOUSE)
        return ingest_to_clickhouse(to, password_file, argv + optind, argc - optind, bucket, quiet, follow);
#else
        fprintf(stderr, "%s: this build has no ClickHouse support (it needs libcurl)\n", g_cmd);
        return EXIT_USAGE;
#endif
    }
    if (password_file) {
        fprintf(stderr, "%s: --password-file goes with --to\n", g_cmd);
        return usage_error(ingest_usage);
    }
    if (!dbpath || optind >= argc) {
        fprintf(stderr, "%s: %s\n", g_cmd, !dbpath ? "-d DB is required" : "no capture given");
        return usage_error(ingest_usage);
    }
    char **files = argv + optind;
    int nfiles = argc - optind;
    /* --follow waits for what is not there yet */
    int unreadable = follow ? 0 : keep_readable(files, &nfiles);
    if (!nfiles)
        return EXIT_USAGE; /* nothing to ingest: create no database */
    sqlite3 *db;
    char err[512];
    if (pfa_db_open(&db, dbpath, 1, 0, err, sizeof err)) {
        print_error("procflow-analyze", err);
        return EXIT_USAGE;
    }
    int rc = follow ? follow_ingest(db, files[0], bucket, quiet) : do_ingest(db, files, nfiles, bucket, quiet, replace);
    pfa_db_close(db);
    return rc ? rc : unreadable ? EXIT_DATA : EXIT_OK;
}

/* ------------------------------------------------------------ report / query */

struct runopts {
    const char *dbpath;
    struct pfa_kv kv[32];
    size_t nkv;
    struct pfa_output_options out;
    uint64_t bucket;
    int no_pager;
    char **pos;
    int npos;
};

static int parse_format(const char *f, int *out)
{
    static const char *const names[] = {"table", "csv", "json", "line"};
    static const int values[] = {PFA_FMT_TABLE, PFA_FMT_CSV, PFA_FMT_JSON, PFA_FMT_LINE};
    for (size_t i = 0; i < 4; i++)
        if (!strcmp(f, names[i])) {
            *out = values[i];
            return 0;
        }
    return bad_value("--format", f, "a format (table, line, csv or json)");
}

/* Adds KEY=VALUE to the report's parameters; -1 after saying there are too
 * many (`what`: what the message counts). */
static int add_param(struct runopts *o, const char *key, const char *value, const char *what)
{
    if (o->nkv == sizeof o->kv / sizeof o->kv[0]) {
        fprintf(stderr, "%s: too many %s\n", g_cmd, what);
        return -1;
    }
    o->kv[o->nkv].key = key;
    o->kv[o->nkv].value = value;
    o->nkv++;
    return 0;
}

/* Returns 0, or the exit status after --help (0) or a usage error (2). */
static int parse_run_opts(int argc, char **argv, struct runopts *o, const char *help)
{
    static const struct option lo[] = {{"db", required_argument, 0, 'd'},
                                       {"param", required_argument, 0, 'p'},
                                       {"format", required_argument, 0, 'f'},
                                       {"csv", no_argument, 0, OPT_CSV},
                                       {"json", no_argument, 0, OPT_JSON},
                                       {"utc", no_argument, 0, OPT_UTC},
                                       {"raw", no_argument, 0, OPT_RAW},
                                       {"no-pager", no_argument, 0, OPT_NO_PAGER},
                                       {"bucket", required_argument, 0, OPT_BUCKET},
                                       {"help", no_argument, 0, 'h'},
                                       {"from", required_argument, 0, OPT_FROM},
                                       {"to", required_argument, 0, OPT_TO},
                                       {"host", required_argument, 0, OPT_HOST},
                                       {0, 0, 0, 0}};
    int c;
    while ((c = next_opt(argc, argv, ":d:p:f:h", lo)) != -1) {
        switch (c) {
        case 'd': o->dbpath = optarg; break;
        case OPT_FROM:
        case OPT_TO:
        case OPT_HOST:
            /* shorthands for --param from= / to= / host= (every report has them) */
            if (add_param(o, c == OPT_FROM ? "from" : c == OPT_TO ? "to" : "host", optarg, "parameters"))
                return EXIT_USAGE;
            break;
        case 'p': {
            char *kv = optarg;
            char *eq = strchr(kv, '=');
            if (!eq || eq == kv)
                return bad_value("--param", kv, "KEY=VALUE");
            if (add_param(o, kv, eq + 1, "--param options"))
                return EXIT_USAGE;
            *eq = 0;
            break;
        }
        case 'f':
            if (parse_format(optarg, &o->out.format))
                return EXIT_USAGE;
            break;
        case OPT_CSV: o->out.format = PFA_FMT_CSV; break;
        case OPT_JSON: o->out.format = PFA_FMT_JSON; break;
        case OPT_UTC: o->out.utc = 1; break;
        case OPT_RAW: o->out.raw = 1; break;
        case OPT_NO_PAGER: o->no_pager = 1; break;
        case OPT_BUCKET:
            if (parse_bucket(optarg, &o->bucket))
                return EXIT_USAGE;
            break;
        case 'h': fputs(help, stdout); return -1;
        default: return EXIT_USAGE;
        }
    }
    o->pos = argv + optind;
    o->npos = argc - optind;
    return 0;
}

static void list_reports(FILE *out)
{
    const struct pfa_report *list;
    size_t n = pfa_reports(&list);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%-14s %s\n", list[i].name, list[i].description);
        for (size_t k = 0; k < list[i].nparams; k++) {
            const struct pfa_param *p = &list[i].params[k];
            static const char *tn[] = {"text", "int", "time", "duration", "addr", "port", "", "text (repeatable)"};
            char def[160] = "";
            if (p->defval[0])
                snprintf(def, sizeof def, " (default %s)", p->defval);
            fprintf(out, "%17s--param %s=%s%s%s  %s\n", "", p->name, p->type == PFA_P_CHOICE ? p->choices : tn[p->type],
                    p->required ? " (required)" : "", def, p->help);
        }
    }
}

static int print_from_db(sqlite3 *db, const char *dbpath, const char *sql, const struct pfa_report *rep,
                         const struct pfa_kv *kv, size_t nkv, struct runopts *o);

static int run_on_db(const char *dbpath, const char *sql, const struct pfa_report *rep, struct runopts *o)
{
    sqlite3 *db;
    char err[512];
    if (pfa_db_open(&db, dbpath, 0, 1, err, sizeof err)) {
        print_error("procflow-analyze", err);
        return EXIT_USAGE;
    }
    return print_from_db(db, dbpath, sql, rep, o->kv, o->nkv, o);
}

#if defined(PFA_HAVE_CLICKHOUSE)
static int open_store_copy(const char *url, sqlite3 **db);

/* report / query --db clickhouse://: the ClickHouse-dialect statement runs
 * there, its result comes back in an in-memory database and is printed by
 * the same code as a SQLite report (same columns, same forms). */
static int run_on_clickhouse(const char *url, const char *sql, const struct pfa_report *rep, struct runopts *o)
{
    char err[1024];
    struct pfa_ch_target t;
    if (pfa_ch_parse_url(url, NULL, &t, err, sizeof err)) {
        fprintf(stderr, "%s: --db: %s\n", g_cmd, err);
        return EXIT_USAGE;
    }
    if (rep && !(sql = pfa_ch_report_sql(rep->name))) {
        /* no dialect copy (conversations: its matching table is computed
         * across captures at ingest): the SQLite report on a local copy */
        sqlite3 *copy = NULL;
        int crc = open_store_copy(url, &copy);
        if (crc)
            return crc;
        char label[600];
        snprintf(label, sizeof label, "clickhouse %s:%u/%s (local copy)", t.host[0], t.port[0], t.database);
        memset(t.password, 0, sizeof t.password);
        crc = print_from_db(copy, label, rep->sql, rep, o->kv, o->nkv, o);
        pfa_guard_remove_temp();
        return crc;
    }
    pfa_ch *ch = NULL;
    sqlite3 *mem = NULL;
    struct pfa_buf select = {0};
    int rc = pfa_ch_open(&ch, &t, err, sizeof err);
    if (!rc)
        rc = pfa_ch_fetch(ch, sql, rep, o->kv, o->nkv, o->out.utc, &mem, &select, err, sizeof err);
    char label[600];
    snprintf(label, sizeof label, "clickhouse %s/%s", ch ? pfa_ch_name(ch) : "?", t.database);
    pfa_ch_close(ch);
    memset(t.password, 0, sizeof t.password);
    if (rc) {
        sqlite3_close(mem);
        pfa_buf_free(&select);
        fprintf(stderr, "procflow-analyze: ");
        if (rc != PFA_E_CH && rc != PFA_E_PARAM) {
            print_escaped_z(stderr, label);
            fputs(": ", stderr);
        }
        print_escaped_z(stderr, err);
        fputc('\n', stderr);
        /* bad parameters, and ad-hoc SQL the server refuses, are the user's to fix */
        return rc == PFA_E_PARAM || rc == PFA_E_DENIED ||
                       (!rep && rc == PFA_E_CH && !strstr(err, "HTTP 5") && strstr(err, "HTTP "))
                   ? EXIT_USAGE
                   : EXIT_DATA;
    }
    int ret = print_from_db(mem, label, select.p, NULL, NULL, 0, o);
    pfa_buf_free(&select);
    return ret;
}
#endif

/* report / query on a clickhouse:// store */
static int run_on_store(const char *url, const char *sql, const struct pfa_report *rep, struct runopts *o)
{
#if defined(PFA_HAVE_CLICKHOUSE)
    return run_on_clickhouse(url, sql, rep, o);
#else
    (void)url;
    (void)sql;
    (void)rep;
    (void)o;
    fprintf(stderr, "%s: this build has no ClickHouse support (it needs libcurl)\n", g_cmd);
    return EXIT_USAGE;
#endif
}

/* Prints the result of `sql` on `db` and closes db. */
static int print_from_db(sqlite3 *db, const char *dbpath, const char *sql, const struct pfa_report *rep,
                         const struct pfa_kv *kv, size_t nkv, struct runopts *o)
{
    char err[512];
    struct term t;
    if (term_size(&t) && o->out.format == PFA_FMT_TABLE) {
        o->out.width = t.cols;
        o->out.sample_rows = t.rows > 12 ? t.rows - 3 : 10;
    }
    FILE *out = table_out(&t, o->no_pager, o->out.format);
    int rc = pfa_run_sql(db, sql, rep, kv, nkv, &o->out, out, err, sizeof err);
    pfa_db_close(db);
    int ret = EXIT_OK;
    if (rc == PFA_E_WRITE) {
#if !defined(_WIN32)
        if (out != stdout && g_pager.quit)
            return table_out_close(out, EXIT_OK);
#endif
        fprintf(stderr, "%s: standard output: ", g_cmd);
        print_escaped_z(stderr, err);
        fputc('\n', stderr);
        ret = EXIT_DATA;
    } else if (rc) {
        fprintf(stderr, "procflow-analyze: ");
        if (rc == PFA_E_SQL || rc == PFA_E_DENIED || (!rep && rc == PFA_E_PARAM)) { /* say which database */
            print_escaped_z(stderr, dbpath);
            fputs(": ", stderr);
        }
        print_escaped_z(stderr, err);
        fputc('\n', stderr);
        /* bad parameters and SQL that does not compile or is refused are usage errors */
        ret = rc == PFA_E_PARAM || rc == PFA_E_DENIED ? EXIT_USAGE : EXIT_DATA;
    }
    ret = table_out_close(out, ret);
    return ret;
}

static int cmd_report(int argc, char **argv)
{
    struct runopts o;
    memset(&o, 0, sizeof o);
    int ret = parse_run_opts(argc, argv, &o, report_usage);
    if (ret)
        return ret < 0 ? finish_stdout(EXIT_OK) : ret;
    if (!o.npos) {
        list_reports(stdout);
        return finish_stdout(EXIT_OK);
    }
    const struct pfa_report *rep = pfa_report_find(o.pos[0]);
    if (!rep) {
        fprintf(stderr, "procflow-analyze: no report named '");
        print_escaped_z(stderr, o.pos[0]);
        fprintf(stderr, "'; 'procflow-analyze report' lists them\n");
        return EXIT_USAGE;
    }
    if (o.npos > 1 && !o.dbpath) {
        /* one shot: ingest into a temporary database, removed on every
         * way out (signals included: guard.h) */
        int ninputs = o.npos - 1;
        int unreadable = keep_readable(o.pos + 1, &ninputs);
        if (!ninputs)
            return EXIT_USAGE; /* nothing readable: no temporary database either */
        o.npos = ninputs + 1;
        char path[4096];
        if (temp_db_path(path, sizeof path))
            return EXIT_DATA;
        sqlite3 *db;
        char err[512];
        if (pfa_db_open(&db, path, 1, 0, err, sizeof err)) {
            fprintf(stderr, "procflow-analyze: %s\n", err);
            pfa_guard_remove_temp();
            return EXIT_DATA;
        }
        /* a scratch copy: no waiting for the disk (it is thrown away on a crash) */
        pfa_db_exec(db, "PRAGMA synchronous=OFF", NULL, 0);
        int irc = ingest_for(db, o.pos + 1, o.npos - 1, o.bucket, 1, 0, rep->sql);
        pfa_db_close(db);
        ret = irc ? irc : unreadable ? EXIT_DATA : run_on_db(path, rep->sql, rep, &o);
        pfa_guard_remove_temp();
        return finish_stdout(ret);
    }
    if (!o.dbpath || o.npos != 1) {
        fprintf(stderr, "%s: %s\n", g_cmd, !o.dbpath ? "-d DB (or a capture) is required" : "one report name only");
        return usage_error(report_usage);
    }
    if (!strncmp(o.dbpath, "clickhouse://", 13))
        return finish_stdout(run_on_store(o.dbpath, rep->sql, rep, &o));
    return finish_stdout(run_on_db(o.dbpath, rep->sql, rep, &o));
}

/* SQL text from standard input (query without an SQL argument). */
static char *read_stdin_sql(void)
{
    struct pfa_buf b = {0};
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        if (b.len + n > (64u << 20)) {
            fprintf(stderr, "%s: SQL on standard input is longer than 64 MiB\n", g_cmd);
            pfa_buf_free(&b);
            return NULL;
        }
        pfa_buf_put(&b, buf, n);
    }
    if (ferror(stdin)) {
        fprintf(stderr, "%s: standard input: read error: %s\n", g_cmd, strerror(errno));
        pfa_buf_free(&b);
        return NULL;
    }
    pfa_buf_put(&b, "", 1);
    return b.p;
}

static int cmd_query(int argc, char **argv)
{
    struct runopts o;
    memset(&o, 0, sizeof o);
    int ret = parse_run_opts(argc, argv, &o, query_usage);
    if (ret)
        return ret < 0 ? finish_stdout(EXIT_OK) : ret;
    if (!o.dbpath || o.npos > 1) {
        fprintf(stderr, "%s: %s\n", g_cmd, !o.dbpath ? "-d DB is required" : "give the SQL as one argument");
        return usage_error(query_usage);
    }
    char *sql = NULL;
    if (!o.npos || !strcmp(o.pos[0], "-")) {
        if (isatty(0))
            fprintf(stderr, "%s: reading SQL from standard input (end it with Ctrl-D)\n", g_cmd);
        if (!(sql = read_stdin_sql()))
            return EXIT_USAGE;
    }
    o.out.read_only = 1;
    ret = !strncmp(o.dbpath, "clickhouse://", 13) ? run_on_store(o.dbpath, sql ? sql : o.pos[0], NULL, &o)
                                                  : run_on_db(o.dbpath, sql ? sql : o.pos[0], NULL, &o);
    free(sql);
    return finish_stdout(ret);
}

/* ------------------------------------------------------------ info / verify */

struct damage_list {
    const char *path;
    int print; /* verify prints each line as it comes */
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
    uint64_t without_events_ns; /* source-down spans: nothing was recorded */
    int any;
};

/* Opens a capture; "-" and pipes are read through a spool file. */
static int open_input(pfa_source **s, const char *path, const struct pf_reader_options *ro)
{
    const char *p = input_path(path);
    if (!p) {
        *s = NULL;
        return PF_E_IO;
    }
    return pfa_source_open(s, p, ro);
}

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
            if (r.u.loss.source == PF_LOSS_SOURCE_DOWN && r.u.loss.since_ns && r.ts_ns > r.u.loss.since_ns)
                sc->without_events_ns += r.ts_ns - r.u.loss.since_ns;
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
    int rc = open_input(&s, path, &ro);
    if (rc < 0) {
        char why[256];
        print_escaped_z(stderr, path);
        fprintf(stderr, ": %s\n", pfa_source_open_error(rc, why, sizeof why));
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
        /* One definition of a capture's span, the same as ingest's
         * started_ns..ended_ns (report summary): from the recording start
         * (header start time, or the first record when earlier) to the last
         * record. Hostile files can put the two ends 2^64 ns apart. */
        int64_t start = fi->start_utc_ns && fi->start_utc_ns < sc.first ? fi->start_utc_ns : sc.first;
        int64_t span = sc.last <= start ? 0 : (start < 0 && sc.last > INT64_MAX + start) ? INT64_MAX : sc.last - start;
        pfa_format_duration(t, sizeof t, span);
        printf("Span:              %s\n", t);
    }
    printf("%s%llu intact, %llu damaged\n",
           pfa_source_is_etl(s) ? "Buffers:           " : "Chunks:            ", (unsigned long long)st.chunks_ok,
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
    printf("\nWithout events:    %.3f s\n", (double)sc.without_events_ns / 1e9);
    printf("Skipped bytes:     %llu\n", (unsigned long long)st.bytes_skipped);
    if (dl.count)
        printf("Damage:            %llu region(s) (verify lists them)\n", (unsigned long long)dl.count);
    printf("Clean close:       %s\n", st.clean_close ? "yes" : "no (recording did not finish, or file cut)");
    /* the same words as the summary report's completeness column */
    const char *gaps[] = {st.clean_close ? NULL : "not closed (no footer)", st.chunks_damaged ? "damaged" : NULL,
                          sc.lost ? "events lost" : NULL, sc.without_events_ns ? "time without events" : NULL};
    int said = 0;
    printf("Completeness:      ");
    for (size_t i = 0; i < sizeof gaps / sizeof gaps[0]; i++)
        if (gaps[i])
            printf("%s%s", said++ ? ", " : "", gaps[i]);
    printf("%s\n", said ? "" : "complete");
    printf("Index:             %s\n", st.has_index ? "yes" : "no");
    pfa_source_close(s);
    if (n < 0) {
        print_escaped_z(stderr, path);
        fprintf(stderr, ": reading stopped: %s\n", pfa_strerror(n));
        return 1;
    }
    return dl.count || st.chunks_damaged ? 1 : 0; /* damage found: a data problem */
}

static void json_str(FILE *f, const char *key, const char *v)
{
    struct pfa_buf b = {0};
    pfa_escape_json(&b, v ? v : "", v ? strlen(v) : 0);
    fprintf(f, "  \"%s\": \"%s\",\n", key, b.p ? b.p : "");
    pfa_buf_free(&b);
}

static void json_time_field(FILE *f, const char *key, int64_t ns)
{
    struct pfa_buf b = {0};
    pfa_json_time(&b, ns);
    fprintf(f, "  \"%s_ns\": %lld,\n  \"%s_time\": %s,\n", key, (long long)ns, key, b.p ? b.p : "null");
    pfa_buf_free(&b);
}

/* info --format json: the facts of the text form, machine-readable (like
 * capinfos -T). Returns the exit status of the file. */
static int info_json_one(const char *path, int first)
{
    struct damage_list dl = {.path = path};
    struct pf_reader_options ro = {.on_damage = verify_damage, .ctx = &dl};
    pfa_source *s;
    int rc = open_input(&s, path, &ro);
    if (rc < 0) {
        print_escaped_z(stderr, path);
        fprintf(stderr, ": %s\n", pfa_strerror(rc));
        return EXIT_USAGE;
    }
    const struct pf_file_info *fi = pfa_source_info(s);
    struct scan sc;
    int n = scan_file(s, &sc);
    struct pf_reader_stats st;
    pfa_source_stats(s, &st);
    char u[37];
    fputs(first ? "{\n" : ",\n{\n", stdout);
    json_str(stdout, "file", path);
    json_str(stdout, "format", pfa_source_is_etl(s) ? "etl" : "pfcap");
    printf("  \"version\": \"%u.%u\",\n", fi->major, fi->minor);
    pf_uuid_format(fi->uuid, u);
    json_str(stdout, "uuid", u);
    pf_uuid_format(fi->series_uuid, u);
    json_str(stdout, "series_uuid", u);
    printf("  \"file_seq\": %u,\n", fi->file_seq);
    json_str(stdout, "host", fi->hostname);
    json_str(stdout, "os", fi->os);
    json_str(stdout, "os_release", fi->os_release);
    json_str(stdout, "recorder", fi->recorder);
    json_str(stdout, "comment", fi->comment);
    if (fi->redaction)
        json_str(stdout, "redaction", fi->redaction);
    json_str(stdout, "clock", clock_name(fi->clock_id));
    if (fi->start_utc_ns)
        json_time_field(stdout, "started", fi->start_utc_ns);
    if (sc.any) {
        json_time_field(stdout, "first_record", sc.first);
        json_time_field(stdout, "last_record", sc.last);
        int64_t span = (sc.first < 0 && sc.last > INT64_MAX + sc.first) ? INT64_MAX : sc.last - sc.first;
        printf("  \"span_dur_ns\": %lld,\n", (long long)span);
    }
    printf("  \"chunks_intact\": %llu,\n  \"chunks_damaged\": %llu,\n", (unsigned long long)st.chunks_ok,
           (unsigned long long)st.chunks_damaged);
    printf("  \"records\": %llu,\n  \"records_by_type\": {", (unsigned long long)st.records);
    int any = 0;
    for (unsigned i = 1; i <= PF_REC_TYPE_MAX_KNOWN; i++)
        if (sc.by_type[i])
            printf("%s\"%s\": %llu", any++ ? ", " : "", pf_record_type_name(i), (unsigned long long)sc.by_type[i]);
    printf("},\n  \"records_unknown\": %llu,\n", (unsigned long long)st.records_unknown);
    printf("  \"file_bytes\": %llu,\n", (unsigned long long)st.file_bytes);
    if (!pfa_source_is_etl(s))
        printf("  \"compressed_bytes\": %llu,\n  \"uncompressed_bytes\": %llu,\n", (unsigned long long)st.chunk_bytes,
               (unsigned long long)st.raw_bytes);
    printf("  \"events_lost\": %llu,\n  \"events_lost_by_source\": {", (unsigned long long)sc.lost);
    any = 0;
    for (unsigned i = 1; i < 8; i++)
        if (sc.lost_by_source[i])
            printf("%s\"%s\": %llu", any++ ? ", " : "", pf_loss_source_name(i),
                   (unsigned long long)sc.lost_by_source[i]);
    printf("},\n  \"without_events_dur_ns\": %llu,\n", (unsigned long long)sc.without_events_ns);
    printf("  \"skipped_bytes\": %llu,\n", (unsigned long long)st.bytes_skipped);
    printf("  \"clean_close\": %s,\n  \"has_index\": %s,\n", st.clean_close ? "true" : "false",
           st.has_index ? "true" : "false");
    printf("  \"read_error\": ");
    if (n < 0) {
        struct pfa_buf b = {0};
        const char *e = pfa_strerror(n);
        pfa_escape_json(&b, e, strlen(e));
        printf("\"%s\"\n}", b.p ? b.p : "");
        pfa_buf_free(&b);
    } else {
        printf("null\n}");
    }
    pfa_source_close(s);
    return n < 0 || dl.count || st.chunks_damaged ? EXIT_DATA : EXIT_OK;
}

static int cmd_info(int argc, char **argv)
{
    static const struct option lo[] = {{"utc", no_argument, 0, OPT_UTC},
                                       {"format", required_argument, 0, 'f'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    int utc = 0, json = 0, ret = EXIT_OK, c;
    while ((c = next_opt(argc, argv, ":f:h", lo)) != -1) {
        switch (c) {
        case OPT_UTC: utc = 1; break;
        case 'f':
            if (!strcmp(optarg, "json"))
                json = 1;
            else if (strcmp(optarg, "text"))
                return bad_value("--format", optarg, "a format of info (text or json)");
            break;
        case 'h': fputs(info_usage, stdout); return finish_stdout(EXIT_OK);
        default: return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "%s: no capture given\n", g_cmd);
        return usage_error(info_usage);
    }
    if (json)
        fputs("[\n", stdout);
    for (int i = optind; i < argc; i++) {
        if (!json && i > optind)
            printf("\n");
        int rc = json ? info_json_one(argv[i], i == optind) : info_one(argv[i], utc);
        if (rc > ret)
            ret = rc;
    }
    if (json)
        fputs("\n]\n", stdout);
    return finish_stdout(ret);
}

static int verify_one(const char *path)
{
    struct damage_list dl = {.path = path, .print = 1};
    struct pf_reader_options ro = {.on_damage = verify_damage, .ctx = &dl};
    pfa_source *s;
    int rc = open_input(&s, path, &ro);
    if (rc < 0) {
        char why[256];
        print_escaped_z(stdout, path);
        printf(": %s\n", pfa_source_open_error(rc, why, sizeof why));
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
               (unsigned long long)st.chunks_ok, (unsigned long long)st.records, (unsigned long long)st.chunks_damaged,
               (unsigned long long)st.bytes_skipped);
    else
        printf(": OK: %llu chunks, %llu records%s\n", (unsigned long long)st.chunks_ok, (unsigned long long)st.records,
               st.clean_close ? "" : " (not closed cleanly: no footer)");
    return bad ? 1 : 0;
}

static int cmd_verify(int argc, char **argv)
{
    static const struct option lo[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    while ((c = next_opt(argc, argv, ":h", lo)) != -1) {
        if (c == 'h') {
            fputs(verify_usage, stdout);
            return finish_stdout(EXIT_OK);
        }
        return EXIT_USAGE;
    }
    if (optind >= argc) {
        fprintf(stderr, "%s: no capture given\n", g_cmd);
        return usage_error(verify_usage);
    }
    int ret = 0;
    for (int i = optind; i < argc; i++) {
        int rc = verify_one(argv[i]);
        if (rc > ret)
            ret = rc;
    }
    return finish_stdout(ret);
}

/* ------------------------------------------------------------ convert */

/* --redact, --redact=LIST and --redact-key FILE as getopt_long hands them over. */
static void redact_opt(struct pfa_redact_args *ra, int c, const char *arg)
{
    char opt[1100];
    /* getopt's argument, passed on unchanged (the parser only reads it) */
    union {
        const char *c;
        char *m;
    } value = {.c = arg};
    char *fake[2] = {opt, value.m};
    int i = 0;
    if (c == OPT_REDACT_KEY)
        snprintf(opt, sizeof opt, "--redact-key");
    else if (arg)
        snprintf(opt, sizeof opt, "--redact=%s", arg);
    else
        snprintf(opt, sizeof opt, "--redact");
    pfa_redact_arg(2, fake, &i, ra);
}

/* One rule for every output file: "-" is standard output; a directory is
 * named as such; an existing file is replaced only with --force. Returns 0
 * or EXIT_USAGE after the message. */
static int check_output(const char *path, int force)
{
    if (!strcmp(path, "-"))
        return 0;
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "%s: ", g_cmd);
        print_escaped_z(stderr, path);
        fprintf(stderr, ": is a directory; -o needs a file name\n");
        return EXIT_USAGE;
    }
    int exists;
    char err[600];
    if (pfa_out_check(path, &exists, err, sizeof err)) {
        print_error(g_cmd, err);
        return EXIT_USAGE;
    }
    if (exists && !force) {
        fprintf(stderr, "%s: ", g_cmd);
        print_escaped_z(stderr, path);
        fprintf(stderr, " exists; use --force to overwrite it\n");
        return EXIT_USAGE;
    }
    return 0;
}

/* convert with several inputs, a time cut or a host selection. */
struct merge_args {
    int merging, split, utc;
    const char *from, *to;
    const char *hosts[64];
    size_t nhosts;
};

static int host_selected(const struct merge_args *ma, const char *host)
{
    if (!ma->nhosts)
        return 1;
    for (size_t i = 0; i < ma->nhosts; i++)
        if (!strcmp(ma->hosts[i], host))
            return 1;
    return 0;
}

static int by_start(const void *a, const void *b)
{
    const struct pf_file_info *x = pfa_source_info(*(pfa_source *const *)a);
    const struct pf_file_info *y = pfa_source_info(*(pfa_source *const *)b);
    if (x->start_utc_ns != y->start_utc_ns)
        return x->start_utc_ns < y->start_utc_ns ? -1 : 1;
    int series = memcmp(x->series_uuid, y->series_uuid, 16);
    if (series)
        return series;
    return x->file_seq < y->file_seq ? -1 : x->file_seq > y->file_seq; /* ties go to the earlier file */
}

/* Writes one host's inputs (sorted by start) to path. */
static int merge_group(pfa_source **in, size_t n, const char *path, int overwrite, const struct pfa_merge_options *mo)
{
    char err[600];
    if (pfa_merge_check(in, n, err, sizeof err)) {
        print_error(g_cmd, err);
        return EXIT_USAGE;
    }
    struct pf_file_info info = *pfa_source_info(in[0]);
    memset(info.uuid, 0, sizeof info.uuid); /* a new file: new id, a series of its own */
    memset(info.series_uuid, 0, sizeof info.series_uuid);
    info.file_seq = 0;
    char comment[128];
    snprintf(comment, sizeof comment, "merged from %zu file%s%s", n, n == 1 ? "" : "s",
             mo->have_from || mo->have_to ? ", cut in time" : "");
    info.comment = comment;
    if (mo->have_from && mo->from_ns > info.start_utc_ns)
        info.start_utc_ns = mo->from_ns;
    pf_writer *w;
    struct pf_writer_options wo = {.overwrite = overwrite};
    int to_stdout = !strcmp(path, "-");
    int rc = to_stdout ? pf_writer_open_fd(&w, 1, &info, &wo) : pf_writer_open(&w, path, &info, &wo);
    if (rc < 0) {
        char why[160];
        fprintf(stderr, "%s: ", g_cmd);
        print_escaped_z(stderr, to_stdout ? "standard output" : path);
        fprintf(stderr, ": %s\n", pf_error_text(rc, pf_os_errno(), why, sizeof why));
        return rc == PF_E_NOSPACE ? EXIT_DATA : EXIT_USAGE;
    }
    uint64_t count = 0;
    rc = pfa_merge_write(in, n, w, mo, &count, err, sizeof err);
    int wrc = rc < 0 ? 0 : pf_writer_close(w); /* a failed merge is not closed as a finished file */
    pf_writer_destroy(w);
    if (rc < 0 || wrc < 0) {
        fprintf(stderr, "%s: ", g_cmd);
        print_escaped_z(stderr, to_stdout ? "standard output" : path);
        fprintf(stderr, ": ");
        print_escaped_z(stderr, rc < 0 ? err : pf_strerror(wrc));
        fputc('\n', stderr);
        return EXIT_DATA;
    }
    fprintf(stderr, "wrote %llu records from %zu file%s to ", (unsigned long long)count, n, n == 1 ? "" : "s");
    print_escaped_z(stderr, to_stdout ? "standard output" : path);
    fputc('\n', stderr);
    return EXIT_OK;
}

static int cmd_merge(char **paths, size_t npaths, const char *outp, int overwrite, const struct merge_args *ma)
{
    if (npaths > 4096) {
        fprintf(stderr, "%s: at most 4096 inputs\n", g_cmd);
        return EXIT_USAGE;
    }
    if (!ma->split && check_output(outp, overwrite))
        return EXIT_USAGE;
    if (ma->split && !strcmp(outp, "-")) {
        fprintf(stderr, "%s: --split-by host writes files into a directory: -o DIR\n", g_cmd);
        return EXIT_USAGE;
    }
    if (!strcmp(outp, "-") && isatty(1)) {
        fprintf(stderr, "%s: -o - writes binary data; standard output is a terminal (redirect it)\n", g_cmd);
        return EXIT_USAGE;
    }
    pfa_source **in = calloc(npaths, sizeof *in);
    struct damage_list *dl = calloc(npaths, sizeof *dl);
    int rc = in && dl ? EXIT_OK : EXIT_DATA;
    size_t n = 0;
    int64_t base = INT64_MAX;
    for (size_t i = 0; i < npaths && rc == EXIT_OK; i++) {
        dl[n] = (struct damage_list){.path = paths[i], .print = 1};
        struct pf_reader_options ro = {.on_damage = verify_damage, .ctx = &dl[n]};
        int orc = open_input(&in[n], paths[i], &ro);
        if (orc < 0) {
            char why[256];
            print_escaped_z(stderr, paths[i]);
            fprintf(stderr, ": %s\n", pfa_source_open_error(orc, why, sizeof why));
            rc = EXIT_USAGE;
            break;
        }
        const struct pf_file_info *fi = pfa_source_info(in[n]);
        if (!host_selected(ma, fi->hostname ? fi->hostname : "")) {
            pfa_source_close(in[n]);
            in[n] = NULL;
            continue;
        }
        if (fi->start_utc_ns < base)
            base = fi->start_utc_ns;
        n++;
    }
    if (rc == EXIT_OK && !n) {
        fprintf(stderr, "%s: no input was recorded on the host%s given\n", g_cmd, ma->nhosts == 1 ? "" : "s");
        rc = EXIT_USAGE;
    }
    struct pfa_merge_options mo = {0};
    char why[300];
    if (rc == EXIT_OK && ma->from) {
        if (pfa_parse_time_why(ma->from, base, ma->utc, &mo.from_ns, why, sizeof why)) {
            fprintf(stderr, "%s: --from: %s\n", g_cmd, why);
            rc = EXIT_USAGE;
        }
        mo.have_from = 1;
    }
    if (rc == EXIT_OK && ma->to) {
        if (pfa_parse_time_why(ma->to, base, ma->utc, &mo.to_ns, why, sizeof why)) {
            fprintf(stderr, "%s: --to: %s\n", g_cmd, why);
            rc = EXIT_USAGE;
        }
        mo.have_to = 1;
    }
    if (rc == EXIT_OK && mo.have_from && mo.have_to && mo.to_ns < mo.from_ns) {
        fprintf(stderr, "%s: --to is before --from\n", g_cmd);
        rc = EXIT_USAGE;
    }
    if (rc == EXIT_OK)
        qsort(in, n, sizeof *in, by_start);
    if (rc == EXIT_OK && !ma->split) {
        rc = merge_group(in, n, outp, overwrite, &mo);
    } else if (rc == EXIT_OK) {
        if (make_private_dir(outp) != 0 && errno != EEXIST) {
            fprintf(stderr, "%s: ", g_cmd);
            print_escaped_z(stderr, outp);
            fprintf(stderr, ": %s\n", strerror(errno));
            rc = EXIT_USAGE;
        }
        /* one group per host, in order of each host's first input */
        pfa_source **group = calloc(n ? n : 1, sizeof *group);
        char **names = calloc(n ? n : 1, sizeof *names);
        size_t nnames = 0;
        if (!group || !names)
            rc = EXIT_DATA;
        for (size_t i = 0; i < n && rc == EXIT_OK; i++) {
            if (!in[i])
                continue;
            const char *host = pfa_source_info(in[i])->hostname ? pfa_source_info(in[i])->hostname : "";
            size_t g = 0;
            for (size_t j = i; j < n; j++) {
                const char *hj = in[j] && pfa_source_info(in[j])->hostname ? pfa_source_info(in[j])->hostname : "";
                if (in[j] && !strcmp(hj, host)) {
                    group[g++] = in[j];
                    if (j != i)
                        in[j] = NULL;
                }
            }
            char base_name[210], path[4400];
            pfa_merge_file_name(host, base_name, sizeof base_name);
            /* two hosts whose names differ only in replaced characters */
            int dl_len = (int)strlen(outp);
            while (dl_len > 1 && outp[dl_len - 1] == '/')
                dl_len--;
            snprintf(path, sizeof path, "%.*s/%s.pfcap", dl_len, outp, base_name);
            for (unsigned k = 2; k < 10000; k++) {
                int dup = 0;
                for (size_t m = 0; m < nnames; m++)
                    dup |= !strcmp(names[m], path);
                if (!dup)
                    break;
                snprintf(path, sizeof path, "%.*s/%s-%u.pfcap", dl_len, outp, base_name, k);
            }
            names[nnames] = strdup(path);
            if (!names[nnames]) {
                rc = EXIT_DATA;
                break;
            }
            nnames++;
            rc = check_output(path, overwrite);
            if (rc == EXIT_OK)
                rc = merge_group(group, g, path, overwrite, &mo);
            for (size_t k = 1; k < g; k++) /* group[0] is in[i], closed below */
                pfa_source_close(group[k]);
        }
        for (size_t m = 0; m < nnames; m++)
            free(names[m]);
        free(names);
        free(group);
    }
    uint64_t damaged = 0;
    for (size_t i = 0; i < npaths && dl; i++)
        damaged += dl[i].count;
    if (rc == EXIT_OK && damaged)
        fprintf(stderr, "%llu damaged region(s) of the inputs skipped\n", (unsigned long long)damaged);
    for (size_t i = 0; i < n && in; i++)
        pfa_source_close(in[i]);
    free(in);
    free(dl);
    return rc;
}

static int cmd_convert(int argc, char **argv)
{
    static const struct option lo[] = {{"output", required_argument, 0, 'o'},
                                       {"force", no_argument, 0, OPT_FORCE},
                                       {"redact", optional_argument, 0, OPT_REDACT},
                                       {"redact-key", required_argument, 0, OPT_REDACT_KEY},
                                       {"from", required_argument, 0, OPT_FROM},
                                       {"to", required_argument, 0, OPT_TO},
                                       {"utc", no_argument, 0, OPT_UTC},
                                       {"host", required_argument, 0, OPT_HOST},
                                       {"split-by", required_argument, 0, OPT_SPLIT_BY},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    const char *in = NULL, *outp = NULL;
    int overwrite = 0, c;
    struct pfa_redact_args ra = {0};
    struct merge_args ma = {0};
    while ((c = next_opt(argc, argv, ":o:h", lo)) != -1) {
        switch (c) {
        case 'o': outp = optarg; break;
        case OPT_FORCE: overwrite = 1; break;
        case OPT_FROM:
            ma.from = optarg;
            ma.merging = 1;
            break;
        case OPT_TO:
            ma.to = optarg;
            ma.merging = 1;
            break;
        case OPT_UTC: ma.utc = 1; break;
        case OPT_HOST:
            if (ma.nhosts == sizeof ma.hosts / sizeof ma.hosts[0]) {
                fprintf(stderr, "%s: at most %zu --host\n", g_cmd, sizeof ma.hosts / sizeof ma.hosts[0]);
                return EXIT_USAGE;
            }
            ma.hosts[ma.nhosts++] = optarg;
            ma.merging = 1;
            break;
        case OPT_SPLIT_BY:
            if (strcmp(optarg, "host"))
                return bad_value("--split-by", optarg, "a way to split (host)");
            ma.split = 1;
            ma.merging = 1;
            break;
        case OPT_REDACT:
        case OPT_REDACT_KEY: redact_opt(&ra, c, optarg); break;
        case 'h': fputs(convert_usage, stdout); return finish_stdout(EXIT_OK);
        default: return EXIT_USAGE;
        }
    }
    if (optind + 1 < argc || ma.merging) {
        if (ra.on || ra.key) {
            fprintf(stderr, "%s: --redact converts one input; merge first, then redact the result\n", g_cmd);
            return EXIT_USAGE;
        }
        if (!outp || optind >= argc) {
            fprintf(stderr, "%s: %s\n", g_cmd, !outp ? "-o OUT is required" : "no input given");
            return usage_error(convert_usage);
        }
        return cmd_merge(argv + optind, (size_t)(argc - optind), outp, overwrite, &ma);
    }
    if (optind + 1 == argc)
        in = argv[optind];
    if (!in || !outp) {
        fprintf(stderr, "%s: %s\n", g_cmd,
                !outp            ? "-o OUT is required"
                : optind >= argc ? "no input given"
                                 : "one input only");
        return usage_error(convert_usage);
    }
    int to_stdout = !strcmp(outp, "-");
    if (check_output(outp, overwrite))
        return EXIT_USAGE;
    if (to_stdout && isatty(1)) {
        fprintf(stderr, "%s: -o - writes binary data; standard output is a terminal (redirect it)\n", g_cmd);
        return EXIT_USAGE;
    }
    char rerr[512];
    pf_redactor *red = NULL;
    int rc = pfa_redact_from_args(&ra, &red, rerr, sizeof rerr);
    if (rc < 0) {
        print_error("procflow-analyze convert", rerr);
        return 2;
    }
    struct damage_list dl = {.path = in, .print = 1};
    struct pf_reader_options ro = {.on_damage = verify_damage, .ctx = &dl};
    pfa_source *s;
    rc = open_input(&s, in, &ro);
    if (rc < 0) {
        char why[256];
        print_escaped_z(stderr, in);
        fprintf(stderr, ": %s\n", pfa_source_open_error(rc, why, sizeof why));
        pf_redact_destroy(red);
        return EXIT_USAGE;
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
    if (to_stdout) {
        fflush(stdout);
#if defined(_WIN32)
        _setmode(1, _O_BINARY);
#endif
        rc = pf_writer_open_fd(&w, 1, &info, &wo);
    } else {
        rc = pf_writer_open(&w, outp, &info, &wo);
    }
    if (rc == PF_E_NOSPACE || (to_stdout && rc == PF_E_IO)) {
        fprintf(stderr, "%s: ", g_cmd);
        print_escaped_z(stderr, to_stdout ? "standard output" : outp);
        fprintf(stderr, ": write error: %s\n", rc == PF_E_NOSPACE ? strerror(ENOSPC) : pf_strerror(rc));
        pfa_source_close(s);
        pf_redact_destroy(red);
        return EXIT_DATA;
    }
    if (rc < 0) {
        char why[160];
        print_escaped_z(stderr, outp);
        fprintf(stderr, ": %s\n", pf_error_text(rc, pf_os_errno(), why, sizeof why));
        pfa_source_close(s);
        pf_redact_destroy(red);
        return 2;
    }
    struct pf_record r;
    int n;
    uint64_t count = 0;
    while ((n = pfa_source_next(s, &r)) == 1) {
        if (red && r.type == PF_REC_DNS)
            continue; /* names would tell what the pseudonymous addresses stand for */
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
    if (rc < 0 && (rc == PF_E_NOSPACE || rc == PF_E_IO || rc == PF_E_STATE)) {
        /* the output failed: say which and why */
        fprintf(stderr, "%s: ", g_cmd);
        print_escaped_z(stderr, to_stdout ? "standard output" : outp);
        fprintf(stderr, ": write error: %s\n", rc == PF_E_NOSPACE ? strerror(ENOSPC) : pf_strerror(rc));
        pf_redact_destroy(red);
        return EXIT_DATA;
    }
    if (n < 0 || rc < 0) {
        fprintf(stderr, "procflow-analyze convert: %s\n", pf_strerror(n < 0 ? n : rc));
        pf_redact_destroy(red);
        return EXIT_DATA;
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
    int top, sections, force;
    struct pfa_redact_args redact; /* export */
};

/* Returns 0, or the exit status after --help (-1: 0) or a usage error. */
static int parse_out_opts(int argc, char **argv, struct outopts *o, int is_export)
{
    /* the options both take, at the same places of both tables */
#define OUT_SELECTION_OPTS \
    {"db", required_argument, 0, 'd'}, {"output", required_argument, 0, 'o'}, \
        {"process", required_argument, 0, OPT_PROCESS}, {"from", required_argument, 0, OPT_FROM}, \
        {"to", required_argument, 0, OPT_TO}, {"utc", no_argument, 0, OPT_UTC},
#define OUT_LAST_OPTS {"force", no_argument, 0, OPT_FORCE}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    static const struct option html_lo[] = {OUT_SELECTION_OPTS{"top", required_argument, 0, OPT_TOP},
                                            {"sections", required_argument, 0, OPT_SECTIONS},
                                            OUT_LAST_OPTS};
    static const struct option export_lo[] = {OUT_SELECTION_OPTS{"format", required_argument, 0, 'f'},
                                              {"what", required_argument, 0, OPT_WHAT},
                                              {"redact", optional_argument, 0, OPT_REDACT},
                                              {"redact-key", required_argument, 0, OPT_REDACT_KEY},
                                              OUT_LAST_OPTS};
#undef OUT_SELECTION_OPTS
#undef OUT_LAST_OPTS
    int c;
    while ((c = next_opt(argc, argv, is_export ? ":d:o:f:h" : ":d:o:h", is_export ? export_lo : html_lo)) != -1) {
        switch (c) {
        case 'd': o->dbpath = optarg; break;
        case 'o': o->outpath = optarg; break;
        case OPT_PROCESS: o->filter.process = optarg; break;
        case OPT_FROM: o->filter.from = optarg; break;
        case OPT_TO: o->filter.to = optarg; break;
        case OPT_UTC: o->filter.utc = 1; break;
        case 'f': o->format = optarg; break;
        case OPT_WHAT: o->what = optarg; break;
        case OPT_REDACT:
        case OPT_REDACT_KEY: redact_opt(&o->redact, c, optarg); break;
        case OPT_TOP:
            if (parse_count(optarg, &o->top))
                return bad_value("--top", optarg, "a number of processes (0-100000)");
            break;
        case OPT_SECTIONS:
            if (parse_count(optarg, &o->sections))
                return bad_value("--sections", optarg, "a number of sections (0-100000)");
            break;
        case OPT_FORCE: o->force = 1; break;
        case 'h': fputs(is_export ? export_usage : html_usage, stdout); return -1;
        default: return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '", g_cmd);
        print_escaped_z(stderr, argv[optind]);
        fprintf(stderr, "'\n");
        return EXIT_USAGE;
    }
    return 0;
}

/* Opens the DB read-only and applies the selection (TEMP views only). */
/* html / export -d clickhouse://: the store's complete captures in a
 * private temporary database (removed with the guard's files), numbered as
 * a SQLite ingest of the same files would number them. */
static int open_store_copy(const char *url, sqlite3 **db)
{
#if defined(PFA_HAVE_CLICKHOUSE)
    char err[1024], path[4096];
    struct pfa_ch_target t;
    if (pfa_ch_parse_url(url, NULL, &t, err, sizeof err)) {
        fprintf(stderr, "%s: --db: %s\n", g_cmd, err);
        return EXIT_USAGE;
    }
    if (temp_db_path(path, sizeof path))
        return EXIT_DATA;
    pfa_ch *ch = NULL;
    int rc = pfa_db_open(db, path, 1, 0, err, sizeof err);
    if (!rc)
        rc = pfa_ch_open(&ch, &t, err, sizeof err);
    if (!rc)
        rc = pfa_ch_to_sqlite(ch, *db, err, sizeof err);
    pfa_ch_close(ch);
    memset(t.password, 0, sizeof t.password);
    if (rc) {
        print_error("procflow-analyze", err);
        pfa_db_close(*db);
        *db = NULL;
        pfa_guard_remove_temp();
        return EXIT_DATA;
    }
    return 0;
#else
    (void)url;
    (void)db;
    fprintf(stderr, "%s: this build has no ClickHouse support (it needs libcurl)\n", g_cmd);
    return EXIT_USAGE;
#endif
}

static int open_selected(struct outopts *o, sqlite3 **db)
{
    char err[512];
    if (!strncmp(o->dbpath, "clickhouse://", 13)) {
        int src = open_store_copy(o->dbpath, db);
        if (src)
            return src;
    } else if (pfa_db_open(db, o->dbpath, 0, 1, err, sizeof err)) {
        print_error("procflow-analyze", err);
        return EXIT_USAGE;
    }
    int rc = pfa_filter_apply(*db, &o->filter, err, sizeof err);
    if (rc) {
        print_error("procflow-analyze", err);
        pfa_db_close(*db);
        pfa_guard_remove_temp();
        return rc == PFA_E_PARAM ? EXIT_USAGE : EXIT_DATA;
    }
    return 0;
}

/* html and export write through this: the errno of the first failed
 * write is kept (the producer goes on calling SQLite before it notices, and
 * errno would no longer say why). */
struct out_file {
    FILE *file; /* the file (or stdout) the bytes go to, unbuffered here */
    int first_errno;
};
static struct out_file g_out;

#if !defined(_WIN32)
static ssize_t out_write(void *ctx, const char *p, size_t n)
{
    struct out_file *o = ctx;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fileno(o->file), p + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (!o->first_errno)
                o->first_errno = w < 0 ? errno : EIO;
            errno = o->first_errno;
            return -1;
        }
        done += (size_t)w;
    }
    return (ssize_t)n;
}
#endif

static FILE *open_out(const char *path)
{
    FILE *f = stdout;
    if (strcmp(path, "-")) {
        char err[600];
        f = pfa_out_create(path, err, sizeof err); /* 0600, no symlinks (outfile.h) */
        if (!f) {
            print_error("procflow-analyze", err);
            return NULL;
        }
    }
    g_out.file = f;
    g_out.first_errno = 0;
#if !defined(_WIN32)
    fflush(stdout);
    cookie_io_functions_t io = {.write = out_write};
    FILE *w = fopencookie(&g_out, "w", io);
    if (w)
        return w;
#endif
    return f;
}

/* Checks every write and the final flush and close; a failed output is
 * removed. `failed`: the producer already reported an error. */
static int close_out(FILE *f, const char *path, int failed)
{
    int is_stdout = g_out.file == stdout;
    int bad = ferror(f);
    int e = bad ? errno : 0;
    errno = 0;
    if (f != g_out.file && fclose(f) != 0 && !bad) { /* the wrapper: flushes into the file */
        bad = 1;
        e = errno;
    }
    if (g_out.first_errno) {
        bad = 1;
        e = g_out.first_errno;
    }
    if (!is_stdout) {
        if (fclose(g_out.file) != 0 && !bad) {
            bad = 1;
            e = errno;
        }
    } else if (fflush(stdout) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad)
        stdout_error(is_stdout ? "standard output" : path, e);
    if ((bad || failed) && !is_stdout)
        unlink(path);
    return bad || failed;
}

/* html and export: the selected database and the output file; the exit
 * status when either could not be opened (after saying why). */
static int open_output(struct outopts *o, sqlite3 **db, FILE **f)
{
    int rc = open_selected(o, db);
    if (rc)
        return rc;
    if (!(*f = open_out(o->outpath))) {
        pfa_db_close(*db);
        pfa_guard_remove_temp();
        return EXIT_USAGE;
    }
    errno = 0;
    return 0;
}

/* Closes what open_output opened; `rc`: the writer's result, `err` its
 * message. The exit status (a failed output is removed). */
static int close_output(struct outopts *o, sqlite3 *db, FILE *f, int rc, const char *who, const char *err)
{
    pfa_db_close(db);
    pfa_guard_remove_temp(); /* the copy of a clickhouse:// store */
    if (rc && !ferror(f))
        print_error(who, err);
    return close_out(f, o->outpath, rc != 0) ? EXIT_DATA : EXIT_OK;
}

static int cmd_html(int argc, char **argv)
{
    struct outopts o = {0};
    int rc = parse_out_opts(argc, argv, &o, 0);
    if (rc)
        return rc < 0 ? finish_stdout(EXIT_OK) : rc;
    if (!o.dbpath || !o.outpath) {
        fprintf(stderr, "%s: %s\n", g_cmd, !o.dbpath ? "-d DB is required" : "-o FILE is required");
        return usage_error(html_usage);
    }
    if (check_output(o.outpath, o.force))
        return EXIT_USAGE;
    char sel[512] = "", err[512];
    if (o.filter.process || o.filter.from || o.filter.to)
        snprintf(sel, sizeof sel, "%s%s%s%s%s%s", o.filter.process ? "process " : "",
                 o.filter.process ? o.filter.process : "", o.filter.from ? " from " : "",
                 o.filter.from ? o.filter.from : "", o.filter.to ? " to " : "", o.filter.to ? o.filter.to : "");
    struct pfa_html_options ho = {
        .chart_processes = o.top, .sections = o.sections, .utc = o.filter.utc, .filter_text = sel[0] ? sel : NULL};
    sqlite3 *db;
    FILE *f;
    if ((rc = open_output(&o, &db, &f)) != 0)
        return rc;
    rc = pfa_html_report(db, &ho, f, err, sizeof err);
    return close_output(&o, db, f, rc, "procflow-analyze html", err);
}

static int cmd_export(int argc, char **argv)
{
    struct outopts o = {0};
    int rc = parse_out_opts(argc, argv, &o, 1);
    if (rc)
        return rc < 0 ? finish_stdout(EXIT_OK) : rc;
    int fmt = -1, what = PFA_EXP_FLOWS;
    if (!o.format)
        fmt = -1;
    else if (!strcmp(o.format, "chrome-trace"))
        fmt = PFA_EXP_CHROME_TRACE;
    else if (!strcmp(o.format, "csv"))
        fmt = PFA_EXP_CSV;
    else if (!strcmp(o.format, "jsonl"))
        fmt = PFA_EXP_JSONL;
    else if (!strcmp(o.format, "zeek"))
        fmt = PFA_EXP_ZEEK;
    else
        return bad_value("--format", o.format, "an export format (chrome-trace, csv, jsonl or zeek)");
    if (o.what && !strcmp(o.what, "bytes"))
        what = PFA_EXP_BYTES;
    else if (o.what && strcmp(o.what, "flows"))
        return bad_value("--what", o.what, "flows or bytes");
    if (fmt < 0 || !o.dbpath || !o.outpath) {
        fprintf(stderr, "%s: %s\n", g_cmd,
                fmt < 0     ? "--format is required"
                : !o.dbpath ? "-d DB is required"
                            : "-o FILE is required");
        return usage_error(export_usage);
    }
    if (check_output(o.outpath, o.force))
        return EXIT_USAGE;
    char err[512];
    pf_redactor *red = NULL;
    if (pfa_redact_from_args(&o.redact, &red, err, sizeof err) < 0) {
        print_error("procflow-analyze export", err);
        return EXIT_USAGE;
    }
    sqlite3 *db;
    FILE *f;
    if ((rc = open_output(&o, &db, &f)) == 0) {
        rc = pfa_export_redacted(db, fmt, what, red, f, err, sizeof err);
        rc = close_output(&o, db, f, rc, "procflow-analyze export", err);
    }
    pf_redact_destroy(red);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        fputs(main_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : finish_stdout(EXIT_OK);
    }
    const char *cmd = argv[1];
    pfa_guard_signals();
    pfa_guard_mapped_inputs();
    pfa_db_on_wait(wait_notice, NULL);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("procflow-analyze %s (SQLite %s, schema %d, etl %s)\n", PF_VERSION_TEXT, sqlite3_libversion(),
               PFA_SCHEMA_VERSION, pfa_etl_supported() ? "yes" : "no");
        return finish_stdout(EXIT_OK);
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"ingest", cmd_ingest}, {"report", cmd_report}, {"query", cmd_query},
                {"info", cmd_info},     {"verify", cmd_verify}, {"convert", cmd_convert},
                {"html", cmd_html},     {"export", cmd_export}, {"retain", cmd_retain}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(cmd, cmds[i].name))
            continue;
        static char name[64];
        snprintf(name, sizeof name, "procflow-analyze %s", cmds[i].name);
        g_cmd = name;
        optind = 1;
        /* argv[0] of the subcommand is its name: getopt starts after it */
        return cmds[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "procflow-analyze: unknown command '");
    print_escaped_z(stderr, cmd);
    fprintf(stderr, "'\n");
    fputs(main_usage, stderr);
    return EXIT_USAGE;
}
