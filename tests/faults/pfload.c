/* SPDX-License-Identifier: MIT */
/* pfload: loopback workloads for the fault and soak tests.
 *
 *   pfload steady --seconds S [--udp-rate N] [--tcp-rate N] [--spawn-rate N] [--stop FILE]
 *       Runs until S seconds pass or FILE exists:
 *       - UDP: one connected socket pair; sends and receives (both count as
 *         calls) paced to N calls/s in total, in batches (sendmmsg/recvmmsg);
 *       - TCP: N short connections/s (connect, 64 bytes each way, close) to
 *         127.0.0.1 .. 127.0.0.8, so TIME_WAIT never runs out of ports;
 *       - processes: N short-lived processes/s (fork + exec of this program),
 *         each making one TCP connection and a few UDP sends, then exiting.
 *       Prints "calls N connections N processes N seconds X" at the end.
 *
 *   pfload burst --count N [--size B] [--batch K] [--cpu C] [--fifo] [--hold-ms M]
 *                [--stall-cpu C2 --stall-ms M2] [--ready FILE --go FILE]
 *       N UDP sends as fast as possible on one connected socket to a sink
 *       nobody reads (sends still succeed), K per sendmmsg call (each
 *       message is one socket send). --cpu pins the burst to CPU C;
 *       --fifo runs it as SCHED_FIFO, so no ordinary task runs on that CPU
 *       while it lasts, then keeps the CPU for M ms (default 200) without a
 *       system call so the recorder can drain its buffer first. --stall-cpu
 *       also holds CPU C2 (SCHED_FIFO, no system calls) for the first M2 ms
 *       of the burst: a recorder pinned there cannot read its buffer, and no
 *       other ordinary task runs anywhere meanwhile. Prints
 *       "pid sends bytes seconds".
 *
 * Every loop is bounded in count and in time. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TCP_DESTS 8 /* 127.0.0.1 .. 127.0.0.8 */
#define UDP_BATCH 32
#define MAX_SECONDS 7200
#define MAX_CHILDREN 256 /* live children at a time; spawning waits beyond */

static atomic_int stopping;
static atomic_ullong udp_calls, tcp_conns, spawned;

static void die(const char *what)
{
    fprintf(stderr, "pfload[%d]: %s: %s\n", getpid(), what, strerror(errno));
    exit(1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int exists(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0;
}

static void loop_addr(struct sockaddr_in *sa, unsigned host, unsigned port)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_addr.s_addr = htonl(0x7f000000u | host);
    sa->sin_port = htons((uint16_t)port);
}

static unsigned local_port(int fd)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
        die("getsockname");
    return ntohs(sa.sin_port);
}

/* Two UDP sockets on 127.0.0.1 connected to each other. */
static void udp_pair(int *tx, int *rx)
{
    struct sockaddr_in a, b;
    *rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    *tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (*rx < 0 || *tx < 0)
        die("socket");
    loop_addr(&a, 1, 0);
    if (bind(*rx, (struct sockaddr *)&a, sizeof a) || bind(*tx, (struct sockaddr *)&a, sizeof a))
        die("bind");
    loop_addr(&a, 1, local_port(*rx));
    loop_addr(&b, 1, local_port(*tx));
    if (connect(*tx, (struct sockaddr *)&a, sizeof a) || connect(*rx, (struct sockaddr *)&b, sizeof b))
        die("connect");
}

/* ------------------------------------------------------------ steady */

struct steady {
    double seconds, udp_rate, tcp_rate, spawn_rate;
    const char *stop_file;
    int udp_tx, udp_rx, listener;
    unsigned tcp_port, udp_port;
};

/* Paced sender: every millisecond, sends what is due (half the calls are
 * the receiver's). */
static void *udp_sender(void *arg)
{
    struct steady *s = arg;
    char buf[64];
    memset(buf, 'u', sizeof buf);
    struct mmsghdr mm[UDP_BATCH];
    struct iovec iov[UDP_BATCH];
    for (int i = 0; i < UDP_BATCH; i++) {
        iov[i] = (struct iovec){buf, sizeof buf};
        memset(&mm[i], 0, sizeof mm[i]);
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    double t0 = now_s(), per_s = s->udp_rate / 2;
    unsigned long long sent = 0;
    while (!atomic_load(&stopping)) {
        double due = (now_s() - t0) * per_s;
        if ((double)sent >= due) {
            sleep_ms(1);
            continue;
        }
        unsigned n = (double)sent + UDP_BATCH <= due ? UDP_BATCH : (unsigned)(due - (double)sent) + 1;
        int k = sendmmsg(s->udp_tx, mm, n, 0);
        if (k > 0) {
            sent += (unsigned)k;
            atomic_fetch_add(&udp_calls, (unsigned)k);
        } else {
            sleep_ms(1);
        }
    }
    return NULL;
}

static void *udp_receiver(void *arg)
{
    struct steady *s = arg;
    char bufs[UDP_BATCH][64];
    struct mmsghdr mm[UDP_BATCH];
    struct iovec iov[UDP_BATCH];
    for (int i = 0; i < UDP_BATCH; i++) {
        iov[i] = (struct iovec){bufs[i], sizeof bufs[i]};
        memset(&mm[i], 0, sizeof mm[i]);
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    while (!atomic_load(&stopping)) {
        struct pollfd p = {s->udp_rx, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        int k = recvmmsg(s->udp_rx, mm, UDP_BATCH, MSG_DONTWAIT, NULL);
        if (k > 0)
            atomic_fetch_add(&udp_calls, (unsigned)k);
    }
    return NULL;
}

/* One request/reply connection to 127.0.0.(1 + i % TCP_DESTS). */
static int tcp_once(unsigned port, unsigned i)
{
    struct sockaddr_in sa;
    loop_addr(&sa, 1 + i % TCP_DESTS, port);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    char buf[64];
    memset(buf, 't', sizeof buf);
    int ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
             send(fd, buf, sizeof buf, 0) == (ssize_t)sizeof buf &&
             recv(fd, buf, sizeof buf, MSG_WAITALL) == (ssize_t)sizeof buf;
    close(fd);
    return ok ? 0 : -1;
}

static void *tcp_server(void *arg)
{
    struct steady *s = arg;
    char buf[64];
    while (!atomic_load(&stopping)) {
        struct pollfd p = {s->listener, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        int c = accept4(s->listener, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        struct timeval tv = {1, 0};
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (recv(c, buf, sizeof buf, MSG_WAITALL) == (ssize_t)sizeof buf)
            (void)send(c, buf, sizeof buf, 0);
        (void)recv(c, buf, sizeof buf, 0); /* the client's close */
        close(c);
    }
    return NULL;
}

static void *tcp_client(void *arg)
{
    struct steady *s = arg;
    double t0 = now_s();
    unsigned long long done = 0;
    while (!atomic_load(&stopping)) {
        if ((double)done >= (now_s() - t0) * s->tcp_rate) {
            sleep_ms(1);
            continue;
        }
        if (tcp_once(s->tcp_port, (unsigned)done) == 0)
            atomic_fetch_add(&tcp_conns, 1);
        done++;
    }
    return NULL;
}

/* A spawned process: one connection, a few datagrams, exit. */
static int child_main(unsigned tcp_port, unsigned udp_port)
{
    if (tcp_once(tcp_port, (unsigned)getpid()) != 0)
        return 1;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa;
    loop_addr(&sa, 1, udp_port);
    char buf[32];
    memset(buf, 'c', sizeof buf);
    for (int i = 0; i < 4 && fd >= 0; i++)
        (void)sendto(fd, buf, sizeof buf, 0, (struct sockaddr *)&sa, sizeof sa);
    if (fd >= 0)
        close(fd);
    return 0;
}

static void spawn_child(const char *self, const struct steady *s)
{
    char tp[16], up[16];
    snprintf(tp, sizeof tp, "%u", s->tcp_port);
    snprintf(up, sizeof up, "%u", s->udp_port);
    pid_t p = fork();
    if (p == 0) {
        char *argv[] = {(char *)"pfload-child", (char *)"child", tp, up, NULL};
        execv(self, argv);
        _exit(127);
    }
    if (p > 0)
        atomic_fetch_add(&spawned, 1);
}

static int reap(int *live, int block)
{
    int failed = 0, st;
    pid_t p;
    while (*live > 0 && (p = waitpid(-1, &st, block ? 0 : WNOHANG)) > 0) {
        (*live)--;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            failed++;
    }
    return failed;
}

static int run_steady(struct steady *s)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        die("readlink /proc/self/exe");
    self[n] = '\0';

    udp_pair(&s->udp_tx, &s->udp_rx);
    int big = 1 << 20;
    setsockopt(s->udp_rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    s->udp_port = local_port(s->udp_rx);
    s->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(s->listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in any;
    memset(&any, 0, sizeof any);
    any.sin_family = AF_INET;
    if (s->listener < 0 || bind(s->listener, (struct sockaddr *)&any, sizeof any) || listen(s->listener, 512))
        die("tcp listener");
    s->tcp_port = local_port(s->listener);

    pthread_t th[4];
    void *(*fn[4])(void *);
    int nth = 0;
    if (s->udp_rate > 0) {
        fn[nth++] = udp_sender;
        fn[nth++] = udp_receiver;
    }
    if (s->tcp_rate > 0 || s->spawn_rate > 0)
        fn[nth++] = tcp_server;
    if (s->tcp_rate > 0)
        fn[nth++] = tcp_client;
    for (int i = 0; i < nth; i++)
        if (pthread_create(&th[i], NULL, fn[i], s) != 0)
            die("pthread_create");

    double t0 = now_s();
    unsigned long long forks = 0;
    int live = 0, failed = 0;
    while (now_s() - t0 < s->seconds && !exists(s->stop_file)) {
        failed += reap(&live, 0);
        if (s->spawn_rate > 0 && (double)forks < (now_s() - t0) * s->spawn_rate && live < MAX_CHILDREN) {
            spawn_child(self, s);
            forks++;
            live++;
            continue;
        }
        sleep_ms(2);
    }
    atomic_store(&stopping, 1);
    for (int i = 0; i < nth; i++)
        pthread_join(th[i], NULL);
    failed += reap(&live, 1);
    double secs = now_s() - t0;
    printf("calls %llu connections %llu processes %llu seconds %.1f\n", (unsigned long long)atomic_load(&udp_calls),
           (unsigned long long)atomic_load(&tcp_conns), (unsigned long long)atomic_load(&spawned), secs);
    close(s->udp_tx);
    close(s->udp_rx);
    close(s->listener);
    if (failed)
        fprintf(stderr, "pfload: %d spawned processes failed\n", failed);
    return 0;
}

/* ------------------------------------------------------------ burst */

struct burst {
    unsigned long long count;
    size_t size;
    int batch, cpu, fifo, hold_ms, stall_cpu, stall_ms;
    const char *ready, *go;
};

static int pin(pthread_t t, int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET((size_t)cpu, &set);
    return pthread_setaffinity_np(t, sizeof set, &set);
}

struct stall {
    int cpu, ms, ok;
    atomic_int started;
};

/* Occupies one CPU at real-time priority, without system calls (the clock
 * is read through the vDSO), so nothing there makes an event. */
static void *stall_cpu(void *arg)
{
    struct stall *st = arg;
    struct sched_param rt = {.sched_priority = 1};
    st->ok = pin(pthread_self(), st->cpu) == 0 && pthread_setschedparam(pthread_self(), SCHED_FIFO, &rt) == 0;
    atomic_store(&st->started, 1);
    double until = now_s() + st->ms / 1000.0;
    while (st->ok && now_s() < until)
        ;
    return NULL;
}

static int run_burst(const struct burst *b)
{
    int tx, sink;
    udp_pair(&tx, &sink);
    int small = 4096;
    setsockopt(sink, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    char buf[65536];
    memset(buf, 'b', sizeof buf);

    if (b->ready) {
        int fd = open(b->ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
            die("ready file");
        close(fd);
        for (int i = 0; i < 6000 && !exists(b->go); i++)
            sleep_ms(10);
        if (!exists(b->go)) {
            fprintf(stderr, "pfload: no go file after 60 s\n");
            return 1;
        }
    }
    if (b->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET((size_t)b->cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0)
            die("sched_setaffinity");
    }
    struct sched_param rt = {.sched_priority = 1}, normal = {.sched_priority = 0};
    if (b->fifo && sched_setscheduler(0, SCHED_FIFO, &rt) != 0)
        die("SCHED_FIFO");
    struct stall st = {b->stall_cpu, b->stall_ms, 0, 0};
    pthread_t staller;
    if (b->stall_cpu >= 0) {
        if (pthread_create(&staller, NULL, stall_cpu, &st) != 0)
            die("pthread_create");
        for (int i = 0; i < 100000 && !atomic_load(&st.started); i++)
            sched_yield();
    }

    /* The burst is bounded in time too: RT throttling would hand the CPU
     * to others after 0.95 s of every second. */
    struct mmsghdr mm[UDP_BATCH];
    struct iovec iov = {buf, b->size};
    memset(mm, 0, sizeof mm);
    for (int i = 0; i < UDP_BATCH; i++) {
        mm[i].msg_hdr.msg_iov = &iov;
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    unsigned long long sends = 0, bytes = 0, calls = 0;
    double t0 = now_s(), limit = t0 + 0.6;
    while (sends < b->count) {
        unsigned long long left = b->count - sends;
        unsigned n = left < (unsigned long long)b->batch ? (unsigned)left : (unsigned)b->batch;
        int k = sendmmsg(tx, mm, n, 0);
        for (int i = 0; i < k; i++)
            bytes += mm[i].msg_len;
        if (k > 0)
            sends += (unsigned)k;
        if ((++calls & 7) == 0 && now_s() > limit)
            break;
    }
    double secs = now_s() - t0;
    /* Hold the CPU without system calls while the recorder drains. */
    double hold_until = now_s() + b->hold_ms / 1000.0;
    while (now_s() < hold_until)
        ;
    if (b->fifo)
        sched_setscheduler(0, SCHED_OTHER, &normal);
    if (b->stall_cpu >= 0) {
        pthread_join(staller, NULL);
        if (!st.ok) {
            fprintf(stderr, "pfload: cannot hold CPU %d at real-time priority\n", b->stall_cpu);
            return 1;
        }
    }
    printf("%d %llu %llu %.3f\n", getpid(), sends, bytes, secs);
    fflush(stdout);
    close(tx);
    close(sink);
    return 0;
}

/* ------------------------------------------------------------ main */

static double num(const char *s, double lo, double hi)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "pfload: bad number '%s' (%g..%g)\n", s, lo, hi);
        exit(2);
    }
    return v;
}

static void usage(void)
{
    fprintf(stderr, "usage: pfload steady --seconds S [--udp-rate N] [--tcp-rate N] [--spawn-rate N] [--stop FILE]\n"
                    "       pfload burst --count N [--size B] [--batch K] [--cpu C] [--fifo] [--hold-ms M]\n"
                    "                    [--stall-cpu C2 --stall-ms M2] [--ready F --go F]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 4 && strcmp(argv[1], "child") == 0)
        return child_main((unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]));
    if (argc < 2)
        usage();
    if (strcmp(argv[1], "steady") == 0) {
        struct steady s;
        memset(&s, 0, sizeof s);
        s.seconds = 10;
        for (int i = 2; i < argc; i++) {
            const char *a = argv[i];
            if (i + 1 >= argc)
                usage();
            const char *v = argv[++i];
            if (!strcmp(a, "--seconds"))
                s.seconds = num(v, 0.1, MAX_SECONDS);
            else if (!strcmp(a, "--udp-rate"))
                s.udp_rate = num(v, 0, 1e7);
            else if (!strcmp(a, "--tcp-rate"))
                s.tcp_rate = num(v, 0, 1e5);
            else if (!strcmp(a, "--spawn-rate"))
                s.spawn_rate = num(v, 0, 1e4);
            else if (!strcmp(a, "--stop"))
                s.stop_file = v;
            else
                usage();
        }
        return run_steady(&s);
    }
    if (strcmp(argv[1], "burst") == 0) {
        struct burst b = {100000, 64, 1, -1, 0, 200, -1, 0, NULL, NULL};
        for (int i = 2; i < argc; i++) {
            const char *a = argv[i];
            if (!strcmp(a, "--fifo")) {
                b.fifo = 1;
                continue;
            }
            if (i + 1 >= argc)
                usage();
            const char *v = argv[++i];
            if (!strcmp(a, "--count"))
                b.count = (unsigned long long)num(v, 1, 1e9);
            else if (!strcmp(a, "--size"))
                b.size = (size_t)num(v, 1, 65000);
            else if (!strcmp(a, "--batch"))
                b.batch = (int)num(v, 1, UDP_BATCH);
            else if (!strcmp(a, "--cpu"))
                b.cpu = (int)num(v, 0, 4095);
            else if (!strcmp(a, "--hold-ms"))
                b.hold_ms = (int)num(v, 0, 500);
            else if (!strcmp(a, "--stall-cpu"))
                b.stall_cpu = (int)num(v, 0, 4095);
            else if (!strcmp(a, "--stall-ms"))
                b.stall_ms = (int)num(v, 0, 500);
            else if (!strcmp(a, "--ready"))
                b.ready = v;
            else if (!strcmp(a, "--go"))
                b.go = v;
            else
                usage();
        }
        if (!b.ready != !b.go)
            usage();
        return run_burst(&b);
    }
    usage();
    return 2;
}
