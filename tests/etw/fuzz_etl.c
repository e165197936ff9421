/* libFuzzer target for the .etl reader: any bytes in, no crash, no leak,
 * bounded work. Built with -DPF_FUZZ=ON (clang); fuzz_etl_replay runs the
 * same entry point over the committed corpus in ordinary builds. */
#include <stddef.h>
#include <stdint.h>

#include "procflow/etl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_damage(void *ctx, const struct pf_damage *d)
{
    (void)d;
    ++*(unsigned *)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned damage = 0;
    struct pf_reader_options opt = {on_damage, &damage, 0};
    pf_etl *e = NULL;
    if (pf_etl_open_mem(&e, data, size, &opt) < 0)
        return 0;
    (void)pf_etl_info(e);
    struct pf_record r;
    unsigned long n = 0;
    while (pf_etl_next(e, &r) > 0 && n < 10000000ul)
        n++;
    struct pf_etl_stats st;
    pf_etl_get_stats(e, &st);
    pf_etl_close(e);
    return 0;
}
