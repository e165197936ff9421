/* SPDX-License-Identifier: MIT */
/* On-disk cost of DNS records: a host's lookups written with the traffic of
 * the sockets that made them, once with the DNS records and once without;
 * the difference over the number of DNS records is what each costs in a
 * real capture (compressed chunks, flow definitions shared with traffic).
 * Workload: 40 processes asking a stub resolver (127.0.0.53) for 400
 * names, A and AAAA in pairs on a fresh socket each (as glibc does), 1 to 4
 * answers each, one lookup pair every 20 ms.
 * Prints "name<TAB>value<TAB>unit" lines for bench/run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procflow/format.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

#define NAMES 400
static const char *const words[] = {"api",     "cdn",       "static", "login", "mail",
                                    "updates", "telemetry", "img",    "ws",    "auth"};
static const char *const zones[] = {"example.com", "example.net", "example.org", "service.example.test"};

static size_t write_capture(int with_dns, uint32_t pairs, uint64_t *dns_records)
{
    struct pf_file_info info;
    memset(&info, 0, sizeof info);
    info.hostname = "bench";
    info.clock_id = PF_CLOCK_BOOTTIME;
    pf_writer *w = NULL;
    if (pf_writer_open_mem(&w, &info, NULL) != PF_OK)
        exit(1);
    char names[NAMES][64];
    uint8_t nanswer[NAMES];
    for (int i = 0; i < NAMES; i++) {
        snprintf(names[i], sizeof names[i], "%s%d.%s", words[i % 10], i / 10, zones[i % 4]);
        nanswer[i] = (uint8_t)(1 + i % 4);
    }
    rng = 0x9e3779b97f4a7c15ull;
    *dns_records = 0;
    uint64_t t = 1000000000ull;
    for (uint32_t n = 0; n < pairs; n++) {
        t += 20000000ull;
        uint32_t name = rnd(NAMES) % NAMES;
        uint32_t pid = 1000 + rnd(40);
        struct pf_flow_key k;
        memset(&k, 0, sizeof k);
        k.pid = pid;
        k.pid_start_ns = 5000000000ull + pid * 10000000ull;
        k.sock_id = 0x100000 + n;
        k.proto = PF_PROTO_UDP;
        k.family = PF_AF_INET;
        k.local.addr[0] = 127;
        k.local.addr[3] = 1;
        k.local.port = (uint16_t)(32768 + rnd(28000));
        k.remote.addr[0] = 127;
        k.remote.addr[3] = 53;
        k.remote.port = 53;
        for (int q = 0; q < 2 && with_dns; q++) {
            struct pf_dns_answer ans[4];
            memset(ans, 0, sizeof ans);
            for (int a = 0; a < nanswer[name]; a++) {
                ans[a].family = q ? PF_AF_INET6 : PF_AF_INET;
                if (q) {
                    ans[a].addr[0] = 0x20;
                    ans[a].addr[1] = 0x01;
                    ans[a].addr[2] = 0x0d;
                    ans[a].addr[3] = 0xb8;
                    ans[a].addr[14] = (uint8_t)(name >> 8);
                    ans[a].addr[15] = (uint8_t)(name + (uint32_t)a);
                } else {
                    ans[a].addr[0] = 203;
                    ans[a].addr[1] = 0;
                    ans[a].addr[2] = 113;
                    ans[a].addr[3] = (uint8_t)(name + (uint32_t)a);
                }
                ans[a].ttl = 300 - (uint32_t)(t / 1000000000ull % 300);
            }
            struct pf_record r;
            memset(&r, 0, sizeof r);
            r.type = PF_REC_DNS;
            r.ts_ns = t + 300000 + (uint64_t)q * 1000;
            r.u.dns.key = k;
            r.u.dns.qtype = q ? 28 : 1;
            r.u.dns.qname = names[name];
            r.u.dns.qname_len = (uint32_t)strlen(names[name]);
            r.u.dns.nanswers = nanswer[name];
            r.u.dns.answers = ans;
            if (pf_writer_write(w, &r) != PF_OK)
                exit(1);
            (*dns_records)++;
        }
        /* the lookup socket's own traffic: two queries out, two answers in */
        struct pf_record r;
        memset(&r, 0, sizeof r);
        r.type = PF_REC_TRAFFIC;
        r.ts_ns = t + 400000;
        r.u.traffic.key = k;
        r.u.traffic.duration_ns = 400000;
        r.u.traffic.bytes_sent = 2 * (17 + strlen(names[name]));
        r.u.traffic.bytes_recv = 2 * (17 + strlen(names[name])) + 16u * nanswer[name] * 2;
        r.u.traffic.sends = 2;
        r.u.traffic.recvs = 2;
        r.u.traffic.flags = PF_TRAFFIC_FINAL;
        if (pf_writer_write(w, &r) != PF_OK)
            exit(1);
    }
    if (pf_writer_close(w) != PF_OK)
        exit(1);
    size_t len = 0;
    pf_writer_mem(w, &len);
    pf_writer_destroy(w);
    return len;
}

int main(int argc, char **argv)
{
    uint32_t pairs = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 50000;
    uint64_t n = 0, none = 0;
    size_t with = write_capture(1, pairs, &n);
    size_t without = write_capture(0, pairs, &none);
    printf("format.dns_records\t%llu\trecords\n", (unsigned long long)n);
    printf("format.dns_record_bytes_on_disk\t%.1f\tbytes/record (target <= 64)\n",
           n ? (double)(with - without) / (double)n : 0.0);
    return 0;
}
