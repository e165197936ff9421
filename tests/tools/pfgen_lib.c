/* SPDX-License-Identifier: MIT */
/* Synthetic capture content. A small simulated host: processes that start,
 * exec and exit, each owning TCP and UDP flows to documentation-range
 * remotes, with per-second traffic aggregates, socket events, periodic table
 * snapshots, clock anchors and the occasional loss. */
#include "pfgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gen_proc {
    uint32_t pid, ppid;
    uint64_t start_ns;
    uint32_t uid;
    char comm[16];
    char exe[64];
    char cmdline[128];
};

struct gen_flow {
    uint32_t proc; /* index into procs */
    struct pf_flow_key key;
    uint8_t state;
    int announced;
    uint8_t profile; /* traffic shape: see emit_traffic */
    uint16_t pkt;    /* typical datagram/segment size of this flow */
    uint16_t rate;   /* typical calls per second */
};

struct gen {
    const struct pfgen_options *o;
    uint64_t rng;
    uint64_t now;
    uint64_t emitted;
    uint32_t next_pid;
    uint64_t next_sock;
    uint64_t next_snapshot;
    struct gen_proc *procs;
    struct gen_flow *flows;
    pfgen_emit_fn emit;
    void *ctx;
};

static const char *const names[] = {"firefox",  "chrome", "sshd", "curl",    "dnsmasq",         "steam", "game-srv",
                                    "postgres", "nginx",  "apt",  "python3", "systemd-resolve", "slack", "ntpd"};

static uint64_t next_rand(struct gen *g)
{
    /* xorshift64*: deterministic, fast, good enough for test data */
    g->rng ^= g->rng >> 12;
    g->rng ^= g->rng << 25;
    g->rng ^= g->rng >> 27;
    return g->rng * 0x2545F4914F6CDD1Dull;
}

static uint32_t rnd(struct gen *g, uint32_t n) { return n ? (uint32_t)(next_rand(g) % n) : 0; }

void pfgen_default_options(struct pfgen_options *o)
{
    memset(o, 0, sizeof(*o));
    o->records = 100000;
    o->seed = 1;
    o->processes = 300;
    o->flows = 800;
    o->start_utc_ns = 1767225600000000000ll; /* 2026-01-01T00:00:00Z */
    o->mean_step_ns = 20000000;              /* 50 non-traffic events/s */
}

#define GEN_BOOT_NS 100000000000ull /* capture clock at start: 100 s after boot */

void pfgen_file_info(const struct pfgen_options *o, struct pf_file_info *info)
{
    memset(info, 0, sizeof(*info));
    info->major = PF_FORMAT_MAJOR;
    info->minor = PF_FORMAT_MINOR;
    info->hostname = "gen-host";
    info->os = "Linux";
    info->os_release = "6.1.0-synthetic";
    info->recorder = "pfgen 1";
    info->platform = PF_PLATFORM_LINUX;
    info->clock_id = PF_CLOCK_BOOTTIME;
    uint64_t s = o->seed * 0x9E3779B97F4A7C15ull + o->records;
    for (int i = 0; i < 16; i++) {
        s ^= s >> 31;
        s *= 0xBF58476D1CE4E5B9ull;
        info->uuid[i] = (uint8_t)(s >> 40);
    }
    info->uuid[6] = (uint8_t)((info->uuid[6] & 0x0f) | 0x40);
    info->uuid[8] = (uint8_t)((info->uuid[8] & 0x3f) | 0x80);
    memcpy(info->series_uuid, info->uuid, 16);
    info->start_utc_ns = o->start_utc_ns;
    info->anchor_clock_ns = GEN_BOOT_NS;
    info->anchor_utc_ns = o->start_utc_ns;
}

static int put(struct gen *g, struct pf_record *r)
{
    if (g->emitted >= g->o->records)
        return 1;
    r->ts_ns = g->now;
    int rc = g->emit(g->ctx, r);
    if (rc < 0)
        return rc;
    g->emitted++;
    return g->emitted >= g->o->records;
}

static void make_proc(struct gen *g, struct gen_proc *p)
{
    const char *name = names[rnd(g, sizeof(names) / sizeof(names[0]))];
    p->pid = g->next_pid;
    g->next_pid += 1 + rnd(g, 7);
    p->ppid = 1 + rnd(g, 50);
    p->start_ns = g->now - g->now % 10000000ull; /* tick-truncated like /proc */
    p->uid = rnd(g, 4) ? 1000 : 0;
    snprintf(p->comm, sizeof(p->comm), "%s", name);
    snprintf(p->exe, sizeof(p->exe), "/usr/bin/%s", name);
    snprintf(p->cmdline, sizeof(p->cmdline), "%s --session %u --profile default", name, rnd(g, 100000));
}

static int emit_proc(struct gen *g, const struct gen_proc *p, uint8_t event, int32_t exit_code)
{
    struct pf_record r;
    memset(&r, 0, sizeof(r));
    r.type = PF_REC_PROCESS;
    struct pf_process *q = &r.u.process;
    q->event = event;
    q->pid = p->pid;
    q->ppid = p->ppid;
    q->start_ns = p->start_ns;
    q->uid = p->uid;
    q->exit_code = exit_code;
    q->comm = p->comm;
    q->comm_len = (uint32_t)strlen(p->comm);
    if (event != PF_PROC_EXIT) {
        q->exe = p->exe;
        q->exe_len = (uint32_t)strlen(p->exe);
        q->cmdline = p->cmdline;
        q->cmdline_len = (uint32_t)strlen(p->cmdline);
        q->cgroup = "/user.slice/user-1000.slice/session-2.scope";
        q->cgroup_len = (uint32_t)strlen(q->cgroup);
    }
    return put(g, &r);
}

static void make_flow(struct gen *g, struct gen_flow *f, uint32_t proc)
{
    const struct gen_proc *p = &g->procs[proc];
    memset(f, 0, sizeof(*f));
    f->proc = proc;
    struct pf_flow_key *k = &f->key;
    k->pid = p->pid;
    k->pid_start_ns = p->start_ns;
    k->sock_id = g->next_sock++;
    k->proto = rnd(g, 10) < 6 ? PF_PROTO_TCP : PF_PROTO_UDP;
    k->family = rnd(g, 10) < 8 ? PF_AF_INET : PF_AF_INET6;
    if (k->family == PF_AF_INET) {
        static const uint8_t local[4] = {192, 0, 2, 10};
        memcpy(k->local.addr, local, 4);
        k->remote.addr[0] = rnd(g, 2) ? 198 : 203;
        k->remote.addr[1] = k->remote.addr[0] == 198 ? 51 : 0;
        k->remote.addr[2] = k->remote.addr[0] == 198 ? 100 : 113;
        k->remote.addr[3] = (uint8_t)(1 + rnd(g, 60));
    } else {
        static const uint8_t local6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
        memcpy(k->local.addr, local6, 16);
        memcpy(k->remote.addr, local6, 16);
        k->remote.addr[7] = 1;
        k->remote.addr[15] = (uint8_t)(1 + rnd(g, 60));
    }
    k->local.port = (uint16_t)(32768 + rnd(g, 28000));
    static const uint16_t ports[] = {443, 443, 443, 80, 53, 123, 22, 5432, 27015, 3478, 8080};
    k->remote.port = ports[rnd(g, sizeof(ports) / sizeof(ports[0]))];
    f->state = PF_TCP_SYN_SENT;
    f->profile = (uint8_t)rnd(g, 5);
    f->pkt = (uint16_t)(48 + rnd(g, 1400));
    f->rate = (uint16_t)(1 + rnd(g, 100));
    if (k->proto == PF_PROTO_UDP && f->profile == 4)
        f->profile = 1;
}

static int emit_socket(struct gen *g, struct gen_flow *f, uint8_t event, uint8_t old_state, uint8_t new_state)
{
    struct pf_record r;
    memset(&r, 0, sizeof(r));
    r.type = PF_REC_SOCKET;
    r.u.socket.key = f->key;
    r.u.socket.event = event;
    r.u.socket.old_state = old_state;
    r.u.socket.new_state = new_state;
    return put(g, &r);
}

/* One per-second aggregate, shaped like real applications: a game or voice
 * stream sends fixed-size datagrams at a steady rate, DNS and beacons repeat
 * the same small exchange, web and bulk transfers vary. */
static int emit_traffic(struct gen *g, struct gen_flow *f)
{
    struct pf_record r;
    memset(&r, 0, sizeof(r));
    r.type = PF_REC_TRAFFIC;
    struct pf_traffic *t = &r.u.traffic;
    t->key = f->key;
    t->duration_ns = 1000000000ull;
    switch (f->profile) {
    case 0: /* steady stream: fixed size, rate with small jitter */
        t->sends = f->rate + rnd(g, 3);
        t->recvs = f->rate + rnd(g, 3);
        t->bytes_sent = t->sends * f->pkt;
        t->bytes_recv = t->recvs * f->pkt;
        break;
    case 1: /* request/response of fixed shape (DNS, NTP, beacon) */
        t->sends = 1;
        t->recvs = 1;
        t->bytes_sent = f->pkt / 8 + 20;
        t->bytes_recv = f->pkt / 4 + 40;
        break;
    case 2: /* interactive: few small calls */
        t->sends = 1 + rnd(g, 4);
        t->recvs = 1 + rnd(g, 4);
        t->bytes_sent = t->sends * (36 + rnd(g, 64));
        t->bytes_recv = t->recvs * (36 + rnd(g, 64));
        break;
    case 3: /* web: request then a variable response */
        t->sends = 1 + rnd(g, 3);
        t->recvs = 1 + rnd(g, 40);
        t->bytes_sent = 200 + rnd(g, 1200);
        t->bytes_recv = t->recvs * 1448 - rnd(g, 1448);
        break;
    default: /* bulk download: full segments */
        t->sends = 1 + rnd(g, 2);
        t->recvs = 50 + rnd(g, 200);
        t->bytes_sent = t->sends * 52;
        t->bytes_recv = t->recvs * 65536;
        break;
    }
    t->retransmits = f->key.proto == PF_PROTO_TCP && rnd(g, 200) == 0 ? 1 : 0;
    return put(g, &r);
}

static int emit_snapshot(struct gen *g, uint32_t flags)
{
    for (uint32_t i = 0; i < g->o->flows; i++) {
        struct gen_flow *f = &g->flows[i];
        if (!f->announced)
            continue;
        struct pf_record r;
        memset(&r, 0, sizeof(r));
        r.type = PF_REC_SNAPSHOT;
        r.u.snapshot.key = f->key;
        r.u.snapshot.state = f->key.proto == PF_PROTO_TCP ? PF_TCP_ESTABLISHED : PF_TCP_CLOSE;
        r.u.snapshot.uid = g->procs[f->proc].uid;
        r.u.snapshot.flags = flags;
        int rc = put(g, &r);
        if (rc)
            return rc;
    }
    return 0;
}

/* Ends flow i (close event) and opens a fresh one for a random process. */
static int churn_flow(struct gen *g, uint32_t i)
{
    struct gen_flow *f = &g->flows[i];
    int rc = 0;
    if (f->announced && f->key.proto == PF_PROTO_TCP)
        rc = emit_socket(g, f, PF_SOCK_CLOSE, PF_TCP_ESTABLISHED, PF_TCP_CLOSE);
    if (rc)
        return rc;
    make_flow(g, f, rnd(g, g->o->processes));
    return 0;
}

static int announce(struct gen *g, struct gen_flow *f)
{
    f->announced = 1;
    if (f->key.proto == PF_PROTO_TCP) {
        int rc = emit_socket(g, f, PF_SOCK_CONNECT, PF_TCP_CLOSE, PF_TCP_SYN_SENT);
        if (rc)
            return rc;
        return emit_socket(g, f, PF_SOCK_ESTABLISHED, PF_TCP_SYN_SENT, PF_TCP_ESTABLISHED);
    }
    return emit_socket(g, f, PF_SOCK_BIND, PF_TCP_NONE, PF_TCP_CLOSE);
}

/* Process i exits; a new process takes its slot and its flows move to it. */
static int churn_proc(struct gen *g, uint32_t i)
{
    struct gen_proc *p = &g->procs[i];
    for (uint32_t j = 0; j < g->o->flows; j++) {
        if (g->flows[j].proc != i)
            continue;
        int rc = churn_flow(g, j);
        if (rc)
            return rc;
        g->flows[j].proc = i;
    }
    int rc = emit_proc(g, p, PF_PROC_EXIT, (int32_t)rnd(g, 3));
    if (rc)
        return rc;
    make_proc(g, p);
    rc = emit_proc(g, p, PF_PROC_START, 0);
    if (rc)
        return rc;
    if (rnd(g, 2) && (rc = emit_proc(g, p, PF_PROC_EXEC, 0)) != 0)
        return rc;
    for (uint32_t j = 0; j < g->o->flows; j++) {
        if (g->flows[j].proc != i)
            continue;
        struct gen_flow *f = &g->flows[j];
        uint64_t sock = f->key.sock_id;
        make_flow(g, f, i);
        f->key.sock_id = sock;
    }
    return 0;
}

static int run(struct gen *g)
{
    const struct pfgen_options *o = g->o;
    int rc;
    struct pf_record r;
    memset(&r, 0, sizeof(r));
    r.type = PF_REC_CLOCK;
    r.u.clock.clock_ns = g->now;
    r.u.clock.utc_ns = o->start_utc_ns;
    if ((rc = put(g, &r)))
        return rc;
    memset(&r, 0, sizeof(r));
    r.type = PF_REC_HOSTINFO;
    r.u.hostinfo.key = "cpus";
    r.u.hostinfo.key_len = 4;
    r.u.hostinfo.value = "2";
    r.u.hostinfo.value_len = 1;
    if ((rc = put(g, &r)))
        return rc;

    for (uint32_t i = 0; i < o->processes; i++)
        if ((rc = emit_proc(g, &g->procs[i], PF_PROC_RUNDOWN, 0)))
            return rc;
    /* a third of the flows already exist at start: rundown snapshot rows */
    for (uint32_t i = 0; i < o->flows; i += 3)
        g->flows[i].announced = 1;
    if ((rc = emit_snapshot(g, PF_SNAP_RUNDOWN)))
        return rc;

    uint64_t step = o->mean_step_ns ? o->mean_step_ns : 1;
    uint64_t next_flush = g->now + 1000000000ull;
    for (;;) {
        g->now += step / 2 + rnd(g, (uint32_t)(step > UINT32_MAX ? UINT32_MAX : step));
        if (g->now >= next_flush) {
            /* the recorder's per-second flush: every active flow, one timestamp */
            uint64_t saved = g->now;
            g->now = next_flush;
            next_flush += 1000000000ull;
            for (uint32_t i = 0; i < o->flows; i++) {
                struct gen_flow *f = &g->flows[i];
                if (!f->announced || rnd(g, 10) < 4)
                    continue;
                if ((rc = emit_traffic(g, f)))
                    return rc;
            }
            g->now = saved;
        }
        if (g->now >= g->next_snapshot) {
            g->next_snapshot += 10000000000ull;
            if ((rc = emit_snapshot(g, 0)))
                return rc;
        }
        uint32_t dice = rnd(g, 10000);
        if (dice < 6000) {
            struct gen_flow *f = &g->flows[rnd(g, o->flows)];
            rc = f->announced ? churn_flow(g, (uint32_t)(f - g->flows)) : announce(g, f);
        } else if (dice < 6400) {
            rc = churn_proc(g, rnd(g, o->processes));
        } else if (dice < 7400) {
            struct gen_flow *f = &g->flows[rnd(g, o->flows)];
            rc = f->announced && f->key.proto == PF_PROTO_TCP
                     ? emit_socket(g, f, PF_SOCK_RETRANSMIT, PF_TCP_ESTABLISHED, PF_TCP_ESTABLISHED)
                     : 0;
        } else if (dice < 9900) {
            rc = 0; /* a quiet moment */
        } else if (dice < 9960) {
            memset(&r, 0, sizeof(r));
            r.type = PF_REC_LOSS;
            r.u.loss.source = PF_LOSS_RINGBUF;
            r.u.loss.cpu = rnd(g, 2);
            r.u.loss.count = 1 + rnd(g, 500);
            r.u.loss.since_ns = g->now - 1000000000ull;
            rc = put(g, &r);
        } else {
            memset(&r, 0, sizeof(r));
            r.type = PF_REC_MARKER;
            r.u.marker.text = "checkpoint";
            r.u.marker.text_len = 10;
            rc = put(g, &r);
        }
        if (rc)
            return rc;
    }
}

int pfgen_run(const struct pfgen_options *o, pfgen_emit_fn emit, void *ctx)
{
    if (!o || !emit || !o->processes || !o->flows)
        return PF_E_ARG;
    struct gen g;
    memset(&g, 0, sizeof(g));
    g.o = o;
    g.rng = o->seed * 0x9E3779B97F4A7C15ull + 0x1234567;
    if (!g.rng)
        g.rng = 1;
    g.now = GEN_BOOT_NS;
    g.next_snapshot = GEN_BOOT_NS + 10000000000ull;
    g.next_pid = 1000;
    g.next_sock = 0x1000;
    g.emit = emit;
    g.ctx = ctx;
    g.procs = (struct gen_proc *)calloc(o->processes, sizeof(*g.procs));
    g.flows = (struct gen_flow *)calloc(o->flows, sizeof(*g.flows));
    int rc = PF_E_NOMEM;
    if (g.procs && g.flows) {
        for (uint32_t i = 0; i < o->processes; i++) {
            make_proc(&g, &g.procs[i]);
            g.procs[i].start_ns -= (uint64_t)(1 + rnd(&g, 50)) * 1000000000ull; /* started before capture */
        }
        for (uint32_t i = 0; i < o->flows; i++)
            make_flow(&g, &g.flows[i], rnd(&g, o->processes));
        rc = o->records ? run(&g) : 0;
        if (rc > 0)
            rc = 0;
    }
    free(g.procs);
    free(g.flows);
    return rc;
}

static int emit_to_writer(void *ctx, const struct pf_record *rec) { return pf_writer_write((pf_writer *)ctx, rec); }

int pfgen_write(pf_writer *w, const struct pfgen_options *o) { return pfgen_run(o, emit_to_writer, w); }
