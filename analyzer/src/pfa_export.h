/* SPDX-License-Identifier: MIT */
/* HTML report and exports (chrome-trace, csv, jsonl, Zeek conn.log) of a
 * procflow analysis database. Same conventions as pfa.h: negative errors,
 * a one-line explanation in `err`, nothing printed. */
#ifndef PFA_EXPORT_H
#define PFA_EXPORT_H

#include "pfa.h"
#include "procflow/redact.h"

/* Narrows what the HTML report and the exports see: creates TEMP views
 * named like the tables (processes, flows, bytes, bytes_rollup, snapshots,
 * dns; meta without 'rollups_current', so no report reads the derived
 * tables) that shadow them for the rest of this connection. `process` is a name
 * (exact comm) or a PID; `from`/`to` take pfa_parse_time syntax ("+90s" is
 * relative to the earliest capture). NULL members do not filter. */
struct pfa_filter {
    const char *process;
    const char *from, *to;
    int utc; /* times without a zone are UTC */
};
int pfa_filter_apply(sqlite3 *db, const struct pfa_filter *f, char *err, size_t errlen);

/* Appends `s` (n bytes) for HTML text or a quoted attribute value: first as
 * pfa_escape does (control characters, bidi overrides, invalid UTF-8 become
 * \xNN), then & < > " ' as character references. */
void pfa_html_escape(struct pfa_buf *b, const char *s, size_t n);

/* The process-to-process graph section (SVG) of the HTML report, from
 * v_conversations (html_graph.c). */
int pfa_html_conversation_graph(sqlite3 *db, struct pfa_buf *out, char *err, size_t errlen);

struct pfa_html_options {
    int chart_processes;     /* programs named in the chart; 0 = as many as carry 80 % of the bytes (6..12) */
    int utc;                 /* times in UTC; 0 = local time (TZ) */
    int sections;            /* per-process sections; 0 = 20 */
    const char *filter_text; /* shown in the header when not NULL */
};
int pfa_html_report(sqlite3 *db, const struct pfa_html_options *o, FILE *out, char *err, size_t errlen);

enum pfa_export_format { PFA_EXP_CHROME_TRACE, PFA_EXP_CSV, PFA_EXP_JSONL, PFA_EXP_ZEEK };
enum pfa_export_what { PFA_EXP_FLOWS, PFA_EXP_BYTES };
/* `what` applies to csv and jsonl; chrome-trace and zeek always write flows
 * (chrome-trace also the byte counters). */
int pfa_export(sqlite3 *db, int format, int what, FILE *out, char *err, size_t errlen);
/* The same with addresses, command lines and exe paths redacted by `red`
 * (procflow/redact.h; NULL = none, as pfa_export). `red` is borrowed. */
int pfa_export_redacted(sqlite3 *db, int format, int what, pf_redactor *red, FILE *out, char *err, size_t errlen);

/* Internal: statement `name` of the embedded analyzer/sql/FILE ("-- @name"
 * sections); returns its text and length, or NULL. */
const char *pfa_embedded_sql(const char *file, const char *name, size_t *len);
/* Internal: prepares that statement (PFA_E_SQL with the message). */
int pfa_prepare_embedded(sqlite3 *db, const char *file, const char *name, sqlite3_stmt **st, char *err, size_t errlen);
/* Binds v to the parameter `name` (":t0") when the statement has it. */
void pfa_bind_i64(sqlite3_stmt *st, const char *name, int64_t v);
/* Start of the earliest capture (0 for none): the base of relative times
 * such as +5m. 0 or PFA_E_SQL with the message. */
int pfa_capture_start(sqlite3 *db, int64_t *start, char *err, size_t errlen);

#endif
