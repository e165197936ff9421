/* SPDX-License-Identifier: MIT */
/* /proc readers for the Linux source: process identity and socket owners. */
#ifndef PF_PROCFS_H
#define PF_PROCFS_H

#include <stddef.h>
#include <stdint.h>

#define PF_USER_HZ_NS 10000000ull /* /proc/PID/stat starttime unit (USER_HZ 100) */

struct pfr_procinfo {
    uint32_t pid, ppid, uid;
    uint64_t start_ns;        /* CLOCK_BOOTTIME, floored to USER_HZ */
    uint64_t parent_start_ns; /* 0 when the parent is gone */
    char comm[64];
    char exe[1024];
    char cmdline[2048];
    size_t cmdline_len; /* arguments joined by spaces */
    int cmdline_filled; /* the read filled cmdline: there may be more */
    char cgroup[512];
    char container[80];
};

/* Command lines are recorded whole up to PF_CMDLINE_MAX bytes; one cut
 * there, or one whose whole text could not be read (the exec event carries
 * only the first PFE_ARGS_LEN - 1 bytes and the process was gone or changed
 * before /proc could be read), ends with PF_CMDLINE_CUT. */
#define PF_CMDLINE_MAX (1u << 20)
#define PF_CMDLINE_CUT " [truncated]"

/* Reads /proc/PID/cmdline whole, arguments joined by spaces, into *out
 * (malloc'd; the caller frees it), cut at PF_CMDLINE_MAX with PF_CMDLINE_CUT
 * appended. Returns the length, or -errno. */
long pfr_procfs_cmdline(uint32_t pid, char **out);

/* Reads /proc/PID. Returns 0, or -errno (-ENOENT when the process is gone).
 * cmdline holds at most the first sizeof cmdline - 1 bytes; cmdline_filled
 * says it may be longer (pfr_procfs_cmdline reads it whole). */
int pfr_procfs_read(uint32_t pid, struct pfr_procinfo *pi);
/* Reads only the starttime of PID (ns, floored). Returns 0 or -errno. */
int pfr_procfs_start_ns(uint32_t pid, uint64_t *start_ns);
/* Calls fn for every numeric entry of /proc; stops when fn returns non-zero
 * and returns that value. */
int pfr_procfs_foreach_pid(int (*fn)(void *ctx, uint32_t pid), void *ctx);

/* Container id from a cgroup path (docker, containerd, cri-o, podman,
 * kubepods): 12..64 hex digits. Returns its length or 0. */
size_t pfr_container_id(const char *cgroup, size_t len, char *out, size_t outlen);

/* Socket inode -> owning process, from /proc/PID/fd links. */
struct pfr_sock_owner {
    uint64_t inode;
    uint32_t pid;
    uint64_t start_ns;
};
struct pfr_owner_table {
    struct pfr_sock_owner *v;
    size_t n, cap;
};
/* Fills (replaces) the table; only_uid != UINT32_MAX restricts to that uid's
 * processes. Returns 0 or -errno. */
int pfr_owner_table_scan(struct pfr_owner_table *t, uint32_t only_uid);
const struct pfr_sock_owner *pfr_owner_table_find(const struct pfr_owner_table *t, uint64_t inode);
void pfr_owner_table_free(struct pfr_owner_table *t);

#endif
