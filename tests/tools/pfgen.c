/* pfgen: writes a deterministic synthetic capture.
 *   pfgen -o FILE.pfcap -n RECORDS [--seed N] [--processes N] [--flows N]
 *         [--start-utc NS] [--step-ns NS] [--chunk-bytes N] [--force] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfgen.h"

static void usage(void)
{
    fprintf(stderr, "usage: pfgen -o FILE.pfcap -n RECORDS [--seed N] [--processes N] [--flows N]\n"
                    "             [--start-utc NS] [--step-ns NS] [--chunk-bytes N] [--force]\n");
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end) return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    struct pfgen_options o;
    pfgen_default_options(&o);
    struct pf_writer_options wo;
    memset(&wo, 0, sizeof(wo));
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        uint64_t v = 0;
        if (!strcmp(a, "--force")) { wo.overwrite = 1; continue; }
        if (i + 1 >= argc) { usage(); return 2; }
        const char *val = argv[++i];
        if (!strcmp(a, "-o")) { out = val; continue; }
        if (parse_u64(val, &v)) { fprintf(stderr, "pfgen: %s: not a number: %s\n", a, val); return 2; }
        if (!strcmp(a, "-n")) o.records = v;
        else if (!strcmp(a, "--seed")) o.seed = v;
        else if (!strcmp(a, "--processes")) o.processes = (uint32_t)v;
        else if (!strcmp(a, "--flows")) o.flows = (uint32_t)v;
        else if (!strcmp(a, "--start-utc")) o.start_utc_ns = (int64_t)v;
        else if (!strcmp(a, "--step-ns")) o.mean_step_ns = v;
        else if (!strcmp(a, "--chunk-bytes")) wo.chunk_bytes = (uint32_t)v;
        else { usage(); return 2; }
    }
    if (!out) { usage(); return 2; }
    struct pf_file_info info;
    pfgen_file_info(&o, &info);
    pf_writer *w = NULL;
    int rc = pf_writer_open(&w, out, &info, &wo);
    if (rc) { fprintf(stderr, "pfgen: %s: %s\n", out, pf_strerror(rc)); return 1; }
    rc = pfgen_write(w, &o);
    if (rc == 0) rc = pf_writer_close(w);
    if (rc) {
        fprintf(stderr, "pfgen: %s: %s\n", out, pf_strerror(rc));
        pf_writer_destroy(w);
        return 1;
    }
    struct pf_writer_stats st;
    pf_writer_get_stats(w, &st);
    printf("%s: %llu records, %llu chunks, %llu bytes\n", out, (unsigned long long)st.records,
           (unsigned long long)st.chunks, (unsigned long long)st.bytes_on_disk);
    pf_writer_destroy(w);
    return 0;
}
