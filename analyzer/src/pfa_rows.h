/* SPDX-License-Identifier: MIT */
/* The rows an ingest makes, handed to a caller instead of a SQLite
 * database: the same aggregation (ingest.c), the same values, for a store
 * that is not SQLite (the ClickHouse loader, clickhouse_load.c). */
#ifndef PFA_ROWS_H
#define PFA_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "pfa.h"

/* The tables, each with its cells in the column order of its SQLite insert
 * (analyzer/sql/ingest-TABLE.sql @insert, dns.sql @insert); capture_id is
 * the local 1. PFA_ROWS_CAPTURES has no SQLite insert of its own; its
 * cells: uuid, path, host, os, platform, series_uuid, file_seq, recorder,
 * comment, ingested_ns, started_ns, ended_ns, records, chunks_ok,
 * chunks_damaged, events_lost, clean_close, bytes_skipped. Its row comes
 * last, after every other row of the capture. */
enum pfa_rows_table {
    PFA_ROWS_PROCESSES,
    PFA_ROWS_FLOWS,
    PFA_ROWS_BYTES,
    PFA_ROWS_BYTES_ROLLUP,
    PFA_ROWS_SNAPSHOTS,
    PFA_ROWS_LOSSES,
    PFA_ROWS_DAMAGE,
    PFA_ROWS_DNS,
    PFA_ROWS_HOSTINFO,
    PFA_ROWS_MARKERS,
    PFA_ROWS_CAPTURES,
    PFA_ROWS_TABLES
};

enum { PFA_CELL_NULL = 0, PFA_CELL_INT = 1, PFA_CELL_TEXT = 2 };

/* One value: an integer, or text at arena + off, len bytes (not terminated). */
struct pfa_cell {
    int type;
    int64_t i;
    size_t off, len;
};

struct pfa_rows_sink {
    /* Before any row, once the capture's header is read: its UUID (as the
     * captures row will say it), host name ("" when unknown) and bucket
     * widths. Returns 1 to skip the capture (nothing more is read), 0 to go
     * on, or a negative error with a message in err. */
    int (*begin)(void *ctx, const char *uuid, const char *host, int64_t bucket_ns, int64_t rollup_ns, char *err,
                 size_t errlen);
    /* One row; the cells and arena are valid during the call only. A
     * negative return stops the ingest with that error (message in err). */
    int (*row)(void *ctx, enum pfa_rows_table table, const struct pfa_cell *cells, int ncells, const char *arena,
               char *err, size_t errlen);
    void *ctx;
};

/* Reads capture `path` and hands every row of it to `sink` (no database).
 * The ids (process, flow, lookup) start at 1 and capture_id is 1, as in a
 * new SQLite database that gets this capture alone. res->already is set
 * when begin asked to skip it. */
int pfa_ingest_rows(const char *path, const struct pfa_ingest_options *opt, const struct pfa_rows_sink *sink,
                    struct pfa_ingest_result *res, char *err, size_t errlen);

#endif
