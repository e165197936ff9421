/* SPDX-License-Identifier: MIT */
/* Creating output files safely: the common policy (pfc/outfile.h) with the
 * analyzer's one-line reasons. */
#if !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L
#endif
#include "outfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pfc/outfile.h"
#include "procflow/format.h"

#if defined(_WIN32)
#include <io.h>
#define SYMLINK_TEXT "output path is a symbolic link or junction (refused)"
#else
#include <unistd.h>
#define SYMLINK_TEXT "output path is a symbolic link (refused)"
#endif

static int refuse(int code, char *err, size_t errlen, const char *path, const char *why)
{
    if (errlen)
        snprintf(err, errlen, "%s: %s", path, why);
    return code;
}

/* A refusal of the common routines as a PF_E_* code and its reason. */
static int explain(int rc, int e, char *err, size_t errlen, const char *path)
{
    switch (rc) {
    case PFC_E_NOMEM: return refuse(PF_E_NOMEM, err, errlen, path, "out of memory");
    case PFC_E_SYMLINK: return refuse(PF_E_SYMLINK, err, errlen, path, SYMLINK_TEXT);
    case PFC_E_UNSAFE_DIR:
        return refuse(PF_E_UNSAFE_PATH, err, errlen, path,
                      "output directory is writable by everyone and not sticky (refused)");
    case PFC_E_FOREIGN:
        return refuse(PF_E_UNSAFE_PATH, err, errlen, path,
                      "file belongs to another user in a directory everyone can write to (refused)");
    case PFC_E_NOT_REGULAR: return refuse(PF_E_EXISTS, err, errlen, path, "not a regular file (refused)");
    case PFC_E_EXISTS: return refuse(PF_E_EXISTS, err, errlen, path, "appeared while it was being created (refused)");
    default: return refuse(e == ENOSPC ? PF_E_NOSPACE : PF_E_IO, err, errlen, path, strerror(e));
    }
}

int pfa_out_check(const char *path, int *exists, char *err, size_t errlen)
{
    int e = 0;
    int rc = pfc_out_check(path, exists, &e);
    return rc ? explain(rc, e, err, errlen, path) : 0;
}

FILE *pfa_out_create(const char *path, char *err, size_t errlen)
{
    int e = 0;
    int fd = pfc_out_create(path, 1, &e);
    if (fd < 0) {
        explain(fd, e, err, errlen, path);
        return NULL;
    }
#if defined(_WIN32)
    FILE *f = _fdopen(fd, "wb");
#else
    FILE *f = fdopen(fd, "wb");
#endif
    if (!f) {
        explain(PFC_E_OS, errno, err, errlen, path);
#if defined(_WIN32)
        _close(fd);
#else
        close(fd);
#endif
        pfc_out_remove(path, &e);
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
    int e = 0;
    int fd = pfc_out_create_new(path, &e);
    if (fd == PFC_E_EXISTS) {
        /* Another ingest made it meanwhile: check what is there now (a
         * planted symlink is still refused). */
        rc = pfa_out_check(path, &exists, err, errlen);
        return rc ? rc : exists ? 0 : explain(fd, e, err, errlen, path);
    }
    if (fd < 0)
        return explain(fd, e, err, errlen, path);
#if defined(_WIN32)
    _close(fd);
#else
    close(fd);
#endif
    return 0;
}
