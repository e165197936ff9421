/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the .etl reader: any bytes in, no crash, no leak,
 * bounded work. Built with -DPF_FUZZ=ON (clang); fuzz_etl_replay runs the
 * same entry point over the committed corpus in ordinary builds.
 * Invariants (abort on a breach): damage ranges lie inside the file, the
 * stats agree with the records returned, no more bytes are skipped than
 * the file holds, and reading the same bytes again gives the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procflow/etl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
    size_t size;
    unsigned long damages, records;
    uint64_t digest;
    struct pf_etl_stats st;
};

static void breach(const char *what)
{
    fprintf(stderr, "fuzz_etl: invariant broken: %s\n", what);
    abort();
}

static void on_damage(void *ctx, const struct pf_damage *d)
{
    struct run *r = (struct run *)ctx;
    r->damages++;
    if (d->offset > r->size || d->resume_offset > r->size)
        breach("damage range outside the file");
}

static int read_once(const uint8_t *data, size_t size, struct run *r)
{
    memset(r, 0, sizeof(*r));
    r->size = size;
    struct pf_reader_options opt = {on_damage, r, 0};
    pf_etl *e = NULL;
    if (pf_etl_open_mem(&e, data, size, &opt) < 0)
        return -1;
    (void)pf_etl_info(e);
    struct pf_record rec;
    while (pf_etl_next(e, &rec) > 0 && r->records < 10000000ul) {
        r->records++;
        r->digest = r->digest * 1099511628211ull ^ ((uint64_t)rec.type << 56 ^ rec.ts_ns);
    }
    pf_etl_get_stats(e, &r->st);
    pf_etl_close(e);
    if (r->records < 10000000ul && r->st.records != r->records)
        breach("stats disagree with the records returned");
    if (r->st.bytes_skipped > size)
        breach("more bytes skipped than the file holds");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct run a, b; /* large (per-provider tables): not on the stack */
    if (read_once(data, size, &a) < 0)
        return 0;
    if (read_once(data, size, &b) < 0)
        breach("second open failed");
    if (a.records != b.records || a.digest != b.digest || a.damages != b.damages ||
        memcmp(&a.st, &b.st, sizeof(a.st)) != 0)
        breach("reading the same bytes twice gave different results");
    return 0;
}
