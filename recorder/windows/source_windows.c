/* SPDX-License-Identifier: MIT */
/* Windows event source: a real-time ETW session (private, with the
 * Microsoft-Windows-Kernel-Network and -Kernel-Process providers; the NT
 * Kernel Logger as fallback) decoded by etw/, plus Toolhelp and IP Helper
 * tables for rundowns and periodic snapshots. Without administrator rights
 * it runs snapshot-only for the user's own processes.
 *
 * ProcessTrace blocks, so events arrive on a consumer thread; that thread
 * decodes and aggregates under a lock and queues the other records, which
 * poll() hands to the session on the main thread. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <evntcons.h>
#include <evntrace.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfc/htab.h"
#include "../platform.h"
#include "../source.h"
#include "../source_util.h"
#include "etw_api.h"
#include "procflow/etw_decode.h"
#include "win.h"

#define SESSION_NAME L"procflow-record"
#define QUEUE_MAX 65536
#define FLOW_MAX (1u << 20)

/* {7dd42a49-5329-4832-8dfd-43d979153a88} */
static const GUID kernel_network = {0x7dd42a49, 0x5329, 0x4832, {0x8d, 0xfd, 0x43, 0xd9, 0x79, 0x15, 0x3a, 0x88}};
/* {22fb2cd6-0e7b-422b-a0c7-2fad1fd0e716} */
static const GUID kernel_process = {0x22fb2cd6, 0x0e7b, 0x422b, {0xa0, 0xc7, 0x2f, 0xad, 0x1f, 0xd0, 0xe7, 0x16}};
/* {9e814aad-3204-11d2-9a82-006008a86939}: the kernel logger's control GUID */
static const GUID system_trace = {0x9e814aad, 0x3204, 0x11d2, {0x9a, 0x82, 0x00, 0x60, 0x08, 0xa8, 0x69, 0x39}};

/* The ETW calls (a test may replace them, see etw_api.h). */
static int real_is_admin(void) { return pfr_plat_is_root(); }

static struct pfr_win_etw_api api = {
    StartTraceW, ControlTraceW, EnableTraceEx2, OpenTraceW, ProcessTrace, CloseTrace, real_is_admin, 5000,
};

void pfr_win_etw_api_set(const struct pfr_win_etw_api *a)
{
    static const struct pfr_win_etw_api real = {
        StartTraceW, ControlTraceW, EnableTraceEx2, OpenTraceW, ProcessTrace, CloseTrace, real_is_admin, 5000,
    };
    api = a ? *a : real;
}

#define KW_NET_IPV4 0x10ull
#define KW_NET_IPV6 0x20ull
#define KW_PROCESS 0x10ull

/* A record that owns its strings (process rows). */
struct qrec {
    struct pf_record r;
    char *strings;
};

/* Flow key without padding garbage: built field by field. */
struct fkey {
    uint64_t pid_start_ns, sock_id;
    uint32_t pid;
    uint8_t proto, family;
    uint16_t lport, rport;
    uint8_t laddr[16], raddr[16];
    uint8_t pad[2];
    uint32_t lscope, rscope;
    uint8_t pad2[4];
};

/* Flows stay in the table while active, so they are counted once; idle
 * ones are dropped after IDLE_FLUSHES empty intervals. */
#define IDLE_FLUSHES 30
struct flow {
    struct pf_traffic t;
    uint32_t idle;
};

struct pfr_source {
    struct pfr_source_config cfg;
    int kernel;        /* an ETW session is running */
    int kernel_logger; /* it is the NT Kernel Logger */
    int only_own;      /* non-admin: own processes only */
    int rundown_done;
    wchar_t session_name[64];
    TRACEHANDLE session;
    TRACEHANDLE trace;
    HANDLE thread;
    EVENT_TRACE_PROPERTIES *props;
    HANDLE owner_mutex;          /* held while this recorder owns the private session */
    volatile LONG consumer_done; /* ProcessTrace returned */
    ULONG consumer_rc;
    int thread_stuck; /* the consumer did not end: its memory is kept */
    int stopping;

    /* Session health: an outage is the time from the last sign of life to
     * the restart; nothing is recorded then. */
    uint64_t alive_ns;      /* last time the session was known to run */
    uint64_t down_since_ns; /* 0 while it runs */
    uint64_t next_restart_ns;
    uint64_t gap_total_ns;
    unsigned outages;
    int final_stats; /* counters read from ControlTrace(STOP) */
    uint64_t final_events, final_buffers;

    CRITICAL_SECTION lock; /* everything below */
    pf_etw_decoder *dec;
    struct pfr_win_procs procs;
    struct pfc_htab flows; /* fkey -> struct flow */
    struct qrec *q;
    size_t qhead, qlen;
    uint64_t qdropped, qdropped_seen;
    uint64_t unknown_versions, unknown_versions_seen; /* events skipped: no layout for their version */
    unsigned unknown_first[3];                        /* provider, id, version of the first one */
    struct pfr_source_stats st;

    uint64_t next_flush_ns, last_flush_ns;
    uint64_t lost_events, lost_buffers, loss_since_ns;

    pfr_emit_fn emit;
    void *emit_ctx;
    int emit_err;
};

#define notice(s, ...) pfr_source_notice(&(s)->cfg, __VA_ARGS__)

static int emit(struct pfr_source *s, const struct pf_record *r)
{
    return pfr_source_emit(s->emit, s->emit_ctx, &s->emit_err, r);
}

/* ------------------------------------------------------------ queue */

static size_t str_need(const char *p, uint32_t n) { return p && n ? n : 0; }

static void str_move(const char **p, uint32_t n, char **dst)
{
    if (!*p || !n) {
        *p = NULL;
        return;
    }
    memcpy(*dst, *p, n);
    *p = *dst;
    *dst += n;
}

/* Copies a record and its strings into the queue (consumer thread). */
static void enqueue(struct pfr_source *s, const struct pf_record *r)
{
    if (s->qlen >= QUEUE_MAX) {
        s->qdropped++;
        return;
    }
    struct qrec *e = &s->q[(s->qhead + s->qlen) % QUEUE_MAX];
    e->r = *r;
    e->strings = NULL;
    if (r->type == PF_REC_PROCESS) {
        struct pf_process *p = &e->r.u.process;
        size_t need = str_need(p->comm, p->comm_len) + str_need(p->exe, p->exe_len) +
                      str_need(p->cmdline, p->cmdline_len) + str_need(p->user, p->user_len);
        p->cgroup = p->container = NULL;
        p->cgroup_len = p->container_len = 0;
        if (need) {
            e->strings = malloc(need);
            if (!e->strings) {
                s->qdropped++;
                return;
            }
            char *d = e->strings;
            str_move(&p->comm, p->comm_len, &d);
            str_move(&p->exe, p->exe_len, &d);
            str_move(&p->cmdline, p->cmdline_len, &d);
            str_move(&p->user, p->user_len, &d);
        }
    }
    s->qlen++;
}

/* ------------------------------------------------------------ aggregation */

static void make_fkey(struct fkey *k, const struct pf_flow_key *f)
{
    memset(k, 0, sizeof *k);
    k->pid = f->pid;
    k->pid_start_ns = f->pid_start_ns;
    k->sock_id = f->sock_id;
    k->proto = f->proto;
    k->family = f->family;
    k->lport = f->local.port;
    k->rport = f->remote.port;
    memcpy(k->laddr, f->local.addr, 16);
    memcpy(k->raddr, f->remote.addr, 16);
    k->lscope = f->local.scope_id;
    k->rscope = f->remote.scope_id;
}

static void add_traffic(struct pfr_source *s, const struct pf_record *r)
{
    struct fkey k;
    int created = 0;
    make_fkey(&k, &r->u.traffic.key);
    struct flow *f = pfc_htab_put(&s->flows, &k, &created);
    if (!f) {
        s->qdropped++;
        return;
    }
    struct pf_traffic *t = &f->t;
    if (created) {
        t->key = r->u.traffic.key;
        s->st.flows++;
    }
    f->idle = 0;
    t->bytes_sent += r->u.traffic.bytes_sent;
    t->bytes_recv += r->u.traffic.bytes_recv;
    t->sends += r->u.traffic.sends;
    t->recvs += r->u.traffic.recvs;
    t->retransmits += r->u.traffic.retransmits;
}

struct flush_ctx {
    struct pfr_source *s;
    uint64_t now;
    int count;
};

static int flush_one(void *vctx, const void *key, void *val)
{
    struct flush_ctx *c = vctx;
    struct flow *f = val;
    struct pf_traffic *t = &f->t;
    (void)key;
    if (c->s->emit_err)
        return 0;
    if (!t->sends && !t->recvs && !t->retransmits && !t->bytes_sent && !t->bytes_recv)
        return ++f->idle >= IDLE_FLUSHES;
    struct pf_record r;
    pfr_source_record_init(&r, PF_REC_TRAFFIC, c->now);
    r.u.traffic = *t;
    r.u.traffic.duration_ns = c->now > c->s->last_flush_ns ? c->now - c->s->last_flush_ns : 0;
    if (emit(c->s, &r) < 0)
        return 0;
    c->count++;
    t->bytes_sent = t->bytes_recv = t->sends = t->recvs = t->retransmits = 0;
    return 0;
}

/* ------------------------------------------------------------ events */

/* Process identity from our table (rundown creation times), so records
 * of the events and of the snapshots agree. */
static uint64_t known_start(struct pfr_source *s, uint32_t pid, uint64_t fallback)
{
    const struct pfr_win_proc *p = pfr_win_procs_get(&s->procs, pid);
    return p ? p->start_ns : fallback;
}

static void fix_process(struct pfr_source *s, struct pf_record *r)
{
    struct pf_process *p = &r->u.process;
    if (s->only_own)
        return;
    switch (p->event) {
    case PF_PROC_START: {
        struct pfr_win_proc *w = pfr_win_procs_started(&s->procs, p->pid, p->start_ns ? p->start_ns : r->ts_ns);
        if (w) {
            p->start_ns = w->start_ns;
            w->ppid = p->ppid;
            if (p->comm && p->comm_len) {
                size_t n = p->comm_len < sizeof w->name - 1 ? p->comm_len : sizeof w->name - 1;
                memcpy(w->name, p->comm, n);
                w->name[n] = '\0';
            }
        }
        s->st.processes++;
        break;
    }
    case PF_PROC_EXIT:
        p->start_ns = known_start(s, p->pid, p->start_ns);
        pfr_win_procs_exited(&s->procs, p->pid);
        break;
    default: p->start_ns = known_start(s, p->pid, p->start_ns); break;
    }
    if (p->ppid && !p->parent_start_ns)
        p->parent_start_ns = known_start(s, p->ppid, 0);
}

static void WINAPI on_event(EVENT_RECORD *ev)
{
    struct pfr_source *s = ev->UserContext;
    struct pf_etw_event e;
    struct pf_record out[PF_ETW_MAX_RECORDS];
    memset(&e, 0, sizeof e);
    e.provider = pf_etw_provider_from_guid((const uint8_t *)&ev->EventHeader.ProviderId);
    if (e.provider == PF_ETW_PROV_UNKNOWN)
        return;
    int classic =
        e.provider == PF_ETW_PROV_TCPIP || e.provider == PF_ETW_PROV_UDPIP || e.provider == PF_ETW_PROV_PROCESS;
    e.id = classic ? ev->EventHeader.EventDescriptor.Opcode : ev->EventHeader.EventDescriptor.Id;
    e.version = ev->EventHeader.EventDescriptor.Version;
    e.pointer_size = (ev->EventHeader.Flags & EVENT_HEADER_FLAG_32_BIT_HEADER) ? 4 : 8;
    e.header_pid = ev->EventHeader.ProcessId;
    e.ts_ns = pfr_win_qpc_to_ns((uint64_t)ev->EventHeader.TimeStamp.QuadPart);
    e.payload = ev->UserData;
    e.payload_len = ev->UserDataLength;

    /* The decoder is this thread's alone: decoding and reading a new
     * process's command line stay outside the lock. */
    int n = pf_etw_decode(s->dec, &e, out, PF_ETW_MAX_RECORDS);
    int unknown_version = n == 0 && pf_etw_last_skip(s->dec) == PF_ETW_SKIP_VERSION;
    static char cmd[8192]; /* one consumer thread */
    for (int i = 0; i < n; i++) {
        struct pf_process *p = &out[i].u.process;
        /* Kernel-Process start events carry no command line: read it from
         * the process while it is young (absent without the right). */
        if (out[i].type == PF_REC_PROCESS && p->event == PF_PROC_START && !p->cmdline_len && !s->only_own &&
            pfr_win_read_cmdline(p->pid, cmd, sizeof cmd) == 0 && cmd[0]) {
            p->cmdline = cmd;
            p->cmdline_len = (uint32_t)strlen(cmd);
        }
    }
    EnterCriticalSection(&s->lock);
    if (unknown_version && !s->unknown_versions++) {
        s->unknown_first[0] = e.provider;
        s->unknown_first[1] = e.id;
        s->unknown_first[2] = e.version;
    }
    for (int i = 0; i < n; i++) {
        struct pf_record *r = &out[i];
        s->st.events++;
        switch (r->type) {
        case PF_REC_PROCESS:
            fix_process(s, r);
            enqueue(s, r);
            break;
        case PF_REC_TRAFFIC:
            r->u.traffic.key.pid_start_ns = known_start(s, r->u.traffic.key.pid, r->u.traffic.key.pid_start_ns);
            if (s->cfg.per_call)
                enqueue(s, r);
            else
                add_traffic(s, r);
            break;
        case PF_REC_SOCKET:
            r->u.socket.key.pid_start_ns = known_start(s, r->u.socket.key.pid, r->u.socket.key.pid_start_ns);
            enqueue(s, r);
            break;
        default: enqueue(s, r); break;
        }
    }
    LeaveCriticalSection(&s->lock);
}

static DWORD WINAPI consumer(void *arg)
{
    struct pfr_source *s = arg;
    /* Returns when the session stops: at shutdown, or when something else
     * stopped it (logman stop, another tool taking the logger). */
    s->consumer_rc = api.process(&s->trace, 1, NULL, NULL);
    InterlockedExchange(&s->consumer_done, 1);
    return 0;
}

/* ------------------------------------------------------------ session */

static EVENT_TRACE_PROPERTIES *new_props(const wchar_t *name)
{
    size_t name_bytes = (wcslen(name) + 1) * sizeof(wchar_t);
    size_t size = sizeof(EVENT_TRACE_PROPERTIES) + name_bytes + 1024 * sizeof(wchar_t);
    EVENT_TRACE_PROPERTIES *p = calloc(1, size);
    if (!p)
        return NULL;
    p->Wnode.BufferSize = (ULONG)size;
    p->Wnode.Flags = WNODE_FLAG_TRACED_GUID;
    p->Wnode.ClientContext = 1; /* QPC timestamps */
    p->LoggerNameOffset = sizeof(EVENT_TRACE_PROPERTIES);
    memcpy((char *)p + p->LoggerNameOffset, name, name_bytes);
    return p;
}

static ULONG stop_named(const wchar_t *name)
{
    EVENT_TRACE_PROPERTIES *p = new_props(name);
    if (!p)
        return ERROR_NOT_ENOUGH_MEMORY;
    ULONG rc = api.control(0, name, p, EVENT_TRACE_CONTROL_STOP);
    free(p);
    return rc;
}

/* Starts the private session, or the kernel logger with kernel = 1. */
static ULONG start_session(struct pfr_source *s, int kernel_logger)
{
    const wchar_t *name = kernel_logger ? KERNEL_LOGGER_NAMEW : SESSION_NAME;
    EVENT_TRACE_PROPERTIES *p = new_props(name);
    if (!p)
        return ERROR_NOT_ENOUGH_MEMORY;
    p->LogFileMode = EVENT_TRACE_REAL_TIME_MODE;
    /* --buffer-mb sizes the session's buffer pool (256 KiB buffers). */
    uint32_t mb = s->cfg.buffer_mb ? s->cfg.buffer_mb : s->cfg.per_call ? 64 : 16;
    p->BufferSize = 256; /* KiB */
    p->MinimumBuffers = 16;
    p->MaximumBuffers = mb * 4 > 16 ? (ULONG)(mb * 4 > 4096 ? 4096 : mb * 4) : 16;
    p->FlushTimer = 1;
    if (kernel_logger) {
        p->Wnode.Guid = system_trace;
        p->EnableFlags = EVENT_TRACE_FLAG_NETWORK_TCPIP | EVENT_TRACE_FLAG_PROCESS;
    }
    TRACEHANDLE h = 0;
    ULONG rc = api.start(&h, name, p);
    if (rc == ERROR_ALREADY_EXISTS && !kernel_logger && s->owner_mutex) {
        /* We hold the owner mutex, so no live recorder runs this session:
         * it is an orphan (a crash). Stop it and start again. */
        notice(s, "ETW session procflow-record left by an earlier recorder: stopping it");
        stop_named(name);
        rc = api.start(&h, name, p);
    }
    if (rc != ERROR_SUCCESS) {
        free(p);
        return rc;
    }
    if (!kernel_logger) {
        rc = api.enable(h, &kernel_network, EVENT_CONTROL_CODE_ENABLE_PROVIDER, TRACE_LEVEL_INFORMATION,
                        KW_NET_IPV4 | KW_NET_IPV6, 0, 0, NULL);
        if (rc == ERROR_SUCCESS)
            rc = api.enable(h, &kernel_process, EVENT_CONTROL_CODE_ENABLE_PROVIDER, TRACE_LEVEL_INFORMATION, KW_PROCESS,
                            0, 0, NULL);
        if (rc != ERROR_SUCCESS) {
            api.control(h, NULL, p, EVENT_TRACE_CONTROL_STOP);
            free(p);
            return rc;
        }
    }
    s->session = h;
    free(s->props);
    s->props = p;
    s->kernel_logger = kernel_logger;
    wcsncpy(s->session_name, name, sizeof s->session_name / sizeof s->session_name[0] - 1);
    return ERROR_SUCCESS;
}

/* Clears a properties block for a control call, keeping its size and name. */
static void reset_props(EVENT_TRACE_PROPERTIES *p)
{
    ULONG keep = p->Wnode.BufferSize;
    memset((char *)p + sizeof(WNODE_HEADER), 0, sizeof(EVENT_TRACE_PROPERTIES) - sizeof(WNODE_HEADER));
    p->Wnode.BufferSize = keep;
    p->LoggerNameOffset = sizeof(EVENT_TRACE_PROPERTIES);
}

/* Stops the session (reading its final counters: losses of the last
 * interval are in them), closes the consumer and waits for its thread.
 * The wait is checked: a thread that does not end keeps the source's
 * memory alive (thread_stuck), since its callback may still run. */
static void stop_session(struct pfr_source *s, int read_final)
{
    if (s->session && s->props) {
        reset_props(s->props);
        ULONG rc = api.control(s->session, NULL, s->props, EVENT_TRACE_CONTROL_STOP);
        if (rc == ERROR_SUCCESS && read_final) {
            s->final_stats = 1;
            s->final_events = s->props->EventsLost;
            s->final_buffers = (uint64_t)s->props->LogBuffersLost + s->props->RealTimeBuffersLost;
        }
        s->session = 0;
    }
    if (s->trace && s->trace != INVALID_PROCESSTRACE_HANDLE) {
        api.close(s->trace);
        s->trace = 0;
    }
    if (s->thread) {
        /* ProcessTrace returns once the buffers are delivered. */
        DWORD w = WaitForSingleObject(s->thread, api.stop_wait_ms);
        if (w != WAIT_OBJECT_0) {
            s->thread_stuck = 1;
            notice(s, "ETW event thread still running %lu ms after the session stopped: left running",
                   (unsigned long)api.stop_wait_ms);
            return; /* the handle stays open with the thread */
        }
        CloseHandle(s->thread);
        s->thread = NULL;
    }
}

/* Opens the consumer of the running session and starts its thread. */
static int open_consumer(struct pfr_source *s)
{
    EVENT_TRACE_LOGFILEW lf;
    memset(&lf, 0, sizeof lf);
    lf.LoggerName = s->session_name;
    lf.ProcessTraceMode =
        PROCESS_TRACE_MODE_REAL_TIME | PROCESS_TRACE_MODE_EVENT_RECORD | PROCESS_TRACE_MODE_RAW_TIMESTAMP;
    lf.EventRecordCallback = on_event;
    lf.Context = s;
    s->trace = api.open(&lf);
    if (s->trace == INVALID_PROCESSTRACE_HANDLE) {
        notice(s, "cannot consume the ETW session (%lu)", (unsigned long)GetLastError());
        s->trace = 0;
        return -1;
    }
    InterlockedExchange(&s->consumer_done, 0);
    s->thread = CreateThread(NULL, 0, consumer, s, 0, NULL);
    if (!s->thread) {
        notice(s, "cannot start the event thread");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ loss */

static int emit_loss(struct pfr_source *s, uint8_t source, uint64_t count, uint64_t now)
{
    struct pf_record r;
    pfr_source_record_init(&r, PF_REC_LOSS, now);
    r.u.loss.source = source;
    r.u.loss.cpu = UINT32_MAX;
    r.u.loss.count = count;
    r.u.loss.since_ns = s->loss_since_ns;
    s->st.lost += count;
    return emit(s, &r) < 0 ? -1 : 1;
}

/* The session went away without us (logman stop, another tool took the
 * kernel logger, ProcessTrace failed). Says so once and tries to restart;
 * the time without events is written as a loss record when it is back. */
static void session_lost(struct pfr_source *s, uint64_t now, ULONG rc, const char *how)
{
    if (s->down_since_ns || s->stopping)
        return;
    s->down_since_ns = now;
    s->outages++;
    notice(s, "ETW session %ls stopped from outside (%s, %lu): nothing is recorded until it restarts", s->session_name,
           how, (unsigned long)rc);
    int kernel_logger = s->kernel_logger;
    stop_session(s, 0);
    if (s->thread_stuck)
        return;
    s->kernel_logger = kernel_logger;
    s->next_restart_ns = now;
}

/* The time the session recorded nothing, [since, now], as a source-down
 * loss record (the summary's "time without events"). */
static int emit_gap(struct pfr_source *s, uint64_t since, uint64_t now)
{
    struct pf_record r;
    pfr_source_record_init(&r, PF_REC_LOSS, now);
    r.u.loss.source = PF_LOSS_SOURCE_DOWN; /* events of [since_ns, ts_ns] are missing, count unknown */
    r.u.loss.cpu = UINT32_MAX;
    r.u.loss.since_ns = since;
    s->gap_total_ns += now - since;
    return emit(s, &r);
}

static void try_restart(struct pfr_source *s, uint64_t now)
{
    if (!s->down_since_ns || now < s->next_restart_ns || s->thread_stuck)
        return;
    s->next_restart_ns = now + 1000000000ull;
    ULONG rc = start_session(s, s->kernel_logger);
    if (rc != ERROR_SUCCESS || open_consumer(s) < 0) {
        if (rc == ERROR_SUCCESS)
            stop_session(s, 0);
        return; /* again in a second */
    }
    /* A new session counts its losses from zero. */
    s->lost_events = s->lost_buffers = 0;
    uint64_t since = s->alive_ns ? s->alive_ns : s->down_since_ns;
    emit_gap(s, since, now);
    notice(s, "ETW session restarted: %.3f s without events", (double)(now - since) / 1e9);
    s->down_since_ns = 0;
    s->alive_ns = now;
}

/* Health check on every poll: the consumer thread ending while we did not
 * stop it is the first sign; a failing QUERY (each flush) the second. */
static void check_session(struct pfr_source *s, uint64_t now)
{
    if (!s->kernel || s->stopping)
        return;
    if (!s->down_since_ns && s->thread && InterlockedCompareExchange(&s->consumer_done, 0, 0))
        session_lost(s, now, s->consumer_rc, "event delivery ended");
    try_restart(s, now);
}

/* EventsLost and buffers lost from the session's counters, as deltas. */
static int flush_loss(struct pfr_source *s, uint64_t now, uint64_t qdropped)
{
    if (s->kernel && s->session && s->props && !s->down_since_ns) {
        EVENT_TRACE_PROPERTIES *p = s->props;
        reset_props(p);
        ULONG qrc = api.control(s->session, NULL, p, EVENT_TRACE_CONTROL_QUERY);
        if (qrc != ERROR_SUCCESS) {
            session_lost(s, now, qrc, "query failed");
        } else {
            s->alive_ns = now;
            uint64_t ev = p->EventsLost;
            uint64_t buf = (uint64_t)p->LogBuffersLost + p->RealTimeBuffersLost;
            if (ev > s->lost_events && emit_loss(s, PF_LOSS_ETW_EVENTS, ev - s->lost_events, now) < 0)
                return s->emit_err;
            s->lost_events = ev;
            if (buf > s->lost_buffers && emit_loss(s, PF_LOSS_ETW_BUFFERS, buf - s->lost_buffers, now) < 0)
                return s->emit_err;
            s->lost_buffers = buf;
        }
    }
    if (s->unknown_versions > s->unknown_versions_seen) {
        notice(s, "%llu ETW events skipped: no known layout for their version (first: %s event %u version %u)",
               (unsigned long long)(s->unknown_versions - s->unknown_versions_seen),
               pf_etw_provider_name(s->unknown_first[0]), s->unknown_first[1], s->unknown_first[2]);
        s->unknown_versions_seen = s->unknown_versions;
    }
    if (qdropped > s->qdropped_seen) {
        if (emit_loss(s, PF_LOSS_USER, qdropped - s->qdropped_seen, now) < 0)
            return s->emit_err;
        s->qdropped_seen = qdropped;
    }
    s->loss_since_ns = now;
    return 0;
}

/* Hands queued records to the session; aggregates when due or forced. */
static int drain(struct pfr_source *s, uint64_t now, int flush)
{
    int count = 0;
    for (;;) {
        struct qrec e;
        EnterCriticalSection(&s->lock);
        if (!s->qlen) {
            LeaveCriticalSection(&s->lock);
            break;
        }
        e = s->q[s->qhead];
        s->qhead = (s->qhead + 1) % QUEUE_MAX;
        s->qlen--;
        LeaveCriticalSection(&s->lock);
        int rc = s->emit_err ? s->emit_err : emit(s, &e.r);
        free(e.strings);
        if (rc < 0)
            return rc;
        count++;
    }
    if (flush) {
        EnterCriticalSection(&s->lock);
        struct flush_ctx c = {s, now, 0};
        pfc_htab_scan(&s->flows, flush_one, &c);
        uint64_t dropped = s->qdropped;
        LeaveCriticalSection(&s->lock);
        s->last_flush_ns = now;
        if (s->emit_err)
            return s->emit_err;
        count += c.count;
        int rc = flush_loss(s, now, dropped);
        if (rc < 0)
            return rc;
    }
    return count;
}

/* ------------------------------------------------------------ snapshots */

static int emit_proc_row(struct pfr_snap_ctx *c, const struct pfr_win_seen *p)
{
    struct pfr_source *s = c->s;
    if (!p->known || (s->only_own && !p->own))
        return 0;
    if (c->kind == PF_SNAPSHOT_PERIODIC && !p->is_new)
        return 0; /* periodic snapshots name only processes not seen before */
    struct pf_record r;
    pfr_source_record_init(&r, PF_REC_PROCESS, c->now);
    struct pf_process *q = &r.u.process;
    q->event = c->kind == PF_SNAPSHOT_FINAL     ? PF_PROC_END_RUNDOWN
               : c->kind == PF_SNAPSHOT_RUNDOWN ? PF_PROC_RUNDOWN
                                                : PF_PROC_SNAPSHOT;
    q->pid = p->pid;
    q->ppid = p->ppid;
    q->start_ns = p->start_ns;
    q->parent_start_ns = p->parent_start_ns;
    q->uid = UINT32_MAX;
    q->comm = p->name;
    q->comm_len = (uint32_t)strlen(p->name);
    q->exe = p->exe;
    q->exe_len = (uint32_t)strlen(p->exe);
    q->user = p->user;
    q->user_len = (uint32_t)strlen(p->user);
    q->cmdline = p->cmdline;
    q->cmdline_len = (uint32_t)strlen(p->cmdline);
    if (emit(s, &r) < 0)
        return s->emit_err;
    c->count++;
    return 0;
}

/* A socket row with its owner resolved during the hand-over. */
struct sock_row {
    struct pfr_win_sock w;
    uint64_t owner_start_ns;
    int owner_known, owner_own;
};

struct sock_list {
    struct sock_row *v;
    size_t n, cap;
};

static int add_sock(void *vctx, const struct pfr_win_sock *w)
{
    struct sock_list *l = vctx;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 256;
        struct sock_row *nv = realloc(l->v, ncap * sizeof *nv);
        if (!nv)
            return -ENOMEM;
        l->v = nv;
        l->cap = ncap;
    }
    memset(&l->v[l->n], 0, sizeof l->v[l->n]);
    l->v[l->n++].w = *w;
    return 0;
}

static int emit_sock_row(struct pfr_snap_ctx *c, const struct sock_row *row)
{
    struct pfr_source *s = c->s;
    const struct pfr_win_sock *w = &row->w;
    /* Without admin rights other users' sockets are left out; rows whose
     * owner is unknown (pid 0, a process gone meanwhile) stay, unowned. */
    if (s->only_own && row->owner_known && !row->owner_own)
        return 0;
    struct pf_record r;
    pfr_source_record_init(&r, PF_REC_SNAPSHOT, c->now);
    struct pf_snapshot *n = &r.u.snapshot;
    n->key.proto = w->proto;
    n->key.family = w->family;
    memcpy(n->key.local.addr, w->laddr, w->family == 6 ? 16 : 4);
    memcpy(n->key.remote.addr, w->raddr, w->family == 6 ? 16 : 4);
    n->key.local.port = w->lport;
    n->key.remote.port = w->rport;
    n->key.local.scope_id = w->lscope;
    n->key.remote.scope_id = w->rscope;
    n->state = w->state;
    n->uid = UINT32_MAX;
    n->key.pid = w->pid;
    if (row->owner_known)
        n->key.pid_start_ns = row->owner_start_ns;
    else
        n->flags |= PF_SNAP_PID_UNKNOWN;
    if (c->kind == PF_SNAPSHOT_RUNDOWN)
        n->flags |= PF_SNAP_RUNDOWN;
    else if (c->kind == PF_SNAPSHOT_FINAL)
        n->flags |= PF_SNAP_FINAL;
    if (emit(s, &r) < 0)
        return s->emit_err;
    c->count++;
    return 0;
}

/* The OS is read without the consumer's lock (Toolhelp, one OpenProcess
 * per process and the IP Helper tables take long enough for real-time
 * buffers to be lost); the lock covers only the hand-over into the
 * process table; records are written after it. */
static int win_snapshot(struct pfr_source *s, int kind, pfr_emit_fn fn, void *ctx)
{
    struct pfr_snap_ctx c = {s, kind, pfr_plat_boottime_ns(), 0};
    s->emit = fn;
    s->emit_ctx = ctx;
    struct pfr_win_scan sc;
    int prc = pfr_win_procs_gather(&s->procs, &sc);
    if (prc < 0)
        notice(s, "process list unreadable: socket owners are not named");
    struct sock_list socks = {NULL, 0, 0};
    static const int protos[2] = {PF_PROTO_TCP, PF_PROTO_UDP};
    static const int fams[2] = {4, 6};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            int r = pfr_win_sockets(protos[i], fams[j], add_sock, &socks);
            if (r < 0 && r != -EAFNOSUPPORT)
                notice(s, "socket table (%s/IPv%d) unreadable", i ? "UDP" : "TCP", fams[j]);
        }

    EnterCriticalSection(&s->lock);
    if (prc == 0) {
        pfr_win_procs_merge(&s->procs, &sc);
        for (size_t i = 0; i < sc.n; i++)
            if (sc.v[i].known && sc.v[i].is_new && (!s->only_own || sc.v[i].own))
                s->st.processes++;
    }
    for (size_t i = 0; i < socks.n; i++) {
        struct sock_row *row = &socks.v[i];
        const struct pfr_win_proc *own = row->w.pid ? pfr_win_procs_get(&s->procs, row->w.pid) : NULL;
        row->owner_known = own != NULL;
        row->owner_own = own && own->own;
        row->owner_start_ns = own ? own->start_ns : 0;
    }
    LeaveCriticalSection(&s->lock);

    for (size_t i = 0; prc == 0 && i < sc.n && !s->emit_err; i++)
        emit_proc_row(&c, &sc.v[i]);
    for (size_t i = 0; i < socks.n && !s->emit_err; i++)
        emit_sock_row(&c, &socks.v[i]);
    if (prc == 0)
        pfr_win_scan_free(&sc);
    free(socks.v);
    if (s->emit_err)
        return s->emit_err;
    if (kind == PF_SNAPSHOT_RUNDOWN)
        s->rundown_done = 1;
    return c.count;
}

/* ------------------------------------------------------------ lifecycle */

static void win_close(struct pfr_source *s)
{
    if (!s)
        return;
    stop_session(s, 0);
    if (s->owner_mutex) {
        ReleaseMutex(s->owner_mutex);
        CloseHandle(s->owner_mutex);
        s->owner_mutex = NULL;
    }
    if (s->thread_stuck)
        return; /* its callback may still run: keep everything it uses */
    free(s->props);
    if (s->q) {
        for (size_t i = 0; i < s->qlen; i++)
            free(s->q[(s->qhead + i) % QUEUE_MAX].strings);
        free(s->q);
    }
    pfc_htab_free(&s->flows);
    pfr_win_procs_free(&s->procs);
    pf_etw_decoder_free(s->dec);
    DeleteCriticalSection(&s->lock);
    free(s);
}

static const char *etw_error(ULONG rc)
{
    switch (rc) {
    case ERROR_ACCESS_DENIED: return "access denied";
    case ERROR_ALREADY_EXISTS: return "the session is in use by another program";
    case ERROR_NO_SYSTEM_RESOURCES: return "too many sessions";
    case ERROR_NOT_SUPPORTED: return "not supported";
    default: return "error";
    }
}

/* SeDebugPrivilege, when the token has it, opens more processes for their
 * image path, owner and command line. */
static void enable_debug_privilege(struct pfr_source *s)
{
    HANDLE tok;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &tok))
        return;
    TOKEN_PRIVILEGES tp;
    memset(&tp, 0, sizeof tp);
    tp.PrivilegeCount = 1;
    tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
    if (LookupPrivilegeValueW(NULL, L"SeDebugPrivilege", &tp.Privileges[0].Luid) &&
        (!AdjustTokenPrivileges(tok, FALSE, &tp, sizeof tp, NULL, NULL) || GetLastError() != ERROR_SUCCESS))
        notice(s, "SeDebugPrivilege not available: some processes' details stay unknown");
    CloseHandle(tok);
}

/* The private session belongs to the recorder holding the owner mutex. A
 * live owner: refuse (stopping its session would end its recording). An
 * abandoned mutex or none: the session, if any, is an orphan. */
static int take_ownership(struct pfr_source *s)
{
    s->owner_mutex = CreateMutexW(NULL, FALSE, PF_WIN_OWNER_MUTEX);
    if (!s->owner_mutex) {
        notice(s, "cannot create the session owner mutex (%lu)", (unsigned long)GetLastError());
        return 0; /* an existing session is then left alone (no takeover) */
    }
    DWORD w = WaitForSingleObject(s->owner_mutex, 0);
    if (w == WAIT_TIMEOUT) {
        CloseHandle(s->owner_mutex);
        s->owner_mutex = NULL;
        notice(s, "another procflow-record is recording (it owns the ETW session procflow-record): "
                  "stop it first, or use --no-ebpf for snapshots");
        return pfr_plat_os_error(EBUSY);
    }
    if (w == WAIT_ABANDONED)
        notice(s, "an earlier procflow-record ended without releasing its ETW session: taking it over");
    else if (w != WAIT_OBJECT_0) {
        CloseHandle(s->owner_mutex);
        s->owner_mutex = NULL;
    }
    return 0;
}

static int win_open(struct pfr_source **out, const struct pfr_source_config *cfg)
{
    *out = NULL;
    if (cfg->netns || cfg->cgroup) {
        pfr_source_notice(cfg, "--netns and --cgroup are Linux only");
        return pfr_plat_os_error(EINVAL);
    }
    struct pfr_source *s = calloc(1, sizeof *s);
    if (!s)
        return pfr_plat_os_error(ENOMEM);
    InitializeCriticalSection(&s->lock);
    s->cfg = *cfg;
    if (!s->cfg.flush_interval_ns)
        s->cfg.flush_interval_ns = 1000000000ull;
    s->dec = pf_etw_decoder_new();
    s->q = calloc(QUEUE_MAX, sizeof *s->q);
    if (!s->dec || !s->q || pfr_win_procs_init(&s->procs) ||
        pfc_htab_init(&s->flows, sizeof(struct fkey), sizeof(struct flow), FLOW_MAX)) {
        win_close(s);
        return pfr_plat_os_error(ENOMEM);
    }
    if (cfg->no_kernel) {
        notice(s, "kernel tracing off: snapshot-only mode (socket tables every interval; no UDP peers, no bytes)");
    } else if (!api.is_admin()) {
        notice(s, "not running as administrator: snapshot-only mode for your own processes "
                  "(socket tables every interval; no UDP peers, no bytes)");
        s->only_own = 1;
    } else {
        enable_debug_privilege(s);
        int rc_own = take_ownership(s);
        if (rc_own < 0) {
            win_close(s);
            return rc_own;
        }
        ULONG rc = start_session(s, 0);
        if (rc != ERROR_SUCCESS) {
            notice(s, "private ETW session failed (%s, %lu): using the NT Kernel Logger", etw_error(rc),
                   (unsigned long)rc);
            rc = start_session(s, 1);
            if (rc != ERROR_SUCCESS)
                notice(s, "NT Kernel Logger unavailable (%s, %lu): snapshot-only mode", etw_error(rc),
                       (unsigned long)rc);
        }
        s->kernel = rc == ERROR_SUCCESS;
    }
    s->st.snapshot_only = !s->kernel;
    *out = s;
    return 0;
}

static int win_start(struct pfr_source *s)
{
    uint64_t now = pfr_plat_boottime_ns();
    s->last_flush_ns = s->loss_since_ns = s->alive_ns = now;
    s->next_flush_ns = now + s->cfg.flush_interval_ns;
    if (!s->kernel)
        return 0;
    /* The process table first, so the first events find their owners. */
    EnterCriticalSection(&s->lock);
    pfr_win_procs_scan(&s->procs, NULL, NULL);
    LeaveCriticalSection(&s->lock);
    if (open_consumer(s) < 0) {
        stop_session(s, 0);
        s->kernel = 0;
        s->st.snapshot_only = 1;
        notice(s, "snapshot-only mode");
    }
    return 0;
}

static int win_poll(struct pfr_source *s, pfr_emit_fn fn, void *ctx, int timeout_ms)
{
    s->emit = fn;
    s->emit_ctx = ctx;
    /* Events come from the consumer thread: wait a short slice, then drain. */
    int wait = s->kernel && timeout_ms > 10 ? 10 : timeout_ms;
    Sleep((DWORD)(wait > 0 ? wait : 1));
    uint64_t now = pfr_plat_boottime_ns();
    check_session(s, now);
    int flush = now >= s->next_flush_ns;
    if (flush)
        s->next_flush_ns = now + s->cfg.flush_interval_ns;
    return drain(s, now, flush);
}

static int win_stop(struct pfr_source *s, pfr_emit_fn fn, void *ctx)
{
    s->emit = fn;
    s->emit_ctx = ctx;
    if (!s->kernel)
        return drain(s, pfr_plat_boottime_ns(), 1);
    int rc = drain(s, pfr_plat_boottime_ns(), 1);
    if (rc < 0)
        return rc;
    s->stopping = 1;
    uint64_t now = pfr_plat_boottime_ns();
    if (s->down_since_ns) {
        /* Still down at the end: the gap up to now is written too. */
        uint64_t since = s->alive_ns ? s->alive_ns : s->down_since_ns;
        if (emit_gap(s, since, now) < 0)
            return s->emit_err;
    }
    /* Delivers what is buffered, then the thread ends; the counters STOP
     * returns hold the losses of the last interval. */
    stop_session(s, 1);
    s->kernel = 0;
    int r2 = drain(s, now, 1);
    if (r2 < 0)
        return r2;
    if (s->final_stats) {
        if (s->final_events > s->lost_events &&
            emit_loss(s, PF_LOSS_ETW_EVENTS, s->final_events - s->lost_events, now) < 0)
            return s->emit_err;
        if (s->final_buffers > s->lost_buffers &&
            emit_loss(s, PF_LOSS_ETW_BUFFERS, s->final_buffers - s->lost_buffers, now) < 0)
            return s->emit_err;
        s->lost_events = s->final_events;
        s->lost_buffers = s->final_buffers;
    }
    if (s->outages)
        notice(s, "ETW session stopped from outside %u time(s): %.3f s without events in total", s->outages,
               (double)s->gap_total_ns / 1e9);
    return rc + r2;
}

static void win_stats(const struct pfr_source *s, struct pfr_source_stats *st)
{
    EnterCriticalSection((CRITICAL_SECTION *)&s->lock);
    *st = s->st;
    LeaveCriticalSection((CRITICAL_SECTION *)&s->lock);
}

void pfr_win_source_inject(struct pfr_source *s, void *event_record)
{
    EVENT_RECORD *ev = event_record;
    ev->UserContext = s;
    on_event(ev);
}

const struct pfr_source_ops pfr_source_default = {
    .name = "windows-etw",
    .open = win_open,
    .start = win_start,
    .poll = win_poll,
    .snapshot = win_snapshot,
    .stop = win_stop,
    .close = win_close,
    .stats = win_stats,
    .now = pfr_plat_boottime_ns,
    .clock_id = PF_CLOCK_QPC_NS,
    .platform = PF_PLATFORM_WINDOWS,
};
