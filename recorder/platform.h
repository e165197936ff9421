/* SPDX-License-Identifier: MIT */
/* OS helpers the portable session code needs (POSIX: platform_posix.c).
 *
 * Errors: like the event sources (source.h), these return 0 (or a value
 * documented below) or a negative enum pf_error, the one error set of the
 * recorder; when the OS refused, its errno is beside the code in
 * pf_os_errno(). */
#ifndef PF_RECORDER_PLATFORM_H
#define PF_RECORDER_PLATFORM_H

#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#include "procflow/format.h"

/* An OS failure as the recorder reports it: the errno goes beside the
 * code, and the code says the kind (out of memory, disk full, or another
 * OS error whose text pf_error_text() prints). Returns the code. */
static inline int pfr_plat_os_error(int os_errno)
{
    pf_set_os_errno(os_errno);
    return os_errno == ENOMEM ? PF_E_NOMEM : os_errno == ENOSPC ? PF_E_NOSPACE : PF_E_OS;
}

uint64_t pfr_plat_boottime_ns(void); /* capture clock on Linux */
int64_t pfr_plat_utc_ns(void);
uint64_t pfr_plat_cpu_ns(void); /* CPU time used by this process */
/* SIGINT/SIGTERM/SIGHUP set *flag to the signal number; SIGPIPE is ignored. */
int pfr_plat_on_stop_signals(volatile sig_atomic_t *flag);
/* SIGUSR1 sets *flag (a request to start the next file). Windows: none. */
int pfr_plat_on_rotate_signal(volatile sig_atomic_t *flag);
/* Raises the soft open-file limit to the hard one; when that is still below
 * `need`, returns PF_E_OS (EMFILE) with a line for the user in msg. 0 otherwise. */
int pfr_plat_check_fd_limit(unsigned need, char *msg, size_t len);
/* Takes an exclusive advisory lock on an existing file without waiting:
 * 0 and *handle (for pfr_plat_unlock_file), 1 when another process holds
 * it, or an error (a symlink: PF_E_SYMLINK; it is not followed). Windows:
 * 0, no lock (a file open for writing there cannot be deleted anyway). */
int pfr_plat_lock_file(const char *path, int *handle);
void pfr_plat_unlock_file(int handle); /* -1: nothing */
/* Size of a file; an error when it is not there. */
int pfr_plat_file_size(const char *path, uint64_t *size);
int pfr_plat_stderr_is_tty(void);
void pfr_plat_hostname(char *buf, size_t len);
void pfr_plat_os(char *name, size_t nlen, char *release, size_t rlen);
int pfr_plat_remove(const char *path); /* missing is not an error */
int pfr_plat_exists(const char *path);
int pfr_plat_is_symlink(const char *path); /* Windows: a reparse point */
/* Calls fn with the name of every entry of directory dir ("" = the current
 * one) until it returns non-zero; returns that value, or an error (a
 * missing directory: PF_E_OS with ENOENT). */
int pfr_plat_list_dir(const char *dir, int (*fn)(void *ctx, const char *name), void *ctx);
int pfr_plat_is_root(void);
/* Called once the kernel side is attached and the first output file is
 * open: gives up every privilege the running recorder does not need and
 * forbids gaining any (Linux: capabilities + no_new_privs; Windows: no-op).
 * output: the output path (rotation makes new files beside it). note gets
 * one line worth telling the user, or "". Returns 0 or an error. */
int pfr_plat_drop_privileges(const char *output, char *note, size_t len);

#endif
