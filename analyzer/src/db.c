/* SPDX-License-Identifier: MIT */
/* Opening, checking and migrating the analysis database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "embedded.h"
#include "outfile.h"
#include "pfa.h"

extern const struct pf_embedded_file pfa_schema_files[];
extern const size_t pfa_schema_files_count;

const char *pfa_strerror(int err)
{
    switch (err) {
    case PFA_E_SQL: return "database error";
    case PFA_E_NEWER_DB: return "database was written by a newer procflow";
    case PFA_E_NOT_DB: return "not a procflow database";
    case PFA_E_BUCKET: return "bucket size differs from the database's";
    case PFA_E_PARAM: return "bad parameter";
    case PFA_E_NO_REPORT: return "no such report";
    case PFA_E_UNSUPPORTED: return "input format not supported by this build";
    case PFA_E_WRITE: return "write error";
    case PFA_E_DENIED: return "not allowed: query only reads";
    default: return pf_strerror(err);
    }
}

int pfa_db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        if (err)
            snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return PFA_E_SQL;
    }
    return 0;
}

static int pragma_int(sqlite3 *db, const char *sql, int64_t *v)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return PFA_E_SQL;
    int rc = sqlite3_step(st);
    *v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : PFA_E_SQL;
}

/* Reads what decides whether the DB is ours and how old it is, in one read
 * transaction: another process may be creating the schema meanwhile, and
 * three separate reads could see the id before and the tables after. */
static int read_identity(sqlite3 *db, int64_t *app, int64_t *ver, int64_t *tables)
{
    int own = sqlite3_get_autocommit(db) && pfa_db_exec(db, "BEGIN", NULL, 0) == 0;
    int rc = pragma_int(db, "PRAGMA application_id", app) || pragma_int(db, "PRAGMA user_version", ver) ||
                     pragma_int(db, "SELECT count(*) FROM sqlite_master", tables)
                 ? PFA_E_SQL
                 : 0;
    if (own)
        pfa_db_exec(db, rc ? "ROLLBACK" : "COMMIT", NULL, 0);
    return rc;
}

/* Migration files are "NNN-what.sql"; NNN is the user_version they reach.
 * Several processes may open a new DB at once: the version is read again
 * inside the write transaction, so exactly one of them migrates and the
 * others find the work done. */
static int migrate(sqlite3 *db, const char *path, char *err, size_t errlen)
{
    int rc = pfa_db_exec(db, "BEGIN IMMEDIATE", err, errlen);
    if (rc)
        return rc;
    int64_t app = 0, from = 0, tables = 0;
    if (read_identity(db, &app, &from, &tables)) {
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
        rc = PFA_E_SQL;
    } else if (app != PFA_APPLICATION_ID && !(app == 0 && tables == 0)) {
        snprintf(err, errlen, "%s: not a procflow database (application_id %lld)", path, (long long)app);
        rc = PFA_E_NOT_DB;
    }
    for (size_t i = 0; !rc && i < pfa_schema_files_count; i++) {
        const struct pf_embedded_file *f = &pfa_schema_files[i];
        int v = atoi(f->name);
        if (v <= from || v > PFA_SCHEMA_VERSION)
            continue;
        rc = pfa_db_exec(db, f->data, err, errlen);
        if (!rc) {
            char sql[128];
            snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=%d;", PFA_APPLICATION_ID, v);
            rc = pfa_db_exec(db, sql, err, errlen);
        }
        if (!rc) {
            char sql[96];
            snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO meta(key,value) VALUES('schema_version','%d')", v);
            rc = pfa_db_exec(db, sql, err, errlen);
        }
    }
    if (!rc)
        rc = pfa_db_exec(db, "COMMIT", err, errlen);
    if (rc)
        pfa_db_exec(db, "ROLLBACK", NULL, 0);
    return rc;
}

/* The finishing step's caches: its sorts read a whole table once and its
 * b-trees are written in order, so a small cache costs no measurable time. */
#define FINISH_CACHE_KIB 1024

void pfa_db_finish_limits(sqlite3 *db, struct pfa_db_cache *saved)
{
    if (saved && (pragma_int(db, "PRAGMA main.cache_size", &saved->main) ||
                  pragma_int(db, "PRAGMA temp.cache_size", &saved->temp)))
        saved->main = saved->temp = 0; /* nothing to put back */
    char sql[96];
    snprintf(sql, sizeof sql, "PRAGMA main.cache_size=-%d; PRAGMA temp.cache_size=-%d", FINISH_CACHE_KIB,
             FINISH_CACHE_KIB);
    pfa_db_exec(db, sql, NULL, 0);
}

void pfa_db_cache_restore(sqlite3 *db, const struct pfa_db_cache *saved)
{
    if (!saved->main || !saved->temp)
        return;
    char sql[96];
    snprintf(sql, sizeof sql, "PRAGMA main.cache_size=%lld; PRAGMA temp.cache_size=%lld", (long long)saved->main,
             (long long)saved->temp);
    pfa_db_exec(db, sql, NULL, 0);
}

/* SQLite's sorters hold at least SQLITE_CONFIG_PMASZ pages in memory
 * whatever the cache size (250 by default: 4 MiB at this schema's 16 KiB
 * pages, more than the finishing step's whole budget). A smaller floor lets
 * each connection's cache_size set its sorters' size: 1 MiB while
 * finishing, 4 MiB while loading, 64 MiB for reports. It can only be set
 * before SQLite initializes (later it is refused, and the default stays);
 * databases are opened by one thread. */
static void sorter_floor(void)
{
    static int tried;
    if (!tried) {
        tried = 1;
        sqlite3_config(SQLITE_CONFIG_PMASZ, 16);
    }
}

/* ------------------------------------------------------------ waiting */

static void (*wait_notice)(void *ctx, const char *db, double waited_s);
static void *wait_ctx;

void pfa_db_on_wait(void (*fn)(void *ctx, const char *db, double waited_s), void *ctx)
{
    wait_notice = fn;
    wait_ctx = ctx;
}

/* Another process holds the write lock (or, for an old rollback-journal DB,
 * a read lock): wait as long as it takes, telling the user after a second
 * and then every ten what we wait for. The program is single-threaded, so
 * one counter serves every connection. */
static int busy_wait(void *arg, int count)
{
    static int waited_ms, next_notice_ms;
    sqlite3 *db = arg;
    if (count == 0) {
        waited_ms = 0;
        next_notice_ms = 1000;
    }
    if (wait_notice && waited_ms >= next_notice_ms) {
        const char *file = sqlite3_db_filename(db, "main");
        wait_notice(wait_ctx, file && *file ? file : "(memory)", waited_ms / 1000.0);
        next_notice_ms = waited_ms + 10000;
    }
    int ms = count < 20 ? 1 + count : 50;
    sqlite3_sleep(ms);
    if (waited_ms < 1 << 30)
        waited_ms += ms;
    return 1;
}

/* An ingest killed mid-way in a DB still in rollback-journal mode leaves a
 * hot journal, which a read-only connection cannot roll back ("attempt to
 * write a readonly database"). Roll it back with a brief read-write open. */
static int roll_back_hot_journal(const char *path, char *err, size_t errlen)
{
    char j[4200];
    struct stat st;
    snprintf(j, sizeof j, "%s-journal", path);
    if (stat(j, &st) != 0 || st.st_size == 0)
        return 0;
    sqlite3 *db = NULL;
    int64_t n = 0;
    int ok = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL) ==
             SQLITE_OK;
    if (ok) {
        sqlite3_busy_handler(db, busy_wait, db);
        ok = pragma_int(db, "SELECT count(*) FROM sqlite_master", &n) == 0;
    }
    if (!ok)
        snprintf(err, errlen,
                 "%s: an interrupted ingest left %s and it cannot be rolled back here (%s); "
                 "run procflow-analyze ingest on this database as a user who may write it",
                 path, j, db ? sqlite3_errmsg(db) : "cannot open");
    sqlite3_close(db);
    return ok ? 0 : PFA_E_SQL;
}

int pfa_db_open(sqlite3 **out, const char *path, int create, int readonly, char *err, size_t errlen)
{
    *out = NULL;
    sorter_floor();
    sqlite3 *db = NULL;
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    /* SQLite would create the file 0644 & ~umask; make it 0600 first. */
    if (!readonly) {
        int rc = pfa_out_prepare_db(path, create, err, errlen);
        if (rc)
            return rc;
    } else {
        int rc = roll_back_hot_journal(path, err, errlen);
        if (rc)
            return rc;
    }
    if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_close(db);
        return PFA_E_SQL;
    }
    sqlite3_busy_handler(db, busy_wait, db);
    int64_t app = 0, ver = 0, tables = 0;
    if (read_identity(db, &app, &ver, &tables)) {
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return PFA_E_NOT_DB;
    }
    if (app != PFA_APPLICATION_ID && !(app == 0 && tables == 0)) {
        snprintf(err, errlen, "%s: not a procflow database (application_id %lld)", path, (long long)app);
        sqlite3_close(db);
        return PFA_E_NOT_DB;
    }
    if (ver > PFA_SCHEMA_VERSION) {
        snprintf(err, errlen,
                 "%s: database schema version %lld is newer than this procflow-analyze understands (%d); "
                 "use a newer procflow-analyze",
                 path, (long long)ver, PFA_SCHEMA_VERSION);
        sqlite3_close(db);
        return PFA_E_NEWER_DB;
    }
    if (!readonly) {
        /* bigger pages: fewer, larger writes during bulk loads (only takes
         * effect on a new, empty file) */
        if (tables == 0)
            pfa_db_exec(db, "PRAGMA page_size=16384", NULL, 0);
        /* WAL: readers never block the writer, and a killed writer leaves
         * nothing a reader must roll back. Persistent in the file. */
        pfa_db_exec(db, "PRAGMA journal_mode=WAL", NULL, 0);
    }
    if (ver < PFA_SCHEMA_VERSION) {
        if (readonly) {
            snprintf(err, errlen, "%s: database is empty or older (schema %lld); ingest into it first", path,
                     (long long)ver);
            sqlite3_close(db);
            return PFA_E_NOT_DB;
        }
        int rc = migrate(db, path, err, errlen);
        if (rc) {
            sqlite3_close(db);
            return rc;
        }
    }
    /* Reports read large tables once: mapping the file saves a copy and a
     * system call per page, and a bigger cache keeps more of the sorters'
     * temporary b-trees (GROUP BY, window functions) in memory. Read-only
     * handles only: a writer's memory stays flat in capture length. */
    if (readonly)
        pfa_db_exec(db, "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-65536", NULL, 0);
    *out = db;
    return 0;
}

void pfa_db_close(sqlite3 *db)
{
    if (db)
        sqlite3_close(db);
}
