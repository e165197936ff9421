/* SPDX-License-Identifier: MIT */
/* `export --redact`: the redaction rules of procflow/redact.h as SQL
 * functions, so the export statements redact values as they read them.
 * Same conventions as pfa.h: negative errors, nothing printed. */
#ifndef PFA_REDACT_H
#define PFA_REDACT_H

#include <stddef.h>

#include <sqlite3.h>

#include "procflow/redact.h"

/* Registers on `db`, with `r` as their state (NULL: every function returns
 * its first argument unchanged):
 *   pf_redact_addr(text)                 address text (canonical) in a range
 *   pf_redact_cmdline(cmdline, exe, comm)
 *   pf_redact_user(text), pf_redact_host(text)
 *   pf_redact_path(text)                 exe, cgroup
 *   pf_redact_text(text)                 any other kept text
 *   pf_redact_uid(int)
 * NULL and non-text arguments pass through. With r, the host names of the
 * captures table are taught to r (pf_redact_learn_host) first. r is
 * borrowed: it must outlive the use of the functions on db (or the next
 * registration). */
int pfa_redact_register(sqlite3 *db, pf_redactor *r, char *err, size_t errlen);

/* Command-line options of convert and export: --redact (the default set),
 * --redact=LIST (repeatable, lists are joined) and --redact-key FILE (implies
 * --redact). Zero-initialise. */
struct pfa_redact_args {
    int on;
    const char *key; /* key file, NULL = random key */
    char spec[1024];
    int too_long;
};
/* 1 when argv[*i] is one of the options (then *i is advanced past its
 * value), 0 when not. */
int pfa_redact_arg(int argc, char **argv, int *i, struct pfa_redact_args *a);
/* The redactor the options ask for: 0 with *out (NULL when no option was
 * given), or a negative error with a reason in err. Destroy with
 * pf_redact_destroy. */
int pfa_redact_from_args(const struct pfa_redact_args *a, pf_redactor **out, char *err, size_t errlen);

#endif
