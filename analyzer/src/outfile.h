/* SPDX-License-Identifier: MIT */
/* Output files of procflow-analyze (databases, HTML reports, exports):
 * readable by their owner only and never written through a symlink.
 *
 * Policy (POSIX):
 *  - the output path must not be a symbolic link;
 *  - its directory must not be writable by everyone unless it is sticky;
 *  - in a sticky world-writable directory (/tmp) a file already there must
 *    belong to us;
 *  - an existing output must be a regular file;
 *  - new files are made with O_CREAT|O_EXCL|O_NOFOLLOW, mode exactly 0600
 *    whatever the umask.
 * Windows: reparse points (symlinks, junctions) are refused and files are
 * created exclusively; access follows the directory's inherited ACL.
 *
 * Functions return 0 (or a FILE *) and on refusal a negative PF_E_* code
 * (NULL) with a one-line reason that names the path in err. */
#ifndef PFA_OUTFILE_H
#define PFA_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

/* Checks PATH against the policy; *exists says a regular file is there. */
int pfa_out_check(const char *path, int *exists, char *err, size_t errlen);

/* Creates PATH for writing. An existing file is removed first, so the
 * result is always a fresh 0600 file and a hard link is never written
 * through. */
FILE *pfa_out_create(const char *path, char *err, size_t errlen);

/* Before SQLite opens a database for writing: checks PATH and, with create,
 * makes an empty 0600 file when there is none, so the database and its
 * journal/WAL files (SQLite gives them the database's mode) are never
 * readable by others. An existing database keeps its mode. ":memory:" and
 * "" (SQLite's temporary databases) pass untouched. */
int pfa_out_prepare_db(const char *path, int create, char *err, size_t errlen);

#endif
