/* SPDX-License-Identifier: MIT */
/* pfcheck: compares a capture with trafficgen's ground truth.
 *   pfcheck CAPTURE TRUTH   exit 0 when every truth line matches exactly
 *   pfcheck --dump CAPTURE  print the records (debugging)
 *   pfcheck --sum CAPTURE PID  "sends bytes_sent recvs bytes_recv lost" of PID
 * Traffic records are summed per (pid, start, proto, local, remote); for
 * every FLOW line the sums must be equal, the process must carry the
 * expected name, and a process named in the truth may have no other flow. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procflow/format.h"

struct flow {
    uint32_t pid;
    uint64_t start;
    uint8_t proto, family;
    struct pf_endpoint local, remote;
    uint64_t sent, recv, sends, recvs, retrans;
    uint64_t first, last; /* earliest start and latest end of its records */
    int matched;
};

/* Time covered by one traffic record, [ts - duration, ts]. */
struct span {
    size_t flow;
    uint64_t from, to;
};
static struct span *spans;
static size_t nspans, capspans;
static struct span *windows; /* BURST lines of the truth */
static size_t nwindows, capwindows;
#define TIME_SLACK_NS 5000000ll /* 5 ms */

struct proc {
    uint32_t pid;
    uint64_t start;
    uint64_t exit_ts; /* 0: no exit seen */
    char comm[64];
    int execed;
};

static struct flow *flows;
static size_t nflows, capflows;
static struct proc *procs;
static size_t nprocs, capprocs;
static uint64_t lost, damage;

struct rundown {
    uint32_t pid;
    uint8_t proto, family;
    struct pf_endpoint local, remote;
};
static struct rundown *runs;
static size_t nruns, capruns;
static struct rundown *conns; /* ESTABLISHED socket events (active opens) */
static size_t nconns, capconns;
static struct rundown *accs; /* ACCEPT socket events (passive opens) */
static size_t naccs, capaccs;

static void *grow(void *p, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return p;
    *cap = *cap ? *cap * 2 : 256;
    p = realloc(p, *cap * sz);
    if (!p) {
        perror("realloc");
        exit(2);
    }
    return p;
}

static int ep_eq(const struct pf_endpoint *a, const struct pf_endpoint *b)
{
    return a->port == b->port && memcmp(a->addr, b->addr, 16) == 0;
}

/* Retransmit-only records are left out of first/last: the kernel goes on
 * retransmitting after the process closed the socket (and exited). */
static void add_span(size_t flow, uint64_t ts, const struct pf_traffic *t)
{
    if (!t->sends && !t->recvs)
        return;
    struct flow *f = &flows[flow];
    uint64_t dur = t->duration_ns;
    uint64_t from = ts > dur ? ts - dur : 0;
    if (!f->first || from < f->first)
        f->first = from;
    if (ts > f->last)
        f->last = ts;
    spans = grow(spans, &capspans, nspans, sizeof *spans);
    spans[nspans++] = (struct span){flow, from, ts};
}

static void add_traffic(const struct pf_traffic *t, uint64_t ts)
{
    for (size_t i = 0; i < nflows; i++) {
        struct flow *f = &flows[i];
        if (f->pid == t->key.pid && f->start == t->key.pid_start_ns && f->proto == t->key.proto &&
            f->family == t->key.family && ep_eq(&f->local, &t->key.local) && ep_eq(&f->remote, &t->key.remote)) {
            add_span(i, ts, t);
            f->sent += t->bytes_sent;
            f->recv += t->bytes_recv;
            f->sends += t->sends;
            f->recvs += t->recvs;
            f->retrans += t->retransmits;
            return;
        }
    }
    flows = grow(flows, &capflows, nflows, sizeof *flows);
    struct flow *f = &flows[nflows++];
    memset(f, 0, sizeof *f);
    f->pid = t->key.pid;
    f->start = t->key.pid_start_ns;
    f->proto = t->key.proto;
    f->family = t->key.family;
    f->local = t->key.local;
    f->remote = t->key.remote;
    f->sent = t->bytes_sent;
    f->recv = t->bytes_recv;
    f->sends = t->sends;
    f->recvs = t->recvs;
    f->retrans = t->retransmits;
    add_span(nflows - 1, ts, t);
}

static void add_process(const struct pf_process *p, uint64_t ts)
{
    struct proc *pr = NULL;
    for (size_t i = 0; i < nprocs; i++)
        if (procs[i].pid == p->pid && procs[i].start == p->start_ns)
            pr = &procs[i];
    if (p->event == PF_PROC_EXIT) {
        if (pr)
            pr->exit_ts = ts;
        return;
    }
    if (!pr) {
        procs = grow(procs, &capprocs, nprocs, sizeof *procs);
        pr = &procs[nprocs++];
        memset(pr, 0, sizeof *pr);
        pr->pid = p->pid;
        pr->start = p->start_ns;
    }
    /* An exec names the process; later snapshots must not undo that. */
    if (p->event == PF_PROC_EXEC || !pr->execed) {
        size_t n = p->comm_len < sizeof pr->comm - 1 ? p->comm_len : sizeof pr->comm - 1;
        memcpy(pr->comm, p->comm, n);
        pr->comm[n] = '\0';
    }
    if (p->event == PF_PROC_EXEC)
        pr->execed = 1;
}

static void on_damage(void *ctx, const struct pf_damage *d)
{
    (void)ctx;
    fprintf(stderr, "pfcheck: damage at %" PRIu64 ": %s\n", d->offset, d->what);
    damage++;
}

static void print_ep(uint8_t fam, const struct pf_endpoint *e)
{
    char buf[PF_ADDR_STRLEN];
    printf(fam == 6 ? "[%s]:%u" : "%s:%u", pf_addr_to_string(fam, e->addr, buf, sizeof buf), e->port);
}

static void print_str(const char *s, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
}

static void dump(const struct pf_record *r)
{
    printf("%" PRIu64 " %s ", r->ts_ns, pf_record_type_name(r->type));
    switch (r->type) {
    case PF_REC_PROCESS: {
        const struct pf_process *p = &r->u.process;
        printf("%s pid=%u start=%" PRIu64 " ppid=%u uid=%u", pf_process_event_name(p->event), p->pid, p->start_ns,
               p->ppid, p->uid);
        if (p->event == PF_PROC_EXIT)
            printf(" exit=%d", p->exit_code);
        printf(" comm=");
        print_str(p->comm, p->comm_len);
        printf(" exe=");
        print_str(p->exe, p->exe_len);
        printf(" cmd=");
        print_str(p->cmdline, p->cmdline_len);
        printf(" cgroup=");
        print_str(p->cgroup, p->cgroup_len);
        break;
    }
    case PF_REC_SOCKET: {
        const struct pf_socket *s = &r->u.socket;
        printf("%s %s->%s pid=%u cookie=%" PRIu64 " %s ", pf_socket_event_name(s->event),
               pf_tcp_state_name(s->old_state), pf_tcp_state_name(s->new_state), s->key.pid, s->key.sock_id,
               s->key.proto == 6 ? "tcp" : "udp");
        print_ep(s->key.family, &s->key.local);
        printf(" ");
        print_ep(s->key.family, &s->key.remote);
        break;
    }
    case PF_REC_TRAFFIC: {
        const struct pf_traffic *t = &r->u.traffic;
        printf("pid=%u cookie=%" PRIu64 " %s ", t->key.pid, t->key.sock_id, t->key.proto == 6 ? "tcp" : "udp");
        print_ep(t->key.family, &t->key.local);
        printf(" ");
        print_ep(t->key.family, &t->key.remote);
        printf(" sent=%" PRIu64 "/%" PRIu64 " recv=%" PRIu64 "/%" PRIu64 " retr=%" PRIu64 " dur=%" PRIu64 " flags=%u",
               t->bytes_sent, t->sends, t->bytes_recv, t->recvs, t->retransmits, t->duration_ns, t->flags);
        break;
    }
    case PF_REC_SNAPSHOT: {
        const struct pf_snapshot *s = &r->u.snapshot;
        printf("pid=%u %s %s ", s->key.pid, s->key.proto == 6 ? "tcp" : "udp", pf_tcp_state_name(s->state));
        print_ep(s->key.family, &s->key.local);
        printf(" ");
        print_ep(s->key.family, &s->key.remote);
        printf(" bytes=%" PRIu64 "/%" PRIu64 " flags=%u", s->bytes_sent, s->bytes_recv, s->flags);
        break;
    }
    case PF_REC_LOSS:
        printf("%s cpu=%u count=%" PRIu64, pf_loss_source_name(r->u.loss.source), r->u.loss.cpu, r->u.loss.count);
        break;
    case PF_REC_HOSTINFO:
        print_str(r->u.hostinfo.key, r->u.hostinfo.key_len);
        printf("=");
        print_str(r->u.hostinfo.value, r->u.hostinfo.value_len);
        break;
    default: break;
    }
    printf("\n");
}

static int read_capture(const char *path, int dump_records)
{
    pf_reader *r = NULL;
    struct pf_reader_options ro = {on_damage, NULL, 0};
    int rc = pf_reader_open(&r, path, &ro);
    if (rc < 0) {
        fprintf(stderr, "pfcheck: %s: %s\n", path, pf_strerror(rc));
        return -1;
    }
    struct pf_record rec;
    while ((rc = pf_reader_next(r, &rec)) == 1) {
        if (dump_records)
            dump(&rec);
        if (rec.type == PF_REC_TRAFFIC)
            add_traffic(&rec.u.traffic, rec.ts_ns);
        else if (rec.type == PF_REC_PROCESS)
            add_process(&rec.u.process, rec.ts_ns);
        else if (rec.type == PF_REC_LOSS)
            lost += rec.u.loss.count;
        else if (rec.type == PF_REC_SOCKET && rec.u.socket.event == PF_SOCK_ESTABLISHED) {
            conns = grow(conns, &capconns, nconns, sizeof *conns);
            conns[nconns++] = (struct rundown){rec.u.socket.key.pid, rec.u.socket.key.proto, rec.u.socket.key.family,
                                               rec.u.socket.key.local, rec.u.socket.key.remote};
        } else if (rec.type == PF_REC_SOCKET && rec.u.socket.event == PF_SOCK_ACCEPT) {
            accs = grow(accs, &capaccs, naccs, sizeof *accs);
            accs[naccs++] = (struct rundown){rec.u.socket.key.pid, rec.u.socket.key.proto, rec.u.socket.key.family,
                                             rec.u.socket.key.local, rec.u.socket.key.remote};
        } else if (rec.type == PF_REC_SNAPSHOT && (rec.u.snapshot.flags & PF_SNAP_RUNDOWN)) {
            runs = grow(runs, &capruns, nruns, sizeof *runs);
            runs[nruns++] =
                (struct rundown){rec.u.snapshot.key.pid, rec.u.snapshot.key.proto, rec.u.snapshot.key.family,
                                 rec.u.snapshot.key.local, rec.u.snapshot.key.remote};
        }
    }
    struct pf_reader_stats st;
    pf_reader_get_stats(r, &st);
    if (!st.clean_close) {
        fprintf(stderr, "pfcheck: %s was not closed cleanly\n", path);
        damage++;
    }
    pf_reader_close(r);
    return rc < 0 ? -1 : 0;
}

static const struct proc *proc_of(uint32_t pid, uint64_t start)
{
    for (size_t i = 0; i < nprocs; i++)
        if (procs[i].pid == pid && procs[i].start == start)
            return &procs[i];
    return NULL;
}

static int parse_ep(const char *ip, unsigned port, uint8_t fam, struct pf_endpoint *e)
{
    memset(e, 0, sizeof *e);
    int f = pf_addr_from_string(ip, e->addr);
    e->port = (uint16_t)port;
    return f == fam ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--dump") == 0)
        return read_capture(argv[2], 1) ? 2 : 0;
    if (argc == 4 && strcmp(argv[1], "--sum") == 0) {
        if (read_capture(argv[2], 0))
            return 2;
        uint32_t pid = (uint32_t)strtoul(argv[3], NULL, 10);
        uint64_t s = 0, bs = 0, r = 0, br = 0;
        for (size_t i = 0; i < nflows; i++)
            if (flows[i].pid == pid) {
                s += flows[i].sends;
                bs += flows[i].sent;
                r += flows[i].recvs;
                br += flows[i].recv;
            }
        printf("%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", s, bs, r, br, lost);
        free(flows);
        free(procs);
        free(runs);
        return 0;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: pfcheck CAPTURE TRUTH | pfcheck --dump CAPTURE | pfcheck --sum CAPTURE PID\n");
        return 2;
    }
    if (read_capture(argv[1], 0))
        return 2;
    FILE *t = fopen(argv[2], "r");
    if (!t) {
        perror(argv[2]);
        return 2;
    }
    char line[512];
    int fails = 0, checked = 0;
    uint32_t truth_pids[256];
    size_t ntp = 0;
    while (fgets(line, sizeof line, t)) {
        char comm[64], proto[8], lip[64], rip[64];
        int pid, fam;
        unsigned lp, rp;
        long long sent, recv, sends, recvs;
        if (sscanf(line, "FLOW %d %63s %7s %d %63s %u %63s %u %lld %lld %lld %lld", &pid, comm, proto, &fam, lip, &lp,
                   rip, &rp, &sent, &recv, &sends, &recvs) == 12) {
            checked++;
            struct pf_endpoint le, re;
            uint8_t pr = strcmp(proto, "tcp") == 0 ? PF_PROTO_TCP : PF_PROTO_UDP;
            if (parse_ep(lip, lp, (uint8_t)fam, &le) || parse_ep(rip, rp, (uint8_t)fam, &re)) {
                printf("FAIL bad truth line: %s", line);
                fails++;
                continue;
            }
            if (ntp < 256)
                truth_pids[ntp++] = (uint32_t)pid;
            struct flow *f = NULL;
            for (size_t i = 0; i < nflows; i++)
                if (flows[i].pid == (uint32_t)pid && flows[i].proto == pr && flows[i].family == fam &&
                    ep_eq(&flows[i].local, &le) && ep_eq(&flows[i].remote, &re))
                    f = &flows[i];
            if (!f) {
                printf("FAIL missing flow: %s", line);
                fails++;
                continue;
            }
            f->matched = 1;
            const struct proc *p = proc_of(f->pid, f->start);
            int ok = f->sent == (uint64_t)sent && f->recv == (uint64_t)recv &&
                     (sends < 0 || f->sends == (uint64_t)sends) && (recvs < 0 || f->recvs == (uint64_t)recvs);
            int name_ok = p && strcmp(p->comm, comm) == 0;
            if (!ok || !name_ok) {
                printf("FAIL %s  got: comm=%s sent=%" PRIu64 " recv=%" PRIu64 " sends=%" PRIu64 " recvs=%" PRIu64 "\n",
                       strtok(line, "\n"), p ? p->comm : "(no process record)", f->sent, f->recv, f->sends, f->recvs);
                fails++;
            } else {
                printf("ok   %s", line);
            }
            continue;
        }
        if (sscanf(line, "NOFLOW %d", &pid) == 1) {
            /* A process that made no socket call: any flow of it fails. */
            if (ntp < 256)
                truth_pids[ntp++] = (uint32_t)pid;
            continue;
        }
        if (sscanf(line, "EXEC %d %63s", &pid, comm) == 2) {
            checked++;
            int found = 0;
            for (size_t i = 0; i < nprocs; i++)
                if (procs[i].pid == (uint32_t)pid && procs[i].execed && strcmp(procs[i].comm, comm) == 0)
                    found = 1;
            printf("%s %s", found ? "ok  " : "FAIL", line);
            fails += !found;
            continue;
        }
        char what[16];
        if (sscanf(line, "%15s %d %d %63s %u %63s %u", what, &pid, &fam, lip, &lp, rip, &rp) == 7 &&
            (strcmp(what, "CONNECT") == 0 || strcmp(what, "ACCEPT") == 0)) {
            checked++;
            struct pf_endpoint le, re;
            int found = 0;
            const struct rundown *v = what[0] == 'C' ? conns : accs;
            size_t nv = what[0] == 'C' ? nconns : naccs;
            if (!parse_ep(lip, lp, (uint8_t)fam, &le) && !parse_ep(rip, rp, (uint8_t)fam, &re))
                for (size_t i = 0; i < nv; i++)
                    if (v[i].pid == (uint32_t)pid && v[i].family == fam && ep_eq(&v[i].local, &le) &&
                        ep_eq(&v[i].remote, &re))
                        found = 1;
            printf("%s %s", found ? "ok  " : "FAIL", line);
            fails += !found;
            continue;
        }
        unsigned long long rmax = 0;
        int rn = sscanf(line, "RETRANS %d %d %63s %u %63s %u %llu", &pid, &fam, lip, &lp, rip, &rp, &rmax);
        if (rn >= 6) {
            checked++;
            struct pf_endpoint le, re;
            uint64_t n = 0;
            if (!parse_ep(lip, lp, (uint8_t)fam, &le) && !parse_ep(rip, rp, (uint8_t)fam, &re))
                for (size_t i = 0; i < nflows; i++)
                    if (flows[i].pid == (uint32_t)pid && flows[i].proto == PF_PROTO_TCP &&
                        ep_eq(&flows[i].local, &le) && ep_eq(&flows[i].remote, &re))
                        n += flows[i].retrans;
            int ok = n > 0 && (rn < 7 || n <= rmax);
            printf("%s %s  recorded %" PRIu64 "\n", ok ? "ok  " : "FAIL", strtok(line, "\n"), n);
            fails += !ok;
            continue;
        }
        unsigned long long t0, t1;
        if (sscanf(line, "%15s %d %7s %d %63s %u %63s %u %llu %llu", what, &pid, proto, &fam, lip, &lp, rip, &rp, &t0,
                   &t1) == 10 &&
            (strcmp(what, "TIMES") == 0 || strcmp(what, "BURST") == 0)) {
            checked++;
            struct pf_endpoint le, re;
            uint8_t pr = strcmp(proto, "tcp") == 0 ? PF_PROTO_TCP : PF_PROTO_UDP;
            struct flow *f = NULL;
            if (!parse_ep(lip, lp, (uint8_t)fam, &le) && !parse_ep(rip, rp, (uint8_t)fam, &re))
                for (size_t i = 0; i < nflows; i++)
                    if (flows[i].pid == (uint32_t)pid && flows[i].proto == pr && ep_eq(&flows[i].local, &le) &&
                        ep_eq(&flows[i].remote, &re))
                        f = &flows[i];
            if (!f) {
                printf("FAIL no flow for: %s", line);
                fails++;
                continue;
            }
            if (what[0] == 'T') {
                int ok = llabs((long long)(f->first - t0)) <= TIME_SLACK_NS &&
                         llabs((long long)(f->last - t1)) <= TIME_SLACK_NS;
                printf("%s %s  recorded first %+.3f ms, last %+.3f ms\n", ok ? "ok  " : "FAIL", strtok(line, "\n"),
                       ((double)f->first - (double)t0) / 1e6, ((double)f->last - (double)t1) / 1e6);
                fails += !ok;
            } else {
                windows = grow(windows, &capwindows, nwindows, sizeof *windows);
                windows[nwindows++] = (struct span){(size_t)(f - flows), t0, t1};
                printf("ok   %s", line);
            }
            continue;
        }
        if (sscanf(line, "RUNDOWN %d %7s %d %63s %u %63s %u", &pid, proto, &fam, lip, &lp, rip, &rp) == 7) {
            checked++;
            struct pf_endpoint le, re;
            int found = 0;
            uint8_t pr = strcmp(proto, "tcp") == 0 ? PF_PROTO_TCP : PF_PROTO_UDP;
            if (!parse_ep(lip, lp, (uint8_t)fam, &le) && !parse_ep(rip, rp, (uint8_t)fam, &re))
                for (size_t i = 0; i < nruns; i++)
                    if (runs[i].pid == (uint32_t)pid && runs[i].proto == pr && runs[i].family == fam &&
                        ep_eq(&runs[i].local, &le) && ep_eq(&runs[i].remote, &re))
                        found = 1;
            printf("%s %s", found ? "ok  " : "FAIL", line);
            fails += !found;
            continue;
        }
    }
    fclose(t);
    /* Exactness: a truth process may not have flows the truth lacks. */
    for (size_t i = 0; i < nflows; i++) {
        if (flows[i].matched)
            continue;
        for (size_t j = 0; j < ntp; j++)
            if (flows[i].pid == truth_pids[j]) {
                printf("FAIL unexpected flow of pid %u: ", flows[i].pid);
                print_ep(flows[i].family, &flows[i].local);
                printf(" -> ");
                print_ep(flows[i].family, &flows[i].remote);
                printf(" sent=%" PRIu64 " recv=%" PRIu64 "\n", flows[i].sent, flows[i].recv);
                fails++;
                break;
            }
    }
    /* True times: a flow with BURST windows has every record inside one;
     * no checked flow ends after its process exited. */
    for (size_t i = 0; i < nspans; i++) {
        int has = 0, inside = 0;
        for (size_t w = 0; w < nwindows; w++)
            if (windows[w].flow == spans[i].flow) {
                has = 1;
                inside |=
                    spans[i].from + TIME_SLACK_NS >= windows[w].from && spans[i].to <= windows[w].to + TIME_SLACK_NS;
            }
        checked += has;
        if (has && !inside) {
            printf("FAIL record of pid %u spans %" PRIu64 "..%" PRIu64 ", outside every burst\n",
                   flows[spans[i].flow].pid, spans[i].from, spans[i].to);
            fails++;
        }
    }
    for (size_t i = 0; i < nflows; i++) {
        const struct proc *p = proc_of(flows[i].pid, flows[i].start);
        if (flows[i].matched && p && p->exit_ts && flows[i].last > p->exit_ts) {
            printf("FAIL flow of pid %u ends %.3f ms after its process exited\n", flows[i].pid,
                   (double)(flows[i].last - p->exit_ts) / 1e6);
            fails++;
        }
    }
    if (lost || damage) {
        printf("FAIL lost=%" PRIu64 " damaged=%" PRIu64 "\n", lost, damage);
        fails++;
    }
    printf("%d checks, %d failures\n", checked, fails);
    free(flows);
    free(procs);
    free(runs);
    free(conns);
    free(accs);
    free(spans);
    free(windows);
    return fails || !checked ? 1 : 0;
}
