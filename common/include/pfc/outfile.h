/* SPDX-License-Identifier: MIT */
/* Creating output files safely: the one policy for captures, databases,
 * reports and exports.
 *
 * POSIX:
 *  - the output path must not be a symbolic link;
 *  - its directory must not be writable by everyone unless it is sticky;
 *  - in a sticky world-writable directory (/tmp) a file already there must
 *    belong to us;
 *  - an existing output must be a regular file, and is replaced only when
 *    asked (removed, then created anew, so a hard link is never written
 *    through);
 *  - new files are made with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600 whatever
 *    the umask.
 * Windows: reparse points (symlinks, junctions) are refused and files are
 * created exclusively; access follows the directory's inherited ACL.
 *
 * Functions return 0 or a descriptor, or a negative PFC_E_* code; for
 * PFC_E_OS the errno is in *os_err (which is also set for the policy codes:
 * EEXIST, ELOOP or EPERM). The caller owns returned descriptors. */
#ifndef PFC_OUTFILE_H
#define PFC_OUTFILE_H

#include "pfc/error.h"

/* Checks PATH against the policy; *exists = 1 when a regular file that may
 * be replaced is there. A missing directory is left to the create to
 * report. */
int pfc_out_check(const char *path, int *exists, int *os_err);

/* Creates PATH, which must not exist: exclusive, never through a symlink,
 * mode 0600. Returns the descriptor (write-only, close-on-exec, binary). */
int pfc_out_create_new(const char *path, int *os_err);

/* Checks PATH, removes a file already there when `replace` (else
 * PFC_E_EXISTS), then creates it anew. Returns the descriptor. */
int pfc_out_create(const char *path, int replace, int *os_err);

/* Removes PATH; a missing file is not an error. 0 or PFC_E_OS. */
int pfc_out_remove(const char *path, int *os_err);

#endif
