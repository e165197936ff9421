/* SPDX-License-Identifier: MIT */
/* Socket table dumps over NETLINK_SOCK_DIAG. Messages come from the kernel
 * but are still length-checked before every access. */
#define _GNU_SOURCE
#include "sockdiag.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <linux/rtnetlink.h>

#include "procflow/records.h" /* PF_TCP_*: the kernel's TCP state numbers */

static int send_req(int fd, int proto, int family)
{
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 r;
    } req;
    memset(&req, 0, sizeof req);
    req.nlh.nlmsg_len = sizeof req;
    req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.nlh.nlmsg_seq = 1;
    req.r.sdiag_family = family == 6 ? AF_INET6 : AF_INET;
    req.r.sdiag_protocol = (uint8_t)proto;
    req.r.idiag_states = ~0u;
    if (proto == IPPROTO_TCP)
        req.r.idiag_ext = 1u << (INET_DIAG_INFO - 1);
    if (proto == IPPROTO_RAW)
        req.r.pad = IPPROTO_RAW; /* inet_diag_req_raw.sdiag_raw_protocol: every protocol */
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
    struct iovec iov = {&req, sizeof req};
    struct msghdr msg = {.msg_name = &sa, .msg_namelen = sizeof sa, .msg_iov = &iov, .msg_iovlen = 1};
    for (;;) {
        if (sendmsg(fd, &msg, 0) >= 0)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
}

static void fill(struct pfr_diag_sock *s, const struct inet_diag_msg *m, size_t len, int proto)
{
    memset(s, 0, sizeof *s);
    s->family = m->idiag_family == AF_INET6 ? 6 : 4;
    s->proto = (uint8_t)proto;
    s->state = m->idiag_state;
    memcpy(s->laddr, m->id.idiag_src, s->family == 6 ? 16 : 4);
    memcpy(s->raddr, m->id.idiag_dst, s->family == 6 ? 16 : 4);
    s->lport = ntohs(m->id.idiag_sport);
    s->rport = ntohs(m->id.idiag_dport);
    s->uid = m->idiag_uid;
    s->inode = m->idiag_inode;
    s->cookie = (uint64_t)m->id.idiag_cookie[0] | ((uint64_t)m->id.idiag_cookie[1] << 32);
    /* Attributes follow the message, each length-checked. */
    size_t off = NLMSG_ALIGN(sizeof *m);
    while (off + sizeof(struct rtattr) <= len) {
        const struct rtattr *a = (const void *)((const char *)m + off);
        if (a->rta_len < sizeof *a || off + a->rta_len > len)
            break;
        if (a->rta_type == INET_DIAG_INFO) {
            struct tcp_info ti;
            size_t pl = a->rta_len - RTA_LENGTH(0);
            memset(&ti, 0, sizeof ti);
            memcpy(&ti, RTA_DATA(a), pl < sizeof ti ? pl : sizeof ti);
            if (pl >= offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received) {
                /* The counters follow sequence numbers, so SYN and FIN count
                 * one each; take them out to get application bytes. */
                uint64_t sent = ti.tcpi_bytes_acked, recv = ti.tcpi_bytes_received;
                int our_fin_acked = s->state == PF_TCP_FIN_WAIT2 || s->state == PF_TCP_TIME_WAIT;
                int peer_fin = s->state == PF_TCP_CLOSE_WAIT || s->state == PF_TCP_LAST_ACK ||
                               s->state == PF_TCP_TIME_WAIT || s->state == PF_TCP_CLOSING;
                if (sent > 0)
                    sent--;
                if (our_fin_acked && sent > 0)
                    sent--;
                if (peer_fin && recv > 0)
                    recv--;
                s->bytes_sent = sent;
                s->bytes_recv = recv;
                s->has_bytes = 1;
            }
        }
        off += RTA_ALIGN(a->rta_len);
    }
}

struct ns_socket {
    int netns_fd;
    const char *table; /* NULL: a sock_diag socket; else /proc/net/TABLE */
    int fd;            /* result: the socket or file, or -errno */
};

/* A netlink socket answers for the namespace it was made in. setns() in a
 * thread of its own changes that thread only, and the thread ends with it. */
static void *socket_in_ns(void *arg)
{
    struct ns_socket *a = arg;
    if (a->netns_fd >= 0 && setns(a->netns_fd, CLONE_NEWNET) != 0) {
        a->fd = -errno;
        return NULL;
    }
    if (a->table) {
        /* the thread's own view: this thread is in the namespace */
        char path[128];
        snprintf(path, sizeof path, "/proc/thread-self/net/%s", a->table);
        a->fd = open(path, O_RDONLY | O_CLOEXEC);
    } else {
        a->fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    }
    if (a->fd < 0)
        a->fd = -errno;
    return NULL;
}

static int diag_socket(int netns_fd)
{
    if (netns_fd < 0) {
        int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        return fd < 0 ? -errno : fd;
    }
    struct ns_socket a = {netns_fd, NULL, -EINVAL};
    pthread_t t;
    int rc = pthread_create(&t, NULL, socket_in_ns, &a);
    if (rc)
        return -rc;
    pthread_join(t, NULL);
    return a.fd;
}

int pfr_sockdiag_open(int netns_fd) { return diag_socket(netns_fd); }

int pfr_procnet_open(int netns_fd, const char *table)
{
    struct ns_socket a = {netns_fd, table, -EINVAL};
    if (netns_fd < 0) {
        socket_in_ns(&a);
        return a.fd;
    }
    pthread_t t;
    int rc = pthread_create(&t, NULL, socket_in_ns, &a);
    if (rc)
        return -rc;
    pthread_join(t, NULL);
    return a.fd;
}

int pfr_sockdiag_dump(int proto, int family, pfr_diag_fn fn, void *ctx)
{
    int fd = diag_socket(-1);
    if (fd < 0)
        return fd;
    int rc = pfr_sockdiag_dump_fd(fd, proto, family, fn, ctx);
    close(fd);
    return rc;
}

int pfr_sockdiag_dump_fd(int fd, int proto, int family, pfr_diag_fn fn, void *ctx)
{
    const size_t bufsz = 65536;
    char *buf = malloc(bufsz); /* malloc aligns for struct nlmsghdr */
    if (!buf)
        return -ENOMEM;
    /* what an earlier dump stopped early left behind is not this dump's */
    for (int i = 0; i < 100000 && recv(fd, buf, bufsz, MSG_DONTWAIT) > 0; i++)
        ;
    int rc = send_req(fd, proto, family);
    int done = 0;
    /* Bounded: a dump ends with NLMSG_DONE; cap the rounds anyway. */
    for (int round = 0; !rc && !done && round < 1000000; round++) {
        ssize_t n = recv(fd, buf, bufsz, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            break;
        }
        if (n == 0)
            break;
        size_t left = (size_t)n;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
            if (h->nlmsg_type == NLMSG_DONE) {
                /* A dump the kernel could not start (no handler for the
                 * protocol) ends here with its error. */
                int derr = 0;
                if (h->nlmsg_len >= NLMSG_LENGTH(sizeof derr))
                    memcpy(&derr, NLMSG_DATA(h), sizeof derr);
                if (derr < 0)
                    rc = derr;
                done = 1;
                break;
            }
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);
                rc = h->nlmsg_len >= NLMSG_LENGTH(sizeof *e) && e->error ? e->error : -EIO;
                break;
            }
            if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
                continue;
            struct pfr_diag_sock s;
            fill(&s, NLMSG_DATA(h), h->nlmsg_len - NLMSG_LENGTH(0), proto);
            if (fn(ctx, &s)) {
                done = 1;
                break;
            }
        }
    }
    free(buf);
    return rc;
}

/* One hex address of a /proc/net table: the kernel prints each 32-bit word
 * of the network-order address as a host-order number. */
static int parse_hex_addr(const char *txt, size_t len, uint8_t out[16])
{
    if (len != 8 && len != 32)
        return -1;
    for (size_t w = 0; w < len / 8; w++) {
        uint32_t v = 0;
        for (size_t i = 0; i < 8; i++) {
            char ch = txt[w * 8 + i];
            int d = ch >= '0' && ch <= '9'   ? ch - '0'
                    : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                    : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                                             : -1;
            if (d < 0)
                return -1;
            v = v << 4 | (uint32_t)d;
        }
        memcpy(out + w * 4, &v, 4);
    }
    return 0;
}

/* "ADDR:PORT" of an icmp/raw table line. */
static int parse_endpoint(const char *tok, int family, uint8_t addr[16], uint16_t *port)
{
    const char *colon = strchr(tok, ':');
    if (!colon || parse_hex_addr(tok, (size_t)(colon - tok), addr) != 0 || (colon - tok == 8) != (family == 4))
        return -1;
    char *end;
    unsigned long p = strtoul(colon + 1, &end, 16);
    if (end == colon + 1 || *end || p > 0xffff)
        return -1;
    *port = (uint16_t)p;
    return 0;
}

static int parse_inet_line(char *line, int proto, int family, struct pfr_diag_sock *s)
{
    /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode ... */
    char *tok[10], *save = NULL;
    int n = 0;
    for (char *t = strtok_r(line, " \t\n", &save); t && n < 10; t = strtok_r(NULL, " \t\n", &save))
        tok[n++] = t;
    if (n < 10)
        return -1;
    memset(s, 0, sizeof *s);
    s->family = (uint8_t)family;
    s->proto = (uint8_t)proto;
    if (parse_endpoint(tok[1], family, s->laddr, &s->lport) || parse_endpoint(tok[2], family, s->raddr, &s->rport))
        return -1;
    s->state = (uint8_t)strtoul(tok[3], NULL, 16);
    s->uid = (uint32_t)strtoul(tok[7], NULL, 10);
    s->inode = strtoull(tok[9], NULL, 10);
    return 0;
}

static int parse_packet_line(char *line, struct pfr_diag_sock *s)
{
    /* sk RefCnt Type Proto Iface R Rmem User Inode */
    char *tok[9], *save = NULL;
    int n = 0;
    for (char *t = strtok_r(line, " \t\n", &save); t && n < 9; t = strtok_r(NULL, " \t\n", &save))
        tok[n++] = t;
    if (n < 9)
        return -1;
    memset(s, 0, sizeof *s);
    s->family = 4; /* no addresses; the capture format needs a family */
    s->proto = 254;
    s->lport = (uint16_t)strtoul(tok[3], NULL, 16);
    s->uid = (uint32_t)strtoul(tok[7], NULL, 10);
    s->inode = strtoull(tok[8], NULL, 10);
    return 0;
}

int pfr_procnet_dump(const char *netdir, int proto, int family, pfr_diag_fn fn, void *ctx)
{
    const char *name = proto == 254              ? "packet"
                       : proto == IPPROTO_RAW    ? (family == 6 ? "raw6" : "raw")
                       : proto == IPPROTO_ICMP   ? "icmp"
                       : proto == IPPROTO_ICMPV6 ? "icmp6"
                                                 : NULL;
    if (!name)
        return -EINVAL;
    if (proto == IPPROTO_ICMPV6)
        family = 6;
    if (proto == IPPROTO_ICMP)
        family = 4;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", netdir, name);
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    char line[512];
    int first = 1;
    /* Bounded: a table line per socket; cap the count anyway. */
    for (long i = 0; i < 10000000 && fgets(line, sizeof line, f); i++) {
        if (first) { /* the header */
            first = 0;
            continue;
        }
        struct pfr_diag_sock s;
        int bad = proto == 254 ? parse_packet_line(line, &s) : parse_inet_line(line, proto, family, &s);
        if (!bad && fn(ctx, &s))
            break;
    }
    fclose(f);
    return 0;
}
