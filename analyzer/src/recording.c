/* SPDX-License-Identifier: MIT */
/* Recordings: the files of one rotated series become one recording. After
 * a capture's rows are written (inside its ingest transaction) the capture
 * is attached to its host and recording, a process continuing across files
 * becomes one row, and a connection continuing across adjacent files
 * becomes one row with summed counts and its true first/last times. */
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "pfa.h"

extern const struct pf_embedded_file pfa_extra_sql_files[];
extern const size_t pfa_extra_sql_files_count;

static const char *extra_sql(const char *name)
{
    for (size_t i = 0; i < pfa_extra_sql_files_count; i++)
        if (!strcmp(pfa_extra_sql_files[i].name, name))
            return pfa_extra_sql_files[i].data;
    return NULL;
}

struct walk {
    sqlite3 *db;
    int64_t idle_ns;
    sqlite3_stmt *map_ins, *head_ins;
    int have_head;
    int64_t head_id, head_last_ns, head_last_seq, head_last_capture;
    int head_closed, head_merged;
    sqlite3_value *key[9]; /* process_id .. sock_id of the head row */
    int64_t capture_id;
    int64_t *seqs; /* file_seq of the recording's closed files, ascending */
    size_t nseqs;
    int seqs_loaded;
};

/* Loaded at the first row: the attach script has set the recording by then. */
static int load_seqs(struct walk *w)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(w->db,
                           "SELECT DISTINCT file_seq FROM captures WHERE clean_close = 1 AND recording_id = "
                           "(SELECT recording_id FROM captures WHERE capture_id = ?) ORDER BY 1",
                           -1, &st, NULL) != SQLITE_OK)
        return PFA_E_SQL;
    sqlite3_bind_int64(st, 1, w->capture_id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (w->nseqs == cap) {
            int64_t *n = pfc_array_grow(w->seqs, &cap, w->nseqs + 1, sizeof *n, 64, 0);
            if (!n) {
                sqlite3_finalize(st);
                return PF_E_NOMEM;
            }
            w->seqs = n;
        }
        w->seqs[w->nseqs++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    w->seqs_loaded = 1;
    return rc == SQLITE_DONE ? 0 : PFA_E_SQL;
}

static size_t seq_index(const struct walk *w, int64_t seq)
{
    size_t lo = 0, hi = w->nseqs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->seqs[mid] < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Every file between the two is in the database: a connection may be idle
 * through a short file, but is never bridged over a missing one. */
static int no_file_missing(const struct walk *w, int64_t after, int64_t before)
{
    if (before <= after)
        return 0;
    size_t a = seq_index(w, after), b = seq_index(w, before);
    return a < w->nseqs && b < w->nseqs && w->seqs[a] == after && w->seqs[b] == before &&
           (int64_t)(b - a) == before - after;
}

static int same_key(struct walk *w, sqlite3_stmt *row)
{
    for (int i = 0; i < 8; i++) {
        sqlite3_value *a = w->key[i], *b = sqlite3_column_value(row, i + 1);
        int ta = sqlite3_value_type(a), tb = sqlite3_value_type(b);
        if (ta != tb)
            return 0;
        if (ta == SQLITE_NULL)
            continue;
        if (ta == SQLITE_INTEGER) {
            if (sqlite3_value_int64(a) != sqlite3_value_int64(b))
                return 0;
        } else {
            int na = sqlite3_value_bytes(a), nb = sqlite3_value_bytes(b);
            if (na != nb || memcmp(sqlite3_value_blob(a), sqlite3_value_blob(b), (size_t)na))
                return 0;
        }
    }
    return 1;
}

static void free_key(struct walk *w)
{
    for (int i = 0; i < 9; i++) {
        sqlite3_value_free(w->key[i]);
        w->key[i] = NULL;
    }
}

static int step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : PFA_E_SQL;
}

/* Writes the end of the current chain when something was merged into it. */
static int close_head(struct walk *w)
{
    if (!w->have_head || !w->head_merged)
        return 0;
    sqlite3_bind_int64(w->head_ins, 1, w->head_id);
    sqlite3_bind_int64(w->head_ins, 2, w->head_last_ns);
    sqlite3_bind_int(w->head_ins, 3, w->head_closed);
    sqlite3_bind_int64(w->head_ins, 4, w->head_last_capture);
    return step_done(w->head_ins);
}

/* Where the current chain ends now, and whether a later flow joined it. */
static void set_head_end(struct walk *w, int64_t last_ns, int64_t last_seq, int64_t last_cap, int closed, int merged)
{
    w->head_last_ns = last_ns;
    w->head_last_seq = last_seq;
    w->head_last_capture = last_cap;
    w->head_closed = closed;
    w->head_merged = merged;
}

/* Columns: 0 flow_id, 1..8 key, 9 first_ns, 10 last_ns, 11 closed,
 * 12 first_seq, 13 last_seq, 14 last_capture_id. */
static int walk_row(struct walk *w, sqlite3_stmt *row)
{
    int64_t id = sqlite3_column_int64(row, 0);
    int64_t first = sqlite3_column_int64(row, 9);
    int64_t last = sqlite3_column_int64(row, 10);
    int closed = sqlite3_column_int(row, 11);
    int64_t first_seq = sqlite3_column_int64(row, 12);
    int64_t last_seq = sqlite3_column_int64(row, 13);
    int64_t last_cap = sqlite3_column_int64(row, 14);
    if (!w->seqs_loaded) {
        int rc = load_seqs(w);
        if (rc)
            return rc;
    }
    if (w->have_head && same_key(w, row) && !w->head_closed && no_file_missing(w, w->head_last_seq, first_seq) &&
        first - w->head_last_ns <= w->idle_ns) {
        sqlite3_bind_int64(w->map_ins, 1, id);
        sqlite3_bind_int64(w->map_ins, 2, w->head_id);
        int rc = step_done(w->map_ins);
        if (rc)
            return rc;
        set_head_end(w, last > w->head_last_ns ? last : w->head_last_ns, last_seq, last_cap, closed, 1);
        return 0;
    }
    int rc = close_head(w);
    if (rc)
        return rc;
    free_key(w);
    for (int i = 0; i < 8; i++) {
        w->key[i] = sqlite3_value_dup(sqlite3_column_value(row, i + 1));
        if (!w->key[i])
            return PF_E_NOMEM;
    }
    w->have_head = 1;
    w->head_id = id;
    set_head_end(w, last, last_seq, last_cap, closed, 0);
    return 0;
}

/* Runs every statement of `sql`, binding :capture; rows of a statement that
 * returns columns go to the walk. */
static int run_script(sqlite3 *db, const char *sql, int64_t capture_id, struct walk *w, char *err, size_t errlen)
{
    const char *p = sql;
    while (p && *p) {
        sqlite3_stmt *st = NULL;
        const char *tail = NULL;
        if (sqlite3_prepare_v2(db, p, -1, &st, &tail) != SQLITE_OK) {
            snprintf(err, errlen, "recording: %s", sqlite3_errmsg(db));
            return PFA_E_SQL;
        }
        p = tail;
        if (!st)
            continue;
        int idx = sqlite3_bind_parameter_index(st, ":capture");
        if (idx)
            sqlite3_bind_int64(st, idx, capture_id);
        int rc, res = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (w && (res = walk_row(w, st)) != 0)
                break;
        }
        if (!res && rc != SQLITE_DONE)
            res = PFA_E_SQL;
        if (res)
            snprintf(err, errlen, "recording: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        if (res)
            return res;
    }
    return 0;
}

/* Whether the recording of capture_id holds another closed file. When it
 * does not, no process or connection can continue across files, and the
 * merging statements (scans and sorts that grow with the capture) are
 * skipped. */
static int other_closed_file(sqlite3 *db, int64_t capture_id, int *yes)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT EXISTS (SELECT 1 FROM captures o JOIN captures c ON c.capture_id = ? "
                           "WHERE o.capture_id <> c.capture_id AND o.clean_close = 1 "
                           "AND o.recording_id = c.recording_id)",
                           -1, &st, NULL) != SQLITE_OK)
        return PFA_E_SQL;
    sqlite3_bind_int64(st, 1, capture_id);
    int rc = sqlite3_step(st);
    *yes = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : PFA_E_SQL;
}

/* The attach script up to `merge`: the capture's host and recording alone. */
static int attach_only(sqlite3 *db, const char *attach, const char *merge, int64_t capture_id, char *err, size_t errlen)
{
    char *head = malloc((size_t)(merge - attach) + 1);
    if (!head) {
        snprintf(err, errlen, "out of memory");
        return PF_E_NOMEM;
    }
    memcpy(head, attach, (size_t)(merge - attach));
    head[merge - attach] = 0;
    int rc = run_script(db, head, capture_id, NULL, err, errlen);
    free(head);
    return rc;
}

int pfa_recording_attach(sqlite3 *db, int64_t capture_id, int64_t idle_ns, char *err, size_t errlen)
{
    const char *attach = extra_sql("recording-attach.sql");
    const char *apply = extra_sql("recording-apply.sql");
    if (!attach || !apply) {
        snprintf(err, errlen, "recording: SQL not built in");
        return PFA_E_SQL;
    }
    /* the script's merging part starts at its "-- merge:" line */
    const char *merge = strstr(attach, "\n-- merge:");
    if (!merge) {
        snprintf(err, errlen, "recording: no merge part in the attach SQL");
        return PFA_E_SQL;
    }
    int rc = attach_only(db, attach, merge, capture_id, err, errlen), others = 0;
    if (!rc && (rc = other_closed_file(db, capture_id, &others)) != 0)
        snprintf(err, errlen, "recording: %s", sqlite3_errmsg(db));
    if (rc || !others)
        return rc;
    struct walk w;
    memset(&w, 0, sizeof w);
    w.db = db;
    w.idle_ns = idle_ns;
    w.capture_id = capture_id;
    /* the temp tables exist once the attach script's first part ran: prepare lazily */
    rc = pfa_db_exec(db,
                     "CREATE TEMP TABLE IF NOT EXISTS pf_fmap(old INTEGER PRIMARY KEY, new INTEGER NOT NULL);"
                     "CREATE TEMP TABLE IF NOT EXISTS pf_fhead(flow_id INTEGER PRIMARY KEY, last_ns INTEGER,"
                     " closed INTEGER, last_capture_id INTEGER);",
                     err, errlen);
    if (rc)
        return rc;
    if (sqlite3_prepare_v2(db, "INSERT INTO temp.pf_fmap(old, new) VALUES(?, ?)", -1, &w.map_ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO temp.pf_fhead(flow_id, last_ns, closed, last_capture_id) VALUES(?,?,?,?)",
                           -1, &w.head_ins, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "recording: %s", sqlite3_errmsg(db));
        rc = PFA_E_SQL;
        goto out;
    }
    rc = run_script(db, merge + 1, capture_id, &w, err, errlen);
    if (!rc)
        rc = close_head(&w);
    if (!rc)
        rc = run_script(db, apply, capture_id, NULL, err, errlen);
out:
    free_key(&w);
    free(w.seqs);
    sqlite3_finalize(w.map_ins);
    sqlite3_finalize(w.head_ins);
    return rc;
}

int pfa_clock_offsets_update(sqlite3 *db, char *err, size_t errlen)
{
    const char *sql = extra_sql("conversations.sql");
    if (!sql) {
        snprintf(err, errlen, "conversations: SQL not built in");
        return PFA_E_SQL;
    }
    return run_script(db, sql, 0, NULL, err, errlen);
}
