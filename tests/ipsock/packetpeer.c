/* SPDX-License-Identifier: MIT */
/* AF_PACKET (SOCK_DGRAM) traffic with known truth, for the recorder test.
 *   packetpeer serve IFNAME ETHERTYPE COUNT REPLY_BYTES
 *       receives COUNT frames of ETHERTYPE on IFNAME and answers each with
 *       REPLY_BYTES bytes of payload to its sender
 *   packetpeer ask IFNAME ETHERTYPE COUNT BYTES [GO_FILE]
 *       (opens the socket, waits for GO_FILE when given), then broadcasts
 *       COUNT frames of BYTES bytes of payload, each followed by reading one
 *       answer
 * ETHERTYPE in hex. Prints "pid N" first. Every wait is bounded. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
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
        fprintf(stderr, "usage: packetpeer serve|ask IFNAME ETHERTYPE COUNT BYTES [GO_FILE]\n");
        return 2;
    }
    int serve = strcmp(argv[1], "serve") == 0;
    unsigned ifindex = if_nametoindex(argv[2]);
    uint16_t ethertype = (uint16_t)strtoul(argv[3], NULL, 16);
    int count = atoi(argv[4]);
    size_t bytes = (size_t)atoi(argv[5]);
    if (!ifindex) {
        perror("packetpeer: interface");
        return 1;
    }
    int fd = socket(AF_PACKET, SOCK_DGRAM, htons(ethertype));
    if (fd < 0) {
        perror("packetpeer: socket");
        return 1;
    }
    struct sockaddr_ll me = {.sll_family = AF_PACKET, .sll_protocol = htons(ethertype), .sll_ifindex = (int)ifindex};
    if (bind(fd, (struct sockaddr *)&me, sizeof me) != 0) {
        perror("packetpeer: bind");
        return 1;
    }
    printf("pid %d\n", (int)getpid());
    fflush(stdout);
    char buf[2048];
    memset(buf, 0x33, sizeof buf);
    struct sockaddr_ll peer = me;
    socklen_t plen = sizeof peer;
    if (serve) {
        for (int i = 0; i < count; i++) {
            plen = sizeof peer;
            if (wait_readable(fd, 20000) != 0 ||
                recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &plen) < 0) {
                fprintf(stderr, "packetpeer: nothing received (%d of %d)\n", i, count);
                return 1;
            }
            peer.sll_protocol = htons(ethertype);
            if (sendto(fd, buf, bytes, 0, (struct sockaddr *)&peer, plen) != (ssize_t)bytes) {
                perror("packetpeer: sendto");
                return 1;
            }
        }
        return 0;
    }
    if (argc > 6 && wait_file(argv[6]) != 0) {
        fprintf(stderr, "packetpeer: no go\n");
        return 1;
    }
    peer.sll_halen = 6;
    memset(peer.sll_addr, 0xff, 6);
    for (int i = 0; i < count; i++) {
        if (sendto(fd, buf, bytes, 0, (struct sockaddr *)&peer, sizeof peer) != (ssize_t)bytes) {
            perror("packetpeer: sendto");
            return 1;
        }
        if (wait_readable(fd, 5000) != 0 || recv(fd, buf, sizeof buf, 0) < 0) {
            fprintf(stderr, "packetpeer: no answer to frame %d\n", i);
            return 1;
        }
    }
    return 0;
}
