/* SPDX-License-Identifier: MIT */
/* Raw IP socket traffic with known truth, for the recorder test.
 *   rawpeer serve FAMILY PROTO COUNT REPLY_BYTES
 *       receives COUNT packets of IP protocol PROTO and answers each with
 *       REPLY_BYTES bytes to its source
 *   rawpeer ask FAMILY PROTO DEST COUNT BYTES [GO_FILE]
 *       (opens the socket, waits for GO_FILE when given), then sends COUNT
 *       packets of BYTES bytes to DEST, each followed by reading one answer
 * FAMILY is 4 or 6. Prints "pid N" first. Every wait is bounded. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int wait_readable(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int rc;
    do
        rc = poll(&p, 1, ms);
    while (rc < 0 && errno == EINTR);
    return rc > 0 ? 0 : -1;
}

static int wait_file(const char *path)
{
    struct stat st;
    for (int i = 0; i < 600; i++) { /* 30 s */
        if (stat(path, &st) == 0)
            return 0;
        usleep(50000);
    }
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr,
                "usage: rawpeer serve FAMILY PROTO COUNT REPLY_BYTES | ask FAMILY PROTO DEST COUNT BYTES [GO_FILE]\n");
        return 2;
    }
    int serve = strcmp(argv[1], "serve") == 0;
    int v6 = atoi(argv[2]) == 6;
    int proto = atoi(argv[3]);
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW, proto);
    if (fd < 0) {
        perror("rawpeer: socket");
        return 1;
    }
    printf("pid %d\n", (int)getpid());
    fflush(stdout);
    char buf[2048];
    memset(buf, 0x5a, sizeof buf);
    struct sockaddr_storage peer;
    socklen_t plen;
    if (serve) {
        int count = atoi(argv[4]);
        size_t reply = (size_t)atoi(argv[5]);
        for (int i = 0; i < count; i++) {
            if (wait_readable(fd, 20000) != 0) {
                fprintf(stderr, "rawpeer: nothing received (%d of %d)\n", i, count);
                return 1;
            }
            plen = sizeof peer;
            if (recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &plen) < 0) {
                perror("rawpeer: recvfrom");
                return 1;
            }
            if (v6)
                ((struct sockaddr_in6 *)&peer)->sin6_port = 0;
            if (sendto(fd, buf, reply, 0, (struct sockaddr *)&peer, plen) != (ssize_t)reply) {
                perror("rawpeer: sendto");
                return 1;
            }
        }
        return 0;
    }
    if (argc < 7)
        return 2;
    memset(&peer, 0, sizeof peer);
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&peer;
        a->sin6_family = AF_INET6;
        plen = sizeof *a;
        if (inet_pton(AF_INET6, argv[4], &a->sin6_addr) != 1)
            return 2;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&peer;
        a->sin_family = AF_INET;
        plen = sizeof *a;
        if (inet_pton(AF_INET, argv[4], &a->sin_addr) != 1)
            return 2;
    }
    int count = atoi(argv[5]);
    size_t bytes = (size_t)atoi(argv[6]);
    if (argc > 7 && wait_file(argv[7]) != 0) {
        fprintf(stderr, "rawpeer: no go\n");
        return 1;
    }
    for (int i = 0; i < count; i++) {
        if (sendto(fd, buf, bytes, 0, (struct sockaddr *)&peer, plen) != (ssize_t)bytes) {
            perror("rawpeer: sendto");
            return 1;
        }
        if (wait_readable(fd, 5000) != 0 || recv(fd, buf, sizeof buf, 0) < 0) {
            fprintf(stderr, "rawpeer: no answer to packet %d\n", i);
            return 1;
        }
    }
    return 0;
}
