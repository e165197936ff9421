/* SPDX-License-Identifier: MIT */
/* File access for libpfformat. Creating follows the common output-file
 * policy (pfc/outfile.h, with its Windows variant); the rest is POSIX
 * first, then Windows with the CRT's _open family. */
#if !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#endif
#include "fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfc/outfile.h"
#include "procflow/format.h"

#if defined(_WIN32)
#include <fcntl.h>
#include <io.h>
#include <sys/stat.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

static int map_errno(int e)
{
    if (e == ENOSPC)
        return PF_E_NOSPACE;
#ifdef EDQUOT
    if (e == EDQUOT)
        return PF_E_NOSPACE;
#endif
    if (e == ENOMEM)
        return PF_E_NOMEM;
    return PF_E_IO;
}

/* The common library's output-file codes in this library's terms. */
static int from_common(int rc, int e, int *err_no)
{
    *err_no = e;
    switch (rc) {
    case PFC_E_NOMEM: return PF_E_NOMEM;
    case PFC_E_EXISTS:
    case PFC_E_NOT_REGULAR: return PF_E_EXISTS;
    case PFC_E_SYMLINK: return PF_E_SYMLINK;
    case PFC_E_UNSAFE_DIR:
    case PFC_E_FOREIGN: return PF_E_UNSAFE_PATH;
    case PFC_E_OS: return map_errno(e);
    default: return PF_E_IO;
    }
}

/* The policy is pfc/outfile.h's: the final name is checked (and removed
 * when overwriting) even when the bytes go to NAME.partial first, so the
 * rename at close never replaces a symlink or another user's file. */
int pf_file_create(const char *final_path, const char *partial_path, int overwrite, int *fd_out, int *err_no)
{
    *fd_out = -1;
    int exists, e = 0;
    int rc = pfc_out_check(final_path, &exists, &e);
    if (!rc && exists) {
        if (overwrite)
            rc = pfc_out_remove(final_path, &e);
        else
            rc = PFC_E_EXISTS, e = EEXIST;
    }
    if (rc)
        return from_common(rc, e, err_no);
    int fd = partial_path ? pfc_out_create(partial_path, overwrite, &e) : pfc_out_create_new(final_path, &e);
    if (fd < 0)
        return from_common(fd, e, err_no);
    *fd_out = fd;
    return 0;
}

#if !defined(_WIN32)
int pf_file_write_all(int fd, const void *data, size_t len, int *err_no)
{
    const uint8_t *p = (const uint8_t *)data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            *err_no = errno;
            return map_errno(errno);
        }
        if (n == 0) {
            *err_no = ENOSPC;
            return PF_E_NOSPACE;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int pf_file_sync(int fd)
{
    if (fsync(fd) == 0)
        return 0;
    pf_set_os_errno(errno);
    return map_errno(errno);
}
int pf_file_truncate(int fd, uint64_t len)
{
    if (ftruncate(fd, (off_t)len) != 0 || lseek(fd, (off_t)len, SEEK_SET) < 0) {
        pf_set_os_errno(errno);
        return PF_E_IO;
    }
    return 0;
}
void pf_file_close(int fd)
{
    if (fd >= 0)
        close(fd);
}
int pf_file_rename(const char *from, const char *to, int *err_no)
{
    if (rename(from, to) != 0)
        return *err_no = errno, map_errno(errno);
    return 0;
}

int pf_file_map(const char *path, struct pf_mapped *m, int *err_no)
{
    memset(m, 0, sizeof(*m));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return *err_no = errno, PF_E_IO;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        *err_no = errno;
        close(fd);
        return PF_E_IO;
    }
    if (!S_ISREG(st.st_mode)) {
        /* a directory says so; other special files cannot be mapped */
        *err_no = S_ISDIR(st.st_mode) ? EISDIR : ENODEV;
        close(fd);
        return PF_E_IO;
    }
    if (st.st_size == 0) {
        close(fd);
        return 0;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return *err_no = errno, PF_E_IO;
    m->data = (const uint8_t *)p;
    m->map_base = p;
    m->len = (size_t)st.st_size;
    m->mapped = 1;
    (void)madvise(p, m->len, MADV_SEQUENTIAL);
    return 0;
}

void pf_file_release(struct pf_mapped *m, size_t upto)
{
    if (!m->mapped || !m->data)
        return;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    upto -= upto % page;
    if (upto > m->len)
        upto = m->len - m->len % page;
    if (upto)
        (void)madvise(m->map_base, upto, MADV_DONTNEED);
}

void pf_file_unmap(struct pf_mapped *m)
{
    if (m->mapped && m->map_base)
        munmap(m->map_base, m->len);
    free(m->handle);
    memset(m, 0, sizeof(*m));
}

#else /* _WIN32 */

int pf_file_write_all(int fd, const void *data, size_t len, int *err_no)
{
    const uint8_t *p = (const uint8_t *)data;
    while (len) {
        unsigned chunk = len > (1u << 30) ? (1u << 30) : (unsigned)len;
        int n = _write(fd, p, chunk);
        if (n <= 0)
            return *err_no = n < 0 ? errno : ENOSPC, n < 0 ? map_errno(errno) : PF_E_NOSPACE;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
int pf_file_sync(int fd) { return _commit(fd) == 0 ? 0 : PF_E_IO; }
int pf_file_truncate(int fd, uint64_t len)
{
    if (_chsize_s(fd, (long long)len) != 0)
        return PF_E_IO;
    return _lseeki64(fd, (long long)len, SEEK_SET) < 0 ? PF_E_IO : 0;
}
void pf_file_close(int fd)
{
    if (fd >= 0)
        _close(fd);
}
int pf_file_rename(const char *from, const char *to, int *err_no)
{
    _unlink(to);
    if (rename(from, to) != 0)
        return *err_no = errno, PF_E_IO;
    return 0;
}

int pf_file_map(const char *path, struct pf_mapped *m, int *err_no)
{
    memset(m, 0, sizeof(*m));
    FILE *f = fopen(path, "rb");
    if (!f)
        return *err_no = errno, PF_E_IO;
    if (_fseeki64(f, 0, SEEK_END) != 0) {
        fclose(f);
        return PF_E_IO;
    }
    long long size = _ftelli64(f);
    _fseeki64(f, 0, SEEK_SET);
    if (size <= 0) {
        fclose(f);
        return 0;
    }
    uint8_t *buf = (uint8_t *)malloc((size_t)size);
    if (!buf) {
        fclose(f);
        return PF_E_NOMEM;
    }
    size_t got = fread(buf, 1, (size_t)size, f);
    fclose(f);
    m->handle = buf;
    m->data = buf;
    m->len = got;
    return 0;
}

void pf_file_unmap(struct pf_mapped *m)
{
    free(m->handle);
    memset(m, 0, sizeof(*m));
}

void pf_file_release(struct pf_mapped *m, size_t upto)
{
    (void)m;
    (void)upto;
}
#endif
