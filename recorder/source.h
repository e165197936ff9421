/* SPDX-License-Identifier: MIT */
/* The platform seam of procflow-record: one event source per OS.
 *
 * The session (portable) owns the capture writer and drives exactly one
 * source through these operations. A source turns OS events into records.h
 * records and hands them to the emit callback; it never touches the writer.
 * Errors: one set across this boundary, enum pf_error (procflow/format.h,
 * whose numbers are stable). Every operation returns 0 (or a documented
 * positive value) or a negative enum pf_error. A failure that came from the
 * OS also sets its errno beside the code (pf_set_os_errno(), e.g. through
 * pfr_plat_os_error() in platform.h), so the caller can print the OS text
 * with pf_error_text(). A code emit returned (writer, redaction) is
 * returned unchanged. Linux: source_linux.c (eBPF, sock_diag, /proc).
 * Windows: an ETW source behind the same ops. */
#ifndef PF_RECORDER_SOURCE_H
#define PF_RECORDER_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "procflow/format.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Receives one record. Returns 0, or a negative code that makes the source
 * stop and return it (e.g. the disk is full). Strings are copied by then. */
typedef int (*pfr_emit_fn)(void *ctx, const struct pf_record *rec);

/* Receives one line for the user (missing features, mode changes). */
typedef void (*pfr_notice_fn)(void *ctx, const char *line);

struct pfr_source_config {
    int no_kernel;              /* do not use kernel tracing (snapshot-only) */
    int per_call;               /* one traffic record per call */
    uint64_t flush_interval_ns; /* how often aggregates are flushed; 0 = 1 s */
    uint32_t buffer_mb;         /* kernel event buffer; 0 = default (8, per-call 64) */
    const char *netns;          /* only sockets (and processes) of this network namespace: a
                               * file naming it (/run/netns/NAME, /proc/PID/ns/net); NULL = all */
    const char *cgroup;         /* only processes under this cgroup (v2); NULL = all */
    pfr_notice_fn notice;       /* may be NULL */
    void *notice_ctx;
};

/* Counters for the status line and the exit summary. */
struct pfr_source_stats {
    uint64_t events;    /* kernel events and flow updates handled */
    uint64_t lost;      /* events lost, all sources */
    uint64_t processes; /* distinct processes seen */
    uint64_t flows;     /* distinct flows seen */
    uint64_t evicted;   /* idle flows dropped from kernel maps (totals written) */
    int snapshot_only;  /* running without kernel tracing */
};

enum pfr_snapshot_kind {
    PF_SNAPSHOT_PERIODIC = 0,
    PF_SNAPSHOT_RUNDOWN = 1, /* start of a file: processes + sockets */
    PF_SNAPSHOT_FINAL = 2    /* end of recording */
};

struct pfr_source;

struct pfr_source_ops {
    const char *name;
    /* Allocates and probes; may fall back to a reduced mode (reported
     * through notice). */
    int (*open)(struct pfr_source **out, const struct pfr_source_config *cfg);
    /* Begins collecting; events from now on are delivered by poll. */
    int (*start)(struct pfr_source *s);
    /* Waits up to timeout_ms for events and emits what it has (including
     * periodic aggregate flushes). Returns the number of records emitted. */
    int (*poll)(struct pfr_source *s, pfr_emit_fn emit, void *ctx, int timeout_ms);
    /* Emits a table snapshot of the given kind. */
    int (*snapshot)(struct pfr_source *s, int kind, pfr_emit_fn emit, void *ctx);
    /* Stops collecting and emits everything still pending (final totals). */
    int (*stop)(struct pfr_source *s, pfr_emit_fn emit, void *ctx);
    void (*close)(struct pfr_source *s); /* NULL-safe */
    void (*stats)(const struct pfr_source *s, struct pfr_source_stats *st);
    /* Capture clock now, in ns, and which clock that is (enum pf_clock_id). */
    uint64_t (*now)(void);
    uint8_t clock_id;
    uint8_t platform; /* enum pf_platform */
};

/* The source compiled for this platform. */
extern const struct pfr_source_ops pfr_source_default;

#ifdef __cplusplus
}
#endif
#endif
