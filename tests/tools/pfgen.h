/* SPDX-License-Identifier: MIT */
/* Deterministic synthetic capture generator: a realistic mix of process,
 * socket, traffic, snapshot, loss, clock and host records for tests and
 * benchmarks. The same options and seed always give the same records. */
#ifndef PFGEN_H
#define PFGEN_H
#include <stdint.h>

#include "procflow/format.h"

struct pfgen_options {
    uint64_t records; /* exact number of records to emit */
    uint64_t seed;
    uint32_t processes; /* live processes at a time */
    uint32_t flows;     /* live flows at a time */
    int64_t start_utc_ns;
    uint64_t mean_step_ns; /* mean time between records */
};

void pfgen_default_options(struct pfgen_options *o);
/* Header facts for a generated capture; uuid derived from the seed. */
void pfgen_file_info(const struct pfgen_options *o, struct pf_file_info *info);

typedef int (*pfgen_emit_fn)(void *ctx, const struct pf_record *rec);
/* Calls emit for each record in order; stops early if emit returns < 0
 * and returns that value. Returns 0 when all records were emitted. */
int pfgen_run(const struct pfgen_options *o, pfgen_emit_fn emit, void *ctx);
/* pfgen_run into a writer (the writer is not closed). */
int pfgen_write(pf_writer *w, const struct pfgen_options *o);
#endif
