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
#include <netinet/in.h>
#include <stdlib.h>

#include "peer_loop.h"

/* An IPv6 raw socket takes the port field as the protocol: clear it. */
static void clear_v6_port(struct sockaddr_storage *from, void *arg)
{
    (void)arg;
    if (from->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)from)->sin6_port = 0;
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
    peer_print_pid();
    if (serve)
        return peer_serve("rawpeer", fd, atoi(argv[4]), (size_t)atoi(argv[5]), 0x5a, clear_v6_port, NULL);
    if (argc < 7)
        return 2;
    struct sockaddr_storage peer;
    socklen_t plen;
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
    return peer_ask("rawpeer", fd, &peer, plen, atoi(argv[5]), (size_t)atoi(argv[6]), 0x5a, argc > 7 ? argv[7] : NULL);
}
