/* SPDX-License-Identifier: MIT */
/* procflow-record: command line, signals, and the exit summary. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(_WIN32)
#include <fcntl.h>
#include <io.h>
#endif

#include "platform.h"
#include "procflow/format.h"
#include "procflow/redact.h"
#include "session.h"
#include "source.h"

static void usage(FILE *f)
{
    fputs("Usage: procflow-record -o FILE [options]\n"
          "Records which process talked to whom over TCP/UDP into a capture file.\n"
          "\n"
          "  -o, --output FILE            capture file (.pfcap); required; - streams the capture to\n"
          "                               standard output (no rotation): procflow-record -o - | ...\n"
          "  -d, --duration S             stop after S seconds (default: until Ctrl-C)\n"
          "  -s, --snapshot-interval S    socket table snapshot every S seconds (default 10, 0 = off)\n"
          "      --rotate-size MB         start a new numbered file at MB megabytes\n"
          "      --rotate-time S          start a new numbered file every S seconds\n"
          "      --max-files N            with rotation: keep only the newest N files\n"
          "  -p, --pid PID[,PID...]       only these processes (repeatable)\n"
          "  -c, --comm NAME[,NAME...]    only processes with this name (repeatable)\n"
          "      --per-call               one record per send/recv (large; short captures)\n"
          "      --buffer-mb N            kernel event buffer size (default 8, 64 with --per-call)\n"
          "      --no-ebpf                snapshot-only mode (sock_diag + /proc)\n"
          "      --netns NAME|PATH        only sockets and processes of this network namespace\n"
          "                               (NAME: /run/netns/NAME as ip netns makes it)\n"
          "      --cgroup PATH            only processes under this cgroup (v2; under the mount or\n"
          "                               as /proc/PID/cgroup names it) and their sockets\n"
          "      --host NAME              host name written into the capture (default: the system's)\n"
          "      --redact[=LIST]          replace command lines, user names, the host name and the\n"
          "                               addresses of chosen ranges by keyed pseudonyms. LIST:\n"
          "                               cmdline,user,host,uid,addr=CIDR,addr=private,default\n"
          "                               (repeatable; --redact alone: " PF_REDACT_DEFAULT ")\n"
          "      --redact-key FILE        key of the pseudonyms (16+ bytes; the same key gives the\n"
          "                               same pseudonyms in every file); without it a random key\n"
          "                               per run, never written anywhere\n"
          "  -f, --force                  overwrite an existing output file\n"
          "  -q, --quiet                  no status line, notices or summary\n"
          "  -h, --help                   this text\n"
          "  -V, --version                program version\n"
          "\n"
          "Ctrl-C, SIGTERM or SIGHUP stops cleanly and prints a summary; with rotation,\n"
          "SIGUSR1 starts the next file at once.\n"
          "Rotated files are named FILE-0001.pfcap, FILE-0002.pfcap, ...\n"
          "A FILE.partial left by a recorder that died is kept as FILE.recovered-N.pfcap;\n"
          "one a running recorder writes is never touched, not even with --force.\n"
          "\n"
          "Examples:\n"
          "  sudo procflow-record -o net.pfcap\n"
          "  sudo procflow-record -o net.pfcap --duration 60 --comm curl,nginx\n"
          "  sudo procflow-record -o ring.pfcap --rotate-size 100 --max-files 5\n"
          "  procflow-record -o mine.pfcap --no-ebpf --snapshot-interval 2\n"
          "  sudo procflow-record -o share.pfcap --redact --redact-key team.key\n"
          "  sudo procflow-record -o - --duration 60 | ssh host 'cat > x.pfcap'\n"
          "\n"
          "Exit status:\n"
          "  0    success (Ctrl-C, SIGTERM or --duration ended the recording)\n"
          "  1    recording failed or stopped on an error (disk full, no permission)\n"
          "  2    usage error (unknown option, bad value)\n",
          f);
}

static int parse_seconds(const char *s, uint64_t *ns)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < 0 || v > 1e9)
        return -1;
    *ns = (uint64_t)(v * 1e9);
    return 0;
}

static int parse_u64(const char *s, uint64_t *out, uint64_t max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Adds comma-separated values of one option to a list. */
static int add_list(char *arg, const char **list, unsigned *n)
{
    for (char *save = NULL, *tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*n >= PF_SESSION_MAX_FILTERS)
            return -1;
        list[(*n)++] = tok;
    }
    return 0;
}

static int add_pids(char *arg, uint32_t *pids, unsigned *n)
{
    for (char *save = NULL, *tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        uint64_t v;
        if (*n >= PF_SESSION_MAX_FILTERS || parse_u64(tok, &v, UINT32_MAX) || !v)
            return -1;
        pids[(*n)++] = (uint32_t)v;
    }
    return 0;
}

/* Every session error is an enum pf_error with the OS errno beside it. */
static const char *err_text(int rc, int os_errno)
{
    static char buf[256];
    return pf_error_text(rc, os_errno, buf, sizeof buf);
}

enum {
    OPT_ROT_SIZE = 256,
    OPT_ROT_TIME,
    OPT_MAX_FILES,
    OPT_PER_CALL,
    OPT_NO_EBPF,
    OPT_BUFFER,
    OPT_REDACT,
    OPT_REDACT_KEY
};
enum { OPT_NETNS = 300, OPT_CGROUP, OPT_HOST };

/* --redact lists are joined into one spec (procflow/redact.h). */
static int add_redact(char *spec, size_t cap, const char *item)
{
    size_t have = strlen(spec), n = strlen(item);
    if (have + n + 2 > cap)
        return -1;
    if (have)
        spec[have++] = ',';
    memcpy(spec + have, item, n + 1);
    return 0;
}

/* What the command line asks for. */
struct cli {
    struct pfr_session_options o;
    int want_redact, to_stdout;
    char redact_spec[1024];
    const char *redact_key;
    char netns_path[256];
};

/* One line naming what a bad value of option c should have been. */
static void bad_value(int c, const char *arg)
{
    static const struct {
        int opt;
        const char *name, *what;
    } kinds[] = {
        {'d', "--duration", "a number of seconds"},
        {'s', "--snapshot-interval", "a number of seconds"},
        {OPT_ROT_SIZE, "--rotate-size", "a size (megabytes, 1 or more)"},
        {OPT_ROT_TIME, "--rotate-time", "a number of seconds"},
        {OPT_MAX_FILES, "--max-files", "a number of files (1-100000)"},
        {'p', "--pid", "a list of process ids"},
        {'c', "--comm", "a list of process names"},
        {OPT_BUFFER, "--buffer-mb", "a buffer size (1-1024 MB)"},
        {OPT_NETNS, "--netns", "a namespace name or path (up to 200 bytes)"},
        {OPT_CGROUP, "--cgroup", "a cgroup path (up to 400 bytes)"},
        {OPT_HOST, "--host", "a host name (1-255 bytes)"},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        if (kinds[k].opt == c) {
            fprintf(stderr, "procflow-record: %s: '%s' is not %s\n", kinds[k].name, arg, kinds[k].what);
            return;
        }
    fprintf(stderr, "procflow-record: invalid value for option: %s\n", arg);
}

/* An option getopt_long refused: unknown, or its value missing. */
static void bad_option(int c, int argc, char **argv)
{
    const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
    int n = !strncmp(arg, "--", 2) ? (int)strcspn(arg, "=") : 0;
    if (c == ':' && !n)
        fprintf(stderr, "procflow-record: option -%c needs a value\n", optopt);
    else if (c == ':')
        fprintf(stderr, "procflow-record: option %.*s needs a value\n", n, arg);
    else if (optopt && !n)
        fprintf(stderr, "procflow-record: unknown option -%c (--help lists the options)\n", optopt);
    else
        fprintf(stderr, "procflow-record: unknown option %.*s (--help lists the options)\n", n ? n : (int)strlen(arg),
                arg);
}

/* Takes one option into cli: 0, 1 when its value is bad, or an exit
 * status + 2 when the program ends here (--help, --version, errors). */
static int take_option(struct cli *a, int c)
{
    struct pfr_session_options *o = &a->o;
    uint64_t v;
    switch (c) {
    case 'o': o->output = optarg; return 0;
    case 'd': return parse_seconds(optarg, &o->duration_ns) || !o->duration_ns;
    case 's': return parse_seconds(optarg, &o->snapshot_interval_ns) != 0;
    case OPT_ROT_SIZE:
        if (parse_u64(optarg, &v, 1u << 30) || !v)
            return 1;
        o->rotate_bytes = v * 1000000ull;
        return 0;
    case OPT_ROT_TIME: return parse_seconds(optarg, &o->rotate_ns) || !o->rotate_ns;
    case OPT_MAX_FILES:
        if (parse_u64(optarg, &v, 100000) || !v)
            return 1;
        o->max_files = (unsigned)v;
        return 0;
    case 'p': return add_pids(optarg, o->pids, &o->npids) != 0;
    case 'c': return add_list(optarg, o->comms, &o->ncomms) != 0;
    case OPT_PER_CALL: o->per_call = 1; return 0;
    case OPT_BUFFER:
        if (parse_u64(optarg, &v, 1024) || !v)
            return 1;
        o->buffer_mb = (unsigned)v;
        return 0;
    case OPT_NO_EBPF: o->no_kernel = 1; return 0;
    case OPT_NETNS:
        /* a bare name is one that ip netns made */
        if (!*optarg || strlen(optarg) > 200)
            return 1;
        if (strchr(optarg, '/')) {
            o->netns = optarg;
        } else {
            snprintf(a->netns_path, sizeof a->netns_path, "/run/netns/%s", optarg);
            o->netns = a->netns_path;
        }
        return 0;
    case OPT_CGROUP:
        if (!*optarg || strlen(optarg) > 400)
            return 1;
        o->cgroup = optarg;
        return 0;
    case OPT_HOST:
        if (!*optarg || strlen(optarg) > 255)
            return 1;
        o->host = optarg;
        return 0;
    case OPT_REDACT:
        if (add_redact(a->redact_spec, sizeof a->redact_spec, optarg ? optarg : "default")) {
            fprintf(stderr, "procflow-record: --redact lists too long\n");
            return 2 + 2;
        }
        a->want_redact = 1;
        return 0;
    case OPT_REDACT_KEY:
        a->redact_key = optarg;
        a->want_redact = 1;
        return 0;
    case 'f': o->force = 1; return 0;
    case 'q': o->quiet = 1; return 0;
    case 'h': usage(stdout); return 2 + (fflush(stdout) || ferror(stdout) ? 1 : 0);
    case 'V': printf("%s\n", pfr_session_recorder_name()); return 2 + (fflush(stdout) || ferror(stdout) ? 1 : 0);
    default: return 2 + 2;
    }
}

/* Options that are fine one by one but not together, or an output that
 * cannot be. 0 or the exit status. */
static int check_cli(struct cli *a, int extra_args)
{
    const struct pfr_session_options *o = &a->o;
    if (extra_args || !o->output) {
        fprintf(stderr, "procflow-record: %s\n", o->output ? "unexpected argument" : "-o FILE is required");
        usage(stderr);
        return 2;
    }
    a->to_stdout = !strcmp(o->output, "-");
    if (a->to_stdout && (o->rotate_bytes || o->rotate_ns)) {
        fprintf(stderr, "procflow-record: -o - (standard output) cannot rotate\n");
        return 2;
    }
    if (a->to_stdout && isatty(1)) {
        fprintf(stderr, "procflow-record: -o - writes binary data; standard output is a terminal (redirect it)\n");
        return 2;
    }
    struct stat osb;
    if (!a->to_stdout && stat(o->output, &osb) == 0 && S_ISDIR(osb.st_mode)) {
        fprintf(stderr, "procflow-record: %s: is a directory; -o needs a file name\n", o->output);
        return 2;
    }
    if (o->max_files && !o->rotate_bytes && !o->rotate_ns) {
        fprintf(stderr, "procflow-record: --max-files needs --rotate-size or --rotate-time\n");
        return 2;
    }
    return 0;
}

/* Reads the command line into cli: -1 to go on, or the exit status of a
 * program that ends here (--help, --version, a usage error). */
static int parse_cli(struct cli *a, int argc, char **argv)
{
    static const struct option lo[] = {
        {"output", required_argument, 0, 'o'},
        {"duration", required_argument, 0, 'd'},
        {"snapshot-interval", required_argument, 0, 's'},
        {"rotate-size", required_argument, 0, OPT_ROT_SIZE},
        {"rotate-time", required_argument, 0, OPT_ROT_TIME},
        {"max-files", required_argument, 0, OPT_MAX_FILES},
        {"pid", required_argument, 0, 'p'},
        {"comm", required_argument, 0, 'c'},
        {"per-call", no_argument, 0, OPT_PER_CALL},
        {"buffer-mb", required_argument, 0, OPT_BUFFER},
        {"no-ebpf", no_argument, 0, OPT_NO_EBPF},
        {"netns", required_argument, 0, OPT_NETNS},
        {"cgroup", required_argument, 0, OPT_CGROUP},
        {"host", required_argument, 0, OPT_HOST},
        {"redact", optional_argument, 0, OPT_REDACT},
        {"redact-key", required_argument, 0, OPT_REDACT_KEY},
        {"force", no_argument, 0, 'f'},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0},
    };
    memset(a, 0, sizeof *a);
    a->o.snapshot_interval_ns = 10000000000ull;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":o:d:s:p:c:fqhV", lo, NULL)) != -1) {
        if (c == ':' || c == '?') {
            bad_option(c, argc, argv);
            return 2;
        }
        int rc = take_option(a, c);
        if (rc == 1) {
            bad_value(c, optarg);
            return 2;
        }
        if (rc > 1)
            return rc - 2;
    }
    int rc = check_cli(a, optind < argc);
    return rc ? rc : -1;
}

/* Opens the session, says why when it cannot, then gives up what the
 * running recorder does not need (the kernel side is attached and the file
 * open by then). 0 or the exit status; *out is destroyed by the caller. */
static int start_recording(struct cli *a, struct pfr_session **out)
{
    int rc = pfr_session_create(out, &a->o, &pfr_source_default);
    struct pfr_session *s = *out;
    if (rc < 0) {
        int os_errno = pf_os_errno();
        const char *p = s && pfr_session_path(s)[0] ? pfr_session_path(s) : a->o.output;
        const char *why = pfr_session_error_text(s);
        if (why[0])
            fprintf(stderr, "procflow-record: cannot start recording: %s\n", why);
        else if (rc == PF_E_EXISTS)
            fprintf(stderr, "procflow-record: %s exists; use --force to overwrite it\n", p);
        else
            fprintf(stderr, "procflow-record: cannot start recording to %s: %s\n", p, err_text(rc, os_errno));
        return 1;
    }
    char note[256];
    rc = pfr_plat_drop_privileges(a->to_stdout ? NULL : a->o.output, note, sizeof note);
    if (rc < 0) {
        fprintf(stderr, "procflow-record: cannot drop privileges: %s\n", err_text(rc, pf_os_errno()));
        return 1;
    }
    if (note[0] && !a->o.quiet)
        fprintf(stderr, "procflow-record: %s\n", note);
    if (a->o.redact && !a->o.quiet)
        fprintf(stderr, "procflow-record: redacting %s\n", pf_redact_describe(a->o.redact));
    if (!a->o.quiet)
        fprintf(stderr, "procflow-record: recording to %s (Ctrl-C to stop)\n",
                a->to_stdout ? "standard output" : pfr_session_path(s));
    return 0;
}

/* Why the recording stopped (rc < 0) and the one-line summary. */
static void report_end(const struct cli *a, const struct pfr_session *s, int rc)
{
    struct pfr_session_summary sum;
    pfr_session_get_summary(s, &sum);
    if (rc < 0) {
        if (rc == PF_E_NOSPACE)
            fprintf(stderr,
                    "procflow-record: disk full: recording stopped; every completed chunk of %s(.partial) is intact\n",
                    pfr_session_path(s));
        else if (rc == PF_E_SYMLINK || rc == PF_E_UNSAFE_PATH || rc == PF_E_EXISTS)
            fprintf(stderr, "procflow-record: recording stopped: %s: %s\n", pfr_session_path(s),
                    err_text(rc, sum.error_errno));
        else
            fprintf(stderr, "procflow-record: recording stopped: %s\n", err_text(rc, sum.error_errno));
    }
    if (a->o.quiet)
        return;
    char made[96] = ""; /* rotation removed some: say how many there were */
    if (sum.files_made > sum.files)
        snprintf(made, sizeof made, " on disk (%u made, the oldest removed by --max-files)", sum.files_made);
    fprintf(stderr,
            "procflow-record: %.1f s, %llu processes, %llu flows, %llu events, %llu records, "
            "%llu bytes in %u file%s%s, lost %llu%s\n",
            sum.seconds, (unsigned long long)sum.processes, (unsigned long long)sum.flows,
            (unsigned long long)sum.events, (unsigned long long)sum.records, (unsigned long long)sum.bytes_on_disk,
            sum.files, sum.files == 1 ? "" : "s", made, (unsigned long long)sum.lost,
            sum.snapshot_only ? " (snapshot-only)" : "");
}

int main(int argc, char **argv)
{
    static struct cli a;
    int status = parse_cli(&a, argc, argv);
    if (status >= 0)
        return status;
    pf_redactor *red = NULL;
    struct pfr_session *s = NULL;
#if defined(_WIN32)
    if (a.to_stdout)
        _setmode(1, _O_BINARY);
#endif
    if (a.want_redact) {
        char rerr[512];
        if (pf_redact_open(&red, a.redact_spec, a.redact_key, rerr, sizeof rerr) < 0) {
            fprintf(stderr, "procflow-record: %s\n", rerr);
            return 2;
        }
        a.o.redact = red;
    }
    a.o.msg = stderr;

    /* Too few descriptors would fail deep inside libbpf with misleading
     * follow-on notices: say so first. */
    char fdmsg[256];
    if (pfr_plat_check_fd_limit(a.o.no_kernel ? 16 : 64, fdmsg, sizeof fdmsg) < 0) {
        fprintf(stderr, "procflow-record: cannot start: %s\n", fdmsg);
        status = 1;
        goto done;
    }
    static volatile sig_atomic_t stop, rotate_now;
    pfr_plat_on_stop_signals(&stop);
    pfr_plat_on_rotate_signal(&rotate_now);
    a.o.rotate_request = &rotate_now;

    status = start_recording(&a, &s);
    if (status)
        goto done;
    int rc = pfr_session_run(s, &stop);
    report_end(&a, s, rc);
    status = rc < 0 ? 1 : 0;
done:
    pfr_session_destroy(s);
    pf_redact_destroy(red);
    return status;
}
