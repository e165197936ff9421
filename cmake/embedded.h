/* SPDX-License-Identifier: MIT */
/* Files embedded at build time by cmake/EmbedFiles.cmake. */
#ifndef PF_EMBEDDED_H
#define PF_EMBEDDED_H
#include <stddef.h>
struct pf_embedded_file {
    const char *name; /* base name, e.g. "top-talkers.sql" */
    const char *data; /* NUL-terminated contents */
    size_t size;      /* bytes, without the NUL */
};
#endif
