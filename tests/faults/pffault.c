/* SPDX-License-Identifier: MIT */
/* pffault: small helpers for the fault tests.
 *   pffault now            CLOCK_BOOTTIME in ns (the recorder's capture clock)
 *   pffault kill PID MS    sleeps MS ms, sends SIGKILL, prints the boot time of the kill
 *   pffault scan FILE      what survived in a capture, one line of key=value:
 *       intact      chunks that read back whole
 *       seq_ok      1 when those chunks are numbered 0, 1, 2 ... in file order
 *       torn        1 when the file ends inside a block (a chunk the writer had
 *                   started when it died), else 0
 *       other_damage  damaged regions that are not that torn tail
 *       records     records read
 *       anchor      the header's clock anchor (capture clock when the file began)
 *       last_ts     largest record time (capture clock), 0 when none
 *       footer      1 when the file was closed cleanly
 *       lost        sum of loss records
 *   pffault chunks FILE    one line per intact chunk: seq first_ns last_ns records
 * Capture bytes are only read through libpfformat. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "procflow/format.h"

#ifndef CLOCK_BOOTTIME
#define CLOCK_BOOTTIME 7
#endif

static uint64_t boot_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct scan {
    uint64_t file_size;
    uint64_t intact, next_seq;
    int seq_ok;
    uint64_t intact_end; /* end offset of the last intact chunk */
    int torn;
    uint64_t other_damage;
    uint64_t torn_offset;
};

static void on_chunk(void *ctx, const struct pf_chunk_info *c)
{
    struct scan *s = ctx;
    if (c->seq != s->next_seq)
        s->seq_ok = 0;
    s->next_seq = c->seq + 1;
    s->intact++;
    s->intact_end = c->offset + c->block_bytes;
}

static void on_damage(void *ctx, const struct pf_damage *d)
{
    struct scan *s = ctx;
    /* A kill can only cut the block being appended: the damage runs from
     * its start to the end of the file. */
    if (d->error == PF_E_TRUNCATED && d->resume_offset == s->file_size && !s->torn) {
        s->torn = 1;
        s->torn_offset = d->offset;
    } else {
        s->other_damage++;
    }
}

static int scan(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "pffault: %s: %s\n", path, strerror(errno));
        return 1;
    }
    struct scan s;
    memset(&s, 0, sizeof s);
    s.seq_ok = 1;
    s.file_size = (uint64_t)st.st_size;
    struct pf_reader_options ro = {on_damage, &s, 0};
    pf_reader *r;
    int rc = pf_reader_open(&r, path, &ro);
    if (rc < 0) {
        fprintf(stderr, "pffault: %s: %s\n", path, pf_strerror(rc));
        return 1;
    }
    pf_reader_on_chunk(r, on_chunk, &s);
    struct pf_record rec;
    uint64_t records = 0, last_ts = 0, lost = 0;
    while ((rc = pf_reader_next(r, &rec)) == 1) {
        records++;
        if (rec.ts_ns > last_ts)
            last_ts = rec.ts_ns;
        if (rec.type == PF_REC_LOSS)
            lost += rec.u.loss.count;
    }
    struct pf_reader_stats rs;
    pf_reader_get_stats(r, &rs);
    uint64_t anchor = pf_reader_info(r)->anchor_clock_ns;
    pf_reader_close(r);
    if (rc < 0) {
        fprintf(stderr, "pffault: %s: reading stopped: %s\n", path, pf_strerror(rc));
        return 1;
    }
    /* The torn block must start where the intact chunks end (or right
     * after the header when no chunk was completed). */
    if (s.torn && s.intact && s.torn_offset != s.intact_end)
        s.other_damage++;
    printf("intact=%" PRIu64 " seq_ok=%d torn=%d other_damage=%" PRIu64 " records=%" PRIu64 " anchor=%" PRIu64
           " last_ts=%" PRIu64 " footer=%d lost=%" PRIu64 "\n",
           s.intact, s.seq_ok, s.torn, s.other_damage, records, anchor, last_ts, rs.clean_close, lost);
    return 0;
}

static void print_chunk(void *ctx, const struct pf_chunk_info *c)
{
    (void)ctx;
    printf("%" PRIu64 " %" PRIu64 " %" PRIu64 " %u\n", c->seq, c->first_ns, c->last_ns, c->records);
}

static int chunks(const char *path)
{
    struct pf_reader_options ro = {NULL, NULL, 1};
    pf_reader *r;
    int rc = pf_reader_open(&r, path, &ro);
    if (rc < 0) {
        fprintf(stderr, "pffault: %s: %s\n", path, pf_strerror(rc));
        return 1;
    }
    pf_reader_on_chunk(r, print_chunk, NULL);
    struct pf_record rec;
    while ((rc = pf_reader_next(r, &rec)) == 1)
        ;
    pf_reader_close(r);
    return rc < 0 ? 1 : 0;
}

static long arg_num(const char *s, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > max) {
        fprintf(stderr, "pffault: bad number '%s'\n", s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "now") == 0) {
        printf("%" PRIu64 "\n", boot_ns());
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "kill") == 0) {
        pid_t pid = (pid_t)arg_num(argv[2], 1L << 22);
        long ms = arg_num(argv[3], 60000);
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        uint64_t t = boot_ns();
        if (kill(pid, SIGKILL) != 0) {
            fprintf(stderr, "pffault: kill %d: %s\n", (int)pid, strerror(errno));
            return 1;
        }
        printf("%" PRIu64 "\n", t);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "scan") == 0)
        return scan(argv[2]);
    if (argc == 3 && strcmp(argv[1], "chunks") == 0)
        return chunks(argv[2]);
    fprintf(stderr, "usage: pffault now | pffault kill PID MS | pffault scan FILE | pffault chunks FILE\n");
    return 2;
}
