/* SPDX-License-Identifier: MIT */
/* Windows glue of procflow-record: clock helpers, the process table and
 * the IP Helper socket tables. Kept thin; decoding lives in etw/. */
#ifndef PF_RECORDER_WIN_H
#define PF_RECORDER_WIN_H

#include <stddef.h>
#include <stdint.h>

#include "pfc/htab.h"

/* Performance-counter ticks to ns; FILETIME (100 ns since 1601) now. */
uint64_t pfr_win_qpc_to_ns(uint64_t ticks);
uint64_t pfr_win_filetime_now(void);

/* ------------------------------------------------------------ processes */

struct pfr_win_proc {
    uint32_t pid, ppid;
    uint64_t create_ft; /* creation FILETIME; 0 = unknown */
    uint64_t start_ns;  /* identity in the capture clock; 0 = unknown */
    uint64_t parent_start_ns;
    int own;            /* runs as the recording user */
    int seen;           /* found by the latest scan */
    int fresh;          /* not yet reported by a scan */
    char name[256];     /* image file name (UTF-8) */
    char exe[1024];     /* full image path (UTF-8), "" when not readable */
    char user[192];     /* owner SID as text, "" when not readable */
    char cmdline[8192]; /* command line (UTF-8, cut at a character), "" when not readable */
};

struct pfr_win_procs {
    struct pfc_htab byid; /* pid -> struct pfr_win_proc */
    uint64_t anchor_ns;   /* capture clock ... */
    uint64_t anchor_ft;   /* ... and FILETIME at the same moment */
    void *self_sid;       /* SID of the recording user (malloc) */
};

int pfr_win_procs_init(struct pfr_win_procs *t);
void pfr_win_procs_free(struct pfr_win_procs *t); /* NULL-safe */
/* Creation FILETIME to the capture clock (stable for one table). */
uint64_t pfr_win_procs_ft_to_ns(const struct pfr_win_procs *t, uint64_t ft);
/* Enumerates running processes, refreshes the table, calls fn for each
 * (is_new: first sighting of this instance). fn returning < 0 stops. */
typedef int (*pfr_win_proc_fn)(void *ctx, const struct pfr_win_proc *p, int is_new);
int pfr_win_procs_scan(struct pfr_win_procs *t, pfr_win_proc_fn fn, void *ctx);

/* The same in two steps, so the slow part needs no lock: gather reads the
 * OS (Toolhelp, one OpenProcess per process; only t's own SID is used),
 * merge updates the table and fills each entry's identity. */
struct pfr_win_seen {
    uint32_t pid, ppid;
    uint64_t ft;
    int own;
    char name[256];
    char *exe, *user, *cmdline; /* owned, never NULL after gather */
    int known, is_new;          /* set by merge: in the table / first sighting */
    uint64_t start_ns, parent_start_ns;
};
struct pfr_win_scan {
    struct pfr_win_seen *v;
    size_t n, cap;
    uint64_t taken_ft; /* FILETIME just before the Toolhelp snapshot */
};
int pfr_win_procs_gather(const struct pfr_win_procs *t, struct pfr_win_scan *sc);
void pfr_win_procs_merge(struct pfr_win_procs *t, struct pfr_win_scan *sc);
void pfr_win_scan_free(struct pfr_win_scan *sc); /* NULL-safe */
struct pfr_win_proc *pfr_win_procs_get(struct pfr_win_procs *t, uint32_t pid);
/* A process start seen in the event stream (replaces an older pid). */
struct pfr_win_proc *pfr_win_procs_started(struct pfr_win_procs *t, uint32_t pid, uint64_t start_ns);
void pfr_win_procs_exited(struct pfr_win_procs *t, uint32_t pid);
/* A process's command line (ProcessCommandLineInformation, Windows 8.1+)
 * as UTF-8 in out, cut at a character boundary. Returns 0, or -EACCES /
 * -ESRCH / -ENOSYS (older Windows) with out = "". */
int pfr_win_read_cmdline(uint32_t pid, char *out, size_t cap);

/* ------------------------------------------------------------ sockets */

struct pfr_win_sock {
    uint8_t proto;  /* enum pf_proto */
    uint8_t family; /* 4 or 6 */
    uint8_t state;  /* enum pf_tcp_state */
    uint8_t laddr[16], raddr[16];
    uint16_t lport, rport;
    uint32_t pid;
    uint32_t lscope, rscope; /* IPv6 zones (interface indexes); 0 none */
};

/* Maps a MIB_TCP_STATE value to enum pf_tcp_state. */
uint8_t pfr_win_tcp_state(unsigned mib_state);
/* One owner-pid table of GetExtendedTcpTable/GetExtendedUdpTable. Returns
 * the number of rows, or a negative errno code. */
typedef int (*pfr_win_sock_fn)(void *ctx, const struct pfr_win_sock *s);
int pfr_win_sockets(int proto, int family, pfr_win_sock_fn fn, void *ctx);

/* Test hook: hands one EVENT_RECORD to the source as if its ETW session
 * had delivered it (works in snapshot-only mode too). */
struct pfr_source;
void pfr_win_source_inject(struct pfr_source *s, void *event_record);

#endif
