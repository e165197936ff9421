/* SPDX-License-Identifier: MIT */
/* Where each chunk of a capture lies, learned from a clean read. */
#ifndef PF_CHUNK_MAP_H
#define PF_CHUNK_MAP_H
#include "procflow/format.h"

#define MAX_CHUNKS 256
struct chunk_map {
    size_t n;
    struct pf_chunk_info c[MAX_CHUNKS];
    size_t first_record[MAX_CHUNKS]; /* index of the chunk's first record in file order */
    size_t records_seen;
};

static void map_chunk(void *ctx, const struct pf_chunk_info *ci)
{
    struct chunk_map *m = (struct chunk_map *)ctx;
    if (m->n < MAX_CHUNKS) {
        m->first_record[m->n] = m->records_seen;
        m->c[m->n++] = *ci;
    }
    m->records_seen += ci->records;
}

static int build_chunk_map(const uint8_t *data, size_t len, struct chunk_map *m)
{
    memset(m, 0, sizeof(*m));
    pf_reader *r = NULL;
    if (pf_reader_open_mem(&r, data, len, NULL))
        return -1;
    pf_reader_on_chunk(r, map_chunk, m);
    struct pf_record rec;
    while (pf_reader_next(r, &rec) > 0) {
    }
    pf_reader_close(r);
    return 0;
}

/* A small generated capture with many chunks. Caller frees the writer. */
static pf_writer *small_capture(uint64_t records, uint32_t chunk_bytes, const uint8_t **data, size_t *len)
{
    struct pfgen_options o;
    pfgen_default_options(&o);
    o.records = records;
    o.processes = 12;
    o.flows = 30;
    o.mean_step_ns = 50000000;
    struct pf_file_info info;
    pfgen_file_info(&o, &info);
    struct pf_writer_options wo;
    memset(&wo, 0, sizeof(wo));
    wo.chunk_bytes = chunk_bytes;
    pf_writer *w = NULL;
    if (pf_writer_open_mem(&w, &info, &wo) || pfgen_write(w, &o) || pf_writer_close(w)) {
        pf_writer_destroy(w);
        return NULL;
    }
    *data = pf_writer_mem(w, len);
    return w;
}
#endif
