/* SPDX-License-Identifier: MIT */
/* NETLINK_SOCK_DIAG table dumps (TCP, UDP, raw; IPv4 and IPv6), and the
 * /proc/net tables for the sockets sock_diag does not list (ping, packet;
 * raw where the kernel has no INET_RAW_DIAG). */
#ifndef PF_SOCKDIAG_H
#define PF_SOCKDIAG_H

#include <stdint.h>

struct pfr_diag_sock {
    uint8_t family;    /* 4 or 6 */
    uint8_t proto;     /* records.h enum pf_proto: 6, 17, 1, 58, 255 raw, 254 packet */
    uint8_t state;     /* Linux TCP state numbering */
    uint8_t has_bytes; /* tcp_info byte counters present */
    uint8_t laddr[16], raddr[16];
    uint16_t lport, rport;
    uint32_t uid;
    uint64_t inode;
    uint64_t cookie;     /* 0 from /proc/net (it shows none) */
    uint64_t bytes_sent; /* tcpi_bytes_acked: sent bytes the peer confirmed */
    uint64_t bytes_recv; /* tcpi_bytes_received */
};

typedef int (*pfr_diag_fn)(void *ctx, const struct pfr_diag_sock *s);

/* Dumps every socket of proto (6, 17, or 255 for raw sockets of any IP
 * protocol) and family (4/6). fn returning non-zero stops the dump.
 * Returns 0 or -errno (-ENOENT: the kernel has no dump for that proto). */
int pfr_sockdiag_dump(int proto, int family, pfr_diag_fn fn, void *ctx);
/* A sock_diag socket of the network namespace open as netns_fd (-1: the
 * caller's), for dumps with pfr_sockdiag_dump_fd: made while the caller may
 * still enter namespaces, used after it dropped that right. fd or -errno. */
int pfr_sockdiag_open(int netns_fd);
/* /proc/net/TABLE of the network namespace open as netns_fd (-1: the
 * caller's), opened for reading the same way: the open file goes on
 * showing that namespace. fd or -errno. */
int pfr_procnet_open(int netns_fd, const char *table);
/* The same as pfr_sockdiag_dump on a socket from pfr_sockdiag_open (kept open). */
int pfr_sockdiag_dump_fd(int fd, int proto, int family, pfr_diag_fn fn, void *ctx);

/* The same rows from /proc/net/{icmp,icmp6,raw,raw6,packet}: proto 1 or 58
 * (ping sockets, family 4 or 6), 255 raw (family 4 or 6) or 254 packet
 * (family ignored). Rows carry no socket cookie. netdir is the directory
 * of the tables ("/proc/net"). Returns 0 or -errno. */
int pfr_procnet_dump(const char *netdir, int proto, int family, pfr_diag_fn fn, void *ctx);

#endif
