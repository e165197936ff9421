/* SPDX-License-Identifier: MIT */
/* What rawpeer and packetpeer share: the "pid N" line, bounded waits, and
 * the two exchanges with known truth (serve: answer each packet received;
 * ask: send, then read one answer, each time). Every wait is bounded. */
#ifndef PF_TEST_PEER_LOOP_H
#define PF_TEST_PEER_LOOP_H

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void peer_print_pid(void)
{
    printf("pid %d\n", (int)getpid());
    fflush(stdout);
}

static int peer_wait_readable(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int rc;
    do
        rc = poll(&p, 1, ms);
    while (rc < 0 && errno == EINTR);
    return rc > 0 ? 0 : -1;
}

static int peer_wait_file(const char *path)
{
    struct stat st;
    for (int i = 0; i < 600; i++) { /* 30 s */
        if (stat(path, &st) == 0)
            return 0;
        usleep(50000);
    }
    return -1;
}

/* Receives count packets (20 s for each) and answers each with reply bytes
 * of fill to its source, after fix (when given) adjusted that address.
 * Returns 0, or 1 after a message naming `name`. */
static int peer_serve(const char *name, int fd, int count, size_t reply, int fill,
                      void (*fix)(struct sockaddr_storage *from, void *arg), void *arg)
{
    char buf[2048];
    memset(buf, fill, sizeof buf);
    if (reply > sizeof buf)
        return 1;
    for (int i = 0; i < count; i++) {
        struct sockaddr_storage from;
        socklen_t flen = sizeof from;
        if (peer_wait_readable(fd, 20000) != 0 ||
            recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen) < 0) {
            fprintf(stderr, "%s: nothing received (%d of %d)\n", name, i, count);
            return 1;
        }
        if (fix)
            fix(&from, arg);
        memset(buf, fill, reply);
        if (sendto(fd, buf, reply, 0, (struct sockaddr *)&from, flen) != (ssize_t)reply) {
            fprintf(stderr, "%s: sendto: %s\n", name, strerror(errno));
            return 1;
        }
    }
    return 0;
}

/* Waits for go_file (when given), then count times sends bytes of fill to
 * peer and reads one answer (5 s for each). Returns 0, or 1 after a
 * message naming `name`. */
static int peer_ask(const char *name, int fd, const void *peer, socklen_t plen, int count, size_t bytes, int fill,
                    const char *go_file)
{
    char buf[2048];
    memset(buf, fill, sizeof buf);
    if (bytes > sizeof buf)
        return 1;
    if (go_file && peer_wait_file(go_file) != 0) {
        fprintf(stderr, "%s: no go\n", name);
        return 1;
    }
    for (int i = 0; i < count; i++) {
        if (sendto(fd, buf, bytes, 0, (const struct sockaddr *)peer, plen) != (ssize_t)bytes) {
            fprintf(stderr, "%s: sendto: %s\n", name, strerror(errno));
            return 1;
        }
        if (peer_wait_readable(fd, 5000) != 0 || recv(fd, buf, sizeof buf, 0) < 0) {
            fprintf(stderr, "%s: no answer to packet %d\n", name, i);
            return 1;
        }
    }
    return 0;
}

#endif
