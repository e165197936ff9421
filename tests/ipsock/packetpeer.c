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
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>

#include "peer_loop.h"

/* Answers go out with the EtherType the socket was opened for. */
static void set_ethertype(struct sockaddr_storage *from, void *arg)
{
    ((struct sockaddr_ll *)from)->sll_protocol = htons(*(const uint16_t *)arg);
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
    peer_print_pid();
    if (serve)
        return peer_serve("packetpeer", fd, count, bytes, 0x33, set_ethertype, &ethertype);
    struct sockaddr_ll peer = me; /* broadcast on the bound interface */
    peer.sll_halen = 6;
    memset(peer.sll_addr, 0xff, 6);
    return peer_ask("packetpeer", fd, &peer, sizeof peer, count, bytes, 0x33, argc > 6 ? argv[6] : NULL);
}
