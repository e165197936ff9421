/* SPDX-License-Identifier: MIT */
/* The format library's only OS-specific code: creating, writing and mapping
 * files. Functions return 0 or a negative pf_error; *err_no gets errno. */
#ifndef PF_FILEIO_H
#define PF_FILEIO_H
#include <stddef.h>
#include <stdint.h>

int pf_file_create(const char *final_path, const char *partial_path, int overwrite, int *fd_out, int *err_no);
int pf_file_write_all(int fd, const void *data, size_t len, int *err_no);
int pf_file_sync(int fd);
int pf_file_truncate(int fd, uint64_t len);
void pf_file_close(int fd);
int pf_file_rename(const char *from, const char *to, int *err_no);

struct pf_mapped {
    const uint8_t *data;
    size_t len;
    void *handle;   /* owned buffer on platforms without mmap */
    void *map_base; /* the mapping itself (writable pointer for madvise/munmap) */
    int mapped;
};
int pf_file_map(const char *path, struct pf_mapped *m, int *err_no);
void pf_file_unmap(struct pf_mapped *m);
/* Tells the OS the mapped bytes before `upto` will not be read again, so a
 * long sequential read does not keep the whole file resident. */
void pf_file_release(struct pf_mapped *m, size_t upto);
#endif
