/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "platform.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t pfr_plat_boottime_ns(void) { return clock_ns(CLOCK_BOOTTIME); }

int64_t pfr_plat_utc_ns(void) { return (int64_t)clock_ns(CLOCK_REALTIME); }

uint64_t pfr_plat_cpu_ns(void) { return clock_ns(CLOCK_PROCESS_CPUTIME_ID); }

/* Installs a handler without SA_RESTART: a blocking poll must return so the
 * loop sees the flag the handler set. */
static int catch_signal(int sig, void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL) ? pfr_plat_os_error(errno) : 0;
}

static volatile sig_atomic_t *stop_flag;

static void on_signal(int sig)
{
    if (stop_flag)
        *stop_flag = sig;
}

int pfr_plat_on_stop_signals(volatile sig_atomic_t *flag)
{
    stop_flag = flag;
    /* SIGHUP (terminal closed, session ended) stops as cleanly as Ctrl-C. */
    int rc = catch_signal(SIGINT, on_signal);
    if (!rc)
        rc = catch_signal(SIGTERM, on_signal);
    if (!rc)
        rc = catch_signal(SIGHUP, on_signal);
    if (rc)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static volatile sig_atomic_t *rotate_flag;

static void on_rotate(int sig)
{
    if (rotate_flag)
        *rotate_flag = sig;
}

int pfr_plat_on_rotate_signal(volatile sig_atomic_t *flag)
{
    rotate_flag = flag;
    return catch_signal(SIGUSR1, on_rotate);
}

int pfr_plat_check_fd_limit(unsigned need, char *msg, size_t len)
{
    struct rlimit rl;
    if (len)
        msg[0] = '\0';
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit up = rl;
        up.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &up) == 0)
            rl = up;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        snprintf(msg, len,
                 "the open-file limit (RLIMIT_NOFILE) is %llu: recording needs at least %u open files "
                 "(Too many open files otherwise); raise it, e.g. ulimit -n 1024",
                 (unsigned long long)rl.rlim_cur, need);
        return pfr_plat_os_error(EMFILE);
    }
    return 0;
}

int pfr_plat_lock_file(const char *path, int *handle)
{
    *handle = -1;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 && errno == ELOOP) {
        pf_set_os_errno(ELOOP);
        return PF_E_SYMLINK;
    }
    if (fd < 0)
        return pfr_plat_os_error(errno);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        return e == EWOULDBLOCK ? 1 : pfr_plat_os_error(e);
    }
    *handle = fd;
    return 0;
}

void pfr_plat_unlock_file(int handle)
{
    if (handle >= 0)
        close(handle); /* closing drops the flock */
}

int pfr_plat_file_size(const char *path, uint64_t *size)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return pfr_plat_os_error(errno);
    *size = (uint64_t)st.st_size;
    return 0;
}

int pfr_plat_stderr_is_tty(void) { return isatty(STDERR_FILENO); }

void pfr_plat_hostname(char *buf, size_t len)
{
    if (gethostname(buf, len) != 0 && len)
        buf[0] = '\0';
    if (len)
        buf[len - 1] = '\0';
}

void pfr_plat_os(char *name, size_t nlen, char *release, size_t rlen)
{
    struct utsname u;
    if (uname(&u) != 0)
        memset(&u, 0, sizeof u);
    snprintf(name, nlen, "%s", u.sysname[0] ? u.sysname : "Linux");
    snprintf(release, rlen, "%s", u.release);
}

int pfr_plat_remove(const char *path)
{
    if (unlink(path) == 0 || errno == ENOENT)
        return 0;
    return pfr_plat_os_error(errno);
}

int pfr_plat_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

int pfr_plat_is_symlink(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

int pfr_plat_list_dir(const char *dir, int (*fn)(void *ctx, const char *name), void *ctx)
{
    DIR *d = opendir(dir[0] ? dir : ".");
    if (!d)
        return pfr_plat_os_error(errno);
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d)) != NULL)
        rc = fn(ctx, e->d_name);
    closedir(d);
    return rc;
}

int pfr_plat_is_root(void) { return geteuid() == 0; }
