/* SPDX-License-Identifier: MIT */
/* Hand-built captures with exactly known content for analyzer tests.
 * Times: capture clock BASE + t corresponds to UTC U0 + t. */
#define _POSIX_C_SOURCE 200809L
#include "scenarios.h"

#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define S 1000000000ULL

struct sc {
    pf_writer *w;
    int rc;
};

static void put(struct sc *c, struct pf_record *r, double t)
{
    if (c->rc < 0)
        return;
    r->ts_ns = SC_BASE + (uint64_t)(t * 1e9 + 0.5);
    int rc = pf_writer_write(c->w, r);
    if (rc < 0)
        c->rc = rc;
}

static void flush(struct sc *c)
{
    if (c->rc >= 0) {
        int rc = pf_writer_flush(c->w);
        if (rc < 0)
            c->rc = rc;
    }
}

static void proc(struct sc *c, double t, uint8_t ev, uint32_t pid, uint64_t start, const char *comm, const char *exe,
                 const char *cmdline, size_t cmdlen)
{
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_PROCESS;
    r.u.process.event = ev;
    r.u.process.pid = pid;
    r.u.process.ppid = 1;
    r.u.process.start_ns = start;
    r.u.process.uid = 1000;
    if (comm) {
        r.u.process.comm = comm;
        r.u.process.comm_len = (uint32_t)strlen(comm);
    }
    if (exe) {
        r.u.process.exe = exe;
        r.u.process.exe_len = (uint32_t)strlen(exe);
    }
    if (cmdline) {
        r.u.process.cmdline = cmdline;
        r.u.process.cmdline_len = (uint32_t)cmdlen;
    }
    put(c, &r, t);
}

static void key4(struct pf_flow_key *k, uint32_t pid, uint64_t start, uint64_t sock, uint8_t proto, const char *laddr,
                 uint16_t lport, const char *raddr, uint16_t rport)
{
    memset(k, 0, sizeof *k);
    k->pid = pid;
    k->pid_start_ns = start;
    k->sock_id = sock;
    k->proto = proto;
    int fam = pf_addr_from_string(laddr, k->local.addr);
    if (raddr)
        pf_addr_from_string(raddr, k->remote.addr);
    k->family = (uint8_t)(fam ? fam : 4);
    k->local.port = lport;
    k->remote.port = rport;
}

static void sock(struct sc *c, double t, uint8_t ev, uint8_t new_state, const struct pf_flow_key *k)
{
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_SOCKET;
    r.u.socket.event = ev;
    r.u.socket.new_state = new_state;
    r.u.socket.key = *k;
    put(c, &r, t);
}

static void traffic(struct sc *c, double t, double dur, const struct pf_flow_key *k, uint64_t sent, uint64_t recv,
                    uint64_t sends, uint64_t recvs, uint32_t flags)
{
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_TRAFFIC;
    r.u.traffic.key = *k;
    r.u.traffic.duration_ns = (uint64_t)(dur * 1e9 + 0.5);
    r.u.traffic.bytes_sent = sent;
    r.u.traffic.bytes_recv = recv;
    r.u.traffic.sends = sends;
    r.u.traffic.recvs = recvs;
    r.u.traffic.flags = flags;
    put(c, &r, t);
}

static void snap(struct sc *c, double t, const struct pf_flow_key *k, uint8_t state, uint32_t flags, uint64_t sent,
                 uint64_t recv)
{
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_SNAPSHOT;
    r.u.snapshot.key = *k;
    r.u.snapshot.state = state;
    r.u.snapshot.uid = 0;
    r.u.snapshot.flags = flags;
    r.u.snapshot.bytes_sent = sent;
    r.u.snapshot.bytes_recv = recv;
    put(c, &r, t);
}

/* The one described in scenarios.h. */
static void basic(struct sc *c, int hostile)
{
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_CLOCK;
    r.u.clock.clock_ns = SC_BASE;
    r.u.clock.utc_ns = SC_U0;
    put(c, &r, 0);
    memset(&r, 0, sizeof r);
    r.type = PF_REC_HOSTINFO;
    r.u.hostinfo.key = "kernel";
    r.u.hostinfo.key_len = 6;
    r.u.hostinfo.value = "6.1-test";
    r.u.hostinfo.value_len = 8;
    put(c, &r, 0);

    const char *cmd = "curl -s https://example.org/";
    proc(c, 0, PF_PROC_RUNDOWN, 100, SC_BASE - 50 * S, "curl", "/usr/bin/curl", cmd, strlen(cmd));
    proc(c, 0, PF_PROC_RUNDOWN, 200, SC_BASE - 100 * S, "nginx", "/usr/sbin/nginx", "nginx: master", 13);
    proc(c, 0, PF_PROC_RUNDOWN, 300, SC_BASE - 10 * S, "resolver", "/usr/bin/resolver", "resolver", 8);

    struct pf_flow_key k;
    key4(&k, 200, SC_BASE - 100 * S, 20, PF_PROTO_TCP, "0.0.0.0", 8080, NULL, 0);
    sock(c, 0, PF_SOCK_LISTEN, PF_TCP_LISTEN, &k);
    snap(c, 0.5, &k, PF_TCP_LISTEN, PF_SNAP_RUNDOWN, 0, 0);
    key4(&k, 100, SC_BASE - 50 * S, 9, PF_PROTO_TCP, "192.0.2.10", 39999, "198.51.100.99", 22);
    snap(c, 0.5, &k, PF_TCP_ESTABLISHED, PF_SNAP_RUNDOWN | PF_SNAP_HAS_BYTES, 10, 20);
    key4(&k, 0, 0, 0, PF_PROTO_TCP, "192.0.2.10", 631, NULL, 0);
    snap(c, 0.5, &k, PF_TCP_LISTEN, PF_SNAP_RUNDOWN | PF_SNAP_PID_UNKNOWN, 0, 0);

    /* curl: outgoing TCP, FINAL traffic then CLOSE */
    key4(&k, 100, SC_BASE - 50 * S, 11, PF_PROTO_TCP, "192.0.2.10", 40001, "203.0.113.5", 443);
    sock(c, 1.0, PF_SOCK_CONNECT, PF_TCP_SYN_SENT, &k);
    sock(c, 1.5, PF_SOCK_ESTABLISHED, PF_TCP_ESTABLISHED, &k);
    /* resolver: bound UDP, traffic records name the process with start 0 */
    struct pf_flow_key u;
    key4(&u, 300, SC_BASE - 10 * S, 30, PF_PROTO_UDP, "0.0.0.0", 5353, NULL, 0);
    sock(c, 2.0, PF_SOCK_BIND, PF_TCP_CLOSE, &u);
    traffic(c, 2.2, 1.0, &k, 1000, 50000, 2, 10, 0);
    key4(&u, 300, 0, 30, PF_PROTO_UDP, "192.0.2.10", 5353, "203.0.113.53", 53);
    traffic(c, 2.5, 0, &u, 40, 0, 1, 0, 0);
    traffic(c, 2.6, 0, &u, 0, 120, 0, 1, 0);
    traffic(c, 3.2, 1.0, &k, 500, 25000, 1, 5, 0);
    traffic(c, 3.5, 0.3, &k, 0, 1000, 0, 1, PF_TRAFFIC_FINAL);
    sock(c, 3.6, PF_SOCK_CLOSE, PF_TCP_CLOSE, &k);
    flush(c);

    /* nginx accepts one connection */
    key4(&k, 200, SC_BASE - 100 * S, 21, PF_PROTO_TCP, "192.0.2.10", 8080, "198.51.100.7", 50000);
    sock(c, 4.0, PF_SOCK_ACCEPT, PF_TCP_ESTABLISHED, &k);
    traffic(c, 5.0, 0.5, &k, 2000, 300, 1, 1, 0);
    memset(&r, 0, sizeof r);
    r.type = PF_REC_LOSS;
    r.u.loss.source = PF_LOSS_RINGBUF;
    r.u.loss.cpu = 1;
    r.u.loss.count = 7;
    r.u.loss.since_ns = SC_BASE + 4 * S;
    put(c, &r, 5.0);
    traffic(c, 6.0, 1.0, &k, 4000, 0, 1, 0, PF_TRAFFIC_FINAL);
    sock(c, 6.1, PF_SOCK_CLOSE, PF_TCP_CLOSE, &k);

    key4(&u, 300, 0, 30, PF_PROTO_UDP, "192.0.2.10", 5353, "203.0.113.54", 53);
    traffic(c, 7.0, 0, &u, 0, 60, 0, 1, 0);
    traffic(c, 7.1, 0, &u, 30, 0, 1, 0, 0);
    flush(c);

    /* pid 100 exits and the pid is reused by another program */
    proc(c, 8.0, PF_PROC_EXIT, 100, SC_BASE - 50 * S, "curl", NULL, NULL, 0);
    if (hostile) {
        static const char evil_cmd[] =
            "evil --name \"x'; DROP TABLE flows; --\" \x1b[31mRED\x1b[0m \xff\xfe\x07 tab\there";
        proc(c, 9.0, PF_PROC_START, 100, SC_BASE + 9 * S, "'; DROP TABLE processes; --", "/tmp/\x1b]0;pwned\x07",
             evil_cmd, sizeof evil_cmd - 1);
    } else {
        proc(c, 9.0, PF_PROC_START, 100, SC_BASE + 9 * S, "evil", "/tmp/evil", "evil", 4);
    }
    key4(&k, 100, SC_BASE + 9 * S, 12, PF_PROTO_TCP, "192.0.2.10", 40002, "203.0.113.66", 4444);
    sock(c, 10.0, PF_SOCK_CONNECT, PF_TCP_SYN_SENT, &k);
    k.pid_start_ns = 0; /* unknown start: attaches to the live pid 100 */
    traffic(c, 10.5, 0, &k, 100, 200, 1, 1, 0);

    /* IPv4-mapped IPv6 (shown as IPv4) and plain IPv6 */
    key4(&k, 200, SC_BASE - 100 * S, 22, PF_PROTO_TCP, "::ffff:192.0.2.10", 8080, "::ffff:198.51.100.8", 50001);
    traffic(c, 12.0, 0, &k, 10, 10, 1, 1, 0);
    key4(&u, 300, SC_BASE - 10 * S, 31, PF_PROTO_UDP, "2001:db8::10", 5353, "2001:db8::53", 53);
    traffic(c, 12.0, 0, &u, 50, 0, 1, 0, 0);
    memset(&r, 0, sizeof r);
    r.type = PF_REC_MARKER;
    r.u.marker.text = "end of test";
    r.u.marker.text_len = 11;
    put(c, &r, 12.0);
}

/* IPv6 link-local peers with zones (Windows socket tables state them: the
 * same address on interfaces 5 and 6 is two peers), and an event source
 * that recorded nothing from +3.5 s to +6 s. */
static void scoped(struct sc *c)
{
    struct pf_flow_key k, u;
    proc(c, 0.0, PF_PROC_RUNDOWN, 400, SC_BASE - 5 * S, "svchost.exe", NULL, NULL, 0);
    key4(&k, 400, SC_BASE - 5 * S, 41, PF_PROTO_TCP, "fe80::2", 50000, "fe80::1", 445);
    k.local.scope_id = 5;
    k.remote.scope_id = 5;
    sock(c, 1.0, PF_SOCK_CONNECT, PF_TCP_SYN_SENT, &k);
    traffic(c, 1.5, 0.5, &k, 100, 200, 1, 1, 0);
    snap(c, 2.0, &k, PF_TCP_ESTABLISHED, PF_SNAP_HAS_BYTES, 100, 200);
    key4(&u, 400, SC_BASE - 5 * S, 42, PF_PROTO_UDP, "fe80::2", 50001, "fe80::1", 445);
    u.local.scope_id = 6;
    u.remote.scope_id = 6;
    traffic(c, 3.0, 0, &u, 30, 0, 1, 0, 0);
    u.sock_id = 43;
    u.local.scope_id = 7;
    u.remote.scope_id = 7;
    traffic(c, 3.0, 0, &u, 31, 0, 1, 0, 0);
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_LOSS;
    r.u.loss.source = PF_LOSS_SOURCE_DOWN;
    r.u.loss.cpu = UINT32_MAX;
    r.u.loss.since_ns = SC_BASE + 3500 * (S / 1000);
    put(c, &r, 6.0);
    traffic(c, 7.0, 0, &k, 10, 0, 1, 0, PF_TRAFFIC_FINAL);
    flush(c);
}

/* Three chunks, one UDP flow in each (pid 1 "one" to 203.0.113.1/2/3:53). */
static void three(struct sc *c)
{
    proc(c, 0, PF_PROC_RUNDOWN, 1, SC_BASE - S, "one", "/bin/one", "one", 3);
    for (int i = 0; i < 3; i++) {
        struct pf_flow_key u;
        char addr[32];
        snprintf(addr, sizeof addr, "203.0.113.%d", i + 1);
        key4(&u, 1, SC_BASE - S, (uint64_t)(100 + i), PF_PROTO_UDP, "192.0.2.10", 40000, addr, 53);
        /* enough records that the chunk is big enough to damage in the middle */
        for (int j = 0; j < 200; j++)
            traffic(c, 1.0 + i * 10 + j * 0.01, 0, &u, 10, 20, 1, 1, 0);
        flush(c);
    }
}

/* Passive TCP opens: the kernel reports LISTEN->SYN_RECV before accept()
 * names the owner (pid 0). Socket 41 is then accepted by nginx; socket 42
 * never is (a half-open connection) and stays without a process. */
static void passive(struct sc *c)
{
    proc(c, 0, PF_PROC_RUNDOWN, 200, SC_BASE - 100 * S, "nginx", "/usr/sbin/nginx", "nginx", 5);
    struct pf_flow_key k;
    key4(&k, 200, SC_BASE - 100 * S, 40, PF_PROTO_TCP, "192.0.2.10", 8080, NULL, 0);
    sock(c, 0.1, PF_SOCK_LISTEN, PF_TCP_LISTEN, &k);
    key4(&k, 0, 0, 41, PF_PROTO_TCP, "192.0.2.10", 8080, "198.51.100.7", 50000);
    sock(c, 1.0, PF_SOCK_STATE, PF_TCP_SYN_RECV, &k);
    key4(&k, 200, SC_BASE - 100 * S, 41, PF_PROTO_TCP, "192.0.2.10", 8080, "198.51.100.7", 50000);
    sock(c, 1.1, PF_SOCK_ACCEPT, PF_TCP_ESTABLISHED, &k);
    traffic(c, 2.0, 0.5, &k, 700, 70, 1, 1, PF_TRAFFIC_FINAL);
    sock(c, 2.1, PF_SOCK_CLOSE, PF_TCP_CLOSE, &k);
    key4(&k, 0, 0, 42, PF_PROTO_TCP, "192.0.2.10", 8080, "198.51.100.8", 50001);
    sock(c, 3.0, PF_SOCK_STATE, PF_TCP_SYN_RECV, &k);
    sock(c, 4.0, PF_SOCK_CLOSE, PF_TCP_CLOSE, &k);
}

/* Extreme field values: nothing may crash or overflow. */
static void extreme(struct sc *c)
{
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_CLOCK;
    r.u.clock.clock_ns = UINT64_MAX - 10;
    r.u.clock.utc_ns = INT64_MAX - 5;
    put(c, &r, 0);
    proc(c, 0, PF_PROC_START, UINT32_MAX, UINT64_MAX, "x", "", "", 0);
    proc(c, 0, PF_PROC_EXIT, UINT32_MAX, 1, NULL, NULL, NULL, 0);
    struct pf_flow_key k;
    key4(&k, UINT32_MAX, UINT64_MAX, UINT64_MAX, 99, "255.255.255.255", 65535, "0.0.0.0", 0);
    sock(c, 0, 200, 250, &k);
    traffic(c, 0, 0, &k, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT32_MAX);
    struct pf_record t;
    memset(&t, 0, sizeof t);
    t.type = PF_REC_TRAFFIC;
    t.u.traffic.key = k;
    t.u.traffic.duration_ns = UINT64_MAX;
    t.u.traffic.bytes_sent = 1;
    t.ts_ns = UINT64_MAX;
    if (c->rc >= 0 && pf_writer_write(c->w, &t) < 0)
        c->rc = 0; /* the writer may refuse it; fine */
    t.ts_ns = 0;
    if (c->rc >= 0)
        pf_writer_write(c->w, &t);
    memset(&r, 0, sizeof r);
    r.type = PF_REC_CLOCK;
    r.u.clock.clock_ns = 5;
    r.u.clock.utc_ns = INT64_MIN + 3;
    if (c->rc >= 0)
        pf_writer_write(c->w, &r);
    key4(&k, 0, 0, 0, PF_PROTO_UDP, "::", 0, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
    snap(c, 0, &k, 255, UINT32_MAX, UINT64_MAX, UINT64_MAX);
    memset(&r, 0, sizeof r);
    r.type = PF_REC_LOSS;
    r.u.loss.source = 250;
    r.u.loss.count = UINT64_MAX;
    r.u.loss.since_ns = UINT64_MAX;
    r.ts_ns = 0;
    if (c->rc >= 0)
        pf_writer_write(c->w, &r);
}

/* Connections between processes of one host, for the exports' pairing of
 * both ends (scenarios.h), and a flow flushed after its process exited. */
static void local(struct sc *c)
{
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_CLOCK;
    r.u.clock.clock_ns = SC_BASE;
    r.u.clock.utc_ns = SC_U0;
    put(c, &r, 0);
    proc(c, 0, PF_PROC_RUNDOWN, 400, SC_BASE - 20 * S, "server", "/usr/bin/server", "server", 6);
    proc(c, 0, PF_PROC_RUNDOWN, 500, SC_BASE - 5 * S, "client", "/usr/bin/client", "client", 6);
    proc(c, 0, PF_PROC_RUNDOWN, 600, SC_BASE - 5 * S, "dnsd", "/usr/sbin/dnsd", "dnsd", 4);
    proc(c, 0.5, PF_PROC_START, 700, SC_BASE + S / 2, "beacon", "/usr/bin/beacon", "beacon", 6);
    struct pf_flow_key k;
    /* loopback TCP: client 127.0.0.1:41000 -> server 127.0.0.1:8080 */
    key4(&k, 500, SC_BASE - 5 * S, 51, PF_PROTO_TCP, "127.0.0.1", 41000, "127.0.0.1", 8080);
    sock(c, 1.0, PF_SOCK_CONNECT, PF_TCP_SYN_SENT, &k);
    traffic(c, 2.0, 1.0, &k, 100, 5000, 1, 3, PF_TRAFFIC_FINAL);
    sock(c, 2.1, PF_SOCK_CLOSE, PF_TCP_CLOSE, &k);
    key4(&k, 400, SC_BASE - 20 * S, 41, PF_PROTO_TCP, "127.0.0.1", 8080, "127.0.0.1", 41000);
    sock(c, 1.0, PF_SOCK_ACCEPT, PF_TCP_ESTABLISHED, &k);
    traffic(c, 2.0, 1.0, &k, 5000, 100, 3, 1, PF_TRAFFIC_FINAL);
    sock(c, 2.1, PF_SOCK_CLOSE, PF_TCP_CLOSE, &k);
    /* same host over its own address, IPv6 */
    key4(&k, 500, SC_BASE - 5 * S, 52, PF_PROTO_TCP, "2001:db8::10", 41001, "2001:db8::10", 8443);
    sock(c, 3.0, PF_SOCK_CONNECT, PF_TCP_SYN_SENT, &k);
    traffic(c, 3.5, 0.5, &k, 10, 20, 1, 1, 0);
    key4(&k, 400, SC_BASE - 20 * S, 42, PF_PROTO_TCP, "2001:db8::10", 8443, "2001:db8::10", 41001);
    sock(c, 3.0, PF_SOCK_ACCEPT, PF_TCP_ESTABLISHED, &k);
    traffic(c, 3.5, 0.5, &k, 20, 10, 1, 1, 0);
    /* unconnected UDP server on 0.0.0.0:5300 answering a loopback client */
    key4(&k, 600, SC_BASE - 5 * S, 61, PF_PROTO_UDP, "0.0.0.0", 5300, NULL, 0);
    sock(c, 0.2, PF_SOCK_BIND, PF_TCP_CLOSE, &k);
    key4(&k, 500, SC_BASE - 5 * S, 53, PF_PROTO_UDP, "127.0.0.1", 42000, "127.0.0.1", 5300);
    traffic(c, 4.0, 0, &k, 30, 0, 1, 0, 0);
    traffic(c, 4.1, 0, &k, 0, 90, 0, 1, 0);
    key4(&k, 600, SC_BASE - 5 * S, 61, PF_PROTO_UDP, "0.0.0.0", 5300, "127.0.0.1", 42000);
    traffic(c, 4.0, 0, &k, 0, 30, 0, 1, 0);
    traffic(c, 4.1, 0, &k, 90, 0, 1, 0, 0);
    /* an unbound UDP sender to a remote: its local address is unknown. It
     * exits at 6.0; the aggregate is flushed at 6.8 */
    key4(&k, 700, SC_BASE + S / 2, 71, PF_PROTO_UDP, "0.0.0.0", 50088, "203.0.113.99", 4500);
    traffic(c, 5.0, 0, &k, 27, 0, 1, 0, 0);
    proc(c, 6.0, PF_PROC_EXIT, 700, SC_BASE + S / 2, "beacon", NULL, NULL, 0);
    traffic(c, 6.8, 0.8, &k, 27, 0, 1, 0, PF_TRAFFIC_FINAL);
    flush(c);
}

static void lookup(struct sc *c, double t, const struct pf_flow_key *k, uint16_t qtype, uint8_t rcode, uint8_t flags,
                   const char *qname, const char *cname, const char *const *addrs, uint32_t n, uint32_t ttl)
{
    struct pf_dns_answer ans[4];
    memset(ans, 0, sizeof ans);
    for (uint32_t i = 0; i < n && i < 4; i++) {
        int fam = pf_addr_from_string(addrs[i], ans[i].addr);
        ans[i].family = (uint8_t)(fam ? fam : 4);
        ans[i].ttl = ttl + i;
    }
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_DNS;
    r.u.dns.key = *k;
    r.u.dns.qtype = qtype;
    r.u.dns.rcode = rcode;
    r.u.dns.flags = flags;
    r.u.dns.qname = qname;
    r.u.dns.qname_len = (uint32_t)strlen(qname);
    if (cname) {
        r.u.dns.cname = cname;
        r.u.dns.cname_len = (uint32_t)strlen(cname);
    }
    r.u.dns.nanswers = n < 4 ? n : 4;
    r.u.dns.answers = ans;
    put(c, &r, t);
}

/* DNS answers and the connections to the addresses they named (scenarios.h). */
static void dns(struct sc *c)
{
    struct pf_record r;
    memset(&r, 0, sizeof r);
    r.type = PF_REC_CLOCK;
    r.u.clock.clock_ns = SC_BASE;
    r.u.clock.utc_ns = SC_U0;
    put(c, &r, 0);
    proc(c, 0, PF_PROC_RUNDOWN, 800, SC_BASE - 9 * S, "curl", "/usr/bin/curl", "curl", 4);
    proc(c, 0, PF_PROC_RUNDOWN, 801, SC_BASE - 8 * S, "app", "/usr/bin/app", "app", 3);
    proc(c, 0, PF_PROC_RUNDOWN, 802, SC_BASE - 7 * S, "chronyd", "/usr/sbin/chronyd", "chronyd", 7);
    static const char *const api[] = {"198.51.100.20", "198.51.100.21"};
    static const char *const edge[] = {"2001:db8::20"};
    static const char *const ntp[] = {"203.0.113.123"};
    static const char *const api2[] = {"198.51.100.20"};
    struct pf_flow_key k;
    /* curl: an A lookup over UDP with two answers, then a connection to the first */
    key4(&k, 800, SC_BASE - 9 * S, 81, PF_PROTO_UDP, "192.0.2.10", 40100, "192.0.2.53", 53);
    lookup(c, 1.0, &k, 1, 0, 0, "api.example.test", NULL, api, 2, 300);
    key4(&k, 800, SC_BASE - 9 * S, 82, PF_PROTO_TCP, "192.0.2.10", 40101, "198.51.100.20", 443);
    sock(c, 1.2, PF_SOCK_CONNECT, PF_TCP_SYN_SENT, &k);
    traffic(c, 1.8, 0.6, &k, 700, 9000, 2, 5, PF_TRAFFIC_FINAL);
    sock(c, 1.9, PF_SOCK_CLOSE, PF_TCP_CLOSE, &k);
    /* app: an AAAA lookup over TCP through a CNAME, a connection to it */
    key4(&k, 801, SC_BASE - 8 * S, 83, PF_PROTO_TCP, "2001:db8::10", 40200, "2001:db8::53", 53);
    lookup(c, 1.5, &k, 28, 0, 0, "cdn.example.test", "edge.example.test", edge, 1, 120);
    key4(&k, 801, SC_BASE - 8 * S, 84, PF_PROTO_TCP, "2001:db8::10", 40201, "2001:db8::20", 443);
    sock(c, 2.0, PF_SOCK_CONNECT, PF_TCP_SYN_SENT, &k);
    traffic(c, 2.5, 0.5, &k, 300, 4000, 1, 3, 0);
    /* app: a name that does not exist, and a truncated answer */
    key4(&k, 801, SC_BASE - 8 * S, 85, PF_PROTO_UDP, "192.0.2.10", 40202, "192.0.2.53", 53);
    lookup(c, 2.2, &k, 1, 3, 0, "missing.example.test", NULL, NULL, 0, 0);
    lookup(c, 2.3, &k, 1, 0, PF_DNS_TRUNCATED, "big.example.test", NULL, api2, 1, 60);
    /* app to the address curl looked up (any process's name on the host),
     * later than its own truncated lookup of another name: its own wins */
    key4(&k, 801, SC_BASE - 8 * S, 86, PF_PROTO_TCP, "192.0.2.10", 40203, "198.51.100.20", 443);
    sock(c, 3.0, PF_SOCK_CONNECT, PF_TCP_SYN_SENT, &k);
    traffic(c, 3.4, 0.4, &k, 100, 200, 1, 1, PF_TRAFFIC_FINAL);
    /* curl to the second answer */
    key4(&k, 800, SC_BASE - 9 * S, 87, PF_PROTO_TCP, "192.0.2.10", 40102, "198.51.100.21", 443);
    sock(c, 3.5, PF_SOCK_CONNECT, PF_TCP_SYN_SENT, &k);
    traffic(c, 3.9, 0.4, &k, 50, 60, 1, 1, PF_TRAFFIC_FINAL);
    /* app to it: no lookup of its own, so the name curl's lookup gave */
    key4(&k, 801, SC_BASE - 8 * S, 91, PF_PROTO_TCP, "192.0.2.10", 40204, "198.51.100.21", 8443);
    sock(c, 3.6, PF_SOCK_CONNECT, PF_TCP_SYN_SENT, &k);
    traffic(c, 3.7, 0.1, &k, 10, 0, 1, 0, 0);
    /* chronyd: UDP to a server before and after looking it up (the first
     * flow has no name: the lookup came later) */
    key4(&k, 802, SC_BASE - 7 * S, 88, PF_PROTO_UDP, "192.0.2.10", 40300, "203.0.113.123", 4123);
    traffic(c, 0.5, 0, &k, 48, 48, 1, 1, 0);
    key4(&k, 802, SC_BASE - 7 * S, 89, PF_PROTO_UDP, "192.0.2.10", 40301, "192.0.2.53", 53);
    lookup(c, 4.0, &k, 1, 0, 0, "ntp.example.test", NULL, ntp, 1, 900);
    key4(&k, 802, SC_BASE - 7 * S, 90, PF_PROTO_UDP, "192.0.2.10", 40302, "203.0.113.123", 123);
    traffic(c, 4.5, 0, &k, 48, 48, 1, 1, 0);
    /* and pings it (an ICMP ping socket: the local port is the echo id) */
    key4(&k, 802, SC_BASE - 7 * S, 92, PF_PROTO_ICMP, "192.0.2.10", 7, "203.0.113.123", 0);
    traffic(c, 4.6, 0.2, &k, 64, 64, 1, 1, 0);
    flush(c);
}

int sc_write(const char *name, const char *path)
{
    struct pf_file_info info;
    memset(&info, 0, sizeof info);
    info.hostname = !strcmp(name, "hostile") ? "host\x1b[2Jname" : !strcmp(name, "dns") ? "dnshost" : "testhost";
    info.os = "Linux";
    info.os_release = "6.1-test";
    info.recorder = "analyzer-test";
    info.platform = PF_PLATFORM_LINUX;
    info.clock_id = PF_CLOCK_BOOTTIME;
    info.start_utc_ns = (int64_t)SC_U0;
    info.anchor_clock_ns = SC_BASE;
    info.anchor_utc_ns = (int64_t)SC_U0;
    /* fixed UUIDs: a rewritten scenario is "the same capture" */
    for (int i = 0; i < 16; i++)
        info.uuid[i] = (uint8_t)(0x10 + i + (uint8_t)name[0]);
    info.uuid[6] = 0x40;
    info.uuid[8] = 0x80;
    struct sc c = {0};
    struct pf_writer_options wo = {.overwrite = 1};
    int rc = pf_writer_open(&c.w, path, &info, &wo);
    if (rc < 0)
        return rc;
    if (!strcmp(name, "basic"))
        basic(&c, 0);
    else if (!strcmp(name, "hostile"))
        basic(&c, 1);
    else if (!strcmp(name, "three"))
        three(&c);
    else if (!strcmp(name, "extreme"))
        extreme(&c);
    else if (!strcmp(name, "passive"))
        passive(&c);
    else if (!strcmp(name, "local"))
        local(&c);
    else if (!strcmp(name, "scoped"))
        scoped(&c);
    else if (!strcmp(name, "dns"))
        dns(&c);
    else
        c.rc = PF_E_ARG;
    if (c.rc >= 0)
        c.rc = pf_writer_close(c.w);
    pf_writer_destroy(c.w);
    return c.rc < 0 ? c.rc : 0;
}

struct chunk_offs {
    uint64_t off[8];
    uint32_t len[8];
    int n;
};

static void on_chunk(void *ctx, const struct pf_chunk_info *ci)
{
    struct chunk_offs *o = ctx;
    if (o->n < 8) {
        o->off[o->n] = ci->offset;
        o->len[o->n] = ci->block_bytes;
        o->n++;
    }
}

int sc_write_damaged(const char *how, const char *path)
{
    int rc = sc_write("three", path);
    if (rc < 0)
        return rc;
    struct chunk_offs o = {0};
    pf_reader *r;
    rc = pf_reader_open(&r, path, NULL);
    if (rc < 0)
        return rc;
    pf_reader_on_chunk(r, on_chunk, &o);
    struct pf_record rec;
    while (pf_reader_next(r, &rec) == 1)
        ;
    pf_reader_close(r);
    if (o.n != 3)
        return PF_E_STATE;
    FILE *f = fopen(path, "r+b");
    if (!f)
        return PF_E_IO;
    if (!strcmp(how, "flip")) {
        /* one flipped byte in the middle of chunk 2 */
        long at = (long)(o.off[1] + o.len[1] / 2);
        int ch;
        if (fseek(f, at, SEEK_SET) || (ch = fgetc(f)) == EOF || fseek(f, at, SEEK_SET) || fputc(ch ^ 0x5a, f) == EOF)
            rc = PF_E_IO;
        fclose(f);
        return rc;
    }
    fclose(f);
    /* cut in the middle of chunk 3 */
    return truncate(path, (off_t)(o.off[2] + o.len[2] / 2)) == 0 ? 0 : PF_E_IO;
}
