/* SPDX-License-Identifier: MIT */
/* Socket table dumps over NETLINK_SOCK_DIAG. Messages come from the kernel
 * but are still length-checked before every access. */
#define _GNU_SOURCE
#include "sockdiag.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
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
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
    struct iovec iov = { &req, sizeof req };
    struct msghdr msg = { .msg_name = &sa, .msg_namelen = sizeof sa, .msg_iov = &iov, .msg_iovlen = 1 };
    for (;;) {
        if (sendmsg(fd, &msg, 0) >= 0)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
}

static void fill(struct pf_diag_sock *s, const struct inet_diag_msg *m, size_t len, int proto)
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
                int our_fin_acked = s->state == 5 || s->state == 6;   /* FIN_WAIT2, TIME_WAIT */
                int peer_fin = s->state == 8 || s->state == 9 || s->state == 6 || s->state == 11;
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
    int fd; /* result: the socket, or -errno */
};

/* A netlink socket answers for the namespace it was made in. setns() in a
 * thread of its own changes that thread only, and the thread ends with it. */
static void *socket_in_ns(void *arg)
{
    struct ns_socket *a = arg;
    if (setns(a->netns_fd, CLONE_NEWNET) != 0) {
        a->fd = -errno;
        return NULL;
    }
    a->fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
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
    struct ns_socket a = { netns_fd, -EINVAL };
    pthread_t t;
    int rc = pthread_create(&t, NULL, socket_in_ns, &a);
    if (rc)
        return -rc;
    pthread_join(t, NULL);
    return a.fd;
}

int pf_sockdiag_open(int netns_fd)
{
    return diag_socket(netns_fd);
}

int pf_sockdiag_dump(int proto, int family, pf_diag_fn fn, void *ctx)
{
    int fd = diag_socket(-1);
    if (fd < 0)
        return fd;
    int rc = pf_sockdiag_dump_fd(fd, proto, family, fn, ctx);
    close(fd);
    return rc;
}

int pf_sockdiag_dump_fd(int fd, int proto, int family, pf_diag_fn fn, void *ctx)
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
            struct pf_diag_sock s;
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
