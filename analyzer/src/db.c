/* Opening, checking and migrating the analysis database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Migration files are "NNN-what.sql"; NNN is the user_version they reach. */
static int migrate(sqlite3 *db, int64_t from, char *err, size_t errlen)
{
    for (size_t i = 0; i < pfa_schema_files_count; i++) {
        const struct pf_embedded_file *f = &pfa_schema_files[i];
        int v = atoi(f->name);
        if (v <= from || v > PFA_SCHEMA_VERSION)
            continue;
        int rc = pfa_db_exec(db, "BEGIN IMMEDIATE", err, errlen);
        if (!rc)
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
        if (!rc)
            rc = pfa_db_exec(db, "COMMIT", err, errlen);
        if (rc) {
            pfa_db_exec(db, "ROLLBACK", NULL, 0);
            return rc;
        }
    }
    return 0;
}

int pfa_db_open(sqlite3 **out, const char *path, int create, int readonly, char *err, size_t errlen)
{
    *out = NULL;
    sqlite3 *db = NULL;
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    /* SQLite would create the file 0644 & ~umask; make it 0600 first. */
    if (!readonly) {
        int rc = pfa_out_prepare_db(path, create, err, errlen);
        if (rc)
            return rc;
    }
    if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_close(db);
        return PFA_E_SQL;
    }
    sqlite3_busy_timeout(db, 5000);
    int64_t app = 0, ver = 0, tables = 0;
    if (pragma_int(db, "PRAGMA application_id", &app) ||
        pragma_int(db, "PRAGMA user_version", &ver) ||
        pragma_int(db, "SELECT count(*) FROM sqlite_master", &tables)) {
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
    if (ver == 0 && tables == 0 && !readonly) {
        /* bigger pages: fewer, larger writes during bulk loads */
        pfa_db_exec(db, "PRAGMA page_size=16384", NULL, 0);
    }
    if (ver < PFA_SCHEMA_VERSION) {
        if (readonly) {
            snprintf(err, errlen, "%s: database is empty or older (schema %lld); ingest into it first", path,
                     (long long)ver);
            sqlite3_close(db);
            return PFA_E_NOT_DB;
        }
        int rc = migrate(db, ver, err, errlen);
        if (rc) {
            sqlite3_close(db);
            return rc;
        }
    }
    *out = db;
    return 0;
}

void pfa_db_close(sqlite3 *db)
{
    if (db)
        sqlite3_close(db);
}
