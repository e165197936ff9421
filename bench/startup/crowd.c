/* SPDX-License-Identifier: MIT */
/* A crowded host for the recorder start-up benchmark: N processes that each
 * hold K sockets (UDP bound and connected, TCP listener + connection pair),
 * so the start-up rundown has many processes and sockets to walk.
 *   crowd PROCESSES SOCKETS_PER_PROCESS
 * Prints "ready PROCS SOCKETS" once every child holds its sockets, then
 * waits; SIGTERM or SIGINT ends it and every child. Loopback only. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int bound_socket(int type)
{
    int fd = socket(AF_INET, type, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int local_name(int fd, struct sockaddr_in *a)
{
    socklen_t n = sizeof *a;
    return getsockname(fd, (struct sockaddr *)a, &n);
}

/* Opens k sockets: one TCP listener with a connected pair (3), the rest UDP
 * sockets connected to each other in pairs. Returns the number opened. */
static int hold_sockets(int k)
{
    int opened = 0;
    if (k >= 3) {
        int l = bound_socket(SOCK_STREAM);
        struct sockaddr_in a;
        if (l >= 0 && listen(l, 4) == 0 && local_name(l, &a) == 0) {
            int c = socket(AF_INET, SOCK_STREAM, 0);
            if (c >= 0 && connect(c, (struct sockaddr *)&a, sizeof a) == 0 && accept(l, NULL, NULL) >= 0)
                opened += 3;
        }
    }
    int prev = -1;
    while (opened < k) {
        int u = bound_socket(SOCK_DGRAM);
        if (u < 0)
            break;
        opened++;
        if (prev >= 0) {
            struct sockaddr_in a, b;
            if (local_name(prev, &a) == 0 && local_name(u, &b) == 0) {
                connect(u, (struct sockaddr *)&a, sizeof a);
                connect(prev, (struct sockaddr *)&b, sizeof b);
            }
            prev = -1;
        } else {
            prev = u;
        }
    }
    return opened;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: crowd PROCESSES SOCKETS_PER_PROCESS\n");
        return 2;
    }
    int n = atoi(argv[1]), k = atoi(argv[2]);
    if (n < 1 || n > 20000 || k < 0 || k > 100) {
        fprintf(stderr, "crowd: 1..20000 processes, 0..100 sockets each\n");
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_stop};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    int ready[2];
    if (pipe(ready) < 0)
        return 1;
    pid_t *kids = calloc((size_t)n, sizeof *kids);
    if (!kids)
        return 1;
    int started = 0;
    for (int i = 0; i < n; i++) {
        pid_t p = fork();
        if (p < 0) {
            fprintf(stderr, "crowd: fork %d: %s\n", i, strerror(errno));
            break;
        }
        if (p == 0) {
            close(ready[0]);
            signal(SIGTERM, SIG_DFL);
            int got = hold_sockets(k);
            if (write(ready[1], &got, sizeof got) != sizeof got)
                _exit(1);
            close(ready[1]);
            /* Held until the parent ends us (or, should it die, for an hour). */
            for (int t = 0; t < 3600; t++)
                sleep(1);
            _exit(0);
        }
        kids[started++] = p;
    }
    close(ready[1]);
    long sockets = 0;
    for (int i = 0; i < started; i++) {
        int got;
        if (read(ready[0], &got, sizeof got) != sizeof got)
            break;
        sockets += got;
    }
    printf("ready %d %ld\n", started, sockets);
    fflush(stdout);
    while (!stop_flag)
        pause();
    for (int i = 0; i < started; i++)
        kill(kids[i], SIGKILL);
    for (int i = 0; i < started; i++)
        waitpid(kids[i], NULL, 0);
    free(kids);
    return 0;
}
