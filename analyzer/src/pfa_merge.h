/* SPDX-License-Identifier: MIT */
/* convert with several inputs (merge.c). */
#ifndef PFA_MERGE_H
#define PFA_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "procflow/format.h"

struct pfa_merge_options {
    int have_from, have_to;
    int64_t from_ns, to_ns; /* UTC; records outside are left out (processes, host facts, anchors kept) */
};

/* Inputs that may share one file: one host, one clock (same boot), one
 * redaction. Returns 0, or -1 with err naming the input and the reason. */
int pfa_merge_check(pfa_source *const *in, size_t n, char *err, size_t errlen);

/* Writes the records of n inputs to w in capture-clock order, with CLOCK
 * records where the next record's file maps its clock to UTC otherwise than
 * the anchor in force, so every record keeps its UTC time. The header of w
 * must carry input 1's clock anchor. Returns 0 or a negative pf_error (err
 * says which input). */
int pfa_merge_write(pfa_source *const *in, size_t n, pf_writer *w, const struct pfa_merge_options *o, uint64_t *written,
                    char *err, size_t errlen);

/* File name for a host's file under --split-by host: the name with
 * characters other than letters, digits, '-', '_' and inner '.' as '_'. */
void pfa_merge_file_name(const char *host, char *out, size_t len);

#endif
