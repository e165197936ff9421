/* SPDX-License-Identifier: MIT */
/* Helpers of the hostile-input tests: checks, figures, running
 * procflow-analyze as a child with its output and peak memory, and small
 * validators for the formats the analyzer writes (JSON, CSV). */
#ifndef HOSTILE_UTIL_H
#define HOSTILE_UTIL_H

#include <stddef.h>
#include <stdint.h>

extern int hu_failures;

#define PF_CHECK_FAILURES hu_failures
#include "../check.h"

/* Appends "hostile<TAB>figure<TAB>value" to $PF_FIGURES_DIR/<test>.tsv
 * (nothing when the variable is unset) and prints it. */
void hu_figure(const char *test, const char *figure, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* A finished child: exit status (or 128 + signal), peak resident memory,
 * wall time, and everything it wrote (NUL-terminated copies). */
struct hu_run {
    int status;
    long maxrss_kib;
    double secs;
    char *out, *err;
    size_t out_len, err_len;
};

/* Runs argv (argv[0] is a path) with stdout and stderr sent to files under
 * `workdir`; 0 when it could be started and waited for. The command is
 * started by a fresh copy of the test program (see hu_launcher) so its
 * peak RSS is its own: a child forked straight from a big test process
 * would count the parent's pages too (ru_maxrss keeps the highest mark of
 * the process before exec). Linux only (/proc/self/exe). */
int hu_run(const char *workdir, char *const argv[], struct hu_run *r);
/* Call first thing in main(): in the launcher copy it runs the command,
 * records its ru_maxrss and exits with its status; otherwise returns. */
void hu_launcher(int argc, char **argv);
void hu_run_free(struct hu_run *r);

/* Whole file into memory (NUL-terminated); NULL when unreadable. */
char *hu_read_file(const char *path, size_t *len);
int hu_write_file(const char *path, const void *data, size_t len);

/* memmem that does not need _GNU_SOURCE; counts occurrences. */
const char *hu_find(const char *hay, size_t n, const char *needle, size_t m);
size_t hu_count(const char *hay, size_t n, const char *needle);

/* The byte sequence (UTF-8) a terminal or browser would act on: ESC, other
 * C0 controls but newline (and tab where allowed), DEL, C1 controls, bidi
 * overrides and isolates, and invalid UTF-8. Returns the offset of the
 * first one, or (size_t)-1 when the text is clean. */
size_t hu_unsafe_at(const char *s, size_t n, int allow_tab);

/* One JSON value spanning exactly [s, s+n) (whitespace around allowed);
 * strict RFC 8259 strings (escapes, no raw control bytes, valid UTF-8). */
int hu_json_valid(const char *s, size_t n);

/* Fields of one CSV line (RFC 4180 quoting); -1 when the quoting is bad.
 * When `field` >= 0, the unquoted text of that field is copied to out. */
int hu_csv_fields(const char *line, size_t n, int field, char *out, size_t outlen);

#endif
