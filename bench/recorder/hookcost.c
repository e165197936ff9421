/* SPDX-License-Identifier: MIT */
/* hookcost: what the recorder's BPF programs cost per system call, next to
 * empty programs on the same hooks.
 *   hookcost LOOP SECONDS [--empty] [--rec-pid PID]
 * LOOP: udp-send (sendto to a local socket nobody reads), udp-recv (recv of
 * datagrams queued by an untimed sendmmsg), tcp-send (64-byte sends on a
 * loopback connection drained by a second thread).
 * --empty attaches empty programs on the recorder's hooks for the run.
 * --rec-pid: the recorder's programs are those PID holds.
 * Prints: calls ns_per_call rec_prog_ns empty_prog_ns, the last two from
 * kernel.bpf_stats_enabled run times (-1 when not available): the
 * programs' own run time per call of the loop, summed over the hooks the
 * loop's calls pass (udp-send: all; udp-recv: receive side; tcp-send: send
 * side). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "empty_bpf.skel.h"

#define MAX_PROGS 64

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "hookcost: %s: %s\n", what, strerror(errno));
    exit(1);
}

struct progset {
    uint32_t ids[MAX_PROGS];
    int n;
};

/* Program ids that process pid holds open (fdinfo "prog_id:" of its
 * program and link descriptors). */
static void progs_of_pid(int pid, struct progset *ps)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/fdinfo", pid);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) && ps->n < MAX_PROGS) {
        char p[320], line[256];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        FILE *f = fopen(p, "re");
        if (!f)
            continue;
        while (fgets(line, sizeof line, f)) {
            unsigned id;
            if (sscanf(line, "prog_id: %u", &id) == 1) {
                int dup = 0;
                for (int i = 0; i < ps->n; i++)
                    dup |= ps->ids[i] == id;
                if (!dup && ps->n < MAX_PROGS)
                    ps->ids[ps->n++] = id;
            }
        }
        fclose(f);
    }
    closedir(d);
}

static int on_path(const char *loop, const char *name)
{
    static const char *const sends[] = {"on_send",    "on_sendmsg4",    "on_sendmsg6",    "on_egress",
                                        "empty_send", "empty_sendmsg4", "empty_sendmsg6", "empty_egress"};
    static const char *const recvs[] = {"on_recv", "on_ingress", "on_drop",       "on_recvmsg4", "on_recvmsg6",
                                        "on_copy", "empty_recv", "empty_ingress", "empty_drop",  "empty_copy"};
    int is_send = 0, is_recv = 0;
    for (size_t i = 0; i < sizeof sends / sizeof sends[0]; i++)
        is_send |= strcmp(name, sends[i]) == 0;
    for (size_t i = 0; i < sizeof recvs / sizeof recvs[0]; i++)
        is_recv |= strcmp(name, recvs[i]) == 0;
    if (strcmp(loop, "udp-send") == 0)
        return is_send || is_recv;
    if (strcmp(loop, "udp-recv") == 0)
        return is_recv;
    return is_send;
}

/* Total run time of the set's programs on loop's path. */
static uint64_t run_time(const struct progset *ps, const char *loop)
{
    uint64_t t = 0;
    for (int i = 0; i < ps->n; i++) {
        int fd = bpf_prog_get_fd_by_id(ps->ids[i]);
        if (fd < 0)
            continue;
        struct bpf_prog_info info;
        uint32_t len = sizeof info;
        memset(&info, 0, sizeof info);
        if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && on_path(loop, info.name))
            t += info.run_time_ns;
        close(fd);
    }
    return t;
}

static int bound_udp(struct sockaddr_in *a)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    socklen_t l = sizeof *a;
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof *a) || getsockname(fd, (struct sockaddr *)a, &l))
        die("udp socket");
    return fd;
}

static volatile int stop_drain;

static void *drain(void *arg)
{
    int fd = *(int *)arg;
    char buf[65536];
    while (!stop_drain && recv(fd, buf, sizeof buf, 0) > 0)
        ;
    return NULL;
}

/* Runs the loop; returns calls, *busy the seconds spent in the timed calls. */
static uint64_t run_loop(const char *loop, double seconds, double *busy)
{
    char buf[2048];
    memset(buf, 'x', sizeof buf);
    uint64_t calls = 0;
    double t0 = now_s(), end = t0 + seconds;
    if (strcmp(loop, "udp-send") == 0) {
        struct sockaddr_in sink;
        int s = bound_udp(&sink);
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        while (now_s() < end)
            for (int i = 0; i < 256; i++)
                calls += sendto(fd, buf, 32, 0, (struct sockaddr *)&sink, sizeof sink) == 32;
        *busy = now_s() - t0;
        close(fd);
        close(s);
    } else if (strcmp(loop, "udp-recv") == 0) {
        struct sockaddr_in to;
        int r = bound_udp(&to);
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        struct mmsghdr mm[64];
        struct iovec iov = {buf, 32};
        memset(mm, 0, sizeof mm);
        for (int i = 0; i < 64; i++) {
            mm[i].msg_hdr.msg_name = &to;
            mm[i].msg_hdr.msg_namelen = sizeof to;
            mm[i].msg_hdr.msg_iov = &iov;
            mm[i].msg_hdr.msg_iovlen = 1;
        }
        *busy = 0;
        while (now_s() < end) {
            int n = sendmmsg(fd, mm, 64, 0);
            if (n <= 0)
                die("sendmmsg");
            double a = now_s();
            for (int i = 0; i < n; i++)
                calls += recv(r, buf, sizeof buf, 0) == 32;
            *busy += now_s() - a;
        }
        close(fd);
        close(r);
    } else if (strcmp(loop, "tcp-send") == 0) {
        struct sockaddr_in a;
        socklen_t l = sizeof a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int lfd = socket(AF_INET, SOCK_STREAM, 0);
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 1) ||
            getsockname(lfd, (struct sockaddr *)&a, &l))
            die("listen");
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a))
            die("connect");
        int srv = accept(lfd, NULL, NULL);
        if (srv < 0)
            die("accept");
        pthread_t th;
        stop_drain = 0;
        if (pthread_create(&th, NULL, drain, &srv))
            die("pthread_create");
        t0 = now_s();
        end = t0 + seconds;
        while (now_s() < end)
            for (int i = 0; i < 256; i++)
                calls += send(c, buf, 64, 0) == 64;
        *busy = now_s() - t0;
        stop_drain = 1;
        shutdown(c, SHUT_WR);
        pthread_join(th, NULL);
        close(c);
        close(srv);
        close(lfd);
    } else {
        fprintf(stderr, "hookcost: unknown loop %s\n", loop);
        exit(2);
    }
    return calls;
}

static int cgroup_root(void)
{
    FILE *f = fopen("/proc/mounts", "re");
    char dev[256], dir[512], type[64];
    int fd = -1;
    while (f && fd < 0 && fscanf(f, "%255s %511s %63s %*[^\n]", dev, dir, type) == 3)
        if (strcmp(type, "cgroup2") == 0)
            fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (f)
        fclose(f);
    return fd;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: hookcost udp-send|udp-recv|tcp-send SECONDS [--empty] [--rec-pid PID]\n");
        return 2;
    }
    const char *loop = argv[1];
    double seconds = atof(argv[2]);
    int with_empty = 0, rec_pid = 0;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--empty") == 0)
            with_empty = 1;
        else if (strcmp(argv[i], "--rec-pid") == 0 && i + 1 < argc)
            rec_pid = atoi(argv[++i]);
    }
    struct progset rec = {.n = 0}, empty = {.n = 0};
    struct empty_bpf *skel = NULL;
    struct bpf_link *links[16];
    int nlinks = 0, cg = -1;
    if (with_empty) {
        skel = empty_bpf__open_and_load();
        cg = cgroup_root();
        if (!skel || cg < 0)
            die("empty programs");
        struct bpf_program *p;
        bpf_object__for_each_program(p, skel->obj)
        {
            int is_cg = bpf_program__expected_attach_type(p) != BPF_TRACE_RAW_TP;
            struct bpf_link *l = is_cg ? bpf_program__attach_cgroup(p, cg) : bpf_program__attach(p);
            if (!l)
                die(bpf_program__name(p));
            if (nlinks < (int)(sizeof links / sizeof links[0]))
                links[nlinks++] = l;
            struct bpf_prog_info info;
            uint32_t len = sizeof info;
            memset(&info, 0, sizeof info);
            if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) == 0)
                empty.ids[empty.n++] = info.id;
        }
    }
    if (rec_pid)
        progs_of_pid(rec_pid, &rec);
    uint64_t r0 = run_time(&rec, loop), e0 = run_time(&empty, loop);
    double busy = 0;
    uint64_t calls = run_loop(loop, seconds, &busy);
    uint64_t r1 = run_time(&rec, loop), e1 = run_time(&empty, loop);
    double rns = rec.n && r1 > r0 && calls ? (double)(r1 - r0) / (double)calls : -1;
    double ens = empty.n && e1 > e0 && calls ? (double)(e1 - e0) / (double)calls : -1;
    printf("%llu %.1f %.1f %.1f\n", (unsigned long long)calls, calls ? busy * 1e9 / (double)calls : 0, rns, ens);
    for (int i = 0; i < nlinks; i++)
        bpf_link__destroy(links[i]);
    empty_bpf__destroy(skel);
    if (cg >= 0)
        close(cg);
    return 0;
}
