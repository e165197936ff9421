/* SPDX-License-Identifier: MIT */
/* .etl reader on synthetic images: every event header type, 32- and 64-bit
 * headers, compressed buffers, exact records, clock conversion, skipped
 * provider counts; then damage: bad buffer sizes, truncation, broken LZ77
 * data, broken event markers, random byte flips. Damage must be reported and
 * skipped, never crash (run under ASan/valgrind to make that meaningful).
 *
 * usage: test_etl_synth [--write-corpus DIR] [--real DIR] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etl_build.h"
#include "procflow/etl.h"
#include "procflow/etw_decode.h"

static int failures;
#define PF_CHECK_FAILURES failures
#include "../check.h"

static const uint8_t A4[4] = {192, 0, 2, 1}, B4[4] = {203, 0, 113, 9};
static const uint8_t A6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xa};
static const uint8_t B6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xb};

/* 2020-01-01T00:00:00Z as FILETIME, and its Unix ns. */
#define START_FT 132223104000000000LL
#define START_NS 1577836800000000000ULL
#define FREQ 10000000u /* 10 MHz QPC: one tick = 100 ns */
#define RAW0 5000000

#define FILLER 400 /* Kernel-Network sends to span several buffers */

/* Builds the standard synthetic trace. */
static uint8_t *build_lost(unsigned psize, int compress, size_t *len, uint32_t ev_lost, uint32_t buf_lost)
{
    struct etlb b = {0};
    b.events_lost = ev_lost;
    b.buffers_lost = buf_lost;
    uint8_t p[1024];
    size_t n;
    int w = psize == 8;
    etlb_begin(&b, psize, 4096, compress, 9200, START_FT, FREQ, RAW0);
    /* 1: system header TcpIp SendIPV4, 1000 bytes, pid 10. */
    n = etlb_net_payload(p, psize, 0, 10, 1000, B4, A4, 443, 40000, 0x51, 1);
    etlb_sys(&b, w ? ETLB_SYSTEM64 : ETLB_SYSTEM32, 6, 10, 2, UINT32_MAX, RAW0 + 10, p, n);
    /* 2: perfinfo header TcpIp RecvIPV6, 2000 bytes. */
    n = etlb_net_payload(p, psize, 1, 10, 2000, B6, A6, 443, 40001, 0x52, 0);
    etlb_sys(&b, w ? ETLB_PERFINFO64 : ETLB_PERFINFO32, 6, 27, 2, 0, RAW0 + 20, p, n);
    /* 3: compact header UdpIp Recv (sender B4:53 to local A4:5000). */
    n = etlb_net_payload(p, psize, 0, 11, 300, A4, B4, 5000, 53, 0, 0);
    etlb_sys(&b, w ? ETLB_COMPACT64 : ETLB_COMPACT32, 8, 11, 2, 0, RAW0 + 30, p, n);
    /* 4: full header with the TcpIp GUID: Connect. */
    n = etlb_net_payload(p, psize, 0, 12, 0, B4, A4, 80, 40002, 0x53, ETLB_NET_CONNECT);
    etlb_full(&b, w ? ETLB_FULL64 : ETLB_FULL32, etlb_guid_tcpip, 12, 2, 12, RAW0 + 40, p, n);
    /* 5: instance header, other provider: skipped. */
    etlb_full(&b, w ? ETLB_INSTANCE64 : ETLB_INSTANCE32, etlb_guid_other, 1, 0, 12, RAW0 + 50, "xyz", 3);
    /* 6: EVENT_HEADER with extended data: Kernel-Network UDPv4 receive. */
    n = etlb_net_payload(p, psize, 0, 13, 64, A4, B4, 5001, 5353, 0x54, 0);
    etlb_evh(&b, w ? ETLB_EVENT64 : ETLB_EVENT32, etlb_guid_knet, 43, 0, 0, RAW0 + 60, 1, p, n);
    /* 7: EVENT_HEADER, other provider: skipped. */
    etlb_evh(&b, w ? ETLB_EVENT64 : ETLB_EVENT32, etlb_guid_other, 5, 0, 1, RAW0 + 70, 0, "abcdefgh", 8);
    /* 8: message header: skipped. */
    etlb_message(&b, 20);
    /* 9: Process start v4 (group 3). */
    n = etlb_proc_payload(p, sizeof p, psize, 4, 10, 4, 0x103, 1, "app.exe", "app.exe --flag");
    etlb_sys(&b, w ? ETLB_SYSTEM64 : ETLB_SYSTEM32, 3, 1, 4, 0, RAW0 + 80, p, n);
    /* 10: image load (group 0x0a): skipped, counted by group. */
    etlb_sys(&b, w ? ETLB_SYSTEM64 : ETLB_SYSTEM32, 0x0a, 10, 2, 0, RAW0 + 90, "imgimg", 6);
    /* 11: TCPCopy: known, counted, no record. */
    n = etlb_net_payload(p, psize, 0, 10, 2000, B4, A4, 443, 40000, 0x51, 0);
    etlb_sys(&b, w ? ETLB_SYSTEM64 : ETLB_SYSTEM32, 6, 18, 2, 0, RAW0 + 95, p, n);
    /* Filler: Kernel-Network TCPv4 sends of 1..FILLER bytes. */
    for (unsigned i = 1; i <= FILLER; i++) {
        n = etlb_net_payload(p, psize, 0, 20, i, B4, A4, 8080, 41000, 0x60, 1);
        etlb_evh(&b, w ? ETLB_EVENT64 : ETLB_EVENT32, etlb_guid_knet, 10, 0, 0, RAW0 + 100 + i, 0, p, n);
    }
    /* Process end. */
    n = etlb_proc_payload(p, sizeof p, psize, 4, 10, 4, 0, 0, "app.exe", "");
    etlb_sys(&b, w ? ETLB_SYSTEM64 : ETLB_SYSTEM32, 3, 2, 4, 0, RAW0 + 1000, p, n);
    return etlb_finish(&b, len);
}

#define TOTAL_RECORDS (6 + FILLER + 1)

static uint8_t *build(unsigned psize, int compress, size_t *len) { return build_lost(psize, compress, len, 0, 0); }

/* Losses stated in the logfile header are statistics, not records (the
 * analyzer stores them from pf_etl_get_stats). */
static void test_header_losses(void)
{
    size_t len = 0;
    uint8_t *img = build_lost(8, 0, &len, 5, 2);
    pf_etl *e = NULL;
    CHECK_EQ(pf_etl_open_mem(&e, img, len, NULL), PF_OK);
    struct pf_record r;
    unsigned n = 0;
    while (pf_etl_next(e, &r) > 0) {
        CHECK(r.type != PF_REC_LOSS);
        n++;
    }
    CHECK_EQ(n, TOTAL_RECORDS);
    struct pf_etl_stats st;
    pf_etl_get_stats(e, &st);
    CHECK_EQ(st.events_lost, 5);
    CHECK_EQ(st.buffers_lost, 2);
    CHECK_EQ(st.records, TOTAL_RECORDS);
    pf_etl_close(e);
    free(img);
}

struct run {
    unsigned damage;
    int first_error;
    unsigned long long records, traffic_bytes;
    struct pf_etl_stats st;
    int rc;
};

static void on_damage(void *ctx, const struct pf_damage *d)
{
    struct run *r = ctx;
    if (!r->damage)
        r->first_error = d->error;
    r->damage++;
    CHECK(d->what[0] != '\0');
    CHECK(d->resume_offset >= d->offset);
}

static int read_all(const uint8_t *img, size_t len, struct run *r)
{
    memset(r, 0, sizeof *r);
    struct pf_reader_options opt = {on_damage, r, 0};
    pf_etl *e = NULL;
    int rc = pf_etl_open_mem(&e, img, len, &opt);
    r->rc = rc;
    if (rc < 0)
        return rc;
    struct pf_record rec;
    int guard = 0;
    while ((rc = pf_etl_next(e, &rec)) > 0 && guard++ < 10000000) {
        r->records++;
        if (rec.type == PF_REC_TRAFFIC)
            r->traffic_bytes += rec.u.traffic.bytes_sent + rec.u.traffic.bytes_recv;
    }
    r->rc = rc;
    pf_etl_get_stats(e, &r->st);
    pf_etl_close(e);
    return rc;
}

/* Classic TcpIp/Process events carried in EVENT_HEADERs (descriptor id 0,
 * event type in the opcode) decode like their system-header form. */
static void test_classic_in_event_header(void)
{
    struct etlb b = {0};
    uint8_t p[512];
    size_t n, len = 0;
    etlb_begin(&b, 8, 4096, 0, 9200, START_FT, FREQ, RAW0);
    n = etlb_proc_payload(p, sizeof p, 8, 4, 31, 4, 0x103, 0, "x.exe", "x.exe");
    etlb_evh_op(&b, ETLB_EVENT64, etlb_guid_process, 0, 1, 4, RAW0 + 1, p, n);
    n = etlb_net_payload(p, 8, 0, 31, 700, B4, A4, 443, 40000, 9, 1);
    etlb_evh_op(&b, ETLB_EVENT64, etlb_guid_tcpip, 0, 10, 2, RAW0 + 2, p, n);
    n = etlb_net_payload(p, 8, 0, 31, 70, A4, B4, 5000, 53, 9, 0);
    etlb_evh_op(&b, ETLB_EVENT64, etlb_guid_udpip, 0, 11, 2, RAW0 + 3, p, n);
    uint8_t *img = etlb_finish(&b, &len);
    pf_etl *e = NULL;
    CHECK(img != NULL);
    CHECK_EQ(pf_etl_open_mem(&e, img, len, NULL), PF_OK);
    struct pf_record r;
    CHECK_EQ(pf_etl_next(e, &r), 1);
    CHECK_EQ(r.type, PF_REC_PROCESS);
    CHECK_EQ(r.u.process.event, PF_PROC_START);
    CHECK_EQ(r.u.process.pid, 31);
    CHECK_EQ(pf_etl_next(e, &r), 1);
    CHECK_EQ(r.type, PF_REC_TRAFFIC);
    CHECK_EQ(r.u.traffic.bytes_sent, 700);
    CHECK_EQ(r.u.traffic.key.pid_start_ns, START_NS + 100);
    CHECK_EQ(pf_etl_next(e, &r), 1);
    CHECK_EQ(r.u.traffic.bytes_recv, 70);
    CHECK_EQ(r.u.traffic.key.remote.port, 53);
    CHECK_EQ(pf_etl_next(e, &r), 0);
    struct pf_etl_stats st;
    pf_etl_get_stats(e, &st);
    CHECK_EQ(st.by_id[PF_ETW_PROV_TCPIP][10], 1);
    CHECK_EQ(st.by_id[PF_ETW_PROV_UDPIP][11], 1);
    CHECK_EQ(st.by_id[PF_ETW_PROV_PROCESS][1], 1);
    pf_etl_close(e);
    free(img);
}

static void check_records(unsigned psize, int compress)
{
    size_t len = 0;
    uint8_t *img = build(psize, compress, &len);
    CHECK(img != NULL);
    if (!img)
        return;
    CHECK_EQ(pf_etl_probe(img, len), 1);
    struct pf_reader_options opt = {NULL, NULL, 0};
    pf_etl *e = NULL;
    CHECK_EQ(pf_etl_open_mem(&e, img, len, &opt), PF_OK);
    if (!e) {
        free(img);
        return;
    }
    const struct pf_file_info *fi = pf_etl_info(e);
    CHECK(!strcmp(fi->os_release, "6.2.9200"));
    CHECK(!strcmp(fi->recorder, "ETW session Synth"));
    CHECK_EQ(fi->start_utc_ns, START_NS);
    CHECK_EQ(fi->clock_id, PF_CLOCK_UTC);

    struct pf_record r;
    unsigned i = 0;
    unsigned long long filler_bytes = 0;
    while (pf_etl_next(e, &r) > 0) {
        i++;
        CHECK_EQ(r.utc_ns, r.ts_ns);
        switch (i) {
        case 1:
            CHECK_EQ(r.type, PF_REC_TRAFFIC);
            CHECK_EQ(r.ts_ns, START_NS + 10 * 100); /* 10 ticks of 100 ns */
            CHECK_EQ(r.u.traffic.key.pid, 10);
            CHECK_EQ(r.u.traffic.bytes_sent, 1000);
            CHECK_EQ(r.u.traffic.key.local.port, 40000);
            CHECK_EQ(r.u.traffic.key.sock_id, 0x51);
            break;
        case 2:
            CHECK_EQ(r.u.traffic.bytes_recv, 2000);
            CHECK_EQ(r.u.traffic.key.family, PF_AF_INET6);
            CHECK(!memcmp(r.u.traffic.key.local.addr, A6, 16));
            CHECK_EQ(r.ts_ns, START_NS + 2000);
            break;
        case 3:
            CHECK_EQ(r.u.traffic.key.proto, PF_PROTO_UDP);
            CHECK_EQ(r.u.traffic.key.remote.port, 53);
            CHECK(!memcmp(r.u.traffic.key.remote.addr, B4, 4));
            CHECK_EQ(r.u.traffic.key.local.port, 5000);
            break;
        case 4:
            CHECK_EQ(r.type, PF_REC_SOCKET);
            CHECK_EQ(r.u.socket.event, PF_SOCK_CONNECT);
            CHECK_EQ(r.u.socket.key.sock_id, 0x53);
            break;
        case 5:
            CHECK_EQ(r.type, PF_REC_TRAFFIC);
            CHECK_EQ(r.u.traffic.key.pid, 13);
            CHECK_EQ(r.u.traffic.bytes_recv, 64);
            CHECK_EQ(r.u.traffic.key.remote.port, 5353);
            CHECK_EQ(r.u.traffic.key.sock_id, 0x54);
            break;
        case 6:
            CHECK_EQ(r.type, PF_REC_PROCESS);
            CHECK_EQ(r.u.process.event, PF_PROC_START);
            CHECK_EQ(r.u.process.start_ns, START_NS + 8000);
            CHECK(r.u.process.comm_len == 7 && !memcmp(r.u.process.comm, "app.exe", 7));
            CHECK(r.u.process.cmdline_len == 14 && !memcmp(r.u.process.cmdline, "app.exe --flag", 14));
            CHECK(r.u.process.user_len == 12 && !memcmp(r.u.process.user, "S-1-5-32-544", 12));
            break;
        default:
            if (i <= 6 + FILLER) {
                CHECK_EQ(r.type, PF_REC_TRAFFIC);
                CHECK_EQ(r.u.traffic.bytes_sent, i - 6);
                CHECK_EQ(r.ts_ns, START_NS + (100 + (i - 6)) * 100ull);
                filler_bytes += r.u.traffic.bytes_sent;
            } else {
                CHECK_EQ(r.type, PF_REC_PROCESS);
                CHECK_EQ(r.u.process.event, PF_PROC_EXIT);
                CHECK_EQ(r.u.process.start_ns, START_NS + 8000);
            }
        }
    }
    CHECK_EQ(i, TOTAL_RECORDS);
    CHECK_EQ(filler_bytes, FILLER * (FILLER + 1) / 2);
    struct pf_etl_stats st;
    pf_etl_get_stats(e, &st);
    CHECK(st.buffers >= 3);
    CHECK_EQ(st.buffers_compressed, compress ? st.buffers - 1 : 0);
    CHECK_EQ(st.buffers_damaged, 0);
    /* header + 11 + filler + end */
    CHECK_EQ(st.events, 1 + 11 + FILLER + 1);
    CHECK_EQ(st.events_skipped, 5); /* logfile header, instance, other, message, image load */
    CHECK_EQ(st.events_known, 7 + FILLER + 1);
    CHECK_EQ(st.events_undecoded, 1); /* the TCPCopy */
    CHECK_EQ(st.by_id[PF_ETW_PROV_TCPIP][18], 1);
    CHECK_EQ(st.by_id[PF_ETW_PROV_KERNEL_NETWORK][10], FILLER);
    CHECK_EQ(st.by_id[PF_ETW_PROV_KERNEL_NETWORK][43], 1);
    CHECK_EQ(st.by_id[PF_ETW_PROV_PROCESS][1], 1);
    CHECK_EQ(st.by_id[PF_ETW_PROV_PROCESS][2], 1);
    CHECK_EQ(st.other_count, 4);
    CHECK_EQ(st.pointer_size, psize);
    CHECK_EQ(st.file_bytes, len);
    pf_etl_close(e);
    free(img);
}

/* Offsets of each buffer in an image (walk by their own sizes). */
static size_t buffer_offsets(const uint8_t *img, size_t len, size_t *offs, size_t max)
{
    size_t n = 0, o = 0;
    while (o + 0x48 <= len && n < max) {
        offs[n++] = o;
        uint32_t s =
            (uint32_t)img[o] | (uint32_t)img[o + 1] << 8 | (uint32_t)img[o + 2] << 16 | (uint32_t)img[o + 3] << 24;
        o += s;
    }
    return n;
}

static void test_damage(void)
{
    size_t len = 0, zlen = 0;
    uint8_t *img = build(8, 0, &len);
    uint8_t *zimg = build(4, 1, &zlen);
    CHECK(img && zimg);
    if (!img || !zimg) {
        free(img);
        free(zimg);
        return;
    }
    uint8_t *copy = malloc(len > zlen ? len : zlen);
    struct run r;
    size_t offs[64];
    size_t nb = buffer_offsets(img, len, offs, 64);
    CHECK(nb >= 4);

    /* Baseline. */
    CHECK_EQ(read_all(img, len, &r), 0);
    CHECK_EQ(r.records, TOTAL_RECORDS);
    CHECK_EQ(r.damage, 0);
    unsigned long long full_bytes = r.traffic_bytes;

    /* a. Buffer 2 with an impossible size: reported, resynced at the next
     * fixed-size boundary, later buffers read. */
    memcpy(copy, img, len);
    copy[offs[2]] = 0x10;
    copy[offs[2] + 1] = 0;
    copy[offs[2] + 2] = 0;
    copy[offs[2] + 3] = 0;
    CHECK_EQ(read_all(copy, len, &r), 0);
    CHECK_EQ(r.damage, 1);
    CHECK_EQ(r.first_error, PF_E_FRAMING);
    CHECK(r.records > 0 && r.records < TOTAL_RECORDS);
    CHECK_EQ(r.st.buffers, nb - 1);
    CHECK_EQ(r.st.buffers_damaged, 1);

    /* b. Truncation at many points: never more records, damage reported
     * whenever the cut is inside a buffer. */
    for (size_t cut = 0x48 + 0x20; cut < len; cut += 97) {
        int inside = 1;
        for (size_t k = 0; k < nb; k++)
            if (offs[k] == cut)
                inside = 0;
        int rc = read_all(img, cut, &r);
        if (cut < offs[1]) {
            /* First buffer incomplete: either not an .etl or damage. */
            CHECK(rc == PF_E_NOT_CAPTURE || r.damage >= 1);
            continue;
        }
        CHECK_EQ(rc, 0);
        CHECK(r.records <= TOTAL_RECORDS);
        if (inside)
            CHECK(r.damage >= 1 && r.first_error == PF_E_TRUNCATED);
    }

    /* c. Broken LZ77 data in the second compressed buffer. */
    size_t zoffs[64];
    size_t znb = buffer_offsets(zimg, zlen, zoffs, 64);
    CHECK(znb >= 3);
    CHECK_EQ(read_all(zimg, zlen, &r), 0);
    CHECK_EQ(r.records, TOTAL_RECORDS);
    CHECK_EQ(r.traffic_bytes, full_bytes);
    memcpy(copy, zimg, zlen);
    /* A match token pointing before the output start: flags word with the
     * first bit set, then token 0xffff. */
    memcpy(copy + zoffs[2] + 0x48, "\xff\xff\xff\xff\xff\xff", 6);
    CHECK_EQ(read_all(copy, zlen, &r), 0);
    CHECK_EQ(r.damage, 1);
    CHECK_EQ(r.first_error, PF_E_DECOMPRESS);
    CHECK_EQ(r.st.buffers_compressed, znb - 1);
    CHECK(r.records > 0 && r.records < TOTAL_RECORDS);

    /* d. An event marker without the trace-header flag: rest of that
     * buffer skipped and reported. */
    memcpy(copy, img, len);
    copy[offs[1] + 0x48 + 3] = 0x00;
    CHECK_EQ(read_all(copy, len, &r), 0);
    CHECK_EQ(r.damage, 1);
    CHECK_EQ(r.first_error, PF_E_RECORD);
    CHECK_EQ(r.st.events_damaged, 1);
    /* An event size larger than the buffer. */
    memcpy(copy, img, len);
    copy[offs[1] + 0x48 + 4] = 0xff;
    copy[offs[1] + 0x48 + 5] = 0xff;
    CHECK_EQ(read_all(copy, len, &r), 0);
    CHECK(r.damage >= 1);

    /* e. Random byte flips (fixed seed): terminate, no crash. */
    uint32_t x = 2463534242u;
    for (int iter = 0; iter < 3000; iter++) {
        const uint8_t *src = iter & 1 ? zimg : img;
        size_t n = iter & 1 ? zlen : len;
        memcpy(copy, src, n);
        int flips = 1 + iter % 8;
        for (int f = 0; f < flips; f++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            copy[x % n] ^= (uint8_t)(1u << (x >> 29));
        }
        (void)read_all(copy, n, &r);
        CHECK(r.records <= TOTAL_RECORDS + 64);
    }

    /* f. Not an .etl file. */
    CHECK_EQ(read_all((const uint8_t *)"PFCAP\0\0\0", 8, &r), PF_E_NOT_CAPTURE);
    CHECK_EQ(read_all((const uint8_t *)"", 0, &r), PF_E_NOT_CAPTURE);
    CHECK_EQ(pf_etl_probe(img, 0x40), 0);
    CHECK_EQ(pf_etl_probe(NULL, 1000), 0);
    pf_etl *e = NULL;
    CHECK_EQ(pf_etl_open(&e, "/nonexistent-dir/x.etl", NULL), PF_E_IO);
    CHECK(e == NULL);
    pf_etl_close(NULL);
    CHECK(pf_etl_info(NULL) == NULL);
    free(copy);
    free(img);
    free(zimg);
}

/* Byte flips over a real file, when the data folder is given. */
static void test_real_flips(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/perfview_smallEtlFile.etl", dir);
    const char *names[] = {"perfview_smallEtlFile.etl", "tx_KernelNetwork.etl"};
    for (size_t k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[k]);
        FILE *fp = fopen(path, "rb");
        if (!fp) {
            printf("note: %s absent, real-file flips skipped\n", path);
            continue;
        }
        fseek(fp, 0, SEEK_END);
        long n = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        uint8_t *img = malloc((size_t)n), *copy = malloc((size_t)n);
        if (!img || !copy || fread(img, 1, (size_t)n, fp) != (size_t)n) {
            fclose(fp);
            free(img);
            free(copy);
            failures++;
            return;
        }
        fclose(fp);
        uint32_t x = 88172645u;
        struct run r;
        int iters = k == 0 ? 2000 : 60;
        for (int iter = 0; iter < iters; iter++) {
            memcpy(copy, img, (size_t)n);
            for (int f = 0; f < 1 + iter % 16; f++) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                copy[x % (size_t)n] = (uint8_t)(x >> 24);
            }
            size_t cut = iter % 5 == 4 ? (x >> 3) % (size_t)n : (size_t)n;
            (void)read_all(copy, cut, &r);
        }
        free(img);
        free(copy);
    }
}

static int write_file(const char *dir, const char *name, const uint8_t *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    size_t w = fwrite(p, 1, n, fp);
    return fclose(fp) == 0 && w == n ? 0 : -1;
}

/* Seeds for the fuzz corpus: small synthetic traces. */
static int write_corpus(const char *dir)
{
    struct etlb b = {0};
    uint8_t p[512];
    size_t n, len;
    int rc = 0;
    for (int v = 0; v < 4; v++) {
        unsigned psize = v & 1 ? 4 : 8;
        int compress = v >> 1;
        int w = psize == 8;
        etlb_begin(&b, psize, 1024, compress, 7601, START_FT, FREQ, RAW0);
        n = etlb_net_payload(p, psize, 0, 10, 1000, B4, A4, 443, 40000, 0x51, 1);
        etlb_sys(&b, w ? ETLB_SYSTEM64 : ETLB_SYSTEM32, 6, 10, 2, 0, RAW0 + 10, p, n);
        n = etlb_net_payload(p, psize, 1, 10, 2000, B6, A6, 443, 40001, 0x52, 0);
        etlb_sys(&b, w ? ETLB_PERFINFO64 : ETLB_PERFINFO32, 8, 27, 2, 0, RAW0 + 20, p, n);
        n = etlb_net_payload(p, psize, 0, 13, 64, A4, B4, 5001, 5353, 0x54, 0);
        etlb_evh(&b, w ? ETLB_EVENT64 : ETLB_EVENT32, etlb_guid_knet, 43, 0, 0, RAW0 + 60, 1, p, n);
        etlb_full(&b, w ? ETLB_FULL64 : ETLB_FULL32, etlb_guid_tcpip, 12, 2, 12, RAW0 + 40, p, n);
        etlb_message(&b, 12);
        n = etlb_proc_payload(p, sizeof p, psize, 3 + (unsigned)v % 2, 10, 4, 0x103, 1, "a.exe", "a.exe -x");
        etlb_sys(&b, w ? ETLB_SYSTEM64 : ETLB_SYSTEM32, 3, 3, 3 + (unsigned)v % 2, 0, RAW0 + 80, p, n);
        etlb_flush(&b);
        for (int i = 0; i < 8; i++) {
            n = etlb_net_payload(p, psize, 0, 20, 100, B4, A4, 8080, 41000, 0x60, 1);
            etlb_evh(&b, w ? ETLB_EVENT64 : ETLB_EVENT32, etlb_guid_knet, 10, 0, 0, RAW0 + 100 + i, 0, p, n);
        }
        uint8_t *img = etlb_finish(&b, &len);
        if (!img)
            return -1;
        char name[64];
        snprintf(name, sizeof name, "synth-p%u-%s.etl", psize, compress ? "xpress" : "plain");
        rc |= write_file(dir, name, img, len);
        free(img);
    }
    return rc;
}

/* Per-CPU buffers are flushed independently: buffer 2 holds events older
 * than buffer 1's. Records come out in time order, so a DCEnd written in an
 * earlier buffer than its DCStart still belongs to that process, and a
 * clock of 1,818,300 Hz converts exactly. */
static void test_time_order_across_buffers(void)
{
    struct etlb b = {0};
    uint8_t p[1024];
    size_t n;
    const uint64_t freq = 1818300;
    etlb_begin(&b, 8, 4096, 0, 7601, START_FT, freq, RAW0);
    /* Buffer 1 (CPU 1): rundown end at +2 s, a send at +1.5 s. */
    n = etlb_proc_payload(p, sizeof p, 8, 3, 4, 0, 0, 0, "System", "");
    etlb_sys(&b, ETLB_SYSTEM64, 3, 4, 3, 0, RAW0 + 2 * (int64_t)freq, p, n);
    n = etlb_net_payload(p, 8, 0, 4, 10, B4, A4, 445, 50000, 1, ETLB_NET_SEND);
    etlb_sys(&b, ETLB_SYSTEM64, 6, 10, 2, 0, RAW0 + 3 * (int64_t)freq / 2, p, n);
    etlb_flush(&b);
    /* Buffer 2 (CPU 0): the rundown start at +1 s, one tick later another send. */
    n = etlb_proc_payload(p, sizeof p, 8, 3, 4, 0, 0, 1, "System", "");
    etlb_sys(&b, ETLB_SYSTEM64, 3, 3, 3, 0, RAW0 + (int64_t)freq, p, n);
    n = etlb_net_payload(p, 8, 0, 4, 20, B4, A4, 445, 50000, 1, ETLB_NET_SEND);
    etlb_sys(&b, ETLB_SYSTEM64, 6, 10, 2, 0, RAW0 + (int64_t)freq + 1, p, n);
    size_t len = 0;
    uint8_t *img = etlb_finish(&b, &len);
    CHECK(img != NULL);
    pf_etl *e = NULL;
    CHECK_EQ(pf_etl_open_mem(&e, img, len, NULL), PF_OK);
    struct pf_record r[4];
    int k = 0;
    while (k < 4 && pf_etl_next(e, &r[k]) > 0)
        k++;
    CHECK_EQ(k, 4);
    const uint64_t t0 = 1577836800000000000ull; /* START_FT */
    CHECK_EQ(r[0].type, PF_REC_PROCESS);
    CHECK_EQ(r[0].u.process.event, PF_PROC_RUNDOWN);
    CHECK_EQ(r[0].ts_ns, t0 + 1000000000ull);
    CHECK_EQ(r[1].type, PF_REC_TRAFFIC);
    CHECK_EQ(r[1].u.traffic.bytes_sent, 20);
    CHECK_EQ(r[1].ts_ns, t0 + 1000000000ull + 549); /* 1e9 / 1818300 = 549.96 ns, rounded down */
    CHECK_EQ(r[1].u.traffic.key.pid_start_ns, t0 + 1000000000ull);
    CHECK_EQ(r[2].u.traffic.bytes_sent, 10);
    CHECK_EQ(r[2].ts_ns, t0 + 1500000000ull);
    CHECK_EQ(r[3].u.process.event, PF_PROC_END_RUNDOWN);
    CHECK_EQ(r[3].u.process.start_ns, t0 + 1000000000ull);
    CHECK_EQ(r[3].u.process.ppid, 0);
    struct pf_etl_stats st;
    pf_etl_get_stats(e, &st);
    CHECK_EQ(st.first_event_ns, t0 + 1000000000ull);
    CHECK_EQ(st.last_event_ns, t0 + 2000000000ull);
    pf_etl_close(e);
    free(img);
}

/* A trace longer than the sort window (PF_ETL_SORT_EVENTS): two CPUs'
 * buffers alternate, each a stretch of 100 events earlier than the buffer
 * before it. The sliding window still returns every event, in time order,
 * each byte count once. */
static void test_sort_window_slides(void)
{
    struct etlb b = {0};
    uint8_t p[256];
    const unsigned per = 100, nbuf = (unsigned)(PF_ETL_SORT_EVENTS / per) * 2 + 6;
    etlb_begin(&b, 8, 65536, 0, 9200, START_FT, FREQ, RAW0);
    for (unsigned k = 0; k < nbuf; k++) {
        unsigned slot = k ^ 1u; /* buffers 0,1 hold times of slots 1,0; 2,3 of 3,2 ... */
        for (unsigned i = 0; i < per; i++) {
            unsigned seqno = slot * per + i;
            size_t n = etlb_net_payload(p, 8, 0, 10, seqno + 1, B4, A4, 443, 40000, 0x51, ETLB_NET_SEND);
            etlb_sys(&b, ETLB_SYSTEM64, 6, 10, 2, 0, RAW0 + 10 * (int64_t)seqno, p, n);
        }
        etlb_flush(&b);
    }
    size_t len = 0;
    uint8_t *img = etlb_finish(&b, &len);
    CHECK(img != NULL);
    pf_etl *e = NULL;
    CHECK_EQ(pf_etl_open_mem(&e, img, len, NULL), PF_OK);
    struct pf_record r;
    uint64_t count = 0, sum = 0, last = 0;
    int ordered = 1, rc;
    while ((rc = pf_etl_next(e, &r)) > 0) {
        if (r.type != PF_REC_TRAFFIC)
            continue;
        if (r.ts_ns < last || r.u.traffic.bytes_sent != count + 1)
            ordered = 0;
        last = r.ts_ns;
        sum += r.u.traffic.bytes_sent;
        count++;
    }
    uint64_t total = (uint64_t)nbuf * per;
    CHECK_EQ(rc, 0);
    CHECK_EQ(count, total);
    CHECK_EQ(sum, total * (total + 1) / 2);
    CHECK(ordered);
    pf_etl_close(e);
    free(img);
}

int main(int argc, char **argv)
{
    const char *real = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--write-corpus"))
            return write_corpus(argv[i + 1]) == 0 ? 0 : 1;
        if (!strcmp(argv[i], "--real"))
            real = argv[i + 1];
    }
    check_records(8, 0);
    check_records(4, 0);
    check_records(8, 1);
    check_records(4, 1);
    test_header_losses();
    test_time_order_across_buffers();
    test_sort_window_slides();
    test_classic_in_event_header();
    test_damage();
    if (real)
        test_real_flips(real);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("etl synthetic: ok\n");
    return 0;
}
