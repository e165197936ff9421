/* SPDX-License-Identifier: MIT */
/* Helpers every platform source (linux/, windows/) shares: the session's
 * notice and emit callbacks with the sources' conventions. */
#ifndef PF_SOURCE_UTIL_H
#define PF_SOURCE_UTIL_H

#include "source.h"

/* Formats one line (cut at 511 bytes) and hands it to cfg->notice, when the
 * session gave one. */
void pfr_source_notice(const struct pfr_source_config *cfg, const char *fmt, ...)
#if defined(__MINGW32__) && !defined(__clang__)
    __attribute__((format(gnu_printf, 2, 3)))
#elif defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Passes r to emit unless an earlier call failed: the first failure sticks
 * in *emit_err, so a source stops writing once the session said stop.
 * Returns what emit returned, or the sticky failure. */
int pfr_source_emit(pfr_emit_fn emit, void *ctx, int *emit_err, const struct pf_record *r);

/* A zeroed record of the given type and time. */
void pfr_source_record_init(struct pf_record *r, uint8_t type, uint64_t ts_ns);

/* What a snapshot's row callbacks share: the source, the snapshot kind
 * (PF_SNAPSHOT_*), its time and how many records it wrote. */
struct pfr_snap_ctx {
    struct pfr_source *s;
    int kind;
    uint64_t now;
    int count;
};

#endif
