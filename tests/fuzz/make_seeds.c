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
    if (!f) {
        perror(path);
        return;
    }
    fwrite(d, 1, n, f);
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds DIR\n");
        return 2;
    }
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
        if (pf_writer_open_mem(&w, &info, &wo) || pfgen_write(w, &o) || pf_writer_close(w))
            return 1;
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
    /* DNS records (format 1.1), stored so mutations reach their decoding */
    struct pf_writer_options wo;
    memset(&wo, 0, sizeof(wo));
    wo.store_uncompressed = 1;
    struct pf_file_info info;
    memset(&info, 0, sizeof(info));
    info.hostname = "seed";
    pf_writer *w = NULL;
    if (pf_writer_open_mem(&w, &info, &wo))
        return 1;
    struct pf_dns_answer ans[3];
    memset(ans, 0, sizeof(ans));
    ans[0].family = PF_AF_INET;
    ans[0].addr[0] = 192;
    ans[0].addr[2] = 2;
    ans[0].addr[3] = 80;
    ans[0].ttl = 300;
    ans[1].family = PF_AF_INET6;
    ans[1].addr[0] = 0x20;
    ans[1].addr[1] = 0x01;
    ans[1].addr[15] = 0x80;
    ans[1].ttl = 600;
    ans[2] = ans[0];
    ans[2].addr[3] = 81;
    static const char *const names[] = {"www.example.test", "alias.example.test", "nx.example.test"};
    for (int i = 0; i < 3; i++) {
        struct pf_record r;
        memset(&r, 0, sizeof(r));
        r.type = PF_REC_DNS;
        r.ts_ns = 1000000000u + (uint64_t)i * 1000000u;
        r.u.dns.key.pid = 4242;
        r.u.dns.key.pid_start_ns = 500000000ull;
        r.u.dns.key.sock_id = 77 + (uint64_t)(i == 2);
        r.u.dns.key.proto = i == 1 ? PF_PROTO_TCP : PF_PROTO_UDP;
        r.u.dns.key.family = PF_AF_INET;
        r.u.dns.key.local.addr[0] = 192;
        r.u.dns.key.local.addr[2] = 2;
        r.u.dns.key.local.addr[3] = 1;
        r.u.dns.key.local.port = 40000;
        r.u.dns.key.remote.addr[0] = 192;
        r.u.dns.key.remote.addr[2] = 2;
        r.u.dns.key.remote.addr[3] = 53;
        r.u.dns.key.remote.port = 53;
        r.u.dns.qtype = i == 1 ? 28 : 1;
        r.u.dns.rcode = i == 2 ? 3 : 0;
        r.u.dns.qname = names[i];
        r.u.dns.qname_len = (uint32_t)strlen(names[i]);
        if (i == 1) {
            r.u.dns.cname = names[0];
            r.u.dns.cname_len = (uint32_t)strlen(names[0]);
        }
        r.u.dns.nanswers = i == 2 ? 0 : i == 1 ? 1 : 3;
        r.u.dns.answers = i == 1 ? &ans[1] : ans;
        if (pf_writer_write(w, &r))
            return 1;
    }
    if (pf_writer_close(w))
        return 1;
    size_t n;
    const uint8_t *d = pf_writer_mem(w, &n);
    save(argv[1], "dns-stored.pfcap", d, n);
    pf_writer_destroy(w);
    return 0;
}
