/* libFuzzer target for the capture reader: any bytes, read to the end with
 * every API a consumer uses. Must never crash, leak or read out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "procflow/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_damage(void *ctx, const struct pf_damage *d)
{
    size_t *n = (size_t *)ctx;
    *n += strlen(d->what) > 0;
}

static void on_chunk(void *ctx, const struct pf_chunk_info *c) { *(uint64_t *)ctx += c->records; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int skip = 0; skip < 2; skip++) {
        size_t damages = 0;
        uint64_t declared = 0;
        struct pf_reader_options ro = {on_damage, &damages, skip};
        pf_reader *r = NULL;
        if (pf_reader_open_mem(&r, data, size, &ro) != PF_OK) continue;
        pf_reader_on_chunk(r, on_chunk, &declared);
        const struct pf_file_info *info = pf_reader_info(r);
        volatile size_t sink = info->hostname ? strlen(info->hostname) : 0;
        struct pf_record rec;
        while (pf_reader_next(r, &rec) > 0) {
            /* touch every string byte so out-of-bounds pointers are caught */
            if (rec.type == PF_REC_PROCESS) {
                const struct pf_process *p = &rec.u.process;
                for (uint32_t i = 0; i < p->comm_len; i++) sink += (unsigned char)p->comm[i];
                for (uint32_t i = 0; i < p->exe_len; i++) sink += (unsigned char)p->exe[i];
                for (uint32_t i = 0; i < p->cmdline_len; i++) sink += (unsigned char)p->cmdline[i];
                for (uint32_t i = 0; i < p->user_len; i++) sink += (unsigned char)p->user[i];
            } else if (rec.type == PF_REC_MARKER) {
                for (uint32_t i = 0; i < rec.u.marker.text_len; i++) sink += (unsigned char)rec.u.marker.text[i];
            } else if (rec.type == PF_REC_TRAFFIC) {
                char buf[PF_ADDR_STRLEN];
                pf_addr_to_string(rec.u.traffic.key.family, rec.u.traffic.key.remote.addr, buf, sizeof(buf));
                sink += strlen(buf);
            }
        }
        struct pf_reader_stats st;
        pf_reader_get_stats(r, &st);
        (void)sink;
        pf_reader_close(r);
    }
    return 0;
}
