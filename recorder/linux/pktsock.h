/* SPDX-License-Identifier: MIT */
/* When packet sockets close. The cgroup sock_release hook runs for IPv4 and
 * IPv6 sockets only, no tracepoint marks a packet socket's release, and
 * this kernel loads no kprobe, fentry or LSM program; so each packet socket
 * in use is known by cookie with its inode and network namespace, and that
 * namespace's packet table (/proc/PID/net/packet of a process in it, kept
 * open: the open file goes on listing that namespace after PID is gone) is
 * read at every flush. A socket the table no longer lists is released:
 * every call on it has returned, so its counts are final. */
#ifndef PF_PKTSOCK_H
#define PF_PKTSOCK_H

#include <stdint.h>

#include "pfc/htab.h"

struct pfr_pktsocks {
    struct pfc_htab socks;  /* cookie -> struct pfr_pktsock */
    struct pfc_htab tables; /* netns inode -> struct pfr_pkttable */
    const char *proc_root;  /* "/proc" */
    unsigned sweeps;
};

/* proc_root: where the process directories are ("/proc"; kept, not
 * copied). 0 or a negative error. */
int pfr_pktsocks_init(struct pfr_pktsocks *t, const char *proc_root);
/* Closes the tables; safe on a zeroed or freed one. */
void pfr_pktsocks_free(struct pfr_pktsocks *t);
/* The recorded namespace's table (fd of its /proc/net/packet, opened at
 * start; owned from here), open for the whole run. */
void pfr_pktsocks_home(struct pfr_pktsocks *t, uint32_t netns, int fd);
/* A packet socket (cookie, inode, namespace) used by pid: watched from now
 * on. Another namespace's table is opened through pid when not open yet;
 * when pid is gone or elsewhere by then, through any process found in that
 * namespace at a later sweep (until then its sockets are not watched; they
 * end as before, when idle or at the end of the recording). */
void pfr_pktsocks_add(struct pfr_pktsocks *t, uint64_t cookie, uint32_t inode, uint32_t netns, uint32_t pid);
/* Reads each table once and calls gone(ctx, cookie) for every watched
 * socket it no longer lists, which is then forgotten; tables left without
 * sockets are closed. Returns how many were gone. */
int pfr_pktsocks_sweep(struct pfr_pktsocks *t, void (*gone)(void *ctx, uint64_t cookie), void *ctx);
/* Sockets watched (tests, statistics). */
static inline size_t pfr_pktsocks_count(const struct pfr_pktsocks *t) { return pfc_htab_count(&t->socks); }

#endif
