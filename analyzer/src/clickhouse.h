/* SPDX-License-Identifier: MIT */
/* The fleet store: a ClickHouse server spoken to over its HTTP interface
 * (libcurl), and the loader that puts captures there with the same contract
 * as the SQLite database (the DDL in schema/clickhouse/, docs/fleet.md).
 * Errors: negative PFA_E_* codes with one line in err naming the server and
 * the step that failed; nothing here prints. */
#ifndef PFA_CLICKHOUSE_H
#define PFA_CLICKHOUSE_H

#include <stddef.h>
#include <stdint.h>

#include "pfa.h"

#define PFA_E_CH -110 /* the ClickHouse server refused or could not be reached; message in err */

typedef struct pfa_ch pfa_ch;

#define PFA_CH_MAX_HOSTS 16

/* Where and how to connect. The password never appears in messages. */
struct pfa_ch_target {
    unsigned nhosts; /* 1, or every shard's HTTP endpoint of a cluster */
    char host[PFA_CH_MAX_HOSTS][256];
    unsigned port[PFA_CH_MAX_HOSTS]; /* HTTP port; default 8123 */
    char user[128];                  /* default "default" */
    char password[256];              /* from the URL, else a password file, else PROCFLOW_CH_PASSWORD */
    char database[128];              /* default "default" */
    char cluster[128];               /* ?cluster=NAME: local tables on every host, Distributed tables over them */
};

/* 1 when `s` names a ClickHouse store (clickhouse://...). */
int pfa_ch_is_url(const char *s);
/* The server's error text (len bytes) on one line, without its C++ trailer,
 * into out (cap bytes, always terminated). */
void pfa_ch_server_message(const char *text, size_t len, char *out, size_t cap);
/* Parses clickhouse://[user[:password]@]host[:port][,host[:port]...]/database[?cluster=NAME].
 * With a cluster the hosts are the HTTP endpoints of its shards (the first
 * one answers queries). A password given neither there nor in password_file
 * comes from PROCFLOW_CH_PASSWORD. password_file may be NULL; it must not be
 * readable by group or others. */
int pfa_ch_parse_url(const char *url, const char *password_file, struct pfa_ch_target *t, char *err, size_t errlen);

/* Connects lazily: open only checks the target; the first request connects. */
int pfa_ch_open(pfa_ch **out, const struct pfa_ch_target *t, char *err, size_t errlen);
void pfa_ch_close(pfa_ch *c); /* NULL-safe */
/* The target it was opened with. */
const struct pfa_ch_target *pfa_ch_target_of(const pfa_ch *c);
/* "host:port" of the first host, for messages. */
const char *pfa_ch_name(const pfa_ch *c);

/* Runs one statement; a result (if any) is appended to *out when out is not
 * NULL (the server's text, e.g. FORMAT TSV). */
int pfa_ch_exec(pfa_ch *c, const char *sql, struct pfa_buf *out, char *err, size_t errlen);
/* Runs one statement with extra settings in the URL ("readonly=2&join_use_nulls=1"; NULL: none). */
int pfa_ch_select(pfa_ch *c, const char *sql, const char *settings, struct pfa_buf *out, char *err, size_t errlen);
/* Same on host number `at` of the target (a shard of its cluster). */
int pfa_ch_exec_at(pfa_ch *c, unsigned at, const char *sql, struct pfa_buf *out, char *err, size_t errlen);
/* Runs a query whose answer is one integer. */
int pfa_ch_query_int(pfa_ch *c, const char *sql, int64_t *v, char *err, size_t errlen);
/* INSERT INTO `table` FORMAT TabSeparated with `tsv` as the rows. */
int pfa_ch_insert_tsv(pfa_ch *c, const char *table, const char *tsv, size_t len, char *err, size_t errlen);

/* Appends `s` as one TabSeparated field (escaped); s == NULL writes \N. */
int pfa_ch_tsv_text(struct pfa_buf *b, const char *s, size_t n);

/* ------------------------------------------------------------ loading */

struct pfa_ch_load_result {
    int already;   /* the capture was complete in the store: nothing done */
    int resumed;   /* rows of an interrupted earlier load were removed first */
    uint64_t rows; /* rows inserted, all tables */
};

/* Creates the tables of schema/clickhouse/ in the target database if they
 * are missing (and the database itself). */
int pfa_ch_create_schema(pfa_ch *c, char *err, size_t errlen);

/* The start of loading the capture with this UUID, exactly once: *gid is
 * its id in the store; res->already when it is complete there (nothing to
 * do); else the store's time bucket is checked (the first load sets it) and
 * rows an interrupted load left are removed (res->resumed). */
int pfa_ch_begin_load(pfa_ch *c, const char *uuid, int64_t bucket_ns, int64_t rollup_ns, uint64_t *gid,
                      struct pfa_ch_load_result *res, char *err, size_t errlen);

/* The tables of schema/clickhouse/004 that are fixed once capture `gid`'s
 * rows are in (its processes ranked, overall and per timeline bucket, the
 * process names per remote endpoint, its UDP peers): a loader runs this
 * after every other row of the capture went in, before its captures row. */
int pfa_ch_finish_capture(pfa_ch *c, uint64_t gid, char *err, size_t errlen);

/* Copies capture `capture_id` of the SQLite database `db` (already ingested
 * there) into the store, exactly once: a capture already complete there is
 * skipped, leftovers of an interrupted load are removed, the rows go in
 * table by table in large batches and the `captures` row last, which makes
 * the capture visible to readers. */
int pfa_ch_load_capture(pfa_ch *c, sqlite3 *db, int64_t capture_id, struct pfa_ch_load_result *res, char *err,
                        size_t errlen);

/* ------------------------------------------------------------ retention (ch_retain.c) */

struct pfa_ch_retain_result {
    uint64_t captures;           /* captures removed (ended before the cutoff) */
    uint64_t partitions_dropped; /* day partitions dropped whole, all shards */
    uint64_t rows_deleted;       /* other rows of them, deleted by mutations */
};

/* Removes every capture that ended before cutoff_ns, whole: its captures
 * row first (readers stop seeing it), then its rows (day partitions holding
 * only such rows are dropped, the rest deleted). An interrupted run is
 * finished by the next one. */
int pfa_ch_retain(pfa_ch *c, int64_t cutoff_ns, struct pfa_ch_retain_result *res, char *err, size_t errlen);

/* version() of the first host: major, minor and (text may be NULL) its text. */
int pfa_ch_server_version(pfa_ch *c, int *major, int *minor, char *text, size_t textlen, char *err, size_t errlen);

/* On a server new enough for column codecs (see ch_retain.c), sets them
 * once per store (meta key 'codecs'); *applied says whether it did now.
 * Older servers (18.16): nothing. */
int pfa_ch_apply_codecs(pfa_ch *c, int *applied, char *err, size_t errlen);

/* A table TTL of `days` on every table with a time column, on a server
 * that has TTL; an older server (18.16) is refused (PFA_E_PARAM, named). */
int pfa_ch_set_ttl(pfa_ch *c, long days, char *err, size_t errlen);

/* ------------------------------------------------------------ reading */

/* The ClickHouse-dialect text of canned report `name` (queries/clickhouse/),
 * or NULL when it has none. */
const char *pfa_ch_report_sql(const char *name);

/* Appends `s` as a ClickHouse string literal: quoted, with \, ' and every
 * byte below 0x20 or 0x7f written as an escape, so no value can end the
 * literal (ClickHouse 18.16 has no bound query parameters). */
int pfa_ch_quote(struct pfa_buf *b, const char *s, size_t n);

/* Replaces every :name outside strings and comments of `sql` by a literal
 * of its value: parameters are checked and converted exactly as the SQLite
 * reports bind them (report.c, by `rep`'s declared types; ad-hoc: integers
 * or text), times relative to `start_ns` (the earliest visible capture).
 * Unknown parameters of a report are refused. */
int pfa_ch_bind_sql(const char *sql, const struct pfa_report *rep, const struct pfa_kv *kv, size_t nkv, int utc,
                    int64_t start_ns, struct pfa_buf *out, char *err, size_t errlen);

/* Runs one SELECT (parameters substituted by pfa_ch_bind_sql) and makes its
 * result a table of a new in-memory SQLite database (a virtual table over
 * the answer, pfa_ch_answer_db) with the same column names, NULLs,
 * integers, reals and text, so the SQLite printers show it exactly as they
 * show a SQLite report: *select gets the statement that reads it back.
 * The server refuses any write (PFA_E_DENIED). *mem is closed by the caller
 * (sqlite3_close). */
int pfa_ch_fetch(pfa_ch *c, const char *sql, const struct pfa_report *rep, const struct pfa_kv *kv, size_t nkv, int utc,
                 sqlite3 **mem, struct pfa_buf *select, char *err, size_t errlen);

/* Makes a server's answer (TabSeparatedWithNamesAndTypes, taken from *body,
 * which is emptied) table `r` of a new in-memory database, read back by
 * *select as pfa_ch_fetch describes. copy = 0: the answer itself is the
 * table (a virtual table read in order, no copy of the rows); copy = 1: its
 * rows are copied into an ordinary table. The printers show both alike. */
int pfa_ch_answer_db(struct pfa_buf *body, int copy, sqlite3 **mem, struct pfa_buf *select, char *err, size_t errlen);

/* Copies the complete captures of the store into `db`, a new SQLite
 * database (pfa_db_open), with SQLite's numbering: captures in the order
 * they were ingested, processes and flows numbered on through them (for html
 * and export from the store; analyzer/sql/clickhouse-local.sql). */
int pfa_ch_to_sqlite(pfa_ch *c, sqlite3 *db, char *err, size_t errlen);

#endif
