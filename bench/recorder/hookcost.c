/* SPDX-License-Identifier: MIT */
/* hookcost: what the recorder's BPF programs cost per system call, next to
 * empty programs on the same hooks.
 *   hookcost LOOP SECONDS [--empty] [--rec-pid PID] [-v]
 * LOOP: udp-send (sendto to a local socket nobody reads), udp-recv (recv of
 * datagrams queued by an untimed sendmmsg), tcp-send (64-byte sends on a
 * loopback connection drained by a second thread).
 * --empty attaches empty programs on every hook the recorder attaches to
 * for the run (the receive-side ones of a loopback send run inside the
 * sending call, so they are part of its cost); the sendmsg hooks, its
 * fallback, only when --hooks names them.
 * --rec-pid: the recorder's programs are those PID holds; their run times
 * (and the empty programs') are read, with the statistics on for the run.
 * --hooks LIST: with --empty, empty programs only on these hooks (names
 * after empty_, comma-separated): what each hook's dispatch costs.
 * -v: one line per program on stderr (runs per call, ns per run, ns per
 * call), to see where the time goes.
 * Prints: calls ns_per_call rec_prog_ns empty_prog_ns: ns_per_call is the
 * loop thread's CPU time per call; the last two come from
 * the kernel's program run-time statistics (-1 when not available): the
 * programs' own run time per call of the loop, summed over the hooks the
 * loop's calls pass (udp-send: all; udp-recv: receive side; tcp-send: send
 * side). The statistics are switched on through a descriptor held for the
 * run (BPF_ENABLE_STATS), so a parallel user of the sysctl cannot turn
 * them off under us; they count every caller on the machine, which the
 * runs-per-call column of -v shows. */
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

/* CPU time of the calling thread: what a call costs the caller, including
 * the loopback delivery the kernel runs in its context, and not the time
 * other processes on a shared machine hold the CPU. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "hookcost: %s: %s\n", what, strerror(errno));
    exit(1);
}

struct progset {
    uint32_t ids[MAX_PROGS];
    uint64_t time0[MAX_PROGS], cnt0[MAX_PROGS];
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

/* The recorder's program on a hook and the empty one share the name after
 * their prefix (on_send, empty_send). */
static const char *hook_of(const char *name)
{
    if (strncmp(name, "on_", 3) == 0)
        return name + 3;
    if (strncmp(name, "empty_", 6) == 0)
        return name + 6;
    return name;
}

/* The recorder attaches the sendmsg hooks only where its egress hook
 * cannot load (it takes UDP destinations there): not part of its set
 * here, unless named with --hooks. */
static int is_fallback_hook(const char *name)
{
    return strcmp(hook_of(name), "sendmsg4") == 0 || strcmp(hook_of(name), "sendmsg6") == 0;
}

static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return 0;
}

static int on_path(const char *loop, const char *name)
{
    static const char *const sends[] = {"send", "sendmsg4", "sendmsg6", "egress"};
    static const char *const recvs[] = {"recv", "ingress", "drop", "recvmsg4", "recvmsg6", "copy", "tcp_read"};
    const char *h = hook_of(name);
    int is_send = 0, is_recv = 0;
    for (size_t i = 0; i < sizeof sends / sizeof sends[0]; i++)
        is_send |= strcmp(h, sends[i]) == 0;
    for (size_t i = 0; i < sizeof recvs / sizeof recvs[0]; i++)
        is_recv |= strcmp(h, recvs[i]) == 0;
    if (strcmp(loop, "udp-send") == 0)
        return is_send || is_recv;
    if (strcmp(loop, "udp-recv") == 0)
        return is_recv;
    return is_send;
}

static int prog_info(uint32_t id, struct bpf_prog_info *info)
{
    int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0)
        return -1;
    uint32_t len = sizeof *info;
    memset(info, 0, sizeof *info);
    int rc = bpf_obj_get_info_by_fd(fd, info, &len);
    close(fd);
    return rc;
}

static void mark(struct progset *ps)
{
    for (int i = 0; i < ps->n; i++) {
        struct bpf_prog_info info;
        ps->time0[i] = ps->cnt0[i] = 0;
        if (prog_info(ps->ids[i], &info) == 0) {
            ps->time0[i] = info.run_time_ns;
            ps->cnt0[i] = info.run_cnt;
        }
    }
}

/* Run time since mark() of the set's programs on loop's path, at most
 * one run per call of each; with verbose, one line per program that ran. */
static uint64_t run_time(const struct progset *ps, const char *loop, uint64_t calls, int verbose)
{
    uint64_t t = 0;
    for (int i = 0; i < ps->n; i++) {
        struct bpf_prog_info info;
        if (prog_info(ps->ids[i], &info) != 0 || !on_path(loop, info.name))
            continue;
        uint64_t dt = info.run_time_ns - ps->time0[i], dc = info.run_cnt - ps->cnt0[i];
        /* A loop's call passes each hook at most once: runs beyond one per
         * call are other callers on the machine, counted at the mean. */
        t += dc > calls && calls ? (uint64_t)((double)dt * (double)calls / (double)dc) : dt;
        if (verbose && dc && calls)
            fprintf(stderr, "%-16s runs/call %.3f ns/run %.1f ns/call %.1f\n", info.name, (double)dc / (double)calls,
                    (double)dt / (double)dc, (double)dt / (double)calls);
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

/* Runs the loop; returns calls, *busy the CPU seconds of the calling
 * thread spent in the timed calls. */
static uint64_t run_loop(const char *loop, double seconds, double *busy)
{
    char buf[2048];
    memset(buf, 'x', sizeof buf);
    uint64_t calls = 0;
    double t0 = now_s(), end = t0 + seconds, c0 = cpu_s();
    if (strcmp(loop, "udp-send") == 0) {
        struct sockaddr_in sink;
        int s = bound_udp(&sink);
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        while (now_s() < end)
            for (int i = 0; i < 256; i++)
                calls += sendto(fd, buf, 32, 0, (struct sockaddr *)&sink, sizeof sink) == 32;
        *busy = cpu_s() - c0;
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
            double a = cpu_s();
            for (int i = 0; i < n; i++)
                calls += recv(r, buf, sizeof buf, 0) == 32;
            *busy += cpu_s() - a;
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
        c0 = cpu_s();
        while (now_s() < end)
            for (int i = 0; i < 256; i++)
                calls += send(c, buf, 64, 0) == 64;
        *busy = cpu_s() - c0;
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
        fprintf(stderr,
                "usage: hookcost udp-send|udp-recv|tcp-send SECONDS [--empty [--hooks LIST]] [--rec-pid PID] [-v]\n");
        return 2;
    }
    const char *loop = argv[1];
    double seconds = atof(argv[2]);
    int with_empty = 0, rec_pid = 0, verbose = 0;
    const char *only = NULL; /* comma-separated hook names: empty programs on those only */
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--empty") == 0)
            with_empty = 1;
        else if (strcmp(argv[i], "--rec-pid") == 0 && i + 1 < argc)
            rec_pid = atoi(argv[++i]);
        else if (strcmp(argv[i], "-v") == 0)
            verbose = 1;
        else if (strcmp(argv[i], "--hooks") == 0 && i + 1 < argc)
            only = argv[++i];
    }
    struct progset rec = {.n = 0}, empty = {.n = 0};
    struct empty_bpf *skel = NULL;
    struct bpf_link *links[MAX_PROGS];
    int nlinks = 0, cg = -1, stats_fd = -1;
    if (with_empty) {
        skel = empty_bpf__open_and_load();
        cg = cgroup_root();
        if (!skel || cg < 0)
            die("empty programs");
        struct bpf_program *p;
        bpf_object__for_each_program(p, skel->obj)
        {
            if (only ? !in_list(only, hook_of(bpf_program__name(p))) : is_fallback_hook(bpf_program__name(p)))
                continue;
            int is_cg = bpf_program__expected_attach_type(p) != BPF_TRACE_RAW_TP;
            struct bpf_link *l = is_cg ? bpf_program__attach_cgroup(p, cg) : bpf_program__attach(p);
            if (!l)
                die(bpf_program__name(p));
            if (nlinks < MAX_PROGS)
                links[nlinks++] = l;
            struct bpf_prog_info info;
            uint32_t len = sizeof info;
            memset(&info, 0, sizeof info);
            if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) == 0 && empty.n < MAX_PROGS)
                empty.ids[empty.n++] = info.id;
        }
    }
    if (rec_pid)
        progs_of_pid(rec_pid, &rec);
    /* Only the side-by-side run reads program times: the statistics cost
     * every program a clock read, which a run timing the loop must not pay. */
    if (rec_pid) {
        stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
        if (stats_fd < 0)
            fprintf(stderr, "hookcost: program run-time statistics unavailable: %s\n", strerror(errno));
    }
    mark(&rec);
    mark(&empty);
    double busy = 0;
    uint64_t calls = run_loop(loop, seconds, &busy);
    uint64_t rt = run_time(&rec, loop, calls, verbose), et = run_time(&empty, loop, calls, verbose);
    double rns = rec.n && stats_fd >= 0 && rt && calls ? (double)rt / (double)calls : -1;
    double ens = empty.n && stats_fd >= 0 && et && calls ? (double)et / (double)calls : -1;
    printf("%llu %.1f %.1f %.1f\n", (unsigned long long)calls, calls ? busy * 1e9 / (double)calls : 0, rns, ens);
    if (stats_fd >= 0)
        close(stats_fd);
    for (int i = 0; i < nlinks; i++)
        bpf_link__destroy(links[i]);
    empty_bpf__destroy(skel);
    if (cg >= 0)
        close(cg);
    return 0;
}
