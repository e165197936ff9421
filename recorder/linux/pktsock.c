/* SPDX-License-Identifier: MIT */
/* Packet sockets' release, found by reading their namespace's table
 * (pktsock.h). */
#define _GNU_SOURCE
#include "pktsock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SOCKS 65536             /* as many as the kernel flow map has flows */
#define MAX_TABLES 1024             /* namespaces with packet sockets in use */
#define MAX_TABLE_BYTES (64u << 20) /* ~700 k sockets of ~90 bytes a line */

struct pfr_pktsock {
    uint32_t inode;
    uint32_t netns;
};

struct pfr_pkttable {
    int fd;   /* /proc/PID/net/packet of the namespace; -1 not open */
    int home; /* the recorded namespace's: kept open for the whole run */
    int ok;   /* sweep: read whole */
    size_t n; /* sweep: watched sockets of this namespace */
};

/* (namespace, inode) pairs listed in this sweep. */
struct listed {
    uint32_t netns;
    uint32_t inode;
};

int pfr_pktsocks_init(struct pfr_pktsocks *t, const char *proc_root)
{
    memset(t, 0, sizeof *t);
    t->proc_root = proc_root;
    if (pfc_htab_init(&t->socks, sizeof(uint64_t), sizeof(struct pfr_pktsock), MAX_SOCKS) ||
        pfc_htab_init(&t->tables, sizeof(uint32_t), sizeof(struct pfr_pkttable), MAX_TABLES)) {
        pfr_pktsocks_free(t);
        return -ENOMEM;
    }
    return 0;
}

void pfr_pktsocks_free(struct pfr_pktsocks *t)
{
    struct pfc_htab_iter it = PFC_HTAB_ITER_INIT;
    for (struct pfr_pkttable *tb; t->tables.b && (tb = pfc_htab_next(&t->tables, &it));)
        if (tb->fd >= 0)
            close(tb->fd);
    pfc_htab_free(&t->tables);
    pfc_htab_free(&t->socks);
}

/* The packet table of pid's namespace when that is netns, else -1. The
 * directory fd pins the process, so both names are the same one's. */
static int open_table(const char *proc_root, uint32_t pid, uint32_t netns)
{
    char path[256];
    if (snprintf(path, sizeof path, "%s/%u", proc_root, pid) >= (int)sizeof path)
        return -1;
    int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return -1;
    struct stat st;
    int fd = -1;
    if (fstatat(dir, "ns/net", &st, 0) == 0 && st.st_ino == netns)
        fd = openat(dir, "net/packet", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    close(dir);
    return fd;
}

void pfr_pktsocks_home(struct pfr_pktsocks *t, uint32_t netns, int fd)
{
    int created = 0;
    struct pfr_pkttable *tb = pfc_htab_put(&t->tables, &netns, &created);
    if (!tb) {
        close(fd);
        return;
    }
    if (!created && tb->fd >= 0)
        close(tb->fd);
    tb->fd = fd;
    tb->home = 1;
}

void pfr_pktsocks_add(struct pfr_pktsocks *t, uint64_t cookie, uint32_t inode, uint32_t netns, uint32_t pid)
{
    if (!inode)
        return; /* a socket without a file: nothing to watch it by */
    struct pfr_pktsock *ps = pfc_htab_put(&t->socks, &cookie, NULL);
    if (!ps)
        return; /* full: its flow ends as before, when idle or at the end */
    ps->inode = inode;
    ps->netns = netns;
    int created = 0;
    struct pfr_pkttable *tb = pfc_htab_put(&t->tables, &netns, &created);
    if (!tb)
        return;
    if (created)
        tb->fd = -1;
    if (tb->fd < 0)
        tb->fd = open_table(t->proc_root, pid, netns);
}

/* Namespaces whose owner was gone before its table was opened: through
 * any process still in them, looked for every SCAN_EVERY sweeps at most
 * (a namespace no process is in stays unwatched). */
#define SCAN_EVERY 5
static void find_tables(struct pfr_pktsocks *t)
{
    size_t missing = 0;
    struct pfc_htab_iter it = PFC_HTAB_ITER_INIT;
    for (struct pfr_pkttable *tb; (tb = pfc_htab_next(&t->tables, &it));)
        missing += tb->fd < 0;
    if (!missing || t->sweeps++ % SCAN_EVERY)
        return;
    DIR *d = opendir(t->proc_root);
    if (!d)
        return;
    for (struct dirent *de; missing && (de = readdir(d));) {
        char *end;
        unsigned long pid = strtoul(de->d_name, &end, 10);
        if (*end || !pid || pid > UINT32_MAX)
            continue;
        char path[64];
        snprintf(path, sizeof path, "%lu/ns/net", pid);
        struct stat st;
        if (fstatat(dirfd(d), path, &st, 0) != 0 || st.st_ino > UINT32_MAX)
            continue;
        uint32_t netns = (uint32_t)st.st_ino;
        struct pfr_pkttable *tb = pfc_htab_get(&t->tables, &netns);
        if (tb && tb->fd < 0 && (tb->fd = open_table(t->proc_root, (uint32_t)pid, netns)) >= 0)
            missing--;
    }
    closedir(d);
}

/* Reads the whole table at fd into *buf (NUL-terminated). 0 or -1. */
static int read_table(int fd, char **buf, size_t *cap)
{
    size_t len = 0;
    for (;;) {
        if (*cap - len < 4096 + 1) {
            size_t ncap = *cap ? *cap * 2 : 65536;
            if (ncap > MAX_TABLE_BYTES)
                return -1;
            char *nb = realloc(*buf, ncap);
            if (!nb)
                return -1;
            *buf = nb;
            *cap = ncap;
        }
        ssize_t n = pread(fd, *buf + len, *cap - len - 1, (off_t)len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        len += (size_t)n;
    }
    (*buf)[len] = '\0';
    return 0;
}

/* Adds the inode column of every line but the header to `set`. */
static int list_inodes(const char *text, uint32_t netns, struct pfc_htab *set)
{
    const char *line = strchr(text, '\n'); /* skip the header */
    while (line && *++line) {
        /* sk RefCnt Type Proto Iface R Rmem User Inode */
        const char *p = line;
        for (int col = 0; col < 8 && p; col++) {
            while (*p == ' ')
                p++;
            while (*p && *p != ' ' && *p != '\n')
                p++;
        }
        char *end;
        unsigned long ino = strtoul(p, &end, 10);
        if (end != p && ino && ino <= UINT32_MAX) {
            struct listed k = {netns, (uint32_t)ino};
            if (!pfc_htab_put(set, &k, NULL))
                return -1;
        }
        line = strchr(line, '\n');
    }
    return 0;
}

int pfr_pktsocks_sweep(struct pfr_pktsocks *t, void (*gone)(void *ctx, uint64_t cookie), void *ctx)
{
    if (!pfc_htab_count(&t->socks))
        return 0;
    find_tables(t);
    struct pfc_htab set;
    if (pfc_htab_init(&set, sizeof(struct listed), 0, 0))
        return 0;
    char *buf = NULL;
    size_t cap = 0;
    struct pfc_htab_iter it = PFC_HTAB_ITER_INIT;
    for (struct pfr_pkttable *tb; (tb = pfc_htab_next(&t->tables, &it));) {
        uint32_t netns;
        memcpy(&netns, pfc_htab_key(&t->tables, tb), sizeof netns);
        tb->n = 0;
        tb->ok = tb->fd >= 0 && read_table(tb->fd, &buf, &cap) == 0 && list_inodes(buf, netns, &set) == 0;
    }
    free(buf);
    int ngone = 0;
    it = (struct pfc_htab_iter)PFC_HTAB_ITER_INIT;
    for (struct pfr_pktsock *ps; (ps = pfc_htab_next(&t->socks, &it));) {
        struct pfr_pkttable *tb = pfc_htab_get(&t->tables, &ps->netns);
        struct listed k = {ps->netns, ps->inode};
        if (tb && tb->ok && !pfc_htab_get(&set, &k)) {
            uint64_t cookie;
            memcpy(&cookie, pfc_htab_key(&t->socks, ps), sizeof cookie);
            gone(ctx, cookie);
            pfc_htab_iter_del(&t->socks, &it);
            ngone++;
        } else if (tb) {
            tb->n++;
        }
    }
    pfc_htab_free(&set);
    /* a namespace without watched sockets: its open table would keep the
     * namespace alive, so it is closed */
    it = (struct pfc_htab_iter)PFC_HTAB_ITER_INIT;
    for (struct pfr_pkttable *tb; (tb = pfc_htab_next(&t->tables, &it));) {
        if (tb->n || tb->home)
            continue;
        if (tb->fd >= 0)
            close(tb->fd);
        pfc_htab_iter_del(&t->tables, &it);
    }
    return ngone;
}
