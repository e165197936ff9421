/* SPDX-License-Identifier: MIT */
/* One-shot reports (`report NAME CAPTURE...`): the throwaway database is
 * made for one report, so only what that report reads is written and
 * built. SQLite's authorizer names every table a prepared statement reads
 * (views expanded) or writes; the finishing scripts (indexes, derived
 * tables, conversation matching) run only where they write a table the
 * report reads, and ingest leaves out the large tables nothing reads. Every
 * table the report reads holds exactly what a full ingest would put there,
 * so the output is the same. */
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "pfa.h"

extern const struct pf_embedded_file pfa_index_files[];
extern const size_t pfa_index_files_count;
extern const struct pf_embedded_file pfa_extra_sql_files[];
extern const size_t pfa_extra_sql_files_count;

#define MAX_TABLES 64

/* A set of table names; `all` once it overflows or a statement could not
 * be looked at (then it stands for every table). */
struct tables {
    char name[MAX_TABLES][64];
    size_t n;
    int all;
};

static int has(const struct tables *t, const char *name)
{
    if (t->all)
        return 1;
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->name[i], name))
            return 1;
    return 0;
}

static void add(struct tables *t, const char *name)
{
    if (!name || has(t, name))
        return;
    if (t->n == MAX_TABLES || strlen(name) >= sizeof t->name[0]) {
        t->all = 1;
        return;
    }
    strcpy(t->name[t->n++], name);
}

/* What one statement reads, writes, and the table of an index it creates. */
struct access {
    struct tables reads, writes;
    char index_table[64];
};

static int on_access(void *ctx, int action, const char *a, const char *b, const char *db, const char *trigger)
{
    (void)b;
    (void)db;
    (void)trigger;
    struct access *x = ctx;
    switch (action) {
    case SQLITE_READ: add(&x->reads, a); break;
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_TABLE: add(&x->writes, a); break;
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TEMP_INDEX:
        if (b && strlen(b) < sizeof x->index_table)
            strcpy(x->index_table, b);
        break;
    default: break;
    }
    return SQLITE_OK;
}

/* Prepares the next statement of *sql under the authorizer; *st NULL at
 * the end. 1 when it does not compile here (it needs what an earlier
 * statement of its script makes). */
static int look_at(sqlite3 *db, const char **sql, sqlite3_stmt **st, struct access *x)
{
    memset(x, 0, sizeof *x);
    const char *next = NULL;
    sqlite3_set_authorizer(db, on_access, x);
    int rc = sqlite3_prepare_v2(db, *sql, -1, st, &next);
    sqlite3_set_authorizer(db, NULL, NULL);
    if (rc != SQLITE_OK) {
        /* skip to the next statement: the script still runs as a whole */
        *st = NULL;
        const char *semi = strchr(*sql, ';');
        *sql = semi ? semi + 1 : *sql + strlen(*sql);
        return 1;
    }
    *sql = next;
    return 0;
}

/* The scripts that finish a load: indexes and derived tables, then the
 * conversation matching. */
static const char *conversations_sql(void)
{
    for (size_t i = 0; i < pfa_extra_sql_files_count; i++)
        if (!strcmp(pfa_extra_sql_files[i].name, "conversations.sql"))
            return pfa_extra_sql_files[i].data;
    return NULL;
}

/* Whether some statement of a script does not compile before the ones
 * ahead of it ran (it reads what they make): such a script is run whole. */
static int opaque(sqlite3 *db, const char *sql)
{
    struct access x;
    for (const char *p = sql; p && *p;) {
        sqlite3_stmt *st;
        if (look_at(db, &p, &st, &x))
            return 1;
        if (!st)
            break;
        sqlite3_finalize(st);
    }
    return 0;
}

/* Whether a finishing script is needed by a report reading `reads`: it
 * writes one of them (its statements clear what they fill, so the ones
 * that compile before it runs name its outputs). Adds what it reads. */
static int script_needed(sqlite3 *db, const char *sql, struct tables *reads, struct tables *needs)
{
    struct access x;
    struct tables script_reads = {0};
    int needed = 0, opaque = 0;
    for (const char *p = sql; p && *p;) {
        sqlite3_stmt *st;
        if (look_at(db, &p, &st, &x)) {
            opaque = 1;
            continue;
        }
        if (!st)
            break;
        sqlite3_finalize(st);
        for (size_t i = 0; i < x.writes.n; i++)
            if (has(reads, x.writes.name[i]))
                needed = 1;
        for (size_t i = 0; i < x.reads.n; i++)
            add(&script_reads, x.reads.name[i]);
        if (x.reads.all)
            script_reads.all = 1;
    }
    if (needed) {
        /* its sources must be complete too; a statement that could not be
         * looked at may read anything */
        if (opaque || script_reads.all)
            needs->all = 1;
        for (size_t i = 0; i < script_reads.n; i++)
            add(needs, script_reads.name[i]);
    }
    return needed;
}

/* The tables the statements of the report read, into *reads. */
static int report_reads(sqlite3 *db, const char *report_sql, struct tables *reads, char *err, size_t errlen)
{
    struct access x;
    for (const char *p = report_sql; p && *p;) {
        sqlite3_stmt *st;
        if (look_at(db, &p, &st, &x)) {
            snprintf(err, errlen, "report SQL: %s", sqlite3_errmsg(db));
            return PFA_E_SQL;
        }
        if (!st)
            break;
        sqlite3_finalize(st);
        for (size_t i = 0; i < x.reads.n; i++)
            add(reads, x.reads.name[i]);
        if (x.reads.all)
            reads->all = 1;
    }
    return 0;
}

/* The derived tables of rollup.c (not an index script: built in C).
 * top_talkers and top_remotes are not among them: those reports sum the
 * flows when the tables are not current, cheaper than building them. */
static int reads_rollups(const struct tables *reads)
{
    static const char *const derived[] = {"process_rollup", "bytes_hours", "timeline_top", "udp_peers"};
    for (size_t i = 0; i < sizeof derived / sizeof derived[0]; i++)
        if (has(reads, derived[i]))
            return 1;
    return 0;
}

int pfa_oneshot_plan(sqlite3 *db, const char *report_sql, unsigned *skip, char *err, size_t errlen)
{
    struct tables reads = {0};
    *skip = 0;
    int rc = report_reads(db, report_sql, &reads, err, errlen);
    if (rc)
        return rc;
    struct tables needs = reads;
    for (size_t i = 0; i < pfa_index_files_count; i++) {
        if (opaque(db, pfa_index_files[i].data))
            needs.all = 1; /* run whole: its sources must be complete */
        else
            script_needed(db, pfa_index_files[i].data, &reads, &needs);
    }
    const char *conv = conversations_sql();
    if (!conv || script_needed(db, conv, &reads, &needs))
        needs.all = 1; /* conversations read every flow end: keep all */
    if (reads_rollups(&reads))
        needs.all = 1; /* the derived tables are built from the whole load */
    if (!has(&needs, "bytes"))
        *skip |= PFA_SKIP_BYTES;
    if (!has(&needs, "bytes_rollup"))
        *skip |= PFA_SKIP_BYTES_ROLLUP;
    if (!has(&needs, "snapshots"))
        *skip |= PFA_SKIP_SNAPSHOTS;
    return 0;
}

/* Runs the statements of `sql` that the report needs: an index only on a
 * table it reads; in a derived-table script, the statements writing a
 * table it reads (and the transaction around them). */
static int run_needed(sqlite3 *db, const char *sql, const struct tables *reads, char *err, size_t errlen)
{
    struct access x;
    for (const char *p = sql; p && *p;) {
        sqlite3_stmt *st;
        if (look_at(db, &p, &st, &x)) {
            snprintf(err, errlen, "%s", sqlite3_errmsg(db));
            return PFA_E_SQL;
        }
        if (!st)
            break;
        int run;
        if (x.index_table[0])
            run = has(reads, x.index_table);
        else if (x.writes.n || x.writes.all) {
            run = 0;
            for (size_t i = 0; i < x.writes.n; i++)
                run |= has(reads, x.writes.name[i]);
            run |= x.writes.all;
        } else {
            run = 1; /* BEGIN, COMMIT, pragmas */
        }
        int rc = run ? sqlite3_step(st) : SQLITE_DONE;
        while (rc == SQLITE_ROW)
            rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            snprintf(err, errlen, "%s", sqlite3_errmsg(db));
            if (!sqlite3_get_autocommit(db))
                pfa_db_exec(db, "ROLLBACK", NULL, 0);
            return PFA_E_SQL;
        }
    }
    return 0;
}

int pfa_ingest_finish_for(sqlite3 *db, const char *report_sql, char *err, size_t errlen)
{
    struct tables reads = {0};
    if (report_reads(db, report_sql, &reads, err, errlen))
        return PFA_E_SQL;
    struct pfa_db_cache saved;
    pfa_db_finish_limits(db, &saved);
    int rc = 0;
    for (size_t i = 0; !rc && i < pfa_index_files_count; i++) {
        const char *sql = pfa_index_files[i].data;
        rc = opaque(db, sql) ? pfa_db_exec(db, sql, err, errlen) : run_needed(db, sql, &reads, err, errlen);
        if (rc && !sqlite3_get_autocommit(db))
            pfa_db_exec(db, "ROLLBACK", NULL, 0);
    }
    if (!rc && reads_rollups(&reads))
        rc = pfa_rollups_build(db, err, errlen);
    struct tables dummy = reads;
    const char *conv = conversations_sql();
    if (!rc && conv && script_needed(db, conv, &reads, &dummy))
        rc = pfa_clock_offsets_update(db, err, errlen);
    pfa_db_cache_restore(db, &saved);
    return rc;
}
