/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the capture reader: any bytes, read to the end with
 * every API a consumer uses. Must never crash, leak or read out of bounds,
 * and must keep the reader's promises (checked on every input, aborting on
 * a breach so the fuzzer reports it):
 *   - records decoded never exceed what intact chunks declare, nor the
 *     footer's count when the file counts as cleanly closed;
 *   - no chunk is entered twice (sequence numbers unique);
 *   - every damage range lies inside the file, in order;
 *   - the stats agree with what was returned;
 *   - reading the same bytes again gives the same records and stats. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procflow/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SEQS 4096

struct run {
    size_t size;
    uint64_t damages;
    uint64_t declared; /* records declared by the chunks entered */
    uint64_t chunks;
    uint64_t seqs[MAX_SEQS];
    size_t nseqs;
    uint64_t records, digest;
    struct pf_reader_stats st;
};

static void breach(const char *what)
{
    fprintf(stderr, "fuzz_reader: invariant broken: %s\n", what);
    abort();
}

static void on_damage(void *ctx, const struct pf_damage *d)
{
    struct run *r = (struct run *)ctx;
    r->damages++;
    if (d->offset > r->size || d->resume_offset > r->size || d->resume_offset < d->offset)
        breach("damage range outside the file");
    if (!d->what[0] || !memchr(d->what, 0, sizeof(d->what)))
        breach("damage without a one-line reason");
}

static void on_chunk(void *ctx, const struct pf_chunk_info *c)
{
    struct run *r = (struct run *)ctx;
    r->declared += c->records;
    r->chunks++;
    if (c->offset + c->block_bytes > r->size)
        breach("chunk outside the file");
    for (size_t i = 0; i < r->nseqs; i++)
        if (r->seqs[i] == c->seq)
            breach("a chunk was entered twice");
    if (r->nseqs < MAX_SEQS)
        r->seqs[r->nseqs++] = c->seq;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

static int read_once(const uint8_t *data, size_t size, int skip, struct run *r)
{
    memset(r, 0, sizeof(*r));
    r->size = size;
    struct pf_reader_options ro = {on_damage, r, skip};
    pf_reader *rd = NULL;
    if (pf_reader_open_mem(&rd, data, size, &ro) != PF_OK)
        return -1;
    pf_reader_on_chunk(rd, on_chunk, r);
    const struct pf_file_info *info = pf_reader_info(rd);
    volatile size_t sink = info->hostname ? strlen(info->hostname) : 0;
    struct pf_record rec;
    int rc;
    while ((rc = pf_reader_next(rd, &rec)) > 0) {
        r->records++;
        r->digest = mix(mix(mix(r->digest, rec.type), rec.ts_ns), (uint64_t)rec.utc_ns);
        /* touch every string byte so out-of-bounds pointers are caught */
        if (rec.type == PF_REC_PROCESS) {
            const struct pf_process *p = &rec.u.process;
            for (uint32_t i = 0; i < p->comm_len; i++)
                sink += (unsigned char)p->comm[i];
            for (uint32_t i = 0; i < p->exe_len; i++)
                sink += (unsigned char)p->exe[i];
            for (uint32_t i = 0; i < p->cmdline_len; i++)
                sink += (unsigned char)p->cmdline[i];
            for (uint32_t i = 0; i < p->user_len; i++)
                sink += (unsigned char)p->user[i];
            r->digest = mix(r->digest, p->pid);
        } else if (rec.type == PF_REC_MARKER) {
            for (uint32_t i = 0; i < rec.u.marker.text_len; i++)
                sink += (unsigned char)rec.u.marker.text[i];
        } else if (rec.type == PF_REC_DNS) {
            const struct pf_dns *d = &rec.u.dns;
            for (uint32_t i = 0; i < d->qname_len; i++)
                sink += (unsigned char)d->qname[i];
            for (uint32_t i = 0; i < d->cname_len; i++)
                sink += (unsigned char)d->cname[i];
            if (d->nanswers > PF_MAX_DNS_ANSWERS)
                breach("more DNS answers than the limit");
            for (uint32_t i = 0; i < d->nanswers; i++) {
                if (d->answers[i].family != PF_AF_INET && d->answers[i].family != PF_AF_INET6)
                    breach("DNS answer of another family");
                r->digest = mix(mix(r->digest, d->answers[i].ttl), d->answers[i].addr[0]);
            }
        } else if (rec.type == PF_REC_TRAFFIC) {
            char buf[PF_ADDR_STRLEN];
            pf_addr_to_string(rec.u.traffic.key.family, rec.u.traffic.key.remote.addr, buf, sizeof(buf));
            sink += strlen(buf);
            r->digest = mix(mix(r->digest, rec.u.traffic.bytes_sent), rec.u.traffic.bytes_recv);
        }
    }
    (void)sink;
    pf_reader_get_stats(rd, &r->st);
    pf_reader_close(rd);
    if (rc < 0 && rc != PF_E_NOMEM)
        breach("reading stopped with an error other than out of memory");
    const struct pf_reader_stats *st = &r->st;
    if (st->records > r->declared)
        breach("more records than the intact chunks declare");
    if (!skip && st->records != r->records)
        breach("stats disagree with the records returned");
    if (skip && st->records != r->declared)
        breach("header-only read: records differ from the chunk headers");
    if (st->clean_close && st->records > st->footer_records)
        breach("more records than the footer's count");
    if (st->chunks_ok > r->chunks)
        breach("more intact chunks than chunks entered");
    if (st->file_bytes != size)
        breach("file size");
    if (st->bytes_skipped > size)
        breach("more bytes skipped than the file holds");
    if (st->chunks_damaged && !r->damages)
        breach("damaged chunks without a damage report");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int skip = 0; skip < 2; skip++) {
        static struct run a, b; /* large: not on the stack */
        if (read_once(data, size, skip, &a) < 0)
            continue;
        if (read_once(data, size, skip, &b) < 0)
            breach("second open failed");
        if (a.records != b.records || a.digest != b.digest || a.damages != b.damages ||
            memcmp(&a.st, &b.st, sizeof(a.st)) != 0)
            breach("reading the same bytes twice gave different results");
    }
    return 0;
}
