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
    fputs(
        "Usage: procflow-record -o FILE [options]\n"
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

enum { OPT_ROT_SIZE = 256, OPT_ROT_TIME, OPT_MAX_FILES, OPT_PER_CALL, OPT_NO_EBPF, OPT_BUFFER, OPT_REDACT,
       OPT_REDACT_KEY };
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

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "output", required_argument, 0, 'o' },
        { "duration", required_argument, 0, 'd' },
        { "snapshot-interval", required_argument, 0, 's' },
        { "rotate-size", required_argument, 0, OPT_ROT_SIZE },
        { "rotate-time", required_argument, 0, OPT_ROT_TIME },
        { "max-files", required_argument, 0, OPT_MAX_FILES },
        { "pid", required_argument, 0, 'p' },
        { "comm", required_argument, 0, 'c' },
        { "per-call", no_argument, 0, OPT_PER_CALL },
        { "buffer-mb", required_argument, 0, OPT_BUFFER },
        { "no-ebpf", no_argument, 0, OPT_NO_EBPF },
        { "netns", required_argument, 0, OPT_NETNS },
        { "cgroup", required_argument, 0, OPT_CGROUP },
        { "host", required_argument, 0, OPT_HOST },
        { "redact", optional_argument, 0, OPT_REDACT },
        { "redact-key", required_argument, 0, OPT_REDACT_KEY },
        { "force", no_argument, 0, 'f' },
        { "quiet", no_argument, 0, 'q' },
        { "help", no_argument, 0, 'h' },
        { "version", no_argument, 0, 'V' },
        { 0, 0, 0, 0 },
    };
    /* what a bad value of each option should have been */
    static const struct { int opt; const char *name, *what; } kinds[] = {
        { 'd', "--duration", "a number of seconds" },
        { 's', "--snapshot-interval", "a number of seconds" },
        { OPT_ROT_SIZE, "--rotate-size", "a size (megabytes, 1 or more)" },
        { OPT_ROT_TIME, "--rotate-time", "a number of seconds" },
        { OPT_MAX_FILES, "--max-files", "a number of files (1-100000)" },
        { 'p', "--pid", "a list of process ids" },
        { 'c', "--comm", "a list of process names" },
        { OPT_BUFFER, "--buffer-mb", "a buffer size (1-1024 MB)" },
        { OPT_NETNS, "--netns", "a namespace name or path (up to 200 bytes)" },
        { OPT_CGROUP, "--cgroup", "a cgroup path (up to 400 bytes)" },
        { OPT_HOST, "--host", "a host name (1-255 bytes)" },
    };
    struct pf_session_options o;
    memset(&o, 0, sizeof o);
    o.snapshot_interval_ns = 10000000000ull;
    uint64_t v;
    int c, want_redact = 0;
    char redact_spec[1024] = "";
    char netns_path[256];
    const char *redact_key = NULL;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:d:s:p:c:fqhV", lo, NULL)) != -1) {
        switch (c) {
        case 'o': o.output = optarg; break;
        case 'd':
            if (parse_seconds(optarg, &o.duration_ns) || !o.duration_ns)
                goto bad;
            break;
        case 's':
            if (parse_seconds(optarg, &o.snapshot_interval_ns))
                goto bad;
            break;
        case OPT_ROT_SIZE:
            if (parse_u64(optarg, &v, 1u << 30) || !v)
                goto bad;
            o.rotate_bytes = v * 1000000ull;
            break;
        case OPT_ROT_TIME:
            if (parse_seconds(optarg, &o.rotate_ns) || !o.rotate_ns)
                goto bad;
            break;
        case OPT_MAX_FILES:
            if (parse_u64(optarg, &v, 100000) || !v)
                goto bad;
            o.max_files = (unsigned)v;
            break;
        case 'p':
            if (add_pids(optarg, o.pids, &o.npids))
                goto bad;
            break;
        case 'c':
            if (add_list(optarg, o.comms, &o.ncomms))
                goto bad;
            break;
        case OPT_PER_CALL: o.per_call = 1; break;
        case OPT_BUFFER:
            if (parse_u64(optarg, &v, 1024) || !v)
                goto bad;
            o.buffer_mb = (unsigned)v;
            break;
        case OPT_NO_EBPF: o.no_kernel = 1; break;
        case OPT_NETNS:
            /* a bare name is one that ip netns made */
            if (!*optarg || strlen(optarg) > 200)
                goto bad;
            if (strchr(optarg, '/'))
                o.netns = optarg;
            else {
                snprintf(netns_path, sizeof netns_path, "/run/netns/%s", optarg);
                o.netns = netns_path;
            }
            break;
        case OPT_CGROUP:
            if (!*optarg || strlen(optarg) > 400)
                goto bad;
            o.cgroup = optarg;
            break;
        case OPT_HOST:
            if (!*optarg || strlen(optarg) > 255)
                goto bad;
            o.host = optarg;
            break;
        case OPT_REDACT:
            if (add_redact(redact_spec, sizeof redact_spec, optarg ? optarg : "default")) {
                fprintf(stderr, "procflow-record: --redact lists too long\n");
                return 2;
            }
            want_redact = 1;
            break;
        case OPT_REDACT_KEY:
            redact_key = optarg;
            want_redact = 1;
            break;
        case 'f': o.force = 1; break;
        case 'q': o.quiet = 1; break;
        case 'h': usage(stdout); return fflush(stdout) || ferror(stdout) ? 1 : 0;
        case 'V':
            printf("%s\n", pf_session_recorder_name());
            return fflush(stdout) || ferror(stdout) ? 1 : 0;
        default: {
            const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
            int n = !strncmp(arg, "--", 2) ? (int)strcspn(arg, "=") : 0;
            if (c == ':' && !n)
                fprintf(stderr, "procflow-record: option -%c needs a value\n", optopt);
            else if (c == ':')
                fprintf(stderr, "procflow-record: option %.*s needs a value\n", n, arg);
            else if (optopt && !n)
                fprintf(stderr, "procflow-record: unknown option -%c (--help lists the options)\n", optopt);
            else
                fprintf(stderr, "procflow-record: unknown option %.*s (--help lists the options)\n",
                        n ? n : (int)strlen(arg), arg);
            return 2;
        }
        }
    }
    if (optind < argc || !o.output) {
        fprintf(stderr, "procflow-record: %s\n", o.output ? "unexpected argument" : "-o FILE is required");
        usage(stderr);
        return 2;
    }
    int to_stdout = !strcmp(o.output, "-");
    if (to_stdout && (o.rotate_bytes || o.rotate_ns)) {
        fprintf(stderr, "procflow-record: -o - (standard output) cannot rotate\n");
        return 2;
    }
    if (to_stdout && isatty(1)) {
        fprintf(stderr, "procflow-record: -o - writes binary data; standard output is a terminal (redirect it)\n");
        return 2;
    }
    struct stat osb;
    if (!to_stdout && stat(o.output, &osb) == 0 && S_ISDIR(osb.st_mode)) {
        fprintf(stderr, "procflow-record: %s: is a directory; -o needs a file name\n", o.output);
        return 2;
    }
#if defined(_WIN32)
    if (to_stdout)
        _setmode(1, _O_BINARY);
#endif
    if (o.max_files && !o.rotate_bytes && !o.rotate_ns) {
        fprintf(stderr, "procflow-record: --max-files needs --rotate-size or --rotate-time\n");
        return 2;
    }
    pf_redactor *red = NULL;
    if (want_redact) {
        char rerr[512];
        if (pf_redact_open(&red, redact_spec, redact_key, rerr, sizeof rerr) < 0) {
            fprintf(stderr, "procflow-record: %s\n", rerr);
            return 2;
        }
        o.redact = red;
    }
    o.msg = stderr;

    /* Too few descriptors would fail deep inside libbpf with misleading
     * follow-on notices: say so first. */
    char fdmsg[256];
    if (pf_plat_check_fd_limit(o.no_kernel ? 16 : 64, fdmsg, sizeof fdmsg) < 0) {
        fprintf(stderr, "procflow-record: cannot start: %s\n", fdmsg);
        pf_redact_destroy(red);
        return 1;
    }

    static volatile sig_atomic_t stop, rotate_now;
    pf_plat_on_stop_signals(&stop);
    pf_plat_on_rotate_signal(&rotate_now);
    o.rotate_request = &rotate_now;

    struct pf_session *s = NULL;
    int rc = pf_session_create(&s, &o, &pf_source_default);
    if (rc < 0) {
        int os_errno = pf_os_errno();
        const char *p = s ? pf_session_path(s) : o.output;
        const char *why = pf_session_error_text(s);
        if (why[0])
            fprintf(stderr, "procflow-record: cannot start recording: %s\n", why);
        else if (rc == PF_E_EXISTS)
            fprintf(stderr, "procflow-record: %s exists; use --force to overwrite it\n", p);
        else
            fprintf(stderr, "procflow-record: cannot start recording to %s: %s\n", p, err_text(rc, os_errno));
        pf_session_destroy(s);
        pf_redact_destroy(red);
        return 1;
    }
    /* The kernel side is attached and the file open: give up what the
     * running recorder does not need. */
    char note[256];
    rc = pf_plat_drop_privileges(to_stdout ? NULL : o.output, note, sizeof note);
    if (rc < 0) {
        fprintf(stderr, "procflow-record: cannot drop privileges: %s\n", strerror(-rc));
        pf_session_destroy(s);
        pf_redact_destroy(red);
        return 1;
    }
    if (note[0] && !o.quiet)
        fprintf(stderr, "procflow-record: %s\n", note);
    if (red && !o.quiet)
        fprintf(stderr, "procflow-record: redacting %s\n", pf_redact_describe(red));
    if (!o.quiet)
        fprintf(stderr, "procflow-record: recording to %s (Ctrl-C to stop)\n",
                to_stdout ? "standard output" : pf_session_path(s));
    rc = pf_session_run(s, &stop);
    struct pf_session_summary sum;
    pf_session_get_summary(s, &sum);
    if (rc < 0) {
        if (rc == PF_E_NOSPACE)
            fprintf(stderr, "procflow-record: disk full: recording stopped; every completed chunk of %s(.partial) is intact\n",
                    pf_session_path(s));
        else if (rc == PF_E_SYMLINK || rc == PF_E_UNSAFE_PATH || rc == PF_E_EXISTS)
            fprintf(stderr, "procflow-record: recording stopped: %s: %s\n", pf_session_path(s),
                    err_text(rc, sum.error_errno));
        else
            fprintf(stderr, "procflow-record: recording stopped: %s\n", err_text(rc, sum.error_errno));
    }
    char made[96] = ""; /* rotation removed some: say how many there were */
    if (sum.files_made > sum.files)
        snprintf(made, sizeof made, " on disk (%u made, the oldest removed by --max-files)", sum.files_made);
    if (!o.quiet)
        fprintf(stderr,
                "procflow-record: %.1f s, %llu processes, %llu flows, %llu events, %llu records, "
                "%llu bytes in %u file%s%s, lost %llu%s\n",
                sum.seconds, (unsigned long long)sum.processes, (unsigned long long)sum.flows,
                (unsigned long long)sum.events, (unsigned long long)sum.records,
                (unsigned long long)sum.bytes_on_disk, sum.files, sum.files == 1 ? "" : "s", made,
                (unsigned long long)sum.lost, sum.snapshot_only ? " (snapshot-only)" : "");
    pf_session_destroy(s);
    pf_redact_destroy(red);
    return rc < 0 ? 1 : 0;

bad:
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        if (kinds[k].opt == c) {
            fprintf(stderr, "procflow-record: %s: '%s' is not %s\n", kinds[k].name, optarg, kinds[k].what);
            return 2;
        }
    fprintf(stderr, "procflow-record: invalid value for option: %s\n", optarg);
    return 2;
}
