/* SPDX-License-Identifier: MIT */
/* udpflood: loopback UDP send workload for the recorder benchmarks.
 *   udpflood [--threads N] [--seconds S] [--rate CALLS_PER_S] [--size B]
 *            [--batch N] [--peers N]
 * Each thread owns one unconnected UDP socket and sends SIZE-byte
 * datagrams to PEERS sink sockets nobody reads (sends still succeed; the
 * sink drops). --batch N uses sendmmsg with N messages (each message is one
 * socket send). --rate paces the total rate (0 = as fast as possible).
 * Prints: pid calls bytes seconds calls_per_s cpu_s (this process). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int nthreads = 2, batch = 1, npeers = 1;
static double seconds = 10, rate = 0;
static size_t size = 32;
static struct sockaddr_in *peers;

struct result {
    uint64_t calls, bytes;
};

static double now_s(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *run(void *arg)
{
    struct result *r = arg;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return NULL;
    char buf[65536];
    memset(buf, 'x', sizeof buf);
    struct mmsghdr mm[256];
    struct iovec iov[256];
    double per_thread = rate > 0 ? rate / nthreads : 0;
    double t0 = now_s(CLOCK_MONOTONIC), end = t0 + seconds;
    unsigned next_peer = 0;
    for (;;) {
        double t = now_s(CLOCK_MONOTONIC);
        if (t >= end)
            break;
        if (per_thread > 0 && (double)r->calls > (t - t0) * per_thread) {
            /* Ahead of the pace: sleep a little (bounded by the end time). */
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
            continue;
        }
        /* Send a burst between clock reads to keep the loop cheap. */
        for (int burst = 0; burst < 64; burst++) {
            if (batch > 1) {
                for (int i = 0; i < batch; i++) {
                    struct sockaddr_in *p = &peers[next_peer++ % (unsigned)npeers];
                    iov[i] = (struct iovec){buf, size};
                    memset(&mm[i], 0, sizeof mm[i]);
                    mm[i].msg_hdr.msg_name = p;
                    mm[i].msg_hdr.msg_namelen = sizeof *p;
                    mm[i].msg_hdr.msg_iov = &iov[i];
                    mm[i].msg_hdr.msg_iovlen = 1;
                }
                int n = sendmmsg(fd, mm, (unsigned)batch, 0);
                for (int i = 0; i < n; i++) {
                    r->calls++;
                    r->bytes += mm[i].msg_len;
                }
            } else {
                struct sockaddr_in *p = &peers[next_peer++ % (unsigned)npeers];
                ssize_t w = sendto(fd, buf, size, 0, (struct sockaddr *)p, sizeof *p);
                if (w > 0) {
                    r->calls++;
                    r->bytes += (uint64_t)w;
                }
            }
            if (per_thread > 0)
                break;
        }
    }
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads"))
            nthreads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--rate"))
            rate = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--size"))
            size = (size_t)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch"))
            batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--peers"))
            npeers = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "udpflood: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (nthreads < 1 || nthreads > 64 || batch < 1 || batch > 256 || npeers < 1 || npeers > 4096 || size < 1 ||
        size > 65000 || seconds <= 0) {
        fprintf(stderr, "udpflood: bad arguments\n");
        return 2;
    }
    peers = calloc((size_t)npeers, sizeof *peers);
    int *sinks = calloc((size_t)npeers, sizeof *sinks);
    for (int i = 0; i < npeers; i++) {
        sinks[i] = socket(AF_INET, SOCK_DGRAM, 0);
        int small = 4096;
        setsockopt(sinks[i], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        peers[i].sin_family = AF_INET;
        peers[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t sl = sizeof peers[i];
        if (bind(sinks[i], (struct sockaddr *)&peers[i], sl) ||
            getsockname(sinks[i], (struct sockaddr *)&peers[i], &sl)) {
            perror("sink");
            return 1;
        }
    }
    pthread_t th[64];
    struct result res[64];
    memset(res, 0, sizeof res);
    double c0 = now_s(CLOCK_PROCESS_CPUTIME_ID), t0 = now_s(CLOCK_MONOTONIC);
    for (int i = 0; i < nthreads; i++)
        pthread_create(&th[i], NULL, run, &res[i]);
    uint64_t calls = 0, bytes = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(th[i], NULL);
        calls += res[i].calls;
        bytes += res[i].bytes;
    }
    double dt = now_s(CLOCK_MONOTONIC) - t0, cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    printf("%d %llu %llu %.3f %.0f %.3f\n", getpid(), (unsigned long long)calls, (unsigned long long)bytes, dt,
           (double)calls / dt, cpu);
    for (int i = 0; i < npeers; i++)
        close(sinks[i]);
    free(sinks);
    free(peers);
    return 0;
}
