/* SPDX-License-Identifier: MIT */
/* Writes the seed corpus of fuzz_ingest: small generated captures (zstd and
 * stored chunks), the hand-built analyzer scenarios (basic, hostile, three,
 * passive, extreme and damaged copies), and small synthetic .etl traces with
 * process and network events. Run once; the output is committed under
 * tests/analyzer/corpus/ (after a libFuzzer -merge=1 pass).
 *   make_ingest_seeds DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etl_build.h"
#include "pfgen.h"
#include "scenarios.h"

static int save(const char *dir, const char *name, const uint8_t *d, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return -1;
    }
    int bad = fwrite(d, 1, n, f) != n;
    bad |= fclose(f) != 0;
    return bad ? -1 : 0;
}

static int generated(const char *dir)
{
    static const uint64_t counts[] = {0, 5, 60, 400};
    static const uint32_t chunk[] = {0, 128, 512, 4096};
    for (int i = 0; i < 4; i++) {
        struct pfgen_options o;
        pfgen_default_options(&o);
        o.records = counts[i];
        o.processes = 3;
        o.flows = 5;
        o.seed = 11 + (uint64_t)i;
        struct pf_file_info info;
        pfgen_file_info(&o, &info);
        struct pf_writer_options wo = {.chunk_bytes = chunk[i], .store_uncompressed = i == 2};
        pf_writer *w = NULL;
        if (pf_writer_open_mem(&w, &info, &wo) || pfgen_write(w, &o) || pf_writer_close(w)) {
            pf_writer_destroy(w);
            return -1;
        }
        size_t n;
        const uint8_t *d = pf_writer_mem(w, &n);
        char name[64];
        snprintf(name, sizeof name, "gen-%llu%s.pfcap", (unsigned long long)counts[i], i == 2 ? "-stored" : "");
        int rc = save(dir, name, d, n);
        pf_writer_destroy(w);
        if (rc)
            return rc;
    }
    return 0;
}

static int scenarios(const char *dir)
{
    static const char *const names[] = {"basic", "hostile", "three", "passive", "extreme"};
    char path[4096];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/scenario-%s.pfcap", dir, names[i]);
        if (sc_write(names[i], path) < 0)
            return -1;
    }
    snprintf(path, sizeof path, "%s/scenario-three-flipped.pfcap", dir);
    if (sc_write_damaged("flip", path) < 0)
        return -1;
    snprintf(path, sizeof path, "%s/scenario-three-cut.pfcap", dir);
    return sc_write_damaged("cut", path) < 0 ? -1 : 0;
}

/* A short Windows session: a process with a hostile command line connects,
 * sends and receives over TCP, talks UDP, and exits. */
static int etl(const char *dir, unsigned psize, int compress)
{
    static const uint8_t local[4] = {192, 0, 2, 1}, remote[4] = {203, 0, 113, 9};
    static const uint8_t local6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0xa};
    static const uint8_t remote6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0xb};
    const int64_t raw0 = 5000000;
    struct etlb b = {0};
    b.events_lost = 2;
    uint8_t p[1024];
    size_t n;
    int w = psize == 8;
    int sys = w ? ETLB_SYSTEM64 : ETLB_SYSTEM32;
    etlb_begin(&b, psize, 1024, compress, 19041, 132223104000000000LL, 10000000u, raw0);
    n = etlb_proc_payload(p, sizeof p, psize, 4, 40, 4, 0x103, 1, "evil.exe",
                          "evil.exe \"x'; DROP TABLE flows; --\" \x1b[2J");
    etlb_sys(&b, sys, 3, 1, 4, 0, raw0 + 10, p, n);
    n = etlb_net_payload(p, psize, 0, 40, 0, remote, local, 443, 40000, 0x70, 1);
    etlb_sys(&b, sys, 6, 12, 2, 40, raw0 + 20, p, n);
    for (unsigned i = 1; i <= 6; i++) {
        n = etlb_net_payload(p, psize, 0, 40, 100 * i, remote, local, 443, 40000, 0x70, i % 2);
        etlb_sys(&b, sys, 6, i % 2 ? 10 : 11, 2, 40, raw0 + 20 + 10 * i, p, n);
    }
    n = etlb_net_payload(p, psize, 1, 40, 64, local6, remote6, 5353, 53, 0, 0);
    etlb_sys(&b, w ? ETLB_PERFINFO64 : ETLB_PERFINFO32, 8, 11, 2, 0, raw0 + 200, p, n);
    n = etlb_net_payload(p, psize, 0, 40, 0, remote, local, 443, 40000, 0x70, 1);
    etlb_sys(&b, sys, 6, 13, 2, 40, raw0 + 300, p, n);
    etlb_flush(&b);
    n = etlb_proc_payload(p, sizeof p, psize, 4, 40, 4, 0, 0, "evil.exe", "");
    etlb_sys(&b, sys, 3, 2, 4, 0, raw0 + 400, p, n);
    size_t len;
    uint8_t *img = etlb_finish(&b, &len);
    if (!img)
        return -1;
    char name[64];
    snprintf(name, sizeof name, "etl-p%u-%s.etl", psize, compress ? "xpress" : "plain");
    int rc = save(dir, name, img, len);
    free(img);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_ingest_seeds DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    if (generated(dir) || scenarios(dir) || etl(dir, 4, 0) || etl(dir, 8, 1)) {
        fprintf(stderr, "make_ingest_seeds: failed\n");
        return 1;
    }
    return 0;
}
