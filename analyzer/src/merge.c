/* SPDX-License-Identifier: MIT */
/* convert with several inputs: merges captures of one host into one file in
 * capture-clock order, with time cuts. A .pfcap file holds one host
 * (schema/capture-format.md §11), so inputs of several hosts are grouped by
 * host and each group goes to a file of its own (--split-by host). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfa.h"
#include "pfa_merge.h"

/* Two captures whose clocks map to UTC this far apart are not on the same
 * clock (another boot): their process start times would not compare. */
#define SAME_CLOCK_NS (60ll * 1000000000ll)

static const char *host_of(const struct pf_file_info *fi) { return fi && fi->hostname ? fi->hostname : ""; }

static int64_t clock_offset(uint64_t clock_ns, int64_t utc_ns) { return (int64_t)((uint64_t)utc_ns - clock_ns); }

int pfa_merge_check(pfa_source *const *in, size_t n, char *err, size_t errlen)
{
    const struct pf_file_info *a = pfa_source_info(in[0]);
    int64_t off0 = clock_offset(a->anchor_clock_ns, a->anchor_utc_ns);
    for (size_t i = 1; i < n; i++) {
        const struct pf_file_info *b = pfa_source_info(in[i]);
        if (strcmp(host_of(a), host_of(b))) {
            snprintf(err, errlen,
                     "inputs %zu and 1 are from different hosts ('%s', '%s'): a capture file holds one "
                     "host; use --split-by host -o DIR (one file per host) or --host NAME",
                     i + 1, host_of(b), host_of(a));
            return -1;
        }
        if (a->clock_id != b->clock_id) {
            snprintf(err, errlen, "input %zu counts time on another clock (%u) than input 1 (%u)", i + 1, b->clock_id,
                     a->clock_id);
            return -1;
        }
        int64_t d = clock_offset(b->anchor_clock_ns, b->anchor_utc_ns) - off0;
        if (a->clock_id != PF_CLOCK_UTC && (d > SAME_CLOCK_NS || d < -SAME_CLOCK_NS)) {
            snprintf(err, errlen,
                     "input %zu was recorded on another boot of host '%s' than input 1 (their clocks "
                     "differ by %lld s): convert them to separate files",
                     i + 1, host_of(a), (long long)(d / 1000000000ll));
            return -1;
        }
        const char *ra = a->redaction ? a->redaction : "", *rb = b->redaction ? b->redaction : "";
        if (strcmp(ra, rb)) {
            snprintf(err, errlen,
                     "input %zu is redacted otherwise than input 1 ('%s', '%s'): a file states one redaction", i + 1,
                     rb, ra);
            return -1;
        }
    }
    return 0;
}

/* Records that say what exists rather than what happened when are kept
 * whatever the time cut: processes, host facts, clock anchors. */
static int in_window(const struct pf_record *r, const struct pfa_merge_options *o)
{
    if (r->type == PF_REC_PROCESS || r->type == PF_REC_HOSTINFO || r->type == PF_REC_CLOCK)
        return 1;
    if (o->have_from && r->utc_ns < o->from_ns)
        return 0;
    if (o->have_to && r->utc_ns > o->to_ns)
        return 0;
    return 1;
}

struct head {
    struct pf_record rec;
    int live;
    uint64_t anchor_clock; /* the input's anchor in force */
    int64_t anchor_utc;
};

int pfa_merge_write(pfa_source *const *in, size_t n, pf_writer *w, const struct pfa_merge_options *o, uint64_t *written,
                    char *err, size_t errlen)
{
    struct head *h = calloc(n, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "%s", pf_strerror(PF_E_NOMEM));
        return PF_E_NOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc >= 0; i++) {
        const struct pf_file_info *fi = pfa_source_info(in[i]);
        h[i].anchor_clock = fi->anchor_clock_ns;
        h[i].anchor_utc = fi->anchor_utc_ns;
        rc = pfa_source_next(in[i], &h[i].rec);
        h[i].live = rc == 1;
        if (rc < 0)
            snprintf(err, errlen, "input %zu: %s", i + 1, pf_strerror(rc));
    }
    /* The output's anchor in force: the header's (the caller copied input 1's). */
    uint64_t out_clock = pfa_source_info(in[0])->anchor_clock_ns;
    int64_t out_utc = pfa_source_info(in[0])->anchor_utc_ns;
    uint64_t count = 0;
    while (rc >= 0) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (h[i].live && (best == n || h[i].rec.ts_ns < h[best].rec.ts_ns))
                best = i;
        if (best == n)
            break;
        struct head *b = &h[best];
        struct pf_record *r = &b->rec;
        if (r->type == PF_REC_CLOCK) {
            b->anchor_clock = r->u.clock.clock_ns;
            b->anchor_utc = r->u.clock.utc_ns;
        }
        if (in_window(r, o)) {
            /* Each record keeps the UTC its own file gave it: when the next
             * record comes from a file whose clock maps otherwise, anchor again. */
            if (r->type != PF_REC_CLOCK &&
                clock_offset(b->anchor_clock, b->anchor_utc) != clock_offset(out_clock, out_utc)) {
                struct pf_record a;
                memset(&a, 0, sizeof a);
                a.type = PF_REC_CLOCK;
                a.ts_ns = r->ts_ns;
                a.u.clock.clock_ns = b->anchor_clock;
                a.u.clock.utc_ns = b->anchor_utc;
                if ((rc = pf_writer_write(w, &a)) < 0) {
                    snprintf(err, errlen, "write error: %s", pf_strerror(rc));
                    break;
                }
                out_clock = b->anchor_clock;
                out_utc = b->anchor_utc;
            }
            if ((rc = pf_writer_write(w, r)) < 0) {
                snprintf(err, errlen, "write error: %s", pf_strerror(rc));
                break;
            }
            if (r->type == PF_REC_CLOCK) {
                out_clock = r->u.clock.clock_ns;
                out_utc = r->u.clock.utc_ns;
            }
            count++;
        }
        rc = pfa_source_next(in[best], r);
        b->live = rc == 1;
        if (rc < 0)
            snprintf(err, errlen, "input %zu: %s", best + 1, pf_strerror(rc));
    }
    if (rc >= 0)
        err[0] = '\0';
    free(h);
    *written = count;
    return rc < 0 ? rc : 0;
}

void pfa_merge_file_name(const char *host, char *out, size_t len)
{
    size_t o = 0;
    if (!*host)
        host = "unknown-host";
    for (const char *c = host; *c && o + 1 < len && o < 200; c++) {
        unsigned char ch = (unsigned char)*c;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                 ch == '_' || (ch == '.' && o > 0);
        out[o++] = ok ? (char)ch : '_';
    }
    out[o] = '\0';
}
