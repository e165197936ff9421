/* SPDX-License-Identifier: MIT */
/* A recording session: one capture writer (rotated into numbered files) fed
 * by one event source. Portable: no OS-specific code here. */
#ifndef PF_RECORDER_SESSION_H
#define PF_RECORDER_SESSION_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "source.h"

#define PF_SESSION_MAX_FILTERS 64

struct pfr_session_options {
    const char *output;            /* NAME.pfcap; rotation makes NAME-0001.pfcap ... */
    uint64_t duration_ns;          /* 0 = until a stop signal */
    uint64_t snapshot_interval_ns; /* 0 = no periodic snapshots */
    uint64_t rotate_bytes;         /* 0 = no size rotation */
    uint64_t rotate_ns;            /* 0 = no time rotation */
    unsigned max_files;            /* 0 = keep all */
    uint32_t pids[PF_SESSION_MAX_FILTERS];
    unsigned npids;
    const char *comms[PF_SESSION_MAX_FILTERS];
    unsigned ncomms;
    int per_call;
    unsigned buffer_mb; /* kernel event buffer size; 0 = default */
    int no_kernel;
    const char *host;   /* --host: host name in the header; NULL = the system's */
    const char *netns;  /* --netns: only this network namespace (file naming it) */
    const char *cgroup; /* --cgroup: only processes under this cgroup (v2) */
    int force;
    int quiet;
    FILE *msg;                             /* status line, notices, summary; NULL = silent */
    volatile sig_atomic_t *rotate_request; /* set non-zero (SIGUSR1) to start the next file now;
                                     the session clears it. NULL = none */
    struct pf_redactor *redact;            /* --redact: applied to every record and header before
                                    it is written; NULL = none. Owned by the caller,
                                    must outlive the session (procflow/redact.h) */
};

struct pfr_session;

struct pfr_session_summary {
    double seconds;
    uint64_t processes, flows, events, records, lost;
    uint64_t bytes_on_disk; /* of this session's files still on disk */
    unsigned files;         /* this session's files still on disk (rotation prunes) */
    unsigned files_made;    /* files started, pruned ones included (last number) */
    int snapshot_only;
    int error;       /* enum pf_error that stopped the session, 0 = clean */
    int error_errno; /* the OS errno beside it, 0 = none */
};

/* Opens the source and the first output file. Returns 0 or a negative
 * enum pf_error (one set for the whole recorder: the sources and the
 * platform helpers return it too), with the OS errno in pf_os_errno(). */
int pfr_session_create(struct pfr_session **out, const struct pfr_session_options *opt,
                       const struct pfr_source_ops *ops);
/* Records until *stop becomes non-zero, the duration passes or an error. */
int pfr_session_run(struct pfr_session *s, volatile sig_atomic_t *stop);
void pfr_session_get_summary(const struct pfr_session *s, struct pfr_session_summary *sum);
/* Path of the file being written (or last written). */
const char *pfr_session_path(const struct pfr_session *s);
/* "procflow-record VERSION", as written into every capture. */
const char *pfr_session_recorder_name(void);

/* Why the session could not start or stopped, when there is more to say
 * than the error code (which file is in the way and why); "" otherwise. */
const char *pfr_session_error_text(const struct pfr_session *s);
void pfr_session_destroy(struct pfr_session *s); /* NULL-safe */

/* Output name of file number seq (1-based) when rotating. */
int pfr_session_rotated_name(const char *output, unsigned seq, char *buf, size_t len);

#endif
