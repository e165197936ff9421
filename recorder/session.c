/* SPDX-License-Identifier: MIT */
/* Session: drives the source, writes records, rotates files, reports. */
#include "session.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfc/htab.h"
#include "platform.h"
#include "procflow/format.h"
#include "procflow/redact.h"

#define RECORDER_NAME "procflow-record 0.1.0"
#define MAX_TRACKED 1048576 /* process identities kept for --comm */

struct pfr_session {
    struct pfr_session_options o;
    const struct pfr_source_ops *ops;
    struct pfr_source *src;
    pf_writer *w;
    char path[4096];
    uint8_t series[16];
    unsigned seq; /* 1-based number of the current file */
    int rotating;
    uint64_t file_open_ns, start_ns, next_snap_ns, next_status_ns;
    uint64_t cpu_start_ns;
    uint64_t records_closed_files, bytes_closed_files;
    /* chunk beat, see close_on_beat(): newest record time handed to the
     * writer, that time at the previous check, and the newest on disk */
    uint64_t ts_written, ts_checked, ts_closed;
    uint64_t chunks_seen, beat_ns;
    uint64_t status_events, status_ns;
    int error, error_errno;
    int tty;
    int lock;           /* advisory lock on the current .partial, -1 = none */
    unsigned first_seq; /* oldest file of this session not pruned */
    char errtext[9000]; /* paths of up to 4 KiB and the reason */
    /* --comm: (pid, start_ns) identities whose name matched */
    struct pfc_htab allowed;
    int have_allowed;
};

int pfr_session_rotated_name(const char *output, unsigned seq, char *buf, size_t len)
{
    size_t n = strlen(output);
    const char *ext = ".pfcap";
    size_t el = strlen(ext);
    size_t base = n >= el && strcmp(output + n - el, ext) == 0 ? n - el : n;
    int w = snprintf(buf, len, "%.*s-%04u%s", (int)base, output, seq, ext);
    if (w < 0 || (size_t)w >= len) {
        pf_set_os_errno(ENAMETOOLONG);
        return PF_E_OS;
    }
    return 0;
}

static void msg(struct pfr_session *s, const char *line)
{
    if (!s->o.msg)
        return;
    if (s->tty)
        fputs("\r\033[K", s->o.msg); /* clear the status line first */
    fprintf(s->o.msg, "procflow-record: %s\n", line);
    fflush(s->o.msg);
}

static void on_notice(void *ctx, const char *line)
{
    struct pfr_session *s = ctx;
    if (!s->o.quiet)
        msg(s, line);
}

static int filtering(const struct pfr_session *s) { return s->o.npids || s->o.ncomms; }

struct ident {
    uint32_t pid, pad;
    uint64_t start_ns;
};

static int pid_allowed(const struct pfr_session *s, uint32_t pid, uint64_t start_ns)
{
    for (unsigned i = 0; i < s->o.npids; i++)
        if (s->o.pids[i] == pid)
            return 1;
    if (!s->have_allowed)
        return 0;
    struct ident id = {pid, 0, start_ns};
    return pfc_htab_get(&s->allowed, &id) != NULL;
}

/* Identities are never dropped on exit: aggregated traffic of a process is
 * flushed after it ended. (pid, start) keeps a reused pid apart. */
static void allow(struct pfr_session *s, uint32_t pid, uint64_t start_ns, int yes)
{
    struct ident id = {pid, 0, start_ns};
    if (!s->have_allowed)
        return;
    if (yes)
        (void)pfc_htab_put(&s->allowed, &id, NULL);
    else
        pfc_htab_del(&s->allowed, &id);
}

static int comm_matches(const struct pfr_session *s, const char *c, uint32_t len)
{
    for (unsigned i = 0; i < s->o.ncomms; i++) {
        size_t l = strlen(s->o.comms[i]);
        if (c && l == len && memcmp(c, s->o.comms[i], l) == 0)
            return 1;
    }
    return 0;
}

/* Applies --pid/--comm. Returns 1 to keep the record. */
static int keep(struct pfr_session *s, const struct pf_record *r)
{
    if (!filtering(s))
        return 1;
    switch (r->type) {
    case PF_REC_PROCESS: {
        const struct pf_process *p = &r->u.process;
        /* The name decides at start, exec and in snapshots; an exec to
         * another name ends the match. Exit keeps the last decision. */
        if (s->o.ncomms && p->event != PF_PROC_EXIT)
            allow(s, p->pid, p->start_ns, comm_matches(s, p->comm, p->comm_len));
        return pid_allowed(s, p->pid, p->start_ns);
    }
    case PF_REC_SOCKET: return pid_allowed(s, r->u.socket.key.pid, r->u.socket.key.pid_start_ns);
    case PF_REC_TRAFFIC: return pid_allowed(s, r->u.traffic.key.pid, r->u.traffic.key.pid_start_ns);
    case PF_REC_SNAPSHOT: return pid_allowed(s, r->u.snapshot.key.pid, r->u.snapshot.key.pid_start_ns);
    case PF_REC_DNS: return pid_allowed(s, r->u.dns.key.pid, r->u.dns.key.pid_start_ns);
    default: return 1;
    }
}

static int emit(void *ctx, const struct pf_record *r)
{
    struct pfr_session *s = ctx;
    if (!s->w)
        return PF_E_STATE;
    if (!keep(s, r))
        return 0;
    struct pf_record red;
    if (s->o.redact && r->type == PF_REC_DNS)
        return 0;      /* names would tell what the pseudonymous addresses stand for */
    if (s->o.redact) { /* after the filter: --comm matches the real name */
        int rrc = pf_redact_record(s->o.redact, r, &red);
        if (rrc < 0)
            return rrc;
        r = &red;
    }
    int rc = pf_writer_write(s->w, r);
    if (rc < 0)
        return rc;
    if (r->ts_ns > s->ts_written)
        s->ts_written = r->ts_ns;
    return 0;
}

static int write_str(struct pfr_session *s, const char *k, const char *v)
{
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_HOSTINFO;
    r.ts_ns = s->ops->now();
    r.u.hostinfo.key = k;
    r.u.hostinfo.key_len = (uint32_t)strlen(k);
    r.u.hostinfo.value = v;
    r.u.hostinfo.value_len = (uint32_t)strlen(v);
    return pf_writer_write(s->w, &r);
}

static int write_clock(struct pfr_session *s)
{
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_CLOCK;
    r.u.clock.clock_ns = s->ops->now();
    r.u.clock.utc_ns = pfr_plat_utc_ns();
    r.ts_ns = r.u.clock.clock_ns;
    return pf_writer_write(s->w, &r);
}

static void notice_f(struct pfr_session *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void notice_f(struct pfr_session *s, const char *fmt, ...)
{
    char line[9000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    on_notice(s, line);
}

/* NAME.partial left over: a running recorder holds a lock on its own (it is
 * never removed, --force or not); one without a lock was left by a
 * recorder that died. That one is kept, renamed out of the way as
 * BASE.recovered-N.pfcap (NAME without .pfcap), never deleted. */
static int clear_partial(struct pfr_session *s, const char *final)
{
    char partial[4200], kept[4200];
    snprintf(partial, sizeof partial, "%s.partial", final);
    if (!pfr_plat_exists(partial))
        return 0;
    int lock;
    int rc = pfr_plat_lock_file(partial, &lock);
    if (rc == 1) {
        snprintf(s->errtext, sizeof s->errtext,
                 "%s is being written by another running recorder (not touched, not even with --force); "
                 "use another -o",
                 partial);
        return PF_E_EXISTS;
    }
    if (rc < 0) {
        char why[256];
        snprintf(s->errtext, sizeof s->errtext, "%s: cannot check it: %s", partial,
                 pf_error_text(rc, pf_os_errno(), why, sizeof why));
        return rc;
    }
    size_t n = strlen(final);
    const char *ext = ".pfcap";
    size_t el = strlen(ext);
    size_t base = n >= el && strcmp(final + n - el, ext) == 0 ? n - el : n;
    int e = EEXIST; /* until a free name is found */
    for (unsigned i = 1; i < 10000 && e == EEXIST; i++) {
        snprintf(kept, sizeof kept, "%.*s.recovered-%u%s", (int)base, final, i, ext);
        if (pfr_plat_exists(kept))
            continue;
        e = rename(partial, kept) == 0 ? 0 : errno;
    }
    pfr_plat_unlock_file(lock);
    if (e) {
        snprintf(s->errtext, sizeof s->errtext,
                 "%s was left by a recorder that stopped without closing it, "
                 "and it cannot be moved out of the way: %s",
                 partial, strerror(e));
        return pfr_plat_os_error(e);
    }
    notice_f(s,
             "%s was left by a recorder that stopped without closing it: kept as %s "
             "(procflow-analyze reads it as it is)",
             partial, kept);
    return 0;
}

/* One name this session will write: a symlink is refused, a leftover
 * .partial dealt with (clear_partial), an existing file needs --force. */
static int check_name(struct pfr_session *s, const char *name)
{
    if (pfr_plat_is_symlink(name)) {
        snprintf(s->errtext, sizeof s->errtext, "%s: output path is a symbolic link (refused)", name);
        return PF_E_SYMLINK;
    }
    int rc = clear_partial(s, name);
    if (rc < 0)
        return rc;
    if (!s->o.force && pfr_plat_exists(name)) {
        snprintf(s->errtext, sizeof s->errtext, "%s exists%s; use --force to overwrite it, or another -o", name,
                 s->rotating ? " (from an earlier recording)" : "");
        return PF_E_EXISTS;
    }
    return 0;
}

struct name_scan {
    struct pfr_session *s;
    const char *dir; /* output's directory with its separator, or "" */
    size_t dirlen;
    const char *base; /* output's file name without .pfcap */
    size_t baselen;
};

/* A directory entry BASE-N.pfcap or BASE-N.pfcap.partial that is exactly a
 * name rotation will use is checked now. */
static int scan_entry(void *vctx, const char *entry)
{
    struct name_scan *c = vctx;
    const char *p = entry + c->baselen;
    if (strncmp(entry, c->base, c->baselen) != 0 || *p != '-' || !(p[1] >= '0' && p[1] <= '9'))
        return 0;
    char *end;
    errno = 0;
    unsigned long seq = strtoul(p + 1, &end, 10);
    if (errno || !seq || seq > 0xffffffffUL || (strcmp(end, ".pfcap") != 0 && strcmp(end, ".pfcap.partial") != 0))
        return 0;
    char name[4096];
    if (pfr_session_rotated_name(c->s->o.output, (unsigned)seq, name, sizeof name) ||
        strncmp(name + c->dirlen, entry, strlen(name + c->dirlen)) != 0)
        return 0; /* e.g. BASE-1.pfcap: not a name of ours */
    int rc = check_name(c->s, name);
    return rc < 0 ? rc : 0;
}

/* Every name this session will write, checked before the first record:
 * the plain output, or with rotation every numbered name that is there
 * already (a stale later file would otherwise stop the recording at the
 * rotation that reaches it). One directory read, whatever the numbers. */
static int check_names(struct pfr_session *s)
{
    if (!s->rotating)
        return check_name(s, s->o.output);
    const char *out = s->o.output, *slash = NULL;
    for (const char *q = out; *q; q++)
        if (*q == '/' || *q == '\\')
            slash = q;
    char dir[4096];
    size_t dirlen = slash ? (size_t)(slash - out + 1) : 0;
    if (dirlen >= sizeof dir)
        return PF_E_ARG;
    memcpy(dir, out, dirlen);
    dir[dirlen] = '\0';
    const char *file = out + dirlen;
    size_t n = strlen(file), el = strlen(".pfcap");
    struct name_scan c = {s, dir, dirlen, file, n >= el && strcmp(file + n - el, ".pfcap") == 0 ? n - el : n};
    if (dirlen > 1)
        dir[dirlen - 1] = '\0'; /* "dir/" -> "dir"; "/" stays */
    int rc = pfr_plat_list_dir(dir, scan_entry, &c);
    if (rc == PF_E_OS && pf_os_errno() == ENOENT)
        return 0; /* a missing directory: the open names it */
    return rc;
}

static int open_file(struct pfr_session *s)
{
    char host[256], os[64], rel[256];
    struct pf_file_info fi;
    struct pf_writer_options wo;
    int rc;

    if (s->rotating) {
        rc = pfr_session_rotated_name(s->o.output, s->seq, s->path, sizeof s->path);
        if (rc)
            return rc;
    } else {
        snprintf(s->path, sizeof s->path, "%s", s->o.output);
    }
    if (s->o.host)
        snprintf(host, sizeof host, "%s", s->o.host);
    else
        pfr_plat_hostname(host, sizeof host);
    pfr_plat_os(os, sizeof os, rel, sizeof rel);
    memset(&fi, 0, sizeof fi);
    fi.major = PF_FORMAT_MAJOR;
    fi.minor = PF_FORMAT_MINOR;
    fi.hostname = host;
    fi.os = os;
    fi.os_release = rel;
    fi.recorder = RECORDER_NAME;
    fi.comment = "";
    fi.platform = s->ops->platform;
    fi.clock_id = s->ops->clock_id;
    memcpy(fi.series_uuid, s->series, 16);
    fi.file_seq = s->seq ? s->seq - 1 : 0;
    fi.anchor_clock_ns = s->ops->now();
    fi.anchor_utc_ns = pfr_plat_utc_ns();
    fi.start_utc_ns = fi.anchor_utc_ns;
    if (s->o.redact && (rc = pf_redact_file_info(s->o.redact, &fi, &fi)) < 0)
        return rc;
    memset(&wo, 0, sizeof wo);
    wo.overwrite = s->o.force;
    /* "-": the capture streams to standard output (never rotated) */
    if (!strcmp(s->path, "-"))
        rc = pf_writer_open_fd(&s->w, 1, &fi, &wo);
    else
        rc = pf_writer_open(&s->w, s->path, &fi, &wo);
    if (rc < 0)
        return rc;
    /* Tell later recorders (--force included) that this .partial is live. */
    char partial[4200];
    snprintf(partial, sizeof partial, "%s.partial", s->path);
    (void)pfr_plat_lock_file(partial, &s->lock);
    s->file_open_ns = fi.anchor_clock_ns;
    s->chunks_seen = 0;
    s->ts_written = s->ts_checked = s->ts_closed = s->beat_ns = fi.anchor_clock_ns;

    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_CLOCK;
    r.ts_ns = fi.anchor_clock_ns;
    r.u.clock.clock_ns = fi.anchor_clock_ns;
    r.u.clock.utc_ns = fi.anchor_utc_ns;
    rc = pf_writer_write(s->w, &r);
    if (!rc)
        rc = write_str(s, "source", s->ops->name);
    struct pfr_source_stats st;
    s->ops->stats(s->src, &st);
    if (!rc)
        rc = write_str(s, "mode", st.snapshot_only ? "snapshot-only" : s->o.per_call ? "per-call" : "aggregated");
    if (!rc)
        rc = write_str(s, "kernel", rel);
    if (!rc && s->o.netns)
        rc = write_str(s, "netns", s->o.netns);
    if (!rc && s->o.cgroup)
        rc = write_str(s, "cgroup", s->o.cgroup);
    if (!rc && s->o.redact)
        rc = write_str(s, PF_HOSTINFO_REDACTION, pf_redact_describe(s->o.redact));
    if (rc < 0)
        return rc;
    /* Every file starts with what is already there, so it stands alone. */
    rc = s->ops->snapshot(s->src, PF_SNAPSHOT_RUNDOWN, emit, s);
    return rc < 0 ? rc : 0;
}

static int close_file(struct pfr_session *s)
{
    if (!s->w)
        return 0;
    int rc = pf_writer_close(s->w);
    struct pf_writer_stats ws;
    pf_writer_get_stats(s->w, &ws);
    s->bytes_closed_files += ws.bytes_on_disk;
    s->records_closed_files += ws.records - ws.pending_records; /* a chunk that failed is not on disk */
    pf_writer_destroy(s->w);
    s->w = NULL;
    pfr_plat_unlock_file(s->lock);
    s->lock = -1;
    return rc;
}

/* --max-files N: removes this session's oldest files until `keep` are left
 * (the file being written counts). */
static void prune(struct pfr_session *s, unsigned keep)
{
    char old[4096];
    while (s->o.max_files && s->seq - s->first_seq + 1 > keep) {
        if (pfr_session_rotated_name(s->o.output, s->first_seq, old, sizeof old) == 0)
            (void)pfr_plat_remove(old);
        s->first_seq++;
    }
}

/* The next file is open before the oldest is removed, and while the new
 * one is only a .partial the newest closed file stays too: at every moment
 * at least one complete capture is on disk, even with --max-files 1. */
static int rotate(struct pfr_session *s)
{
    int rc = close_file(s);
    if (rc < 0)
        return rc;
    s->seq++;
    rc = open_file(s);
    if (rc < 0)
        return rc;
    prune(s, s->o.max_files > 1 ? s->o.max_files : 2);
    return 0;
}

int pfr_session_create(struct pfr_session **out, const struct pfr_session_options *opt,
                       const struct pfr_source_ops *ops)
{
    *out = NULL;
    if (!opt || !opt->output || !ops)
        return PF_E_ARG;
    struct pfr_session *s = calloc(1, sizeof *s);
    if (!s)
        return PF_E_NOMEM;
    s->o = *opt;
    s->ops = ops;
    s->tty = opt->msg && !opt->quiet && pfr_plat_stderr_is_tty();
    s->rotating = opt->rotate_bytes || opt->rotate_ns;
    s->seq = s->rotating ? 1 : 0;
    s->first_seq = 1;
    s->lock = -1;
    pf_uuid_generate(s->series);
    if (opt->ncomms) {
        if (pfc_htab_init(&s->allowed, sizeof(struct ident), 0, MAX_TRACKED)) {
            free(s);
            return PF_E_NOMEM;
        }
        s->have_allowed = 1;
    }
    struct pfr_source_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.no_kernel = opt->no_kernel;
    cfg.per_call = opt->per_call;
    cfg.buffer_mb = opt->buffer_mb;
    cfg.netns = opt->netns;
    cfg.cgroup = opt->cgroup;
    cfg.notice = on_notice;
    cfg.notice_ctx = s;
    int rc = ops->open(&s->src, &cfg);
    if (rc < 0) {
        pfr_session_destroy(s);
        return rc;
    }
    /* Start the kernel side first so nothing falls between rundown and
     * events; duplicates are harmless, gaps are not. */
    rc = ops->start(s->src);
    if (rc < 0) {
        pfr_session_destroy(s);
        return rc;
    }
    s->start_ns = ops->now();
    s->cpu_start_ns = pfr_plat_cpu_ns();
    rc = check_names(s);
    if (rc < 0) {
        *out = s;
        return rc;
    }
    rc = open_file(s);
    if (rc < 0) {
        /* Keep the path for the caller's message; drop a half-made file. */
        *out = s;
        return rc;
    }
    *out = s;
    return 0;
}

static void status(struct pfr_session *s, uint64_t now)
{
    if (!s->tty || now < s->next_status_ns)
        return;
    struct pfr_source_stats st;
    struct pf_writer_stats ws;
    s->ops->stats(s->src, &st);
    pf_writer_get_stats(s->w, &ws);
    double dt = s->status_ns ? (double)(now - s->status_ns) / 1e9 : 0;
    double rate = dt > 0 ? (double)(st.events - s->status_events) / dt : 0;
    s->status_events = st.events;
    s->status_ns = now;
    fprintf(s->o.msg, "\r\033[K%.0fs  %.0f events/s  %.2f MB written  %llu flows  lost %llu",
            (double)(now - s->start_ns) / 1e9, rate, (double)(s->bytes_closed_files + ws.bytes_on_disk) / 1e6,
            (unsigned long long)st.flows, (unsigned long long)st.lost);
    fflush(s->o.msg);
    s->next_status_ns = now + 1000000000ull;
}

/* A crash loses the open chunk. The writer closes a chunk one interval
 * after its first record, which lets records that come in once-a-second
 * batches (aggregated traffic) wait for the next batch: up to two seconds
 * lost. Closing instead once the newest record on disk is one interval old
 * (less one poll period) bounds what a crash loses to about one interval
 * behind the moment of the crash. */
#define CHUNK_BEAT_NS (1000000000ull - 50000000ull)
#define CHUNK_BEAT_MIN_GAP_NS 100000000ull /* records with old times cannot make tiny chunks */

static int close_on_beat(struct pfr_session *s, uint64_t now)
{
    struct pf_writer_stats ws;
    pf_writer_get_stats(s->w, &ws);
    if (ws.chunks != s->chunks_seen) {
        /* Closed by size or age meanwhile: at least everything written
         * before the previous check is on disk. */
        s->chunks_seen = ws.chunks;
        if (s->ts_checked > s->ts_closed)
            s->ts_closed = s->ts_checked;
    }
    s->ts_checked = s->ts_written;
    if (!ws.pending_records || now < s->ts_closed || now - s->ts_closed < CHUNK_BEAT_NS ||
        now - s->beat_ns < CHUNK_BEAT_MIN_GAP_NS)
        return 0;
    int rc = pf_writer_flush(s->w);
    if (rc < 0)
        return rc;
    s->chunks_seen = ws.chunks + 1;
    s->ts_closed = s->ts_written;
    s->beat_ns = now;
    return 0;
}

int pfr_session_run(struct pfr_session *s, volatile sig_atomic_t *stop)
{
    if (!s || !s->w)
        return PF_E_STATE;
    uint64_t now = s->ops->now();
    s->next_snap_ns = s->o.snapshot_interval_ns ? now + s->o.snapshot_interval_ns : UINT64_MAX;
    int rc = 0;
    while (!*stop) {
        rc = s->ops->poll(s->src, emit, s, 50);
        if (rc < 0)
            break;
        now = s->ops->now();
        if (now >= s->next_snap_ns) {
            s->next_snap_ns = now + s->o.snapshot_interval_ns;
            /* A fresh anchor with each snapshot keeps UTC right across
             * wall-clock steps and suspend. */
            rc = write_clock(s);
            if (rc >= 0)
                rc = s->ops->snapshot(s->src, PF_SNAPSHOT_PERIODIC, emit, s);
            if (rc < 0)
                break;
        }
        rc = pf_writer_tick(s->w, now);
        if (rc >= 0)
            rc = close_on_beat(s, now);
        if (rc < 0)
            break;
        int asked = s->o.rotate_request && *s->o.rotate_request;
        if (asked) {
            *s->o.rotate_request = 0;
            if (!s->rotating)
                on_notice(s, "SIGUSR1: starting a new file needs --rotate-size or --rotate-time; "
                             "recording goes on in the same file");
        }
        if (s->rotating) {
            struct pf_writer_stats ws;
            pf_writer_get_stats(s->w, &ws);
            if (asked || (s->o.rotate_bytes && ws.bytes_on_disk >= s->o.rotate_bytes) ||
                (s->o.rotate_ns && now - s->file_open_ns >= s->o.rotate_ns)) {
                rc = rotate(s);
                if (rc < 0)
                    break;
            }
        }
        status(s, now);
        if (s->o.duration_ns && now - s->start_ns >= s->o.duration_ns)
            break;
        rc = 0;
    }
    if (s->tty)
        fputs("\r\033[K", s->o.msg);
    if (rc < 0) {
        s->error = rc;
        s->error_errno = pf_os_errno();
        /* Writer failed (disk full?): what was completed stays readable. */
        s->ops->stop(s->src, emit, s);
        pf_set_os_errno(s->error_errno);
        return rc;
    }
    rc = s->ops->stop(s->src, emit, s);
    if (rc >= 0)
        rc = s->ops->snapshot(s->src, PF_SNAPSHOT_FINAL, emit, s);
    int crc = close_file(s);
    if (rc >= 0)
        rc = crc;
    if (crc >= 0 && s->rotating) /* the last file is closed: down to N */
        prune(s, s->o.max_files);
    s->error = rc < 0 ? rc : 0;
    s->error_errno = rc < 0 ? pf_os_errno() : 0;
    return rc < 0 ? rc : 0;
}

void pfr_session_get_summary(const struct pfr_session *s, struct pfr_session_summary *sum)
{
    struct pfr_source_stats st;
    memset(sum, 0, sizeof *sum);
    s->ops->stats(s->src, &st);
    sum->seconds = (double)(s->ops->now() - s->start_ns) / 1e9;
    sum->processes = st.processes;
    sum->flows = st.flows;
    sum->events = st.events;
    sum->lost = st.lost;
    /* Records are what the files hold (every public record in completed
     * chunks, as the footer, verify and info count them), not what the
     * source emitted nor what a failed chunk held. */
    sum->records = s->records_closed_files;
    if (s->w) {
        struct pf_writer_stats ws;
        pf_writer_get_stats(s->w, &ws);
        sum->records += ws.records - ws.pending_records;
    }
    /* What is on disk now: pruned files are gone; the live file counts by
     * its .partial. */
    sum->files_made = s->rotating ? s->seq : 1;
    unsigned first = s->rotating ? s->first_seq : 0, last = s->rotating ? s->seq : 0;
    for (unsigned seq = first; seq <= last && s->path[0]; seq++) {
        char name[4096], partial[4200];
        uint64_t size;
        if (!s->rotating)
            snprintf(name, sizeof name, "%s", s->path);
        else if (pfr_session_rotated_name(s->o.output, seq, name, sizeof name))
            continue;
        snprintf(partial, sizeof partial, "%s.partial", name);
        if (pfr_plat_file_size(name, &size) == 0 || pfr_plat_file_size(partial, &size) == 0) {
            sum->files++;
            sum->bytes_on_disk += size;
        }
    }
    sum->snapshot_only = st.snapshot_only;
    sum->error = s->error;
    sum->error_errno = s->error_errno;
}

const char *pfr_session_recorder_name(void) { return RECORDER_NAME; }

const char *pfr_session_path(const struct pfr_session *s) { return s ? s->path : ""; }

const char *pfr_session_error_text(const struct pfr_session *s) { return s ? s->errtext : ""; }

void pfr_session_destroy(struct pfr_session *s)
{
    if (!s)
        return;
    pf_writer_destroy(s->w);
    pfr_plat_unlock_file(s->lock);
    if (s->src)
        s->ops->close(s->src);
    if (s->have_allowed)
        pfc_htab_free(&s->allowed);
    free(s);
}
