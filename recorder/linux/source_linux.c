/* SPDX-License-Identifier: MIT */
/* Linux event source: eBPF (tracepoints + cgroup socket hooks) for process
 * lifecycle, TCP state and exact per-flow traffic; sock_diag and /proc for
 * rundowns and periodic table snapshots. Falls back to snapshot-only when
 * eBPF cannot be used. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/nsfs.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "../dns.h"
#include "pfc/buf.h"
#include "pfc/htab.h"
#include "../platform.h"
#include "../source.h"
#include "../source_util.h"
#include "procflow_events.h"
#include "procflow_bpf.skel.h"
#include "pktsock.h"
#include "procfs.h"
#include "sockdiag.h"

#define FLOW_MAP_ENTRIES 65536
#define FLOW_MAP_BUDGET (128u << 20) /* per-CPU values grow with the CPU count */
#define RINGBUF_BYTES (8u << 20)
#define RINGBUF_BYTES_PER_CALL (64u << 20)
/* Per-CPU map values are read into arrays of this many; with more
 * possible CPUs the kernel side does not open (out of memory). */
#define MAX_CPUS 1024

/* User-space mirror of what was already written for a kernel flow entry. */
struct shadow {
    uint64_t bytes_sent, bytes_recv, sends, recvs, retrans;
    uint64_t last_ts;
    uint64_t last_change_ns; /* flush time of the last non-zero delta */
};

/* Flows of live sockets that stay idle this long are evicted from the
 * kernel map, so a long-lived socket talking to many peers cannot fill it. */
#ifndef PF_IDLE_EVICT_S
#define PF_IDLE_EVICT_S 30
#endif
#define IDLE_EVICT_NS ((uint64_t)PF_IDLE_EVICT_S * 1000000000ull)

struct owner {
    uint32_t pid;
    uint32_t pad;
    uint64_t start_ns;
};

/* Socket records held back for one socket: a CONNECT until the local port
 * is known, or an ACCEPT (plus the softirq state changes after it) until
 * the accepting process is known. */
#define HELD_MAX 4
struct held {
    uint32_t n;
    uint32_t pad;
    struct pf_record rec[HELD_MAX];
};

struct listen_key {
    uint8_t family, pad;
    uint16_t port;
    uint32_t pad2;
};

struct cgroup_ent {
    uint64_t id;
    char *path;
};

struct pfr_source {
    struct pfr_source_config cfg;
    struct procflow_bpf *skel;
    struct ring_buffer *rb;
    struct bpf_link *links[24];
    int nlinks;
    int cgroup_fd;
    int kernel;       /* eBPF running */
    int have_peers;   /* cgroup UDP peer hooks attached */
    int have_release; /* sock_release hook attached */
    int can_evict;    /* map lookup-and-delete works */
    int rundown_done; /* the first rundown was counted */
    int raw_diag;     /* raw sockets from sock_diag: 1 yes, 0 no (from /proc/net), -1 not tried */
    int ncpu;
    uint32_t only_uid;  /* snapshot-only without root: own processes */
    int diag_fd;        /* --netns: a sock_diag socket made inside the namespace; -1 = none */
    uint64_t netns_id;  /* --netns: its inode number; 0 = every namespace */
    uint64_t own_netns; /* our namespace: the one our socket table dumps see */
    uint64_t cg_id;     /* --cgroup: its id (cgroupfs inode number); 0 = every process */
    uint32_t cg_level;  /* its depth below the cgroup root */
    char cg_want[512];  /* its path below the root, as /proc/PID/cgroup names it */

    pfr_emit_fn emit; /* valid during poll/stop */
    void *emit_ctx;
    int emit_err;

    struct pfc_htab shadows;     /* pfe_flow_key -> shadow */
    struct pfc_htab owners;      /* cookie -> owner */
    struct pfc_htab listeners;   /* listen_key -> owner */
    struct pfc_htab released;    /* cookie -> (unused) */
    struct pfr_pktsocks pkt;     /* packet sockets in use, watched for their release */
    struct pfc_htab retr_seen;   /* cookie -> u64 retransmits written */
    struct pfc_htab locals;      /* cookie -> sockinfo: TCP unhashes its port on close */
    struct pfc_htab connects;    /* cookie -> held socket record: CONNECT (local port not bound
                               * yet) or ACCEPT (accepting process not known yet) */
    struct pfc_htab callflows;   /* per-call mode: flow keys seen, for the flow count */
    struct pfc_htab firstdir;    /* raw/packet flow key -> direction of its first call (0 send, 1 recv) */
    struct pfc_htab dns_streams; /* cookie -> pfr_dns_stream: DNS over TCP being put together */
    struct dns_counts {
        uint64_t packets, recorded, rejected[PF_DNS_REJECTS + 1], no_room;
        struct pfr_dns_stream_stats tcp;
    } dns;
    struct pfr_owner_table inodes;

    struct cgroup_ent *cg;
    size_t ncg;
    uint64_t cg_scan_ns;
    char cg_root[512];

    uint64_t next_flush_ns, last_flush_ns;
    uint64_t loss_seen[PFE_LOSS_SLOTS][MAX_CPUS];
    uint64_t loss_since_ns;

    struct pfe_flow_val *vals; /* ncpu values for lookups */
    struct pfr_source_stats st;
};

#define notice(s, ...) pfr_source_notice(&(s)->cfg, __VA_ARGS__)

/* libbpf messages are not for end users: keep them out of the terminal. */
static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    if (level == LIBBPF_DEBUG || !getenv("PF_BPF_DEBUG"))
        return 0;
    return vfprintf(stderr, fmt, ap);
}

static int emit(struct pfr_source *s, const struct pf_record *r)
{
    return pfr_source_emit(s->emit, s->emit_ctx, &s->emit_err, r);
}

/* What an op returns (source.h): inside, helpers and libbpf return -errno
 * and a code emit returned is kept in s->emit_err; that code goes back
 * unchanged, an OS one as the recorder's error with its errno beside it. */
static int op_result(struct pfr_source *s, int rc)
{
    if (rc >= 0)
        return rc;
    if (s->emit_err)
        return s->emit_err;
    return pfr_plat_os_error(-rc);
}

/* Distinct processes = those in the first rundown + those started since;
 * counted without a table so memory stays flat on fork-heavy hosts. */
static void note_process(struct pfr_source *s, int is_new)
{
    if (is_new)
        s->st.processes++;
}

/* ------------------------------------------------------------ cgroups */

static struct pfr_source *cg_scan_src; /* nftw has no context argument */

static int cg_visit(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    struct pfr_source *s = cg_scan_src;
    if (type != FTW_D)
        return 0;
    struct cgroup_ent *nv = realloc(s->cg, (s->ncg + 1) * sizeof *nv);
    if (!nv)
        return 1;
    s->cg = nv;
    const char *rel = path + strlen(s->cg_root);
    s->cg[s->ncg].id = (uint64_t)sb->st_ino;
    s->cg[s->ncg].path = strdup(*rel ? rel : "/");
    if (s->cg[s->ncg].path)
        s->ncg++;
    return 0;
}

static void cg_clear(struct pfr_source *s)
{
    for (size_t i = 0; i < s->ncg; i++)
        free(s->cg[i].path);
    free(s->cg);
    s->cg = NULL;
    s->ncg = 0;
}

/* cgroup v2 id -> path; the id is the cgroupfs inode number. */
static const char *cg_path(struct pfr_source *s, uint64_t id)
{
    if (!id || !s->cg_root[0])
        return NULL;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < s->ncg; i++)
            if (s->cg[i].id == id)
                return s->cg[i].path;
        uint64_t now = pfr_plat_boottime_ns();
        if (pass || now - s->cg_scan_ns < 1000000000ull)
            break; /* rescans are rate-limited */
        s->cg_scan_ns = now;
        cg_clear(s);
        cg_scan_src = s;
        nftw(s->cg_root, cg_visit, 16, FTW_PHYS | FTW_MOUNT);
        cg_scan_src = NULL;
    }
    return NULL;
}

static int find_cgroup2(char *out, size_t len)
{
    FILE *f = fopen("/proc/mounts", "re");
    char dev[256], dir[512], type[64];
    int found = 0;
    if (!f)
        return -errno;
    while (!found && fscanf(f, "%255s %511s %63s %*[^\n]", dev, dir, type) == 3)
        if (strcmp(type, "cgroup2") == 0) {
            snprintf(out, len, "%s", dir);
            found = 1;
        }
    fclose(f);
    return found ? 0 : -ENOENT;
}

/* Network namespace id of a process: the inode number of /proc/PID/ns/net
 * (0 when it cannot be read, e.g. the process is gone). */
static uint64_t proc_netns(uint32_t pid)
{
    char path[64];
    struct stat sb;
    snprintf(path, sizeof path, "/proc/%u/ns/net", pid);
    return stat(path, &sb) == 0 ? (uint64_t)sb.st_ino : 0;
}

/* --cgroup: a cgroup path (as /proc/PID/cgroup gives it) at or below the one wanted. */
static int cgroup_wanted(const struct pfr_source *s, const char *path)
{
    if (!s->cg_id)
        return 1;
    size_t n = strlen(s->cg_want);
    if (n == 1) /* the root */
        return 1;
    return strncmp(path, s->cg_want, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Resolves --netns and --cgroup. Returns 0 or -errno after a notice. */
static int resolve_filters(struct pfr_source *s)
{
    struct stat sb;
    if (stat("/proc/self/ns/net", &sb) == 0)
        s->own_netns = (uint64_t)sb.st_ino;
    if (!s->cfg.netns && s->own_netns) {
        /* packet sockets' release is seen in their namespace's table */
        int pkt = pfr_procnet_open(-1, "packet");
        if (pkt >= 0)
            pfr_pktsocks_home(&s->pkt, (uint32_t)s->own_netns, pkt);
    }
    if (s->cfg.netns) {
        int fd = open(s->cfg.netns, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &sb) != 0) {
            int e = errno;
            notice(s, "--netns %s: %s", s->cfg.netns, strerror(e));
            if (fd >= 0)
                close(fd);
            return -e;
        }
        /* A namespace file is on nsfs; anything else is not a namespace. */
        int type = ioctl(fd, NS_GET_NSTYPE);
        if (type != CLONE_NEWNET) {
            notice(s, "--netns %s: not a network namespace", s->cfg.netns);
            close(fd);
            return -EINVAL;
        }
        s->netns_id = (uint64_t)sb.st_ino;
        /* made now: entering a namespace needs a right the recorder drops */
        s->diag_fd = pfr_sockdiag_open(fd);
        int pkt = pfr_procnet_open(fd, "packet");
        if (pkt >= 0)
            pfr_pktsocks_home(&s->pkt, (uint32_t)s->netns_id, pkt);
        close(fd);
        if (s->diag_fd < 0) {
            int e = -s->diag_fd;
            notice(s, "--netns %s: cannot read its socket tables (%s): no snapshots", s->cfg.netns, strerror(e));
        }
    }
    if (s->cfg.cgroup) {
        if (!s->cg_root[0]) {
            notice(s, "--cgroup %s: no cgroup v2 mount", s->cfg.cgroup);
            return -ENOENT;
        }
        /* A path under the mount, or one below the root as /proc/PID/cgroup names it. */
        const char *rel = s->cfg.cgroup;
        size_t rn = strlen(s->cg_root);
        if (!strncmp(rel, s->cg_root, rn) && (rel[rn] == '/' || rel[rn] == '\0'))
            rel += rn;
        char full[1100];
        snprintf(full, sizeof full, "%s/%s", s->cg_root, rel[0] == '/' ? rel + 1 : rel);
        /* "." and ".." would count levels wrong or leave the hierarchy */
        int dots = 0;
        for (const char *c = rel; *c; c++)
            if (*c == '.' && (c == rel || c[-1] == '/') &&
                (c[1] == '/' || !c[1] || (c[1] == '.' && (c[2] == '/' || !c[2]))))
                dots = 1;
        struct statfs fs;
        int e = dots                               ? EINVAL
                : stat(full, &sb) != 0             ? errno
                : !S_ISDIR(sb.st_mode)             ? ENOTDIR
                : statfs(full, &fs) != 0           ? errno
                : fs.f_type != CGROUP2_SUPER_MAGIC ? EXDEV
                                                   : 0;
        if (e) {
            notice(s, "--cgroup %s: %s is not a cgroup (%s)", s->cfg.cgroup, full, strerror(e));
            return -e;
        }
        /* canonical: leading slash, no trailing or doubled slashes */
        size_t o = 0;
        s->cg_want[o++] = '/';
        uint32_t level = 0;
        for (const char *c = rel; *c && o + 1 < sizeof s->cg_want; c++) {
            if (*c == '/' && (s->cg_want[o - 1] == '/'))
                continue;
            if (*c != '/' && s->cg_want[o - 1] == '/')
                level++;
            s->cg_want[o++] = *c;
        }
        if (o > 1 && s->cg_want[o - 1] == '/')
            o--;
        s->cg_want[o] = '\0';
        s->cg_id = (uint64_t)sb.st_ino;
        s->cg_level = level;
    }
    return 0;
}

/* ------------------------------------------------------------ records */

static void endpoint(struct pf_endpoint *e, const uint8_t addr[16], uint16_t port, int family)
{
    memset(e, 0, sizeof *e);
    memcpy(e->addr, addr, family == 6 ? 16 : 4);
    e->port = port;
}

/* The flow key of a socket event, owned by the given process. */
static void sock_key(struct pf_flow_key *key, const struct pfe_sock *e, uint32_t pid, uint64_t pid_start_ns)
{
    key->pid = pid;
    key->pid_start_ns = pid_start_ns;
    key->sock_id = e->cookie;
    key->netns = e->a.netns;
    key->proto = e->a.proto;
    key->family = e->a.family;
    endpoint(&key->local, e->a.laddr, e->a.lport, e->a.family);
    endpoint(&key->remote, e->a.raddr, e->a.rport, e->a.family);
}

/* What is known about a TCP socket's endpoints. */
struct sockinfo {
    struct pf_endpoint local, remote;
    uint8_t family;
    uint8_t state;    /* last TCP state seen */
    uint8_t released; /* the file is gone; forget at TCP CLOSE */
};

/* Remembers a TCP socket's endpoints, or restores the local one when the
 * kernel has already cleared the port (reads after the connection closed). */
static void fix_local(struct pfr_source *s, uint64_t cookie, uint8_t proto, uint8_t family, struct pf_endpoint *local,
                      const struct pf_endpoint *remote)
{
    if (proto != PF_PROTO_TCP || !cookie)
        return;
    if (local->port) {
        struct sockinfo *slot = pfc_htab_put(&s->locals, &cookie, NULL);
        if (slot) {
            slot->local = *local;
            slot->remote = *remote;
            slot->family = family;
        }
        return;
    }
    const struct sockinfo *known = pfc_htab_get(&s->locals, &cookie);
    if (known)
        *local = known->local;
}

/* Drops what is kept about a socket that is released and closed. */
static void forget_socket(struct pfr_source *s, uint64_t cookie)
{
    bpf_map_delete_elem(bpf_map__fd(s->skel->maps.retrans), &cookie);
    pfc_htab_del(&s->retr_seen, &cookie);
    pfc_htab_del(&s->owners, &cookie);
    pfc_htab_del(&s->locals, &cookie);
    pfc_htab_del(&s->dns_streams, &cookie);
}

/* Emits held records in order. pid != 0 charges them to that process (the
 * one that turned out to use an accepted socket). */
static int release_held(struct pfr_source *s, uint64_t cookie, uint32_t pid, uint64_t start_ns)
{
    struct held *h = pfc_htab_get(&s->connects, &cookie);
    if (!h)
        return 0;
    struct held copy = *h;
    pfc_htab_del(&s->connects, &cookie);
    for (uint32_t i = 0; i < copy.n && i < HELD_MAX; i++) {
        if (pid) {
            copy.rec[i].u.socket.key.pid = pid;
            copy.rec[i].u.socket.key.pid_start_ns = start_ns;
        }
        if (emit(s, &copy.rec[i]) < 0)
            return s->emit_err;
    }
    return 0;
}

/* A passive open completes in softirq; the first send/recv on the socket
 * names the process that accepted it. */
static int release_accept(struct pfr_source *s, uint64_t cookie, uint32_t pid, uint64_t start_ns)
{
    struct held *h = pfc_htab_get(&s->connects, &cookie);
    if (!h || h->rec[0].u.socket.event != PF_SOCK_ACCEPT)
        return 0;
    return release_held(s, cookie, pid, start_ns);
}

/* The exec event carries the first PFE_ARGS_LEN - 1 bytes of the arguments.
 * A longer command line is read whole from /proc when it is still that
 * process's (same start time, same beginning); otherwise the cut copy is
 * kept and marked. Returns the text to record; *full is freed by the caller. */
static const char *whole_cmdline(const struct pfe_proc *e, char *cmd, uint32_t *n, char **full)
{
    *full = NULL;
    if (e->args_len < PFE_ARGS_LEN - 1)
        return cmd;
    uint64_t start = 0;
    long len = pfr_procfs_cmdline(e->h.pid, full);
    if (len >= (long)*n && pfr_procfs_start_ns(e->h.pid, &start) == 0 && start == e->h.start_ns &&
        memcmp(*full, cmd, *n) == 0) {
        *n = (uint32_t)len;
        return *full;
    }
    free(*full);
    *full = NULL;
    memcpy(cmd + *n, PF_CMDLINE_CUT, sizeof PF_CMDLINE_CUT - 1);
    *n += (uint32_t)(sizeof PF_CMDLINE_CUT - 1);
    return cmd;
}

static int emit_proc(struct pfr_source *s, const struct pfe_proc *e, size_t size)
{
    struct pf_record r;
    char cmd[PFE_ARGS_LEN + sizeof PF_CMDLINE_CUT];
    char *full = NULL;
    char cont[80];
    pfr_source_record_init(&r, PF_REC_PROCESS, e->h.ts_ns);
    struct pf_process *p = &r.u.process;
    p->event = e->h.type == PFE_EXEC ? PF_PROC_EXEC : e->h.type == PFE_FORK ? PF_PROC_START : PF_PROC_EXIT;
    p->pid = e->h.pid;
    p->start_ns = e->h.start_ns;
    p->ppid = e->ppid;
    p->parent_start_ns = e->parent_start_ns;
    p->uid = e->uid;
    p->netns = e->netns;
    /* Kernel exit codes are wait statuses: exit(n) gives n << 8, a fatal
     * signal gives its number. Store n, or -signal. */
    if (e->h.type == PFE_EXIT)
        p->exit_code = (e->exit_code & 0x7f) ? -(e->exit_code & 0x7f) : (e->exit_code >> 8) & 0xff;
    p->comm = e->comm;
    p->comm_len = (uint32_t)strnlen(e->comm, sizeof e->comm);
    if (e->h.type == PFE_EXEC && size >= sizeof *e) {
        p->exe = e->path;
        p->exe_len = (uint32_t)strnlen(e->path, sizeof e->path);
        uint32_t n = e->args_len < PFE_ARGS_LEN ? e->args_len : PFE_ARGS_LEN;
        memcpy(cmd, e->args, n);
        while (n > 0 && cmd[n - 1] == '\0')
            n--;
        for (uint32_t i = 0; i < n; i++)
            if (cmd[i] == '\0')
                cmd[i] = ' ';
        p->cmdline = whole_cmdline(e, cmd, &n, &full);
        p->cmdline_len = n;
    }
    if (e->h.type != PFE_EXIT) {
        const char *cg = cg_path(s, e->cgroup_id);
        if (cg) {
            p->cgroup = cg;
            p->cgroup_len = (uint32_t)strlen(cg);
            size_t cl = pfr_container_id(cg, p->cgroup_len, cont, sizeof cont);
            if (cl) {
                p->container = cont;
                p->container_len = (uint32_t)cl;
            }
        }
        note_process(s, p->event == PF_PROC_START);
    }
    int rc = emit(s, &r);
    free(full);
    return rc;
}

static int sock_event_of(int o, int n)
{
    if (n == PF_TCP_SYN_SENT)
        return PF_SOCK_CONNECT;
    if (n == PF_TCP_LISTEN)
        return PF_SOCK_LISTEN;
    if (n == PF_TCP_ESTABLISHED && o == PF_TCP_SYN_SENT)
        return PF_SOCK_ESTABLISHED;
    if (n == PF_TCP_ESTABLISHED && o == PF_TCP_SYN_RECV)
        return PF_SOCK_ACCEPT;
    if (n == PF_TCP_CLOSE)
        return (o == PF_TCP_SYN_SENT || o == PF_TCP_SYN_RECV) ? PF_SOCK_FAIL : PF_SOCK_CLOSE;
    return PF_SOCK_STATE;
}

static int emit_state(struct pfr_source *s, const struct pfe_sock *e)
{
    struct pf_record r;
    struct owner o = {0, 0, 0};
    pfr_source_record_init(&r, PF_REC_SOCKET, e->h.ts_ns);
    struct pf_socket *k = &r.u.socket;
    k->event = (uint8_t)sock_event_of(e->old_state, e->new_state);
    k->old_state = e->old_state;
    k->new_state = e->new_state;
    const struct owner *known = pfc_htab_get(&s->owners, &e->cookie);
    if (e->proc_ctx && e->h.pid) {
        o.pid = e->h.pid;
        o.start_ns = e->h.start_ns;
        struct owner *slot = pfc_htab_put(&s->owners, &e->cookie, NULL);
        if (slot)
            *slot = o;
    } else if (known) {
        o = *known;
    } else if (k->event == PF_SOCK_ACCEPT) {
        /* Passive opens finish in softirq: charge the listening process
         * until the accepting one shows up in traffic. */
        struct listen_key lk = {e->a.family, 0, e->a.lport, 0};
        const struct owner *lo = pfc_htab_get(&s->listeners, &lk);
        if (lo) {
            o = *lo;
            struct owner *slot = pfc_htab_put(&s->owners, &e->cookie, NULL);
            if (slot)
                *slot = o;
        }
    }
    if (k->event == PF_SOCK_LISTEN && o.pid) {
        struct listen_key lk = {e->a.family, 0, e->a.lport, 0};
        struct owner *slot = pfc_htab_put(&s->listeners, &lk, NULL);
        if (slot)
            *slot = o;
    }
    if (e->old_state == PF_TCP_LISTEN && e->new_state == PF_TCP_CLOSE) {
        struct listen_key lk = {e->a.family, 0, e->a.lport, 0};
        pfc_htab_del(&s->listeners, &lk);
    }
    sock_key(&k->key, e, o.pid, o.start_ns);
    int known_before = pfc_htab_get(&s->locals, &e->cookie) != NULL;
    fix_local(s, e->cookie, e->a.proto, e->a.family, &k->key.local, &k->key.remote);
    /* connect() enters SYN_SENT before the kernel picks the local port:
     * hold the record until the next transition tells the port. */
    struct held *h = pfc_htab_get(&s->connects, &e->cookie);
    if (h && h->rec[0].u.socket.event == PF_SOCK_CONNECT) {
        if (k->key.local.port)
            h->rec[0].u.socket.key.local = k->key.local;
        if (release_held(s, e->cookie, 0, 0) < 0)
            return s->emit_err;
    } else if (h) {
        /* A held ACCEPT: a system call on the socket names its process;
         * softirq changes wait with it unless the socket is closing. */
        if (e->proc_ctx && e->h.pid) {
            if (release_held(s, e->cookie, e->h.pid, e->h.start_ns) < 0)
                return s->emit_err;
        } else if (e->new_state != PF_TCP_CLOSE && h->n < HELD_MAX) {
            h->rec[h->n++] = r;
            return 0;
        } else if (release_held(s, e->cookie, 0, 0) < 0) {
            return s->emit_err;
        }
    }
    /* CLOSE and TIME_WAIT end the full socket (a time-wait socket has no
     * user). Once the file is released too, nothing more is needed. */
    struct sockinfo *si = pfc_htab_get(&s->locals, &e->cookie);
    int terminal = e->new_state == PF_TCP_CLOSE || e->new_state == PF_TCP_TIME_WAIT;
    if (si) {
        si->state = e->new_state;
        if (terminal && (si->released || !known_before)) {
            int rc = emit(s, &r);
            forget_socket(s, e->cookie);
            return rc;
        }
    }
    if ((k->event == PF_SOCK_CONNECT && !k->key.local.port) || (k->event == PF_SOCK_ACCEPT && !e->proc_ctx)) {
        struct held *slot = pfc_htab_put(&s->connects, &e->cookie, NULL);
        if (slot) {
            slot->n = 1;
            slot->rec[0] = r;
            return 0;
        }
    }
    return emit(s, &r);
}

static int emit_call(struct pfr_source *s, const struct pfe_sock *e)
{
    struct pf_record r;
    pfr_source_record_init(&r, PF_REC_TRAFFIC, e->h.ts_ns);
    struct pf_traffic *t = &r.u.traffic;
    sock_key(&t->key, e, e->h.pid, e->h.start_ns);
    fix_local(s, e->cookie, e->a.proto, e->a.family, &t->key.local, &t->key.remote);
    int calls = e->old_state != PFE_CALL_BYTES_ONLY;
    if (e->dir == 0) {
        t->bytes_sent = e->bytes;
        t->sends = (uint64_t)calls;
    } else {
        t->bytes_recv = e->bytes;
        t->recvs = (uint64_t)calls;
    }
    /* Per-call mode has no kernel flow entries: count distinct flows here
     * (up to the table cap, which only limits this statistic). */
    struct pfe_flow_key fk;
    memset(&fk, 0, sizeof fk);
    fk.pid = e->h.pid;
    fk.start_ns = e->h.start_ns;
    fk.cookie = e->cookie;
    fk.netns = e->a.netns;
    memcpy(fk.raddr, e->a.raddr, 16);
    fk.rport = e->a.rport;
    fk.family = e->a.family;
    fk.proto = e->a.proto;
    int created = 0;
    if (pfc_htab_put(&s->callflows, &fk, &created) && created)
        s->st.flows++;
    struct owner o = {e->h.pid, 0, e->h.start_ns};
    struct owner *slot = pfc_htab_put(&s->owners, &e->cookie, NULL);
    if (slot)
        *slot = o;
    if (release_accept(s, e->cookie, e->h.pid, e->h.start_ns) < 0)
        return s->emit_err;
    return emit(s, &r);
}

/* ------------------------------------------------------------ DNS */

struct dns_ctx {
    struct pfr_source *s;
    const struct pfe_dns *e;
    uint32_t pid;
    uint64_t start_ns;
    int cut;
};

static void emit_dns_msg(void *vctx, const uint8_t *msg, size_t len)
{
    struct dns_ctx *c = vctx;
    struct pfr_source *s = c->s;
    static struct pfr_dns_msg m; /* large; the source is single-threaded */
    int rc = pfr_dns_parse(msg, len, c->cut, &m);
    if (rc < 0) {
        s->dns.rejected[-rc <= PF_DNS_REJECTS ? -rc : 0]++;
        return;
    }
    if (m.answer_error < 0 && -m.answer_error <= PF_DNS_REJECTS)
        s->dns.rejected[-m.answer_error]++;
    const struct pfe_dns *e = c->e;
    struct pf_record r;
    pfr_source_record_init(&r, PF_REC_DNS, e->h.ts_ns);
    struct pf_dns *d = &r.u.dns;
    d->key.pid = c->pid;
    d->key.pid_start_ns = c->start_ns;
    d->key.sock_id = e->cookie;
    d->key.proto = e->a.proto;
    d->key.family = e->a.family;
    endpoint(&d->key.local, e->a.laddr, e->a.lport, e->a.family);
    endpoint(&d->key.remote, e->a.raddr, e->a.rport, e->a.family);
    d->qtype = m.qtype;
    d->rcode = m.rcode;
    d->flags = m.flags;
    d->qname = m.qname;
    d->qname_len = m.qname_len;
    d->cname = m.cname;
    d->cname_len = m.cname_len;
    d->nanswers = m.nanswers;
    d->answers = m.answers;
    if (emit(s, &r) >= 0)
        s->dns.recorded++;
}

/* A DNS response's bytes: a whole datagram (parsed now) or a TCP segment
 * (added to the socket's stream; complete messages are parsed). */
static int on_dns(struct pfr_source *s, const struct pfe_dns *e, size_t size)
{
    size_t head = offsetof(struct pfe_dns, data);
    size_t cap = e->cap;
    if (cap > size - head || cap > e->len)
        return 0;
    s->dns.packets++;
    struct dns_ctx c = {s, e, e->h.pid, e->h.start_ns, 0};
    if (!c.pid) {
        const struct owner *o = pfc_htab_get(&s->owners, &e->cookie);
        if (o) {
            c.pid = o->pid;
            c.start_ns = o->start_ns;
        }
    }
    if (e->a.proto == PF_PROTO_UDP) {
        c.cut = cap < e->len;
        emit_dns_msg(&c, e->data, cap);
    } else {
        struct pfr_dns_stream *st = pfc_htab_put(&s->dns_streams, &e->cookie, NULL);
        if (!st) {
            s->dns.no_room++;
            return 0;
        }
        pfr_dns_stream_feed(st, e->seq, e->data, cap, e->len, emit_dns_msg, &c, &s->dns.tcp);
    }
    return s->emit_err;
}

/* What became of the DNS responses seen, as one host fact. */
static int emit_dns_counts(struct pfr_source *s)
{
    if (!s->dns.packets)
        return 0;
    char text[512];
    int n = snprintf(text, sizeof text,
                     "responses %llu, recorded %llu, tcp messages %llu, tcp gaps %llu, "
                     "oversize %llu, no stream room %llu",
                     (unsigned long long)s->dns.packets, (unsigned long long)s->dns.recorded,
                     (unsigned long long)s->dns.tcp.messages, (unsigned long long)s->dns.tcp.gaps,
                     (unsigned long long)s->dns.tcp.oversize, (unsigned long long)s->dns.no_room);
    for (int i = 1; i <= PF_DNS_REJECTS && n > 0 && (size_t)n < sizeof text; i++)
        if (s->dns.rejected[i])
            n += snprintf(text + n, sizeof text - (size_t)n, ", %s %llu", pfr_dns_reject_name(-i),
                          (unsigned long long)s->dns.rejected[i]);
    struct pf_record r;
    pfr_source_record_init(&r, PF_REC_HOSTINFO, pfr_plat_boottime_ns());
    r.u.hostinfo.key = "dns";
    r.u.hostinfo.key_len = 3;
    r.u.hostinfo.value = text;
    r.u.hostinfo.value_len = (uint32_t)strnlen(text, sizeof text);
    return emit(s, &r);
}

static int on_event(void *ctx, void *data, size_t size)
{
    struct pfr_source *s = ctx;
    const struct pfe_hdr *h = data;
    if (size < sizeof *h)
        return 0;
    s->st.events++;
    switch (h->type) {
    case PFE_EXEC:
    case PFE_FORK:
    case PFE_EXIT:
        if (size < offsetof(struct pfe_proc, path))
            return 0;
        return emit_proc(s, data, size) < 0 ? s->emit_err : 0;
    case PFE_STATE:
        if (size < sizeof(struct pfe_sock))
            return 0;
        return emit_state(s, data) < 0 ? s->emit_err : 0;
    case PFE_CALL:
        if (size < sizeof(struct pfe_sock))
            return 0;
        return emit_call(s, data) < 0 ? s->emit_err : 0;
    case PFE_FIRST: {
        const struct pfe_sock *e = data;
        if (size < sizeof *e)
            return 0;
        struct owner o = {e->h.pid, 0, e->h.start_ns};
        struct owner *slot = pfc_htab_put(&s->owners, &e->cookie, NULL);
        if (slot)
            *slot = o;
        if (e->a.proto == PF_PROTO_RAW || e->a.proto == PF_PROTO_PACKET) {
            /* No handshake tells who began: the first call does. */
            struct pfe_flow_key fk;
            memset(&fk, 0, sizeof fk);
            fk.pid = e->h.pid;
            fk.netns = e->a.netns; /* as the kernel's aggregate keys it */
            fk.start_ns = e->h.start_ns;
            fk.cookie = e->cookie;
            memcpy(fk.raddr, e->a.raddr, 16);
            fk.rport = e->a.rport;
            fk.family = e->a.family;
            fk.proto = e->a.proto;
            uint8_t *d = pfc_htab_put(&s->firstdir, &fk, NULL);
            if (d)
                *d = e->dir;
        }
        if (e->a.proto == PF_PROTO_PACKET)
            pfr_pktsocks_add(&s->pkt, e->cookie, e->bytes, e->a.netns, e->h.pid);
        return release_accept(s, e->cookie, e->h.pid, e->h.start_ns) < 0 ? s->emit_err : 0;
    }
    case PFE_RELEASE: {
        const struct pfe_sock *e = data;
        if (size >= sizeof *e)
            pfc_htab_put(&s->released, &e->cookie, NULL);
        return 0;
    }
    case PFE_DNS:
        if (size < offsetof(struct pfe_dns, data))
            return 0;
        return on_dns(s, data, size) < 0 ? s->emit_err : 0;
    default: return 0;
    }
}

/* ------------------------------------------------------------ flushing */

/* Sums the per-CPU values; sum->ifirst_ns becomes the first call of the
 * interval being flushed (epochs ep and, for calls that raced with the
 * epoch change and are already in these totals, ep + 1). */
static void sum_vals(const struct pfr_source *s, struct pfe_flow_val *sum, uint32_t ep)
{
    memset(sum, 0, sizeof *sum);
    for (int c = 0; c < s->ncpu; c++) {
        const struct pfe_flow_val *v = &s->vals[c];
        if ((v->epoch == ep || v->epoch == ep + 1) && v->ifirst_ns &&
            (!sum->ifirst_ns || v->ifirst_ns < sum->ifirst_ns))
            sum->ifirst_ns = v->ifirst_ns;
        sum->bytes_sent += v->bytes_sent;
        sum->bytes_recv += v->bytes_recv;
        sum->sends += v->sends;
        sum->recvs += v->recvs;
        if (v->first_ns && (!sum->first_ns || v->first_ns < sum->first_ns))
            sum->first_ns = v->first_ns;
        if (v->last_ns > sum->last_ns)
            sum->last_ns = v->last_ns;
        if (!sum->lport && v->lport) {
            memcpy(sum->laddr, v->laddr, 16);
            sum->lport = v->lport;
        }
    }
}

/* Flow keys gathered during a map walk, acted on after it. */
struct key_list {
    struct pfe_flow_key *v;
    size_t n, cap;
};

static int push_key(struct key_list *l, const struct pfe_flow_key *k)
{
    if (l->n == l->cap) {
        struct pfe_flow_key *nv = pfc_array_grow(l->v, &l->cap, l->n + 1, sizeof *nv, 64, 0);
        if (!nv)
            return -ENOMEM;
        l->v = nv;
    }
    l->v[l->n++] = *k;
    return 0;
}

/* Emits one traffic record for the difference between sum and the shadow
 * and advances the shadow. */
static int emit_delta(struct pfr_source *s, const struct pfe_flow_key *key, const struct pfe_flow_val *sum,
                      struct shadow *sh, uint64_t retr, uint64_t now, uint32_t flags, int force)
{
    struct pf_record r;
    memset(&r, 0, sizeof r);
    struct pf_traffic *t = &r.u.traffic;
    t->bytes_sent = sum->bytes_sent - sh->bytes_sent;
    t->bytes_recv = sum->bytes_recv - sh->bytes_recv;
    t->sends = sum->sends - sh->sends;
    t->recvs = sum->recvs - sh->recvs;
    t->retransmits = retr;
    int changed = t->sends || t->recvs || t->retransmits;
    if (!changed && !force)
        return 0;
    r.type = PF_REC_TRAFFIC;
    /* A closing record without new calls keeps the last call's time: a
     * flow never ends at a flush after its process exited. */
    r.ts_ns = changed && sum->last_ns ? sum->last_ns : sh->last_ts ? sh->last_ts : sum->last_ns ? sum->last_ns : now;
    /* The interval's first call, else the flow's (never before what an
     * earlier record covered). */
    uint64_t from = sum->ifirst_ns ? sum->ifirst_ns : sum->first_ns;
    if (from < sh->last_ts)
        from = sh->last_ts;
    t->duration_ns = r.ts_ns > from ? r.ts_ns - from : 0;
    t->key.pid = key->pid;
    t->key.pid_start_ns = key->start_ns;
    t->key.sock_id = key->cookie;
    t->key.netns = key->netns;
    t->key.proto = key->proto;
    t->key.family = key->family;
    endpoint(&t->key.local, sum->laddr, sum->lport, key->family);
    endpoint(&t->key.remote, key->raddr, key->rport, key->family);
    fix_local(s, key->cookie, key->proto, key->family, &t->key.local, &t->key.remote);
    t->flags = flags;
    if (emit(s, &r) < 0)
        return s->emit_err;
    s->st.events += t->sends + t->recvs; /* calls count as events too */
    sh->bytes_sent = sum->bytes_sent;
    sh->bytes_recv = sum->bytes_recv;
    sh->sends = sum->sends;
    sh->recvs = sum->recvs;
    sh->last_ts = r.ts_ns;
    if (changed)
        sh->last_change_ns = now;
    return 1;
}

/* Retransmits counted in the kernel since the last flush, per cookie, into
 * `retr` (cookie -> pfe_retrans). They ride on the socket's next record. */
static void collect_retrans(struct pfr_source *s, struct pfc_htab *retr)
{
    int fd_retr = bpf_map__fd(s->skel->maps.retrans);
    uint64_t ck, cnext;
    struct pfe_retrans total;
    void *cprev = NULL;
    for (int guard = 0; guard < 100000 && bpf_map_get_next_key(fd_retr, cprev, &cnext) == 0; guard++) {
        ck = cnext;
        cprev = &ck;
        if (bpf_map_lookup_elem(fd_retr, &ck, &total) != 0)
            continue;
        uint64_t *seen = pfc_htab_get(&s->retr_seen, &ck);
        uint64_t d = total.count - (seen ? *seen : 0);
        if (d) {
            struct pfe_retrans *slot = pfc_htab_put(retr, &ck, NULL);
            if (slot)
                *slot = (struct pfe_retrans){d, total.last_ns};
        }
    }
}

/* Adds n retransmits to what was written for the socket. */
static void retrans_written(struct pfr_source *s, uint64_t cookie, uint64_t n)
{
    uint64_t *seen = pfc_htab_put(&s->retr_seen, &cookie, NULL);
    if (seen)
        *seen += n;
}

/* Walks the kernel flow map: one delta record per changed entry (with the
 * socket's pending retransmits), released sockets' entries into `dead`,
 * idle ones into `idle`. Returns the records written. */
static int emit_flow_deltas(struct pfr_source *s, struct pfc_htab *retr, uint32_t ep, uint64_t now, int final_all,
                            struct key_list *dead, struct key_list *idle)
{
    int fd_flows = bpf_map__fd(s->skel->maps.flows);
    struct pfe_flow_key key, next;
    void *prev = NULL;
    int emitted = 0;
    for (int guard = 0; guard < 4 * FLOW_MAP_ENTRIES && bpf_map_get_next_key(fd_flows, prev, &next) == 0; guard++) {
        key = next;
        prev = &key;
        if (bpf_map_lookup_elem(fd_flows, &key, s->vals) != 0)
            continue;
        struct pfe_flow_val sum;
        sum_vals(s, &sum, ep);
        int created = 0;
        struct shadow *sh = pfc_htab_put(&s->shadows, &key, &created);
        if (!sh)
            continue; /* cannot happen: the shadow table is unbounded */
        if (created) {
            s->st.flows++;
            sh->last_change_ns = now;
            struct owner o = {key.pid, 0, key.start_ns};
            struct owner *slot = pfc_htab_put(&s->owners, &key.cookie, NULL);
            if (slot)
                *slot = o;
            if (release_accept(s, key.cookie, key.pid, key.start_ns) < 0)
                break;
        }
        int released = !final_all && pfc_htab_get(&s->released, &key.cookie) != NULL;
        const uint8_t *first = created ? pfc_htab_get(&s->firstdir, &key) : NULL;
        if (first && sum.sends && (sum.recvs || sum.bytes_recv)) {
            /* The first interval went both ways: its first call's direction
             * goes out first, so the flow's direction is who spoke first. */
            struct pfe_flow_val part = sum;
            if (*first == 0)
                part.bytes_recv = part.recvs = 0;
            else
                part.bytes_sent = part.sends = 0;
            if (emit_delta(s, &key, &part, sh, 0, now, 0, 0) < 0)
                break;
        }
        if (created)
            pfc_htab_del(&s->firstdir, &key);
        struct pfe_retrans *rd = pfc_htab_get(retr, &key.cookie);
        int rc = emit_delta(s, &key, &sum, sh, rd ? rd->count : 0, now, released ? PF_TRAFFIC_FINAL : 0, released);
        if (rc < 0)
            break;
        if (rc > 0) {
            emitted++;
            if (rd) {
                retrans_written(s, key.cookie, rd->count);
                pfc_htab_del(retr, &key.cookie);
            }
        }
        if (released)
            (void)push_key(dead, &key); /* on failure: next flush */
        else if (!final_all && now - sh->last_change_ns >= IDLE_EVICT_NS)
            (void)push_key(idle, &key);
    }
    return emitted;
}

/* Idle flows of live sockets: takes each value out atomically and writes
 * what (rarely) arrived since the walk. An update racing with the delete
 * itself can still be lost; counted flows restart from zero in a fresh
 * entry. Returns the records written. */
static int evict_idle(struct pfr_source *s, const struct key_list *idle, uint32_t ep, uint64_t now)
{
    int fd_flows = bpf_map__fd(s->skel->maps.flows);
    int emitted = 0;
    for (size_t i = 0; i < idle->n && !s->emit_err && s->can_evict; i++) {
        if (bpf_map_lookup_and_delete_elem(fd_flows, &idle->v[i], s->vals) != 0) {
            if (errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP)
                s->can_evict = 0; /* kernel without it: keep entries */
            continue;
        }
        struct pfe_flow_val sum;
        sum_vals(s, &sum, ep);
        struct shadow *sh = pfc_htab_get(&s->shadows, &idle->v[i]);
        if (sh && emit_delta(s, &idle->v[i], &sum, sh, 0, now, 0, 0) > 0)
            emitted++;
        pfc_htab_del(&s->shadows, &idle->v[i]);
        s->st.evicted++;
    }
    return emitted;
}

/* Retransmits of sockets without a flow entry this time (per-call mode, or
 * no traffic in the kernel map): a record of their own, charged to the
 * socket's last known user. Returns the records written. */
static int emit_lone_retrans(struct pfr_source *s, struct pfc_htab *retr, uint64_t now)
{
    int emitted = 0;
    struct pfc_htab_iter it = PFC_HTAB_ITER_INIT;
    for (const struct pfe_retrans *rv; !s->emit_err && (rv = pfc_htab_next(retr, &it));) {
        uint64_t c;
        memcpy(&c, pfc_htab_key(retr, rv), sizeof c);
        const struct owner *o = pfc_htab_get(&s->owners, &c);
        const struct sockinfo *si = pfc_htab_get(&s->locals, &c);
        if (!o || !si)
            continue; /* stays pending until the socket is known */
        struct pf_record r;
        pfr_source_record_init(&r, PF_REC_TRAFFIC, rv->last_ns ? rv->last_ns : now); /* when the latest happened */
        r.u.traffic.key.pid = o->pid;
        r.u.traffic.key.pid_start_ns = o->start_ns;
        r.u.traffic.key.sock_id = c;
        r.u.traffic.key.proto = PF_PROTO_TCP;
        r.u.traffic.key.family = si->family;
        r.u.traffic.key.local = si->local;
        r.u.traffic.key.remote = si->remote;
        r.u.traffic.retransmits = rv->count;
        if (emit(s, &r) < 0)
            break;
        emitted++;
        retrans_written(s, c, rv->count);
    }
    return emitted;
}

/* Released sockets are final now: forget everything about them. A TCP
 * socket goes on after close() (FIN, retransmits): its owner and endpoints
 * stay until it reaches CLOSE. */
static void forget_released(struct pfr_source *s)
{
    struct pfc_htab_iter it = PFC_HTAB_ITER_INIT;
    for (const void *v; (v = pfc_htab_next(&s->released, &it));) {
        uint64_t c;
        memcpy(&c, pfc_htab_key(&s->released, v), sizeof c);
        struct sockinfo *si = pfc_htab_get(&s->locals, &c);
        if (si && si->state && si->state != PF_TCP_CLOSE && si->state != PF_TCP_TIME_WAIT)
            si->released = 1;
        else
            forget_socket(s, c);
    }
    pfc_htab_clear(&s->released);
}

/* A packet socket its namespace's table no longer lists: as a release event. */
static void packet_released(void *ctx, uint64_t cookie)
{
    struct pfr_source *s = ctx;
    pfc_htab_put(&s->released, &cookie, NULL);
}

/* Emits deltas of every kernel flow entry against what was written before.
 * Entries are deleted only once their socket was released, so no increment
 * can race with the delete. Returns the records written or a negative
 * error. */
static int flush_flows(struct pfr_source *s, uint64_t now, int final_all)
{
    struct key_list dead = {0}, idle = {0};
    struct pfc_htab retr;
    int emitted = 0;
    if (pfc_htab_init(&retr, sizeof(uint64_t), sizeof(struct pfe_retrans), 0))
        return -ENOMEM;
    collect_retrans(s, &retr);

    /* Packet sockets have no release event: those closed by now are. */
    if (!final_all)
        pfr_pktsocks_sweep(&s->pkt, packet_released, s);

    /* New calls start the next interval from here on. */
    uint32_t ep = s->skel->bss->pfe_flush_epoch;
    s->skel->bss->pfe_flush_epoch = ep + 1;

    emitted += emit_flow_deltas(s, &retr, ep, now, final_all, &dead, &idle);
    int fd_flows = bpf_map__fd(s->skel->maps.flows);
    for (size_t i = 0; i < dead.n; i++) {
        bpf_map_delete_elem(fd_flows, &dead.v[i]);
        pfc_htab_del(&s->shadows, &dead.v[i]);
    }
    emitted += evict_idle(s, &idle, ep, now);
    if (!s->emit_err)
        emitted += emit_lone_retrans(s, &retr, now);
    if (!final_all && !s->emit_err)
        forget_released(s);

    free(idle.v);
    free(dead.v);
    pfc_htab_free(&retr);
    return s->emit_err ? s->emit_err : emitted;
}

static int flush_loss(struct pfr_source *s, uint64_t now)
{
    int fd = bpf_map__fd(s->skel->maps.loss);
    uint64_t vals[MAX_CPUS];
    int n = s->ncpu < MAX_CPUS ? s->ncpu : MAX_CPUS;
    for (uint32_t slot = 0; slot < PFE_LOSS_SLOTS; slot++) {
        if (bpf_map_lookup_elem(fd, &slot, vals) != 0)
            continue;
        for (int c = 0; c < n; c++) {
            uint64_t d = vals[c] - s->loss_seen[slot][c];
            if (!d)
                continue;
            s->loss_seen[slot][c] = vals[c];
            s->st.lost += d;
            struct pf_record r;
            pfr_source_record_init(&r, PF_REC_LOSS, now);
            r.u.loss.source = slot == PFE_LOSS_RINGBUF ? PF_LOSS_RINGBUF : PF_LOSS_MAP_FULL;
            r.u.loss.cpu = (uint32_t)c;
            r.u.loss.count = d;
            r.u.loss.since_ns = s->loss_since_ns;
            if (emit(s, &r) < 0)
                return s->emit_err;
        }
    }
    s->loss_since_ns = now;
    return 0;
}

struct held_ctx {
    struct pfr_source *s;
    uint64_t before;
};

static int emit_held(void *vctx, const void *key, void *val)
{
    struct held_ctx *c = vctx;
    const struct held *h = val;
    (void)key;
    if (h->rec[0].ts_ns > c->before || c->s->emit_err)
        return 0;
    for (uint32_t i = 0; i < h->n && i < HELD_MAX; i++)
        if (emit(c->s, &h->rec[i]) < 0)
            break;
    return 1;
}

static int flush_all(struct pfr_source *s, uint64_t now, int final_all)
{
    /* Drain events first so a release seen now covers all of its traffic. */
    if (ring_buffer__consume(s->rb) < 0 && s->emit_err)
        return s->emit_err;
    /* Connects that never progressed (or were missed) go out as they are. */
    struct held_ctx hc = {s, final_all ? UINT64_MAX : now > 2000000000ull ? now - 2000000000ull : 0};
    pfc_htab_scan(&s->connects, emit_held, &hc);
    if (s->emit_err)
        return s->emit_err;
    int rc = flush_flows(s, now, final_all);
    if (rc < 0)
        return rc;
    int lrc = flush_loss(s, now);
    s->last_flush_ns = now;
    return lrc < 0 ? lrc : rc;
}

/* ------------------------------------------------------------ snapshots */

static int emit_rundown_proc(void *vctx, uint32_t pid)
{
    struct pfr_snap_ctx *c = vctx;
    struct pfr_procinfo *pi = malloc(sizeof *pi);
    if (!pi)
        return -ENOMEM;
    uint64_t netns = proc_netns(pid);
    if (pfr_procfs_read(pid, pi) == 0 && (c->s->only_uid == UINT32_MAX || pi->uid == c->s->only_uid) &&
        (!c->s->netns_id || netns == c->s->netns_id) && cgroup_wanted(c->s, pi->cgroup)) {
        struct pf_record r;
        pfr_source_record_init(&r, PF_REC_PROCESS, c->now);
        struct pf_process *p = &r.u.process;
        p->event = c->kind == PF_SNAPSHOT_FINAL     ? PF_PROC_END_RUNDOWN
                   : c->kind == PF_SNAPSHOT_RUNDOWN ? PF_PROC_RUNDOWN
                                                    : PF_PROC_SNAPSHOT;
        p->pid = pid;
        p->ppid = pi->ppid;
        p->start_ns = pi->start_ns;
        p->parent_start_ns = pi->parent_start_ns;
        p->uid = pi->uid;
        p->comm = pi->comm;
        p->comm_len = (uint32_t)strlen(pi->comm);
        p->exe = pi->exe;
        p->exe_len = (uint32_t)strlen(pi->exe);
        p->cmdline = pi->cmdline;
        p->cmdline_len = (uint32_t)pi->cmdline_len;
        char *full = NULL; /* the buffer may have cut it: read it whole */
        long flen = pi->cmdline_filled ? pfr_procfs_cmdline(pid, &full) : -1;
        if (flen >= (long)pi->cmdline_len) {
            p->cmdline = full;
            p->cmdline_len = (uint32_t)flen;
        } else if (pi->cmdline_filled) {
            /* gone meanwhile: keep the beginning, marked */
            free(full);
            full = malloc(pi->cmdline_len + sizeof PF_CMDLINE_CUT);
            if (full) {
                memcpy(full, pi->cmdline, pi->cmdline_len);
                memcpy(full + pi->cmdline_len, PF_CMDLINE_CUT, sizeof PF_CMDLINE_CUT);
                p->cmdline = full;
                p->cmdline_len = (uint32_t)(pi->cmdline_len + sizeof PF_CMDLINE_CUT - 1);
            }
        }
        p->cgroup = pi->cgroup;
        p->cgroup_len = (uint32_t)strlen(pi->cgroup);
        p->container = pi->container;
        p->container_len = (uint32_t)strlen(pi->container);
        p->netns = netns;
        note_process(c->s, c->kind == PF_SNAPSHOT_RUNDOWN && !c->s->rundown_done);
        int erc = emit(c->s, &r);
        free(full);
        if (erc < 0) {
            free(pi);
            return c->s->emit_err;
        }
        c->count++;
    }
    free(pi);
    return 0;
}

/* --cgroup for a socket table row: its owner's cgroup. */
static int owner_in_cgroup(const struct pfr_source *s, uint32_t pid)
{
    char path[64], line[600];
    snprintf(path, sizeof path, "/proc/%u/cgroup", pid);
    FILE *f = fopen(path, "re");
    int yes = 0;
    if (!f)
        return 0;
    while (!yes && fgets(line, sizeof line, f))
        if (!strncmp(line, "0::", 3)) {
            line[strcspn(line, "\n")] = '\0';
            yes = cgroup_wanted(s, line + 3);
        }
    fclose(f);
    return yes;
}

static int emit_diag(void *vctx, const struct pfr_diag_sock *d)
{
    struct pfr_snap_ctx *c = vctx;
    struct pfr_source *s = c->s;
    const struct pfr_sock_owner *own = d->inode ? pfr_owner_table_find(&s->inodes, d->inode) : NULL;
    if (s->only_uid != UINT32_MAX && d->uid != s->only_uid)
        return 0;
    if (s->cg_id && !(own && owner_in_cgroup(s, own->pid)))
        return 0;
    struct pf_record r;
    pfr_source_record_init(&r, PF_REC_SNAPSHOT, c->now);
    struct pf_snapshot *n = &r.u.snapshot;
    n->key.sock_id = d->cookie;
    n->key.netns = s->netns_id ? s->netns_id : s->own_netns; /* the table dumped */
    n->key.proto = d->proto;
    n->key.family = d->family;
    endpoint(&n->key.local, d->laddr, d->lport, d->family);
    endpoint(&n->key.remote, d->raddr, d->rport, d->family);
    /* Time-wait and closed rows have no user left: nothing to remember. */
    int live = !(d->proto == PF_PROTO_TCP && (d->state == PF_TCP_TIME_WAIT || d->state == PF_TCP_CLOSE));
    if (live) {
        fix_local(s, d->cookie, d->proto, d->family, &n->key.local, &n->key.remote);
        struct sockinfo *si = d->proto == PF_PROTO_TCP ? pfc_htab_get(&s->locals, &d->cookie) : NULL;
        if (si)
            si->state = d->state;
    }
    n->state = d->state;
    n->uid = d->uid;
    if (d->has_bytes) {
        n->bytes_sent = d->bytes_sent;
        n->bytes_recv = d->bytes_recv;
        n->flags |= PF_SNAP_HAS_BYTES;
    }
    if (own) {
        n->key.pid = own->pid;
        n->key.pid_start_ns = own->start_ns;
        if (live && d->cookie && !pfc_htab_get(&s->owners, &d->cookie)) {
            struct owner o = {own->pid, 0, own->start_ns};
            struct owner *slot = pfc_htab_put(&s->owners, &d->cookie, NULL);
            if (slot)
                *slot = o;
        }
        if (d->proto == PF_PROTO_TCP && d->state == PF_TCP_LISTEN) {
            struct listen_key lk = {d->family, 0, d->lport, 0};
            struct owner *slot = pfc_htab_put(&s->listeners, &lk, NULL);
            if (slot)
                *slot = (struct owner){own->pid, 0, own->start_ns};
        }
    } else {
        n->flags |= PF_SNAP_PID_UNKNOWN;
    }
    if (c->kind == PF_SNAPSHOT_RUNDOWN)
        n->flags |= PF_SNAP_RUNDOWN;
    else if (c->kind == PF_SNAPSHOT_FINAL)
        n->flags |= PF_SNAP_FINAL;
    if (emit(s, &r) < 0)
        return 1;
    c->count++;
    return 0;
}

static int lx_snapshot(struct pfr_source *s, int kind, pfr_emit_fn fn, void *ctx)
{
    struct pfr_snap_ctx c = {s, kind, pfr_plat_boottime_ns(), 0};
    s->emit = fn;
    s->emit_ctx = ctx;
    if (kind != PF_SNAPSHOT_PERIODIC) {
        int rc = pfr_procfs_foreach_pid(emit_rundown_proc, &c);
        if (rc < 0)
            return op_result(s, rc);
    }
    if (pfr_owner_table_scan(&s->inodes, s->only_uid) < 0)
        s->inodes.n = 0;
    static const int protos[2] = {PF_PROTO_TCP, PF_PROTO_UDP};
    static const int fams[2] = {4, 6};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            int rc = s->diag_fd >= 0 ? pfr_sockdiag_dump_fd(s->diag_fd, protos[i], fams[j], emit_diag, &c)
                     : s->netns_id   ? -ENOENT /* said at start */
                                     : pfr_sockdiag_dump(protos[i], fams[j], emit_diag, &c);
            if (s->emit_err)
                return s->emit_err;
            if (rc < 0 && rc != -ENOENT && rc != -EAFNOSUPPORT)
                notice(s, "socket table (%s/IPv%d) unreadable: %s", i ? "UDP" : "TCP", fams[j], strerror(-rc));
        }
    /* Raw sockets from sock_diag where the kernel has it (socket ids
     * included), else from /proc/net; ping and packet sockets have no
     * sock_diag dump that names them here: /proc/net. */
    for (int j = 0; j < 2; j++) {
        int rc = -ENOENT;
        if (s->raw_diag != 0) {
            int before = c.count;
            rc = pfr_sockdiag_dump(PF_PROTO_RAW, fams[j], emit_diag, &c);
            if (s->emit_err)
                return s->emit_err;
            if (rc < 0 && c.count == before && s->raw_diag < 0) {
                s->raw_diag = 0;
                notice(s,
                       "no sock_diag for raw sockets (%s): raw sockets are read from /proc/net/raw, without socket ids",
                       strerror(-rc));
            } else if (rc == 0) {
                s->raw_diag = 1;
            }
        }
        if (s->raw_diag == 0)
            rc = pfr_procnet_dump("/proc/net", PF_PROTO_RAW, fams[j], emit_diag, &c);
        int rc2 = pfr_procnet_dump("/proc/net", fams[j] == 4 ? PF_PROTO_ICMP : PF_PROTO_ICMPV6, fams[j], emit_diag, &c);
        if (s->emit_err)
            return s->emit_err;
        if (rc < 0 && rc != -ENOENT)
            notice(s, "socket table (raw/IPv%d) unreadable: %s", fams[j], strerror(-rc));
        if (rc2 < 0 && rc2 != -ENOENT)
            notice(s, "socket table (ICMP/IPv%d) unreadable: %s", fams[j], strerror(-rc2));
    }
    int prc = pfr_procnet_dump("/proc/net", PF_PROTO_PACKET, 4, emit_diag, &c);
    if (s->emit_err)
        return s->emit_err;
    if (prc < 0 && prc != -ENOENT)
        notice(s, "socket table (packet) unreadable: %s", strerror(-prc));
    /* The inode table is only needed during the snapshot. */
    pfr_owner_table_free(&s->inodes);
    if (kind == PF_SNAPSHOT_RUNDOWN)
        s->rundown_done = 1;
    return c.count;
}

/* ------------------------------------------------------------ lifecycle */

static void lx_close(struct pfr_source *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nlinks; i++)
        bpf_link__destroy(s->links[i]);
    ring_buffer__free(s->rb);
    procflow_bpf__destroy(s->skel);
    if (s->cgroup_fd >= 0)
        close(s->cgroup_fd);
    if (s->diag_fd >= 0)
        close(s->diag_fd);
    pfc_htab_free(&s->shadows);
    pfc_htab_free(&s->owners);
    pfc_htab_free(&s->listeners);
    pfc_htab_free(&s->released);
    pfr_pktsocks_free(&s->pkt);
    pfc_htab_free(&s->retr_seen);
    pfc_htab_free(&s->locals);
    pfc_htab_free(&s->connects);
    pfc_htab_free(&s->callflows);
    pfc_htab_free(&s->firstdir);
    pfc_htab_free(&s->dns_streams);
    pfr_owner_table_free(&s->inodes);
    cg_clear(s);
    free(s->vals);
    free(s);
}

/* Number of arguments the kernel passes to a tracepoint (BTF), or -1. */
static int tracepoint_args(const char *name)
{
    char tname[128];
    snprintf(tname, sizeof tname, "btf_trace_%s", name);
    struct btf *btf = btf__load_vmlinux_btf();
    if (!btf)
        return -1;
    int n = -1;
    int id = btf__find_by_name_kind(btf, tname, BTF_KIND_TYPEDEF);
    const struct btf_type *t = id > 0 ? btf__type_by_id(btf, (uint32_t)id) : NULL;
    if (t)
        t = btf__type_by_id(btf, t->type); /* pointer */
    if (t && btf_is_ptr(t))
        t = btf__type_by_id(btf, t->type); /* function prototype */
    if (t && btf_is_func_proto(t))
        n = btf_vlen(t) - 1; /* the first is the tracepoint's context */
    btf__free(btf);
    return n;
}

/* Loads the BPF object: level 2 everything, 1 without the UDP source
 * queue hooks, 0 without any cgroup hook (kernels or setups that refuse
 * them). */
static int load_bpf(struct pfr_source *s, int level)
{
    s->skel = procflow_bpf__open();
    if (!s->skel)
        return -errno ? -errno : -ENOMEM;
    s->skel->rodata->cfg.per_call = s->cfg.per_call ? 1 : 0;
    s->skel->rodata->cfg.netns = (uint32_t)s->netns_id;
    s->skel->rodata->cfg.cgroup_id = s->cg_id;
    s->skel->rodata->cfg.cgroup_level = s->cg_level;
    int ncpu = libbpf_num_possible_cpus();
    size_t per_entry = sizeof(struct pfe_flow_key) + (size_t)(ncpu > 0 ? ncpu : 1) * sizeof(struct pfe_flow_val);
    size_t entries = FLOW_MAP_BUDGET / per_entry;
    if (entries > FLOW_MAP_ENTRIES)
        entries = FLOW_MAP_ENTRIES;
    if (entries < 4096)
        entries = 4096;
    bpf_map__set_max_entries(s->skel->maps.flows, (uint32_t)entries);
    uint32_t ring = s->cfg.per_call ? RINGBUF_BYTES_PER_CALL : RINGBUF_BYTES;
    if (s->cfg.buffer_mb) {
        /* The ring must be a power of two pages. */
        ring = 1u << 20;
        while (ring < s->cfg.buffer_mb * (1u << 20) && ring < (1u << 30))
            ring <<= 1;
    }
    bpf_map__set_max_entries(s->skel->maps.events, ring);
    /* One of the two retransmit programs, by the tracepoint's arguments. */
    int with_err = tracepoint_args("tcp_retransmit_skb") >= 3;
    bpf_program__set_autoload(with_err ? s->skel->progs.on_retrans : s->skel->progs.on_retrans_err, false);
    if (level < 2) {
        bpf_program__set_autoload(s->skel->progs.on_ingress, false);
        bpf_program__set_autoload(s->skel->progs.on_drop, false);
        bpf_program__set_autoload(s->skel->progs.on_egress, false);
        bpf_program__set_autoload(s->skel->progs.on_copy, false);
    }
    if (level < 1) {
        bpf_program__set_autoload(s->skel->progs.on_sendmsg4, false);
        bpf_program__set_autoload(s->skel->progs.on_sendmsg6, false);
        bpf_program__set_autoload(s->skel->progs.on_recvmsg4, false);
        bpf_program__set_autoload(s->skel->progs.on_recvmsg6, false);
        bpf_program__set_autoload(s->skel->progs.on_release, false);
    }
    int rc = procflow_bpf__load(s->skel);
    if (rc) {
        procflow_bpf__destroy(s->skel);
        s->skel = NULL;
    }
    return rc;
}

static int attach(struct pfr_source *s, struct bpf_program *p, int cgroup, const char *lost)
{
    if (s->nlinks >= (int)(sizeof s->links / sizeof s->links[0]))
        return -ENOSPC;
    struct bpf_link *l = cgroup ? bpf_program__attach_cgroup(p, s->cgroup_fd) : bpf_program__attach(p);
    if (!l) {
        int e = errno;
        notice(s, "kernel hook %s unavailable (%s): %s", bpf_program__name(p), strerror(e), lost);
        return -e;
    }
    s->links[s->nlinks++] = l;
    return 0;
}

static int lx_open(struct pfr_source **out, const struct pfr_source_config *cfg)
{
    *out = NULL;
    struct pfr_source *s = calloc(1, sizeof *s);
    if (!s)
        return pfr_plat_os_error(ENOMEM);
    s->cfg = *cfg;
    if (!s->cfg.flush_interval_ns)
        s->cfg.flush_interval_ns = 1000000000ull;
    s->cgroup_fd = -1;
    s->diag_fd = -1;
    s->only_uid = UINT32_MAX;
    s->raw_diag = -1;
    if (pfc_htab_init(&s->shadows, sizeof(struct pfe_flow_key), sizeof(struct shadow), 0) ||
        pfc_htab_init(&s->owners, sizeof(uint64_t), sizeof(struct owner), 1u << 20) ||
        pfc_htab_init(&s->listeners, sizeof(struct listen_key), sizeof(struct owner), 1u << 16) ||
        pfc_htab_init(&s->released, sizeof(uint64_t), 0, 0) ||
        pfc_htab_init(&s->retr_seen, sizeof(uint64_t), sizeof(uint64_t), 0) ||
        pfc_htab_init(&s->locals, sizeof(uint64_t), sizeof(struct sockinfo), 1u << 20) ||
        pfc_htab_init(&s->connects, sizeof(uint64_t), sizeof(struct held), 1u << 16) ||
        pfc_htab_init(&s->callflows, sizeof(struct pfe_flow_key), 0, 1u << 18) ||
        pfc_htab_init(&s->firstdir, sizeof(struct pfe_flow_key), sizeof(uint8_t), 1u << 18) ||
        pfc_htab_init(&s->dns_streams, sizeof(uint64_t), sizeof(struct pfr_dns_stream), 64) ||
        pfr_pktsocks_init(&s->pkt, "/proc")) {
        lx_close(s);
        return pfr_plat_os_error(ENOMEM);
    }
    libbpf_set_print(quiet_libbpf);
    int cgerr = find_cgroup2(s->cg_root, sizeof s->cg_root);
    if (cgerr != 0) {
        s->cg_root[0] = '\0';
        if (cgerr != -ENOENT) /* e.g. EMFILE: name the real reason, not "no mount" */
            notice(s, "cannot read /proc/mounts (%s): cgroup paths and UDP peers of unconnected sockets are not known",
                   strerror(-cgerr));
    }
    int ferr = resolve_filters(s);
    if (ferr) {
        lx_close(s);
        return ferr;
    }

    int rc = -EPERM;
    if (cfg->no_kernel) {
        notice(
            s,
            "--no-ebpf: snapshot-only mode (socket tables every interval; no UDP peers, no bytes between snapshots)");
    } else if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
        notice(
            s,
            "kernel has no BTF (/sys/kernel/btf/vmlinux): snapshot-only mode; no UDP peers, no bytes between snapshots");
    } else {
        rc = load_bpf(s, 2);
        if (rc && load_bpf(s, 1) == 0) {
            /* A kernel whose drop tracepoint or socket storage differs:
             * everything but the UDP source queue. */
            rc = 0;
            notice(
                s,
                "UDP source hooks could not be loaded: UDP sources are known only to receive calls that ask for the address");
        }
        if (rc) {
            /* Socket hooks need CAP_NET_ADMIN on top of CAP_BPF+CAP_PERFMON:
             * without it the tracepoints alone still give exact bytes. */
            int first = rc;
            rc = load_bpf(s, 0);
            if (!rc && (first == -EPERM || first == -EACCES))
                notice(
                    s,
                    "cgroup socket hooks not permitted (needs CAP_NET_ADMIN): UDP peers of unconnected sockets are not known; closed sockets are flushed at exit");
            else if (!rc)
                notice(
                    s,
                    "cgroup socket hooks unavailable: UDP peers of unconnected sockets are not known; closed sockets are flushed at exit");
        }
        if (rc) {
            if (rc == -EPERM || rc == -EACCES)
                notice(
                    s,
                    "not permitted to load eBPF (run as root or with CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN): snapshot-only mode for your own processes; no UDP peers, no bytes between snapshots");
            else
                notice(s, "eBPF unavailable (%s): snapshot-only mode; no UDP peers, no bytes between snapshots",
                       strerror(-rc));
        }
    }
    if (rc == 0) {
        int ncpu = libbpf_num_possible_cpus();
        s->ncpu = ncpu > 0 ? ncpu : 1;
        s->vals = calloc((size_t)s->ncpu, sizeof *s->vals);
        if (!s->vals || s->ncpu > MAX_CPUS) {
            lx_close(s);
            return pfr_plat_os_error(ENOMEM);
        }
        s->kernel = 1;
        s->can_evict = 1;
    } else {
        s->st.snapshot_only = 1;
        if (!pfr_plat_is_root())
            s->only_uid = (uint32_t)getuid();
    }
    *out = s;
    return 0;
}

static int lx_start(struct pfr_source *s)
{
    if (!s->kernel)
        return 0;
    struct procflow_bpf *k = s->skel;
    int traffic = attach(s, k->progs.on_send, 0, "no sent bytes") == 0;
    traffic += attach(s, k->progs.on_recv, 0, "no received bytes") == 0;
    attach(s, k->progs.on_exec, 0, "processes are named from snapshots only");
    attach(s, k->progs.on_fork, 0, "process starts are not recorded");
    attach(s, k->progs.on_exit, 0, "process exits are not recorded");
    attach(s, k->progs.on_state, 0, "no TCP connect/accept/close events");
    attach(s, bpf_program__autoload(k->progs.on_retrans) ? k->progs.on_retrans : k->progs.on_retrans_err, 0,
           "no TCP retransmit counts");
    attach(s, k->progs.on_tcp_read, 0, "TCP bytes spliced from a socket into a pipe are not counted");
    if (bpf_program__autoload(k->progs.on_sendmsg4)) {
        if (s->cg_root[0])
            s->cgroup_fd = open(s->cg_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->cgroup_fd < 0 && s->cg_root[0]) {
            notice(s, "cannot open the cgroup v2 mount %s (%s): UDP peers of unconnected sockets are not known",
                   s->cg_root, strerror(errno));
        } else if (s->cgroup_fd < 0) {
            notice(s, "no cgroup v2 mount: UDP peers of unconnected sockets are not known");
        } else {
            const char *nopeer = "UDP peers of unconnected sockets are not known";
            /* Destinations of UDP sends: from the egress hook, which every
             * sent datagram passes anyway; the sendmsg hooks (one hook more
             * on each unconnected send, under the socket lock) only where
             * it cannot load. */
            int egress = bpf_program__autoload(k->progs.on_egress) && attach(s, k->progs.on_egress, 1, nopeer) == 0;
            int ok = 1;
            if (egress) {
                s->skel->bss->pfe_udp_dst_egress = 1;
            } else {
                ok &= attach(s, k->progs.on_sendmsg4, 1, nopeer) == 0;
                ok &= attach(s, k->progs.on_sendmsg6, 1, nopeer) == 0;
            }
            /* Datagram sources for every receive call, not only those
             * asking for the address: the drop hook first (it keeps the
             * queues right), then the ingress hook that fills them. The
             * recvmsg hooks are the fallback without them. */
            int queue = bpf_program__autoload(k->progs.on_ingress) &&
                        attach(s, k->progs.on_drop, 0,
                               "UDP sources are known only to receive calls that ask for the address") == 0 &&
                        attach(s, k->progs.on_ingress, 1,
                               "UDP sources are known only to receive calls that ask for the address") == 0;
            if (queue) {
                s->skel->bss->pfe_udp_src_queue = 1;
            } else {
                ok &= attach(s, k->progs.on_recvmsg4, 1, nopeer) == 0;
                ok &= attach(s, k->progs.on_recvmsg6, 1, nopeer) == 0;
            }
            s->have_peers = ok;
            if (bpf_program__autoload(k->progs.on_egress)) {
                const char *noip = "peers of unconnected ping and raw sockets are not known";
                attach(s, k->progs.on_copy, 0, noip);
                if (!egress)
                    attach(s, k->progs.on_egress, 1, noip);
            }
            s->have_release = attach(s, k->progs.on_release, 1,
                                     "closed sockets are flushed only at exit (memory grows with flows)") == 0;
        }
    }
    if (!s->skel->bss->pfe_udp_src_queue)
        notice(s, "no ingress socket hook: DNS answers are not recorded");
    if (!traffic) {
        notice(s, "no traffic hooks attached: snapshot-only mode");
        s->st.snapshot_only = 1;
    }
    s->rb = ring_buffer__new(bpf_map__fd(k->maps.events), on_event, s, NULL);
    if (!s->rb)
        return pfr_plat_os_error(errno ? errno : ENOMEM);
    uint64_t now = pfr_plat_boottime_ns();
    s->last_flush_ns = s->loss_since_ns = now;
    s->next_flush_ns = now + s->cfg.flush_interval_ns;
    return 0;
}

static int lx_poll(struct pfr_source *s, pfr_emit_fn fn, void *ctx, int timeout_ms)
{
    s->emit = fn;
    s->emit_ctx = ctx;
    if (!s->kernel) {
        usleep((useconds_t)(timeout_ms > 0 ? timeout_ms : 1) * 1000u);
        return 0;
    }
    /* Events are submitted without wake-ups: poll on a short timer and
     * drain whatever is there. */
    int slice = timeout_ms < 10 ? timeout_ms : 10;
    int rc = ring_buffer__poll(s->rb, slice);
    if (rc >= 0)
        rc = ring_buffer__consume(s->rb);
    if (s->emit_err)
        return s->emit_err;
    if (rc < 0 && rc != -EINTR)
        return op_result(s, rc);
    uint64_t now = pfr_plat_boottime_ns();
    if (now >= s->next_flush_ns) {
        s->next_flush_ns = now + s->cfg.flush_interval_ns;
        int f = flush_all(s, now, 0);
        if (f < 0)
            return op_result(s, f);
        rc = (rc > 0 ? rc : 0) + f;
    }
    return rc > 0 ? rc : 0;
}

static int lx_stop(struct pfr_source *s, pfr_emit_fn fn, void *ctx)
{
    s->emit = fn;
    s->emit_ctx = ctx;
    if (!s->kernel)
        return 0;
    /* Detach first so the totals below are final. */
    for (int i = 0; i < s->nlinks; i++)
        bpf_link__destroy(s->links[i]);
    s->nlinks = 0;
    int rc = flush_all(s, pfr_plat_boottime_ns(), 0);
    if (rc >= 0) {
        int r2 = flush_all(s, pfr_plat_boottime_ns(), 1);
        rc = r2 < 0 ? r2 : rc + r2;
    }
    if (rc >= 0 && emit_dns_counts(s) < 0)
        rc = s->emit_err;
    return op_result(s, rc);
}

static void lx_stats(const struct pfr_source *s, struct pfr_source_stats *st) { *st = s->st; }

const struct pfr_source_ops pfr_source_default = {
    .name = "linux-ebpf",
    .open = lx_open,
    .start = lx_start,
    .poll = lx_poll,
    .snapshot = lx_snapshot,
    .stop = lx_stop,
    .close = lx_close,
    .stats = lx_stats,
    .now = pfr_plat_boottime_ns,
    .clock_id = PF_CLOCK_BOOTTIME,
    .platform = PF_PLATFORM_LINUX,
};
