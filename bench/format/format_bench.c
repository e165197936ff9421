/* SPDX-License-Identifier: MIT */
/* Capture format benchmark: writer and reader speed, bytes per record, and
 * the floor to beat: the same records as naive fixed-width structs + zstd -3.
 * Prints `name<TAB>value<TAB>unit` lines; asserts nothing.
 *   format_bench [RECORDS]         (default 3,000,000) synthetic records
 *   format_bench --capture FILE    a real capture: bytes per recorded
 *       flow-second of the .pfcap, next to the same records as naive structs
 *       + zstd -3 and as pcapng-style per-event blocks + zstd -3 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

#include "pfgen.h"

struct arena {
    char *p;
    size_t len, cap;
};

struct corpus {
    struct pf_record *recs;
    size_t n, cap;
    struct arena strings;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *keep(struct arena *a, const char *s, uint32_t n)
{
    if (!n)
        return "";
    if (a->len + n > a->cap) {
        /* strings are re-pointed after the corpus is complete */
        size_t cap = a->cap ? a->cap * 2 : (1 << 20);
        while (cap < a->len + n)
            cap *= 2;
        a->p = realloc(a->p, cap);
        if (!a->p) {
            perror("realloc");
            exit(1);
        }
        a->cap = cap;
    }
    memcpy(a->p + a->len, s, n);
    const char *off = (const char *)(uintptr_t)a->len; /* offset for now */
    a->len += n;
    return off;
}

static int collect(void *ctx, const struct pf_record *rec)
{
    struct corpus *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1 << 16;
        c->recs = realloc(c->recs, c->cap * sizeof(*c->recs));
        if (!c->recs) {
            perror("realloc");
            exit(1);
        }
    }
    struct pf_record r = *rec;
    if (r.type == PF_REC_PROCESS) {
        struct pf_process *p = &r.u.process;
        p->comm = keep(&c->strings, p->comm, p->comm_len);
        p->exe = keep(&c->strings, p->exe, p->exe_len);
        p->cmdline = keep(&c->strings, p->cmdline, p->cmdline_len);
        p->cgroup = keep(&c->strings, p->cgroup, p->cgroup_len);
        p->container = keep(&c->strings, p->container, p->container_len);
        p->user = keep(&c->strings, p->user, p->user_len);
    } else if (r.type == PF_REC_HOSTINFO) {
        r.u.hostinfo.key = keep(&c->strings, r.u.hostinfo.key, r.u.hostinfo.key_len);
        r.u.hostinfo.value = keep(&c->strings, r.u.hostinfo.value, r.u.hostinfo.value_len);
    } else if (r.type == PF_REC_MARKER) {
        r.u.marker.text = keep(&c->strings, r.u.marker.text, r.u.marker.text_len);
    }
    c->recs[c->n++] = r;
    return 0;
}

#define FIX(ptr) ((ptr) = c->strings.p + (uintptr_t)(ptr))
static void fix_strings(struct corpus *c)
{
    for (size_t i = 0; i < c->n; i++) {
        struct pf_record *r = &c->recs[i];
        if (r->type == PF_REC_PROCESS) {
            struct pf_process *p = &r->u.process;
            if (p->comm_len)
                FIX(p->comm);
            if (p->exe_len)
                FIX(p->exe);
            if (p->cmdline_len)
                FIX(p->cmdline);
            if (p->cgroup_len)
                FIX(p->cgroup);
            if (p->container_len)
                FIX(p->container);
            if (p->user_len)
                FIX(p->user);
        } else if (r->type == PF_REC_HOSTINFO) {
            if (r->u.hostinfo.key_len)
                FIX(r->u.hostinfo.key);
            if (r->u.hostinfo.value_len)
                FIX(r->u.hostinfo.value);
        } else if (r->type == PF_REC_MARKER && r->u.marker.text_len) {
            FIX(r->u.marker.text);
        }
    }
}

/* The naive layout: every field fixed-width, strings appended after. */
struct naive {
    uint64_t ts;
    uint8_t type, proto, family, event;
    uint32_t pid;
    uint64_t pid_start, sock_id;
    uint8_t laddr[16], raddr[16];
    uint16_t lport, rport;
    uint32_t flags;
    uint64_t v[6];
};

static size_t naive_encode(const struct pf_record *r, uint8_t *out)
{
    struct naive n;
    memset(&n, 0, sizeof(n));
    n.ts = r->ts_ns;
    n.type = r->type;
    const struct pf_flow_key *k = NULL;
    switch (r->type) {
    case PF_REC_TRAFFIC:
        k = &r->u.traffic.key;
        n.v[0] = r->u.traffic.duration_ns;
        n.v[1] = r->u.traffic.bytes_sent;
        n.v[2] = r->u.traffic.bytes_recv;
        n.v[3] = r->u.traffic.sends;
        n.v[4] = r->u.traffic.recvs;
        n.v[5] = r->u.traffic.retransmits;
        n.flags = r->u.traffic.flags;
        break;
    case PF_REC_SOCKET:
        k = &r->u.socket.key;
        n.event = r->u.socket.event;
        n.v[0] = r->u.socket.old_state;
        n.v[1] = r->u.socket.new_state;
        break;
    case PF_REC_SNAPSHOT:
        k = &r->u.snapshot.key;
        n.event = r->u.snapshot.state;
        n.v[0] = r->u.snapshot.bytes_sent;
        n.v[1] = r->u.snapshot.bytes_recv;
        n.flags = r->u.snapshot.flags;
        break;
    case PF_REC_PROCESS:
        n.event = r->u.process.event;
        n.pid = r->u.process.pid;
        n.pid_start = r->u.process.start_ns;
        n.v[0] = r->u.process.ppid;
        n.v[1] = r->u.process.uid;
        break;
    case PF_REC_LOSS:
        n.event = r->u.loss.source;
        n.v[0] = r->u.loss.cpu;
        n.v[1] = r->u.loss.count;
        n.v[2] = r->u.loss.since_ns;
        break;
    default: break;
    }
    if (k) {
        n.pid = k->pid;
        n.pid_start = k->pid_start_ns;
        n.sock_id = k->sock_id;
        n.proto = k->proto;
        n.family = k->family;
        memcpy(n.laddr, k->local.addr, 16);
        memcpy(n.raddr, k->remote.addr, 16);
        n.lport = k->local.port;
        n.rport = k->remote.port;
    }
    memcpy(out, &n, sizeof(n));
    size_t len = sizeof(n);
    if (r->type == PF_REC_PROCESS) {
        const struct pf_process *p = &r->u.process;
        const char *s[] = {p->comm, p->exe, p->cmdline, p->cgroup};
        uint32_t l[] = {p->comm_len, p->exe_len, p->cmdline_len, p->cgroup_len};
        for (int i = 0; i < 4; i++) {
            memcpy(out + len, &l[i], 4);
            memcpy(out + len + 4, s[i], l[i]);
            len += 4 + l[i];
        }
    }
    return len;
}

struct naive_result {
    double write_s, read_s;
    size_t bytes;
};

static void run_naive(const struct pf_record *recs, size_t n, struct naive_result *res)
{
    const size_t chunk = 1 << 20;
    uint8_t *raw = malloc(chunk + 65536);
    size_t bound = ZSTD_compressBound(chunk + 65536);
    uint8_t *out = malloc(bound);
    size_t total_cap = n * 40 + (1 << 20);
    uint8_t *file = malloc(total_cap);
    size_t *frames = malloc(sizeof(size_t) * (n / 1000 + 16));
    size_t nframes = 0, file_len = 0, used = 0;
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    double t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        used += naive_encode(&recs[i], raw + used);
        if (used >= chunk || i + 1 == n) {
            size_t z = ZSTD_compressCCtx(cc, out, bound, raw, used, 3);
            if (file_len + z > total_cap) {
                total_cap = (file_len + z) * 2;
                file = realloc(file, total_cap);
            }
            memcpy(file + file_len, out, z);
            frames[nframes++] = z;
            file_len += z;
            used = 0;
        }
    }
    res->write_s = now_s() - t0;
    res->bytes = file_len;
    ZSTD_DCtx *dc = ZSTD_createDCtx();
    uint8_t *dec = malloc(chunk + 65536);
    volatile uint64_t sink = 0;
    t0 = now_s();
    size_t off = 0;
    for (size_t f = 0; f < nframes; f++) {
        size_t d = ZSTD_decompressDCtx(dc, dec, chunk + 65536, file + off, frames[f]);
        off += frames[f];
        /* walk the fixed records like a consumer would */
        for (size_t p = 0; p + sizeof(struct naive) <= d;) {
            struct naive nv;
            memcpy(&nv, dec + p, sizeof(nv));
            sink += nv.v[1];
            p += sizeof(nv);
            if (nv.type == PF_REC_PROCESS)
                for (int i = 0; i < 4; i++) {
                    uint32_t l;
                    memcpy(&l, dec + p, 4);
                    p += 4 + l;
                }
        }
    }
    res->read_s = now_s() - t0;
    (void)sink;
    ZSTD_freeCCtx(cc);
    ZSTD_freeDCtx(dc);
    free(raw);
    free(out);
    free(file);
    free(frames);
    free(dec);
}

struct pf_result {
    double write_s, read_s;
    size_t bytes;
    uint64_t read_records;
};

static void run_pf(const struct pf_record *recs, size_t n, struct pf_result *res)
{
    struct pf_file_info info;
    struct pfgen_options o;
    pfgen_default_options(&o);
    pfgen_file_info(&o, &info);
    pf_writer *w = NULL;
    struct pf_writer_options wo;
    memset(&wo, 0, sizeof(wo));
    const char *lvl = getenv("PF_BENCH_ZSTD_LEVEL");
    wo.zstd_level = lvl ? atoi(lvl) : 0;
    if (pf_writer_open_mem(&w, &info, &wo)) {
        fprintf(stderr, "writer open failed\n");
        exit(1);
    }
    double t0 = now_s();
    for (size_t i = 0; i < n; i++)
        if (pf_writer_write(w, &recs[i])) {
            fprintf(stderr, "write failed\n");
            exit(1);
        }
    pf_writer_close(w);
    res->write_s = now_s() - t0;
    size_t len;
    const uint8_t *mem = pf_writer_mem(w, &len);
    res->bytes = len;
    pf_reader *r = NULL;
    if (pf_reader_open_mem(&r, mem, len, NULL)) {
        fprintf(stderr, "reader open failed\n");
        exit(1);
    }
    struct pf_record rec;
    volatile uint64_t sink = 0;
    uint64_t count = 0;
    t0 = now_s();
    while (pf_reader_next(r, &rec) > 0) {
        count++;
        sink += rec.ts_ns;
    }
    res->read_s = now_s() - t0;
    res->read_records = count;
    (void)sink;
    pf_reader_close(r);
    pf_writer_destroy(w);
}

static void line(const char *name, double v, const char *unit) { printf("%s\t%.3f\t%s\n", name, v, unit); }

/* ------------------------------------------------------------ a real capture */

/* pcapng's Enhanced Packet Block framing around one event: block type,
 * total length, interface, 64-bit timestamp, captured and original length,
 * the event body padded to 4 bytes, total length again. */
struct epb_head {
    uint32_t type, total_len, interface_id, ts_hi, ts_lo, cap_len, orig_len;
};

struct event_body {
    uint32_t pid;
    uint64_t pid_start;
    uint8_t proto, family, direction, pad;
    uint8_t laddr[16], raddr[16];
    uint16_t lport, rport;
    uint64_t bytes;
};

struct growbuf {
    uint8_t *p;
    size_t len, cap;
};

static void gb_put(struct growbuf *b, const void *d, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 20;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p) {
            perror("realloc");
            exit(1);
        }
        b->cap = cap;
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

static void put_block(struct growbuf *b, uint64_t ts, const void *body, uint32_t body_len)
{
    uint32_t padded = (body_len + 3u) & ~3u;
    struct epb_head h = {6, (uint32_t)sizeof h + padded + 4, 0, (uint32_t)(ts >> 32), (uint32_t)ts, body_len, body_len};
    static const uint8_t zero[4];
    gb_put(b, &h, sizeof h);
    gb_put(b, body, body_len);
    gb_put(b, zero, padded - body_len);
    gb_put(b, &h.total_len, 4);
}

static void put_event(struct growbuf *b, uint64_t ts, const struct pf_flow_key *k, uint8_t dir, uint64_t bytes)
{
    struct event_body e;
    memset(&e, 0, sizeof e);
    e.pid = k->pid;
    e.pid_start = k->pid_start_ns;
    e.proto = k->proto;
    e.family = k->family;
    e.direction = dir;
    memcpy(e.laddr, k->local.addr, 16);
    memcpy(e.raddr, k->remote.addr, 16);
    e.lport = k->local.port;
    e.rport = k->remote.port;
    e.bytes = bytes;
    put_block(b, ts, &e, sizeof e);
}

/* Every call as its own block: an aggregated record of n calls becomes n
 * events spread over its interval, its bytes split between them. Other
 * records become one block each (process records with their strings). */
static size_t pcapng_style_zstd3(const struct pf_record *recs, size_t n)
{
    struct growbuf raw = {0};
    for (size_t i = 0; i < n; i++) {
        const struct pf_record *r = &recs[i];
        if (r->type == PF_REC_TRAFFIC) {
            const struct pf_traffic *t = &r->u.traffic;
            uint64_t calls[2] = {t->sends, t->recvs}, bytes[2] = {t->bytes_sent, t->bytes_recv};
            for (uint8_t dir = 0; dir < 2; dir++)
                for (uint64_t c = 0; c < calls[dir]; c++) {
                    uint64_t share = bytes[dir] / calls[dir] + (c < bytes[dir] % calls[dir]);
                    uint64_t ts = r->ts_ns + (calls[dir] > 1 ? t->duration_ns * c / (calls[dir] - 1) : 0);
                    put_event(&raw, ts, &t->key, dir, share);
                }
        } else {
            uint8_t body[sizeof(struct naive) + 4 * 4 + 4 * 4096];
            size_t len = naive_encode(r, body);
            if (len > sizeof body)
                len = sizeof body;
            put_block(&raw, r->ts_ns, body, (uint32_t)len);
        }
    }
    size_t bound = ZSTD_compressBound(raw.len);
    uint8_t *out = malloc(bound ? bound : 1);
    size_t z = ZSTD_compress(out, bound, raw.p, raw.len, 3);
    if (ZSTD_isError(z)) {
        fprintf(stderr, "zstd: %s\n", ZSTD_getErrorName(z));
        exit(1);
    }
    free(out);
    free(raw.p);
    return z;
}

/* Distinct (flow, second) pairs with traffic: what a user calls a recorded
 * flow-second, whichever way the capture stored it (per call or per interval). */
static uint64_t flow_seconds(const struct pf_record *recs, size_t n)
{
    size_t cap = 1024;
    while (cap < 4 * n)
        cap *= 2;
    uint64_t *set = calloc(cap, sizeof *set);
    if (!set) {
        perror("calloc");
        exit(1);
    }
    uint64_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (recs[i].type != PF_REC_TRAFFIC)
            continue;
        const struct pf_traffic *t = &recs[i].u.traffic;
        uint64_t secs = t->duration_ns / 1000000000u + 1;
        for (uint64_t s = 0; s < secs && s < 86400; s++) {
            /* FNV-1a over the flow key fields and the second */
            uint64_t h = 1469598103934665603ull;
            uint64_t parts[6] = {t->key.pid,
                                 t->key.pid_start_ns,
                                 t->key.sock_id,
                                 (uint64_t)t->key.remote.port << 16 | t->key.local.port,
                                 (uint64_t)t->key.proto << 8 | t->key.family,
                                 recs[i].ts_ns / 1000000000u + s};
            for (int p = 0; p < 6; p++)
                for (int b = 0; b < 8; b++) {
                    h ^= (parts[p] >> (8 * b)) & 0xff;
                    h *= 1099511628211ull;
                }
            for (int b = 0; b < 16; b++) {
                h ^= t->key.remote.addr[b];
                h *= 1099511628211ull;
            }
            if (!h)
                h = 1;
            size_t slot = (size_t)h & (cap - 1);
            while (set[slot] && set[slot] != h)
                slot = (slot + 1) & (cap - 1);
            if (!set[slot]) {
                set[slot] = h;
                count++;
            }
            if (count * 2 > cap) {
                fprintf(stderr, "flow-second set full\n");
                exit(1);
            }
        }
    }
    free(set);
    return count;
}

static int capture_sizes(const char *path)
{
    pf_reader *r = NULL;
    int rc = pf_reader_open(&r, path, NULL);
    if (rc) {
        fprintf(stderr, "%s: %s\n", path, pf_strerror(rc));
        return 1;
    }
    struct corpus c;
    memset(&c, 0, sizeof(c));
    struct pf_record rec;
    while ((rc = pf_reader_next(r, &rec)) > 0)
        collect(&c, &rec);
    pf_reader_close(r);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", path, pf_strerror(rc));
        return 1;
    }
    fix_strings(&c);
    FILE *f = fopen(path, "rb");
    if (!f || fseek(f, 0, SEEK_END)) {
        perror(path);
        return 1;
    }
    double file_bytes = (double)ftell(f);
    fclose(f);
    uint64_t fs = flow_seconds(c.recs, c.n);
    if (!fs) {
        fprintf(stderr, "%s: no traffic\n", path);
        return 1;
    }
    struct naive_result nv;
    run_naive(c.recs, c.n, &nv);
    size_t ev = pcapng_style_zstd3(c.recs, c.n);
    line("size.capture_records", (double)c.n, "records");
    line("size.capture_flow_seconds", (double)fs, "flow-seconds");
    line("size.pfcap_bytes_per_flow_second", file_bytes / (double)fs, "bytes");
    line("size.naive_structs_zstd3_bytes_per_flow_second", (double)nv.bytes / (double)fs, "bytes");
    line("size.pcapng_events_zstd3_bytes_per_flow_second", (double)ev / (double)fs, "bytes");
    free(c.recs);
    free(c.strings.p);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--capture") == 0)
        return capture_sizes(argv[2]);
    struct pfgen_options o;
    pfgen_default_options(&o);
    o.records = argc > 1 ? strtoull(argv[1], NULL, 10) : 3000000;
    struct corpus c;
    memset(&c, 0, sizeof(c));
    if (pfgen_run(&o, collect, &c)) {
        fprintf(stderr, "generator failed\n");
        return 1;
    }
    fix_strings(&c);

    /* traffic-only subset: the records the size target is about */
    struct pf_record *traffic = malloc(c.n * sizeof(*traffic));
    size_t nt = 0;
    for (size_t i = 0; i < c.n; i++)
        if (c.recs[i].type == PF_REC_TRAFFIC)
            traffic[nt++] = c.recs[i];

    struct pf_result pf_all, pf_tr;
    struct naive_result nv_all, nv_tr;
    run_pf(c.recs, c.n, &pf_all);
    run_naive(c.recs, c.n, &nv_all);
    run_pf(traffic, nt, &pf_tr);
    run_naive(traffic, nt, &nv_tr);
    if (pf_all.read_records != c.n)
        fprintf(stderr, "warning: read %llu of %zu records\n", (unsigned long long)pf_all.read_records, c.n);

    line("format.records", (double)c.n, "records");
    line("format.writer_rate", (double)c.n / pf_all.write_s / 1e6, "M records/s");
    line("format.reader_rate", (double)c.n / pf_all.read_s / 1e6, "M records/s");
    line("format.bytes_per_record", (double)pf_all.bytes / (double)c.n, "bytes");
    line("format.naive_zstd3_write_rate", (double)c.n / nv_all.write_s / 1e6, "M records/s");
    line("format.naive_zstd3_read_rate", (double)c.n / nv_all.read_s / 1e6, "M records/s");
    line("format.naive_zstd3_bytes_per_record", (double)nv_all.bytes / (double)c.n, "bytes");
    line("format.traffic_records", (double)nt, "records");
    line("format.traffic_bytes_per_record", (double)pf_tr.bytes / (double)nt, "bytes");
    line("format.traffic_naive_zstd3_bytes_per_record", (double)nv_tr.bytes / (double)nt, "bytes");
    line("format.traffic_size_ratio_vs_naive", (double)pf_tr.bytes / (double)nv_tr.bytes, "x (target <= 0.5)");
    free(traffic);
    free(c.recs);
    free(c.strings.p);
    return 0;
}
