/* SPDX-License-Identifier: MIT */
/* pfgen: writes a deterministic synthetic capture.
 *   pfgen -o FILE.pfcap -n RECORDS [--seed N] [--processes N] [--flows N]
 *         [--start-utc NS] [--step-ns NS] [--chunk-bytes N] [--force]
 *         [--host NAME] [--peer-view] [--shift-ns NS] [--rotate-records N]
 *         [--uuid-seq N]
 * --peer-view writes the same traffic as recorded at the other end of every
 * connection (endpoints and directions swapped, other pids): with a normal
 * run of the same seed it forms two hosts whose connections all pair.
 * --shift-ns moves the capture's wall clock (a host whose clock is off).
 * --uuid-seq N (N > 0) gives the file another UUID, records unchanged: with
 * --host it is another host of a fleet that recorded the same traffic.
 * --rotate-records N writes a rotated series FILE-000.pfcap, FILE-001.pfcap
 * ... of N records each (one series UUID, file_seq 0, 1, ...). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfgen.h"

static void usage(void)
{
    fprintf(stderr, "usage: pfgen -o FILE.pfcap -n RECORDS [--seed N] [--processes N] [--flows N]\n"
                    "             [--start-utc NS] [--step-ns NS] [--chunk-bytes N] [--force]\n"
                    "             [--host NAME] [--peer-view] [--shift-ns NS] [--rotate-records N]\n"
                    "             [--uuid-seq N]\n");
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

#define PEER_PID_OFFSET 400000u

struct out {
    const char *path;
    struct pf_file_info info;
    struct pf_writer_options wo;
    pf_writer *w;
    int peer;
    int64_t shift;
    uint64_t rotate, in_file;
    uint32_t seq;
    uint64_t records, chunks, bytes;
    int files;
};

static void swap_key(struct pf_flow_key *k)
{
    struct pf_endpoint t = k->local;
    k->local = k->remote;
    k->remote = t;
    if (k->pid)
        k->pid += PEER_PID_OFFSET;
}

static void swap_u64(uint64_t *a, uint64_t *b)
{
    uint64_t t = *a;
    *a = *b;
    *b = t;
}

static int close_file(struct out *o)
{
    if (!o->w)
        return 0;
    int rc = pf_writer_close(o->w);
    if (rc == 0) {
        struct pf_writer_stats st;
        pf_writer_get_stats(o->w, &st);
        o->records += st.records;
        o->chunks += st.chunks;
        o->bytes += st.bytes_on_disk;
        o->files++;
    }
    pf_writer_destroy(o->w);
    o->w = NULL;
    return rc;
}

static int open_file(struct out *o, uint64_t first_ts)
{
    char name[4096];
    struct pf_file_info info = o->info;
    if (o->rotate) {
        const char *dot = strrchr(o->path, '.');
        int stem = dot && !strchr(dot, '/') ? (int)(dot - o->path) : (int)strlen(o->path);
        snprintf(name, sizeof name, "%.*s-%03u%s", stem, o->path, o->seq, dot && !strchr(dot, '/') ? dot : "");
        info.file_seq = o->seq;
        info.uuid[0] ^= (uint8_t)o->seq;
        info.uuid[1] ^= (uint8_t)(o->seq >> 8);
        info.uuid[2] ^= 0x5a; /* never the series UUID itself */
        info.start_utc_ns = pf_clock_to_utc(first_ts, info.anchor_clock_ns, info.anchor_utc_ns);
        o->seq++;
    } else {
        snprintf(name, sizeof name, "%s", o->path);
    }
    o->in_file = 0;
    int rc = pf_writer_open(&o->w, name, &info, &o->wo);
    if (rc)
        fprintf(stderr, "pfgen: %s: %s\n", name, pf_strerror(rc));
    return rc;
}

static int emit(void *ctx, const struct pf_record *in)
{
    struct out *o = ctx;
    struct pf_record r = *in;
    if (o->rotate && o->w && o->in_file >= o->rotate) {
        int rc = close_file(o);
        if (rc)
            return rc;
    }
    if (!o->w) {
        int rc = open_file(o, r.ts_ns);
        if (rc)
            return rc;
    }
    switch (r.type) {
    case PF_REC_CLOCK: r.u.clock.utc_ns += o->shift; break;
    case PF_REC_PROCESS:
        if (o->peer) {
            if (r.u.process.pid)
                r.u.process.pid += PEER_PID_OFFSET;
            if (r.u.process.ppid)
                r.u.process.ppid += PEER_PID_OFFSET;
        }
        break;
    case PF_REC_SOCKET:
        if (o->peer) {
            swap_key(&r.u.socket.key);
            if (r.u.socket.event == PF_SOCK_CONNECT)
                r.u.socket.event = PF_SOCK_ACCEPT;
            else if (r.u.socket.event == PF_SOCK_ESTABLISHED)
                r.u.socket.event = PF_SOCK_STATE;
        }
        break;
    case PF_REC_TRAFFIC:
        if (o->peer) {
            swap_key(&r.u.traffic.key);
            swap_u64(&r.u.traffic.bytes_sent, &r.u.traffic.bytes_recv);
            swap_u64(&r.u.traffic.sends, &r.u.traffic.recvs);
        }
        break;
    case PF_REC_SNAPSHOT:
        if (o->peer)
            swap_key(&r.u.snapshot.key);
        break;
    default: break;
    }
    o->in_file++;
    return pf_writer_write(o->w, &r);
}

int main(int argc, char **argv)
{
    struct pfgen_options o;
    pfgen_default_options(&o);
    struct out st;
    memset(&st, 0, sizeof st);
    const char *host = NULL;
    uint64_t uuid_seq = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        uint64_t v = 0;
        if (!strcmp(a, "--force")) {
            st.wo.overwrite = 1;
            continue;
        }
        if (!strcmp(a, "--peer-view")) {
            st.peer = 1;
            continue;
        }
        if (i + 1 >= argc) {
            usage();
            return 2;
        }
        const char *val = argv[++i];
        if (!strcmp(a, "-o")) {
            st.path = val;
            continue;
        }
        if (!strcmp(a, "--host")) {
            host = val;
            continue;
        }
        if (!strcmp(a, "--shift-ns")) {
            char *end;
            errno = 0;
            long long s = strtoll(val, &end, 0);
            if (errno || end == val || *end) {
                fprintf(stderr, "pfgen: --shift-ns: not a number: %s\n", val);
                return 2;
            }
            st.shift = s;
            continue;
        }
        if (parse_u64(val, &v)) {
            fprintf(stderr, "pfgen: %s: not a number: %s\n", a, val);
            return 2;
        }
        if (!strcmp(a, "-n"))
            o.records = v;
        else if (!strcmp(a, "--seed"))
            o.seed = v;
        else if (!strcmp(a, "--processes"))
            o.processes = (uint32_t)v;
        else if (!strcmp(a, "--flows"))
            o.flows = (uint32_t)v;
        else if (!strcmp(a, "--start-utc"))
            o.start_utc_ns = (int64_t)v;
        else if (!strcmp(a, "--step-ns"))
            o.mean_step_ns = v;
        else if (!strcmp(a, "--chunk-bytes"))
            st.wo.chunk_bytes = (uint32_t)v;
        else if (!strcmp(a, "--rotate-records"))
            st.rotate = v;
        else if (!strcmp(a, "--uuid-seq"))
            uuid_seq = v;
        else {
            usage();
            return 2;
        }
    }
    if (!st.path) {
        usage();
        return 2;
    }
    pfgen_file_info(&o, &st.info);
    if (host)
        st.info.hostname = host;
    /* the same records as another recording (another host of a fleet) */
    st.info.uuid[5] ^= (uint8_t)uuid_seq;
    st.info.uuid[7] ^= (uint8_t)(uuid_seq >> 8);
    if (st.peer)
        st.info.uuid[3] ^= 0xa5; /* another recording than the normal view */
    st.info.start_utc_ns += st.shift;
    st.info.anchor_utc_ns += st.shift;
    if (st.rotate) {
        /* the series keeps the unrotated file's UUID; each file gets its own */
        memcpy(st.info.series_uuid, st.info.uuid, 16);
        st.info.uuid[4] ^= 0x3c;
    } else {
        memcpy(st.info.series_uuid, st.info.uuid, 16);
    }
    int rc = pfgen_run(&o, emit, &st);
    if (rc == 0)
        rc = close_file(&st);
    if (rc) {
        fprintf(stderr, "pfgen: %s: %s\n", st.path, pf_strerror(rc));
        pf_writer_destroy(st.w);
        return 1;
    }
    if (st.rotate)
        printf("%s: %d files, %llu records, %llu chunks, %llu bytes\n", st.path, st.files,
               (unsigned long long)st.records, (unsigned long long)st.chunks, (unsigned long long)st.bytes);
    else
        printf("%s: %llu records, %llu chunks, %llu bytes\n", st.path, (unsigned long long)st.records,
               (unsigned long long)st.chunks, (unsigned long long)st.bytes);
    return 0;
}
