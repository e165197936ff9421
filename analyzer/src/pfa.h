/* SPDX-License-Identifier: MIT */
/* libpfanalyze: ingest captures into SQLite and run canned reports.
 *
 * Functions return PF_OK / a negative error (enum pf_error or enum
 * pfa_error) and put a one-line explanation into a caller buffer when they
 * take one. Nothing here prints or exits. */
#ifndef PFA_H
#define PFA_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>

#include <sqlite3.h>

#include "pfc/buf.h"
#include "procflow/format.h"

#define PFA_APPLICATION_ID 0x50466c77 /* "PFlw" */
#define PFA_SCHEMA_VERSION 8

/* The analyzer's codes extend enum pf_error (procflow/format.h) from -100
 * down; functions return either set, pfa_strerror() names both, and the OS
 * errno of a failed open travels in pf_os_errno(). Numeric values are
 * stable: added, never renumbered. */
enum pfa_error {
    PFA_E_SQL = -100,         /* SQLite failed; message in err */
    PFA_E_NEWER_DB = -101,    /* DB written by a newer procflow */
    PFA_E_NOT_DB = -102,      /* file is not a procflow DB */
    PFA_E_BUCKET = -103,      /* bucket size differs from the DB's */
    PFA_E_PARAM = -104,       /* bad report parameter */
    PFA_E_NO_REPORT = -105,   /* no such report */
    PFA_E_UNSUPPORTED = -106, /* input format not built in */
    PFA_E_WRITE = -107,       /* the output could not be written; errno text in err */
    PFA_E_DENIED = -108       /* query: the statement would change something */
};

const char *pfa_strerror(int err);

/* ------------------------------------------------------------ sources */

/* A stream of records from a .pfcap (or, when built with ETW support, an
 * .etl) file. */
typedef struct pfa_source pfa_source;

int pfa_source_open(pfa_source **out, const char *path, const struct pf_reader_options *opt);
/* Text for a pfa_source_open failure, right after it: "cannot open: No such
 * file or directory" when the OS refused, else the format's reason. */
const char *pfa_source_open_error(int rc, char *buf, size_t len);
const struct pf_file_info *pfa_source_info(const pfa_source *s);
int pfa_source_next(pfa_source *s, struct pf_record *rec);
/* Reader statistics; for sources without them only `records` is filled. */
void pfa_source_stats(const pfa_source *s, struct pf_reader_stats *st);
/* Registers a per-chunk callback when the source has chunks. */
void pfa_source_on_chunk(pfa_source *s, pf_chunk_fn fn, void *ctx);
int pfa_source_is_etl(const pfa_source *s);
/* Facts of an .etl source (all 0 for .pfcap: losses come as records):
 * header-stated losses, the span of its events, events skipped for an
 * unknown version. */
struct pfa_etl_facts {
    int is_etl;
    uint64_t events_lost, buffers_lost;
    uint64_t first_event_ns, last_event_ns;
    uint64_t unknown_version;
};
void pfa_source_etl_facts(const pfa_source *s, struct pfa_etl_facts *f);
void pfa_source_close(pfa_source *s);
/* 1 when .etl input is compiled in. */
int pfa_etl_supported(void);

/* ------------------------------------------------------------ database */

/* Opens (creating when `create`) and migrates a DB. Refuses non-procflow and
 * newer DBs. */
int pfa_db_open(sqlite3 **out, const char *path, int create, int readonly, char *err, size_t errlen);
void pfa_db_close(sqlite3 *db);
/* Runs SQL text (several statements) with no parameters. */
int pfa_db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen);
/* A connection's page cache sizes (main and temp, as PRAGMA cache_size
 * reads them). */
struct pfa_db_cache {
    int64_t main, temp;
};
/* Memory limits of the finishing step (indexes, derived tables, clock
 * offsets): 1 MiB page caches and sorters, so its peak stays under the
 * load's for any capture length. Saves the caches it replaces in *saved
 * (when not NULL) for pfa_db_cache_restore. */
void pfa_db_finish_limits(sqlite3 *db, struct pfa_db_cache *saved);
void pfa_db_cache_restore(sqlite3 *db, const struct pfa_db_cache *saved);
/* Connections wait for another process's lock as long as it takes (new DBs
 * use WAL, so only writers wait for writers); fn, when set, is called after
 * a second of waiting and every ten seconds after, to tell the user. */
void pfa_db_on_wait(void (*fn)(void *ctx, const char *db, double waited_s), void *ctx);

/* ------------------------------------------------------------ ingest */

struct pfa_ingest_options {
    uint64_t bucket_ns;       /* 0 = the DB's bucket, or 1 s for a new DB */
    uint64_t idle_ns;         /* write out flows idle this long; 0 = 300 s */
    int replace;              /* same UUID already there: delete it and ingest again */
    const char *display_path; /* stored as the capture's path instead of `path` ("-": a spooled stdin) */
    /* progress: bytes of the file read so far; called once per chunk */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    /* the same with the records of the chunks entered so far */
    void (*progress_records)(void *ctx, uint64_t done, uint64_t total, uint64_t records);
    void *ctx;
    /* damage lines, as the reader reports them */
    void (*on_damage)(void *ctx, const char *path, const struct pf_damage *d);
    unsigned skip;         /* PFA_SKIP_*: tables left empty (a one-shot report reads none of them) */
    size_t max_live_flows; /* flows held in memory at once; 0 = PFA_MAX_LIVE_FLOWS */
};
/* Past this many live flows the longest idle are written out early (a
 * flow that speaks again then starts a new row): memory stays bounded for
 * any file, about 280 bytes a flow (schema/db.md). */
#define PFA_MAX_LIVE_FLOWS ((size_t)1 << 18)
#define PFA_SKIP_BYTES 1u
#define PFA_SKIP_BYTES_ROLLUP 2u
#define PFA_SKIP_SNAPSHOTS 4u

struct pfa_ingest_result {
    int64_t capture_id;
    int already;  /* same UUID was in the DB: nothing done */
    int extended; /* replaced the stored capture of a file that was not closed */
    uint64_t records;
    uint64_t processes, flows, bytes_rows, rollup_rows, snapshots, losses;
    uint64_t chunks_ok, chunks_damaged, events_lost;
    uint64_t peak_live_flows;
    uint64_t flow_cap_reached; /* times the live-flow cap made flows end early */
};

int pfa_ingest_file(sqlite3 *db, const char *path, const struct pfa_ingest_options *opt, struct pfa_ingest_result *res,
                    char *err, size_t errlen);
/* Builds the indexes and estimates host clock offsets (after all files of
 * a bulk load). */
int pfa_ingest_finish(sqlite3 *db, char *err, size_t errlen);
/* One-shot reports (oneshot.c), on a new database made for one report:
 * which large tables no part of that report reads (PFA_SKIP_* for the
 * ingest options), and the finishing step building only what it reads. */
int pfa_oneshot_plan(sqlite3 *db, const char *report_sql, unsigned *skip, char *err, size_t errlen);
int pfa_ingest_finish_for(sqlite3 *db, const char *report_sql, char *err, size_t errlen);
/* Rebuilds the derived tables (process_rollup, bytes_hours, timeline_top,
 * udp_peers, top_talkers, top_remotes) unless meta says they are current; part of
 * pfa_ingest_finish (rollup.c). */
int pfa_rollups_build(sqlite3 *db, char *err, size_t errlen);
/* Fills top_remotes (emptied before) and meta 'top_remotes'; part of
 * pfa_rollups_build (top_remotes.c). max_entries: the hash tables' cap
 * before the bounded-memory pass takes over (0 = the default). */
int pfa_top_remotes_build(sqlite3 *db, size_t max_entries, char *err, size_t errlen);
/* What timeline_top ranks for an ingest bucket width (rollup.c): top_k rows
 * per bucket at bucket_ns (0: too narrow, the table stays empty), and
 * n_wide wider widths with the rows each keeps. */
#define PFA_TIMELINE_WIDE 4
struct pfa_timeline_plan {
    int64_t bucket_ns;
    size_t top_k, n_wide;
    int64_t wide_ns[PFA_TIMELINE_WIDE];
    size_t wide_top[PFA_TIMELINE_WIDE];
};
void pfa_timeline_top_plan(int64_t bucket_ns, struct pfa_timeline_plan *p);
/* Sets meta 'timeline_top' and 'timeline_top_widths' to the plan's. */
int pfa_timeline_top_mark(sqlite3 *db, const struct pfa_timeline_plan *p, char *err, size_t errlen);
/* process_rollup, bytes_hours and timeline_top built while a capture loads
 * into an empty database (rollup_live.c): open NULL when it cannot; the
 * traffic of every bytes row as it is counted (process_id 0: none), each
 * bytes row in insert order, advance now and then; finish 0 when the
 * tables are complete (meta 'rollups_live' set), else the finishing step
 * rebuilds them. */
struct pfa_live;
struct pfa_live *pfa_live_open(sqlite3 *db, int64_t bucket_ns, int64_t rollup_ns);
void pfa_live_traffic(struct pfa_live *l, int64_t utc, int64_t bucket, int64_t process_id, uint64_t sent, uint64_t recv,
                      uint64_t sends, uint64_t recvs);
void pfa_live_bytes_row(struct pfa_live *l, int64_t bucket);
void pfa_live_advance(struct pfa_live *l);
int pfa_live_finish(struct pfa_live *l, char *err, size_t errlen);
void pfa_live_free(struct pfa_live *l);
/* Inside a capture's ingest transaction: attaches it to its host and
 * recording and joins processes and connections that continue across the
 * recording's files (recording.c). */
int pfa_recording_attach(sqlite3 *db, int64_t capture_id, int64_t idle_ns, char *err, size_t errlen);
/* Re-estimates clock_offsets from the connections recorded at both ends. */
int pfa_clock_offsets_update(sqlite3 *db, char *err, size_t errlen);

/* ingest --follow (follow.c): ingests FILE (and FILE.partial) or every
 * .pfcap / .pfcap.partial of a directory whenever one is new or changed,
 * until *stop is set (signal handler); each file one transaction. */
struct pfa_follow_options {
    uint64_t bucket_ns;
    int64_t interval_ns; /* between looks; 0 = 0.5 s */
    volatile sig_atomic_t *stop;
    void (*on_file)(void *ctx, const char *path, const struct pfa_ingest_result *res);
    void *ctx;
};
int pfa_follow(sqlite3 *db, const char *target, const struct pfa_follow_options *o, char *err, size_t errlen);
/* The capture files of DIR (NAME.pfcap, and NAME.pfcap.partial when
 * with_partial; hidden names left out) as "DIR/NAME", sorted by name. The
 * caller frees each name and the array; a failed allocation ends the list
 * early. -1 with errno when DIR cannot be opened. */
int pfa_capture_list(const char *dir, int with_partial, char ***names, size_t *n);
/* Files already handled (by follow, and ingest --follow --to) with the size
 * and modification time they had then: a file is taken again only when
 * one of them changed. Zero-initialise; pfa_seen_free releases. */
struct pfa_seen {
    char *path;
    int64_t size, mtime_ns;
};
struct pfa_seen_list {
    struct pfa_seen *v;
    size_t n, cap;
};
/* The entry of `path`; with `create`, a new one (size and time -1) when it
 * has none. NULL when there is none, or memory ran out. */
struct pfa_seen *pfa_seen_lookup(struct pfa_seen_list *l, const char *path, int create);
void pfa_seen_free(struct pfa_seen_list *l);

/* ------------------------------------------------------------ reports */

/* PFA_P_LIST: text, repeatable (--param host=a --param host=b), bound as
 * the values joined by newlines. */
enum pfa_param_type {
    PFA_P_TEXT,
    PFA_P_INT,
    PFA_P_TIME,
    PFA_P_DURATION,
    PFA_P_ADDR,
    PFA_P_PORT,
    PFA_P_CHOICE,
    PFA_P_LIST
};

struct pfa_param {
    char name[64];
    int type;     /* enum pfa_param_type */
    int required; /* no default */
    char defval[128];
    char help[256];
    char choices[32]; /* PFA_P_CHOICE: "a|b|c" */
};

struct pfa_report {
    char name[64];
    char description[256];
    size_t nparams;
    struct pfa_param params[16];
    const char *sql; /* whole file text (embedded, static) */
};

/* Canned reports compiled into the program, sorted by name. */
size_t pfa_reports(const struct pfa_report **out);
const struct pfa_report *pfa_report_find(const char *name);
/* Parses the header of a report file; 0 or a negative error. */
int pfa_report_parse(struct pfa_report *r, const char *name, const char *text);

enum pfa_format { PFA_FMT_TABLE, PFA_FMT_CSV, PFA_FMT_JSON, PFA_FMT_LINE };

/* Table and line output show times, durations and sizes in human form
 * under headers without the storage suffix (first_ns -> first); raw keeps
 * storage names and values. CSV is always raw. JSON keeps raw integers and
 * adds an ISO-8601 UTC string beside every *_ns time (first_time). Tables
 * stream: column widths come from the first rows (a screenful, at most
 * PFA_TABLE_SAMPLE), so memory does not grow with the result. */
#define PFA_TABLE_SAMPLE 1000
struct pfa_output_options {
    int format;      /* enum pfa_format */
    int utc;         /* table: show times in UTC, not local time */
    int raw;         /* table: no human units */
    int width;       /* table: terminal columns to fit (cut cells with "…"); 0 = no limit */
    int sample_rows; /* table: rows that set the column widths; 0 = PFA_TABLE_SAMPLE */
    int read_only;   /* refuse any statement that would change or attach anything */
    int sql_only;    /* reports run their SQL as written: no summing in C (timeline_fast.c; tests compare) */
};

struct pfa_kv {
    const char *key;
    const char *value;
};

/* Binds named parameters (:name) of `stmt` from kv (converted by the report's
 * declared types when `rep` is given) and defaults. */
int pfa_bind_params(sqlite3 *db, sqlite3_stmt *stmt, const struct pfa_report *rep, const struct pfa_kv *kv, size_t nkv,
                    int utc, char *err, size_t errlen);

/* How a result column is shown, by its name: *_dur_ns a duration, any other
 * *_ns a time, bytes* / *_bytes a size (tables, HTML, JSON export). */
enum pfa_col_kind { PFA_COL_PLAIN, PFA_COL_TIME, PFA_COL_DURATION, PFA_COL_BYTES };
int pfa_col_kind(const char *name);

/* Runs every statement of `sql`; each one that returns columns is printed
 * (a blank line between result sets). */
int pfa_run_sql(sqlite3 *db, const char *sql, const struct pfa_report *rep, const struct pfa_kv *kv, size_t nkv,
                const struct pfa_output_options *o, FILE *out, char *err, size_t errlen);

/* timeline's summing path (timeline_fast.c): the rows the report's SQL
 * would sum and rank, summed and ranked in C. 0 with *rows set: print them
 * with *print_sql (bind them with pfa_timeline_rows_bind); 0 with *rows
 * NULL: the report's SQL does this case; negative: an error. */
struct pfa_timeline_rows;
int pfa_timeline_fast(sqlite3 *db, const struct pfa_report *rep, const struct pfa_kv *kv, size_t nkv, int utc,
                      struct pfa_timeline_rows **rows, const char **print_sql, char *err, size_t errlen);
int pfa_timeline_rows_bind(sqlite3_stmt *st, struct pfa_timeline_rows *rows);
void pfa_timeline_rows_free(struct pfa_timeline_rows *rows);
/* Open groups before the pass ranks the older buckets (tests; 0 = default). */
void pfa_timeline_fast_compact_at(size_t groups);

/* ------------------------------------------------------------ text helpers */

/* Growable text buffer: the common capped buffer (pfc/buf.h; zero-
 * initialise, pfa_buf_free releases). The pfa_buf_* calls return the
 * analyzer's codes (PF_E_NOMEM, PF_E_TOO_BIG past the cap). The old name
 * stays as an alias so the many call sites read as before. */
#define pfa_buf pfc_buf
int pfa_buf_put(struct pfa_buf *b, const void *s, size_t n);
int pfa_buf_printf(struct pfa_buf *b, const char *fmt, ...)
#if defined(__MINGW32__) && !defined(__clang__)
    __attribute__((format(gnu_printf, 2, 3)))
#elif defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void pfa_buf_free(struct pfa_buf *b);
/* Appends `s` (n bytes) with control characters, C1 controls, bidi
 * overrides, backslashes and invalid UTF-8 shown as \xNN / \\ escapes.
 * Returns the display width (terminal columns: wide characters count 2,
 * combining marks 0). */
size_t pfa_escape(struct pfa_buf *b, const char *s, size_t n);
/* Terminal columns of one code point (0, 1 or 2). */
int pfa_cp_width(unsigned cp);
/* Decodes the UTF-8 sequence at s (n bytes left): its length; an invalid
 * byte counts as one code point of its own value. */
size_t pfa_utf8_next(const char *s, size_t n, unsigned *cp);
/* JSON string body (without quotes): control characters, C1 controls and
 * bidi overrides as \uXXXX escapes, invalid UTF-8 as \ufffd. */
void pfa_escape_json(struct pfa_buf *b, const char *s, size_t n);

void pfa_human_bytes(char *buf, size_t n, double v);
/* A JSON string of ns since the epoch in ISO-8601 UTC with nanoseconds:
 * "2026-11-23T19:54:52.128000000Z" (quotes included). */
void pfa_json_time(struct pfa_buf *b, int64_t ns);
/* ISO-8601 text of ns since the epoch, UTC (utc=1, "Z") or local time. */
void pfa_format_time(char *buf, size_t n, int64_t ns, int utc);
void pfa_format_duration(char *buf, size_t n, int64_t ns);
/* "10s", "250ms", "1.5m", "2h", "100us", "5ns"; bare number = seconds. */
int pfa_parse_duration(const char *s, int64_t *ns);
/* ISO-8601 (date, "T" or space, time, optional fraction, optional Z or
 * +hh:mm; no zone = local time unless utc), "@SECONDS[.FRACTION]" since the
 * epoch as GNU date reads it, a bare integer of 11+ digits (ns since the
 * epoch, as stored in *_ns columns), or "+DURATION"/"-DURATION" relative to
 * `base_ns`. Impossible dates (2026-02-31), offsets (+99:99) and times
 * outside 1677..2262 (what int64 ns hold) are refused. */
int pfa_parse_time(const char *s, int64_t base_ns, int utc, int64_t *ns);
/* Same; on failure `why` gets one line naming the value and the reason. */
int pfa_parse_time_why(const char *s, int64_t base_ns, int utc, int64_t *ns, char *why, size_t whylen);

#endif
