/* SPDX-License-Identifier: MIT */
/* Creating output files safely; the policy is described in outfile.h. */
#if !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#endif
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "procflow/format.h"

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

static int refuse(int code, char *err, size_t errlen, const char *path, const char *why)
{
    if (errlen)
        snprintf(err, errlen, "%s: %s", path, why);
    return code;
}

static int from_errno(int e, char *err, size_t errlen, const char *path)
{
    return refuse(e == ENOSPC ? PF_E_NOSPACE : PF_E_IO, err, errlen, path, strerror(e));
}

#if !defined(_WIN32)

int pfa_out_check(const char *path, int *exists, char *err, size_t errlen)
{
    struct stat st, dst;
    int shared = 0;
    *exists = 0;
    char *copy = strdup(path);
    if (!copy)
        return refuse(PF_E_NOMEM, err, errlen, path, "out of memory");
    int drc = stat(dirname(copy), &dst);
    free(copy);
    /* A missing directory is left to open() to report. */
    if (drc == 0 && (dst.st_mode & S_IWOTH)) {
        if (!(dst.st_mode & S_ISVTX))
            return refuse(PF_E_UNSAFE_PATH, err, errlen, path,
                          "output directory is writable by everyone and not sticky (refused)");
        shared = 1;
    }
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : from_errno(errno, err, errlen, path);
    if (S_ISLNK(st.st_mode))
        return refuse(PF_E_SYMLINK, err, errlen, path, "output path is a symbolic link (refused)");
    /* Someone else's file in /tmp may be theirs to read: never fill it. */
    if (shared && st.st_uid != geteuid())
        return refuse(PF_E_UNSAFE_PATH, err, errlen, path,
                      "file belongs to another user in a directory everyone can write to (refused)");
    if (!S_ISREG(st.st_mode))
        return refuse(PF_E_EXISTS, err, errlen, path, "not a regular file (refused)");
    *exists = 1;
    return 0;
}

/* Makes a new file, owner-only; fails when anything (a planted symlink
 * included) appeared at PATH since the check. */
static int create_excl(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == ELOOP)
            return refuse(PF_E_SYMLINK, err, errlen, path, "output path is a symbolic link (refused)");
        if (errno == EEXIST)
            return refuse(PF_E_EXISTS, err, errlen, path, "appeared while it was being created (refused)");
        return from_errno(errno, err, errlen, path);
    }
    /* The umask may have taken the owner's bits; ask for exactly 0600. */
    if (fchmod(fd, 0600) != 0) {
        int e = errno;
        close(fd);
        unlink(path);
        return from_errno(e, err, errlen, path);
    }
    return fd;
}

static int remove_file(const char *path)
{
    return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

#else /* _WIN32 */

int pfa_out_check(const char *path, int *exists, char *err, size_t errlen)
{
    *exists = 0;
    DWORD a = GetFileAttributesA(path);
    if (a == INVALID_FILE_ATTRIBUTES)
        return 0;
    if (a & FILE_ATTRIBUTE_REPARSE_POINT)
        return refuse(PF_E_SYMLINK, err, errlen, path, "output path is a symbolic link or junction (refused)");
    if (a & FILE_ATTRIBUTE_DIRECTORY)
        return refuse(PF_E_EXISTS, err, errlen, path, "not a regular file (refused)");
    *exists = 1;
    return 0;
}

static int create_excl(const char *path, char *err, size_t errlen)
{
    int fd = _open(path, _O_WRONLY | _O_CREAT | _O_EXCL | _O_BINARY | _O_NOINHERIT, _S_IREAD | _S_IWRITE);
    if (fd < 0) {
        if (errno == EEXIST)
            return refuse(PF_E_EXISTS, err, errlen, path, "appeared while it was being created (refused)");
        return from_errno(errno, err, errlen, path);
    }
    return fd;
}

static int remove_file(const char *path)
{
    return _unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

#define close _close
#define fdopen _fdopen
#endif

FILE *pfa_out_create(const char *path, char *err, size_t errlen)
{
    int exists;
    if (pfa_out_check(path, &exists, err, errlen))
        return NULL;
    if (exists && remove_file(path) != 0) {
        from_errno(errno, err, errlen, path);
        return NULL;
    }
    int fd = create_excl(path, err, errlen);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        from_errno(errno, err, errlen, path);
        close(fd);
        remove_file(path);
    }
    return f;
}

int pfa_out_prepare_db(const char *path, int create, char *err, size_t errlen)
{
    if (!path[0] || !strcmp(path, ":memory:"))
        return 0;
    int exists;
    int rc = pfa_out_check(path, &exists, err, errlen);
    if (rc || exists || !create)
        return rc;
    int fd = create_excl(path, err, errlen);
    if (fd == PF_E_EXISTS) {
        /* Another ingest made it meanwhile: check what is there now (a
         * planted symlink is still refused). */
        rc = pfa_out_check(path, &exists, err, errlen);
        return rc ? rc : exists ? 0 : fd;
    }
    if (fd < 0)
        return fd;
    close(fd);
    return 0;
}
