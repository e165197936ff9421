/* SPDX-License-Identifier: MIT */
/* The direct loader of the fleet store: a capture file's records are
 * decoded and aggregated by the ingest (pfa_rows.h) and its rows go to
 * ClickHouse in its Native format, no SQLite database in between. */
#ifndef PFA_CLICKHOUSE_LOAD_H
#define PFA_CLICKHOUSE_LOAD_H

#include "clickhouse.h"

/* Loads capture file `path` into the store exactly once, with the rows and
 * values the SQLite ingest of that file alone makes (the same as
 * pfa_ch_load_capture of such a database): a capture complete there is
 * skipped (res->already), rows of an interrupted load are removed first
 * (res->resumed), the tables' rows go in large Native inserts while the
 * file is read (bounded memory) and the `captures` row last. Errors name
 * the server and the step (or the file). */
int pfa_ch_load_file(pfa_ch *c, const char *path, const struct pfa_ingest_options *opt, struct pfa_ch_load_result *res,
                     char *err, size_t errlen);

#endif
