/* SPDX-License-Identifier: MIT */
/* The output-file policy of pfc/outfile.h. */
#if !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#endif
#include "pfc/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <io.h>
#include <windows.h>
#else
#include <libgen.h>
#include <unistd.h>
#endif

static int fail(int code, int e, int *os_err)
{
    if (os_err)
        *os_err = e;
    return code;
}

#if !defined(_WIN32)

int pfc_out_check(const char *path, int *exists, int *os_err)
{
    struct stat st, dst;
    int shared = 0;
    *exists = 0;
    char *copy = strdup(path);
    if (!copy)
        return fail(PFC_E_NOMEM, ENOMEM, os_err);
    int drc = stat(dirname(copy), &dst);
    free(copy);
    /* A directory anyone may write to, without the sticky bit, lets another
     * user swap our file under us. One with it (/tmp) is shared: a file
     * someone else left there is never ours to fill or replace. */
    if (drc == 0 && (dst.st_mode & S_IWOTH)) {
        if (!(dst.st_mode & S_ISVTX))
            return fail(PFC_E_UNSAFE_DIR, EPERM, os_err);
        shared = 1;
    }
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : fail(PFC_E_OS, errno, os_err);
    if (S_ISLNK(st.st_mode))
        return fail(PFC_E_SYMLINK, ELOOP, os_err);
    if (shared && st.st_uid != geteuid())
        return fail(PFC_E_FOREIGN, EPERM, os_err);
    if (!S_ISREG(st.st_mode))
        return fail(PFC_E_NOT_REGULAR, EEXIST, os_err);
    *exists = 1;
    return 0;
}

int pfc_out_create_new(const char *path, int *os_err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == ELOOP)
            return fail(PFC_E_SYMLINK, ELOOP, os_err);
        if (errno == EEXIST)
            return fail(PFC_E_EXISTS, EEXIST, os_err);
        return fail(PFC_E_OS, errno, os_err);
    }
    /* The umask may have taken the owner's bits; ask for exactly 0600. A
     * file system that refuses leaves the mode no wider than 0600. */
    (void)fchmod(fd, 0600);
    return fd;
}

int pfc_out_remove(const char *path, int *os_err)
{
    return unlink(path) == 0 || errno == ENOENT ? 0 : fail(PFC_E_OS, errno, os_err);
}

#else /* _WIN32 */

int pfc_out_check(const char *path, int *exists, int *os_err)
{
    *exists = 0;
    DWORD a = GetFileAttributesA(path);
    if (a == INVALID_FILE_ATTRIBUTES)
        return 0;
    if (a & FILE_ATTRIBUTE_REPARSE_POINT)
        return fail(PFC_E_SYMLINK, ELOOP, os_err);
    if (a & FILE_ATTRIBUTE_DIRECTORY)
        return fail(PFC_E_NOT_REGULAR, EEXIST, os_err);
    *exists = 1;
    return 0;
}

int pfc_out_create_new(const char *path, int *os_err)
{
    int fd = _open(path, _O_WRONLY | _O_CREAT | _O_EXCL | _O_BINARY | _O_NOINHERIT, _S_IREAD | _S_IWRITE);
    if (fd < 0)
        return fail(errno == EEXIST ? PFC_E_EXISTS : PFC_E_OS, errno, os_err);
    return fd;
}

int pfc_out_remove(const char *path, int *os_err)
{
    return _unlink(path) == 0 || errno == ENOENT ? 0 : fail(PFC_E_OS, errno, os_err);
}

#endif

int pfc_out_create(const char *path, int replace, int *os_err)
{
    int exists;
    int rc = pfc_out_check(path, &exists, os_err);
    if (rc)
        return rc;
    if (exists) {
        if (!replace)
            return fail(PFC_E_EXISTS, EEXIST, os_err);
        if ((rc = pfc_out_remove(path, os_err)) != 0)
            return rc;
    }
    return pfc_out_create_new(path, os_err);
}
