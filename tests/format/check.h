/* Minimal assertions for plain-C tests: a failed CHECK prints where and why
 * and counts; main returns check_result(). */
#ifndef PF_CHECK_H
#define PF_CHECK_H
#include <stdio.h>

static int check_failures;
static long check_count;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        check_count++;                                                                 \
        if (!(cond)) {                                                                 \
            check_failures++;                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);  \
        }                                                                              \
    } while (0)

#define CHECK_EQ_U(a, b)                                                                                \
    do {                                                                                                \
        unsigned long long va_ = (unsigned long long)(a), vb_ = (unsigned long long)(b);                \
        check_count++;                                                                                  \
        if (va_ != vb_) {                                                                               \
            check_failures++;                                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%llu != %llu)\n", __FILE__, __LINE__, #a, #b, \
                    va_, vb_);                                                                          \
        }                                                                                               \
    } while (0)

static int check_result(const char *name)
{
    if (check_failures) {
        fprintf(stderr, "%s: %d of %ld checks failed\n", name, check_failures, check_count);
        return 1;
    }
    printf("%s: %ld checks passed\n", name, check_count);
    return 0;
}
#endif
