/* SPDX-License-Identifier: MIT */
/* Error codes of libpfcommon. Every function returns 0 (or a count, size or
 * descriptor >= 0) on success and one of these negative codes on failure;
 * the numeric values are stable. When the cause is the OS (PFC_E_OS), the
 * function also hands back errno through an `int *os_err` argument. The
 * library never prints or exits; callers translate the codes into their own
 * error set (format: enum pf_error). */
#ifndef PFC_ERROR_H
#define PFC_ERROR_H

enum pfc_error {
    PFC_E_NOMEM = -1,       /* allocation failed */
    PFC_E_TOO_BIG = -2,     /* a size would pass its cap or overflow size_t */
    PFC_E_OS = -3,          /* an OS call failed; errno in *os_err */
    PFC_E_EXISTS = -4,      /* the output exists and replacing it was not asked */
    PFC_E_SYMLINK = -5,     /* the output path is a symbolic link (or reparse point) */
    PFC_E_UNSAFE_DIR = -6,  /* its directory is writable by everyone and not sticky */
    PFC_E_FOREIGN = -7,     /* another user's file in a sticky shared directory */
    PFC_E_NOT_REGULAR = -8, /* something other than a regular file is there */
    PFC_E_ARG = -9          /* invalid argument */
};

/* Static text for a code ("unknown error" for others). */
const char *pfc_strerror(int code);

#endif
