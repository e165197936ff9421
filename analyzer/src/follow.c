/* SPDX-License-Identifier: MIT */
/* ingest --follow: keeps a database current while a recording runs. Every
 * interval the file (or every capture file of the directory) is looked at;
 * a file that is new or changed (size or modification time) is ingested.
 * A growing .partial is read again up to its last complete chunk and
 * replaces what was stored from it (the same capture, longer); its closed
 * version replaces it in turn, and files of a rotated series join their
 * recording. Each file is one transaction, so stopping (the stop flag, set
 * by a signal handler) between or during files leaves a consistent
 * database, and the final database equals a one-shot ingest of the files. */
#define _POSIX_C_SOURCE 200809L
#include "pfa.h"

#if defined(_WIN32)
int pfa_follow(sqlite3 *db, const char *target, const struct pfa_follow_options *o, char *err, size_t errlen)
{
    (void)db;
    (void)o;
    snprintf(err, errlen, "%s: --follow is not available in this build", target);
    return PFA_E_UNSUPPORTED;
}
#else
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int capture_name(const char *name, int with_partial)
{
    size_t n = strlen(name);
    if (name[0] == '.')
        return 0;
    if (n > 6 && !strcmp(name + n - 6, ".pfcap"))
        return 1;
    return with_partial && n > 14 && !strcmp(name + n - 14, ".pfcap.partial");
}

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int pfa_capture_list(const char *dir, int with_partial, char ***names_out, size_t *n_out)
{
    *names_out = NULL;
    *n_out = 0;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!capture_name(e->d_name, with_partial))
            continue;
        if (n == cap) {
            char **nn = pfc_array_grow(names, &cap, n + 1, sizeof *nn, 64, 0);
            if (!nn)
                break;
            names = nn;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (!names[n])
            break;
        snprintf(names[n], len, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, name_cmp);
    *names_out = names;
    *n_out = n;
    return 0;
}

struct pfa_seen *pfa_seen_lookup(struct pfa_seen_list *l, const char *path, int create)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].path, path))
            return &l->v[i];
    if (!create)
        return NULL;
    if (l->n == l->cap) {
        struct pfa_seen *nv = pfc_array_grow(l->v, &l->cap, l->n + 1, sizeof *nv, 64, 0);
        if (!nv)
            return NULL;
        l->v = nv;
    }
    struct pfa_seen *s = &l->v[l->n];
    s->path = strdup(path);
    if (!s->path)
        return NULL;
    s->size = s->mtime_ns = -1;
    l->n++;
    return s;
}

void pfa_seen_free(struct pfa_seen_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].path);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* Ingests `path` if it changed since last time. 1 = ingested, 0 = unchanged
 * or gone, < 0 = error (message in err). */
static int consider(sqlite3 *db, struct pfa_seen_list *f, const char *path, const struct pfa_follow_options *o,
                    char *err, size_t errlen)
{
    struct stat sb;
    if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return 0; /* not there (yet), renamed away, or not a plain file */
    int64_t mt = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
    struct pfa_seen *s = pfa_seen_lookup(f, path, 1);
    if (!s)
        return PF_E_NOMEM;
    if (s->size == (int64_t)sb.st_size && s->mtime_ns == mt)
        return 0;
    struct pfa_ingest_options io = {.bucket_ns = o->bucket_ns};
    struct pfa_ingest_result res;
    int rc = pfa_ingest_file(db, path, &io, &res, err, errlen);
    if (rc == PF_E_TRUNCATED || rc == PF_E_HEADER || rc == PF_E_NOT_CAPTURE) {
        /* a file so new that not even its header is complete: next time */
        return 0;
    }
    if (rc < 0)
        return rc;
    s->size = (int64_t)sb.st_size;
    s->mtime_ns = mt;
    if (o->on_file && !res.already)
        o->on_file(o->ctx, path, &res);
    return res.already ? 0 : 1;
}

static int scan(sqlite3 *db, struct pfa_seen_list *f, const char *target, int is_dir,
                const struct pfa_follow_options *o, char *err, size_t errlen)
{
    int changed = 0, rc;
    if (!is_dir) {
        /* the recorder writes NAME.partial and renames it NAME on close */
        char partial[4096];
        snprintf(partial, sizeof partial, "%s.partial", target);
        if ((rc = consider(db, f, partial, o, err, errlen)) < 0)
            return rc;
        changed |= rc;
        if ((rc = consider(db, f, target, o, err, errlen)) < 0)
            return rc;
        return changed | rc;
    }
    char **names;
    size_t n;
    if (pfa_capture_list(target, 1, &names, &n) < 0) {
        snprintf(err, errlen, "%s: %s", target, strerror(errno));
        return PF_E_IO;
    }
    rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc >= 0 && !(o->stop && *o->stop)) {
            int r = consider(db, f, names[i], o, err, errlen);
            if (r < 0)
                rc = r;
            else
                changed |= r;
        }
        free(names[i]);
    }
    free(names);
    return rc < 0 ? rc : changed;
}

int pfa_follow(sqlite3 *db, const char *target, const struct pfa_follow_options *o, char *err, size_t errlen)
{
    struct stat sb;
    int is_dir = stat(target, &sb) == 0 && S_ISDIR(sb.st_mode);
    /* readers (reports) keep working while this writes */
    int rc = pfa_db_exec(db, "PRAGMA journal_mode=WAL", err, errlen);
    if (rc)
        return rc;
    struct pfa_seen_list f = {0};
    int64_t interval_ns = o->interval_ns > 0 ? o->interval_ns : 500000000;
    for (;;) {
        int changed = scan(db, &f, target, is_dir, o, err, errlen);
        if (changed < 0) {
            rc = changed;
            break;
        }
        if (changed && (rc = pfa_ingest_finish(db, err, errlen)) != 0)
            break;
        if (o->stop && *o->stop)
            break;
        struct timespec ts = {(time_t)(interval_ns / 1000000000), (long)(interval_ns % 1000000000)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !(o->stop && *o->stop))
            ;
        if (o->stop && *o->stop) {
            /* one last look: what closed just before the stop is kept */
            changed = scan(db, &f, target, is_dir, o, err, errlen);
            if (changed < 0)
                rc = changed;
            else if (changed)
                rc = pfa_ingest_finish(db, err, errlen);
            break;
        }
    }
    pfa_seen_free(&f);
    return rc;
}
#endif
