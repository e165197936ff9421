/* SPDX-License-Identifier: MIT */
/* /proc readers. Everything here races with processes exiting, so every
 * read may fail and callers keep what they got. */
#define _GNU_SOURCE
#include "procfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfc/buf.h"

/* Reads a small file whole; returns bytes read or -errno. */
static ssize_t read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t n = 0;
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = -errno;
            close(fd);
            return e;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    return (ssize_t)n;
}

/* Parses /proc/PID/stat: comm is between the first '(' and the LAST ')'
 * because comm itself may contain parentheses and spaces. */
static int parse_stat(const char *buf, size_t len, char *comm, size_t commcap, uint32_t *ppid, uint64_t *start)
{
    const char *lp = memchr(buf, '(', len);
    const char *rp = NULL;
    for (size_t i = len; i > 0; i--) {
        if (buf[i - 1] == ')') {
            rp = buf + i - 1;
            break;
        }
    }
    if (!lp || !rp || rp < lp)
        return -EINVAL;
    if (comm) {
        size_t cl = (size_t)(rp - lp - 1);
        if (cl >= commcap)
            cl = commcap - 1;
        memcpy(comm, lp + 1, cl);
        comm[cl] = '\0';
    }
    /* Fields after comm: 3 state, 4 ppid, ... 22 starttime. */
    const char *p = rp + 1, *end = buf + len;
    unsigned long long fields[20] = {0};
    int field = 3;
    while (p < end && field <= 22) {
        while (p < end && *p == ' ')
            p++;
        if (p >= end)
            break;
        const char *tok = p;
        while (p < end && *p != ' ' && *p != '\n')
            p++;
        if (field == 4 || field == 22) {
            char tmp[32];
            size_t tl = (size_t)(p - tok);
            if (tl >= sizeof tmp)
                return -EINVAL;
            memcpy(tmp, tok, tl);
            tmp[tl] = '\0';
            fields[field == 4 ? 0 : 1] = strtoull(tmp, NULL, 10);
        }
        field++;
    }
    if (field <= 22)
        return -EINVAL;
    if (ppid)
        *ppid = (uint32_t)fields[0];
    if (start)
        *start = (uint64_t)fields[1] * PF_USER_HZ_NS;
    return 0;
}

int pfr_procfs_start_ns(uint32_t pid, uint64_t *start_ns)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%u/stat", pid);
    ssize_t n = read_file(path, buf, sizeof buf);
    if (n < 0)
        return (int)n;
    return parse_stat(buf, (size_t)n, NULL, 0, NULL, start_ns);
}

size_t pfr_container_id(const char *cg, size_t len, char *out, size_t outlen)
{
    /* The id is the longest run of 64 (or >= 12 for some runtimes) hex
     * digits in the last path components that look like a container. */
    size_t best_at = 0, best_len = 0;
    size_t i = 0;
    while (i < len) {
        if (isxdigit((unsigned char)cg[i])) {
            size_t j = i;
            while (j < len && isxdigit((unsigned char)cg[j]))
                j++;
            int left_ok = i == 0 || cg[i - 1] == '/' || cg[i - 1] == '-' || cg[i - 1] == ':';
            int right_ok = j == len || cg[j] == '/' || cg[j] == '.';
            if (left_ok && right_ok && (j - i == 64 || j - i == 32) && j - i >= best_len) {
                best_at = i;
                best_len = j - i;
            }
            i = j;
        } else {
            i++;
        }
    }
    if (!best_len || outlen <= best_len)
        return 0;
    memcpy(out, cg + best_at, best_len);
    out[best_len] = '\0';
    return best_len;
}

/* NULs between arguments become spaces; trailing NULs go. */
static size_t join_args(char *buf, size_t n)
{
    while (n > 0 && buf[n - 1] == '\0')
        n--;
    for (size_t i = 0; i < n; i++)
        if (buf[i] == '\0')
            buf[i] = ' ';
    return n;
}

long pfr_procfs_cmdline(uint32_t pid, char **out)
{
    char path[64];
    const size_t cut = sizeof PF_CMDLINE_CUT - 1;
    *out = NULL;
    snprintf(path, sizeof path, "/proc/%u/cmdline", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap + cut + 1);
    while (buf) {
        if (n == cap) {
            if (cap > PF_CMDLINE_MAX)
                break; /* read one byte past the cap: it is longer */
            size_t ncap = cap * 2 > PF_CMDLINE_MAX ? PF_CMDLINE_MAX + 1 : cap * 2;
            char *nb = realloc(buf, ncap + cut + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            free(buf);
            return -e;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (!buf)
        return -ENOMEM;
    int longer = n > PF_CMDLINE_MAX;
    n = join_args(buf, longer ? PF_CMDLINE_MAX : n);
    if (longer) {
        memcpy(buf + n, PF_CMDLINE_CUT, cut);
        n += cut;
    }
    buf[n] = '\0';
    *out = buf;
    return (long)n;
}

int pfr_procfs_read(uint32_t pid, struct pfr_procinfo *pi)
{
    char path[64], buf[4096];
    memset(pi, 0, sizeof *pi);
    pi->pid = pid;
    pi->uid = UINT32_MAX;

    snprintf(path, sizeof path, "/proc/%u/stat", pid);
    ssize_t n = read_file(path, buf, sizeof buf);
    if (n < 0)
        return (int)n;
    int rc = parse_stat(buf, (size_t)n, pi->comm, sizeof pi->comm, &pi->ppid, &pi->start_ns);
    if (rc)
        return rc;
    if (pi->ppid)
        (void)pfr_procfs_start_ns(pi->ppid, &pi->parent_start_ns);

    snprintf(path, sizeof path, "/proc/%u/status", pid);
    n = read_file(path, buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = '\0';
        const char *u = strstr(buf, "\nUid:");
        if (u)
            pi->uid = (uint32_t)strtoul(u + 5, NULL, 10);
    }

    snprintf(path, sizeof path, "/proc/%u/exe", pid);
    n = readlink(path, pi->exe, sizeof pi->exe - 1);
    pi->exe[n > 0 ? n : 0] = '\0';

    snprintf(path, sizeof path, "/proc/%u/cmdline", pid);
    n = read_file(path, pi->cmdline, sizeof pi->cmdline - 1);
    pi->cmdline_filled = n == (ssize_t)sizeof pi->cmdline - 1;
    if (n > 0) {
        while (n > 0 && pi->cmdline[n - 1] == '\0')
            n--;
        for (ssize_t i = 0; i < n; i++)
            if (pi->cmdline[i] == '\0')
                pi->cmdline[i] = ' ';
        pi->cmdline_len = (size_t)n;
    }
    pi->cmdline[pi->cmdline_len] = '\0';

    snprintf(path, sizeof path, "/proc/%u/cgroup", pid);
    n = read_file(path, buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = '\0';
        /* The unified (v2) hierarchy line is "0::PATH". */
        char *line = buf;
        while (line && *line) {
            char *nl = strchr(line, '\n');
            if (nl)
                *nl = '\0';
            if (strncmp(line, "0::", 3) == 0) {
                snprintf(pi->cgroup, sizeof pi->cgroup, "%s", line + 3);
                break;
            }
            line = nl ? nl + 1 : NULL;
        }
        pfr_container_id(pi->cgroup, strlen(pi->cgroup), pi->container, sizeof pi->container);
    }
    return 0;
}

int pfr_procfs_foreach_pid(int (*fn)(void *ctx, uint32_t pid), void *ctx)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -errno;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
        char *end;
        unsigned long pid = strtoul(de->d_name, &end, 10);
        if (*end || !pid || pid > UINT32_MAX)
            continue;
        rc = fn(ctx, (uint32_t)pid);
        if (rc)
            break;
    }
    closedir(d);
    return rc;
}

static int owner_cmp(const void *a, const void *b)
{
    const struct pfr_sock_owner *x = a, *y = b;
    return x->inode < y->inode ? -1 : x->inode > y->inode;
}

struct scan_ctx {
    struct pfr_owner_table *t;
    uint32_t only_uid;
    int err;
};

static int scan_pid(void *vctx, uint32_t pid)
{
    struct scan_ctx *c = vctx;
    char path[64], link[64];
    if (c->only_uid != UINT32_MAX) {
        struct stat_like {
            uint32_t uid;
        } s = {UINT32_MAX};
        char buf[2048];
        snprintf(path, sizeof path, "/proc/%u/status", pid);
        ssize_t n = read_file(path, buf, sizeof buf - 1);
        if (n <= 0)
            return 0;
        buf[n] = '\0';
        const char *u = strstr(buf, "\nUid:");
        if (u)
            s.uid = (uint32_t)strtoul(u + 5, NULL, 10);
        if (s.uid != c->only_uid)
            return 0;
    }
    uint64_t start = 0;
    snprintf(path, sizeof path, "/proc/%u/fd", pid);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    int fdd = dirfd(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        ssize_t n = readlinkat(fdd, de->d_name, link, sizeof link - 1);
        if (n <= 8)
            continue;
        link[n] = '\0';
        if (strncmp(link, "socket:[", 8) != 0)
            continue;
        uint64_t ino = strtoull(link + 8, NULL, 10);
        if (!start && pfr_procfs_start_ns(pid, &start) != 0)
            break;
        struct pfr_owner_table *t = c->t;
        if (t->n == t->cap) {
            struct pfr_sock_owner *nv = pfc_array_grow(t->v, &t->cap, t->n + 1, sizeof *nv, 256, 0);
            if (!nv) {
                c->err = -ENOMEM;
                closedir(d);
                return 1;
            }
            t->v = nv;
        }
        t->v[t->n++] = (struct pfr_sock_owner){ino, pid, start};
    }
    closedir(d);
    return 0;
}

int pfr_owner_table_scan(struct pfr_owner_table *t, uint32_t only_uid)
{
    t->n = 0;
    struct scan_ctx c = {t, only_uid, 0};
    int rc = pfr_procfs_foreach_pid(scan_pid, &c);
    if (rc < 0)
        return rc;
    if (c.err)
        return c.err;
    if (t->n)
        qsort(t->v, t->n, sizeof *t->v, owner_cmp);
    return 0;
}

const struct pfr_sock_owner *pfr_owner_table_find(const struct pfr_owner_table *t, uint64_t inode)
{
    struct pfr_sock_owner key = {inode, 0, 0};
    if (!t->n)
        return NULL;
    /* An inherited socket has several owners; the first is as good as any. */
    return bsearch(&key, t->v, t->n, sizeof *t->v, owner_cmp);
}

void pfr_owner_table_free(struct pfr_owner_table *t)
{
    if (!t)
        return;
    free(t->v);
    t->v = NULL;
    t->n = t->cap = 0;
}
