/* SPDX-License-Identifier: MIT */
/* Unit tests of the Windows glue of procflow-record (runs on Windows or
 * under Wine): MIB state mapping, clock conversions, the process table and
 * the IP Helper socket tables, platform helpers. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <evntcons.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform.h"
#include "procflow/records.h"
#include "source.h"
#include "win.h"

static int failed;
#define PF_CHECK_FAILURES failed
#include "../check.h"

static void test_states(void)
{
    static const uint8_t want[14] = {PF_TCP_NONE,       PF_TCP_CLOSE,       PF_TCP_LISTEN,    PF_TCP_SYN_SENT,
                                     PF_TCP_SYN_RECV,   PF_TCP_ESTABLISHED, PF_TCP_FIN_WAIT1, PF_TCP_FIN_WAIT2,
                                     PF_TCP_CLOSE_WAIT, PF_TCP_CLOSING,     PF_TCP_LAST_ACK,  PF_TCP_TIME_WAIT,
                                     PF_TCP_DELETE_TCB, PF_TCP_NONE};
    for (unsigned i = 0; i < 14; i++)
        CHECK(pfr_win_tcp_state(i) == want[i]);
    CHECK(pfr_win_tcp_state(0xffffffffu) == PF_TCP_NONE);
}

static void test_clock(void)
{
    LARGE_INTEGER f;
    QueryPerformanceFrequency(&f);
    CHECK(pfr_win_qpc_to_ns(0) == 0);
    CHECK(pfr_win_qpc_to_ns((uint64_t)f.QuadPart) == 1000000000ull);
    CHECK(pfr_win_qpc_to_ns((uint64_t)f.QuadPart * 86400 * 365) == 86400ull * 365 * 1000000000ull);
    uint64_t a = pfr_plat_boottime_ns();
    Sleep(20);
    uint64_t b = pfr_plat_boottime_ns();
    CHECK(b > a && b - a >= 15000000ull && b - a < 2000000000ull);
    int64_t utc = pfr_plat_utc_ns();
    int64_t t = (int64_t)time(NULL) * 1000000000ll;
    CHECK(utc > t - 5000000000ll && utc < t + 5000000000ll);
}

struct scan_seen {
    uint32_t pid;
    int found, is_new;
    uint64_t start_ns;
    char name[256], exe[1024];
};

static int on_proc(void *ctx, const struct pfr_win_proc *p, int is_new)
{
    struct scan_seen *s = ctx;
    if (p->pid == s->pid) {
        s->found++;
        s->is_new = is_new;
        s->start_ns = p->start_ns;
        snprintf(s->name, sizeof s->name, "%s", p->name);
        snprintf(s->exe, sizeof s->exe, "%s", p->exe);
    }
    return 0;
}

static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && _stricmp(s + a - b, tail) == 0;
}

static void test_procs(void)
{
    struct pfr_win_procs t;
    CHECK(pfr_win_procs_init(&t) == 0);
    CHECK(pfr_win_procs_ft_to_ns(&t, t.anchor_ft) == t.anchor_ns);
    CHECK(pfr_win_procs_ft_to_ns(&t, t.anchor_ft + 10) == t.anchor_ns + 1000);
    CHECK(pfr_win_procs_ft_to_ns(&t, 0) == 0);

    struct scan_seen s1 = {.pid = GetCurrentProcessId()}, s2 = s1;
    CHECK(pfr_win_procs_scan(&t, on_proc, &s1) == 0);
    CHECK(s1.found == 1);
    CHECK(s1.is_new == 1);
    CHECK(_stricmp(s1.name, "test_win_glue.exe") == 0);
    CHECK(ends_with(s1.exe, "\\test_win_glue.exe"));
    CHECK(s1.start_ns != 0 && s1.start_ns <= pfr_plat_boottime_ns());
    CHECK(pfr_win_procs_scan(&t, on_proc, &s2) == 0);
    CHECK(s2.found == 1);
    CHECK(s2.is_new == 0);
    CHECK(s2.start_ns == s1.start_ns); /* stable identity */

    /* Event-stream starts and exits. */
    struct pfr_win_proc *p = pfr_win_procs_started(&t, 0x7ffffff0u, 123456789ull);
    CHECK(p != NULL && p->start_ns == 123456789ull);
    CHECK(pfr_win_procs_get(&t, 0x7ffffff0u) == p);
    pfr_win_procs_exited(&t, 0x7ffffff0u);
    CHECK(pfr_win_procs_get(&t, 0x7ffffff0u) == NULL);
    pfr_win_procs_free(&t);
    pfr_win_procs_free(NULL);
}

struct sock_seen {
    uint8_t proto, family;
    uint16_t port;
    uint8_t addr[16];
    int found;
    uint8_t state;
};

static int on_sock(void *ctx, const struct pfr_win_sock *w)
{
    struct sock_seen *s = ctx;
    if (w->proto == s->proto && w->family == s->family && w->lport == s->port && memcmp(w->laddr, s->addr, 16) == 0) {
        s->found++;
        s->state = w->state;
    }
    return 0;
}

static uint16_t bound_port(SOCKET fd)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void test_sockets(void)
{
    WSADATA wd;
    CHECK(WSAStartup(MAKEWORD(2, 2), &wd) == 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    SOCKET t = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    SOCKET u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    CHECK(bind(t, (struct sockaddr *)&a, sizeof a) == 0 && listen(t, 1) == 0);
    CHECK(bind(u, (struct sockaddr *)&a, sizeof a) == 0);

    struct sock_seen st = {PF_PROTO_TCP, 4, bound_port(t), {127, 0, 0, 1}, 0, 0};
    struct sock_seen su = {PF_PROTO_UDP, 4, bound_port(u), {127, 0, 0, 1}, 0, 0};
    CHECK(st.port != 0 && su.port != 0);
    CHECK(pfr_win_sockets(PF_PROTO_TCP, 4, on_sock, &st) >= 1);
    CHECK(st.found == 1);
    CHECK(st.state == PF_TCP_LISTEN);
    CHECK(pfr_win_sockets(PF_PROTO_UDP, 4, on_sock, &su) >= 1);
    CHECK(su.found == 1);
    CHECK(su.state == PF_TCP_CLOSE);

    /* IPv6 loopback, when the host has it. */
    SOCKET t6 = socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in6 a6;
    memset(&a6, 0, sizeof a6);
    a6.sin6_family = AF_INET6;
    a6.sin6_addr = in6addr_loopback;
    if (t6 != INVALID_SOCKET && bind(t6, (struct sockaddr *)&a6, sizeof a6) == 0 && listen(t6, 1) == 0) {
        struct sock_seen s6 = {PF_PROTO_TCP, 6, bound_port(t6), {0}, 0, 0};
        s6.addr[15] = 1;
        CHECK(pfr_win_sockets(PF_PROTO_TCP, 6, on_sock, &s6) >= 1);
        CHECK(s6.found == 1);
        CHECK(s6.state == PF_TCP_LISTEN);
    } else {
        printf("note: no IPv6 loopback, IPv6 table not checked\n");
    }
    if (t6 != INVALID_SOCKET)
        closesocket(t6);
    closesocket(t);
    closesocket(u);
    WSACleanup();
}

static void test_platform(void)
{
    char name[64], rel[64], host[256];
    pfr_plat_os(name, sizeof name, rel, sizeof rel);
    CHECK(strcmp(name, "Windows") == 0);
    CHECK(rel[0] >= '1' && rel[0] <= '9');
    pfr_plat_hostname(host, sizeof host);
    CHECK(host[0] != '\0');
    char path[MAX_PATH + 32];
    DWORD n = GetTempPathA(MAX_PATH, path);
    CHECK(n > 0 && n < MAX_PATH);
    snprintf(path + n, sizeof path - n, "pfwin-%lu.tmp", (unsigned long)GetCurrentProcessId());
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    CHECK(pfr_plat_exists(path) == 1);
    CHECK(pfr_plat_remove(path) == 0);
    CHECK(pfr_plat_exists(path) == 0);
    CHECK(pfr_plat_remove(path) == 0); /* missing is not an error */
    CHECK(pfr_plat_cpu_ns() < 3600ull * 1000000000ull);
}

/* ------------------------------------------------------------ events */

struct collected {
    int n, traffic, other, procs;
    struct pf_traffic t[8];
    struct pf_process p[8];
    char comm[8][64], exe[8][128];
    uint32_t self;
    uint64_t self_start;
};

static int collect(void *ctx, const struct pf_record *r)
{
    struct collected *c = ctx;
    c->n++;
    if (r->type == PF_REC_TRAFFIC && c->traffic < 8) {
        c->t[c->traffic++] = r->u.traffic;
    } else if (r->type == PF_REC_PROCESS) {
        const struct pf_process *p = &r->u.process;
        if (c->self && p->pid == c->self)
            c->self_start = p->start_ns;
        if (c->procs < 8) {
            /* Strings are only valid during the call. */
            snprintf(c->comm[c->procs], 64, "%.*s", (int)p->comm_len, p->comm ? p->comm : "");
            snprintf(c->exe[c->procs], 128, "%.*s", (int)p->exe_len, p->exe ? p->exe : "");
            c->p[c->procs++] = *p;
        }
    } else if (r->type != PF_REC_TRAFFIC) {
        c->other++;
    }
    return 0;
}

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* A Microsoft-Windows-Kernel-Network IPv4 event as its manifest lays it
 * out: PID, size, daddr, saddr, dport, sport, then for a send (10)
 * startime, endtime, seqnum, for the others seqnum, then the connection id. */
static void inject_net(struct pfr_source *s, uint16_t id, uint32_t pid, uint32_t size, const uint8_t d[4],
                       uint16_t dport, const uint8_t sa[4], uint16_t sport, uint64_t connid)
{
    static const GUID kn = {0x7dd42a49, 0x5329, 0x4832, {0x8d, 0xfd, 0x43, 0xd9, 0x79, 0x15, 0x3a, 0x88}};
    uint8_t pl[40];
    memset(pl, 0, sizeof pl);
    memcpy(pl, &pid, 4);
    memcpy(pl + 4, &size, 4);
    memcpy(pl + 8, d, 4);
    memcpy(pl + 12, sa, 4);
    put_be16(pl + 16, dport);
    put_be16(pl + 18, sport);
    size_t len = id == 10 ? 40 : 32;
    memcpy(pl + len - 8, &connid, 8);
    EVENT_RECORD ev;
    memset(&ev, 0, sizeof ev);
    ev.EventHeader.ProviderId = kn;
    ev.EventHeader.EventDescriptor.Id = id;
    ev.EventHeader.Flags = EVENT_HEADER_FLAG_64_BIT_HEADER;
    ev.EventHeader.ProcessId = 0xffffffffu; /* the payload's PID counts */
    LARGE_INTEGER now;
    QueryPerformanceCounter(&now);
    ev.EventHeader.TimeStamp = now;
    ev.UserData = pl;
    ev.UserDataLength = (USHORT)len;
    pfr_win_source_inject(s, &ev);
}

/* Microsoft-Windows-Kernel-Process ProcessStart (id 1, v1) or ProcessStop
 * (id 2): PID, CreateTime, ParentPID, SessionID, Flags/..., image name. */
static void inject_proc(struct pfr_source *s, uint16_t id, uint32_t pid, uint32_t ppid, const wchar_t *image,
                        uint32_t exit_code)
{
    static const GUID kp = {0x22fb2cd6, 0x0e7b, 0x422b, {0xa0, 0xc7, 0x2f, 0xad, 0x1f, 0xd0, 0xe7, 0x16}};
    uint8_t pl[256];
    memset(pl, 0, sizeof pl);
    memcpy(pl, &pid, 4);
    size_t len = 80;
    if (id == 1) {
        memcpy(pl + 12, &ppid, 4);
        size_t wl = (wcslen(image) + 1) * 2;
        memcpy(pl + 24, image, wl);
        len = 24 + wl;
    } else {
        memcpy(pl + 20, &exit_code, 4);
    }
    EVENT_RECORD ev;
    memset(&ev, 0, sizeof ev);
    ev.EventHeader.ProviderId = kp;
    ev.EventHeader.EventDescriptor.Id = id;
    ev.EventHeader.EventDescriptor.Version = 1;
    ev.EventHeader.Flags = EVENT_HEADER_FLAG_64_BIT_HEADER;
    LARGE_INTEGER now;
    QueryPerformanceCounter(&now);
    ev.EventHeader.TimeStamp = now;
    ev.UserData = pl;
    ev.UserDataLength = (USHORT)len;
    pfr_win_source_inject(s, &ev);
}

static const uint8_t local4[4] = {10, 0, 0, 1}, web[4] = {192, 0, 2, 7}, dns[4] = {198, 51, 100, 9};

static void test_events_aggregated(void)
{
    const struct pfr_source_ops *ops = &pfr_source_default;
    struct pfr_source_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.no_kernel = 1;
    struct pfr_source *s = NULL;
    CHECK(ops->open(&s, &cfg) == 0 && s != NULL);
    if (!s)
        return;
    CHECK(ops->start(s) == 0);
    inject_net(s, 10, 4242, 100, web, 443, local4, 5000, 0xabc); /* TCP send */
    inject_net(s, 10, 4242, 200, web, 443, local4, 5000, 0xabc);
    inject_net(s, 10, 4242, 300, web, 443, local4, 5000, 0xabc);
    inject_net(s, 11, 4242, 50, web, 443, local4, 5000, 0xabc); /* TCP recv */
    inject_net(s, 18, 4242, 50, web, 443, local4, 5000, 0xabc); /* TCPCopy: not counted again */
    inject_net(s, 43, 4343, 77, local4, 6000, dns, 53, 0xdef);  /* UDP recv: saddr is the sender */
    struct collected c;
    memset(&c, 0, sizeof c);
    CHECK(ops->stop(s, collect, &c) == 2);
    CHECK(c.traffic == 2 && c.other == 0);
    for (int i = 0; i < c.traffic; i++) {
        const struct pf_traffic *t = &c.t[i];
        if (t->key.proto == PF_PROTO_TCP) {
            CHECK(t->key.pid == 4242);
            CHECK(t->key.sock_id == 0xabc);
            CHECK(t->key.family == PF_AF_INET);
            CHECK(memcmp(t->key.local.addr, local4, 4) == 0 && t->key.local.port == 5000);
            CHECK(memcmp(t->key.remote.addr, web, 4) == 0 && t->key.remote.port == 443);
            CHECK(t->bytes_sent == 600 && t->sends == 3);
            CHECK(t->bytes_recv == 50 && t->recvs == 1);
        } else {
            CHECK(t->key.proto == PF_PROTO_UDP);
            CHECK(t->key.pid == 4343);
            CHECK(memcmp(t->key.local.addr, local4, 4) == 0 && t->key.local.port == 6000);
            CHECK(memcmp(t->key.remote.addr, dns, 4) == 0 && t->key.remote.port == 53);
            CHECK(t->bytes_recv == 77 && t->recvs == 1 && t->bytes_sent == 0);
        }
    }
    struct pfr_source_stats st;
    ops->stats(s, &st);
    CHECK(st.events == 5);
    CHECK(st.flows == 2);
    CHECK(st.snapshot_only == 1);
    /* Nothing new: the next flush writes nothing. */
    memset(&c, 0, sizeof c);
    CHECK(ops->stop(s, collect, &c) == 0);
    ops->close(s);
    ops->close(NULL);
}

static void test_events_per_call(void)
{
    const struct pfr_source_ops *ops = &pfr_source_default;
    struct pfr_source_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.no_kernel = 1;
    cfg.per_call = 1;
    struct pfr_source *s = NULL;
    CHECK(ops->open(&s, &cfg) == 0 && s != NULL);
    if (!s)
        return;
    inject_net(s, 10, 4242, 100, web, 443, local4, 5000, 0xabc);
    inject_net(s, 10, 4242, 200, web, 443, local4, 5000, 0xabc);
    struct collected c;
    memset(&c, 0, sizeof c);
    CHECK(ops->stop(s, collect, &c) == 2);
    CHECK(c.traffic == 2);
    CHECK(c.t[0].bytes_sent == 100 && c.t[0].sends == 1 && c.t[0].duration_ns == 0);
    CHECK(c.t[1].bytes_sent == 200 && c.t[1].sends == 1);
    ops->close(s);
}

/* Process events and the rundown agree on identities (pid, start_ns). */
static void test_events_process(void)
{
    const struct pfr_source_ops *ops = &pfr_source_default;
    struct pfr_source_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.no_kernel = 1;
    struct pfr_source *s = NULL;
    CHECK(ops->open(&s, &cfg) == 0 && s != NULL);
    if (!s)
        return;
    struct collected rd;
    memset(&rd, 0, sizeof rd);
    rd.self = GetCurrentProcessId();
    CHECK(ops->snapshot(s, PF_SNAPSHOT_RUNDOWN, collect, &rd) > 0);
    CHECK(rd.self_start != 0);

    inject_proc(s, 1, 0x7ff0, rd.self, L"\\Device\\HarddiskVolume1\\Windows\\notepad.exe", 0);
    inject_net(s, 10, 0x7ff0, 64, web, 80, local4, 5001, 0x55);
    inject_proc(s, 2, 0x7ff0, 0, NULL, 3);
    struct collected c;
    memset(&c, 0, sizeof c);
    CHECK(ops->stop(s, collect, &c) == 3);
    CHECK(c.procs == 2 && c.traffic == 1);
    if (c.procs == 2 && c.traffic == 1) {
        CHECK(c.p[0].event == PF_PROC_START);
        CHECK(c.p[0].pid == 0x7ff0 && c.p[0].ppid == rd.self);
        CHECK(c.p[0].start_ns != 0);
        CHECK(c.p[0].parent_start_ns == rd.self_start);
        CHECK(strcmp(c.comm[0], "notepad.exe") == 0);
        CHECK(strcmp(c.exe[0], "\\Device\\HarddiskVolume1\\Windows\\notepad.exe") == 0);
        CHECK(c.t[0].key.pid == 0x7ff0 && c.t[0].key.pid_start_ns == c.p[0].start_ns);
        CHECK(c.p[1].event == PF_PROC_EXIT);
        CHECK(c.p[1].start_ns == c.p[0].start_ns);
        CHECK(c.p[1].exit_code == 3);
    }
    struct pfr_source_stats st;
    ops->stats(s, &st);
    CHECK(st.events == 3);
    ops->close(s);
}

int main(void)
{
    test_states();
    test_clock();
    test_procs();
    test_sockets();
    test_platform();
    test_events_aggregated();
    test_events_per_call();
    test_events_process();
    printf("%ld checks, %d failed\n", check_count, failed);
    return failed ? 1 : 0;
}
