/* SPDX-License-Identifier: MIT */
/* Reads the real .etl files of the shared data folder and checks exact
 * per-opcode event counts (from the data folder's README) and exact
 * per-flow byte totals (expected_flows.h, computed independently).
 *
 * usage: test_etl_files NAME DIR
 *   NAME: tx_KernelNetwork | tx_Process | perfview_2016 | net_4_5_2 | small
 *   DIR:  folder holding the file (the unpacked copy for .xz/.zip ones)
 * Exits 77 (skip) when the file is absent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expected_flows.h"
#include "procflow/etl.h"
#include "procflow/etw_decode.h"

static int failures;
#define PF_CHECK_FAILURES failures
#include "../check.h"

struct id_count {
    unsigned provider, id;
    unsigned long long n;
};

struct file_case {
    const char *name;
    const char *file;
    const struct id_count *counts;
    size_t ncounts;
    const struct expected_flow *flows;
    size_t nflows;
    unsigned pointer_size, build;
    unsigned long long buffers, compressed;
    const char *os_release;
};

/* README: "TCPv4 send(10) x575, recv(11) x7,968, TCPv6 send(26) x26, ..." */
static const struct id_count c_knet[] = {
    {PF_ETW_PROV_KERNEL_NETWORK, 10, 575}, {PF_ETW_PROV_KERNEL_NETWORK, 11, 7968}, {PF_ETW_PROV_KERNEL_NETWORK, 26, 26},
    {PF_ETW_PROV_KERNEL_NETWORK, 27, 134}, {PF_ETW_PROV_KERNEL_NETWORK, 29, 2},    {PF_ETW_PROV_KERNEL_NETWORK, 42, 8},
    {PF_ETW_PROV_KERNEL_NETWORK, 43, 149}, {PF_ETW_PROV_KERNEL_NETWORK, 59, 61},
};
/* README: ProcessStart(1) x4, ProcessStop(2) x4 (other ids: threads, images). */
static const struct id_count c_kproc[] = {
    {PF_ETW_PROV_KERNEL_PROCESS, 1, 4},
    {PF_ETW_PROV_KERNEL_PROCESS, 2, 4},
};
static const struct id_count c_pv2016[] = {
    {PF_ETW_PROV_TCPIP, 26, 34}, {PF_ETW_PROV_TCPIP, 27, 13},  {PF_ETW_PROV_TCPIP, 29, 1},
    {PF_ETW_PROV_TCPIP, 31, 2},  {PF_ETW_PROV_TCPIP, 34, 10},  {PF_ETW_PROV_UDPIP, 10, 7},
    {PF_ETW_PROV_UDPIP, 11, 56}, {PF_ETW_PROV_UDPIP, 27, 45},  {PF_ETW_PROV_PROCESS, 1, 2},
    {PF_ETW_PROV_PROCESS, 2, 2}, {PF_ETW_PROV_PROCESS, 3, 46}, {PF_ETW_PROV_PROCESS, 4, 46},
};
static const struct id_count c_net452[] = {
    {PF_ETW_PROV_TCPIP, 26, 240}, {PF_ETW_PROV_TCPIP, 27, 250}, {PF_ETW_PROV_UDPIP, 10, 1},
    {PF_ETW_PROV_UDPIP, 11, 19},  {PF_ETW_PROV_UDPIP, 26, 6},   {PF_ETW_PROV_UDPIP, 27, 10},
    {PF_ETW_PROV_PROCESS, 1, 1},  {PF_ETW_PROV_PROCESS, 2, 1},  {PF_ETW_PROV_PROCESS, 3, 32},
    {PF_ETW_PROV_PROCESS, 4, 32}, {PF_ETW_PROV_PROCESS, 39, 2},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct file_case cases[] = {
    {"tx_KernelNetwork", "tx_KernelNetwork.etl", c_knet, N(c_knet), flows_tx_KernelNetwork, N(flows_tx_KernelNetwork),
     8, 7601, 129, 0, "6.1.7601"},
    {"tx_Process", "tx_Process.etl", c_kproc, N(c_kproc), NULL, 0, 8, 7600, 182, 0, "6.1.7600"},
    {"perfview_2016", "perfview_2016_net.4.5.x86_PerfViewData.etl", c_pv2016, N(c_pv2016), flows_perfview_2016,
     N(flows_perfview_2016), 8, 7601, 405, 0, "6.1.7601"},
    {"net_4_5_2", "net.4.5.2.x64.etl", c_net452, N(c_net452), flows_net_4_5_2_x64, N(flows_net_4_5_2_x64), 8, 9200, 360,
     359, "6.2.9200"},
    {"small", "perfview_smallEtlFile.etl", NULL, 0, NULL, 0, 4, 10586, 2, 1, "10.0.10586"},
};

struct flow {
    unsigned pid, proto, family;
    uint8_t laddr[16], raddr[16];
    unsigned lport, rport;
    unsigned long long sent, recv, sends, recvs;
    int matched;
};

static struct flow *flows;
static size_t nflows, capflows;

static struct flow *flow_get(const struct pf_flow_key *k)
{
    for (size_t i = 0; i < nflows; i++) {
        struct flow *f = &flows[i];
        if (f->pid == k->pid && f->proto == k->proto && f->family == k->family && f->lport == k->local.port &&
            f->rport == k->remote.port && !memcmp(f->laddr, k->local.addr, 16) && !memcmp(f->raddr, k->remote.addr, 16))
            return f;
    }
    if (nflows == capflows) {
        capflows = capflows ? capflows * 2 : 64;
        struct flow *nf = realloc(flows, capflows * sizeof *nf);
        if (!nf) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
        flows = nf;
    }
    struct flow *f = &flows[nflows++];
    memset(f, 0, sizeof *f);
    f->pid = k->pid;
    f->proto = k->proto;
    f->family = k->family;
    memcpy(f->laddr, k->local.addr, 16);
    memcpy(f->raddr, k->remote.addr, 16);
    f->lport = k->local.port;
    f->rport = k->remote.port;
    return f;
}

static unsigned damage_count;
static void on_damage(void *ctx, const struct pf_damage *d)
{
    (void)ctx;
    damage_count++;
    fprintf(stderr, "damage at %llu: %s\n", (unsigned long long)d->offset, d->what);
}

static void check_flows(const struct file_case *c)
{
    CHECK_EQ(nflows, c->nflows);
    for (size_t i = 0; i < c->nflows; i++) {
        const struct expected_flow *x = &c->flows[i];
        uint8_t la[16], ra[16];
        int lf = pf_addr_from_string(x->local, la), rf = pf_addr_from_string(x->remote, ra);
        CHECK(lf == 4 || lf == 6);
        CHECK(rf == 4 || rf == 6);
        struct flow *hit = NULL;
        for (size_t j = 0; j < nflows; j++) {
            struct flow *f = &flows[j];
            if (f->pid == x->pid && f->proto == x->proto && f->family == x->family && f->lport == x->lport &&
                f->rport == x->rport && !memcmp(f->laddr, la, 16) && !memcmp(f->raddr, ra, 16))
                hit = f;
        }
        if (!hit) {
            fprintf(stderr, "missing flow %u %s:%u -> %s:%u\n", x->pid, x->local, x->lport, x->remote, x->rport);
            failures++;
            continue;
        }
        hit->matched = 1;
        CHECK_EQ(hit->sent, x->sent);
        CHECK_EQ(hit->recv, x->recv);
        CHECK_EQ(hit->sends, x->sends);
        CHECK_EQ(hit->recvs, x->recvs);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_etl_files NAME DIR\n");
        return 2;
    }
    const struct file_case *c = NULL;
    for (size_t i = 0; i < N(cases); i++)
        if (!strcmp(cases[i].name, argv[1]))
            c = &cases[i];
    if (!c) {
        fprintf(stderr, "unknown case %s\n", argv[1]);
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", argv[2], c->file);
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        printf("SKIP: %s not found (shared .etl data absent or not unpacked)\n", path);
        return 77;
    }
    fclose(probe);

    struct pf_reader_options opt = {on_damage, NULL, 0};
    pf_etl *e = NULL;
    int rc = pf_etl_open(&e, path, &opt);
    CHECK_EQ(rc, PF_OK);
    if (rc < 0)
        return 1;
    const struct pf_file_info *fi = pf_etl_info(e);
    CHECK(!strcmp(fi->os, "Windows"));
    CHECK(!strcmp(fi->os_release, c->os_release));
    CHECK_EQ(fi->platform, PF_PLATFORM_WINDOWS);
    CHECK_EQ(fi->clock_id, PF_CLOCK_UTC);
    CHECK(fi->start_utc_ns > 1200000000000000000LL); /* after 2008 */
    uint8_t uuid1[16];
    memcpy(uuid1, fi->uuid, 16);

    struct pf_record r;
    unsigned long long n_proc = 0, n_sock = 0, n_traffic = 0;
    uint64_t first_ts = 0, last_ts = 0;
    while ((rc = pf_etl_next(e, &r)) > 0) {
        if (!first_ts)
            first_ts = r.ts_ns;
        last_ts = r.ts_ns;
        CHECK(r.ts_ns >= (uint64_t)fi->start_utc_ns - 60000000000ull);
        if (r.type == PF_REC_PROCESS) {
            n_proc++;
        } else if (r.type == PF_REC_SOCKET) {
            n_sock++;
        } else if (r.type == PF_REC_TRAFFIC) {
            n_traffic++;
            CHECK_EQ(r.u.traffic.duration_ns, 0);
            CHECK_EQ(r.u.traffic.sends + r.u.traffic.recvs + r.u.traffic.retransmits, 1);
            struct flow *f = flow_get(&r.u.traffic.key);
            f->sent += r.u.traffic.bytes_sent;
            f->recv += r.u.traffic.bytes_recv;
            f->sends += r.u.traffic.sends;
            f->recvs += r.u.traffic.recvs;
        } else {
            CHECK(!"unexpected record type");
        }
    }
    CHECK_EQ(rc, 0);
    CHECK(last_ts >= first_ts);
    struct pf_etl_stats st;
    pf_etl_get_stats(e, &st);
    CHECK_EQ(st.buffers, c->buffers);
    CHECK_EQ(st.buffers_compressed, c->compressed);
    CHECK_EQ(st.buffers_damaged, 0);
    CHECK_EQ(st.events_damaged, 0);
    CHECK_EQ(damage_count, 0);
    CHECK_EQ(st.pointer_size, c->pointer_size);
    CHECK_EQ(st.build, c->build);
    CHECK_EQ(st.events, st.events_known + st.events_skipped);
    CHECK_EQ(st.records, n_proc + n_sock + n_traffic);
    for (size_t i = 0; i < c->ncounts; i++) {
        if (st.by_id[c->counts[i].provider][c->counts[i].id] != c->counts[i].n)
            fprintf(stderr, "%s id %u:\n", pf_etl_provider_name(c->counts[i].provider), c->counts[i].id);
        CHECK_EQ(st.by_id[c->counts[i].provider][c->counts[i].id], c->counts[i].n);
    }
    /* Known network ids beyond those listed must be absent. */
    unsigned long long net_listed = 0, net_seen = 0;
    for (size_t i = 0; i < c->ncounts; i++)
        if (c->counts[i].provider != PF_ETW_PROV_PROCESS && c->counts[i].provider != PF_ETW_PROV_KERNEL_PROCESS)
            net_listed += c->counts[i].n;
    for (unsigned p = PF_ETW_PROV_TCPIP; p <= PF_ETW_PROV_UDPIP; p++)
        for (unsigned i = 0; i < 256; i++)
            net_seen += st.by_id[p][i];
    for (unsigned i = 0; i < 256; i++)
        net_seen += st.by_id[PF_ETW_PROV_KERNEL_NETWORK][i];
    CHECK_EQ(net_seen, net_listed);

    if (!strcmp(c->name, "tx_KernelNetwork")) {
        /* 8,923 events: every send/recv a traffic record, 2 disconnects. */
        CHECK_EQ(n_traffic, 8921);
        CHECK_EQ(n_sock, 2);
        CHECK_EQ(n_proc, 0);
        CHECK_EQ(st.events_skipped, 1); /* the logfile header event */
    } else if (!strcmp(c->name, "tx_Process")) {
        CHECK_EQ(n_proc, 8);
        CHECK_EQ(st.events_known, 10343);
    } else if (!strcmp(c->name, "perfview_2016")) {
        /* TCPCopy (10) is not a record: 34+13+7+56+45 traffic, 1+2 socket. */
        CHECK_EQ(n_traffic, 155);
        CHECK_EQ(n_sock, 3);
        CHECK_EQ(n_proc, 96);
    } else if (!strcmp(c->name, "net_4_5_2")) {
        CHECK_EQ(n_traffic, 526);
        CHECK_EQ(n_sock, 0);
        /* 68 classic (1+1+32+32+2) + 2 Kernel-Process. */
        CHECK_EQ(n_proc, 70);
    } else if (!strcmp(c->name, "small")) {
        CHECK_EQ(st.records, 0);
        CHECK_EQ(st.events, 2);
        CHECK_EQ(st.events_skipped, 2);
        CHECK_EQ(st.other_count, 2);
    }
    check_flows(c);
    pf_etl_close(e);

    /* Same file, same uuid (re-import detection); from memory too. */
    FILE *fp = fopen(path, "rb");
    CHECK(fp != NULL);
    if (fp) {
        fseek(fp, 0, SEEK_END);
        long len = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
        CHECK(buf && fread(buf, 1, (size_t)len, fp) == (size_t)len);
        fclose(fp);
        pf_etl *m = NULL;
        CHECK_EQ(pf_etl_open_mem(&m, buf, (size_t)len, NULL), PF_OK);
        if (m) {
            CHECK(!memcmp(pf_etl_info(m)->uuid, uuid1, 16));
            unsigned long long nrec = 0;
            while (pf_etl_next(m, &r) > 0)
                nrec++;
            CHECK_EQ(nrec, n_proc + n_sock + n_traffic);
        }
        pf_etl_close(m);
        free(buf);
    }
    free(flows);
    if (failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", c->name, failures);
        return 1;
    }
    printf("%s: ok (%llu traffic, %llu socket, %llu process records, %zu flows)\n", c->name, n_traffic, n_sock, n_proc,
           nflows);
    return 0;
}
