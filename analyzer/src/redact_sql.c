/* SPDX-License-Identifier: MIT */
/* SQL functions that apply procflow/redact.h to values read from the
 * analysis database (see pfa_redact.h). */
#include <stdio.h>
#include <string.h>

#include "pfa.h"
#include "pfa_redact.h"

static const char *arg_text(sqlite3_value *v, size_t *n)
{
    const char *s = (const char *)sqlite3_value_text(v);
    *n = s ? (size_t)sqlite3_value_bytes(v) : 0;
    return s;
}

/* pf_redact_string on argument 0 as the given field. */
static void redact_field(sqlite3_context *ctx, int argc, sqlite3_value **argv, int field)
{
    pf_redactor *r = sqlite3_user_data(ctx);
    if (!r || sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
        sqlite3_result_value(ctx, argv[0]);
        return;
    }
    size_t n, pn = 0;
    const char *s = arg_text(argv[0], &n), *prog = NULL;
    if (field == PF_REDACT_F_CMDLINE && argc >= 3) {
        /* the program is named by exe, or comm when exe is unknown */
        prog = sqlite3_value_type(argv[1]) == SQLITE_TEXT ? arg_text(argv[1], &pn) : NULL;
        if (!pn && sqlite3_value_type(argv[2]) == SQLITE_TEXT)
            prog = arg_text(argv[2], &pn);
    }
    const char *o;
    size_t on;
    int rc = pf_redact_string(r, field, s, n, prog, pn, &o, &on);
    if (rc < 0) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    if (rc == 0)
        sqlite3_result_value(ctx, argv[0]);
    else
        sqlite3_result_text(ctx, o, (int)on, SQLITE_TRANSIENT);
}

static void f_cmdline(sqlite3_context *c, int argc, sqlite3_value **v)
{
    redact_field(c, argc, v, PF_REDACT_F_CMDLINE);
}
static void f_user(sqlite3_context *c, int argc, sqlite3_value **v) { redact_field(c, argc, v, PF_REDACT_F_USER); }
static void f_host(sqlite3_context *c, int argc, sqlite3_value **v) { redact_field(c, argc, v, PF_REDACT_F_HOST); }
static void f_path(sqlite3_context *c, int argc, sqlite3_value **v) { redact_field(c, argc, v, PF_REDACT_F_PATH); }
static void f_text(sqlite3_context *c, int argc, sqlite3_value **v) { redact_field(c, argc, v, PF_REDACT_F_TEXT); }

static void f_addr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    pf_redactor *r = sqlite3_user_data(ctx);
    size_t n;
    const char *s = sqlite3_value_type(argv[0]) == SQLITE_TEXT ? arg_text(argv[0], &n) : NULL;
    /* A scoped address keeps its zone (an interface index): `fe80::1%5`. */
    const char *zone = s ? memchr(s, '%', n) : NULL;
    size_t alen = zone ? (size_t)(zone - s) : n;
    if (!r || !s || alen >= PF_ADDR_STRLEN || n - alen > 16 || memchr(s, 0, n)) {
        sqlite3_result_value(ctx, argv[0]);
        return;
    }
    char in[PF_ADDR_STRLEN], out[PF_ADDR_STRLEN + 16];
    memcpy(in, s, alen);
    in[alen] = '\0';
    if (pf_redact_addr_text(r, in, out) == 1) {
        size_t o = strlen(out);
        memcpy(out + o, s + alen, n - alen);
        out[o + n - alen] = '\0';
        sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
    } else
        sqlite3_result_value(ctx, argv[0]); /* not an address, or not in a range: as stored */
}

static void f_uid(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    pf_redactor *r = sqlite3_user_data(ctx);
    if (!r || sqlite3_value_type(argv[0]) != SQLITE_INTEGER) {
        sqlite3_result_value(ctx, argv[0]);
        return;
    }
    sqlite3_int64 v = sqlite3_value_int64(argv[0]);
    if (v < 0 || v > (sqlite3_int64)UINT32_MAX)
        sqlite3_result_value(ctx, argv[0]);
    else
        sqlite3_result_int64(ctx, (sqlite3_int64)pf_redact_uid(r, (uint32_t)v));
}

static void spec_add(struct pfa_redact_args *a, const char *item)
{
    size_t have = strlen(a->spec), n = strlen(item);
    if (have + n + 2 > sizeof a->spec) {
        a->too_long = 1;
        return;
    }
    if (have)
        a->spec[have++] = ',';
    memcpy(a->spec + have, item, n + 1);
}

int pfa_redact_arg(int argc, char **argv, int *i, struct pfa_redact_args *a)
{
    const char *s = argv[*i];
    if (!strcmp(s, "--redact")) {
        spec_add(a, "default");
    } else if (!strncmp(s, "--redact=", 9)) {
        spec_add(a, s + 9);
    } else if (!strcmp(s, "--redact-key") && *i + 1 < argc) {
        a->key = argv[++*i];
    } else {
        return 0;
    }
    a->on = 1;
    return 1;
}

int pfa_redact_from_args(const struct pfa_redact_args *a, pf_redactor **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!a->on)
        return 0;
    if (a->too_long) {
        snprintf(err, errlen, "--redact lists longer than %zu bytes", sizeof a->spec - 1);
        return PF_E_ARG;
    }
    return pf_redact_open(out, a->spec, a->key, err, errlen);
}

int pfa_redact_register(sqlite3 *db, pf_redactor *r, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        int nargs;
        void (*fn)(sqlite3_context *, int, sqlite3_value **);
    } fns[] = {
        {"pf_redact_addr", 1, f_addr}, {"pf_redact_cmdline", 3, f_cmdline}, {"pf_redact_user", 1, f_user},
        {"pf_redact_host", 1, f_host}, {"pf_redact_path", 1, f_path},       {"pf_redact_text", 1, f_text},
        {"pf_redact_uid", 1, f_uid},
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        /* Deterministic for one redactor; not SQLITE_INNOCUOUS: they are
         * for procflow's own statements only. */
        if (sqlite3_create_function(db, fns[i].name, fns[i].nargs, SQLITE_UTF8 | SQLITE_DETERMINISTIC, r, fns[i].fn,
                                    NULL, NULL) != SQLITE_OK) {
            snprintf(err, errlen, "%s: %s", fns[i].name, sqlite3_errmsg(db));
            return PFA_E_SQL;
        }
    }
    if (!r)
        return 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT DISTINCT host FROM main.captures WHERE host IS NOT NULL", -1, &st, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(db));
        return PFA_E_SQL;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *h = (const char *)sqlite3_column_text(st, 0);
        if (h)
            pf_redact_learn_host(r, h, (size_t)sqlite3_column_bytes(st, 0));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(db));
        return PFA_E_SQL;
    }
    return 0;
}
