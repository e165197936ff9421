/* SPDX-License-Identifier: MIT */
/* A long synthetic .etl for the ingest memory benchmark: classic TcpIp v2
 * events (connect, sends, receives, disconnect) of 64 processes, each with
 * up to 32 connections open at a time, 20 events per connection, one event
 * every millisecond. Built with the test helper that writes .etl images.
 * usage: etlgen OUT.etl EVENTS */
#include <stdio.h>
#include <stdlib.h>

#include "etl_build.h"

#define START_FT 132223104000000000LL /* 2020-01-01 as FILETIME */
#define FREQ 10000000u                /* 10 MHz QPC */
#define RAW0 5000000

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: etlgen OUT.etl EVENTS\n");
        return 2;
    }
    unsigned long long events = strtoull(argv[2], NULL, 10);
    struct etlb b = {0};
    etlb_begin(&b, 8, 65536, 0, 9200, START_FT, FREQ, RAW0);
    static const uint8_t local[16] = {192, 0, 2, 10};
    uint8_t remote[16] = {198, 51, 100, 0};
    uint8_t p[256];
    for (unsigned long long i = 0; i < events; i++) {
        unsigned slot = (unsigned)(i % 2048);                  /* 64 pids x 32 connections */
        unsigned long long conn = i / 2048 / 20 * 2048 + slot; /* a new one every 20 rounds */
        unsigned step = (unsigned)(i / 2048 % 20);
        uint32_t pid = 1000 + slot / 32;
        uint16_t sport = (uint16_t)(32768 + conn % 28000);
        remote[3] = (uint8_t)(1 + conn % 200);
        int64_t ts = RAW0 + (int64_t)i * 10000; /* 1 ms */
        unsigned opcode = step == 0 ? 12 : step == 19 ? 13 : step % 2 ? 10 : 11;
        int layout = opcode == 12 ? ETLB_NET_CONNECT : opcode == 10 ? ETLB_NET_SEND : ETLB_NET_GENERIC;
        size_t n = etlb_net_payload(p, 8, 0, pid, opcode == 12 || opcode == 13 ? 0 : 100 + (uint32_t)(i % 1400), remote,
                                    local, 443, sport, conn + 1, layout);
        etlb_sys(&b, ETLB_SYSTEM64, 6, opcode, 2, pid, ts, p, n);
    }
    size_t len;
    uint8_t *img = etlb_finish(&b, &len);
    if (!img) {
        fprintf(stderr, "etlgen: out of memory\n");
        return 1;
    }
    FILE *f = fopen(argv[1], "wb");
    int ok = f && fwrite(img, 1, len, f) == len;
    if (f && fclose(f))
        ok = 0;
    free(img);
    if (!ok) {
        fprintf(stderr, "etlgen: cannot write %s\n", argv[1]);
        return 1;
    }
    return 0;
}
