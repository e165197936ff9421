/* SPDX-License-Identifier: MIT */
/* Dropping privileges once the kernel side is attached (platform.h).
 *
 * Loading and attaching the eBPF programs needs CAP_BPF, CAP_PERFMON and
 * CAP_NET_ADMIN; after that the ring buffer and the maps are read through
 * file descriptors we already hold, which needs no capability. What the
 * running recorder still does with privilege is walking /proc for socket
 * owners (rundown of every rotated file, periodic and final snapshots):
 *   CAP_DAC_READ_SEARCH  list /proc/PID/fd of other users' processes
 *   CAP_SYS_PTRACE       read those links (and exe) of processes that hold
 *                        capabilities we no longer have, or are not dumpable
 * Everything else goes: effective, permitted, inheritable, ambient and the
 * bounding set (when we may change it), and no_new_privs is set so no exec
 * can give anything back. CAP_DAC_OVERRIDE stays only when the output
 * directory is not writable without it (rotation creates files there and
 * every file is renamed from NAME.partial when closed).
 *
 * Raw capget/capset/prctl: no library needed for this little. */
#define _GNU_SOURCE
#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

/* Capability sets as 64-bit masks (capget's two 32-bit words). */
struct capsets {
    uint64_t eff, prm, inh;
};

#define BIT(c) (1ull << (c))

static int caps_get(struct capsets *c)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    if (syscall(SYS_capget, &h, d) != 0)
        return pfr_plat_os_error(errno);
    c->eff = d[0].effective | (uint64_t)d[1].effective << 32;
    c->prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
    c->inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
    return 0;
}

static int caps_set(const struct capsets *c)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    d[0].effective = (uint32_t)c->eff;
    d[1].effective = (uint32_t)(c->eff >> 32);
    d[0].permitted = (uint32_t)c->prm;
    d[1].permitted = (uint32_t)(c->prm >> 32);
    d[0].inheritable = (uint32_t)c->inh;
    d[1].inheritable = (uint32_t)(c->inh >> 32);
    return syscall(SYS_capset, &h, d) == 0 ? 0 : pfr_plat_os_error(errno);
}

/* Whether the output directory takes new files and renames with the
 * capabilities now effective (faccessat with AT_EACCESS uses them). */
static int dir_writable(const char *output)
{
    char *copy = strdup(output);
    if (!copy)
        return 1; /* cannot tell: do not keep anything extra */
    int ok = faccessat(AT_FDCWD, dirname(copy), W_OK | X_OK, AT_EACCESS) == 0 || (errno != EACCES && errno != EPERM);
    free(copy);
    return ok;
}

int pfr_plat_drop_privileges(const char *output, char *note, size_t len)
{
    struct capsets cur = {0}, c = {0};
    if (len)
        note[0] = '\0';
    int rc = caps_get(&cur);
    if (rc)
        return rc;
    uint64_t keep = (BIT(CAP_DAC_READ_SEARCH) | BIT(CAP_SYS_PTRACE)) & cur.prm;
    uint64_t setpcap = cur.prm & BIT(CAP_SETPCAP);

    if (output && (cur.prm & BIT(CAP_DAC_OVERRIDE))) {
        c = (struct capsets){keep | setpcap, cur.prm, 0};
        if ((rc = caps_set(&c)) != 0)
            return rc;
        if (!dir_writable(output)) {
            keep |= BIT(CAP_DAC_OVERRIDE);
            snprintf(note, len, "keeping CAP_DAC_OVERRIDE: the output directory is not writable without it");
        }
    }

    /* The bounding set only shrinks with CAP_SETPCAP effective. Without it
     * it stays as given; no_new_privs below still stops exec from raising
     * anything above what we keep. */
    if (setpcap) {
        c = (struct capsets){keep | setpcap, cur.prm, 0};
        if ((rc = caps_set(&c)) != 0)
            return rc;
        for (int cap = 0; cap < 64; cap++) {
            if (keep & BIT(cap))
                continue;
            if (prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0) < 0)
                break; /* past the kernel's last capability */
            if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) != 0)
                return pfr_plat_os_error(errno);
        }
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return pfr_plat_os_error(errno);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return pfr_plat_os_error(errno);
    c = (struct capsets){keep, keep, 0};
    if ((rc = caps_set(&c)) != 0)
        return rc;
    /* Trust but verify: a silent partial drop would be worse than none. */
    if ((rc = caps_get(&cur)) != 0)
        return rc;
    if (cur.eff != keep || cur.prm != keep || cur.inh)
        return pfr_plat_os_error(EPERM);
    return 0;
}
