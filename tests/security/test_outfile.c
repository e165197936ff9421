/* SPDX-License-Identifier: MIT */
/* The analyzer's output-file policy (analyzer/src/outfile.h) at the library
 * level: databases and their journal/WAL files are 0600 even with umask
 * 000, outputs are fresh 0600 files (never written through a hard link or
 * a symlink), world-writable non-sticky directories are refused, and in a
 * sticky one another user's file is refused (that part needs root).
 * Usage: test_outfile WORKDIR */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../check.h"
#include "outfile.h"
#include "pfa.h"

static char dir[4096];
static int modes_ok, modes_total;

static const char *at(const char *name)
{
    static char buf[4][4200];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
    return buf[i];
}

static unsigned mode_of(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0xffffu;
}

static void expect_0600(const char *path)
{
    unsigned m = mode_of(path);
    modes_total++;
    if (m == 0600)
        modes_ok++;
    else
        fprintf(stderr, "%s: mode %o, expected 600\n", path, m);
    CHECK_EQ_U(m, 0600);
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static int has(const char *path, const char *text)
{
    char buf[256] = "";
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return strcmp(buf, text) == 0;
}

static int db_open(const char *path, sqlite3 **db)
{
    char err[600];
    int rc = pfa_db_open(db, path, 1, 0, err, sizeof err);
    if (rc)
        printf("  refused as expected: %s\n", err);
    return rc;
}

static void test_db_modes(void)
{
    sqlite3 *db;
    char err[256];
    /* Rollback journal (databases of older versions; new ones are WAL):
     * exists while a write transaction is open. */
    CHECK(db_open(at("plain.db"), &db) == 0);
    expect_0600(at("plain.db"));
    CHECK(pfa_db_exec(db, "PRAGMA journal_mode=DELETE; BEGIN; INSERT INTO meta(key, value) VALUES('t', 'x');", err,
                      sizeof err) == 0);
    CHECK(access(at("plain.db-journal"), F_OK) == 0);
    expect_0600(at("plain.db-journal"));
    CHECK(pfa_db_exec(db, "COMMIT", err, sizeof err) == 0);
    pfa_db_close(db);

    /* WAL and its shared-memory index: exist while the database is open. */
    CHECK(db_open(at("wal.db"), &db) == 0);
    CHECK(pfa_db_exec(db, "PRAGMA journal_mode=WAL; INSERT INTO meta(key, value) VALUES('t', 'x');", err, sizeof err) ==
          0);
    CHECK(access(at("wal.db-wal"), F_OK) == 0);
    expect_0600(at("wal.db"));
    expect_0600(at("wal.db-wal"));
    expect_0600(at("wal.db-shm"));
    pfa_db_close(db);
}

static void test_create(void)
{
    char err[600];
    /* A umask that takes the owner's write bit still gives 0600. */
    mode_t old = umask(0277);
    FILE *f = pfa_out_create(at("masked.out"), err, sizeof err);
    umask(old);
    CHECK(f != NULL);
    if (f)
        fclose(f);
    expect_0600(at("masked.out"));

    /* An existing file is replaced by a fresh 0600 one; its other hard link
     * keeps the old content. */
    put(at("old.out"), "old");
    chmod(at("old.out"), 0644);
    CHECK(link(at("old.out"), at("old.link")) == 0);
    f = pfa_out_create(at("old.out"), err, sizeof err);
    CHECK(f != NULL);
    if (f) {
        fputs("new", f);
        fclose(f);
    }
    expect_0600(at("old.out"));
    CHECK(has(at("old.out"), "new"));
    CHECK(has(at("old.link"), "old"));
}

static void test_symlinks(void)
{
    char err[600];
    sqlite3 *db = NULL;
    put(at("target"), "untouched");
    chmod(at("target"), 0644);
    CHECK(symlink(at("target"), at("link.out")) == 0);
    CHECK(symlink(at("target"), at("link.db")) == 0);
    CHECK(symlink(at("absent"), at("dangling.out")) == 0);
    CHECK(symlink(at("absent.db"), at("dangling.db")) == 0);

    CHECK(pfa_out_create(at("link.out"), err, sizeof err) == NULL);
    CHECK(strstr(err, "link.out") && strstr(err, "symbolic link"));
    CHECK(pfa_out_create(at("dangling.out"), err, sizeof err) == NULL);
    CHECK(db_open(at("link.db"), &db) == PF_E_SYMLINK);
    CHECK(db_open(at("dangling.db"), &db) == PF_E_SYMLINK);
    CHECK(db == NULL);
    CHECK(has(at("target"), "untouched"));
    CHECK_EQ_U(mode_of(at("target")), 0644);
    CHECK(access(at("absent"), F_OK) != 0 && access(at("absent.db"), F_OK) != 0);
}

static void test_dirs(void)
{
    char err[600];
    sqlite3 *db = NULL;
    int exists;
    CHECK(mkdir(at("ww"), 0777) == 0);
    chmod(at("ww"), 0777);
    CHECK(pfa_out_create(at("ww/x.out"), err, sizeof err) == NULL);
    CHECK(strstr(err, "ww/x.out") && strstr(err, "writable by everyone"));
    CHECK(db_open(at("ww/x.db"), &db) == PF_E_UNSAFE_PATH);
    CHECK(access(at("ww/x.out"), F_OK) != 0 && access(at("ww/x.db"), F_OK) != 0);

    /* Sticky and world-writable (like /tmp): our own files are fine. */
    CHECK(mkdir(at("sticky"), 0777) == 0);
    chmod(at("sticky"), 01777);
    for (int i = 0; i < 2; i++) { /* create, then replace */
        FILE *f = pfa_out_create(at("sticky/mine.out"), err, sizeof err);
        CHECK(f != NULL);
        if (f)
            fclose(f);
    }
    CHECK(db_open(at("sticky/mine.db"), &db) == 0);
    pfa_db_close(db);
    db = NULL;
    if (geteuid() != 0) {
        printf("  not root: another user's file in a sticky directory not tried\n");
        return;
    }
    put(at("sticky/theirs.out"), "theirs");
    put(at("sticky/theirs.db"), "theirs");
    CHECK(chown(at("sticky/theirs.out"), 65534, 65534) == 0);
    CHECK(chown(at("sticky/theirs.db"), 65534, 65534) == 0);
    CHECK(pfa_out_check(at("sticky/theirs.out"), &exists, err, sizeof err) == PF_E_UNSAFE_PATH);
    CHECK(pfa_out_create(at("sticky/theirs.out"), err, sizeof err) == NULL);
    CHECK(strstr(err, "theirs.out") && strstr(err, "another user"));
    CHECK(db_open(at("sticky/theirs.db"), &db) == PF_E_UNSAFE_PATH);
    CHECK(has(at("sticky/theirs.out"), "theirs") && has(at("sticky/theirs.db"), "theirs"));
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_outfile WORKDIR\n");
        return 2;
    }
    mkdir(argv[1], 0700);
    snprintf(dir, sizeof dir, "%s/run-XXXXXX", argv[1]);
    if (!mkdtemp(dir)) {
        perror(dir);
        return 2;
    }
    umask(0);
    test_db_modes();
    test_create();
    test_symlinks();
    test_dirs();
    const char *fig = getenv("PF_FIGURES_DIR");
    if (fig && *fig) {
        char p[4200];
        snprintf(p, sizeof p, "%s/security_db_files.tsv", fig);
        FILE *f = fopen(p, "w");
        if (f) {
            fprintf(f, "security\tDB, journal, WAL and output files 0600 (umask 000)\t%d of %d\n", modes_ok,
                    modes_total);
            fclose(f);
        }
    }
    return check_result("test_outfile");
}
