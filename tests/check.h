/* SPDX-License-Identifier: MIT */
/* The one set of assertions for the plain-C tests (cmocka tests use
 * cmocka's). A failed check prints file, line and the condition, and
 * counts; main returns check_result(name), or tests its own counter.
 *
 * The failure counter is `check_failures` unless the file names its own
 * before including this header (#define PF_CHECK_FAILURES my_counter, for
 * a counter shared by several files). */
#ifndef PF_TESTS_CHECK_H
#define PF_TESTS_CHECK_H
#include <stdio.h>

#ifndef PF_CHECK_FAILURES
static int check_failures;
#define PF_CHECK_FAILURES check_failures
#endif

#if defined(__GNUC__)
__attribute__((unused))
#endif
static long check_count;

#define CHECK(cond) \
    do { \
        check_count++; \
        if (!(cond)) { \
            PF_CHECK_FAILURES++; \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        } \
    } while (0)

/* Unsigned equality with both values printed. */
#define CHECK_EQ_U(a, b) \
    do { \
        unsigned long long va_ = (unsigned long long)(a), vb_ = (unsigned long long)(b); \
        check_count++; \
        if (va_ != vb_) { \
            PF_CHECK_FAILURES++; \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%llu != %llu)\n", __FILE__, __LINE__, #a, #b, va_, vb_); \
        } \
    } while (0)
#define CHECK_EQ(a, b) CHECK_EQ_U(a, b)

static inline int check_result(const char *name)
{
    if (PF_CHECK_FAILURES) {
        fprintf(stderr, "%s: %d of %ld checks failed\n", name, PF_CHECK_FAILURES, check_count);
        return 1;
    }
    printf("%s: %ld checks passed\n", name, check_count);
    return 0;
}
#endif
