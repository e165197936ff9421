/* SPDX-License-Identifier: MIT */
/* Writes the seed corpus for fuzz_reader: small valid captures of every
 * record type, a truncated one and a damaged one. Run once; the output is
 * committed under tests/fuzz/corpus/reader/. */
#include <stdio.h>
#include <string.h>

#include "pfgen.h"

static void save(const char *dir, const char *name, const uint8_t *d, size_t n)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); return; }
    fwrite(d, 1, n, f);
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: make_seeds DIR\n"); return 2; }
    uint64_t counts[] = {0, 3, 40, 300};
    uint32_t chunk[] = {0, 64, 256, 2048};
    for (int i = 0; i < 4; i++) {
        struct pfgen_options o;
        pfgen_default_options(&o);
        o.records = counts[i];
        o.processes = 4;
        o.flows = 6;
        o.seed = 7 + (uint64_t)i;
        struct pf_file_info info;
        pfgen_file_info(&o, &info);
        struct pf_writer_options wo;
        memset(&wo, 0, sizeof(wo));
        wo.chunk_bytes = chunk[i];
        wo.store_uncompressed = i == 2; /* lets mutations reach record decoding */
        pf_writer *w = NULL;
        if (pf_writer_open_mem(&w, &info, &wo) || pfgen_write(w, &o) || pf_writer_close(w)) return 1;
        size_t n;
        const uint8_t *d = pf_writer_mem(w, &n);
        char name[64];
        snprintf(name, sizeof(name), "gen-%llu%s.pfcap", (unsigned long long)counts[i], i == 2 ? "-stored" : "");
        save(argv[1], name, d, n);
        if (i == 3) {
            save(argv[1], "truncated.pfcap", d, n * 2 / 3);
            uint8_t copy[65536];
            if (n <= sizeof(copy)) {
                memcpy(copy, d, n);
                copy[n / 2] ^= 0x10;
                save(argv[1], "bitflip.pfcap", copy, n);
            }
        }
        pf_writer_destroy(w);
    }
    return 0;
}
